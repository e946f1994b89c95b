/**
 * Keys name objects in the store: /{group}/{resource}/{namespace}/{name} for namespaced
 * objects and /{group}/{resource}/{name} for cluster-scoped ones. The core group is
 * spelled "core". A prefix ends with "/" so that /core/pods/default/ never matches
 * namespace "default2".
 */
import { InvalidKeyError } from './errors';

// A segment: printable ASCII without "/" or whitespace. Object names are stricter (DNS
// rules, checked by the registry); RBAC names such as system:node use ":".
const SEGMENT = /^[!-.0-~]+$/;

/** ObjectRef names one object: its group ('' for core), resource (plural), namespace and name. */
export interface ObjectRef {
  group: string;
  resource: string;
  namespace?: string;
  name: string;
}

/** objectKey builds the store key of one object. */
export function objectKey(ref: ObjectRef): string {
  const ns = ref.namespace ? `${ref.namespace}/` : '';
  return checkKey(`/${ref.group || 'core'}/${ref.resource}/${ns}${ref.name}`);
}

/** prefixKey builds the prefix of a resource in one namespace, or across all of them when namespace is empty. */
export function prefixKey(group: string, resource: string, namespace?: string): string {
  const ns = namespace ? `${namespace}/` : '';
  return checkPrefix(`/${group || 'core'}/${resource}/${ns}`);
}

/** checkKey returns the key when it is /seg/.../seg with at least two segments, else throws InvalidKeyError. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(key, 'must be a non-empty string');
  if (key.length > 1024) throw new InvalidKeyError(key.slice(0, 64) + '...', 'longer than 1024 characters');
  if (key[0] !== '/' || key.endsWith('/')) throw new InvalidKeyError(key, 'must start with "/" and not end with "/"');
  const segments = key.slice(1).split('/');
  if (segments.length < 2) throw new InvalidKeyError(key, 'needs at least two segments');
  for (const s of segments) {
    if (!SEGMENT.test(s)) throw new InvalidKeyError(key, 'segments must be non-empty printable ASCII without "/"');
  }
  return key;
}

/** checkPrefix returns the prefix when it is "/" or /seg/.../ , else throws InvalidKeyError. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new InvalidKeyError(prefix, 'prefix must be a non-empty string');
  if (prefix[0] !== '/' || !prefix.endsWith('/')) throw new InvalidKeyError(prefix, 'prefix must start and end with "/"');
  if (prefix === '/') return prefix;
  for (const s of prefix.slice(1, -1).split('/')) {
    if (!SEGMENT.test(s)) throw new InvalidKeyError(prefix, 'segments must be non-empty printable ASCII without "/"');
  }
  return prefix;
}

/** prefixEnd is the smallest string greater than every key under prefix ("/" + 1 is "0"). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + '0';
}

/** ancestorPrefixes lists every prefix a key falls under, from "/" to its parent, for watch fan-out lookup. */
export function ancestorPrefixes(key: string): string[] {
  const out: string[] = [];
  let i = key.indexOf('/');
  while (i >= 0) {
    out.push(key.slice(0, i + 1));
    i = key.indexOf('/', i + 1);
  }
  return out;
}
