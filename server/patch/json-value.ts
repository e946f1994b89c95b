/** Helpers for parsed JSON values shared by the patch formats and field sets. */

/** JsonMap is a parsed JSON object. */
export type JsonMap = Record<string, unknown>;

/** isMap tells a JSON object from arrays, scalars and null. */
export function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** cloneJson copies a parsed JSON value, so that the copy shares nothing with the original. */
export function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isMap(value)) {
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v);
    return out;
  }
  return value;
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
