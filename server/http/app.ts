/**
 * The express app: health endpoints, authentication, /version, discovery, OpenAPI and one
 * dispatcher for every resource path, which resolves the path to a ResourceDefinition and
 * hands the request to the handler of its verb. Handlers never know the kind.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { allowAll, forbiddenRequest, type Authorizer } from '../auth/authorizer';
import { installReviews } from '../auth/reviews';
import { ADMIN_USER, type TokenAuthenticator } from '../auth/token';
import type { UserInfo } from '../../schemas/types';
import type { Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError, internalError, methodNotAllowed, statusJSON } from '../../schemas/meta/status-error';
import { negotiate, send, sendObject, type BodyFormat } from './codec';
import { Discovery, aggregatedDiscoveryVersion } from './discovery';
import { handleCreate } from './handlers/create';
import { handleDelete, handleDeleteCollection } from './handlers/delete';
import { handleGet } from './handlers/get';
import { handleList } from './handlers/list';
import { handlePatch } from './handlers/patch';
import { handlePodLog } from './handlers/pod-log';
import { handleBinding, handleEviction } from './handlers/pod-subresources';
import type { PodLogRegistry } from '../../controllers/runtime/pod-logs';
import { handleGetScale, handlePatchScale, handleUpdateScale } from './handlers/scale';
import { handleUpdate } from './handlers/update';
import { handleWatch } from './handlers/watch';
import type { OpenAPI } from './openapi';
import { boolParam, prettyPrint, type RequestContext } from './request-context';
import { parseRequestInfo, type RequestInfo } from './request-info';
import { healthChecks, serveHealth } from './health';
import type { ApiMetrics } from './metrics';
import { addWarnings } from './respond';
import type { StoreHealth } from '../../store';
import { versionInfo } from './version';

/** AppOptions wires the app to its registry, resources and authenticator. */
export interface AppOptions {
  registry: Registry;
  resources: ResourceTable;
  /** when absent, requests are not authenticated (in-process tests) */
  authenticator?: TokenAuthenticator;
  /** authorizer decides every resource request and answers the access reviews (default: allow all) */
  authorizer?: Authorizer;
  openapi?: OpenAPI;
  /** the address advertised in /api serverAddressByClientCIDRs */
  serverAddress?: () => string;
  /** interval of watch progress bookmarks (ms) */
  bookmarkIntervalMs?: number;
  /** log receives one structured record per failed request */
  log?: (record: Record<string, unknown>) => void;
  /** storageHealth feeds the etcd checks of /healthz, /livez and /readyz (default: always ok) */
  storageHealth?: () => StoreHealth;
  /** metrics records every request and serves /metrics to authenticated clients */
  metrics?: ApiMetrics;
  /** podLogs is where pods/log finds the in-process instance scheduler's logs */
  podLogs?: PodLogRegistry;
}

/** RequestWithUser carries the authenticated user from the front handler to the verb handlers. */
export type RequestWithUser = Request & { user?: UserInfo };

// The Status of a path no route serves; its empty details are written as {} like kube-apiserver's.
const NOT_FOUND = new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

/** createApp builds the express application serving the Kubernetes API. */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  const authorizer = options.authorizer ?? allowAll;
  installReviews(options.resources.all(), options.authenticator, authorizer);
  const discovery = new Discovery(options.resources, options.serverAddress ?? (() => '127.0.0.1:6443'));

  // One front handler: health and version answer directly; everything else is authenticated,
  // and /api and /apis are dispatched right here, without walking a chain of routes.
  const checks = healthChecks(options.storageHealth ?? (() => ({ ok: true })));
  const metrics = options.metrics;
  app.use((req: Request, res: Response, next: NextFunction) => {
    metrics?.start(res);
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/healthz') || path.startsWith('/livez') || path.startsWith('/readyz')) {
      if (serveHealth(path, q < 0 ? '' : url.slice(q + 1), res, checks)) return;
    }
    (req as RequestWithUser).user = options.authenticator ? options.authenticator.authenticate(req) : ADMIN_USER;
    if (path === '/version') return sendObject(res, 200, versionInfo());
    if (path === '/metrics' && metrics) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
      metrics.serve(res).catch(next);
      return;
    }
    if (path.startsWith('/api')) {
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      dispatch(req, res, path, query).then((handled) => handled || next(), next);
      return;
    }
    next();
  });

  // dispatch serves one /api or /apis request; it resolves false when the path is not an API path.
  async function dispatch(req: Request, res: Response, pathname: string, query: URLSearchParams): Promise<boolean> {
    const info = parseRequestInfo(req.method, pathname, boolParam(query, 'watch') ?? false);
    if (!info) return false;
    if (info.verb === 'discovery') {
      serveDiscovery(discovery, info, req, res, prettyPrint(query, req.headers['user-agent']) ? 'json-pretty' : 'json');
      return true;
    }
    // As in kube-apiserver, authorization comes before the resource is looked up: a refused
    // request learns nothing about what exists.
    const user = (req as RequestWithUser).user ?? ADMIN_USER;
    const verdict = authorizer.authorize({ user, verb: info.verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name });
    if (verdict.decision !== 'allow') throw forbiddenRequest({ user, ...info }, verdict.reason);
    const def = options.resources.lookup(info.group, info.version, info.resource);
    if (!def || info.malformed) throw NOT_FOUND;
    metrics?.resourceRequest(res, info, query.has('dryRun'), info.verb === 'patch' && (req.headers['content-type'] ?? '').startsWith('application/apply-patch'));
    if (def.namespaced && info.namespace === undefined && info.name !== undefined) throw NOT_FOUND;
    if (!def.namespaced && info.namespace !== undefined) throw NOT_FOUND;
    // A deprecated version warns on every request it serves, whatever the answer.
    if (def.deprecationWarning) addWarnings(res, [def.deprecationWarning]);
    if (def.namespaced && info.namespace === undefined && (info.verb === 'create' || info.verb === 'deletecollection')) {
      throw methodNotAllowed();
    }
    const output = negotiate(req.headers.accept, !info.subresource);
    output.pretty = prettyPrint(query, req.headers['user-agent']);
    const ctx: RequestContext = {
      req,
      res,
      info,
      def,
      query,
      output,
      registry: options.registry,
      resources: options.resources,
      namespace: info.namespace,
    };
    await route(ctx, options.bookmarkIntervalMs, options.podLogs);
    return true;
  }

  if (options.openapi) options.openapi.install(app);
  app.use((_req: Request, _res: Response, next: NextFunction) => next(NOT_FOUND));

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    writeError(res, err, req, options.log);
  });
  return app;
}

// route hands a resolved request to the handler of its verb and subresource.
function route(ctx: RequestContext, bookmarkIntervalMs: number | undefined, podLogs: PodLogRegistry | undefined): Promise<void> {
  const { def, info } = ctx;
  // A verb or subresource method no route serves is go-restful's generic 405, as in kube-apiserver.
  const sub = info.subresource;
  if (sub !== undefined) {
    const served =
      (sub === 'status' && def.subresources.status) ||
      (sub === 'scale' && def.subresources.scale) ||
      (sub === 'finalize' && def.subresources.finalize) ||
      (sub === 'approval' && def.subresources.approval) ||
      (sub === 'binding' && def.subresources.binding) ||
      (sub === 'eviction' && def.subresources.eviction) ||
      (sub === 'ephemeralcontainers' && def.subresources.ephemeralContainers) ||
      (sub === 'log' && def.subresources.log);
    if (!served) throw NOT_FOUND;
    if (sub === 'log') {
      if (info.verb !== 'get') throw methodNotAllowed();
      return handlePodLog(ctx, podLogs);
    }
    if (sub === 'binding' || sub === 'eviction') {
      if (info.verb !== 'create') throw methodNotAllowed();
      return sub === 'binding' ? handleBinding(ctx) : handleEviction(ctx);
    }
    if (sub === 'scale') {
      if (info.verb === 'get') return handleGetScale(ctx);
      if (info.verb === 'update') return handleUpdateScale(ctx);
      if (info.verb === 'patch') return handlePatchScale(ctx);
      throw methodNotAllowed();
    }
    if (sub === 'finalize' && info.verb !== 'update') throw methodNotAllowed();
    if (info.verb === 'get') return handleGet(ctx);
    if (info.verb === 'update') return handleUpdate(ctx);
    if (info.verb === 'patch') return handlePatch(ctx);
    throw methodNotAllowed();
  }
  if (!def.verbs.includes(info.verb)) throw methodNotAllowed();
  switch (info.verb) {
    case 'get':
      return handleGet(ctx);
    case 'list':
      return handleList(ctx);
    case 'watch':
      return handleWatch(ctx, { bookmarkIntervalMs });
    case 'create':
      return handleCreate(ctx);
    case 'update':
      return handleUpdate(ctx);
    case 'patch':
      return handlePatch(ctx);
    case 'delete':
      return handleDelete(ctx);
    case 'deletecollection':
      return handleDeleteCollection(ctx);
  }
  throw methodNotAllowed();
}


function serveDiscovery(discovery: Discovery, info: RequestInfo, req: Request, res: Response, format: BodyFormat): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
  const aggregated = aggregatedDiscoveryVersion(req.headers.accept);
  if (info.prefix === 'api' && !info.version) {
    if (aggregated) return sendAggregated(res, discovery.aggregated(true, aggregated), aggregated);
    return send(res, 200, discovery.apiVersions(), format);
  }
  if (info.prefix === 'apis' && !info.group) {
    if (aggregated) return sendAggregated(res, discovery.aggregated(false, aggregated), aggregated);
    return send(res, 200, discovery.groupList(), format);
  }
  if (info.prefix === 'apis' && !info.version) {
    const body = discovery.group(info.group);
    if (!body) throw NOT_FOUND;
    return send(res, 200, body, format);
  }
  if (info.prefix === 'api' && info.group) throw NOT_FOUND;
  const body = discovery.resourceList(info.group, info.version);
  if (!body) throw NOT_FOUND;
  send(res, 200, body, format);
}

function sendAggregated(res: Response, body: string, version: string): void {
  res.writeHead(200, {
    'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
    'Content-Length': Buffer.byteLength(body) + 1,
    Vary: 'Accept',
  });
  res.end(body + '\n');
}

/** writeError answers with the Status of a StatusError; anything else is logged and answered 500. */
export function writeError(res: ServerResponse, err: unknown, req?: Request, log?: (r: Record<string, unknown>) => void): void {
  let status: StatusError;
  if (err instanceof StatusError) status = err;
  else if (isBodyParserError(err)) status = new StatusError(400, 'BadRequest', 'the request body could not be read');
  else {
    status = internalError();
    (log ?? defaultLog)({ level: 'error', msg: 'request failed', method: req?.method, path: req?.path, error: String(err instanceof Error ? err.stack : err) });
  }
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  // A Status that says when to retry says it in Retry-After too, as kube's ErrorNegotiated does.
  const retryAfter = status.status.details?.retryAfterSeconds;
  if (retryAfter && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
  const q = req?.url?.indexOf('?') ?? -1;
  const pretty = req ? prettyPrint(new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)), req.headers['user-agent']) : false;
  send(res, status.code, statusJSON(status.status), pretty ? 'json-pretty' : 'json');
}

/**
 * answerClientError answers a request Node's HTTP parser refused before it reached the app
 * (the server's 'clientError' event) with a Status body and closes the connection: 431 for
 * headers over the limit (Node's 16 KiB, where Go's server allows 1 MiB; both answer 431), 400
 * for a request that does not parse. A connection reset or one already answered is just closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const code = tooLarge ? 431 : 400;
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: tooLarge ? 'Request Header Fields Too Large' : 'the request could not be parsed',
    ...(tooLarge ? {} : { reason: 'BadRequest' }),
    code,
  };
  const body = JSON.stringify(status);
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function isBodyParserError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'type' in err && typeof (err as { type: unknown }).type === 'string' && 'status' in err;
}

function defaultLog(record: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
}
