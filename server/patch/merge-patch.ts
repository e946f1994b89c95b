/**
 * JSON merge patch (RFC 7386, application/merge-patch+json): objects merge key by key, null
 * removes a key, and anything else (arrays included) replaces the target value wholesale.
 */
import { PatchError } from './patch-error';

/** JsonObject is a parsed JSON object. */
type JsonObject = Record<string, unknown>;

/** isJsonObject tells a JSON object from arrays, scalars and null. */
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** cloneJson copies a parsed JSON value so that the result shares nothing with the inputs. */
function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v);
    return out;
  }
  return value;
}

/**
 * jsonMergePatch applies a merge patch to target and returns the result; neither input is
 * changed. A patch that is not an object replaces the target (RFC 7386 section 2). Keys keep the
 * target's order, new keys follow in the patch's order.
 */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined, value);
  }
  // Values taken over from target unchanged are still shared: copy them too.
  for (const key of Object.keys(out)) {
    if (!Object.prototype.hasOwnProperty.call(patch, key)) out[key] = cloneJson(out[key]);
  }
  return out;
}

/**
 * checkMergePatchBody rejects a merge patch body that kube-apiserver rejects before applying it:
 * JSON null and scalars, with 400 "Invalid JSON Patch" (evanphx/json-patch's ErrBadJSONPatch).
 * Objects and arrays pass; an array replaces the whole object and then fails decoding.
 */
export function checkMergePatchBody(patch: unknown): void {
  if (patch === null || typeof patch !== 'object') throw new PatchError('Invalid JSON Patch', 400);
}
