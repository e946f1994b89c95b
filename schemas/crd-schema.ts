/**
 * Structural schemas of custom resources at run time, following apiextensions-apiserver:
 * pruning of unknown fields (schema/pruning), dropping of non-nullable nulls and defaulting
 * (schema/defaulting), embedded-resource and list-type checks (schema/objectmeta, listtype), the
 * ajv form of a schema with Kubernetes' formats, x-kubernetes-int-or-string and nullable, and the
 * schema a CRD version publishes in OpenAPI (controller/openapi/builder).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { FieldError, JSONSchema } from './types';

/** MetadataPruner removes unknown ObjectMeta fields from value, recording each as path.field in out. */
export type MetadataPruner = (value: unknown, path: string, out: string[]) => void;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** isRecord says a value is a JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** propertiesOf returns a schema's properties (empty when it declares none). */
export function propertiesOf(s: JSONSchema | undefined): Record<string, JSONSchema> {
  return s && isRecord(s.properties) ? (s.properties as Record<string, JSONSchema>) : {};
}

/** itemsOf returns a schema's items schema. */
export function itemsOf(s: JSONSchema | undefined): JSONSchema | undefined {
  return s && isRecord(s.items) ? (s.items as JSONSchema) : undefined;
}

function additionalOf(s: JSONSchema | undefined): JSONSchema | undefined {
  return s && isRecord(s.additionalProperties) ? (s.additionalProperties as JSONSchema) : undefined;
}

const preserves = (s: JSONSchema | undefined) => s?.['x-kubernetes-preserve-unknown-fields'] === true;
const embedded = (s: JSONSchema | undefined) => s?.['x-kubernetes-embedded-resource'] === true;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

// ---- pruning --------------------------------------------------------------------------------

/**
 * pruneCustomResource removes what the schema does not declare from a custom resource, in place,
 * as the decoder of kube-apiserver does: unknown fields (not under x-kubernetes-preserve-unknown-fields),
 * unknown ObjectMeta fields at the root and in embedded resources, and nulls of non-nullable
 * fields (replaced by the field's default when it has one). It returns the pruned paths, sorted.
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
      if (v === null && items && !items.nullable && 'default' in items) x[i] = structuredClone(items.default);
      else pruneNulls(v, items);
    });
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const k of Object.keys(x)) {
    const fs = k in props ? props[k] : additionalOf(s);
    if (x[k] === null && fs && !fs.nullable) {
      if ('default' in fs) x[k] = structuredClone(fs.default);
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

/** applySchemaDefaults fills absent fields (and nulls of non-nullable ones) from the schema's defaults, in place. */
export function applySchemaDefaults(x: unknown, s: JSONSchema | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    x.forEach((v, i) => {
      if (v === null && items && !items.nullable && 'default' in items) x[i] = structuredClone(items.default);
      applySchemaDefaults(x[i], items);
    });
    return;
  }
  if (!isRecord(x)) return;
  const props = propertiesOf(s);
  for (const [k, p] of Object.entries(props)) {
    if (!('default' in p)) continue;
    if (!(k in x) || (x[k] === null && !p.nullable)) x[k] = structuredClone(p.default);
  }
  const additional = additionalOf(s);
  for (const k of Object.keys(x)) {
    if (k in props) applySchemaDefaults(x[k], props[k]);
    else if (additional) {
      if (x[k] === null && !additional.nullable && 'default' in additional) x[k] = structuredClone(additional.default);
      applySchemaDefaults(x[k], additional);
    }
  }
}

/** hasDefaults says whether any schema in the tree carries a default. */
export function hasDefaults(s: unknown): boolean {
  if (Array.isArray(s)) return s.some(hasDefaults);
  if (!isRecord(s)) return false;
  if ('default' in s) return true;
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

// ---- ajv ------------------------------------------------------------------------------------

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false, unicodeRegExp: false });
const FORMATS = customResourceFormats();
for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: check });

/** compileCustomResourceSchema compiles the ajv validator of a structural schema (call once per CRD version). */
export function compileCustomResourceSchema(schema: JSONSchema): ValidateFunction {
  return ajv.compile(toAjvSchema(schema, true));
}

/** toAjvSchema maps an OpenAPI v3 structural schema to the JSON schema ajv validates. */
export function toAjvSchema(s: JSONSchema, root = false): JSONSchema {
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'properties':
        if (isRecord(v)) {
          const entries = Object.entries(v as Record<string, JSONSchema>).filter(([name]) => !(root && name === 'metadata'));
          out.properties = Object.fromEntries(entries.map(([name, p]) => [name, toAjvSchema(p)]));
        }
        break;
      case 'items':
      case 'not':
        if (isRecord(v)) out[k] = toAjvSchema(v as JSONSchema);
        break;
      case 'additionalProperties':
        if (isRecord(v)) out.additionalProperties = toAjvSchema(v as JSONSchema);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        if (Array.isArray(v)) out[k] = v.map((x) => toAjvSchema(x as JSONSchema));
        break;
      case 'format':
        if (typeof v === 'string' && v in FORMATS) out.format = v;
        break;
      case 'type':
      case 'enum':
      case 'required':
      case 'pattern':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'uniqueItems':
      case 'minProperties':
      case 'maxProperties':
      case 'multipleOf':
      case 'minimum':
      case 'maximum':
      case 'nullable':
        out[k] = v;
        break;
    }
  }
  // OpenAPI 3.0 spells exclusive bounds as booleans next to minimum and maximum.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    out.type = ['integer', 'string'];
    delete out.anyOf;
  }
  if (out.nullable === true) {
    if (out.type === undefined) delete out.nullable;
    else if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  // The root's metadata is ObjectMeta, validated by the registry; only name and generateName may be restricted.
  if (root && isRecord(s.properties) && isRecord((s.properties as Record<string, unknown>).metadata)) {
    const meta = (s.properties as Record<string, JSONSchema>).metadata;
    const restricted = Object.fromEntries(
      Object.entries(propertiesOf(meta)).filter(([name]) => name === 'name' || name === 'generateName').map(([name, p]) => [name, toAjvSchema(p)]),
    );
    if (Object.keys(restricted).length) out.properties = { ...(out.properties as object), metadata: { type: 'object', properties: restricted } };
  }
  return out;
}

// customResourceFormats are the string formats kube-apiserver checks in custom resources
// (k8s.io/kube-openapi strfmt, as limited by apiextensions-apiserver's supported formats).
function customResourceFormats(): Record<string, (v: string) => boolean> {
  const re = (r: RegExp) => (v: string) => r.test(v);
  const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const isIPv6 = (v: string) => {
    if (!/^[0-9a-fA-F:.]+$/.test(v) || !v.includes(':')) return false;
    const parts = v.split('::');
    if (parts.length > 2) return false;
    const groups = parts.flatMap((p) => (p ? p.split(':') : []));
    const last = groups[groups.length - 1] ?? '';
    const v4 = last.includes('.');
    if (v4 && !ipv4.test(last)) return false;
    const hexGroups = v4 ? groups.slice(0, -1) : groups;
    if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
    const count = hexGroups.length + (v4 ? 2 : 0);
    return parts.length === 2 ? count < 8 : count === 8;
  };
  const uuid = (version?: string) =>
    re(new RegExp(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?${version ?? '[0-9a-fA-F]'}[0-9a-fA-F]{3}-?${version ? '[89abAB]' : '[0-9a-fA-F]'}[0-9a-fA-F]{3}-?[0-9a-fA-F]{12}$`));
  const hostname = (v: string) => v.length <= 255 && /^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.?$/.test(v);
  const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
  return {
    bsonobjectid: re(/^[0-9a-fA-F]{24}$/),
    uri: (v) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v) && !/\s/.test(v),
    email: re(/^[^\s@]+@[^\s@]+$/),
    hostname,
    ipv4: re(ipv4),
    ipv6: isIPv6,
    cidr: (v) => {
      const [ip, bits, ...rest] = v.split('/');
      if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
      return ipv4.test(ip) ? Number(bits) <= 32 : isIPv6(ip) && Number(bits) <= 128;
    },
    mac: re(/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/),
    uuid: uuid(),
    uuid3: uuid('3'),
    uuid4: uuid('4'),
    uuid5: uuid('5'),
    isbn: re(/^(\d{9}[\dXx]|\d{13})$/),
    isbn10: re(/^\d{9}[\dXx]$/),
    isbn13: re(/^\d{13}$/),
    creditcard: re(/^\d{13,19}$/),
    ssn: re(/^\d{3}[- ]?\d{2}[- ]?\d{4}$/),
    hexcolor: re(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/),
    rgbcolor: re(/^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/),
    byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
    password: () => true,
    date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
    duration: re(/^(-?(\d+(\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w)\s*)+$/),
    datetime: re(dateTime),
    'date-time': re(dateTime),
  };
}

// ---- publishing ----------------------------------------------------------------------------

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const METADATA_DESCRIPTION = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/**
 * publishedSchema is the definition a CRD version publishes, as kube-apiserver builds it: the
 * structural schema with metadata as a reference to ObjectMeta and apiVersion and kind described;
 * for OpenAPI v2, value validations, nullable and the insides of x-kubernetes-preserve-unknown-fields
 * objects are dropped (a root preserving unknown fields publishes a bare object) and defaults pruned.
 */
export function publishedSchema(schema: JSONSchema, refPrefix: string, v2: boolean): JSONSchema {
  if (v2 && preserves(schema)) return { type: 'object' };
  const out = v2 ? toOpenAPIV2(schema) : structuredClone(schema);
  addEmbeddedProperties(out, refPrefix, v2);
  const props = { ...propertiesOf(out) };
  props.apiVersion = { type: 'string', description: API_VERSION_DESCRIPTION };
  props.kind = { type: 'string', description: KIND_DESCRIPTION };
  props.metadata = metadataRef(refPrefix, v2);
  out.properties = props;
  out.type = 'object';
  return out;
}

// metadataRef points at ObjectMeta; OpenAPI v3 wraps a described reference in allOf.
function metadataRef(refPrefix: string, v2: boolean): JSONSchema {
  const ref = `${refPrefix}${OBJECT_META}`;
  return v2 ? { $ref: ref, description: METADATA_DESCRIPTION } : { description: METADATA_DESCRIPTION, allOf: [{ $ref: ref }] };
}

function addEmbeddedProperties(s: JSONSchema, refPrefix: string, v2: boolean): void {
  for (const p of Object.values(propertiesOf(s))) addEmbeddedProperties(p, refPrefix, v2);
  const items = itemsOf(s);
  if (items) addEmbeddedProperties(items, refPrefix, v2);
  const additional = additionalOf(s);
  if (additional) addEmbeddedProperties(additional, refPrefix, v2);
  if (v2 && preserves(s)) return;
  if (embedded(s)) {
    s.properties = {
      ...propertiesOf(s),
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: metadataRef(refPrefix, v2),
    };
    const required = Array.isArray(s.required) ? [...(s.required as string[])] : [];
    for (const f of ['kind', 'apiVersion']) if (!required.includes(f)) required.push(f);
    s.required = required;
  }
}

const VALUE_VALIDATIONS = ['allOf', 'anyOf', 'oneOf', 'not'];

// toOpenAPIV2 follows controller/openapi/v2.ToStructuralOpenAPIV2 and drops defaults.
function toOpenAPIV2(s: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (VALUE_VALIDATIONS.includes(k) || k === 'default' || k === 'x-kubernetes-validations') continue;
    if (k === 'properties' && isRecord(v)) out.properties = Object.fromEntries(Object.entries(v as Record<string, JSONSchema>).map(([n, p]) => [n, toOpenAPIV2(p)]));
    else if ((k === 'items' || k === 'additionalProperties') && isRecord(v)) out[k] = toOpenAPIV2(v as JSONSchema);
    else out[k] = structuredClone(v);
  }
  if (out.nullable === true) {
    delete out.type;
    delete out.nullable;
    delete out.items;
    delete out.properties;
  }
  if (preserves(out)) {
    delete out.items;
    delete out.properties;
    if (out.type === 'object') delete out.type;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  const props = propertiesOf(s);
  if (Array.isArray(out.required)) {
    out.required = (out.required as string[]).filter((f) => !props[f]?.nullable);
    if ((out.required as string[]).length === 0) delete out.required;
  }
  return out;
}

// ---- CEL ------------------------------------------------------------------------------------

/** celRuleLocations lists where a schema carries x-kubernetes-validations rules, as field paths under base. */
export function celRuleLocations(s: unknown, base: string): string[] {
  const out: string[] = [];
  const visit = (x: unknown, path: string) => {
    if (!isRecord(x)) return;
    const rules = x['x-kubernetes-validations'];
    if (Array.isArray(rules)) rules.forEach((r, i) => out.push(`${path}.x-kubernetes-validations[${i}]${isRecord(r) && typeof r.rule === 'string' ? ` (${JSON.stringify(r.rule)})` : ''}`));
    for (const [k, v] of Object.entries(propertiesOf(x))) visit(v, `${path}.properties[${k}]`);
    if (isRecord(x.items)) visit(x.items, `${path}.items`);
    if (isRecord(x.additionalProperties)) visit(x.additionalProperties, `${path}.additionalProperties`);
    for (const k of VALUE_VALIDATIONS) {
      const v = x[k];
      if (Array.isArray(v)) v.forEach((y, i) => visit(y, `${path}.${k}[${i}]`));
      else if (isRecord(v)) visit(v, `${path}.${k}`);
    }
  };
  visit(s, base);
  return out;
}
