/** GET of one object (and of its status subresource, which shows the whole object). */
import type { RequestContext } from '../request-context';
import { respondObject } from '../respond';

/** handleGet answers GET /.../{name} and /.../{name}/status. */
export async function handleGet(ctx: RequestContext): Promise<void> {
  const obj = await ctx.registry.get(ctx.def, ctx.namespace, ctx.info.name!, ctx.query.get('resourceVersion') ?? undefined);
  respondObject(ctx, 200, obj);
}
