/**
 * Resource lists (resource name → quantity) and the arithmetic quota needs on them, as kube's
 * k8s.io/apiserver/pkg/quota/v1 resources.go: add, subtract, mask, compare against hard limits.
 * Sums are exact (quantities are decimals, never floats) and print as Quantity.Add prints them:
 * in the first operand's format, or the second's when the first is zero.
 */
import { Quantity, compareQuantity, readQuantity } from '../../schemas/meta/quantity';

/** toQuantity parses a stored quantity; what does not parse (validation refuses it) is undefined. */
export const toQuantity = readQuantity;

/** ResourceList maps a resource name (cpu, requests.memory, count/pods, ...) to a quantity. */
export type ResourceList = Record<string, Quantity>;

/** ZERO is an empty DecimalSI quantity, what kube's `resource.Quantity{Format: DecimalSI}` is. */
export const ZERO = new Quantity(0n, 0, 'DecimalSI');

/** ONE is the quantity 1, the usage of one counted object. */
export const ONE = new Quantity(1n, 0, 'DecimalSI');

/** parseResourceList reads a stored map of quantities, leaving out entries that do not parse. */
export function parseResourceList(v: unknown): ResourceList {
  const out: ResourceList = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    const q = toQuantity(raw);
    if (q) out[k] = q;
  }
  return out;
}

/** serializeResourceList is the map as the API stores it: names to canonical strings. */
export function serializeResourceList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(list).sort()) out[k] = list[k].toString();
  return out;
}

/** addQuantity is Quantity.Add: exact, in a's format unless a is zero. */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  if (a.sign === 0) return b;
  if (b.sign === 0) return a;
  // Operands more than 1000 decimal orders apart would need an absurd mantissa; the larger stands for the sum.
  if (Math.abs(a.scale - b.scale) > 1000) return compareQuantity(abs(a), abs(b)) >= 0 ? a : b;
  const scale = Math.min(a.scale, b.scale);
  const unscaled = a.unscaled * 10n ** BigInt(a.scale - scale) + b.unscaled * 10n ** BigInt(b.scale - scale);
  return new Quantity(unscaled, scale, a.format);
}

/** subtractQuantity is Quantity.Sub: a - b in a's format. */
export function subtractQuantity(a: Quantity, b: Quantity): Quantity {
  return addQuantity(a.sign === 0 ? new Quantity(0n, 0, a.format) : a, new Quantity(-b.unscaled, b.scale, b.format));
}

function abs(q: Quantity): Quantity {
  return q.sign < 0 ? new Quantity(-q.unscaled, q.scale, q.format) : q;
}

/** add is quota.Add: every key of a and b, summed where both have it. */
export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, q] of Object.entries(b)) out[k] = out[k] ? addQuantity(out[k], q) : q;
  return out;
}

/** subtractNonNegative is quota.SubtractWithNonNegativeResult: a - b per key of a, never below zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, q] of Object.entries(a)) {
    const d = b[k] ? subtractQuantity(q, b[k]) : q;
    out[k] = d.sign < 0 ? new Quantity(0n, 0, q.format) : d;
  }
  return out;
}

/** mask is quota.Mask: only the entries whose names are listed. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (list[n]) out[n] = list[n];
  return out;
}

/** removeZeros is quota.RemoveZeros. */
export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, q] of Object.entries(list)) if (q.sign !== 0) out[k] = q;
  return out;
}

/** negativeNames lists the names of negative quantities (quota.IsNegative). */
export function negativeNames(list: ResourceList): string[] {
  return Object.keys(list).filter((k) => list[k].sign < 0);
}

/** equals is quota.Equals: the same names with equal values (formats aside). */
export function equals(a: ResourceList, b: ResourceList): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && compareQuantity(a[k], b[k]) === 0);
}

/**
 * lessThanOrEqual is quota.LessThanOrEqual: whether every entry of a that b limits is within it,
 * and the names that are not.
 */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, q] of Object.entries(a)) {
    const limit = b[k];
    if (limit && compareQuantity(q, limit) > 0) exceeded.push(k);
  }
  return { allowed: exceeded.length === 0, exceeded };
}

/** prettyPrint renders a list as kube's quota messages do: name=value pairs sorted by name, joined by commas. */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((k) => `${k}=${list[k].toString()}`)
    .join(',');
}

/** maxInto raises each entry of into to other's where other's is larger (quota.Max, in place). */
export function maxInto(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of Object.entries(other)) if (!into[k] || compareQuantity(q, into[k]) > 0) into[k] = q;
}
