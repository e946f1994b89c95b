/** DELETE of one object, and of a collection. */
import type { FieldError } from '../../../schemas/types';
import type { DeleteOptions } from '../../registry/generic-registry';
import { badRequest, invalid } from '../../../schemas/meta/status-error';
import { bodyFormat, decodeObject, readBody, send, sendObject } from '../codec';
import { boolParam, dryRunErrors, goQuote, intParam, listQuery, notSupported, writeOptions, type RequestContext } from '../request-context';
import { successStatus } from '../respond';

/** RequestDeleteOptions are the registry's DeleteOptions plus the deprecated orphanDependents as sent. */
export type RequestDeleteOptions = DeleteOptions & { orphanDependents?: boolean };

interface RawDeleteOptions {
  gracePeriodSeconds?: number;
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun: unknown[];
  preconditions?: DeleteOptions['preconditions'];
}

// goType names a JSON value's type the way encoding/json's UnmarshalTypeError does.
function goType(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;
}

function typed<T>(body: Record<string, unknown>, field: string, want: string, ok: (v: unknown) => boolean): T | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!ok(v)) throw badRequest(`json: cannot unmarshal ${goType(v)} into Go struct field DeleteOptions.${field} of type ${want}`);
  return v as T;
}

// fromBody reads DeleteOptions from a request body.
function fromBody(body: Record<string, unknown>): RawDeleteOptions {
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`expected DeleteOptions, got ${String(body.kind)}`);
  const dryRun = typed<unknown[]>(body, 'dryRun', '[]string', Array.isArray) ?? [];
  if (dryRun.some((v) => typeof v !== 'string')) throw badRequest('json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string');
  return {
    gracePeriodSeconds: typed<number>(body, 'gracePeriodSeconds', 'int64', Number.isInteger),
    orphanDependents: typed<boolean>(body, 'orphanDependents', 'bool', (v) => typeof v === 'boolean'),
    propagationPolicy: typed<string>(body, 'propagationPolicy', 'v1.DeletionPropagation', (v) => typeof v === 'string'),
    dryRun,
    preconditions: typed<DeleteOptions['preconditions']>(body, 'preconditions', 'v1.Preconditions', (v) => goType(v) === 'object'),
  };
}

// fromQuery reads DeleteOptions from the query, as Convert_url_Values_To_v1_DeleteOptions does:
// uid and resourceVersion become preconditions.
function fromQuery(q: URLSearchParams): RawDeleteOptions {
  const uid = q.get('uid') || undefined;
  const resourceVersion = q.get('resourceVersion') || undefined;
  return {
    gracePeriodSeconds: intParam(q, 'gracePeriodSeconds'),
    orphanDependents: boolParam(q, 'orphanDependents'),
    propagationPolicy: q.get('propagationPolicy') ?? undefined,
    dryRun: q.getAll('dryRun'),
    preconditions: uid || resourceVersion ? { uid, resourceVersion } : undefined,
  };
}

/**
 * deleteOptions reads DeleteOptions as kube-apiserver does: from the body when there is one
 * (the query is then not read at all), else from the query; validates them (422 Invalid
 * DeleteOptions.meta.k8s.io) and maps them to the registry's options. A negative grace period
 * is one second.
 */
export async function deleteOptions(ctx: RequestContext): Promise<RequestDeleteOptions> {
  const raw = await readBody(ctx.req);
  const options = checked(raw.length ? fromBody(await decodeObject(raw, ctx.req.headers['content-type'], 'DeleteOptions')) : fromQuery(ctx.query));
  const { user, addWarning } = writeOptions(ctx);
  return { ...options, user, addWarning };
}

/** deleteOptionsOf reads and validates DeleteOptions carried inside another object (an Eviction's deleteOptions). */
export function deleteOptionsOf(body: Record<string, unknown>): RequestDeleteOptions {
  return checked(fromBody(body));
}

function checked(o: RawDeleteOptions): RequestDeleteOptions {
  const errs: FieldError[] = [];
  const policy = o.propagationPolicy;
  if (o.orphanDependents !== undefined && policy !== undefined) {
    errs.push({ type: 'FieldValueInvalid', field: 'propagationPolicy', message: `Invalid value: ${goQuote(policy)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    errs.push(notSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  errs.push(...dryRunErrors(o.dryRun));
  if (errs.length) throw invalid('DeleteOptions', 'meta.k8s.io', '', errs);
  const grace = o.gracePeriodSeconds;
  return {
    gracePeriodSeconds: grace !== undefined && grace < 0 ? 1 : grace,
    // The deprecated orphanDependents overrides everything, as in kube's shouldOrphanDependents:
    // true is Orphan, and false takes both collector finalizers away, which is Background.
    propagationPolicy: (o.orphanDependents === undefined ? policy : o.orphanDependents ? 'Orphan' : 'Background') as DeleteOptions['propagationPolicy'],
    preconditions: o.preconditions,
    dryRun: o.dryRun.length > 0,
    orphanDependents: o.orphanDependents,
  };
}

/**
 * handleDelete answers DELETE /.../{name}: 200 with a Status (or the object, for kinds that
 * return it) when gone; while finalizers or a grace period hold it, 200 with the object, or 202
 * when the request set orphanDependents=false, as kube-apiserver answers.
 */
export async function handleDelete(ctx: RequestContext): Promise<void> {
  const options = await deleteOptions(ctx);
  const result = await ctx.registry.delete(ctx.def, ctx.namespace, ctx.info.name!, options);
  const format = bodyFormat(ctx.output);
  if (!result.deleted) return send(ctx.res, options.orphanDependents === false ? 202 : 200, result.raw, format);
  if (ctx.def.returnDeletedObject) return send(ctx.res, 200, result.raw, format);
  const uid = result.uid ?? (JSON.parse(result.raw) as { metadata?: { uid?: string } }).metadata?.uid;
  sendObject(ctx.res, 200, successStatus(ctx.def, ctx.info.name!, uid), format);
}

/** handleDeleteCollection answers DELETE on a collection with the list of what it deleted. */
export async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  const query = listQuery(ctx);
  // The collection's resourceVersion is a list parameter here, not a precondition on each item.
  const { preconditions: _unused, ...options } = await deleteOptions(ctx);
  const results = await ctx.registry.deleteCollection(ctx.def, ctx.namespace, query, options);
  const { def } = ctx;
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const body = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":{},"items":[${results.map((r) => r.raw).join(',')}]}`;
  send(ctx.res, 200, body, bodyFormat(ctx.output));
}
