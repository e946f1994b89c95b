/**
 * Conformance mirrors for how pods are deleted and for their binding, eviction and
 * ephemeralcontainers subresources, checked against what kube-apiserver 1.32 answers: graceful
 * deletion (CheckGracefulDelete and BeforeDelete), BindingREST, EvictionREST with
 * PodDisruptionBudgets, and EphemeralContainersREST. The clock is injected, so deletion
 * timestamps are exact.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';
import type { RegistryWatchEvent } from '../../server/registry/generic-registry';

let t: TestServer;
let clock = new Date('2026-03-04T05:06:07Z');
beforeAll(async () => {
  // The eviction tests write budget status themselves, as the disruption controller would, so it does not run.
  t = await startTestServer({ registry: { now: () => clock }, disabledControllers: ['disruption-controller'] });
});
afterAll(() => t.close());

let namespaces = 0;
async function newNamespace(base: string): Promise<string> {
  const name = `${base}-${++namespaces}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';

function podBody(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: labels ? { name, labels } : { name }, spec: { containers: [{ name: 'c', image: BUSYBOX }], ...spec } };
}

async function createPod(ns: string, name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  return (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(podBody(name, spec, labels)).expect(201)).body;
}

function bind(ns: string, name: string, node = 'node-a', extra: Record<string, unknown> = {}) {
  return t.api.post(`/api/v1/namespaces/${ns}/pods/${name}/binding`).send({ apiVersion: 'v1', kind: 'Binding', metadata: { name, ...extra }, target: { kind: 'Node', name: node } });
}

// setStatus writes a pod's status the way a kubelet (or the instance scheduler) does.
async function setStatus(ns: string, name: string, status: Record<string, unknown>) {
  return (await t.api.patch(`/api/v1/namespaces/${ns}/pods/${name}/status`).set('Content-Type', MERGE).send({ status }).expect(200)).body;
}

const RUNNING_READY = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

function evict(ns: string, name: string, deleteOptions?: Record<string, unknown>, query = '') {
  const body: Record<string, unknown> = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } };
  if (deleteOptions) body.deleteOptions = deleteOptions;
  return t.api.post(`/api/v1/namespaces/${ns}/pods/${name}/eviction${query}`).send(body);
}

async function createBudget(ns: string, name: string, selector: Record<string, unknown>, status?: Record<string, unknown>) {
  const path = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
  const created = (await t.api.post(path).send({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector } }).expect(201)).body;
  if (!status) return created;
  return (await t.api.patch(`${path}/${name}/status`).set('Content-Type', MERGE).send({ status }).expect(200)).body;
}

async function nextEvents(events: AsyncGenerator<RegistryWatchEvent>, n: number): Promise<Array<{ type: string; object: Record<string, any> }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const ev = await events.next();
    out.push({ type: ev.value!.type, object: JSON.parse(ev.value!.raw) });
  }
  return out;
}

describe('[sig-node] Pods graceful deletion', () => {
  it('should delete a pod that was never scheduled at once, after marking it with deletionTimestamp and deletionGracePeriodSeconds 0', async () => {
    const ns = await newNamespace('grace');
    const created = await createPod(ns, 'unscheduled');
    const podsDef = t.nodeless.resources.lookup('', 'v1', 'pods')!;
    const events = await t.nodeless.registry.watch(podsDef, ns, { resourceVersion: created.metadata.resourceVersion });
    const res = await t.api.delete(`/api/v1/namespaces/${ns}/pods/unscheduled`).expect(200);
    expect(res.body.kind).toBe('Pod');
    expect(res.body.metadata.deletionTimestamp).toBe('2026-03-04T05:06:07Z');
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(0);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/unscheduled`).expect(404);
    // As in kube: the marks are written first, then the object is removed.
    const seen = await nextEvents(events, 2);
    await events.return(undefined);
    expect(seen.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(seen[0].object.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(seen[1].object.metadata.deletionTimestamp).toBe('2026-03-04T05:06:07Z');
  });

  it('should hold a pod bound to a node for its terminationGracePeriodSeconds and let a later delete only shorten it', async () => {
    const ns = await newNamespace('grace');
    await createPod(ns, 'bound');
    await bind(ns, 'bound').expect(201);
    const path = `/api/v1/namespaces/${ns}/pods/bound`;
    const first = await t.api.delete(path).expect(200);
    // terminationGracePeriodSeconds defaults to 30: the pod may be removed 30s from now.
    expect(first.body.metadata.deletionTimestamp).toBe('2026-03-04T05:06:37Z');
    expect(first.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await t.api.get(path).expect(200)).body.metadata.deletionGracePeriodSeconds).toBe(30);

    // A longer period changes nothing.
    const longer = await t.api.delete(`${path}?gracePeriodSeconds=60`).expect(200);
    expect(longer.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(longer.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);

    // A shorter one moves the deadline back by the difference.
    const shorter = await t.api.delete(path).send({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 10 }).expect(200);
    expect(shorter.body.metadata.deletionTimestamp).toBe('2026-03-04T05:06:17Z');
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(10);

    // A status write while it terminates keeps it; the final delete with 0 removes it.
    await setStatus(ns, 'bound', { phase: 'Running' });
    await t.api.get(path).expect(200);
    const last = await t.api.delete(`${path}?gracePeriodSeconds=0`).expect(200);
    expect(last.body.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(last.body.metadata.deletionTimestamp).toBe('2026-03-04T05:06:07Z');
    await t.api.get(path).expect(404);
  });

  it('should use the pod\'s own terminationGracePeriodSeconds, and delete a terminated pod at once', async () => {
    const ns = await newNamespace('grace');
    await createPod(ns, 'short', { terminationGracePeriodSeconds: 5 });
    await bind(ns, 'short').expect(201);
    const res = await t.api.delete(`/api/v1/namespaces/${ns}/pods/short`).expect(200);
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(res.body.metadata.deletionTimestamp).toBe('2026-03-04T05:06:12Z');

    await createPod(ns, 'done');
    await bind(ns, 'done').expect(201);
    await setStatus(ns, 'done', { phase: 'Succeeded' });
    const done = await t.api.delete(`/api/v1/namespaces/${ns}/pods/done`).expect(200);
    expect(done.body.metadata.deletionGracePeriodSeconds).toBe(0);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/done`).expect(404);
  });

  it('should keep a pod with finalizers after a delete with grace period 0 and remove it with its last finalizer', async () => {
    const ns = await newNamespace('grace');
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send({ ...podBody('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } }).expect(201);
    await bind(ns, 'held').expect(201);
    const path = `/api/v1/namespaces/${ns}/pods/held`;
    const res = await t.api.delete(`${path}?gracePeriodSeconds=0`).expect(200);
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(0);
    await t.api.get(path).expect(200);
    await t.api.patch(path).set('Content-Type', MERGE).send({ metadata: { finalizers: null } }).expect(200);
    await t.api.get(path).expect(404);
  });

  it('should keep a gracefully deleted pod when its last finalizer is removed before the grace period is over', async () => {
    const ns = await newNamespace('grace');
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send({ ...podBody('graceful'), metadata: { name: 'graceful', finalizers: ['example.com/hold'] } }).expect(201);
    await bind(ns, 'graceful').expect(201);
    const path = `/api/v1/namespaces/${ns}/pods/graceful`;
    await t.api.delete(path).expect(200);
    await t.api.patch(path).set('Content-Type', MERGE).send({ metadata: { finalizers: null } }).expect(200);
    expect((await t.api.get(path).expect(200)).body.metadata.deletionGracePeriodSeconds).toBe(30);
  });

  it('should answer a delete whose preconditions do not match with 409 Conflict naming the kind', async () => {
    const ns = await newNamespace('grace');
    await createPod(ns, 'pre');
    const res = await t.api.delete(`/api/v1/namespaces/${ns}/pods/pre`).send({ preconditions: { uid: 'not-the-uid' } });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/^Operation cannot be fulfilled on Pod "pre": the UID in the precondition \(not-the-uid\) does not match the UID in record \(.+\)\. The object might have been deleted and then recreated$/);
    expect(res.body.details).toEqual({ name: 'pre', kind: 'Pod' });
  });
});

describe('[sig-node] Pods binding subresource', () => {
  it('should bind a pod to a node through the binding subresource', async () => {
    const ns = await newNamespace('binding');
    await createPod(ns, 'to-bind');
    clock = new Date('2026-03-04T05:07:00Z');
    const res = await bind(ns, 'to-bind', 'node-a', { annotations: { 'scheduler.example.com/score': '7' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const got = (await t.api.get(`/api/v1/namespaces/${ns}/pods/to-bind`).expect(200)).body;
    expect(got.spec.nodeName).toBe('node-a');
    expect(got.metadata.annotations).toEqual({ 'scheduler.example.com/score': '7' });
    expect(got.status.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-03-04T05:07:00Z' }]);
    clock = new Date('2026-03-04T05:06:07Z');
  });

  it('should refuse to bind a pod that is already bound with 409 Conflict', async () => {
    const ns = await newNamespace('binding');
    await createPod(ns, 'twice');
    await bind(ns, 'twice', 'node-a').expect(201);
    const res = await bind(ns, 'twice', 'node-b');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Operation cannot be fulfilled on pods/binding "twice": pod twice is already assigned to node "node-a"',
      reason: 'Conflict', details: { name: 'twice', kind: 'pods/binding' }, code: 409,
    });
  });

  it('should answer a binding of a missing pod with 404, and a mismatched name with 400', async () => {
    const ns = await newNamespace('binding');
    const missing = await bind(ns, 'nope');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('pods "nope" not found');
    await createPod(ns, 'named');
    const mismatch = await t.api.post(`/api/v1/namespaces/${ns}/pods/named/binding`).send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'other' }, target: { name: 'node-a' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toBe('name in URL does not match name in Binding object');
    const noTarget = await t.api.post(`/api/v1/namespaces/${ns}/pods/named/binding`).send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'named' }, target: { kind: 'Pod' } });
    // kube answers these causes as a 500 (a plain error list); nodeless answers bad input with a 422.
    expect(noTarget.status).toBe(422);
    expect(noTarget.body.message).toBe('Binding "named" is invalid: [target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", target.name: Required value]');
    await t.api.get(`/api/v1/namespaces/${ns}/pods/named/binding`).expect(405);
  });

  it('should refuse to bind a pod that is being deleted or has scheduling gates', async () => {
    const ns = await newNamespace('binding');
    await createPod(ns, 'gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    const gated = await bind(ns, 'gated');
    expect(gated.status).toBe(409);
    expect(gated.body.message).toBe('Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates');
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send({ ...podBody('going'), metadata: { name: 'going', finalizers: ['example.com/hold'] } }).expect(201);
    await t.api.delete(`/api/v1/namespaces/${ns}/pods/going`).expect(200);
    const going = await bind(ns, 'going');
    expect(going.status).toBe(409);
    expect(going.body.message).toBe('Operation cannot be fulfilled on pods/binding "going": pod going is being deleted, cannot be assigned to a host');
  });
});

describe('[sig-node] Pods eviction subresource', () => {
  it('should evict a pending pod whatever its disruption budget says', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'pending', {}, { app: 'web' });
    await createBudget(ns, 'web', { matchLabels: { app: 'web' } }, { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 });
    const res = await evict(ns, 'pending');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    await t.api.get(`/api/v1/namespaces/${ns}/pods/pending`).expect(404);
  });

  it('should refuse with 429 TooManyRequests to evict a running pod its disruption budget protects', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'guarded', {}, { app: 'web' });
    await setStatus(ns, 'guarded', RUNNING_READY);
    await createBudget(ns, 'web-pdb', { matchLabels: { app: 'web' } }, { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const res = await evict(ns, 'guarded');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 1 healthy pods and has 1 currently' }] },
      code: 429,
    });
    await t.api.get(`/api/v1/namespaces/${ns}/pods/guarded`).expect(200);
  });

  it('should ask to retry later while the disruption controller has not observed the budget', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'unobserved', {}, { app: 'web' });
    await setStatus(ns, 'unobserved', RUNNING_READY);
    await createBudget(ns, 'fresh', { matchLabels: { app: 'web' } });
    const res = await evict(ns, 'unobserved');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.body.details).toEqual({ causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget fresh is still being processed by the server.' }], retryAfterSeconds: 10 });
  });

  it('should take a disruption from the budget, record the pod and delete it with the eviction\'s delete options', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'allowed', {}, { app: 'web' });
    await bind(ns, 'allowed').expect(201);
    await setStatus(ns, 'allowed', RUNNING_READY);
    await createBudget(ns, 'roomy', { matchLabels: { app: 'web' } }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    await evict(ns, 'allowed').expect(201);
    // Bound to a node, the pod now terminates gracefully, marked as a disruption target.
    const pod = (await t.api.get(`/api/v1/namespaces/${ns}/pods/allowed`).expect(200)).body;
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(pod.status.conditions).toContainEqual({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-03-04T05:06:07Z', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    const budget = (await t.api.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/roomy`).expect(200)).body;
    expect(budget.status.disruptionsAllowed).toBe(0);
    expect(budget.status.disruptedPods).toEqual({ allowed: '2026-03-04T05:06:07Z' });
    expect(budget.status.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'False', observedGeneration: 1, lastTransitionTime: '2026-03-04T05:06:07Z', reason: 'InsufficientPods', message: '' }]);

    // The budget is spent now; a pod being deleted can still be evicted, here with grace period 0.
    await evict(ns, 'allowed', { gracePeriodSeconds: 0 }).expect(201);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/allowed`).expect(404);
  });

  it('should not change anything on a dry run, and answer 500 for a pod under two budgets', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'dry', {}, { app: 'web', tier: 'front' });
    await setStatus(ns, 'dry', RUNNING_READY);
    await createBudget(ns, 'one', { matchLabels: { app: 'web' } }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    await evict(ns, 'dry', undefined, '?dryRun=All').expect(201);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/dry`).expect(200);
    expect((await t.api.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/one`).expect(200)).body.status.disruptionsAllowed).toBe(1);

    await createBudget(ns, 'two', { matchLabels: { tier: 'front' } }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    const res = await evict(ns, 'dry');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
  });

  it('should evict an unready pod when the budget has enough healthy pods', async () => {
    const ns = await newNamespace('eviction');
    await createPod(ns, 'unready', {}, { app: 'web' });
    await setStatus(ns, 'unready', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    await createBudget(ns, 'healthy', { matchLabels: { app: 'web' } }, { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 });
    await evict(ns, 'unready').expect(201);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/unready`).expect(404);
    // The budget is not charged for a pod that counted for nothing.
    expect((await t.api.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/healthy`).expect(200)).body.status.disruptionsAllowed).toBe(0);
  });

  it('should answer an eviction of a missing pod with 404 and a mismatched name with 400', async () => {
    const ns = await newNamespace('eviction');
    expect((await evict(ns, 'ghost')).status).toBe(404);
    await createPod(ns, 'real');
    const res = await t.api.post(`/api/v1/namespaces/${ns}/pods/real/eviction`).send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('name in URL does not match name in Eviction object');
  });
});

describe('[sig-node] Pods ephemeralcontainers subresource', () => {
  const debugger_ = { name: 'debugger', image: BUSYBOX, stdin: true, tty: true };

  it('should add an ephemeral container through the ephemeralcontainers subresource and change nothing else', async () => {
    const ns = await newNamespace('ephemeral');
    await createPod(ns, 'debug-me', {}, { app: 'web' });
    const path = `/api/v1/namespaces/${ns}/pods/debug-me/ephemeralcontainers`;
    const got = (await t.api.get(path).expect(200)).body;
    expect(got.kind).toBe('Pod');
    const res = await t.api
      .patch(path)
      .set('Content-Type', STRATEGIC)
      .send({ metadata: { labels: { app: 'changed' } }, spec: { ephemeralContainers: [debugger_], activeDeadlineSeconds: 5 } })
      .expect(200);
    expect(res.body.metadata.labels).toEqual({ app: 'web' });
    expect(res.body.spec.activeDeadlineSeconds).toBeUndefined();
    expect(res.body.spec.ephemeralContainers).toEqual([
      { ...debugger_, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' },
    ]);
    const entry = res.body.metadata.managedFields.find((e: { subresource?: string }) => e.subresource === 'ephemeralcontainers');
    expect(entry).toMatchObject({ operation: 'Update', subresource: 'ephemeralcontainers' });
  });

  it('should refuse to remove or change an ephemeral container', async () => {
    const ns = await newNamespace('ephemeral');
    await createPod(ns, 'keep');
    const path = `/api/v1/namespaces/${ns}/pods/keep/ephemeralcontainers`;
    const added = (await t.api.patch(path).set('Content-Type', STRATEGIC).send({ spec: { ephemeralContainers: [debugger_] } }).expect(200)).body;
    const removed = await t.api.put(path).send({ ...added, spec: { ...added.spec, ephemeralContainers: [] } });
    expect(removed.status).toBe(422);
    expect(removed.body.details.causes).toEqual([{ reason: 'FieldValueForbidden', message: 'Forbidden: existing ephemeral containers "debugger" may not be removed\n', field: 'spec.ephemeralContainers' }]);
    const changed = await t.api.put(path).send({ ...added, spec: { ...added.spec, ephemeralContainers: [{ ...added.spec.ephemeralContainers[0], image: 'busybox:2' }] } });
    expect(changed.status).toBe(422);
    expect(changed.body.details.causes[0].field).toBe('spec.ephemeralContainers[debugger]');
    expect(changed.body.details.causes[0].message).toMatch(/^Forbidden: existing ephemeral containers "debugger" may not be changed\n/);
    // The main resource does not write them at all.
    const main = await t.api.put(`/api/v1/namespaces/${ns}/pods/keep`).send({ ...added, spec: { ...added.spec, ephemeralContainers: [] } });
    expect(main.status).toBe(422);
  });

  it('should list pods/binding, pods/eviction and pods/ephemeralcontainers in discovery with kube\'s verbs', async () => {
    const list = (await t.api.get('/api/v1').expect(200)).body.resources as Array<Record<string, unknown>>;
    const names = list.map((r) => r.name).filter((n) => String(n).startsWith('pods'));
    expect(names).toEqual(['pods', 'pods/binding', 'pods/ephemeralcontainers', 'pods/eviction', 'pods/log', 'pods/status']);
    expect(list.find((r) => r.name === 'pods/binding')).toEqual({ name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    expect(list.find((r) => r.name === 'pods/eviction')).toEqual({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    expect(list.find((r) => r.name === 'pods/ephemeralcontainers')).toEqual({ name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    const aggregated = (await t.api.get('/api').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList').expect(200)).body;
    const pods = aggregated.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'pods');
    expect(pods.subresources).toEqual([
      { subresource: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
      { subresource: 'ephemeralcontainers', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
      { subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
      { subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] },
    ]);
  });
});
