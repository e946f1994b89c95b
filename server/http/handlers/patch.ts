/**
 * PATCH: JSON patch, JSON merge patch and strategic merge patch applied to the stored object
 * (or to the status or scale view of it), and server-side apply (application/apply-patch+yaml,
 * which also creates), all written through the registry's create and update paths.
 */
import { breathe } from '../../registry/generic-registry';
import { applyJsonPatch } from '../../patch/json-patch';
import { checkMergePatchBody, jsonMergePatch } from '../../patch/merge-patch';
import { strategicMergePatch } from '../../patch/strategic-merge-patch';
import { PatchError } from '../../patch/patch-error';
import { builtinPatchSchema } from '../../../schemas/patch-metadata';
import type { KubeObject, ResourceDefinition } from '../../../schemas/types';
import { StatusError, badRequest } from '../../../schemas/meta/status-error';
import { mediaType, parseJson, readBody, unsupportedMediaType } from '../codec';
import { boolParam, checkWriteOptions, subresourceOf, writeOptions, type RequestContext } from '../request-context';
import { apply } from '../../patch/server-side-apply';
import { defaultResetFields, validatePatchOptions } from '../../patch/managed-fields';
import { decodeObject } from '../codec';
import { respondObject } from '../respond';
import { fieldChecks } from '../field-checks';

const MAX_JSON_PATCH_OPERATIONS = 10_000;
const APPLY = 'application/apply-patch+yaml';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', APPLY];

/**
 * applyPatchBody applies the request's patch to target, which the caller owns and drops: the
 * result may share parts of it. def is the kind whose strategic-merge metadata applies, or
 * undefined for views without it (Scale).
 */
export function applyPatchBody(ctx: RequestContext, target: Record<string, unknown>, body: Buffer, def: ResourceDefinition | undefined): Record<string, unknown> {
  const type = mediaType(ctx.req.headers['content-type']);
  // Custom resources have no strategic-merge metadata; kube-apiserver refuses that patch type for them.
  const accepted = def && !def.definitionName ? PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json') : PATCH_TYPES;
  if (!accepted.includes(type) || type === APPLY) throw unsupportedMediaType(type, accepted.filter((t) => t !== APPLY || def !== undefined));
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
      // target is the caller's private copy, dropped after the patch.
      if (type === 'application/merge-patch+json' || !def?.definitionName) result = jsonMergePatch(target, patch, true);
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
  const isApply = mediaType(ctx.req.headers['content-type']) === APPLY;
  checkWriteOptions(ctx, 'PatchOptions', validatePatchOptions({ apply: isApply, fieldManager: ctx.query.get('fieldManager'), force: ctx.query.get('force') }));
  if (isApply) return handleApply(ctx);
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
    { ...writeOptions(ctx), subresource: subresourceOf(ctx) },
    true,
  );
  respondObject(ctx, 200, obj, warnings);
}

// handleApply merges an applied configuration with field ownership: it creates the object when
// it does not exist, and answers 409 with one cause per conflicting field unless force=true.
async function handleApply(ctx: RequestContext): Promise<void> {
  const { def, registry } = ctx;
  const raw = await readBody(ctx.req);
  const applied = decodeObject(raw, 'application/yaml', 'applied configuration') as KubeObject;
  let pause = breathe(raw.length);
  if (pause) await pause;
  const warnings = fieldChecks(def, ctx.query, applied, raw);
  if ((pause = breathe(raw.length))) await pause;
  const options = writeOptions(ctx);
  const manager = registry.managerOf(options);
  const force = boolParam(ctx.query, 'force') ?? false;
  const schema = registry.patchSchema(def);
  const subresource = subresourceOf(ctx);
  const applySub = subresource === 'status' ? 'status' : undefined;
  const applyOptions = {
    apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    kind: def.kind,
    subresource: applySub,
    resetFields: defaultResetFields(applySub, !!def.subresources.status),
  };
  const name = ctx.info.name!;
  const appliedName = applied.metadata?.name;
  if (appliedName !== undefined && appliedName !== name) throw badRequest(`the name of the object (${appliedName}) does not match the name on the URL (${name})`);
  let exists = true;
  try {
    await registry.get(def, ctx.namespace, name);
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 404) || subresource) throw err;
    exists = false;
  }
  if (!exists) {
    const created = apply(undefined, { ...applied, metadata: { ...applied.metadata, name } }, manager, force, schema, undefined, new Date(), applyOptions);
    const obj = await registry.create(def, ctx.namespace, created.object, { ...options, managedFieldsDone: true });
    return respondObject(ctx, 201, obj, warnings);
  }
  const obj = await registry.guaranteedUpdate(
    def,
    ctx.namespace,
    name,
    (current) => apply(current, applied, manager, force, schema, undefined, new Date(), applyOptions).object,
    { ...options, subresource, managedFieldsDone: true, sizeHint: raw.length },
  );
  respondObject(ctx, 200, obj, warnings);
}
