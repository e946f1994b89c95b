/**
 * The pod-template-hash: kube's ComputeHash is a 32-bit FNV-1a over the pod template (plus the
 * Deployment's collisionCount, when set, as 8 little-endian bytes), printed in decimal and
 * passed through SafeEncodeString, whose alphabet has no vowels (no words) and no look-alikes.
 * kube hashes Go's printing of the struct; nodeless hashes canonical JSON, so the names differ
 * from kube's for the same template but share every property: stable for an unchanged
 * template, different for a changed one, different again for each collisionCount.
 */
import { POD_TEMPLATE_HASH_LABEL } from './annotations';
import { jsonEqual } from '../../../schemas/meta/json';
import type { PodTemplate } from './types';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** safeEncodeString maps each byte of s onto kube's safe alphabet, as rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += SAFE_ALPHABET[b % SAFE_ALPHABET.length];
  return out;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** computeHash is the pod-template-hash of a template for a collisionCount. */
export function computeHash(template: PodTemplate | undefined, collisionCount?: number): string {
  let hash = fnv32a(Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(collisionCount >>> 0, 0);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (!Object.keys(t.metadata.labels).length) delete t.metadata.labels;
  }
  return t;
}

/** equalIgnoreHash compares two pod templates, ignoring the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}
