/**
 * The ReplicaSet controller on the in-process runtime, conformance-style: pods created from the
 * template to match spec.replicas with the ReplicaSet as controllerRef, replaced when deleted,
 * removed on scale-down, orphans adopted and non-matching pods released, status counts written
 * through the status subresource. Pods are marked Ready through pods/status, as a kubelet would.
 */
import { CONFIG_MAPS, PODS, REPLICA_SETS, type Client } from '../../controllers/runtime/client';
import { podsToDelete } from '../../controllers/workloads/replicaset';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('replicaset-test');
});
afterAll(() => t.close());

function replicaSet(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  const labels = { app: name, 'pod-template-hash': '5d8f7c9b4' };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels, annotations: { note: 'from-template' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...extra },
  };
}

async function podsOf(ns: string, name: string): Promise<KubeObject[]> {
  return (await client.list(PODS, ns, { labelSelector: `app=${name}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function statusOf(ns: string, name: string): Promise<Record<string, unknown>> {
  return ((await client.get(REPLICA_SETS, ns, name)).status ?? {}) as Record<string, unknown>;
}

async function markReady(pod: KubeObject): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.updateStatus(PODS, {
    ...pod,
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] },
  });
}

describe('[sig-apps] ReplicaSet', () => {
  it('should create spec.replicas pods from the template, controlled by the ReplicaSet, and count them in status', async () => {
    const ns = await newNamespace('rs');
    const rs = await client.create(REPLICA_SETS, ns, replicaSet('web', 3));
    const pods = await waitFor(async () => {
      const p = await podsOf(ns, 'web');
      return p.length === 3 && p;
    }, 'three pods');
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': '5d8f7c9b4' });
      expect(p.metadata?.annotations).toMatchObject({ note: 'from-template' });
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.metadata?.managedFields?.[0]?.manager).toBe('replicaset-controller');
    }
    await waitFor(async () => (await statusOf(ns, 'web')).replicas === 3, 'status.replicas 3');
    expect(await statusOf(ns, 'web')).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    const events = (await client.list({ group: '', version: 'v1', resource: 'events', namespaced: true }, ns, { fieldSelector: 'involvedObject.name=web,reason=SuccessfulCreate' })).items;
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ source: { component: 'replicaset-controller' }, involvedObject: { kind: 'ReplicaSet', name: 'web' } });

    // Ready pods through pods/status, as a kubelet reports them.
    for (const p of pods) await markReady(p);
    await waitFor(async () => (await statusOf(ns, 'web')).availableReplicas === 3, 'three available replicas');
    expect(await statusOf(ns, 'web')).toMatchObject({ readyReplicas: 3, availableReplicas: 3 });
  });

  it('should replace a deleted pod, scale up and down through the scale subresource, and never overshoot', async () => {
    const ns = await newNamespace('rs');
    await client.create(REPLICA_SETS, ns, replicaSet('scaled', 2));
    // Count every pod ever created, to catch a double create the expectations should prevent.
    const created = new Set<string>();
    const stream = await client.watch(PODS, ns, { resourceVersion: '0' });
    const counting = (async () => {
      for await (const ev of stream) if (ev.type === 'ADDED') created.add((ev.object as KubeObject).metadata!.name!);
    })();
    try {
      const two = await waitFor(async () => {
        const p = await podsOf(ns, 'scaled');
        return p.length === 2 && p;
      }, 'two pods');
      await client.delete(PODS, ns, two[0].metadata!.name!);
      await waitFor(async () => (await podsOf(ns, 'scaled')).length === 2 && created.size === 3, 'the replacement pod');
      // As kubectl scale: no resourceVersion, so the controller's status writes do not conflict.
      await client.updateScale(REPLICA_SETS, ns, 'scaled', { spec: { replicas: 5 } });
      await waitFor(async () => (await podsOf(ns, 'scaled')).length === 5, 'five pods');
      await waitFor(async () => (await statusOf(ns, 'scaled')).replicas === 5, 'status.replicas 5');
      expect(created.size).toBe(6);
      const five = await podsOf(ns, 'scaled');
      await markReady(five[0]);
      await client.updateScale(REPLICA_SETS, ns, 'scaled', { spec: { replicas: 1 } });
      const one = await waitFor(async () => {
        const p = await podsOf(ns, 'scaled');
        return p.length === 1 && p;
      }, 'one pod');
      // The ready pod is the one kept: not-ready pods go first.
      expect(one[0].metadata?.name).toBe(five[0].metadata?.name);
      await waitFor(async () => (await statusOf(ns, 'scaled')).replicas === 1, 'status.replicas 1');
      // Settled: nothing more is created.
      await new Promise((r) => setTimeout(r, 300));
      expect(created.size).toBe(6);
      expect((await podsOf(ns, 'scaled')).length).toBe(1);
    } finally {
      stream.close();
      await counting;
    }
  });

  it('should adopt a matching orphan pod and release a pod whose labels stop matching', async () => {
    const ns = await newNamespace('rs');
    const labels = { app: 'adopt', 'pod-template-hash': '5d8f7c9b4' };
    await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const rs = await client.create(REPLICA_SETS, ns, replicaSet('adopt', 1));
    await waitFor(async () => (await client.get(PODS, ns, 'orphan')).metadata?.ownerReferences?.[0]?.uid === rs.metadata!.uid, 'the orphan to be adopted');
    await new Promise((r) => setTimeout(r, 200));
    // Adopted, it is the one replica: no other pod was made.
    expect((await podsOf(ns, 'adopt')).map((p) => p.metadata?.name)).toEqual(['orphan']);

    await client.patch(PODS, ns, 'orphan', 'merge', { metadata: { labels: { app: 'adopt-released', 'pod-template-hash': null } } });
    await waitFor(async () => !(await client.get(PODS, ns, 'orphan')).metadata?.ownerReferences?.length, 'the pod to be released');
    await waitFor(async () => (await podsOf(ns, 'adopt')).length === 1, 'a new pod for the released one');
    expect((await podsOf(ns, 'adopt'))[0].metadata?.name).not.toBe('orphan');
  });

  it('should leave pods another controller owns alone', async () => {
    const ns = await newNamespace('rs');
    const labels = { app: 'owned', 'pod-template-hash': '5d8f7c9b4' };
    // The other controller's object must exist, or the garbage collector rightly deletes the pod
    // as the dependent of a missing owner; no controller acts on a ConfigMap's pods.
    const other = await client.create<KubeObject>(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-else' } });
    const otherRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'someone-else', uid: other.metadata!.uid!, controller: true };
    await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'theirs', labels, ownerReferences: [otherRef] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await client.create(REPLICA_SETS, ns, replicaSet('owned', 1));
    await waitFor(async () => (await podsOf(ns, 'owned')).length === 2, 'its own pod beside the other one');
    expect((await client.get(PODS, ns, 'theirs')).metadata?.ownerReferences).toEqual([otherRef]);
  });
});

describe('podsToDelete', () => {
  const pod = (name: string, extra: { phase?: string; ready?: boolean; cost?: string; created?: string }): KubeObject => ({
    metadata: { name, creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z', annotations: extra.cost ? { 'controller.kubernetes.io/pod-deletion-cost': extra.cost } : {} },
    status: { phase: extra.phase ?? 'Running', conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }] },
  });
  const now = Date.parse('2026-06-01T00:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();
  it('ranks pending before running, not ready before ready, lower deletion cost first, newer first', () => {
    const pods = [
      pod('ready-old', { ready: true, created: ago(86_400_000) }),
      pod('ready-new', { ready: true, created: ago(60_000) }),
      pod('ready-cheap', { ready: true, cost: '-10', created: ago(86_400_000) }),
      pod('running-unready', {}),
      pod('pending', { phase: 'Pending' }),
    ];
    expect(podsToDelete(pods, 5, now).map((p) => p.metadata?.name)).toEqual(['pending', 'running-unready', 'ready-cheap', 'ready-new', 'ready-old']);
  });
  it('ranks unscheduled first, more restarts first, and ages by powers of two (ties by uid), as LogarithmicScaleDown', () => {
    const withRestarts = (name: string, restarts: number): KubeObject => ({ ...pod(name, { ready: true, created: ago(60_000) }), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ restartCount: restarts }, { restartCount: 0 }] } });
    const scheduled = { ...pod('scheduled', { phase: 'Pending' }), spec: { nodeName: 'n1' } };
    expect(podsToDelete([scheduled, pod('unscheduled', { phase: 'Pending' })], 2, now).map((p) => p.metadata?.name)).toEqual(['unscheduled', 'scheduled']);
    expect(podsToDelete([withRestarts('few', 1), withRestarts('many', 5)], 2, now).map((p) => p.metadata?.name)).toEqual(['many', 'few']);
    // 61 s and 62 s old fall in the same power-of-two bucket of nanoseconds: the uid decides.
    const a = { ...pod('a', { ready: true, created: ago(61_000) }), metadata: { name: 'a', uid: 'uid-2', creationTimestamp: ago(61_000) } };
    const b = { ...pod('b', { ready: true, created: ago(62_000) }), metadata: { name: 'b', uid: 'uid-1', creationTimestamp: ago(62_000) } };
    expect(podsToDelete([a, b], 2, now).map((p) => p.metadata?.name)).toEqual(['b', 'a']);
  });
});
