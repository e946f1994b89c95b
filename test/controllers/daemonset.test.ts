/**
 * The DaemonSet controller on a cluster without nodes: no pods, a status that says none are
 * wanted and observes every generation, one Event saying why, and ControllerRevisions of the
 * template for `kubectl rollout history ds`.
 */
import { CONTROLLER_REVISIONS, DAEMON_SETS, EVENTS, PODS, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('daemonset-test');
});
afterAll(() => t.close());

function daemonSet(name: string, image = 'fluentd:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

async function observed(ns: string, name: string): Promise<Record<string, any>> {
  return waitFor(async () => {
    const ds = await client.get(DAEMON_SETS, ns, name);
    const s = (ds.status ?? {}) as Record<string, any>;
    return s.observedGeneration === ds.metadata!.generation && s;
  }, `${name}'s generation observed`);
}

describe('[sig-apps] DaemonSet without nodes', () => {
  it('should report that it schedules no pods, once, with an Event saying why', async () => {
    const ns = await newNamespace('ds');
    await client.create(DAEMON_SETS, ns, daemonSet('logs'));
    const status = await observed(ns, 'logs');
    expect(status).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0, numberMisscheduled: 0, observedGeneration: 1 });
    // kube omits these at zero; absent reads as 0 to every client.
    expect(status.updatedNumberScheduled ?? 0).toBe(0);
    expect(status.numberAvailable ?? 0).toBe(0);
    expect((await client.list(PODS, ns)).items).toEqual([]);

    const events = await waitFor(async () => {
      const e = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=logs' })).items;
      return e.length > 0 && e;
    }, 'the event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Normal',
      reason: 'NoNodes',
      message: 'nodeless runs no nodes, so DaemonSet logs schedules no pods: desiredNumberScheduled is 0',
      involvedObject: { kind: 'DaemonSet', name: 'logs' },
      source: { component: 'daemonset-controller' },
      count: 1,
    });

    // A new generation is observed too, with no second event.
    await client.patch(DAEMON_SETS, ns, 'logs', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'fluentd:2' }] } } } });
    expect(await observed(ns, 'logs')).toMatchObject({ observedGeneration: 2, desiredNumberScheduled: 0 });
    const after = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=logs' })).items;
    expect(after.map((e) => [e.reason, e.count])).toEqual([['NoNodes', 1]]);
  });

  it('should keep a ControllerRevision per template, owned by the DaemonSet', async () => {
    const ns = await newNamespace('ds');
    const ds = await client.create(DAEMON_SETS, ns, daemonSet('agent'));
    await observed(ns, 'agent');
    await client.patch(DAEMON_SETS, ns, 'agent', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'fluentd:2' }] } } } });
    await observed(ns, 'agent');
    const revs = await waitFor(async () => {
      const items = (await client.list(CONTROLLER_REVISIONS, ns, { labelSelector: 'app=agent' })).items as any[];
      return items.length === 2 && items.sort((a, b) => a.revision - b.revision);
    }, 'two revisions');
    expect(revs.map((r) => r.revision)).toEqual([1, 2]);
    for (const r of revs) {
      expect(r.metadata.name).toMatch(/^agent-[a-z0-9]+$/);
      expect(r.metadata.labels).toEqual({ app: 'agent', 'controller-revision-hash': r.metadata.name.slice('agent-'.length) });
      expect(r.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(revs[1].data.spec.template.spec.containers[0].image).toBe('fluentd:2');
    expect(revs[1].data.spec.template.$patch).toBe('replace');
  });
});
