/**
 * Validation of names and metadata shared by every kind, with the messages kube-apiserver uses.
 */
import type { FieldError, KubeObject } from '../types';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
const re = (s: string) => new RegExp(`^${s}$`);
const labelRe = re(DNS1123_LABEL);
const subdomainRe = re(DNS1123_SUBDOMAIN);
const dns1035Re = re(DNS1035_LABEL);
const qualifiedRe = re(QUALIFIED_NAME);
const labelValueRe = re(LABEL_VALUE);

/** NameValidation selects the rule a kind's metadata.name follows. */
export type NameValidation = 'dns-subdomain' | 'dns-label' | 'dns-1035' | 'path-segment' | 'rbac';

/** invalidValue builds a FieldValueInvalid error rendered like `Invalid value: "x": why`. */
export function invalidValue(field: string, value: unknown, why: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${renderValue(value)}: ${why}` };
}

/** required builds a FieldValueRequired error. */
export function required(field: string, why = ''): FieldError {
  return { type: 'FieldValueRequired', field, message: why ? `Required value: ${why}` : 'Required value' };
}

/** forbiddenField builds a FieldValueForbidden error. */
export function forbiddenField(field: string, why: string): FieldError {
  return { type: 'FieldValueForbidden', field, message: `Forbidden: ${why}` };
}

/** renderValue prints a value the way field errors quote it. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** nameErrors lists why a name breaks a rule (empty when it is valid). */
export function nameErrors(name: string, rule: NameValidation, prefix = false): string[] {
  // A generateName prefix is checked with a placeholder suffix, as Kubernetes does.
  const n = prefix ? maskTrailingDash(name) : name;
  const out: string[] = [];
  switch (rule) {
    case 'dns-label':
      if (n.length > 63) out.push('must be no more than 63 characters');
      if (!labelRe.test(n)) {
        out.push(
          `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${DNS1123_LABEL}')`,
        );
      }
      break;
    case 'dns-1035':
      if (n.length > 63) out.push('must be no more than 63 characters');
      if (!dns1035Re.test(n)) {
        out.push(
          `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${DNS1035_LABEL}')`,
        );
      }
      break;
    case 'path-segment':
    case 'rbac':
      if (n === '.' || n === '..') out.push(`may not be '${n}'`);
      if (n.includes('/')) out.push(`may not contain '/'`);
      if (n.includes('%')) out.push(`may not contain '%'`);
      break;
    default:
      if (n.length > 253) out.push('must be no more than 253 characters');
      if (!subdomainRe.test(n)) {
        out.push(
          `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`,
        );
      }
  }
  return out;
}

function maskTrailingDash(s: string): string {
  return s.endsWith('-') ? s.slice(0, -1) + 'a' : s;
}

/**
 * qualifiedNameErrors is IsQualifiedName: why key is not a qualified name (label and
 * annotation keys, condition types, resource names), an optional DNS subdomain prefix and '/'
 * before a name; [] when it is one.
 */
export function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  const out: string[] = [];
  if (parts.length > 2) {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    // The prefix is checked as IsDNS1123Subdomain, each of its messages prefixed.
    const prefix = parts[0];
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...nameErrors(prefix, 'dns-subdomain').map((why) => `prefix part ${why}`));
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (!qualifiedRe.test(name)) {
    out.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}')`,
    );
  }
  return out;
}

/** labelValueErrors is IsValidLabelValue: why value is not a label value (empty, or at most 63 alphanumerics with -_.); [] when it is one. */
export function labelValueErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    out.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${LABEL_VALUE}')`,
    );
  }
  return out;
}

const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** validateObjectMeta checks name, generateName, namespace, labels, annotations and finalizers. */
export function validateObjectMeta(obj: KubeObject, rule: NameValidation, namespaced: boolean): FieldError[] {
  const meta = obj.metadata ?? {};
  const errs: FieldError[] = [];
  if (!meta.name && !meta.generateName) {
    errs.push(required('metadata.name', 'name or generateName is required'));
  }
  if (meta.name) for (const why of nameErrors(meta.name, rule)) errs.push(invalidValue('metadata.name', meta.name, why));
  if (meta.generateName && !meta.name) {
    for (const why of nameErrors(meta.generateName, rule, true)) errs.push(invalidValue('metadata.generateName', meta.generateName, why));
  }
  if (namespaced && !meta.namespace) errs.push(required('metadata.namespace'));
  if (!namespaced && meta.namespace) errs.push(forbiddenField('metadata.namespace', 'not allowed on this type'));
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    for (const why of qualifiedNameErrors(k)) errs.push(invalidValue('metadata.labels', k, why));
    if (typeof v === 'string') for (const why of labelValueErrors(v)) errs.push(invalidValue(`metadata.labels`, v, why));
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    for (const why of qualifiedNameErrors(k.toLowerCase())) errs.push(invalidValue('metadata.annotations', k, why));
    annotationBytes += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (annotationBytes > ANNOTATIONS_MAX_BYTES) {
    errs.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: may not be more than ${ANNOTATIONS_MAX_BYTES} bytes` });
  }
  (meta.finalizers ?? []).forEach((f, i) => {
    const whys = f.includes('/') ? qualifiedNameErrors(f) : [];
    for (const why of whys) errs.push(invalidValue(`metadata.finalizers[${i}]`, f, why));
  });
  return errs;
}
