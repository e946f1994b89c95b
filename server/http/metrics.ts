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
import type { NamespaceBill } from '../../controllers/runtime/billing';
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
  /** billing is the in-process instance scheduler's bill by namespace (undefined when none runs here) */
  billing?: () => NamespaceBill[] | undefined;
}

// RequestSeries counts the requests of one label set: by code, and into the duration buckets.
// It is plain numbers, turned into samples only when /metrics is read: prom-client's own
// children hash their label values on every inc and observe (5 µs a request here).
class RequestSeries {
  readonly codes = new Map<number, number>();
  readonly buckets = new Float64Array(REQUEST_DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  constructor(readonly labels: Record<string, string>) {}

  record(code: number, seconds: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    let i = 0;
    while (i < REQUEST_DURATION_BUCKETS.length && seconds > REQUEST_DURATION_BUCKETS[i]) i++;
    this.buckets[i]++;
    this.sum += seconds;
    this.count++;
  }
}

// kube-apiserver's help texts.
const TOTAL_HELP = 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.';
const DURATION_HELP = 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

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
  private readonly series = new Map<string, RequestSeries>();
  private readonly finished: (this: Tracked) => void;

  constructor(memory: MemorySources = {}, options: { processMetrics?: boolean } = {}) {
    const register = [this.registry];
    const all = () => this.series.values();
    // The two request metrics are collectors of the registry, read from the series on a scrape.
    this.registry.registerMetric({
      name: 'apiserver_request_total',
      help: TOTAL_HELP,
      type: 'counter',
      get: async () => {
        const values: Sample[] = [];
        for (const s of all()) for (const [code, n] of s.codes) values.push({ labels: { ...s.labels, code: String(code) }, value: n });
        return { name: 'apiserver_request_total', help: TOTAL_HELP, type: 'counter', values, aggregator: 'sum' };
      },
    } as unknown as client.Metric<string>);
    this.registry.registerMetric({
      name: 'apiserver_request_duration_seconds',
      help: DURATION_HELP,
      type: 'histogram',
      get: async () => {
        const values: Sample[] = [];
        const name = 'apiserver_request_duration_seconds';
        for (const s of all()) {
          let cumulative = 0;
          REQUEST_DURATION_BUCKETS.forEach((le, i) => {
            cumulative += s.buckets[i];
            values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${name}_bucket` });
          });
          values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${name}_bucket` });
          values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
          values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
        }
        return { name, help: DURATION_HELP, type: 'histogram', values, aggregator: 'sum' };
      },
    } as unknown as client.Metric<string>);
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
    // The bill by namespace, read from the scheduler at scrape time.
    const billGauge = (name: string, help: string, pick: (b: NamespaceBill) => number) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['namespace'],
        registers: register,
        collect() {
          this.reset();
          for (const b of memory.billing?.() ?? []) this.set({ namespace: b.namespace }, pick(b));
        },
      });
    billGauge('nodeless_instance_runs', 'Instance runs billed, by namespace.', (b) => b.runs);
    billGauge('nodeless_instances_running', 'Instances running now, by namespace.', (b) => b.running);
    billGauge('nodeless_instance_cost_dollars', 'USD billed for instance runs by namespace, open runs accrued to the scrape.', (b) => b.cost);
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
    gauge('nodeless_watch_queue_max_bytes', 'Bound of one watcher\'s queue in value bytes; a watcher past it is ended and must re-list.', store((m) => m.watchQueueMaxBytes));
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
    (res as Tracked)[SERIES] = this.seriesOf(key, [verb, dry, group, version, resource, sub, scope]);
  }

  private nonResource(method: string | undefined): RequestSeries {
    const verb = method && METHODS.has(method) ? method : 'other';
    return this.seriesOf(verb, [verb, '', '', '', '', '', '']);
  }

  private seriesOf(key: string, values: string[]): RequestSeries {
    let s = this.series.get(key);
    if (!s) {
      const [verb, dry_run, group, version, resource, subresource, scope] = values;
      this.series.set(key, (s = new RequestSeries({ verb, dry_run, group, version, resource, subresource, scope, component: 'apiserver' })));
    }
    return s;
  }

  /** serve writes the metrics in the Prometheus text format. */
  async serve(res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}
