/** POST of a new object. */
import { breathe } from '../../registry/generic-registry';
import { decodeTypedObject, readBody, send } from '../codec';
import { ADMIN_USER } from '../../auth/token';
import { StatusError, badRequest } from '../../../schemas/meta/status-error';
import type { RequestWithUser } from '../app';
import { bodyFormat } from '../codec';
import { bodyFieldOptions, checkWriteOptions, writeOptions, type RequestContext } from '../request-context';
import { respondObject } from '../respond';
import type { KubeObject } from '../../../schemas/types';

// answerReview answers a review resource: its status computed, nothing stored. Reviews have
// no object metadata, so Table and PartialObjectMetadata are refused as kube-apiserver does.
function answerReview(ctx: RequestContext, body: KubeObject): void {
  if (ctx.output.as) {
    throw new StatusError(406, 'NotAcceptable', `the resource ${ctx.def.plural}.${ctx.def.group} does not support being converted to a ${ctx.output.as}`);
  }
  const { def } = ctx;
  const want = `${def.group}/${def.version}`;
  if ((body.apiVersion !== undefined && body.apiVersion !== want) || (body.kind !== undefined && body.kind !== def.kind)) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`);
  }
  const user = (ctx.req as RequestWithUser).user ?? ADMIN_USER;
  const answer = def.review!({ ...body, apiVersion: want, kind: def.kind }, user);
  send(ctx.res, 201, JSON.stringify(answer), bodyFormat(ctx.output));
}

/** handleCreate answers POST on a collection with 201 and the stored object. */
export async function handleCreate(ctx: RequestContext): Promise<void> {
  const raw = await readBody(ctx.req);
  checkWriteOptions(ctx, 'CreateOptions');
  const body = (await decodeTypedObject(raw, ctx.req.headers['content-type'], ctx.def.kind)) as KubeObject;
  if (ctx.def.review) return answerReview(ctx, body);
  const pause = breathe(raw.length);
  if (pause) await pause;
  const warnings: string[] = [];
  const fields = bodyFieldOptions(ctx, raw, warnings);
  const again = breathe(raw.length);
  if (again) await again;
  const obj = await ctx.registry.create(ctx.def, ctx.namespace, body, { ...writeOptions(ctx), ...fields, sizeHint: raw.length });
  respondObject(ctx, 201, obj, warnings);
}
