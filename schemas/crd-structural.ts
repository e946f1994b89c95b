/**
 * The checks of a CRD version's openAPIV3Schema, following apiextensions-apiserver: the
 * OpenAPI rules of ValidateCustomResourceDefinitionOpenAPISchema, the structural-schema
 * invariants and completeness of pkg/apiserver/schema, list and map types, the shape of
 * x-kubernetes-validations rules, and defaults (valid for their schema, no unknown fields).
 */
import { re2SyntaxError } from './cel/re2';
import { isPlainObject as isRecord } from './meta/json';
import { customResourceSchemaErrors } from './schema-validation';
import { forbiddenField, invalidValue, required } from './meta/object-meta';
import { compileCustomResourceSchema } from './crd-ajv';
import { additionalOf, hasDefault, itemsOf, propertiesOf, pruneValue } from './crd-schema';
import type { FieldError, JSONSchema } from './types';

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const VALUE_VALIDATIONS = ['allOf', 'anyOf', 'oneOf', 'not'];
const invalid = (field: string, value: unknown, why: string) => invalidValue(field, value, why);
/** notSupported builds a FieldValueNotSupported error. */
export const notSupported = (field: string, value: unknown, allowed: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
});

const ROOT_KEYS_WITH_STATUS = new Set([
  'description', 'type', 'format', 'title', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'required', 'items', 'properties', 'externalDocs', 'example',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations',
]);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;

interface SchemaContext {
  allowDefaults: boolean;
  defaultsReason?: string;
  insideMeta: boolean;
}

/** validateSchema checks a version's openAPIV3Schema: OpenAPI rules, structural rules and defaults. */
export function validateSchema(schema: JSONSchema, path: string, statusEnabled: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (statusEnabled) {
    if (schema.type !== undefined && schema.type !== 'object') {
      errs.push(invalid(`${path}.type`, schema.type, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
    } else {
      const extra = Object.keys(schema).filter((k) => !ROOT_KEYS_WITH_STATUS.has(k));
      if (extra.length) {
        errs.push(invalid(path, '', `only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled`));
      }
    }
  }
  if (schema.nullable === true) errs.push(forbiddenField(`${path}.nullable`, 'nullable cannot be true at the root'));
  errs.push(...validateOpenAPI(schema, path, { allowDefaults: true, insideMeta: false }, true));
  const structural = [...validateStructural(schema, path, 'root'), ...validateCompleteness(schema, path)];
  errs.push(...structural);
  // As in kube-apiserver, defaults are checked only against a structural schema.
  if (structural.length === 0) {
    try {
      compileCustomResourceSchema(schema);
      errs.push(...validateDefaults(schema, path, schema, false));
    } catch (err) {
      errs.push(invalid(path, '', `error building validator: ${(err as Error).message}`));
    }
  }
  return errs;
}

// validateOpenAPI follows ValidateCustomResourceDefinitionOpenAPISchema.
function validateOpenAPI(s: JSONSchema, path: string, ctx: SchemaContext, root: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const type = s.type;
  if (type !== undefined && (typeof type !== 'string' || !OPENAPI_TYPES.includes(type))) {
    if (type === 'null') errs.push(forbiddenField(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
    else errs.push(notSupported(`${path}.type`, type, OPENAPI_TYPES));
  }
  if ('default' in s && !ctx.allowDefaults) errs.push(forbiddenField(`${path}.default`, `must not be set${ctx.defaultsReason ? ` ${ctx.defaultsReason}` : ''}`));
  for (const [k, what] of [['id', 'id'], ['additionalItems', 'additionalItems'], ['patternProperties', 'patternProperties'], ['definitions', 'definitions'], ['dependencies', 'dependencies'], ['$ref', '$ref']]) {
    if (s[k] !== undefined) errs.push(forbiddenField(`${path}.${k}`, `${what} is not supported`));
  }
  if (Array.isArray(s.items)) errs.push(forbiddenField(`${path}.items`, 'items must be a schema object and not an array'));
  if (ctx.insideMeta && s['x-kubernetes-embedded-resource'] === true) errs.push(forbiddenField(`${path}.x-kubernetes-embedded-resource`, 'must not be used inside of resource meta'));
  if (s.uniqueItems === true) errs.push(forbiddenField(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const props = propertiesOf(s);
  if (s.additionalProperties !== undefined) {
    if (Object.keys(props).length && (s.additionalProperties === false || isRecord(s.additionalProperties))) {
      errs.push(forbiddenField(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    }
    if (isRecord(s.additionalProperties)) {
      const sub = ctx.insideMeta ? { ...ctx, allowDefaults: false, defaultsReason: 'inside additionalProperties applying to object metadata' } : ctx;
      errs.push(...validateOpenAPI(s.additionalProperties as JSONSchema, `${path}.additionalProperties`, sub, false));
    }
  }
  for (const [k, p] of Object.entries(props)) {
    let sub = ctx;
    if ((root || s['x-kubernetes-embedded-resource'] === true) && (k === 'metadata' || k === 'kind' || k === 'apiVersion')) {
      sub = { ...sub, insideMeta: true };
      if (root) sub = { ...sub, allowDefaults: false, defaultsReason: `in top-level ${k}` };
    }
    if (isRecord(p)) errs.push(...validateOpenAPI(p, `${path}.properties[${k}]`, sub, false));
  }
  if (isRecord(s.not)) errs.push(...validateOpenAPI(s.not as JSONSchema, `${path}.not`, ctx, false));
  for (const j of JUNCTORS) {
    const list = s[j];
    if (Array.isArray(list)) list.forEach((x, i) => isRecord(x) && errs.push(...validateOpenAPI(x, `${path}.${j}[${i}]`, ctx, false)));
  }
  const items = itemsOf(s);
  if (items) errs.push(...validateOpenAPI(items, `${path}.items`, ctx, false));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  errs.push(...validateListAndMapTypes(s, path));
  errs.push(...validateCELRules(s, path));
  return errs;
}

function validateListAndMapTypes(s: JSONSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined) {
    if (s.type !== 'object') errs.push(s.type === undefined ? required(`${path}.type`, 'must be object if x-kubernetes-map-type is specified') : invalid(`${path}.type`, s.type, 'must be object if x-kubernetes-map-type is specified'));
    if (mapType !== 'atomic' && mapType !== 'granular') errs.push(notSupported(`${path}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  }
  const listType = s['x-kubernetes-list-type'];
  const items = itemsOf(s);
  if (listType !== undefined) {
    if (s.type !== 'array') errs.push(s.type === undefined ? required(`${path}.type`, 'must be array if x-kubernetes-list-type is specified') : invalid(`${path}.type`, s.type, 'must be array if x-kubernetes-list-type is specified'));
    else if (listType === 'set' && items) {
      if (items.type === 'array' && items['x-kubernetes-list-type'] !== undefined && items['x-kubernetes-list-type'] !== 'atomic') {
        errs.push(invalid(`${path}.items.x-kubernetes-list-type`, items['x-kubernetes-list-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
      if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
        errs.push(invalid(`${path}.items.x-kubernetes-map-type`, items['x-kubernetes-map-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
    }
    if (listType !== 'atomic' && listType !== 'set' && listType !== 'map') errs.push(notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
    if ((listType === 'set' || listType === 'map') && items?.nullable === true) errs.push(forbiddenField(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${String(listType)}`));
  }
  const keys = s['x-kubernetes-list-map-keys'];
  if (Array.isArray(keys) && keys.length > 0) {
    if (listType === undefined) errs.push(required(`${path}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (listType !== 'map') errs.push(invalid(`${path}.x-kubernetes-list-type`, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (listType === 'map') {
    if (!Array.isArray(keys) || keys.length === 0) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (!items) errs.push(required(`${path}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    else if (items.type !== 'object') errs.push(invalid(`${path}.items.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    else if (Array.isArray(keys)) {
      const itemProps = propertiesOf(items);
      const itemRequired = Array.isArray(items.required) ? (items.required as string[]) : [];
      const seenKeys = new Set<string>();
      for (const k of keys as string[]) {
        const kp = itemProps[k];
        if (!kp) errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, keys, 'entries must all be names of item properties'));
        else {
          if (kp.type === 'array' || kp.type === 'object') errs.push(invalid(`${path}.items.properties[${k}].type`, items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          if (!itemRequired.includes(k) && !('default' in kp)) {
            errs.push(required(`${path}.items.properties[${k}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
          }
          if (kp.nullable === true) errs.push(forbiddenField(`${path}.items.properties[${k}].nullable`, 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
        }
        if (seenKeys.has(k)) errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, keys, 'must not contain duplicate entries'));
        seenKeys.add(k);
      }
    }
  }
  return errs;
}

// validateCELRules checks the shape of x-kubernetes-validations; the rules are compiled by
// schemaRuleErrors (cel/crd-rules.ts) once the schema is otherwise valid.
function validateCELRules(s: JSONSchema, path: string): FieldError[] {
  const rules = s['x-kubernetes-validations'];
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) return [invalid(`${path}.x-kubernetes-validations`, '', 'must be a list of rules')];
  const errs: FieldError[] = [];
  rules.forEach((r, i) => {
    const rp = `${path}.x-kubernetes-validations[${i}]`;
    const rule = isRecord(r) && typeof r.rule === 'string' ? r.rule.trim() : '';
    const message = isRecord(r) && typeof r.message === 'string' ? r.message : undefined;
    if (!rule) errs.push(required(`${rp}.rule`, 'rule is not specified'));
    else if (message !== undefined && message.trim() === '') errs.push(invalid(`${rp}.message`, message, 'must be non-empty if specified'));
    else if (message !== undefined && /[\n\r]/.test(message.trim())) errs.push(invalid(`${rp}.message`, message, 'must not contain line breaks'));
    else if (/[\n\r]/.test(rule) && !message?.trim()) errs.push(required(`${rp}.message`, 'message must be specified if rule contains line breaks'));
    const reason = isRecord(r) ? r.reason : undefined;
    if (reason !== undefined && !['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'].includes(String(reason))) {
      errs.push(notSupported(`${rp}.reason`, reason, ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired']));
    }
  });
  return errs;
}

type Level = 'root' | 'item' | 'field';

const isIntOrStringAnyOf = (list: unknown) =>
  Array.isArray(list) && list.length === 2 && isRecord(list[0]) && isRecord(list[1]) && list[0].type === 'integer' && list[1].type === 'string' && Object.keys(list[0]).length === 1 && Object.keys(list[1]).length === 1;

// validateStructural follows schema.validateStructuralInvariants.
function validateStructural(s: JSONSchema, path: string, level: Level): FieldError[] {
  const errs: FieldError[] = [];
  const items = itemsOf(s);
  if (s.type === 'array' && !items) errs.push(required(`${path}.items`, 'must be specified'));
  if (items) errs.push(...validateStructural(items, `${path}.items`, 'item'));
  const props = propertiesOf(s);
  for (const [k, p] of Object.entries(props)) if (isRecord(p)) errs.push(...validateStructural(p, `${path}.properties[${k}]`, 'field'));
  if (s.additionalProperties !== undefined) {
    if (level === 'root') errs.push(forbiddenField(`${path}.additionalProperties`, 'must not be used at the root'));
    if (isRecord(s.additionalProperties)) errs.push(...validateStructural(s.additionalProperties as JSONSchema, `${path}.additionalProperties`, 'field'));
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embeddedResource = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve) errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embeddedResource) errs.push(invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  const skipAnyOf = isIntOrStringAnyOf(s.anyOf);
  const allOf = Array.isArray(s.allOf) ? s.allOf : [];
  const skipFirstAllOfAnyOf = allOf.length > 0 && isRecord(allOf[0]) && isIntOrStringAnyOf(allOf[0].anyOf);
  errs.push(...validateValueValidation(s, path, skipAnyOf, skipFirstAllOfAnyOf));
  if (typeof s.pattern === 'string') {
    // kube-apiserver compiles patterns with Go's regexp, so RE2 decides what is valid.
    const why = re2SyntaxError(s.pattern);
    if (why) errs.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${why}`));
  }
  const checkMetadata = level === 'root' || embeddedResource;
  if (embeddedResource && s.type !== 'object') {
    errs.push(s.type === undefined ? required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true') : invalid(`${path}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (s.type === undefined && !intOrString && !preserve) {
    const why = level === 'root' ? 'must not be empty at the root' : level === 'item' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields';
    errs.push(required(`${path}.type`, why));
  }
  if (embeddedResource && s.additionalProperties !== undefined) errs.push(forbiddenField(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (level === 'root' && s.type !== undefined && s.type !== 'object') errs.push(invalid(`${path}.type`, s.type, 'must be object at the root'));
  if (checkMetadata) {
    for (const f of ['kind', 'apiVersion']) {
      const p = props[f];
      if (p && p.type !== 'string') errs.push(invalid(`${path}.properties[${f}].type`, p.type ?? '', 'must be string'));
    }
  }
  const metadata = props.metadata;
  if (metadata) {
    const mp = `${path}.properties[metadata]`;
    if (checkMetadata && metadata.type !== 'object') errs.push(invalid(`${mp}.type`, metadata.type ?? '', 'must be object'));
    if (level === 'root') {
      const others = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'properties' && k !== 'default');
      const metaProps = Object.keys(propertiesOf(metadata)).filter((k) => k !== 'name' && k !== 'generateName');
      if (others.length || metaProps.length) {
        errs.push(forbiddenField(mp, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
      }
    }
  }
  if (embeddedResource && !preserve && Object.keys(props).length === 0) {
    errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  return errs;
}

// Keywords a schema under allOf, anyOf, oneOf or not may not use: they must stay structural.
const NESTED_FORBIDDEN: Array<[string, string]> = [
  ['type', 'must be empty to be structural'],
  ['additionalProperties', 'must be undefined to be structural'],
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['externalDocs', 'must be undefined to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ['x-kubernetes-map-type', 'must be undefined to be structural'],
  ['x-kubernetes-validations', 'must be empty to be structural'],
];

function validateValueValidation(s: JSONSchema, path: string, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const nested = (x: unknown, p: string, skip = false) => {
    if (isRecord(x)) errs.push(...validateNested(x, p, skip));
  };
  if (!skipAnyOf && Array.isArray(s.anyOf)) s.anyOf.forEach((x, i) => nested(x, `${path}.anyOf[${i}]`));
  if (Array.isArray(s.allOf)) s.allOf.forEach((x, i) => nested(x, `${path}.allOf[${i}]`, skipFirstAllOfAnyOf && i === 0));
  if (Array.isArray(s.oneOf)) s.oneOf.forEach((x, i) => nested(x, `${path}.oneOf[${i}]`));
  nested(s.not, `${path}.not`);
  return errs;
}

function validateNested(v: JSONSchema, path: string, skipAnyOf: boolean): FieldError[] {
  const errs = validateValueValidation(v, path, skipAnyOf, false);
  const items = itemsOf(v);
  if (items) errs.push(...validateNested(items, `${path}.items`, false));
  for (const [k, p] of Object.entries(propertiesOf(v))) if (isRecord(p)) errs.push(...validateNested(p, `${path}.properties[${k}]`, false));
  for (const [k, why] of NESTED_FORBIDDEN) if (v[k] !== undefined && v[k] !== false && v[k] !== '') errs.push(forbiddenField(`${path}.${k}`, why));
  if (v.nullable === true) errs.push(forbiddenField(`${path}.nullable`, 'must be false to be structural'));
  if (v['x-kubernetes-preserve-unknown-fields'] === true) errs.push(forbiddenField(`${path}.x-kubernetes-preserve-unknown-fields`, 'must be false to be structural'));
  if ('metadata' in propertiesOf(v)) errs.push(forbiddenField(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  return errs;
}

// validateCompleteness: every field a value validation names must also be specified structurally.
function validateCompleteness(s: JSONSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const check = (v: unknown, structural: JSONSchema | undefined, sPath: string, vPath: string) => {
    if (!isRecord(v)) return;
    if (!structural) {
      errs.push(required(sPath, `because it is defined in ${vPath}`));
      return;
    }
    for (const j of JUNCTORS) if (Array.isArray(v[j])) (v[j] as unknown[]).forEach((x, i) => check(x, structural, sPath, `${vPath}.${j}[${i}]`));
    if (isRecord(v.not)) check(v.not, structural, sPath, `${vPath}.not`);
    if (isRecord(v.items)) check(v.items, itemsOf(structural), `${sPath}.items`, `${vPath}.items`);
    for (const [k, p] of Object.entries(propertiesOf(v))) {
      check(p, propertiesOf(structural)[k], `${sPath}.properties[${k}]`, `${vPath}.properties[${k}]`);
    }
  };
  const walk = (x: JSONSchema, p: string) => {
    for (const j of JUNCTORS) if (Array.isArray(x[j])) (x[j] as unknown[]).forEach((y, i) => check(y, x, p, `${p}.${j}[${i}]`));
    if (isRecord(x.not)) check(x.not, x, p, `${p}.not`);
    for (const [k, sub] of Object.entries(propertiesOf(x))) if (isRecord(sub)) walk(sub, `${p}.properties[${k}]`);
    const items = itemsOf(x);
    if (items) walk(items, `${p}.items`);
    if (isRecord(x.additionalProperties)) walk(x.additionalProperties as JSONSchema, `${p}.additionalProperties`);
  };
  walk(s, path);
  return errs;
}

// validateDefaults: each default must be valid for its schema and must not carry unknown fields.
function validateDefaults(s: JSONSchema, path: string, resourceRoot: JSONSchema, insideMeta: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const isEmbedded = s['x-kubernetes-embedded-resource'] === true;
  if (isEmbedded) insideMeta = false;
  if (hasDefault(s) && !insideMeta) {
    const value = s.default;
    if (pruneValue(structuredClone(value), s, isEmbedded).length) errs.push(invalid(`${path}.default`, value, 'must not have unknown fields'));
    try {
      errs.push(...customResourceSchemaErrors(compileCustomResourceSchema(s), value, `${path}.default`));
    } catch {
      // The schema itself failed to compile; reported by validateSchema.
    }
  }
  const items = itemsOf(s);
  if (items) errs.push(...validateDefaults(items, `${path}.items`, resourceRoot, insideMeta));
  const additional = additionalOf(s);
  if (additional) errs.push(...validateDefaults(additional, `${path}.additionalProperties`, resourceRoot, insideMeta));
  for (const [k, p] of Object.entries(propertiesOf(s))) {
    const meta = (s === resourceRoot || isEmbedded) && (k === 'metadata' || k === 'apiVersion' || k === 'kind');
    if (isRecord(p)) errs.push(...validateDefaults(p, `${path}.properties[${k}]`, resourceRoot, insideMeta || meta));
  }
  return errs;
}
