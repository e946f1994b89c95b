/** PUT of an object or of its status subresource. */
import { breathe } from '../../registry/generic-registry';
import { decodeTypedObject, readBody } from '../codec';
import { bodyFieldOptions, checkWriteOptions, writeOptions, subresourceOf, type RequestContext } from '../request-context';
import { respondObject } from '../respond';
import type { KubeObject } from '../../../schemas/types';

/** handleUpdate answers PUT /.../{name}[/status]. */
export async function handleUpdate(ctx: RequestContext): Promise<void> {
  const raw = await readBody(ctx.req);
  checkWriteOptions(ctx, 'UpdateOptions');
  const body = (await decodeTypedObject(raw, ctx.req.headers['content-type'], ctx.def.kind)) as KubeObject;
  const pause = breathe(raw.length);
  if (pause) await pause;
  const warnings: string[] = [];
  const fields = bodyFieldOptions(ctx, raw, warnings);
  const again = breathe(raw.length);
  if (again) await again;
  const obj = await ctx.registry.update(ctx.def, ctx.namespace, ctx.info.name!, body, {
    ...writeOptions(ctx),
    ...fields,
    sizeHint: raw.length,
    subresource: subresourceOf(ctx),
  });
  respondObject(ctx, 200, obj, warnings);
}
