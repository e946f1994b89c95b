/**
 * POST of pods/binding (a core/v1 Binding) and pods/eviction (a policy/v1 or v1beta1 Eviction).
 * Both answer 201 with a Success Status, as kube-apiserver's create handler does for a REST
 * storage that returns one; the work is done in server/registry/pod-subresources.ts.
 */
import { StatusError, badRequest } from '../../../schemas/meta/status-error';
import type { KubeObject } from '../../../schemas/types';
import { bindPod, evictPod } from '../../registry/pod-subresources';
import { bodyFormat, decodeObject, readBody, sendObject } from '../codec';
import { checkWriteOptions, type RequestContext } from '../request-context';
import { deleteOptionsOf } from './delete';

// readSubresourceBody decodes the posted object and checks its version and namespace as kube's
// create handler does before it calls the subresource.
async function readSubresourceBody(ctx: RequestContext, kind: string, versions: string[]): Promise<KubeObject> {
  checkWriteOptions(ctx, 'CreateOptions');
  const body = (await decodeObject(await readBody(ctx.req), ctx.req.headers['content-type'], kind)) as KubeObject;
  if (body.apiVersion !== undefined && !versions.includes(String(body.apiVersion))) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${versions[0]})`);
  }
  if (body.kind !== undefined && body.kind !== kind) throw badRequest(`not a ${kind} object: ${String(body.kind)}`);
  const meta = (body.metadata ??= {});
  if (meta.namespace && meta.namespace !== ctx.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = ctx.namespace;
  return body;
}

function created(ctx: RequestContext): void {
  sendObject(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, bodyFormat(ctx.output));
}

/** handleBinding answers POST .../pods/{name}/binding. */
export async function handleBinding(ctx: RequestContext): Promise<void> {
  const binding = await readSubresourceBody(ctx, 'Binding', ['v1']);
  await bindPod(ctx.registry, ctx.def, ctx.namespace!, ctx.info.name!, binding, ctx.query.getAll('dryRun').length > 0);
  created(ctx);
}

/** handleEviction answers POST .../pods/{name}/eviction. */
export async function handleEviction(ctx: RequestContext): Promise<void> {
  const eviction = await readSubresourceBody(ctx, 'Eviction', ['policy/v1', 'policy/v1beta1']);
  const name = ctx.info.name!;
  if ((eviction.metadata?.name ?? '') !== name) throw badRequest('name in URL does not match name in Eviction object');
  const requested = eviction.deleteOptions;
  if (requested !== undefined && requested !== null && (typeof requested !== 'object' || Array.isArray(requested))) {
    throw badRequest(`Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal ${Array.isArray(requested) ? 'array' : typeof requested} into Go struct field Eviction.deleteOptions of type v1.DeleteOptions`);
  }
  const options = deleteOptionsOf((requested ?? {}) as Record<string, unknown>);
  // propagateDryRun: the request's dryRun fills in for the Eviction's, and both must agree.
  const queryDryRun = ctx.query.getAll('dryRun');
  const bodyDryRun = ((requested ?? {}) as { dryRun?: string[] }).dryRun ?? [];
  if (bodyDryRun.length === 0) options.dryRun = queryDryRun.length > 0;
  else if (queryDryRun.length > 0 && JSON.stringify(queryDryRun) !== JSON.stringify(bodyDryRun)) {
    throw new StatusError(500, '', `Non-matching dry-run options in request and content: [${queryDryRun.join(' ')}] and [${bodyDryRun.join(' ')}]`);
  }
  await evictPod({ registry: ctx.registry, resources: ctx.resources, pods: ctx.def }, ctx.namespace!, name, options);
  created(ctx);
}
