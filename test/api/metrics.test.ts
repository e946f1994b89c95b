/**
 * /metrics: kube-apiserver's request metrics (apiserver_request_total and
 * apiserver_request_duration_seconds with its labels and bucket bounds), and what the server
 * holds in memory beside each bound, in the Prometheus text format, for authenticated clients.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { REQUEST_DURATION_BUCKETS } from '../../server/http/metrics';

const TOKEN = 'metrics-token';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ tokens: [TOKEN] });
});
afterAll(() => t.close());

const auth = { Authorization: `Bearer ${TOKEN}` };

async function scrape(): Promise<Map<string, number>> {
  const res = await t.api.get('/metrics').set(auth);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

// labels writes a label set in the order prom-client writes it: le first, then the declared order.
const ORDER = ['le', 'verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'];
const labels = (l: Record<string, string>) => `{${ORDER.filter((k) => k in l).map((k) => `${k}="${l[k]}"`).join(',')}}`;

describe('/metrics', () => {
  it('answers 401 without credentials, as kube-apiserver does for an anonymous client', async () => {
    expect((await t.api.get('/metrics')).status).toBe(401);
  });

  it('counts requests under kube-apiserver\'s labels: verb, dry_run, group, version, resource, subresource, scope, component, code', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counted' }, data: { a: 'b' } };
    await t.api.post('/api/v1/namespaces/default/configmaps').set(auth).send(cm).expect(201);
    await t.api.post('/api/v1/namespaces/default/configmaps?dryRun=All').set(auth).send({ ...cm, metadata: { name: 'dry' } }).expect(201);
    await t.api.get('/api/v1/namespaces/default/configmaps/counted').set(auth).expect(200);
    await t.api.get('/api/v1/namespaces/default/configmaps/absent').set(auth).expect(404);
    await t.api.get('/api/v1/namespaces/default/configmaps').set(auth).expect(200);
    await t.api.get('/apis/apps/v1/deployments').set(auth).expect(200);
    await t.api
      .patch('/apis/apps/v1/namespaces/default/deployments/web/status?fieldManager=t')
      .set({ ...auth, 'Content-Type': 'application/apply-patch+yaml' })
      .send('{}');
    const m = await scrape();
    const base = { dry_run: '', group: '', version: 'v1', resource: 'configmaps', subresource: '', component: 'apiserver' };
    const total = (l: Record<string, string>) => m.get(`apiserver_request_total${labels(l)}`);
    expect(total({ verb: 'POST', ...base, scope: 'resource', code: '201' })).toBe(1);
    expect(total({ verb: 'POST', ...base, dry_run: 'All', scope: 'resource', code: '201' })).toBe(1);
    expect(total({ verb: 'GET', ...base, scope: 'resource', code: '200' })).toBe(1);
    expect(total({ verb: 'GET', ...base, scope: 'resource', code: '404' })).toBe(1);
    expect(total({ verb: 'LIST', ...base, scope: 'namespace', code: '200' })).toBe(1);
    expect(total({ verb: 'LIST', ...base, group: 'apps', resource: 'deployments', scope: 'cluster', code: '200' })).toBe(1);
    expect([...m.keys()].some((k) => k.startsWith('apiserver_request_total{verb="APPLY",dry_run="",group="apps",version="v1",resource="deployments",subresource="status",scope="resource"'))).toBe(true);
    // The histogram has kube's bucket bounds and no code label.
    const h = { verb: 'GET', ...base, scope: 'resource' };
    const buckets = [...REQUEST_DURATION_BUCKETS.map(String), '+Inf'].map((le) => m.get(`apiserver_request_duration_seconds_bucket${labels({ le, ...h })}`));
    expect(buckets.every((n) => n !== undefined && n <= 2)).toBe(true);
    expect(buckets.at(-1)).toBe(2);
    expect(m.get(`apiserver_request_duration_seconds_count${labels(h)}`)).toBe(2);
    expect(REQUEST_DURATION_BUCKETS).toEqual([0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60]);
  });

  it('shows the bytes and entries of the value and decoded-object caches and the watch queues, beside their bounds', async () => {
    const before = await scrape();
    expect(before.get('nodeless_store_value_cache_max_bytes')).toBe(64 * 1024 * 1024);
    expect(before.get('nodeless_decoded_object_cache_max_bytes')).toBe(64 * 1024 * 1024);
    expect(before.get('nodeless_decoded_object_cache_max_entries')).toBe(20_000);
    expect(before.get('nodeless_watch_queue_max_events')).toBe(10_000);
    expect(before.get('nodeless_request_body_max_bytes')).toBe(3 * 1024 * 1024);

    // A watcher that takes nothing holds what is written after it.
    const watcher = t.nodeless.store.watch('/core/configmaps/', 0);
    const blob = 'x'.repeat(200_000);
    await t.api.post('/api/v1/namespaces/default/configmaps').set(auth).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob } }).expect(201);
    await t.api.get('/api/v1/namespaces/default/configmaps').set(auth).set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io').expect(200);
    const after = await scrape();
    watcher.close();
    expect(after.get('nodeless_store_value_cache_bytes')! - before.get('nodeless_store_value_cache_bytes')!).toBeGreaterThanOrEqual(200_000);
    expect(after.get('nodeless_store_value_cache_entries')).toBeGreaterThan(before.get('nodeless_store_value_cache_entries')!);
    expect(after.get('nodeless_decoded_object_cache_bytes')).toBeGreaterThanOrEqual(400_000);
    expect(after.get('nodeless_decoded_object_cache_entries')).toBeGreaterThan(0);
    expect(after.get('nodeless_watch_queue_events')).toBeGreaterThanOrEqual(1);
    expect(after.get('nodeless_watch_queue_bytes')).toBeGreaterThanOrEqual(200_000);
    expect(after.get('nodeless_watch_queue_longest_events')).toBeGreaterThanOrEqual(1);
    expect((await scrape()).get('nodeless_watch_queue_events')).toBe(0);
  });
});

describe('/metrics with the instance scheduler', () => {
  it('shows the bill by namespace: runs, instances running, and USD accrued to the scrape', async () => {
    const s = await startTestServer({ tokens: [TOKEN], scheduler: true });
    try {
      const get = async () => {
        const res = await s.api.get('/metrics').set(auth).expect(200);
        const samples = new Map<string, number>();
        for (const line of res.text.split('\n')) if (line && !line.startsWith('#')) samples.set(line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1)));
        return { text: res.text, samples };
      };
      expect((await get()).text).toContain('# HELP nodeless_instance_cost_dollars USD billed for instance runs by namespace, open runs accrued to the scrape.');
      await waitFor(async () => (await s.api.get('/api/v1/namespaces/default/serviceaccounts/default').set(auth)).status === 200, 'the default ServiceAccount');
      await s.api.post('/api/v1/namespaces/default/pods').set(auth).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'billed' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }).expect(201);
      const { samples } = await waitFor(async () => {
        const m = await get();
        return m.samples.get('nodeless_instances_running{namespace="default"}') === 1 && m;
      }, 'the running instance in /metrics', 20000);
      expect(samples.get('nodeless_instance_runs{namespace="default"}')).toBe(1);
      // A run is billed at least a minute from its start.
      expect(samples.get('nodeless_instance_cost_dollars{namespace="default"}')).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
