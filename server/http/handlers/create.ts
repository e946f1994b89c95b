/** POST of a new object. */
import { decodeObject, readBody } from '../codec';
import { dryRunParam, type RequestContext } from '../request-context';
import { respondObject } from '../respond';
import { fieldChecks } from '../field-checks';
import type { KubeObject } from '../../../schemas/types';

/** handleCreate answers POST on a collection with 201 and the stored object. */
export async function handleCreate(ctx: RequestContext): Promise<void> {
  const raw = await readBody(ctx.req);
  const body = decodeObject(raw, ctx.req.headers['content-type']) as KubeObject;
  const warnings = fieldChecks(ctx.def, ctx.query, body, raw);
  const obj = await ctx.registry.create(ctx.def, ctx.namespace, body, {
    dryRun: dryRunParam(ctx.query),
    fieldManager: ctx.query.get('fieldManager') ?? undefined,
  });
  respondObject(ctx, 201, obj, warnings);
}
