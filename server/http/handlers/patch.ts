/**
 * PATCH: JSON patch, JSON merge patch and strategic merge patch applied to the stored object
 * (or to the status or scale view of it), then written through the registry's update path.
 */
import { applyJsonPatch } from '../../patch/json-patch';
import { jsonMergePatch } from '../../patch/merge-patch';
import { strategicMergePatch } from '../../patch/strategic-merge-patch';
import { PatchError } from '../../patch/patch-error';
import { builtinPatchSchema, customPatchSchema } from '../../../schemas/patch-metadata';
import type { KubeObject, ResourceDefinition } from '../../../schemas/types';
import { StatusError, badRequest } from '../../registry/status-error';
import { mediaType, parseJson, readBody, unsupportedMediaType } from '../codec';
import { dryRunParam, type RequestContext } from '../request-context';
import { respondObject } from '../respond';
import { fieldChecks } from '../field-checks';

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/**
 * applyPatchBody applies the request's patch to target. def is the kind whose strategic-merge
 * metadata applies, or undefined for views without it (Scale).
 */
export function applyPatchBody(ctx: RequestContext, target: Record<string, unknown>, body: Buffer, def: ResourceDefinition | undefined): Record<string, unknown> {
  const type = mediaType(ctx.req.headers['content-type']);
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(type, PATCH_TYPES);
  const patch = parseJson(body);
  let result: unknown;
  try {
    if (type === 'application/json-patch+json') {
      if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      result = applyJsonPatch(target, patch);
    } else {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
        throw badRequest('the patch must be a JSON object');
      }
      if (type === 'application/merge-patch+json' || !def) result = jsonMergePatch(target, patch);
      else {
        const schema = def.definitionName ? builtinPatchSchema(def.definitionName) : customPatchSchema(def);
        result = strategicMergePatch(target, patch as Record<string, unknown>, schema);
      }
    }
  } catch (err) {
    if (err instanceof PatchError) throw new StatusError(422, 'Invalid', err.message);
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
      subresource: ctx.info.subresource === 'status' ? 'status' : undefined,
    },
    true,
  );
  respondObject(ctx, 200, obj, warnings);
}
