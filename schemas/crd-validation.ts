/**
 * Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1), following
 * apiextensions-apiserver's pkg/apis/apiextensions/validation: names, versions (exactly one
 * storage version), scope, conversion, subresources, printer columns, selectable fields, API
 * approval for protected groups, stored versions and the structural-schema rules of each
 * version's openAPIV3Schema (pkg/apiserver/schema), defaults included.
 */
import { customResourceSchemaErrors } from '../server/registry/schema-validation';
import { forbiddenField, invalidValue, nameErrors, required } from '../server/registry/object-meta';
import { compileCustomResourceSchema, isRecord, itemsOf, propertiesOf, pruneValue } from './crd-schema';
import { compileJSONPath } from './jsonpath';
import type { FieldError, JSONSchema, KubeObject } from './types';

/** CRDVersion is one entry of spec.versions as JSON. */
export interface CRDVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchema };
  subresources?: { status?: object; scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: Array<{ name?: string; type?: string; format?: string; description?: string; priority?: number; jsonPath?: string }>;
  selectableFields?: Array<{ jsonPath?: string }>;
}

/** CRDNames is spec.names (and status.acceptedNames). */
export interface CRDNames {
  plural?: string;
  singular?: string;
  shortNames?: string[];
  kind?: string;
  listKind?: string;
  categories?: string[];
}

/** CRDSpec is the spec of a CustomResourceDefinition as JSON. */
export interface CRDSpec {
  group?: string;
  names?: CRDNames;
  scope?: string;
  versions?: CRDVersion[];
  conversion?: { strategy?: string; webhook?: { clientConfig?: { url?: string; service?: object }; conversionReviewVersions?: string[] } };
  preserveUnknownFields?: boolean;
}

/** CRDCondition is one entry of status.conditions. */
export interface CRDCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** CRDStatus is the status of a CustomResourceDefinition as JSON. */
export interface CRDStatus {
  acceptedNames?: CRDNames;
  conditions?: CRDCondition[];
  storedVersions?: string[];
}

/** specOf reads a CRD's spec. */
export function specOf(crd: KubeObject): CRDSpec {
  return (isRecord(crd.spec) ? crd.spec : {}) as CRDSpec;
}

/** statusOf reads a CRD's status. */
export function statusOf(crd: KubeObject): CRDStatus {
  return (isRecord(crd.status) ? crd.status : {}) as CRDStatus;
}

/** conditionOf finds a condition of a CRD. */
export function conditionOf(crd: KubeObject, type: string): CRDCondition | undefined {
  return (statusOf(crd).conditions ?? []).find((c) => c.type === type);
}

const APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';
const PRINTER_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const MAX_SELECTABLE_FIELDS = 8;

const invalid = (field: string, value: unknown, why: string) => invalidValue(field, value, why);
const notSupported = (field: string, value: unknown, allowed: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
});

/**
 * validateCustomResourceDefinition returns the field errors of a CRD, or of an update of one when
 * old is given. It never mutates.
 */
export function validateCustomResourceDefinition(crd: KubeObject, old?: KubeObject): FieldError[] {
  const spec = specOf(crd);
  const errs: FieldError[] = [];
  const name = crd.metadata?.name ?? '';
  const names = spec.names ?? {};
  if (name && name !== `${names.plural ?? ''}.${spec.group ?? ''}`) errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));

  if (!spec.group) errs.push(required('spec.group'));
  else if (nameErrors(spec.group, 'dns-subdomain').length) errs.push(invalid('spec.group', spec.group, nameErrors(spec.group, 'dns-subdomain').join(',')));
  else if (spec.group.split('.').length < 2) errs.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));

  if (!spec.scope) errs.push(required('spec.scope'));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const versions = spec.versions ?? [];
  const seen = new Set<string>();
  let unique = true;
  let storage = 0;
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    if (v.storage) storage++;
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    const vErrs = nameErrors(v.name ?? '', 'dns-1035');
    if (vErrs.length) errs.push(invalid(`${path}.name`, v.name ?? '', vErrs.join(',')));
    errs.push(...validateVersion(v, path));
  });
  if (!unique) errs.push(invalid('spec.versions', versionsValue(versions), 'must contain unique version names'));
  if (storage !== 1) errs.push(invalid('spec.versions', versionsValue(versions), 'must have exactly one version marked as storage version'));

  if (!names.plural) errs.push(required('spec.names.plural'));
  if (!names.singular) errs.push(required('spec.names.singular'));
  if (!names.kind) errs.push(required('spec.names.kind'));
  if (!names.listKind) errs.push(required('spec.names.listKind'));
  errs.push(...validateNames(names, 'spec.names'));

  errs.push(...validateConversion(spec));
  if (spec.preserveUnknownFields === true && !(old && specOf(old).preserveUnknownFields === true)) {
    errs.push(invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  }

  const status = statusOf(crd);
  errs.push(...validateNames(status.acceptedNames ?? {}, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(status.storedVersions ?? [], versions));
  errs.push(...validateApproval(crd, old));

  if (old) {
    const oldSpec = specOf(old);
    if (spec.group !== oldSpec.group) errs.push(invalid('spec.group', spec.group ?? '', 'field is immutable'));
    if (names.plural !== oldSpec.names?.plural) errs.push(invalid('spec.names.plural', names.plural ?? '', 'field is immutable'));
    if (conditionOf(old, 'Established')?.status === 'True') {
      if (spec.scope !== oldSpec.scope) errs.push(invalid('spec.scope', spec.scope ?? '', 'field is immutable'));
      if (names.kind !== oldSpec.names?.kind) errs.push(invalid('spec.names.kind', names.kind ?? '', 'field is immutable'));
    }
  }
  return errs;
}

// versionsValue renders spec.versions the way field errors show a struct slice (abridged).
function versionsValue(versions: CRDVersion[]): string {
  return `[${versions.map((v) => v.name).join(' ')}]`;
}

function validateVersion(v: CRDVersion, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.deprecated && v.deprecationWarning !== undefined) errs.push(invalid(`${path}.deprecationWarning`, v.deprecationWarning, 'can only be set for deprecated versions'));
  if (v.deprecationWarning !== undefined && v.deprecationWarning.length > 256) errs.push(invalid(`${path}.deprecationWarning`, v.deprecationWarning, 'must be <= 256 characters long'));
  if (v.deprecationWarning === '') errs.push(invalid(`${path}.deprecationWarning`, '', 'must not be an empty string'));
  const schema = v.schema?.openAPIV3Schema;
  if (!isRecord(schema)) errs.push(required(`${path}.schema.openAPIV3Schema`));
  else errs.push(...validateSchema(schema, `${path}.schema.openAPIV3Schema`, v.subresources?.status !== undefined && v.subresources?.status !== null));
  const scale = v.subresources?.scale;
  if (scale) {
    const sub = `${path}.subresources`;
    errs.push(...scalePath(scale.specReplicasPath, `${sub}.scale.specReplicasPath`, ['.spec.'], 'should be a json path under .spec', true));
    errs.push(...scalePath(scale.statusReplicasPath, `${sub}.scale.statusReplicasPath`, ['.status.'], 'should be a json path under .status', true));
    errs.push(...scalePath(scale.labelSelectorPath, `${sub}.scale.labelSelectorPath`, ['.spec.', '.status.'], 'should be a json path under either .spec or .status', false));
  }
  (v.additionalPrinterColumns ?? []).forEach((c, i) => {
    const cp = `${path}.additionalPrinterColumns[${i}]`;
    if (!c.name) errs.push(required(`${cp}.name`));
    if (!c.type) errs.push(required(`${cp}.type`, `must be one of ${PRINTER_TYPES.join(',')}`));
    else if (!PRINTER_TYPES.includes(c.type)) errs.push(invalid(`${cp}.type`, c.type, `must be one of ${PRINTER_TYPES.join(',')}`));
    if (c.format && !PRINTER_FORMATS.includes(c.format)) errs.push(invalid(`${cp}.format`, c.format, `must be one of ${PRINTER_FORMATS.join(',')}`));
    if (!c.jsonPath) errs.push(required(`${cp}.JSONPath`));
    else errs.push(...simpleJSONPath(c.jsonPath, `${cp}.JSONPath`));
  });
  const selectable = v.selectableFields ?? [];
  if (selectable.length) {
    if (!isRecord(schema)) errs.push(invalid(`${path}.selectableFields`, '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
    else errs.push(...validateSelectableFields(selectable, schema, `${path}.selectableFields`));
  }
  return errs;
}

function scalePath(value: string | undefined, field: string, prefixes: string[], why: string, isRequired: boolean): FieldError[] {
  if (!value) return isRequired ? [required(field)] : [];
  const errs = simpleJSONPath(value, field);
  if (errs.length) return errs;
  return prefixes.some((p) => value.startsWith(p)) ? [] : [invalid(field, value, why)];
}

function simpleJSONPath(s: string, field: string): FieldError[] {
  if (s[0] !== '.') return [invalid(field, s, 'must be a simple json path starting with .')];
  try {
    compileJSONPath(s);
  } catch {
    return [invalid(field, s, 'must be a valid json path')];
  }
  return [];
}

function validateSelectableFields(fields: Array<{ jsonPath?: string }>, schema: JSONSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const field = `${path}[${i}].jsonPath`;
    if (!f.jsonPath) return errs.push(required(field));
    const parts = f.jsonPath.replace(/^\./, '').split('.');
    if (f.jsonPath[0] !== '.' || parts.some((p) => !p)) return errs.push(invalid(field, f.jsonPath, 'is an invalid path: must be a simple dot path'));
    let s: JSONSchema | undefined = schema;
    for (const p of parts) s = propertiesOf(s)[p];
    if (!s) return errs.push(invalid(field, f.jsonPath, `is an invalid path: does not refer to a valid field`));
    if (parts[0] === 'metadata') errs.push(invalid(field, f.jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(String(s.type))) {
      errs.push(invalid(field, f.jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    if (seen.has(f.jsonPath)) errs.push({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(f.jsonPath)}` });
    seen.add(f.jsonPath);
  });
  if (seen.size > MAX_SELECTABLE_FIELDS) errs.push({ type: 'FieldValueTooMany', field: path, message: `Too many: ${seen.size}: must have at most ${MAX_SELECTABLE_FIELDS} items` });
  return errs;
}

function validateNames(names: CRDNames, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const label = (field: string, value: string | undefined, mixedCase = false) => {
    if (!value) return;
    const why = nameErrors(mixedCase ? value.toLowerCase() : value, 'dns-1035');
    if (why.length) errs.push(invalid(`${path}.${field}`, value, `${mixedCase ? 'may have mixed case, but should otherwise match: ' : ''}${why.join(',')}`));
  };
  label('plural', names.plural);
  label('singular', names.singular);
  label('kind', names.kind, true);
  label('listKind', names.listKind, true);
  (names.shortNames ?? []).forEach((s, i) => {
    const why = nameErrors(s, 'dns-1035');
    if (why.length) errs.push(invalid(`${path}.shortNames[${i}]`, s, why.join(',')));
  });
  if (names.kind && names.kind === names.listKind) errs.push(invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((c, i) => {
    const why = nameErrors(c, 'dns-1035');
    if (why.length) errs.push(invalid(`${path}.categories[${i}]`, c, why.join(',')));
  });
  return errs;
}

function validateConversion(spec: CRDSpec): FieldError[] {
  const conversion = spec.conversion;
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const strategy = conversion.strategy;
  if (!strategy) errs.push(required('spec.conversion.strategy'));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  if (strategy === 'Webhook') {
    const cc = conversion.webhook?.clientConfig;
    if (!cc) errs.push(required('spec.conversion.webhook.clientConfig', 'required when strategy is set to Webhook'));
    else if ((cc.url === undefined) === (cc.service === undefined)) errs.push(required('spec.conversion.webhook.clientConfig', 'exactly one of url or service is required'));
    const reviews = conversion.webhook?.conversionReviewVersions ?? [];
    if (reviews.length === 0) errs.push(required('spec.conversion.webhook.conversionReviewVersions'));
    else if (!reviews.some((r) => r === 'v1' || r === 'v1beta1')) errs.push(invalid('spec.conversion.webhook.conversionReviewVersions', reviews, 'must include at least one of v1, v1beta1'));
  } else if (conversion.webhook !== undefined && conversion.webhook !== null) {
    errs.push(forbiddenField('spec.conversion.webhookClientConfig', 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

function validateStoredVersions(stored: string[], versions: CRDVersion[]): FieldError[] {
  if (stored.length === 0) return [invalid('status.storedVersions', '[]', 'must have at least one stored version')];
  const errs: FieldError[] = [];
  for (const v of versions) {
    if (v.storage && !stored.includes(v.name)) errs.push(invalid('status.storedVersions', `[${stored.join(' ')}]`, `must have the storage version ${v.name}`));
  }
  stored.forEach((s, i) => {
    if (!versions.some((v) => v.name === s)) {
      errs.push(invalid(`status.storedVersions[${i}]`, s, `missing from spec.versions; ${s} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${s} and removes ${s} from status.storedVersions`));
    }
  });
  return errs;
}

// validateApproval: groups under k8s.io and kubernetes.io need the API approval annotation.
function validateApproval(crd: KubeObject, old?: KubeObject): FieldError[] {
  const group = specOf(crd).group ?? '';
  if (!(group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io'))) return [];
  const state = (o: KubeObject) => approvalState(o.metadata?.annotations?.[APPROVAL_ANNOTATION] ?? '');
  const now = state(crd);
  if (old && state(old) === now) return [];
  const field = `metadata.annotations[${APPROVAL_ANNOTATION}]`;
  const value = crd.metadata?.annotations?.[APPROVAL_ANNOTATION] ?? '';
  if (now === 'missing') return [required(field, `protected groups must have approval annotation "${APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`)];
  if (now === 'invalid') {
    return [invalid(field, value, `protected groups must have approval annotation "${APPROVAL_ANNOTATION}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`)];
  }
  return [];
}

function approvalState(annotation: string): 'missing' | 'bypassed' | 'approved' | 'invalid' {
  if (!annotation) return 'missing';
  if (annotation.startsWith('unapproved')) return 'bypassed';
  try {
    const u = new URL(annotation);
    if (u.host && u.protocol) return 'approved';
  } catch {
    // not a URL
  }
  return 'invalid';
}

// ---- the schema of one version ----------------------------------------------------------------

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

// validateCELRules checks the shape of x-kubernetes-validations; the rules themselves are not
// evaluated by nodeless (the CRD strategy warns about them).
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
    try {
      new RegExp(s.pattern);
    } catch (err) {
      errs.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${(err as Error).message}`));
    }
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
  if ('default' in s && !insideMeta) {
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
  for (const [k, p] of Object.entries(propertiesOf(s))) {
    const meta = (s === resourceRoot || isEmbedded) && (k === 'metadata' || k === 'apiVersion' || k === 'kind');
    if (isRecord(p)) errs.push(...validateDefaults(p, `${path}.properties[${k}]`, resourceRoot, insideMeta || meta));
  }
  return errs;
}
