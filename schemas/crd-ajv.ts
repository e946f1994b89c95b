/**
 * The ajv form of a custom resource's structural schema: OpenAPI v3 with Kubernetes' extensions
 * (x-kubernetes-int-or-string, nullable, boolean exclusive bounds) mapped to what ajv validates,
 * and the string formats kube-apiserver checks. Validators are compiled once per distinct shape.
 */
import { isPlainObject as isRecord } from './meta/json';
import Ajv, { type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { propertiesOf } from './crd-schema';
import { re2RegExpEngine } from './cel/re2';
import type { JSONSchema } from './types';

// Patterns compile with RE2, as Go's regexp does in kube-apiserver: RE2 syntax such as (?i)
// works, and matching is linear in the input whatever the pattern.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false, unicodeRegExp: false, code: { regExp: re2RegExpEngine } });
const FORMATS = customResourceFormats();
for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: check });

// Validators by the JSON of their ajv schema: descriptions, defaults and extensions do not
// count, so the many look-alike fields of a large CRD (and re-validations of the same CRD)
// share one compiled validator.
const compiled = new LRUCache<string, ValidateFunction>({ max: 2000 });

/** compileCustomResourceSchema returns the ajv validator of a structural schema, compiling it once per distinct shape. */
export function compileCustomResourceSchema(schema: JSONSchema): ValidateFunction {
  const ajvSchema = toAjvSchema(schema, true);
  const key = JSON.stringify(ajvSchema);
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(ajvSchema);
    compiled.set(key, fn);
  }
  return fn;
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
