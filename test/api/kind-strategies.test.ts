/**
 * Per-kind strategies as kube-apiserver's pkg/registry/<group>/<kind>/strategy.go define them:
 * what the main resource and each subresource may change, and when generation moves.
 */
import { BUILTIN_KINDS } from '../../schemas/builtin-kinds';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  // API semantics only: no controller may write these objects between the test's read and write.
  t = await startTestServer({ controllers: false });
  await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'strat' } }).expect(201);
});
afterAll(() => t.close());

// apps kinds' pods always restart; a Job's pods must not.
const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } });
const jobTemplate = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } });
// Each workload kind with a status its schema accepts.
const workloads: Array<[string, string, (name: string) => Record<string, unknown>, Record<string, unknown>]> = [
  ['apps/v1', 'deployments', (n) => ({ kind: 'Deployment', spec: { selector: { matchLabels: { app: n } }, template: template(n) } }), { observedGeneration: 1 }],
  ['apps/v1', 'replicasets', (n) => ({ kind: 'ReplicaSet', spec: { selector: { matchLabels: { app: n } }, template: template(n) } }), { replicas: 0, observedGeneration: 1 }],
  ['apps/v1', 'statefulsets', (n) => ({ kind: 'StatefulSet', spec: { serviceName: n, selector: { matchLabels: { app: n } }, template: template(n) } }), { replicas: 0, observedGeneration: 1 }],
  ['apps/v1', 'daemonsets', (n) => ({ kind: 'DaemonSet', spec: { selector: { matchLabels: { app: n } }, template: template(n) } }),
    { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 1 }],
  ['batch/v1', 'jobs', (n) => ({ kind: 'Job', spec: { template: jobTemplate(n) } }), { active: 1 }],
  ['batch/v1', 'cronjobs', (n) => ({ kind: 'CronJob', spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: jobTemplate(n) } } } }), { lastScheduleTime: '2026-01-01T00:00:00Z' }],
];

describe('status subresource of the workload kinds', () => {
  // Only the Deployment's status strategy also resets labels (kube's deploymentStatusStrategy).
  it.each(workloads)('%s %s: a status write keeps the stored spec, and takes status and annotations', async (gv, plural, make, status) => {
    const name = `st-${plural}`;
    const base = `/apis/${gv}/namespaces/strat/${plural}`;
    const created = await t.api.post(base).send({ apiVersion: gv, ...make(name), metadata: { name, labels: { tier: 'a' } } }).expect(201);
    const body = structuredClone(created.body);
    body.metadata.labels = { tier: 'changed' };
    body.metadata.annotations = { note: 'from-status' };
    body.spec.paused = true;
    body.status = status;
    const res = await t.api.put(`${base}/${name}/status`).send(body).expect(200);
    expect(res.body.metadata.labels).toEqual({ tier: plural === 'deployments' ? 'a' : 'changed' });
    expect(res.body.metadata.annotations).toEqual({ note: 'from-status' });
    expect(res.body.spec.paused).toBeUndefined();
    expect(res.body.status).toEqual(status);
    expect(res.body.metadata.generation).toBe(1);
  });
});

describe('generation', () => {
  const base = '/apis/apps/v1/namespaces/strat/deployments';
  it('a Deployment generation moves with its annotations as with its spec', async () => {
    await t.api.post(base).send({ apiVersion: 'apps/v1', ...workloads[0][2]('gen'), metadata: { name: 'gen' } }).expect(201);
    const annotated = await t.api
      .patch(`${base}/gen`).set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { annotations: { 'example.com/note': 'x' } } }).expect(200);
    expect(annotated.body.metadata.generation).toBe(2);
    const labelled = await t.api
      .patch(`${base}/gen`).set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { extra: 'y' } } }).expect(200);
    expect(labelled.body.metadata.generation).toBe(2);
  });

  it('a ReplicaSet generation does not move with its annotations', async () => {
    const rs = '/apis/apps/v1/namespaces/strat/replicasets';
    await t.api.post(rs).send({ apiVersion: 'apps/v1', ...workloads[1][2]('gen-rs'), metadata: { name: 'gen-rs' } }).expect(201);
    const res = await t.api
      .patch(`${rs}/gen-rs`).set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { annotations: { note: 'x' } } }).expect(200);
    expect(res.body.metadata.generation).toBe(1);
  });

  it('a PUT that leaves out defaulted fields is not a spec change', async () => {
    const created = await t.api.post(base).send({ apiVersion: 'apps/v1', ...workloads[0][2]('gen-put'), metadata: { name: 'gen-put' } }).expect(201);
    const body = { apiVersion: 'apps/v1', ...workloads[0][2]('gen-put'), metadata: { name: 'gen-put', resourceVersion: created.body.metadata.resourceVersion } };
    const res = await t.api.put(`${base}/gen-put`).send(body).expect(200);
    expect(res.body.metadata.generation).toBe(1);
  });
});

describe('core kinds', () => {
  it('a created Service has an empty load-balancer status', async () => {
    const res = await t.api.post('/api/v1/namespaces/strat/services').send({ metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } }).expect(201);
    expect(res.body.status).toEqual({ loadBalancer: {} });
  });

  it('a namespace update keeps spec.finalizers, which change only through /finalize', async () => {
    await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'strat-fin' } }).expect(201);
    const res = await t.api.put('/api/v1/namespaces/strat-fin').send({ metadata: { name: 'strat-fin', labels: { a: 'b' } }, spec: { finalizers: [] } }).expect(200);
    expect(res.body.spec.finalizers).toEqual(['kubernetes']);
    expect(res.body.metadata.labels).toMatchObject({ a: 'b' });
    const fin = await t.api.put('/api/v1/namespaces/strat-fin/finalize').send({ metadata: { name: 'strat-fin' }, spec: { finalizers: [] } }).expect(200);
    expect(fin.body.spec.finalizers).toEqual([]);
  });
});

describe('every built-in kind', () => {
  it('has a main strategy, and a status strategy exactly when it has a status subresource', () => {
    for (const k of BUILTIN_KINDS) {
      expect(typeof k.strategy.prepareForUpdate).toBe('function');
      expect(!!k.statusStrategy).toBe(!!k.subresources.status);
      expect(!!k.finalizeStrategy).toBe(!!k.subresources.finalize);
      expect(!!k.approvalStrategy).toBe(!!k.subresources.approval);
    }
  });
});
