/** LIST of a resource in one namespace or across all of them. */
import { listQuery, type RequestContext } from '../request-context';
import { respondList } from '../respond';

/** handleList answers GET on a collection. */
export async function handleList(ctx: RequestContext): Promise<void> {
  const page = await ctx.registry.list(ctx.def, ctx.namespace, listQuery(ctx));
  respondList(ctx, page);
}
