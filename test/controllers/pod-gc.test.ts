/**
 * The pod garbage collector on the in-process runtime with an injected clock: terminated pods
 * beyond the threshold are deleted, evicted ones first and then the oldest; running pods and
 * the terminated pods within the threshold stay; threshold 0 keeps every pod; a pod being
 * deleted that was never scheduled is marked Failed and force-deleted.
 */
import { PODS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { PodGCController } from '../../controllers/workloads/pod-gc';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';
import { podStatus } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
// The registry's clock: each pod is created a minute after the one before.
let serverTime = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  // Only the collector under test runs, on its own manager.
  t = await startTestServer({ controllers: false, registry: { now: () => new Date(serverTime) } });
  client = t.nodeless.client.withFieldManager('pod-gc-test');
});
afterAll(() => t.close());

let nsCount = 0;
async function newNamespace(): Promise<string> {
  const ns = `podgc-${++nsCount}`;
  await client.create({ group: '', version: 'v1', resource: 'namespaces', namespaced: false }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  return ns;
}

async function createPod(ns: string, name: string, outcome?: Parameters<typeof podStatus>[1], extra: Record<string, unknown> = {}): Promise<KubeObject> {
  serverTime += 60_000;
  const pod = await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  if (!outcome) return pod;
  return client.updateStatus(PODS, { ...pod, status: podStatus(pod, outcome) });
}

async function names(ns: string): Promise<string[]> {
  return (await client.list(PODS, ns)).items.map((p) => p.metadata!.name!).sort();
}

async function startCollector(threshold: number): Promise<{ clock: FakeClock; gc: PodGCController; manager: ControllerManager; cached: () => number }> {
  const clock = new FakeClock();
  const gc = new PodGCController({ terminatedPodThreshold: threshold, periodMs: 20_000 });
  const manager = new ControllerManager(t.nodeless.client, { clock });
  manager.add(gc);
  await manager.start();
  const informer = manager.informers.informerFor(PODS);
  return { clock, gc, manager, cached: () => informer.size };
}

async function passOnce(c: { clock: FakeClock; gc: PodGCController }): Promise<void> {
  await c.clock.advance(20_000);
  await c.gc.idle();
}

describe('pod garbage collector', () => {
  it('deletes the terminated pods beyond the threshold, evicted first and then the oldest', async () => {
    const ns = await newNamespace();
    await createPod(ns, 'running', { phase: 'Running' });
    await createPod(ns, 'pending');
    for (const n of ['done-1', 'done-2', 'done-3', 'done-4']) await createPod(ns, n, { phase: 'Succeeded' });
    await createPod(ns, 'failed-5', { phase: 'Failed' });
    // The newest pod, but evicted: it goes first.
    const evicted = await createPod(ns, 'evicted-6', { phase: 'Failed' });
    await client.updateStatus(PODS, { ...evicted, status: { ...(evicted.status as object), reason: 'Evicted', message: 'The node was low on resource: memory.' } });

    const c = await startCollector(3);
    try {
      await waitFor(() => c.cached() >= 8, 'the collector to see the pods');
      // Nothing happens before the period is up.
      expect(await names(ns)).toHaveLength(8);
      await passOnce(c);
      // 6 terminated, threshold 3: the evicted pod and the two oldest go.
      await waitFor(async () => (await names(ns)).length === 5, 'three pods deleted');
      expect(await names(ns)).toEqual(['done-3', 'done-4', 'failed-5', 'pending', 'running']);
      // A second pass finds nothing over the threshold.
      await passOnce(c);
      expect(await names(ns)).toEqual(['done-3', 'done-4', 'failed-5', 'pending', 'running']);
    } finally {
      c.manager.stop();
    }
  });

  it('keeps every terminated pod with a threshold of 0', async () => {
    const ns = await newNamespace();
    for (const n of ['a', 'b', 'c']) await createPod(ns, n, { phase: 'Failed' });
    const c = await startCollector(0);
    try {
      await waitFor(() => c.cached() >= 3, 'the collector to see the pods');
      await passOnce(c);
      await passOnce(c);
      expect(await names(ns)).toEqual(['a', 'b', 'c']);
    } finally {
      c.manager.stop();
    }
  });

  it('marks Failed and force-deletes a terminating pod that was never scheduled', async () => {
    const ns = await newNamespace();
    // A finalizer holds the pod after its delete, as a Job's tracking finalizer would.
    await createPod(ns, 'held', { phase: 'Running' }, { finalizers: ['example.com/hold'] });
    await createPod(ns, 'bystander', { phase: 'Running' });
    await client.delete(PODS, ns, 'held');
    const held = await client.get(PODS, ns, 'held');
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect((held.status as { phase: string }).phase).toBe('Running');

    const c = await startCollector(12_500);
    try {
      await waitFor(() => c.cached() >= 2, 'the collector to see the pods');
      await passOnce(c);
      await waitFor(async () => ((await client.get(PODS, ns, 'held')).status as { phase: string }).phase === 'Failed', 'the held pod to be marked Failed');
      expect(((await client.get(PODS, ns, 'bystander')).status as { phase: string }).phase).toBe('Running');
      // Once the finalizer is gone the pod goes; the collector asked for no grace period.
      const current = await client.get(PODS, ns, 'held');
      await client.update(PODS, { ...current, metadata: { ...current.metadata, finalizers: [] } });
      await waitFor(async () => !(await names(ns)).includes('held'), 'the held pod to go');
      expect(await names(ns)).toEqual(['bystander']);
    } finally {
      c.manager.stop();
    }
  });
});
