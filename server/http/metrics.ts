/**
 * /metrics in the Prometheus text format (prom-client). The request metrics carry
 * kube-apiserver's names, labels and buckets (apiserver_request_total,
 * apiserver_request_duration_seconds); the nodeless_* gauges show what the server holds in
 * memory beside the bound of each (value cache, decoded-object cache, watch queues, bodies), read
 * only when /metrics is scraped.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import type { StoreMemory } from '../../store';
import type { RequestInfo } from './request-info';

/** REQUEST_DURATION_BUCKETS are kube-apiserver's bounds of apiserver_request_duration_seconds (seconds). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** MemorySources are read at scrape time; each returns the current figures and their bounds. */
export interface MemorySources {
  store?: () => StoreMemory | undefined;
  decoded?: () => { bytes: number; entries: number; maxBytes: number; maxEntries: number };
  /** the largest request body read, in bytes */
  maxBodyBytes?: number;
}

// RequestSeries is the pair of children one label set records into; children are looked up once.
class RequestSeries {
  private readonly counters = new Map<number, client.Counter.Internal>();
  constructor(
    private readonly total: client.Counter<string>,
    private readonly labels: string[],
    readonly duration: client.Histogram.Internal<string>,
  ) {}

  record(code: number, seconds: number): void {
    let c = this.counters.get(code);
    if (!c) this.counters.set(code, (c = this.total.labels(...this.labels, String(code))));
    c.inc();
    this.duration.observe(seconds);
  }
}

// Where a response keeps what its request is recorded under.
const STARTED = Symbol('metricsStarted');
const SERIES = Symbol('metricsSeries');
type Tracked = ServerResponse & { [STARTED]?: number; [SERIES]?: RequestSeries };

// kube's verbs in metrics, by the request's verb (CleanVerb: a PATCH with the apply content type is APPLY).
const VERBS: Record<RequestInfo['verb'], string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
  discovery: 'GET',
};
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT']);

/** ApiMetrics records requests and serves /metrics from a registry of its own. */
export class ApiMetrics {
  readonly registry = new client.Registry();
  private readonly total: client.Counter<string>;
  private readonly duration: client.Histogram<string>;
  private readonly series = new Map<string, RequestSeries>();
  private readonly finished: (this: Tracked) => void;

  constructor(memory: MemorySources = {}, options: { processMetrics?: boolean } = {}) {
    const register = [this.registry];
    const labels = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'];
    this.total = new client.Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...labels, 'code'],
      registers: register,
    });
    this.duration = new client.Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: labels,
      buckets: REQUEST_DURATION_BUCKETS,
      registers: register,
    });
    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new client.Gauge({
        name,
        help,
        registers: register,
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    const store = (pick: (m: StoreMemory) => number) => () => {
      const now = memory.store?.();
      return now && pick(now);
    };
    gauge('nodeless_store_value_cache_bytes', 'Bytes of stored values the store keeps in memory by revision.', store((m) => m.valueCacheBytes));
    gauge('nodeless_store_value_cache_entries', 'Values the store keeps in memory by revision.', store((m) => m.valueCacheEntries));
    gauge('nodeless_store_value_cache_max_bytes', 'Bound of nodeless_store_value_cache_bytes.', store((m) => m.valueCacheMaxBytes));
    gauge('nodeless_decoded_object_cache_bytes', 'Estimated heap bytes of the parsed objects cached by revision.', () => memory.decoded?.().bytes);
    gauge('nodeless_decoded_object_cache_entries', 'Parsed objects cached by revision.', () => memory.decoded?.().entries);
    gauge('nodeless_decoded_object_cache_max_bytes', 'Bound of nodeless_decoded_object_cache_bytes.', () => memory.decoded?.().maxBytes);
    gauge('nodeless_decoded_object_cache_max_entries', 'Bound of nodeless_decoded_object_cache_entries.', () => memory.decoded?.().maxEntries);
    gauge('nodeless_watchers', 'Watches open on the store.', store((m) => m.watchers));
    gauge('nodeless_watch_queue_events', 'Events queued for watchers and not yet sent, over every watcher.', store((m) => m.watchQueueEvents));
    gauge('nodeless_watch_queue_bytes', 'Bytes of the values of the events queued for watchers.', store((m) => m.watchQueueBytes));
    gauge('nodeless_watch_queue_longest_events', 'Events queued for the watcher furthest behind.', store((m) => m.watchQueueLongest));
    gauge('nodeless_watch_queue_max_events', 'Bound of one watcher\'s queue; a watcher past it is ended and must re-list.', store((m) => m.watchQueueMaxEvents));
    gauge('nodeless_request_body_max_bytes', 'Largest request body the server reads.', () => memory.maxBodyBytes);
    if (options.processMetrics) client.collectDefaultMetrics({ register: this.registry });

    const self = this;
    this.finished = function (this: Tracked) {
      const started = this[STARTED];
      if (started === undefined) return;
      this[STARTED] = undefined;
      (this[SERIES] ?? self.nonResource(this.req?.method)).record(this.statusCode, (performance.now() - started) / 1000);
    };
  }

  /** start begins recording a request; it is recorded under its resource once resourceRequest names it. */
  start(res: ServerResponse): void {
    (res as Tracked)[STARTED] = performance.now();
    res.on('close', this.finished);
  }

  /** resourceRequest records a resource request (not discovery) under kube's labels for its verb, resource and scope. */
  resourceRequest(res: ServerResponse, info: RequestInfo, dryRun: boolean, apply: boolean): void {
    const verb = apply && info.verb === 'patch' ? 'APPLY' : VERBS[info.verb];
    // kube's CleanScope
    const scope = info.name !== undefined || info.verb === 'create' ? 'resource' : info.namespace !== undefined ? 'namespace' : 'cluster';
    const { group, version, resource } = info;
    const sub = info.subresource ?? '';
    const dry = dryRun ? 'All' : '';
    const key = `${verb} ${dry} ${group} ${version} ${resource} ${sub} ${scope}`;
    (res as Tracked)[SERIES] = this.seriesOf(key, [verb, dry, group, version, resource, sub, scope, 'apiserver']);
  }

  private nonResource(method: string | undefined): RequestSeries {
    const verb = method && METHODS.has(method) ? method : 'other';
    return this.seriesOf(verb, [verb, '', '', '', '', '', '', 'apiserver']);
  }

  private seriesOf(key: string, labels: string[]): RequestSeries {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new RequestSeries(this.total, labels, this.duration.labels(...labels))));
    return s;
  }

  /** serve writes the metrics in the Prometheus text format. */
  async serve(res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}
