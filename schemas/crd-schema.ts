/**
 * Structural schemas of custom resources at run time, following apiextensions-apiserver:
 * decoding (pruning of unknown fields, schema/pruning; dropping of non-nullable nulls and
 * defaulting, schema/defaulting) and the checks ajv cannot make (embedded resources and list
 * types, schema/objectmeta and listtype).
 */
import { isPlainObject as isRecord } from './meta/json';
import type { FieldError, JSONSchema } from './types';

/** MetadataPruner removes unknown ObjectMeta fields from value, recording each as path.field in out. */
export type MetadataPruner = (value: unknown, path: string, out: string[]) => void;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);


/** propertiesOf returns a schema's properties (empty when it declares none). */
export function propertiesOf(s: JSONSchema | undefined): Record<string, JSONSchema> {
  return s && isRecord(s.properties) ? (s.properties as Record<string, JSONSchema>) : {};
}

/** itemsOf returns a schema's items schema. */
export function itemsOf(s: JSONSchema | undefined): JSONSchema | undefined {
  return s && isRecord(s.items) ? (s.items as JSONSchema) : undefined;
}

/** additionalOf returns a schema's additionalProperties schema. */
export function additionalOf(s: JSONSchema | undefined): JSONSchema | undefined {
  return s && isRecord(s.additionalProperties) ? (s.additionalProperties as JSONSchema) : undefined;
}

/** preserves says a schema keeps unknown fields (x-kubernetes-preserve-unknown-fields). */
export const preserves = (s: JSONSchema | undefined) => s?.['x-kubernetes-preserve-unknown-fields'] === true;
/** embedded says a schema is an embedded resource (x-kubernetes-embedded-resource). */
export const embedded = (s: JSONSchema | undefined) => s?.['x-kubernetes-embedded-resource'] === true;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

// ---- pruning --------------------------------------------------------------------------------

/**
 * pruneCustomResource removes what the schema does not declare from a custom resource in a
 * request, in place, as kube-apiserver's decoder does: unknown fields outside
 * x-kubernetes-preserve-unknown-fields, unknown ObjectMeta fields at the root and in embedded
 * resources, and nulls of non-nullable fields (a null with a default becomes the default). It
 * returns the pruned paths, sorted. Defaults are applied by the registry (ResourceDefinition
 * defaults), not here: an applied configuration must not claim the fields defaulting adds.
 */
export function pruneCustomResource(schema: JSONSchema, obj: Record<string, unknown>, pruneMetadata: MetadataPruner): string[] {
  const out: string[] = [];
  if ('metadata' in obj) pruneMetadata(obj.metadata, 'metadata', out);
  // The root is a resource: apiVersion, kind and metadata are always kept.
  prune(obj, { ...schema, 'x-kubernetes-embedded-resource': true }, '', out);
  pruneNulls(obj, schema);
  coerceEmbeddedMetadata(obj, schema, '', out, pruneMetadata, true);
  return out.sort();
}

/** pruneValue removes what a schema does not declare from a value (a default, for instance) and returns the paths. */
export function pruneValue(x: unknown, s: JSONSchema, isResourceRoot: boolean): string[] {
  const out: string[] = [];
  prune(x, isResourceRoot ? { ...s, 'x-kubernetes-embedded-resource': true } : s, '', out);
  return out;
}

function prune(x: unknown, s: JSONSchema | undefined, path: string, out: string[]): void {
  if (s && preserves(s)) return skipPrune(x, s, path, out);
  if (Array.isArray(x)) {
    x.forEach((v, i) => prune(v, s ? itemsOf(s) : undefined, `${path}[${i}]`, out));
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const k of Object.keys(x)) {
    if (s && embedded(s) && META_FIELDS.has(k)) continue;
    const p = join(path, k);
    if (s && k in props) prune(x[k], props[k], p, out);
    else if (s && s.additionalProperties !== undefined) prune(x[k], additionalOf(s), p, out);
    else {
      if (!META_FIELDS.has(k) || path) out.push(p);
      delete x[k];
    }
  }
}

// skipPrune keeps unknown fields but still prunes inside the fields the schema does declare.
function skipPrune(x: unknown, s: JSONSchema, path: string, out: string[]): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items) x.forEach((v, i) => skipPrune(v, items, `${path}[${i}]`, out));
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const k of Object.keys(x)) {
    if (embedded(s) && META_FIELDS.has(k)) continue;
    if (k in props) prune(x[k], props[k], join(path, k), out);
    else if (s.additionalProperties !== undefined) prune(x[k], additionalOf(s), join(path, k), out);
  }
}

// pruneNulls drops nulls of non-nullable fields, or replaces them with the field's default.
function pruneNulls(x: unknown, s: JSONSchema | undefined): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    x.forEach((v, i) => {
      if (fillsNull(v, items)) x[i] = structuredClone(items!.default);
      else pruneNulls(v, items);
    });
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const k of Object.keys(x)) {
    const fs = k in props ? props[k] : additionalOf(s);
    if (x[k] === null && fs && !fs.nullable) {
      if (hasDefault(fs)) x[k] = structuredClone(fs.default);
      else delete x[k];
    } else {
      pruneNulls(x[k], fs);
    }
  }
}

// coerceEmbeddedMetadata prunes the ObjectMeta of every x-kubernetes-embedded-resource object.
function coerceEmbeddedMetadata(x: unknown, s: JSONSchema | undefined, path: string, out: string[], pruneMetadata: MetadataPruner, root = false): void {
  if (!s) return;
  if (Array.isArray(x)) {
    x.forEach((v, i) => coerceEmbeddedMetadata(v, itemsOf(s), `${path}[${i}]`, out, pruneMetadata));
    return;
  }
  if (!isRecord(x)) return;
  if (!root && embedded(s) && 'metadata' in x) pruneMetadata(x.metadata, join(path, 'metadata'), out);
  const props = propertiesOf(s);
  for (const k of Object.keys(x)) {
    if (root && k === 'metadata') continue;
    const fs = k in props ? props[k] : additionalOf(s);
    if (fs) coerceEmbeddedMetadata(x[k], fs, join(path, k), out, pruneMetadata);
  }
}

// ---- defaulting -----------------------------------------------------------------------------

/**
 * hasDefault says a schema carries a default. As in kube, `default: null` is no default at all
 * (a Go nil default object).
 */
export const hasDefault = (s: JSONSchema | undefined): boolean => !!s && s.default !== undefined && s.default !== null;

// fillsNull: kube replaces a null with the default only where the field is not nullable; a
// null in a nullable field is a value and stays.
const fillsNull = (v: unknown, s: JSONSchema | undefined): boolean => v === null && hasDefault(s) && !s!.nullable;

/**
 * applySchemaDefaults fills absent fields (and nulls of non-nullable ones) from the schema's
 * defaults, in place, at every depth as kube's structural defaulting does: in properties of
 * objects that exist (a nested object is defaulted only when its parent is present or was just
 * defaulted), in array items and in additionalProperties values. Defaults are deep-copied.
 */
export function applySchemaDefaults(x: unknown, s: JSONSchema | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (fillsNull(x[i], items)) x[i] = structuredClone(items.default);
      applySchemaDefaults(x[i], items);
    }
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const k in props) {
    const p = props[k];
    if (hasDefault(p) && (!(k in x) || fillsNull(x[k], p))) x[k] = structuredClone(p.default);
  }
  const additional = additionalOf(s);
  for (const k of Object.keys(x)) {
    if (k in props) applySchemaDefaults(x[k], props[k]);
    else if (additional) {
      if (fillsNull(x[k], additional)) x[k] = structuredClone(additional.default);
      applySchemaDefaults(x[k], additional);
    }
  }
}

/**
 * pruneSchemaDefaults removes from every default in a structural schema the fields the schema
 * does not declare, in place, as kube-apiserver prunes defaults when it builds a CRD's serving
 * schema (a default at an embedded resource keeps apiVersion, kind and metadata).
 */
export function pruneSchemaDefaults(s: JSONSchema | undefined): void {
  if (!s) return;
  if (hasDefault(s)) prune(s.default, embedded(s) ? { ...s, 'x-kubernetes-embedded-resource': true } : s, '', []);
  for (const p of Object.values(propertiesOf(s))) pruneSchemaDefaults(p);
  pruneSchemaDefaults(itemsOf(s));
  pruneSchemaDefaults(additionalOf(s));
}

/** hasDefaults says whether any schema in the tree carries a default. */
export function hasDefaults(s: unknown): boolean {
  if (Array.isArray(s)) return s.some(hasDefaults);
  if (!isRecord(s)) return false;
  if (hasDefault(s)) return true;
  return ['properties', 'items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not'].some((k) => {
    const v = s[k];
    return k === 'properties' && isRecord(v) ? Object.values(v).some(hasDefaults) : hasDefaults(v);
  });
}

// ---- validation beyond the schema ------------------------------------------------------------

/**
 * validateStructure checks what ajv cannot: embedded resources carry a valid apiVersion and kind,
 * and x-kubernetes-list-type set and map lists hold no duplicates.
 */
export function validateStructure(obj: unknown, schema: JSONSchema): FieldError[] {
  const errs: FieldError[] = [];
  walkStructure(obj, schema, '', errs, true);
  return errs;
}

function walkStructure(x: unknown, s: JSONSchema | undefined, path: string, errs: FieldError[], root = false): void {
  if (!s) return;
  if (Array.isArray(x)) {
    checkList(x, s, path, errs);
    const items = itemsOf(s);
    x.forEach((v, i) => walkStructure(v, items, `${path}[${i}]`, errs));
    return;
  }
  if (!isRecord(x)) return;
  if (!root && embedded(s)) errs.push(...embeddedResourceErrors(x, path));
  const props = propertiesOf(s);
  const additional = additionalOf(s);
  for (const k of Object.keys(x)) {
    if (root && k === 'metadata') continue;
    if (k in props) walkStructure(x[k], props[k], join(path, k), errs);
    else if (additional) walkStructure(x[k], additional, `${path}[${k}]`, errs);
  }
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function embeddedResourceErrors(x: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['apiVersion', 'kind']) {
    const f = join(path, k);
    const v = x[k];
    if (!(k in x)) errs.push({ type: 'FieldValueRequired', field: f, message: 'Required value' });
    else if (typeof v !== 'string') errs.push({ type: 'FieldValueInvalid', field: f, message: `Invalid value: ${goValue(v)}: must be a string` });
    else if (v === '') errs.push({ type: 'FieldValueInvalid', field: f, message: 'Invalid value: "": must not be empty' });
    else if (k === 'apiVersion' && v.split('/').length > 2) {
      errs.push({ type: 'FieldValueInvalid', field: f, message: `Invalid value: ${JSON.stringify(v)}: unexpected GroupVersion string: ${v}` });
    } else if (k === 'kind' && (v.length > 63 || !DNS1035.test(v.toLowerCase()))) {
      errs.push({
        type: 'FieldValueInvalid',
        field: f,
        message: `Invalid value: ${JSON.stringify(v)}: may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      });
    }
  }
  if ('metadata' in x && !isRecord(x.metadata)) {
    errs.push({ type: 'FieldValueInvalid', field: join(path, 'metadata'), message: `Invalid value: ${goValue(x.metadata)}: must be an object` });
  }
  return errs;
}

// checkList reports duplicates in x-kubernetes-list-type: set and map lists.
function checkList(x: unknown[], s: JSONSchema, path: string, errs: FieldError[]): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    x.forEach((v, i) => {
      const key = canonicalJSON(v);
      if (seen.has(key)) errs.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${goValue(v)}` });
      seen.add(key);
    });
  } else if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) {
    const keys = s['x-kubernetes-list-map-keys'] as string[];
    const itemDefaults = propertiesOf(itemsOf(s));
    const seen = new Set<string>();
    x.forEach((v, i) => {
      if (!isRecord(v)) return;
      const keyValues: Record<string, unknown> = {};
      for (const k of keys) if (k in v) keyValues[k] = v[k];
      else if (itemDefaults[k] && 'default' in itemDefaults[k]) keyValues[k] = itemDefaults[k].default;
      const key = canonicalJSON(keyValues);
      if (seen.has(key)) errs.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${goValue(keyValues)}` });
      seen.add(key);
    });
  }
}

function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** goValue prints a JSON value the way Go's %#v prints its unstructured form in field errors. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[]interface {}{${v.map(goValue).join(', ')}}`;
  if (isRecord(v)) {
    return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${goValue(v[k])}`).join(', ')}}`;
  }
  return String(v);
}
