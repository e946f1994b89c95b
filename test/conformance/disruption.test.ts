/**
 * Conformance: the upstream "[sig-apps] DisruptionController" tests (test/e2e/apps/disruption.go):
 * list and delete a collection across namespaces, create/update/patch/delete with each
 * generation processed, update and patch of /status; then the disruption controller's status
 * computation and the whole eviction path: the controller computes disruptionsAllowed, the
 * eviction subresource refuses with 429 while the budget allows nothing, and lets the eviction
 * through once the ReplicaSet has been scaled up. Pods run through the fake kubelet.
 */
import { PODS, POD_DISRUPTION_BUDGETS, REPLICA_SETS, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
let kubelet: FakeKubelet;
beforeAll(async () => {
  // The suite makes the pods of its StatefulSets, the ReplicaSets of its Deployments and pods of
  // owners that do not exist by hand: those controllers and the garbage collector would make or remove them.
  t = await startTestServer({ disabledControllers: ['statefulset-controller', 'deployment-controller', 'garbage-collector-controller'] });
  client = t.nodeless.client.withFieldManager('disruption-test');
  kubelet = await new FakeKubelet(t.nodeless.client).start();
});
afterAll(async () => {
  kubelet.stop();
  await t.close();
});

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });
const defaultLabels = { foo: 'bar' };

type Budget = KubeObject & {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: { minAvailable?: number | string; maxUnavailable?: number | string };
  status?: {
    observedGeneration?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    disruptionsAllowed?: number;
    disruptedPods?: Record<string, string>;
    conditions?: Array<{ type: string; status: string; reason: string; message: string; observedGeneration?: number; lastTransitionTime: string }>;
  };
};

const pdbPath = (ns: string, name = '', sub = '') => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;

function pdb(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}, selector: Record<string, string> = defaultLabels) {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, labels }, spec: { selector: { matchLabels: selector }, ...spec } };
}

async function createPDB(ns: string, name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): Promise<Budget> {
  return (await t.api.post(pdbPath(ns)).send(pdb(name, spec, labels)).expect(201)).body as Budget;
}

async function getPDB(ns: string, name: string): Promise<Budget> {
  return (await t.api.get(pdbPath(ns, name)).expect(200)).body as Budget;
}

/** waitForPdbToBeProcessed waits until the controller observed the budget's generation. */
async function waitForPdbToBeProcessed(ns: string, name: string): Promise<Budget> {
  return waitFor(
    async () => {
      const b = await getPDB(ns, name);
      return (b.status?.observedGeneration ?? 0) >= b.metadata.generation && b;
    },
    `pdb ${ns}/${name} to be processed`,
    30_000,
  );
}

async function waitForStatus(ns: string, name: string, want: Partial<NonNullable<Budget['status']>>): Promise<Budget> {
  let last: Budget | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getPDB(ns, name);
        const s = (last.status ?? {}) as Record<string, unknown>;
        return Object.entries(want).every(([k, v]) => JSON.stringify(s[k]) === JSON.stringify(v)) && last;
      },
      `pdb ${ns}/${name} status ${JSON.stringify(want)}`,
      30_000,
    );
  } catch (err) {
    throw new Error(`${String(err)}; last status ${JSON.stringify(last?.status)}`);
  }
}

async function createPods(ns: string, n: number, labels = defaultLabels, extra: Record<string, unknown> = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, labels, ...extra }, spec: { containers: [{ name: 'donothing', image: 'registry.k8s.io/pause:3.10' }], restartPolicy: 'Always' } })
      .expect(201);
  }
}

async function runningPods(ns: string, n: number): Promise<KubeObject[]> {
  return waitFor(
    async () => {
      const pods = (await client.list(PODS, ns, { labelSelector: 'foo=bar' })).items.filter((p) => !p.metadata?.deletionTimestamp && (p.status as { phase?: string })?.phase === 'Running');
      return pods.length >= n && pods;
    },
    `${n} running pods in ${ns}`,
    30_000,
  );
}

function replicaSet(name: string, replicas: number, ownerReferences?: Array<Record<string, unknown>>): KubeObject & { spec: { replicas: number; selector: unknown; template: unknown } } {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { replicas, selector: { matchLabels: defaultLabels }, template: { metadata: { labels: defaultLabels }, spec: { containers: [{ name: 'donothing', image: 'registry.k8s.io/pause:3.10' }] } } },
  };
}

function evict(ns: string, name: string) {
  return t.api.post(`/api/v1/namespaces/${ns}/pods/${name}/eviction`).send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
}

describe('[sig-apps] DisruptionController', () => {
  it('[sig-apps] DisruptionController Listing PodDisruptionBudgets for all namespaces should list and delete a collection of PodDisruptionBudgets [Conformance]', async () => {
    const ns = await newNamespace('disruption');
    const ns2 = await newNamespace('disruption-2');
    const specialLabels = { foo_pdb: 'bar_pdb' };
    await createPDB(ns, 'foo', { minAvailable: 2 }, specialLabels);
    await waitForPdbToBeProcessed(ns, 'foo');
    await createPDB(ns, 'foo2', { minAvailable: '1%' }, specialLabels);
    await waitForPdbToBeProcessed(ns, 'foo2');
    await createPDB(ns2, 'foo3', { minAvailable: 2 }, specialLabels);
    await waitForPdbToBeProcessed(ns2, 'foo3');

    const all = (await t.api.get(`/apis/policy/v1/poddisruptionbudgets?labelSelector=foo_pdb%3Dbar_pdb`).expect(200)).body;
    expect(all.items.map((b: Budget) => b.metadata.name).sort()).toEqual(['foo', 'foo2', 'foo3']);
    const inNs = (await t.api.get(`${pdbPath(ns)}?labelSelector=foo_pdb%3Dbar_pdb`).expect(200)).body;
    expect(inNs.items.map((b: Budget) => b.metadata.name).sort()).toEqual(['foo', 'foo2']);

    await t.api.delete(pdbPath(ns)).expect(200);
    expect((await t.api.get(pdbPath(ns)).expect(200)).body.items).toHaveLength(0);
    expect((await t.api.get(pdbPath(ns2)).expect(200)).body.items).toHaveLength(1);
  });

  it('[sig-apps] DisruptionController should create a PodDisruptionBudget [Conformance]', async () => {
    const ns = await newNamespace('disruption');
    await createPDB(ns, 'foo', { minAvailable: '1%' }, defaultLabels);
    let processed = await waitForPdbToBeProcessed(ns, 'foo');
    expect(processed.metadata.generation).toBe(1);

    // updating the pdb: a new generation, processed in turn
    const current = await getPDB(ns, 'foo');
    current.spec.minAvailable = '2%';
    const updated = (await t.api.put(pdbPath(ns, 'foo')).send(current).expect(200)).body as Budget;
    expect(updated.spec.minAvailable).toBe('2%');
    expect(updated.metadata.generation).toBe(2);
    processed = await waitForPdbToBeProcessed(ns, 'foo');
    expect(processed.status!.observedGeneration).toBe(2);

    // patching the pdb
    const patched = (await t.api.patch(pdbPath(ns, 'foo')).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ spec: { minAvailable: '3%' } })).expect(200)).body as Budget;
    expect(patched.spec.minAvailable).toBe('3%');
    processed = await waitForPdbToBeProcessed(ns, 'foo');
    expect(processed.status!.observedGeneration).toBe(3);

    await t.api.delete(pdbPath(ns, 'foo')).expect(200);
    await t.api.get(pdbPath(ns, 'foo')).expect(404);
  });

  it('[sig-apps] DisruptionController should update/patch PodDisruptionBudget status [Conformance]', async () => {
    const ns = await newNamespace('disruption');
    await createPDB(ns, 'foo', { minAvailable: 1 }, defaultLabels);
    await waitForPdbToBeProcessed(ns, 'foo');
    await createPods(ns, 1);
    const [pod] = await runningPods(ns, 1);

    // Updating status: disruptedPods of an existing pod is kept (the controller drops only entries of pods gone).
    let updated: Budget | undefined;
    for (let attempt = 0; !updated; attempt++) {
      const b = await getPDB(ns, 'foo');
      b.status = { ...b.status, disruptedPods: { [pod.metadata!.name!]: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } };
      const res = await t.api.put(pdbPath(ns, 'foo', 'status')).send(b);
      if (res.status === 200) updated = res.body as Budget;
      else if (res.status !== 409 || attempt > 10) throw new Error(`status update answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    const fetched = (await t.api.get(pdbPath(ns, 'foo', 'status')).expect(200)).body as Budget;
    expect(Object.keys(fetched.status!.disruptedPods ?? {})).toContain(pod.metadata!.name);

    // Patching status: an empty disruptedPods
    const patched = (await t.api
      .patch(pdbPath(ns, 'foo', 'status'))
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ status: { disruptedPods: null } }))
      .expect(200)).body as Budget;
    expect(patched.status!.disruptedPods ?? {}).toEqual({});
  });
});

describe('PodDisruptionBudget status and evictions', () => {
  it('counts healthy pods against an absolute minAvailable and sets the DisruptionAllowed condition', async () => {
    const ns = await newNamespace('disruption');
    await createPDB(ns, 'foo', { minAvailable: 2 });
    // No pods yet: nothing may be disrupted.
    let b = await waitForStatus(ns, 'foo', { currentHealthy: 0, desiredHealthy: 2, expectedPods: 0, disruptionsAllowed: 0 });
    expect(b.status!.conditions).toEqual([
      { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: expect.any(String) },
    ]);
    await createPods(ns, 3);
    b = await waitForStatus(ns, 'foo', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
    expect(b.status!.conditions).toEqual([
      { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: expect.any(String) },
    ]);
    // kubectl's printer columns show it
    const table = (await t.api.get(pdbPath(ns)).set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io').expect(200)).body;
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    expect(table.rows[0].cells.slice(0, 4)).toEqual(['foo', '2', 'N/A', 1]);
  });

  it("computes a percentage and maxUnavailable against the controller scale, a ReplicaSet's Deployment answering for it", async () => {
    const ns = await newNamespace('disruption');
    // The Deployment wants 4 replicas; its ReplicaSet has 2 (no deployment controller runs here).
    const deploy = (await t.api
      .post(`/apis/apps/v1/namespaces/${ns}/deployments`)
      .send({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 4, selector: { matchLabels: defaultLabels }, template: replicaSet('x', 0).spec.template } })
      .expect(201)).body as KubeObject;
    await client.create(REPLICA_SETS, ns, replicaSet('web-1', 2, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deploy.metadata!.uid, controller: true }]));
    await runningPods(ns, 2);
    await createPDB(ns, 'half', { minAvailable: '50%' });
    await waitForStatus(ns, 'half', { expectedPods: 4, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
    await createPDB(ns, 'one-down', { maxUnavailable: '25%' }, {});
    // Both budgets select the same pods; each is computed on its own.
    await waitForStatus(ns, 'one-down', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 2, disruptionsAllowed: 0 });
  });

  it('uses a StatefulSet scale and warns about pods without a controller', async () => {
    const ns = await newNamespace('disruption');
    const sts = (await t.api
      .post(`/apis/apps/v1/namespaces/${ns}/statefulsets`)
      .send({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: defaultLabels }, template: replicaSet('x', 0).spec.template } })
      .expect(201)).body as KubeObject;
    await createPods(ns, 2, defaultLabels, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: sts.metadata!.uid, controller: true }] });
    await runningPods(ns, 2);
    await createPDB(ns, 'db', { maxUnavailable: 1 });
    await waitForStatus(ns, 'db', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });

    // A bare pod joins: it is left out of the scale, with a warning.
    await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: defaultLabels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })
      .expect(201);
    await waitForStatus(ns, 'db', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    const events = await waitFor(async () => {
      const list = (await t.api.get(`/api/v1/namespaces/${ns}/events?fieldSelector=reason%3DUnmanagedPods`).expect(200)).body.items;
      return list.length > 0 && list;
    }, 'the UnmanagedPods event');
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'PodDisruptionBudget', name: 'db' }, source: { component: 'disruption-controller' } });
  });

  it('fails safe when a controller of the pods cannot be found', async () => {
    const ns = await newNamespace('disruption');
    await createPods(ns, 2, defaultLabels, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', uid: '00000000-0000-0000-0000-000000000001', controller: true }] });
    await runningPods(ns, 2);
    await createPDB(ns, 'foo', { minAvailable: '10%' });
    await waitForStatus(ns, 'foo', { disruptionsAllowed: 0, observedGeneration: 1 });
    await waitFor(async () => (await getPDB(ns, 'foo')).status?.conditions?.[0]?.reason === 'SyncFailed', 'the SyncFailed condition');
    expect((await getPDB(ns, 'foo')).status!.conditions![0]).toMatchObject({ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "pod-0"' });
  });

  it('refuses an eviction with 429 while the budget allows none, and lets it through after the ReplicaSet is scaled up', async () => {
    const ns = await newNamespace('disruption');
    await client.create(REPLICA_SETS, ns, replicaSet('rs', 2));
    const pods = await runningPods(ns, 2);
    await createPDB(ns, 'foo', { minAvailable: 2 });
    await waitForStatus(ns, 'foo', { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 });

    const victim = pods[0].metadata!.name!;
    const refused = await evict(ns, victim).expect(429);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      code: 429,
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget foo needs 2 healthy pods and has 2 currently' }] },
    });
    // The pod is still there.
    await t.api.get(`/api/v1/namespaces/${ns}/pods/${victim}`).expect(200);

    // Scale up: a third ready pod makes one disruption possible.
    const scale = await client.getScale(REPLICA_SETS, ns, 'rs');
    await client.updateScale(REPLICA_SETS, ns, 'rs', { ...scale, spec: { replicas: 3 } });
    await runningPods(ns, 3);
    await waitForStatus(ns, 'foo', { currentHealthy: 3, expectedPods: 3, disruptionsAllowed: 1 });
    await evict(ns, victim).expect(201);
    await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}/pods/${victim}`)).status === 404, 'the evicted pod to go');

    // The eviction took the disruption; the ReplicaSet replaces the pod, and the controller drops
    // the evicted pod from disruptedPods once it is gone.
    await runningPods(ns, 3);
    const after = await waitForStatus(ns, 'foo', { currentHealthy: 3, disruptionsAllowed: 1 });
    expect(after.status!.disruptedPods ?? {}).toEqual({});
    const pdbs = await client.list(POD_DISRUPTION_BUDGETS, ns);
    expect(pdbs.items).toHaveLength(1);
  });
});
