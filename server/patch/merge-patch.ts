/**
 * JSON merge patch (RFC 7386, application/merge-patch+json): objects merge key by key, null
 * removes a key, and anything else (arrays included) replaces the target value wholesale.
 */
import { cloneJson, isPlainObject, type JsonMap } from '../../schemas/meta/json';
import { PatchError } from './patch-error';

/**
 * jsonMergePatch applies a merge patch to target and returns the result; neither input is
 * changed. A patch that is not an object replaces the target (RFC 7386 section 2). Keys keep the
 * target's order, new keys follow in the patch's order. The result shares nothing with target,
 * unless shareTarget says the caller owns target and drops it: then target's objects are patched
 * in place and what the patch leaves alone is taken over rather than copied (a one-key patch of
 * a 50,000-key object copied them all).
 */
export function jsonMergePatch(target: unknown, patch: unknown, shareTarget = false): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const out: JsonMap = isPlainObject(target) ? (shareTarget ? target : { ...target }) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined, value, shareTarget);
  }
  // Values taken over from target unchanged are still shared: copy them too.
  if (!shareTarget) {
    for (const key of Object.keys(out)) {
      if (!Object.prototype.hasOwnProperty.call(patch, key)) out[key] = cloneJson(out[key]);
    }
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
