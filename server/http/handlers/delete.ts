/** DELETE of one object, and of a collection. */
import type { DeleteOptions } from '../../registry/generic-registry';
import { badRequest } from '../../../schemas/meta/status-error';
import { decodeObject, readBody, send, sendObject } from '../codec';
import { dryRunParam, intParam, listQuery, type RequestContext } from '../request-context';
import { successStatus } from '../respond';

/** deleteOptions merges DeleteOptions from the body (if any) and the query parameters. */
export async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const raw = await readBody(ctx.req);
  const body = raw.length ? (decodeObject(raw, ctx.req.headers['content-type'], 'DeleteOptions') as Record<string, unknown>) : {};
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`expected DeleteOptions, got ${String(body.kind)}`);
  const q = ctx.query;
  const grace = intParam(q, 'gracePeriodSeconds') ?? (body.gracePeriodSeconds as number | undefined);
  if (grace !== undefined && (typeof grace !== 'number' || grace < 0)) throw badRequest('gracePeriodSeconds must be a non-negative integer');
  let policy = (q.get('propagationPolicy') ?? body.propagationPolicy) as string | undefined;
  const orphan = q.get('orphanDependents') ?? body.orphanDependents;
  if (policy === undefined && (orphan === true || orphan === 'true')) policy = 'Orphan';
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.length > 0;
  if (bodyDryRun && (body.dryRun as unknown[]).some((v) => v !== 'All')) throw badRequest('dryRun: Unsupported value: supported values: "All"');
  return {
    gracePeriodSeconds: grace,
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    preconditions: body.preconditions as DeleteOptions['preconditions'],
    dryRun: dryRunParam(q) || bodyDryRun,
  };
}

/** handleDelete answers DELETE /.../{name}: 200 when gone, 202 while finalizers hold it. */
export async function handleDelete(ctx: RequestContext): Promise<void> {
  const options = await deleteOptions(ctx);
  const result = await ctx.registry.delete(ctx.def, ctx.namespace, ctx.info.name!, options);
  if (!result.deleted) return send(ctx.res, 202, result.raw, ctx.output.format);
  if (ctx.def.returnDeletedObject) return send(ctx.res, 200, result.raw, ctx.output.format);
  const uid = (JSON.parse(result.raw) as { metadata?: { uid?: string } }).metadata?.uid;
  sendObject(ctx.res, 200, successStatus(ctx.def, ctx.info.name!, uid), ctx.output.format);
}

/** handleDeleteCollection answers DELETE on a collection with the list of what it deleted. */
export async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  const options = await deleteOptions(ctx);
  const query = listQuery(ctx);
  const results = await ctx.registry.deleteCollection(ctx.def, ctx.namespace, query, options);
  const { def } = ctx;
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const body = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":{},"items":[${results.map((r) => r.raw).join(',')}]}`;
  send(ctx.res, 200, body, ctx.output.format);
}
