/**
 * Field errors worded as k8s.io/apimachinery's field.Error prints them, the readers every
 * validator uses on decoded JSON (Go's zero values for what is missing), the Go renderings
 * (%#v) that go into messages, and the small value checks (port numbers, port names, DNS
 * names, qualified names) that validation repeats. The rules only workload kinds share are
 * in workload-fields.ts.
 */
import { isPlainObject } from '../meta/json';
import type { FieldError } from '../types';
import { forbiddenField, invalidValue, nameErrors, qualifiedNameErrors, renderValue, required } from '../meta/object-meta';
import { validateLabels } from '../meta/selectors';

export { forbiddenField, invalidValue, required };

/** MAX_INT32 is Go's math.MaxInt32, the bound of the int32 fields kube range-checks. */
export const MAX_INT32 = 2147483647;

/** Obj is a decoded JSON object. */
export type Obj = Record<string, unknown>;

/** isObj tells a JSON object from arrays, null and scalars (the one isPlainObject, by the name validation uses). */
export const isObj: (v: unknown) => v is Obj = isPlainObject;

/** objAt reads a child object, or undefined when it is missing or not an object. */
export const objAt = (o: unknown, k: string): Obj | undefined => (isObj(o) && isObj(o[k]) ? (o[k] as Obj) : undefined);

/** listAt reads a child array, or [] when it is missing or not an array. */
export const listAt = (o: unknown, k: string): unknown[] => (isObj(o) && Array.isArray(o[k]) ? (o[k] as unknown[]) : []);

/** str reads a string field; Go decodes a missing or null string as "". */
export const str = (o: unknown, k: string): string => (isObj(o) && typeof o[k] === 'string' ? (o[k] as string) : '');

/** num reads a number field; Go decodes a missing or null number as 0. */
export const num = (o: unknown, k: string): number => (isObj(o) && typeof o[k] === 'number' ? (o[k] as number) : 0);

/** objOf returns v when it is an object, else an empty one (never stored). */
export const objOf = (v: unknown): Obj => (isObj(v) ? v : {});

/** present says a JSON value was given: neither absent nor null. */
export const present = (v: unknown): boolean => v !== undefined && v !== null;

/** isSet tells a field that is present and not null (a non-nil pointer in Go). */
export const isSet = (o: unknown, k: string): boolean => isObj(o) && present(o[k]);

/** goStringMap renders a map[string]string as %#v does: sorted keys, nil when absent. */
export function goStringMap(m: unknown): string {
  if (!isObj(m)) return 'map[string]string(nil)';
  return `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(m[k]))}`).join(', ')}}`;
}

/** goStringSlice renders a []string as %#v does, nil when absent. */
export function goStringSlice(v: unknown): string {
  if (!Array.isArray(v)) return '[]string(nil)';
  return `[]string{${v.map((x) => JSON.stringify(String(x))).join(', ')}}`;
}

/** goValue renders a bad value as field.Error does with %#v: []string{"a"}, map[string]string{"k":"v"}. */
export function goValue(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return goStringSlice(v);
  if (isObj(v) && Object.values(v).every((x) => typeof x === 'string')) return goStringMap(v);
  return renderValue(v);
}

/** invalidGo is invalidValue with the value rendered by goValue (for slices and maps). */
export function invalidGo(field: string, value: unknown, why: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}: ${why}` };
}

/**
 * invalid is field.Invalid with a value already rendered as Go prints it: a resource.Quantity
 * through its String method (bare, no quotes), a struct or IntOrString through %#v.
 */
export function invalid(field: string, rendered: string, why: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${rendered}: ${why}` };
}

/**
 * notSupported builds a FieldValueNotSupported error listing the supported values in the given
 * order; render prints the value (by default as renderValue does; kube prints a whole struct
 * for some fields).
 */
export function notSupported(field: string, value: unknown, supported: readonly string[], render: (v: unknown) => string = renderValue): FieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${render(value)}: supported values: ${list}` };
}

/** duplicate builds a FieldValueDuplicate error. */
export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${goValue(value)}` };
}

/** notFound builds a FieldValueNotFound error. */
export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, message: `Not found: ${renderValue(value)}` };
}

/** tooLong builds a FieldValueTooLong error. */
export function tooLong(field: string, max: number): FieldError {
  return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
}

/** pathSegmentsErrors is validatePathNoBacksteps: no ".." segment. */
export function pathSegmentsErrors(p: string, field: string): FieldError[] {
  return p.split('/').includes('..') ? [invalidValue(field, p, "must not contain '..'")] : [];
}

/** localDescendingPath is validateLocalDescendingPath: relative, with no backsteps. */
export function localDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalidValue(field, p, 'must be a relative path'));
  return [...errs, ...pathSegmentsErrors(p, field)];
}

/** dnsLabel checks a DNS-1123 label (container, volume and port names). */
export function dnsLabel(value: string, field: string): FieldError[] {
  return nameErrors(value, 'dns-label').map((why) => invalidValue(field, value, why));
}

/** dnsSubdomain checks a DNS-1123 subdomain (object names referred to from a spec). */
export function dnsSubdomain(value: string, field: string): FieldError[] {
  return nameErrors(value, 'dns-subdomain').map((why) => invalidValue(field, value, why));
}

/** qualifiedName checks a qualified name (label keys, condition types, resource names) at field. */
export function qualifiedName(value: string, field: string): FieldError[] {
  return qualifiedNameErrors(value).map((why) => invalidValue(field, value, why));
}

/** nonNegative is ValidateNonnegativeField. */
export function nonNegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalidValue(field, value, 'must be greater than or equal to 0')] : [];
}

/** portNumErrors is IsValidPortNum's message list. */
export function portNumErrors(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** portNameErrors is IsValidPortName's message list (an IANA_SVC_NAME). */
export function portNameErrors(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** portNumOrName is ValidatePortNumOrName for an int-or-string port. */
export function portNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return portNumErrors(port).map((m) => invalidValue(field, port, m));
  if (typeof port === 'string') return portNameErrors(port).map((m) => invalidValue(field, port, m));
  return portNumErrors(0).map((m) => invalidValue(field, 0, m));
}

/** labelErrors is ValidateLabels for a map at path (node selectors, service selectors, template labels). */
export function labelErrors(labels: unknown, field: string): FieldError[] {
  if (!isObj(labels)) return [];
  return validateLabels(labels, field).map((c) => ({ type: c.reason, field: c.field, message: c.message }));
}

/** tooMany builds a FieldValueTooMany error (field.TooMany with the actual count). */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}
