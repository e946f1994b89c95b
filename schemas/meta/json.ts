/** Helpers for parsed JSON values: the one is-plain-object test, copies, comparison and dotted paths. */

/** JsonMap is a parsed JSON object. */
export type JsonMap = Record<string, unknown>;

/** isPlainObject tells a JSON object from arrays, scalars, null (and Buffers). */
export function isPlainObject(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** cloneJson copies a parsed JSON value, so that the copy shares nothing with the original. */
export function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isPlainObject(value)) {
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v);
    return out;
  }
  return value;
}

/**
 * jsonEqual compares two JSON values by content. Unlike util.isDeepStrictEqual it ignores
 * prototypes, so objects from JSON.parse and from structuredClone compare equal even across
 * realms (jest runs code in a vm context where they differ). Undefined members count as absent.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** valueAt reads a dotted path (`spec.replicas`, a leading dot allowed); undefined where it breaks off. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const p of path.replace(/^\./, '').split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** setValueAt writes a dotted path, creating (or replacing non-object) parents on the way. */
export function setValueAt(obj: JsonMap, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as JsonMap;
  }
  cur[parts[parts.length - 1]] = value;
}
