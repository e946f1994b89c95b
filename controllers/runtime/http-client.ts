/**
 * HttpClient is the Client over HTTP(S) to any Kubernetes API server, configured from a
 * kubeconfig: the current context's server, CA (data or file, or insecure-skip-tls-verify),
 * bearer token (or token file) and client certificate. It is written on node's https rather than
 * a client library so that watch streaming, bookmarks and 410 handling are ours to keep exact:
 * a watch is a newline-delimited stream of events; a 410 before the stream starts rejects with
 * ApiError, one during the stream arrives as an ERROR event, as kube-apiserver sends them.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import YAML from 'yaml';
import type { KubeObject } from '../../schemas/types';
import {
  ApiError,
  apiVersionOf,
  type APIResourceInfo,
  type Client,
  type DeleteOptions,
  type Eviction,
  type GroupVersionKind,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type ResourceDescriptor,
  type Scale,
  type Status,
  type UpdateOptions,
  type WatchEvent,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
} from './client';

/** Connection is where and how to reach an API server. */
export interface Connection {
  server: string;
  ca?: string | Buffer;
  insecureSkipTLSVerify?: boolean;
  token?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** namespace is the context's default namespace */
  namespace?: string;
}

/** loadKubeconfig reads the current context (or the named one) of a kubeconfig file. */
export function loadKubeconfig(file: string, context?: string): Connection {
  const config = YAML.parse(fs.readFileSync(file, 'utf8')) as KubeconfigFile;
  const name = context ?? config['current-context'];
  const ctx = config.contexts?.find((c) => c.name === name)?.context;
  if (!ctx) throw new Error(`kubeconfig ${file}: context ${name ?? '(none)'} not found`);
  const cluster = config.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${file}: cluster ${ctx.cluster} has no server`);
  const user = config.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const dataOrFile = (data?: string, path?: string) => (data ? Buffer.from(data, 'base64') : path ? fs.readFileSync(path) : undefined);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: dataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    token: user.token ?? (user.tokenFile ? fs.readFileSync(user.tokenFile, 'utf8').trim() : undefined),
    cert: dataOrFile(user['client-certificate-data'], user['client-certificate']),
    key: dataOrFile(user['client-key-data'], user['client-key']),
    namespace: ctx.namespace,
  };
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
  clusters?: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean } }>;
  users?: Array<{
    name: string;
    user: { token?: string; tokenFile?: string; 'client-certificate-data'?: string; 'client-certificate'?: string; 'client-key-data'?: string; 'client-key'?: string };
  }>;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** MAX_RETRIES bounds the attempts of a request the server asked to retry later (429, Retry-After). */
const MAX_RETRIES = 4;

/** DISCOVERY_TTL_MS is how long discovery answers are reused before they are read again. */
const DISCOVERY_TTL_MS = 30_000;

// Transport is the connection shared by every HttpClient made from one kubeconfig.
class Transport {
  readonly agent: http.Agent;
  readonly base: URL;
  discovery?: { at: number; resources: Promise<APIResourceInfo[]> };

  constructor(readonly connection: Connection) {
    this.base = new URL(connection.server);
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: connection.ca,
            cert: connection.cert,
            key: connection.key,
            rejectUnauthorized: !connection.insecureSkipTLSVerify,
          })
        : new http.Agent({ keepAlive: true });
  }

  // open starts a request and resolves with the response once its headers arrive.
  open(method: string, path: string, userAgent: string, body?: { type: string; data: string }, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': userAgent };
    if (this.connection.token) headers.Authorization = `Bearer ${this.connection.token}`;
    if (body) {
      headers['Content-Type'] = body.type;
      headers['Content-Length'] = String(Buffer.byteLength(body.data));
    }
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, signal }, resolve);
      req.on('error', reject);
      req.end(body?.data);
    });
  }

  // request sends one request and parses its JSON answer; a non-2xx answer rejects with ApiError.
  // A 429, or a 5xx with Retry-After, was not carried out: it is sent again after the delay the
  // server asks for, a few times, as client-go does.
  async request<T>(method: string, path: string, userAgent: string, body?: { type: string; data: string }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.open(method, path, userAgent, body);
      const text = await readAll(res);
      const code = res.statusCode ?? 0;
      if (code >= 200 && code <= 299) return (text ? JSON.parse(text) : {}) as T;
      const retryAfter = Number(res.headers['retry-after']);
      const retriable = code === 429 || (code >= 500 && Number.isFinite(retryAfter));
      if (!retriable || attempt >= MAX_RETRIES) throw errorOf(code, text);
      await new Promise((r) => setTimeout(r, Math.min(Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000, 10_000)));
    }
  }
}

/** HttpClient implements Client over HTTP. */
export class HttpClient implements Client {
  private readonly transport: Transport;

  /** HttpClient connects with a Connection (or shares the transport of another HttpClient). */
  constructor(connection: Connection | HttpClient, readonly fieldManager: string, readonly userAgent: string = `nodeless/${fieldManager}`) {
    this.transport = connection instanceof HttpClient ? connection.transport : new Transport(connection);
  }

  /** fromKubeconfig makes a client from a kubeconfig file. */
  static fromKubeconfig(file: string, fieldManager: string, context?: string): HttpClient {
    return new HttpClient(loadKubeconfig(file, context), fieldManager);
  }

  withFieldManager(fieldManager: string, userAgent?: string): Client {
    return new HttpClient(this, fieldManager, userAgent);
  }

  /** close ends the kept-alive connections. */
  close(): void {
    this.transport.agent.destroy();
  }

  async resourceFor(gvk: GroupVersionKind): Promise<ResourceDescriptor> {
    const find = (all: APIResourceInfo[]) => all.find((r) => r.group === gvk.group && r.version === gvk.version && r.kind === gvk.kind);
    let found = find(await this.allResources(false));
    // A kind served since discovery was last read (a new CRD) is found on a fresh read.
    if (!found) found = find(await this.allResources(true));
    if (!found) throw new ApiError({ kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: `no matches for kind "${gvk.kind}" in version "${apiVersionOf(gvk)}"` });
    const { verbs: _verbs, ...descriptor } = found;
    return descriptor;
  }

  async serverPreferredResources(): Promise<APIResourceInfo[]> {
    const preferred = await this.discover(true);
    return preferred;
  }

  get<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<T> {
    return this.transport.request<T>('GET', objectPath(res, namespace, name), this.userAgent);
  }

  list<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.transport.request<ObjectList<T>>('GET', collectionPath(res, namespace) + query({ ...options }), this.userAgent);
  }

  async watch<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options: WatchOptions = {}): Promise<WatchStream<T>> {
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) abort.abort();
    const { signal: _signal, ...params } = options;
    const path = collectionPath(res, namespace) + query({ ...params, watch: true });
    let response: http.IncomingMessage;
    try {
      response = await this.transport.open('GET', path, this.userAgent, undefined, abort.signal);
    } catch (err) {
      options.signal?.removeEventListener('abort', onAbort);
      throw err;
    }
    const code = response.statusCode ?? 0;
    if (code < 200 || code > 299) {
      options.signal?.removeEventListener('abort', onAbort);
      throw errorOf(code, await readAll(response));
    }
    const close = () => {
      abort.abort();
      options.signal?.removeEventListener('abort', onAbort);
      response.destroy();
    };
    return {
      close,
      async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent<T>> {
        let buffered = '';
        response.setEncoding('utf8');
        try {
          for await (const chunk of response as AsyncIterable<string>) {
            buffered += chunk;
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl).trim();
              buffered = buffered.slice(nl + 1);
              if (line) yield JSON.parse(line) as WatchEvent<T>;
            }
          }
        } catch (err) {
          // A stream ended by close() or the signal just ends; anything else is a dropped watch.
          if (!abort.signal.aborted) throw err;
        } finally {
          close();
        }
      },
    };
  }

  create<T extends KubeObject>(res: ResourceDescriptor, namespace: string | undefined, obj: T, options: WriteOptions = {}): Promise<T> {
    const body = namespace && obj.metadata?.namespace !== namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
    return this.transport.request<T>('POST', collectionPath(res, namespace) + this.writeQuery(options), this.userAgent, jsonBody(withTypeMeta(res, body)));
  }

  update<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: UpdateOptions = {}): Promise<T> {
    const sub = options.subresource ? `/${options.subresource}` : '';
    const path = objectPath(res, obj.metadata?.namespace || undefined, requiredName(obj)) + sub + this.writeQuery(options);
    return this.transport.request<T>('PUT', path, this.userAgent, jsonBody(withTypeMeta(res, obj)));
  }

  updateStatus<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: WriteOptions = {}): Promise<T> {
    return this.update(res, obj, { ...options, subresource: 'status' });
  }

  patch<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const sub = options.subresource ? `/${options.subresource}` : '';
    const force = type === 'apply' && options.force ? { force: true } : {};
    const path = objectPath(res, namespace, name) + sub + this.writeQuery(options, force);
    return this.transport.request<T>('PATCH', path, this.userAgent, { type: PATCH_CONTENT_TYPES[type], data: JSON.stringify(body) });
  }

  apply<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: PatchOptions = {}): Promise<T> {
    return this.patch<T>(res, obj.metadata?.namespace || undefined, obj.metadata?.name ?? '', 'apply', obj, options);
  }

  async delete(res: ResourceDescriptor, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject | undefined> {
    const answer = await this.transport.request<KubeObject>('DELETE', objectPath(res, namespace, name), this.userAgent, jsonBody(deleteOptionsBody(options)));
    // Gone: kube answers a Status (or, for pods and namespaces, the object as it was, with no deletionTimestamp).
    if (answer.kind === 'Status' || !answer.metadata?.deletionTimestamp) return undefined;
    return answer;
  }

  async deleteCollection(res: ResourceDescriptor, namespace: string | undefined, list: ListOptions = {}, options: DeleteOptions = {}): Promise<void> {
    const { preconditions: _unused, ...rest } = options;
    await this.transport.request('DELETE', collectionPath(res, namespace) + query({ ...list }), this.userAgent, jsonBody(deleteOptionsBody(rest)));
  }

  getScale(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<Scale> {
    return this.transport.request<Scale>('GET', objectPath(res, namespace, name) + '/scale', this.userAgent);
  }

  updateScale(res: ResourceDescriptor, namespace: string | undefined, name: string, scale: Scale, options: WriteOptions = {}): Promise<Scale> {
    const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale, metadata: { ...scale.metadata, name, namespace } };
    return this.transport.request<Scale>('PUT', objectPath(res, namespace, name) + '/scale' + this.writeQuery(options), this.userAgent, jsonBody(body));
  }

  async createEviction(namespace: string, name: string, eviction: Eviction = {}): Promise<void> {
    const pods: ResourceDescriptor = { group: '', version: 'v1', resource: 'pods', namespaced: true };
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', ...eviction, metadata: { ...eviction.metadata, name, namespace } };
    await this.transport.request('POST', objectPath(pods, namespace, name) + '/eviction' + this.writeQuery({}), this.userAgent, jsonBody(body));
  }

  private writeQuery(options: WriteOptions, extra: Record<string, unknown> = {}): string {
    return query({ fieldManager: this.fieldManager, dryRun: options.dryRun ? 'All' : undefined, ...extra });
  }

  // allResources lists every served resource at every version, from a cached discovery.
  private allResources(fresh: boolean): Promise<APIResourceInfo[]> {
    return this.discover(false, fresh);
  }

  private discover(preferredOnly: boolean, fresh = false): Promise<APIResourceInfo[]> {
    const t = this.transport;
    if (!preferredOnly) {
      if (fresh || !t.discovery || Date.now() - t.discovery.at > DISCOVERY_TTL_MS) {
        const resources = this.readDiscovery(false);
        t.discovery = { at: Date.now(), resources };
        resources.catch(() => (t.discovery = undefined));
      }
      return t.discovery.resources;
    }
    return this.readDiscovery(true);
  }

  // readDiscovery reads /api and /apis and the resource lists of their versions.
  private async readDiscovery(preferredOnly: boolean): Promise<APIResourceInfo[]> {
    const ua = this.userAgent;
    const core = await this.transport.request<{ versions: string[] }>('GET', '/api', ua);
    const groups = await this.transport.request<{ groups: Array<{ name: string; versions: Array<{ version: string }>; preferredVersion?: { version: string } }> }>('GET', '/apis', ua);
    const gvs: Array<{ group: string; version: string }> = (preferredOnly ? core.versions.slice(0, 1) : core.versions).map((version) => ({ group: '', version }));
    for (const g of groups.groups) {
      const versions = preferredOnly ? [g.preferredVersion?.version ?? g.versions[0]?.version] : g.versions.map((v) => v.version);
      for (const version of versions) if (version) gvs.push({ group: g.name, version });
    }
    const lists = await Promise.all(
      gvs.map(async (gv) => {
        const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
        try {
          const list = await this.transport.request<{ resources: Array<{ name: string; namespaced: boolean; kind: string; verbs: string[] }> }>('GET', path, ua);
          return list.resources
            .filter((r) => !r.name.includes('/'))
            .map((r) => ({ group: gv.group, version: gv.version, resource: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs ?? [] }));
        } catch (err) {
          // A group version that went away between the two reads (a CRD deleted) is skipped.
          if (err instanceof ApiError && err.code === 404) return [];
          throw err;
        }
      }),
    );
    return lists.flat();
  }
}

function collectionPath(res: ResourceDescriptor, namespace: string | undefined): string {
  const root = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  return res.namespaced && namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${res.resource}` : `${root}/${res.resource}`;
}

function objectPath(res: ResourceDescriptor, namespace: string | undefined, name: string): string {
  if (!name) throw new ApiError({ kind: 'Status', status: 'Failure', code: 400, reason: 'BadRequest', message: 'resource name may not be empty' });
  return `${collectionPath(res, namespace)}/${encodeURIComponent(name)}`;
}

function requiredName(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

function query(params: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function jsonBody(body: unknown): { type: string; data: string } {
  return { type: 'application/json', data: JSON.stringify(body) };
}

function withTypeMeta<T extends KubeObject>(res: ResourceDescriptor, obj: T): T {
  if (obj.apiVersion && obj.kind) return obj;
  return { apiVersion: apiVersionOf(res), ...(res.kind ? { kind: res.kind } : {}), ...obj };
}

function deleteOptionsBody(options: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
  if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.preconditions) body.preconditions = options.preconditions;
  if (options.dryRun) body.dryRun = ['All'];
  return body;
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 410: 'Expired', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

// errorOf is the ApiError of a non-2xx answer: its Status body, or one made from the code.
function errorOf(code: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as Status;
    if (body && body.kind === 'Status') return new ApiError({ ...body, code: body.code ?? code });
  } catch {
    // not JSON: fall through
  }
  return new ApiError({ kind: 'Status', status: 'Failure', code, reason: REASONS[code] ?? 'Unknown', message: text.slice(0, 1024) || `the server answered ${code}` });
}
