/**
 * Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1), following
 * apiextensions-apiserver's pkg/apis/apiextensions/validation: names, versions (exactly one
 * storage version), scope, conversion, subresources, printer columns, selectable fields, API
 * approval for protected groups and stored versions; each version's schema is checked by
 * crd-structural.ts.
 */
import { isPlainObject as isRecord } from './meta/json';
import { forbiddenField, invalidValue, nameErrors, required } from './meta/object-meta';
import { propertiesOf } from './crd-schema';
import { notSupported, validateSchema } from './crd-structural';
import { schemaRuleErrors } from './cel/crd-rules';
import { compileJSONPath } from './jsonpath';
import { serviceErrors, urlErrors } from './validation/admissionregistration';
import { X509Certificate } from 'node:crypto';
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
  conversion?: { strategy?: string; webhook?: { clientConfig?: { url?: string; service?: object; caBundle?: string }; conversionReviewVersions?: string[] } };
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
const MAX_SELECTABLE_FIELDS = 8;

const invalid = (field: string, value: unknown, why: string) => invalidValue(field, value, why);

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

  errs.push(...validateConversion(spec, old));
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
  else {
    const schemaErrs = validateSchema(schema, `${path}.schema.openAPIV3Schema`, v.subresources?.status !== undefined && v.subresources?.status !== null);
    errs.push(...schemaErrs);
    // Rules are compiled (and their cost estimated) only on a schema that is otherwise valid, as kube does.
    if (!schemaErrs.length) errs.push(...schemaRuleErrors(schema, `${path}.schema.openAPIV3Schema`));
  }
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

// validateConversion follows validateCustomResourceConversion, which checks the internal form:
// webhook.clientConfig is spec.conversion.webhookClientConfig there, and
// webhook.conversionReviewVersions is spec.conversion.conversionReviewVersions.
function validateConversion(spec: CRDSpec, old?: KubeObject): FieldError[] {
  const conversion = spec.conversion;
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const strategy = conversion.strategy;
  if (strategy && strategy !== 'None' && spec.preserveUnknownFields === true) {
    errs.push(invalid('spec.conversion.strategy', strategy, 'must be None if spec.preserveUnknownFields is true'));
  }
  if (!strategy) errs.push(required('spec.conversion.strategy'));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  const cc = isRecord(conversion.webhook) && isRecord(conversion.webhook.clientConfig) ? conversion.webhook.clientConfig : undefined;
  const reviews = isRecord(conversion.webhook) && Array.isArray(conversion.webhook.conversionReviewVersions) ? conversion.webhook.conversionReviewVersions : [];
  const ccPath = 'spec.conversion.webhookClientConfig';
  const reviewsPath = 'spec.conversion.conversionReviewVersions';
  if (strategy === 'Webhook') {
    if (!cc) errs.push(required(ccPath, 'required when strategy is set to Webhook'));
    else {
      const hasURL = cc.url !== undefined && cc.url !== null;
      const hasService = cc.service !== undefined && cc.service !== null;
      if (hasURL === hasService) errs.push(required(ccPath, 'exactly one of url or service is required'));
      else if (hasURL) errs.push(...urlErrors(String(cc.url), `${ccPath}.url`));
      else errs.push(...serviceErrors(isRecord(cc.service) ? cc.service : {}, `${ccPath}.service`));
      if (cc.caBundle && !allowInvalidCABundle(old)) errs.push(...caBundleErrors(cc.caBundle, `${ccPath}.caBundle`));
    }
    errs.push(...conversionReviewVersionErrors(reviews, requireRecognizedReviewVersion(old), reviewsPath));
  } else {
    if (cc) errs.push(forbiddenField(ccPath, 'should not be set when strategy is not set to Webhook'));
    if (reviews.length) errs.push(forbiddenField(reviewsPath, 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

const CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];

function conversionReviewVersionErrors(versions: string[], requireRecognized: boolean, path: string): FieldError[] {
  if (versions.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) return void errs.push(invalid(`${path}[${i}]`, v, 'duplicate version'));
    seen.add(v);
    for (const why of nameErrors(v, 'dns-1035')) errs.push(invalid(`${path}[${i}]`, v, why));
  });
  if (requireRecognized && !versions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v))) {
    errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: []string{${versions.map((v) => JSON.stringify(v)).join(', ')}}: must include at least one of ${CONVERSION_REVIEW_VERSIONS.join(', ')}` });
  }
  return errs;
}

// requireRecognizedReviewVersion: an update keeps a CRD whose review versions were already all
// unknown to this server valid, as kube lets it.
function requireRecognizedReviewVersion(old?: KubeObject): boolean {
  if (!old) return true;
  const webhook = specOf(old).conversion?.webhook;
  const versions = isRecord(webhook) && Array.isArray(webhook.conversionReviewVersions) ? webhook.conversionReviewVersions : [];
  return versions.length === 0 || versions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v));
}

// allowInvalidCABundle: a CRD not yet Established (or being created) may carry a caBundle that
// does not parse, and so may one whose caBundle already did not.
function allowInvalidCABundle(old?: KubeObject): boolean {
  if (!old || conditionOf(old, 'Established')?.status !== 'True') return true;
  const webhook = specOf(old).conversion?.webhook;
  const bundle = isRecord(webhook) && isRecord(webhook.clientConfig) ? webhook.clientConfig.caBundle : undefined;
  if (!bundle) return false;
  return caBundleErrors(bundle, 'caBundle').length > 0;
}

// caBundleErrors is ValidateCABundle: the bundle must hold at least one PEM certificate that parses.
function caBundleErrors(bundle: string, path: string): FieldError[] {
  const bytes = Buffer.from(bundle, 'base64');
  const pem = bytes.toString('utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const parses = blocks.some((b) => {
    try {
      new X509Certificate(b);
      return true;
    } catch {
      return false;
    }
  });
  if (parses) return [];
  const shown = `[]byte{${[...bytes].map((b) => `0x${b.toString(16)}`).join(', ')}}`;
  return [{ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${shown}: data does not contain any valid RSA or ECDSA certificates` }];
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
