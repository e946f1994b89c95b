/**
 * applyPatch: JSON patch, JSON merge patch and strategic merge patch applied to a parsed object,
 * with kube-apiserver's limits and errors, for every writer (the registry's patch, and the
 * scale subresource's patch of its Scale view).
 */
import { StatusError, badRequest } from '../../schemas/meta/status-error';
import { builtinPatchSchema } from '../../schemas/patch-metadata';
import { applyJsonPatch } from './json-patch';
import { checkMergePatchBody, jsonMergePatch } from './merge-patch';
import { PatchError } from './patch-error';
import { strategicMergePatch } from './strategic-merge-patch';

/** PatchType names a patch format: json (RFC 6902), merge (RFC 7386), strategic, or apply (server-side apply). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** PATCH_MEDIA_TYPES maps each patch type to the Content-Type that names it. */
export const PATCH_MEDIA_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** MAX_JSON_PATCH_OPERATIONS is kube-apiserver's bound on the operations of one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/**
 * applyPatch applies a parsed patch of a non-apply type to target (the caller's to drop: it may
 * be changed, and the result may share its parts) and returns the result. definitionName names the built-in type whose strategic-merge metadata
 * applies; without it a strategic patch merges as a JSON merge patch (views such as Scale).
 */
export function applyPatch(target: Record<string, unknown>, type: Exclude<PatchType, 'apply'>, patch: unknown, definitionName?: string): Record<string, unknown> {
  let result: unknown;
  try {
    if (type === 'json') {
      if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
        throw new StatusError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
      }
      result = applyJsonPatch(target, patch);
    } else {
      checkMergePatchBody(patch);
      // target is the caller's private copy, dropped after the patch: the result may share its parts.
      if (type === 'merge' || !definitionName) result = jsonMergePatch(target, patch, true);
      else result = strategicMergePatch(target, patch as Record<string, unknown>, builtinPatchSchema(definitionName));
    }
  } catch (err) {
    if (err instanceof PatchError) throw new StatusError(err.code, err.reason, err.statusMessage);
    throw err;
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new StatusError(422, 'Invalid', 'the patch result is not a JSON object');
  }
  return result as Record<string, unknown>;
}
