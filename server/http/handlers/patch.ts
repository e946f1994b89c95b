/**
 * PATCH: JSON patch, JSON merge patch and strategic merge patch applied to the stored object
 * (or to the status or scale view of it), then written through the registry's update path.
 */
import { applyJsonPatch } from '../../patch/json-patch';
import { checkMergePatchBody, jsonMergePatch } from '../../patch/merge-patch';
import { strategicMergePatch } from '../../patch/strategic-merge-patch';
import { PatchError } from '../../patch/patch-error';
import { builtinPatchSchema } from '../../../schemas/patch-metadata';
import type { KubeObject, ResourceDefinition } from '../../../schemas/types';
import { StatusError, badRequest } from '../../registry/status-error';
import { mediaType, parseJson, readBody, unsupportedMediaType } from '../codec';
import { dryRunParam, subresourceOf, type RequestContext } from '../request-context';
import { respondObject } from '../respond';
import { fieldChecks } from '../field-checks';

const MAX_JSON_PATCH_OPERATIONS = 10_000;
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/**
 * applyPatchBody applies the request's patch to target. def is the kind whose strategic-merge
 * metadata applies, or undefined for views without it (Scale).
 */
export function applyPatchBody(ctx: RequestContext, target: Record<string, unknown>, body: Buffer, def: ResourceDefinition | undefined): Record<string, unknown> {
  const type = mediaType(ctx.req.headers['content-type']);
  // Custom resources have no strategic-merge metadata; kube-apiserver refuses that patch type for them.
  const accepted = def && !def.definitionName ? PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json') : PATCH_TYPES;
  if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
  const patch = parseJson(body);
  let result: unknown;
  try {
    if (type === 'application/json-patch+json') {
      if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
        throw new StatusError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
      }
      result = applyJsonPatch(target, patch);
    } else {
      checkMergePatchBody(patch);
      if (type === 'application/merge-patch+json' || !def?.definitionName) result = jsonMergePatch(target, patch);
      else result = strategicMergePatch(target, patch as Record<string, unknown>, builtinPatchSchema(def.definitionName));
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

/** handlePatch answers PATCH /.../{name}[/status]. */
export async function handlePatch(ctx: RequestContext): Promise<void> {
  const body = await readBody(ctx.req);
  let warnings: string[] = [];
  const obj = await ctx.registry.guaranteedUpdate(
    ctx.def,
    ctx.namespace,
    ctx.info.name!,
    (current) => {
      // A resourceVersion left in the result came from the patch itself: a precondition.
      if (current.metadata) delete current.metadata.resourceVersion;
      const patched = applyPatchBody(ctx, current, body, ctx.def) as KubeObject;
      warnings = fieldChecks(ctx.def, ctx.query, patched, body);
      return patched;
    },
    {
      dryRun: dryRunParam(ctx.query),
      fieldManager: ctx.query.get('fieldManager') ?? undefined,
      subresource: subresourceOf(ctx),
    },
    true,
  );
  respondObject(ctx, 200, obj, warnings);
}
