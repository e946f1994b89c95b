/**
 * Container resource requirements with kube-apiserver's messages
 * (ValidateContainerResourceRequirements, ValidateResourceQuantityValue): standard and
 * extended resource names, quantities, and requests against limits.
 */
import type { FieldError } from '../types';
import { compareQuantity, milliValue } from '../meta/quantity';
import { qualifiedNameErrors } from '../meta/object-meta';
import { invalidValue, objAt, qualifiedName, required } from './field-errors';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const isHugePages = (name: string) => name.startsWith('hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
const overcommitAllowed = (name: string) => isNative(name) && !isHugePages(name);
const isExtended = (name: string) => !isNative(name) && !name.startsWith('requests.') && qualifiedNameErrors(`requests.${name}`).length === 0;

/** resourceQuantityErrors is ValidateResourceQuantityValue: not negative, whole for integer resources. */
export function resourceQuantityErrors(resource: string, value: unknown, field: string): FieldError[] {
  const q = String(value);
  try {
    if (compareQuantity(q, '0') < 0) return [invalidValue(field, q, 'must be greater than or equal to 0')];
    if (isExtended(resource) && milliValue(q) % 1000 !== 0) return [invalidValue(field, q, 'must be an integer')];
  } catch {
    // An unparsable quantity is reported by the registry's quantity check.
  }
  return [];
}

function containerResourceName(name: string, field: string): FieldError[] {
  const errs = qualifiedName(name, field);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) errs.push(invalidValue(field, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    errs.push(invalidValue(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function safeCompare(a: unknown, b: unknown): number {
  try {
    return compareQuantity(String(a), String(b));
  } catch {
    return 0;
  }
}

/** validateResourceRequirements is ValidateContainerResourceRequirements ("must be less than or equal to cpu limit of 1"). */
export function validateResourceRequirements(resources: unknown, field: string): FieldError[] {
  const limits = objAt(resources, 'limits') ?? {};
  const requests = objAt(resources, 'requests') ?? {};
  const limPath = `${field}.limits`;
  const reqPath = `${field}.requests`;
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(limits)) {
    errs.push(...containerResourceName(name, `${limPath}[${name}]`), ...resourceQuantityErrors(name, q, `${limPath}[${name}]`));
  }
  for (const [name, q] of Object.entries(requests)) {
    errs.push(...containerResourceName(name, `${reqPath}[${name}]`), ...resourceQuantityErrors(name, q, `${reqPath}[${name}]`));
    if (name in limits) {
      const cmp = safeCompare(q, limits[name]);
      if (cmp !== 0 && !overcommitAllowed(name)) errs.push(invalidValue(reqPath, String(q), `must be equal to ${name} limit of ${String(limits[name])}`));
      else if (cmp > 0) errs.push(invalidValue(reqPath, String(q), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}
