/**
 * PATCH: the Content-Type names the patch type (JSON patch, JSON merge patch, strategic merge
 * patch, or server-side apply, which also creates); the body is decoded here and the patch is
 * applied by the registry, the one write path for every writer.
 */
import type { ResourceDefinition } from '../../../schemas/types';
import { PATCH_MEDIA_TYPES, applyPatch, type PatchType } from '../../patch/apply-patch';
import { breathe } from '../../registry/generic-registry';
import { validatePatchOptions } from '../../patch/managed-fields';
import { decodeObject, mediaType, parseJson, readBody, unsupportedMediaType } from '../codec';
import { bodyFieldOptions, boolParam, checkWriteOptions, subresourceOf, writeOptions, type RequestContext } from '../request-context';
import { respondObject } from '../respond';

const TYPES = Object.entries(PATCH_MEDIA_TYPES) as Array<[PatchType, string]>;

/**
 * patchTypeOf reads the patch type of a request, or answers 415 with the media types accepted:
 * custom resources have no strategic-merge metadata, and views without a kind (Scale) take no apply.
 */
export function patchTypeOf(ctx: RequestContext, def: ResourceDefinition | undefined): PatchType {
  const type = mediaType(ctx.req.headers['content-type']);
  const accepted = TYPES.filter(([t]) => !(t === 'strategic' && def && !def.definitionName) && !(t === 'apply' && !def));
  const found = accepted.find(([, media]) => media === type);
  if (!found) throw unsupportedMediaType(type, accepted.map(([, media]) => media));
  return found[0];
}

/** applyPatchBody applies the request's (non-apply) patch to a view of an object without a kind of its own (Scale). */
export function applyPatchBody(ctx: RequestContext, target: Record<string, unknown>, body: Buffer): Record<string, unknown> {
  const type = patchTypeOf(ctx, undefined);
  return applyPatch(target, type as Exclude<PatchType, 'apply'>, parseJson(body));
}

/** handlePatch answers PATCH /.../{name}[/status]. */
export async function handlePatch(ctx: RequestContext): Promise<void> {
  const type = patchTypeOf(ctx, ctx.def);
  const isApply = type === 'apply';
  checkWriteOptions(ctx, 'PatchOptions', validatePatchOptions({ apply: isApply, fieldManager: ctx.query.get('fieldManager'), force: ctx.query.get('force') }));
  const raw = await readBody(ctx.req);
  const body = isApply ? await decodeObject(raw, 'application/yaml', 'applied configuration') : parseJson(raw);
  const pause = breathe(raw.length);
  if (pause) await pause;
  const warnings: string[] = [];
  const { object, created } = await ctx.registry.patch(ctx.def, ctx.namespace, ctx.info.name!, { type, body }, {
    ...writeOptions(ctx),
    ...bodyFieldOptions(ctx, raw, warnings),
    subresource: subresourceOf(ctx),
    force: boolParam(ctx.query, 'force') ?? false,
    sizeHint: raw.length,
  });
  respondObject(ctx, created ? 201 : 200, object, warnings);
}
