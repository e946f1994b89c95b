/**
 * The disruption controller's two timeouts, on its own manager with an injected clock (the
 * server's copy does not run): an evicted pod recorded in status.disruptedPods does not count
 * as healthy until it is deleted or DeletionTimeout (2 min) passes, when it counts again with a
 * NotDeleted warning; and a DisruptionTarget condition left on a pod nobody deleted is set back
 * to False after two minutes, while a pod being deleted keeps it.
 */
import { EVENTS, PODS, POD_DISRUPTION_BUDGETS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { DisruptionController } from '../../controllers/workloads/disruption';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';
import { podStatus } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

beforeAll(async () => {
  t = await startTestServer({ disabledControllers: ['disruption-controller'] });
  client = t.nodeless.client.withFieldManager('disruption-test');
});
afterAll(() => t.close());

async function startController(): Promise<{ clock: FakeClock; manager: ControllerManager }> {
  const clock = new FakeClock();
  // Start at the wall clock: the server stamps conditions and disruptions with it.
  await clock.advance(Date.now() - clock.now());
  const manager = new ControllerManager(t.nodeless.client, { clock });
  manager.add(new DisruptionController());
  await manager.start();
  return { clock, manager };
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function runningPod(ns: string, name: string, extraConditions: Array<Record<string, unknown>> = [], metadata: Record<string, unknown> = {}): Promise<KubeObject> {
  const pod = await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' }, ...metadata }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  const status = podStatus(pod, { phase: 'Running' }) as { conditions: Array<Record<string, unknown>> };
  status.conditions.push(...extraConditions);
  return client.updateStatus(PODS, { ...pod, status });
}

function condition(pod: KubeObject, type: string): Record<string, unknown> | undefined {
  return ((pod.status as { conditions?: Array<Record<string, unknown>> }).conditions ?? []).find((c) => c.type === type);
}

describe('disruption controller timeouts', () => {
  it('leaves an evicted pod out of currentHealthy until DeletionTimeout, then counts it again with a NotDeleted warning', async () => {
    const ns = await newNamespace('disruption');
    const { clock, manager } = await startController();
    try {
      for (const n of ['a', 'b', 'c']) await runningPod(ns, n);
      await client.create(POD_DISRUPTION_BUDGETS, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
      await waitFor(async () => ((await client.get(POD_DISRUPTION_BUDGETS, ns, 'web')).status as { currentHealthy?: number })?.currentHealthy === 3, 'three healthy pods');
      // An eviction recorded pod a; nothing deleted it.
      const current = await client.get(POD_DISRUPTION_BUDGETS, ns, 'web');
      await client.updateStatus(POD_DISRUPTION_BUDGETS, { ...current, status: { ...(current.status as object), disruptedPods: { a: rfc3339(clock.now()) } } });
      await waitFor(async () => {
        const s = (await client.get(POD_DISRUPTION_BUDGETS, ns, 'web')).status as { currentHealthy?: number; disruptionsAllowed?: number; disruptedPods?: object };
        return s.currentHealthy === 2 && s.disruptionsAllowed === 1 && !!s.disruptedPods;
      }, 'pod a left out');
      await clock.advance(121_000);
      await waitFor(async () => {
        const s = (await client.get(POD_DISRUPTION_BUDGETS, ns, 'web')).status as { currentHealthy?: number; disruptedPods?: object };
        return s.currentHealthy === 3 && s.disruptedPods === undefined;
      }, 'pod a counted again');
      const events = await waitFor(async () => {
        const items = (await client.list(EVENTS, ns, { fieldSelector: 'reason=NotDeleted' })).items;
        return items.length > 0 && items;
      }, 'the NotDeleted event');
      expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', name: 'a' }, message: `Pod was expected by PDB ${ns}/web to be deleted but it wasn't` });
    } finally {
      manager.stop();
    }
  });

  it('resets a stale DisruptionTarget condition on a pod nobody deleted, and keeps it on a pod being deleted', async () => {
    const ns = await newNamespace('disruption');
    const { clock, manager } = await startController();
    try {
      const marked = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(clock.now()) };
      await runningPod(ns, 'kept', [marked]);
      await runningPod(ns, 'going', [marked], { finalizers: ['example.com/hold'] });
      await client.delete(PODS, ns, 'going');
      await waitFor(() => clock.pending().some((ms) => ms > 100_000 && ms <= 120_000), 'the reset to be planned');
      await clock.advance(60_000);
      expect(condition(await client.get(PODS, ns, 'kept'), 'DisruptionTarget')).toMatchObject({ status: 'True' });
      await clock.advance(61_000);
      await waitFor(async () => condition(await client.get(PODS, ns, 'kept'), 'DisruptionTarget')?.status === 'False', 'the condition to be reset');
      expect(condition(await client.get(PODS, ns, 'kept'), 'Ready')).toMatchObject({ status: 'True' });
      expect(condition(await client.get(PODS, ns, 'going'), 'DisruptionTarget')).toMatchObject({ status: 'True' });
      const going = await client.get(PODS, ns, 'going');
      await client.update(PODS, { ...going, metadata: { ...going.metadata, finalizers: [] } });
    } finally {
      manager.stop();
    }
  });
});
