/**
 * schemaCheckType derives the CheckType of a kind's objects from its OpenAPI or structural
 * schema, as kube's SchemaDeclType (apiserver/pkg/cel/common/schemas.go) declares it for the
 * policy type checker: integer, number, boolean and string map to int, double, bool and string
 * (format byte, duration, date and date-time to bytes, duration and timestamp), arrays to lists,
 * objects with additionalProperties to map(string, V), objects with properties to objects whose
 * other fields are undefined, and x-kubernetes-int-or-string to dyn. The root of a resource (and
 * of an x-kubernetes-embedded-resource) always has apiVersion, kind and metadata.
 *
 * Where kube's own schema for a type is not what nodeless holds, or kube would declare nothing,
 * the type is dyn so that no warning is invented: resource.Quantity (kube's definition is a
 * oneOf of string and number), schemas without a type, objects without properties or with
 * x-kubernetes-preserve-unknown-fields (unknown fields stay open), recursive schemas past a
 * depth, and field names kube escapes (reserved words such as `namespace`, names with dashes),
 * which answer to both spellings.
 */
import { isPlainObject as isRecord } from '../meta/json';
import type { JSONSchema } from '../types';
import { DYN, listOf, mapOf, scalar, type CheckType } from './check-types';

/** Definitions resolves `#/definitions/<name>` references of built-in schemas. */
export type Definitions = Readonly<Record<string, JSONSchema>>;

// Schemas nested deeper than this are typed dyn (recursive references are cut where they recur).
const MAX_DEPTH = 24;
const REF = /^#\/(?:definitions|components\/schemas)\//;
// CEL's reserved words, which kube escapes as __word__ when they name a property.
const RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** schemaCheckType is the CheckType of a resource whose root schema is s (undefined: nothing is declared). */
export function schemaCheckType(s: JSONSchema, definitions: Definitions, objectMeta?: JSONSchema): CheckType | undefined {
  return typeOf(s, { definitions, objectMeta, path: new Set() }, 0, true);
}

interface Context {
  definitions: Definitions;
  /** objectMeta is the ObjectMeta schema a custom resource's metadata is published with. */
  objectMeta?: JSONSchema;
  /** path holds the definitions being expanded, from the root down. */
  path: Set<string>;
}

// resolve follows s's reference, if any; undefined when it is missing or already on the path
// from the root (a recursive type such as JSONSchemaProps), which is then typed dyn.
function resolve(s: JSONSchema, ctx: Context): { schema: JSONSchema; ref?: string } | undefined {
  const ref: string | undefined = typeof s.$ref === 'string' ? s.$ref : refInAllOf(s);
  if (!ref) return { schema: s };
  const name = ref.replace(REF, '');
  const target = ctx.definitions[name];
  return target && !ctx.path.has(name) ? { schema: target, ref: name } : undefined;
}

// A reference may be wrapped in allOf to keep a description beside it (kube-openapi does this).
function refInAllOf(s: JSONSchema): string | undefined {
  const all = Array.isArray(s.allOf) ? (s.allOf as JSONSchema[]) : [];
  for (const a of all) if (isRecord(a) && typeof a.$ref === 'string') return a.$ref;
  return undefined;
}

function typeOf(raw: JSONSchema | undefined, ctx: Context, depth: number, resourceRoot: boolean): CheckType | undefined {
  if (!isRecord(raw) || depth > MAX_DEPTH) return DYN;
  const resolved = resolve(raw, ctx);
  if (!resolved) return DYN;
  if (!resolved.ref) return schemaType(resolved.schema, ctx, depth, resourceRoot);
  ctx.path.add(resolved.ref);
  try {
    return schemaType(resolved.schema, ctx, depth, resourceRoot);
  } finally {
    ctx.path.delete(resolved.ref);
  }
}

function schemaType(s: JSONSchema, ctx: Context, depth: number, resourceRoot: boolean): CheckType | undefined {
  if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string' || s.format === 'quantity') return DYN;
  switch (s.type) {
    case 'integer':
      return scalar('int');
    case 'number':
      return scalar('double');
    case 'boolean':
      return scalar('bool');
    case 'string':
      return stringType(s.format);
    case 'array': {
      if (!isRecord(s.items)) return undefined;
      const items = s.items as JSONSchema;
      const elem = typeOf(items, ctx, depth + 1, items['x-kubernetes-embedded-resource'] === true);
      return elem && listOf(elem);
    }
    case 'object':
      return objectType(s, ctx, depth, resourceRoot);
    default:
      return DYN;
  }
}

function stringType(format: unknown): CheckType {
  switch (format) {
    case 'byte':
      return scalar('bytes');
    case 'duration':
      return scalar('duration');
    case 'date':
    case 'date-time':
      return scalar('timestamp');
    default:
      return scalar('string');
  }
}

function objectType(s: JSONSchema, ctx: Context, depth: number, resourceRoot: boolean): CheckType | undefined {
  if (isRecord(s.additionalProperties)) {
    const values = s.additionalProperties as JSONSchema;
    const v = typeOf(values, ctx, depth + 1, values['x-kubernetes-embedded-resource'] === true);
    return v && mapOf(scalar('string'), v);
  }
  const props = isRecord(s.properties) ? (s.properties as Record<string, JSONSchema>) : {};
  const noProperties = Object.keys(props).length === 0;
  if (noProperties && !resourceRoot) return DYN;
  const open = s['x-kubernetes-preserve-unknown-fields'] === true || noProperties;
  const fields: Record<string, CheckType> = {};
  for (const [name, p] of Object.entries(props)) {
    const t = typeOf(p, ctx, depth + 1, isRecord(p) && p['x-kubernetes-embedded-resource'] === true);
    if (!t) continue;
    fields[name] = t;
    const escaped = escapedName(name);
    if (escaped) fields[escaped] = t;
  }
  if (resourceRoot) addTypeAndObjectMeta(fields, ctx, depth);
  return { kind: 'object', fields, open };
}

// escapedName is how kube spells a property that is not a plain CEL identifier (undefined when it is one).
function escapedName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (IDENTIFIER.test(name)) return undefined;
  return name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
}

// addTypeAndObjectMeta makes apiVersion, kind and metadata (name, generateName) always declared at a resource root.
function addTypeAndObjectMeta(fields: Record<string, CheckType>, ctx: Context, depth: number): void {
  fields.apiVersion ??= scalar('string');
  fields.kind ??= scalar('string');
  if (ctx.objectMeta && (!fields.metadata || fields.metadata.kind !== 'object' || !('uid' in fields.metadata.fields))) {
    const meta = typeOf(ctx.objectMeta, ctx, depth + 1, false);
    if (meta) fields.metadata = meta;
  }
  const meta = fields.metadata;
  if (!meta || meta.kind !== 'object') {
    fields.metadata = { kind: 'object', fields: { name: scalar('string'), generateName: scalar('string') } };
    return;
  }
  meta.fields.name ??= scalar('string');
  meta.fields.generateName ??= scalar('string');
}
