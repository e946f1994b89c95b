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
