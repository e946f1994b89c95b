/**
 * The resourcequota controller on its own manager with an injected clock (the server's copy
 * does not run): a pod stuck terminating stops counting once its grace period is over, the
 * periodic full recount repairs a status someone else wrote wrong, and a quota on a kind served
 * later (a CRD) is counted once it is. Also quota admission without the controller: the
 * "status unknown" refusal before any count exists, and the retry of a charge lost to another
 * writer.
 */
import { PODS, RESOURCE_QUOTAS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { ResourceQuotaController } from '../../controllers/quota/resource-quota';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });
const RESYNC_MS = 300_000;

beforeAll(async () => {
  t = await startTestServer({ disabledControllers: ['resourcequota-controller'] });
  client = t.nodeless.client.withFieldManager('resourcequota-test');
});
afterAll(() => t.close());

async function startController(): Promise<{ clock: FakeClock; manager: ControllerManager }> {
  const clock = new FakeClock();
  // The fake clock starts at the wall clock, so deletion timestamps the server writes compare with it.
  await clock.advance(Date.now() - clock.now());
  const manager = new ControllerManager(t.nodeless.client, { clock });
  manager.add(new ResourceQuotaController({ resyncPeriodMs: RESYNC_MS }));
  await manager.start();
  return { clock, manager };
}

async function used(ns: string, name: string): Promise<Record<string, string> | undefined> {
  return ((await client.get(RESOURCE_QUOTAS, ns, name)).status as { used?: Record<string, string> } | undefined)?.used;
}

async function waitForUsed(ns: string, name: string, want: Record<string, string>): Promise<void> {
  let last: Record<string, string> | undefined;
  try {
    await waitFor(
      async () => {
        last = await used(ns, name);
        return !!last && Object.entries(want).every(([k, v]) => last![k] === v);
      },
      `${name} used ${JSON.stringify(want)}`,
      20_000,
    );
  } catch (err) {
    throw new Error(`${String(err)}; last ${JSON.stringify(last)}`);
  }
}

function quota(name: string, hard: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } };
}

function pod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }] } };
}

describe('resourcequota controller', () => {
  it('refuses a pod a quota tracks before the quota has been counted', async () => {
    const ns = await newNamespace('rq');
    const q = await client.create(RESOURCE_QUOTAS, ns, quota('fresh', { pods: '2' }));
    // As if the controller had copied hard into status but not counted yet.
    await client.updateStatus(RESOURCE_QUOTAS, { ...q, status: { hard: { pods: '2' } } });
    const refused = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('early')).expect(403);
    expect(refused.body.message).toBe('pods "early" is forbidden: status unknown for quota: fresh, resources: pods');
  });

  it('charges again against the quota as it now is when another writer charged it first', async () => {
    const ns = await newNamespace('rq');
    const q = await client.create(RESOURCE_QUOTAS, ns, quota('q', { configmaps: '5' }));
    await client.updateStatus(RESOURCE_QUOTAS, { ...q, status: { hard: { configmaps: '5' }, used: { configmaps: '1' } } });
    const registry = t.nodeless.registry;
    const original = registry.update.bind(registry);
    let raced = 0;
    // Just before admission writes its charge, another API server charges three configmaps.
    const spy = jest.spyOn(registry, 'update').mockImplementation(async (def, namespace, name, obj, options) => {
      if (!raced++ && options?.fieldManager === 'resourcequota-admission') {
        const other = JSON.parse((await registry.get(def, namespace, name)).raw);
        other.status.used.configmaps = '4';
        await original(def, namespace, name, other, { subresource: 'status', fieldManager: 'another-apiserver' });
      }
      return original(def, namespace, name, obj, options);
    });
    try {
      await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fifth' } }).expect(201);
      // The first charge lost the race and was made again, on top of the other writer's.
      expect(raced).toBe(2);
      expect(await used(ns, 'q')).toEqual({ configmaps: '5' });
      const refused = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sixth' } }).expect(403);
      expect(refused.body.message).toBe('configmaps "sixth" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=5, limited: configmaps=5');
    } finally {
      spy.mockRestore();
    }
  });

  it('stops counting a pod stuck terminating once its grace period is over', async () => {
    const ns = await newNamespace('rq');
    const { clock, manager } = await startController();
    try {
      await client.create(RESOURCE_QUOTAS, ns, quota('q', { pods: '5', 'requests.cpu': '1', 'count/pods': '5' }));
      await waitForUsed(ns, 'q', { pods: '0' });
      await client.create(PODS, ns, pod('stuck'));
      // Bound to a node, the pod is deleted gracefully (30 s) and nothing finishes its deletion.
      await t.api.post(`/api/v1/namespaces/${ns}/pods/stuck/binding`).send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'stuck' }, target: { kind: 'Node', name: 'gone' } }).expect(201);
      await waitForUsed(ns, 'q', { pods: '1', 'requests.cpu': '100m' });
      await client.delete(PODS, ns, 'stuck');
      expect((await client.get(PODS, ns, 'stuck')).metadata?.deletionGracePeriodSeconds).toBe(30);
      // deletionTimestamp is when the grace period ends; as kube's QuotaV1Pod, quota lets the pod
      // go one grace period after that. Let the controller see the delete, then move past it.
      await waitFor(() => clock.pending().some((ms) => ms > 50_000 && ms < 70_000), 'the recount after the grace period to be planned');
      await clock.advance(30_000);
      expect(await used(ns, 'q')).toMatchObject({ pods: '1' });
      await clock.advance(40_000);
      await waitForUsed(ns, 'q', { pods: '0', 'requests.cpu': '0', 'count/pods': '1' });
    } finally {
      manager.stop();
    }
  });

  it('repairs a status written wrong at the next full recount', async () => {
    const ns = await newNamespace('rq');
    const { clock, manager } = await startController();
    try {
      await client.create(RESOURCE_QUOTAS, ns, quota('q', { configmaps: '10' }));
      await waitForUsed(ns, 'q', { configmaps: '1' });
      const current = await client.get(RESOURCE_QUOTAS, ns, 'q');
      await client.updateStatus(RESOURCE_QUOTAS, { ...current, status: { hard: { configmaps: '10' }, used: { configmaps: '7' } } });
      // A status write alone triggers nothing...
      await new Promise((r) => setImmediate(r));
      expect(await used(ns, 'q')).toEqual({ configmaps: '7' });
      // ...the periodic recount does.
      await clock.advance(RESYNC_MS);
      await waitForUsed(ns, 'q', { configmaps: '1' });
    } finally {
      manager.stop();
    }
  });

  it('counts count/<resource>.<group> of a custom resource once its CRD is served', async () => {
    const ns = await newNamespace('rq');
    const { clock, manager } = await startController();
    try {
      await client.create(RESOURCE_QUOTAS, ns, quota('q', { 'count/widgets.example.com': '3', configmaps: '10' }));
      // The kind is not served: what can be counted is, the rest waits.
      await waitForUsed(ns, 'q', { configmaps: '1' });
      expect((await used(ns, 'q'))?.['count/widgets.example.com']).toBeUndefined();
      await t.api
        .post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')
        .send({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com' },
          spec: {
            group: 'example.com',
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
            versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
          },
        })
        .expect(201);
      const widgets = `/apis/example.com/v1/namespaces/${ns}/widgets`;
      await waitFor(async () => (await t.api.get(widgets)).status === 200, 'the CRD to be served', 20_000);
      // Until the controller has counted the new kind, quota admission cannot tell its usage.
      const early = await t.api.post(widgets).send({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w0' } }).expect(403);
      expect(early.body.message).toBe('widgets.example.com "w0" is forbidden: status unknown for quota: q, resources: count/widgets.example.com');
      // The controller looks again after its discovery interval.
      await clock.advance(30_000);
      await waitForUsed(ns, 'q', { 'count/widgets.example.com': '0', configmaps: '1' });
      await t.api.post(widgets).send({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' } }).expect(201);
      await waitForUsed(ns, 'q', { 'count/widgets.example.com': '1' });
      await t.api.post(widgets).send({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' } }).expect(201);
      await waitForUsed(ns, 'q', { 'count/widgets.example.com': '2' });
    } finally {
      manager.stop();
    }
  });
});
