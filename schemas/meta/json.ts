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

/** JsonExtent is how large and how deeply nested a parsed JSON value is, as far as it was measured. */
export interface JsonExtent {
  /** bytes of the value serialised as compact JSON (string escapes aside), up to where measuring stopped */
  bytes: number;
  /** the deepest nesting of objects and arrays seen (a scalar is 0, {} is 1) */
  depth: number;
  /** measuring stopped because bytes passed maxBytes */
  tooLarge: boolean;
  /** measuring stopped because depth passed maxDepth */
  tooDeep: boolean;
}

/**
 * jsonExtent measures value without serialising it and without recursion, stopping as soon as
 * it is larger than maxBytes or deeper than maxDepth, so a hostile value (a deep chain, or one
 * object reached through many references as YAML aliases make) costs at most that much work.
 * A value reached twice counts twice, as JSON.stringify would write it twice.
 */
export function jsonExtent(value: unknown, maxBytes = Infinity, maxDepth = Infinity): JsonExtent {
  const out: JsonExtent = { bytes: 0, depth: 0, tooLarge: false, tooDeep: false };
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    if (typeof v === 'string') out.bytes += Buffer.byteLength(v) + 2;
    else if (typeof v === 'number') out.bytes += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') out.bytes += v ? 4 : 5;
    else if (v === null || typeof v !== 'object') out.bytes += 4;
    else {
      const depth = d + 1;
      if (depth > out.depth) out.depth = depth;
      if (depth > maxDepth) {
        out.tooDeep = true;
        return out;
      }
      out.bytes += 2;
      if (Array.isArray(v)) {
        out.bytes += Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) {
          values.push(v[i]);
          depths.push(depth);
        }
      } else {
        const keys = Object.keys(v);
        out.bytes += Math.max(0, keys.length - 1);
        for (const k of keys) {
          out.bytes += Buffer.byteLength(k) + 3;
          values.push((v as JsonMap)[k]);
          depths.push(depth);
        }
      }
    }
    if (out.bytes > maxBytes) {
      out.tooLarge = true;
      return out;
    }
  }
  return out;
}
