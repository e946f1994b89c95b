/**
 * The scale subresource: an autoscaling/v1 Scale view of an object's replicas, read from and
 * written to the paths its ResourceDefinition names.
 */
import { setValueAt, valueAt } from '../../../schemas/meta/json';
import type { KubeObject, ResourceDefinition } from '../../../schemas/types';
import { formatLabelSelector, type LabelSelectorObject } from '../../../schemas/meta/selectors';
import { badRequest, conflict } from '../../../schemas/meta/status-error';
import { bodyFormat, decodeObject, mediaType, readBody, sendObject } from '../codec';
import { checkWriteOptions, writeOptions, type RequestContext } from '../request-context';
import { validatePatchOptions } from '../../patch/managed-fields';
import { applyPatchBody } from './patch';

/** scaleOf builds the Scale of an object. */
export function scaleOf(def: ResourceDefinition, obj: Readonly<KubeObject>): Record<string, unknown> {
  const sub = def.subresources.scale!;
  const meta = obj.metadata ?? {};
  const status: Record<string, unknown> = { replicas: Number(valueAt(obj, sub.statusReplicasPath) ?? 0) };
  if (sub.labelSelectorPath) {
    const sel = valueAt(obj, sub.labelSelectorPath);
    if (typeof sel === 'string') status.selector = sel;
    else if (sel && typeof sel === 'object') {
      const s = sel as Record<string, unknown>;
      // Built-ins keep a LabelSelector (or, for replication controllers, a plain label map).
      status.selector = 'matchLabels' in s || 'matchExpressions' in s ? formatLabelSelector(s as LabelSelectorObject) : formatLabelSelector({ matchLabels: s as Record<string, string> });
    }
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: Number(valueAt(obj, sub.specReplicasPath) ?? 0) },
    status,
  };
}

/** handleGetScale answers GET .../scale. */
export async function handleGetScale(ctx: RequestContext): Promise<void> {
  const obj = await ctx.registry.get(ctx.def, ctx.namespace, ctx.info.name!);
  sendObject(ctx.res, 200, scaleOf(ctx.def, ctx.registry.decode(obj)), bodyFormat(ctx.output));
}

async function writeScale(ctx: RequestContext, scaleFrom: (current: Record<string, unknown>) => Promise<Record<string, unknown>>): Promise<void> {
  const { def } = ctx;
  const sub = def.subresources.scale!;
  const stored = await ctx.registry.guaranteedUpdate(
    def,
    ctx.namespace,
    ctx.info.name!,
    async (current) => {
      const scale = await scaleFrom(scaleOf(def, current));
      const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
      if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas))) {
        throw badRequest(`Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
      }
      const rv = (scale.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (rv && rv !== current.metadata?.resourceVersion) throw conflict({ group: def.group, resource: def.plural }, ctx.info.name!);
      setValueAt(current, sub.specReplicasPath, replicas ?? 0);
      return current;
    },
    { ...writeOptions(ctx), subresource: 'scale' },
  );
  const obj = stored.revision ? ctx.registry.decode(stored) : JSON.parse(stored.raw);
  sendObject(ctx.res, 200, scaleOf(def, obj), bodyFormat(ctx.output));
}

/** handleUpdateScale answers PUT .../scale with a Scale body. */
export async function handleUpdateScale(ctx: RequestContext): Promise<void> {
  checkWriteOptions(ctx, 'UpdateOptions');
  const body = await decodeObject(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (body.kind !== undefined && body.kind !== 'Scale') throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Scale)`);
  await writeScale(ctx, async () => body);
}

/** handlePatchScale answers PATCH .../scale: the patch applies to the Scale view. */
export async function handlePatchScale(ctx: RequestContext): Promise<void> {
  const apply = mediaType(ctx.req.headers['content-type']) === 'application/apply-patch+yaml';
  checkWriteOptions(ctx, 'PatchOptions', validatePatchOptions({ apply, fieldManager: ctx.query.get('fieldManager'), force: ctx.query.get('force') }));
  const body = await readBody(ctx.req);
  await writeScale(ctx, async (scale) => applyPatchBody(ctx, scale, body));
}
