/**
 * GET pods/{name}/log, as kube-apiserver's LogREST with the kubelet behind it: the query is read
 * and validated as PodLogOptions, the container is resolved as kube's validateContainer does, and
 * the lines come from the PodLogSource the in-process instance scheduler registered, filtered by
 * sinceSeconds/sinceTime, cut to tailLines and limitBytes, prefixed with timestamps when asked,
 * and streamed while following. A pod with no instance yet has an empty log, as a pod with no
 * node has in kube; with no scheduler in this process the answer is the error kube gives when it
 * cannot reach the kubelet.
 */
import { PodLogError, type PodLogLine, type PodLogRegistry } from '../../../controllers/runtime/pod-logs';
import { StatusError, badRequest, invalid, notFound } from '../../../schemas/meta/status-error';
import type { FieldError, KubeObject } from '../../../schemas/types';
import type { RequestContext } from '../request-context';

type Obj = Record<string, unknown>;

/** PodLogOptions is the parsed query of a log request. */
interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: number;
  limitBytes?: number;
}

const INSTANCE_ID = 'nodeless.dev/instance-id';

function boolOf(query: URLSearchParams, name: string, errs: FieldError[]): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  errs.push({ type: 'FieldValueInvalid', field: name, message: `Invalid value: ${JSON.stringify(v)}: must be a boolean` });
  return false;
}

function intOf(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** parseLogOptions reads the query as kube decodes and validates PodLogOptions. */
export function parseLogOptions(query: URLSearchParams): PodLogOptions {
  const errs: FieldError[] = [];
  const opts: PodLogOptions = {
    container: query.get('container') || undefined,
    follow: boolOf(query, 'follow', errs),
    previous: boolOf(query, 'previous', errs),
    timestamps: boolOf(query, 'timestamps', errs),
    tailLines: intOf(query, 'tailLines'),
    sinceSeconds: intOf(query, 'sinceSeconds'),
    limitBytes: intOf(query, 'limitBytes'),
  };
  const since = query.get('sinceTime');
  if (since) {
    const t = Date.parse(since);
    if (!/^\d{4}-\d\d-\d\dT/.test(since) || Number.isNaN(t)) throw badRequest(`parsing time ${JSON.stringify(since)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(since)} as RFC 3339`);
    opts.sinceTime = t;
  }
  if (opts.tailLines !== undefined && opts.tailLines < 0) errs.push({ type: 'FieldValueInvalid', field: 'tailLines', message: `Invalid value: ${opts.tailLines}: must be greater than or equal to 0` });
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) errs.push({ type: 'FieldValueInvalid', field: 'limitBytes', message: `Invalid value: ${opts.limitBytes}: must be greater than 0` });
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) errs.push({ type: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) errs.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', message: `Invalid value: ${opts.sinceSeconds}: must be greater than 0` });
  if (errs.length) throw invalid('PodLogOptions', '', '', errs);
  return opts;
}

const names = (list: unknown) => (Array.isArray(list) ? (list as Obj[]).map((c) => String(c.name)) : []);

/** containerOf resolves the container of the request as kube's validateContainer does. */
export function containerOf(pod: KubeObject, requested: string | undefined): string {
  const spec = (pod.spec ?? {}) as Obj;
  const apps = names(spec.containers);
  const all = [...names(spec.initContainers), ...apps, ...names(spec.ephemeralContainers)];
  const podName = pod.metadata?.name ?? '';
  if (!requested) {
    if (apps.length === 1) return apps[0];
    if (apps.length === 0) throw badRequest(`a container name must be specified for pod ${podName}`);
    throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${all.join(' ')}]`);
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${podName}`);
  return requested;
}

/** handlePodLog answers GET .../pods/{name}/log. */
export async function handlePodLog(ctx: RequestContext, registry: PodLogRegistry | undefined): Promise<void> {
  const opts = parseLogOptions(ctx.query);
  const name = ctx.info.name!;
  const pod = JSON.parse((await ctx.registry.get(ctx.def, ctx.namespace, name)).raw) as KubeObject;
  const container = containerOf(pod, opts.container);
  const status = (pod.status ?? {}) as Obj;
  const instanceId = pod.metadata?.annotations?.[INSTANCE_ID];
  const source = registry?.source;
  if (!instanceId && !source) return sendText(ctx, []);
  if (!source) {
    // The runtime is in another process: the same failure kube shows for an unreachable kubelet.
    const host = typeof status.hostIP === 'string' ? status.hostIP : instanceId;
    throw new StatusError(500, '', `Get "https://${host}:10250/containerLogs/${ctx.namespace}/${name}/${container}": no instance scheduler runs in this API server to serve the logs of instance ${instanceId}`);
  }
  let lines: AsyncIterable<PodLogLine> | undefined;
  try {
    lines = source.podLogs({ namespace: ctx.namespace!, name, uid: pod.metadata?.uid ?? '' }, { container, previous: opts.previous, follow: opts.follow });
  } catch (err) {
    if (err instanceof PodLogError) throw err.code === 404 ? notFound({ group: '', resource: 'pods' }, name) : badRequest(err.message);
    throw err;
  }
  if (!lines) return sendText(ctx, []);
  if (!opts.follow) {
    const all: PodLogLine[] = [];
    for await (const l of lines) all.push(l);
    return sendText(ctx, select(all, opts));
  }
  // Following: the lines there are now are cut to tailLines, then new ones stream as written.
  let skip = 0;
  if (opts.tailLines !== undefined) {
    try {
      const now = source.podLogs({ namespace: ctx.namespace!, name, uid: pod.metadata?.uid ?? '' }, { container, previous: opts.previous });
      let count = 0;
      if (now) for await (const l of now) if (since(l, opts)) count++;
      skip = Math.max(0, count - opts.tailLines);
    } catch {
      // A container still waiting has no lines yet: nothing to skip.
    }
  }
  await stream(ctx, lines, opts, skip);
}

function since(line: PodLogLine, opts: PodLogOptions): boolean {
  const from = opts.sinceTime ?? (opts.sinceSeconds !== undefined ? Date.now() - opts.sinceSeconds * 1000 : undefined);
  return from === undefined || Date.parse(line.time) >= from;
}

function render(line: PodLogLine, opts: PodLogOptions): string {
  return `${opts.timestamps ? `${line.time} ` : ''}${line.text}\n`;
}

function select(lines: PodLogLine[], opts: PodLogOptions): string[] {
  let kept = lines.filter((l) => since(l, opts));
  if (opts.tailLines !== undefined) kept = opts.tailLines === 0 ? [] : kept.slice(-opts.tailLines);
  return kept.map((l) => render(l, opts));
}

function head(res: RequestContext['res']): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
}

function sendText(ctx: RequestContext, chunks: string[]): void {
  let text = chunks.join('');
  const limit = parseLogOptions(ctx.query).limitBytes;
  if (limit !== undefined) {
    const bytes = Buffer.from(text);
    if (bytes.length > limit) text = bytes.subarray(0, limit).toString();
  }
  head(ctx.res);
  ctx.res.end(text);
}

async function stream(ctx: RequestContext, lines: AsyncIterable<PodLogLine>, opts: PodLogOptions, skip: number): Promise<void> {
  const res = ctx.res;
  head(res);
  res.flushHeaders?.();
  const it = lines[Symbol.asyncIterator]();
  // A follower that hangs up must not wait for the container's next line to notice.
  let closed = false;
  let hangUp!: () => void;
  const gone = new Promise<IteratorResult<PodLogLine>>((resolve) => (hangUp = () => resolve({ done: true, value: undefined })));
  const onClose = () => {
    closed = true;
    hangUp();
  };
  ctx.req.on('close', onClose);
  let left = opts.limitBytes ?? Infinity;
  try {
    for (let n = 0; !closed; n++) {
      const next = await Promise.race([it.next(), gone]);
      if (next.done || closed) break;
      if (n < skip || !since(next.value, opts)) continue;
      let chunk = Buffer.from(render(next.value, opts));
      if (chunk.length > left) chunk = chunk.subarray(0, left);
      res.write(chunk);
      left -= chunk.length;
      if (left <= 0) break;
    }
  } finally {
    ctx.req.off('close', onClose);
    void it.return?.();
    res.end();
  }
}
