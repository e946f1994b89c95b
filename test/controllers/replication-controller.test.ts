/**
 * The ReplicationController controller (the ReplicaSet controller on core/v1
 * replicationcontrollers), conformance-style: pods made from the template, replaced and removed,
 * matching orphans adopted and non-matching pods released, the scale subresource, and the
 * ReplicaFailure condition when pod creation is refused.
 */
import { PODS, REPLICATION_CONTROLLERS, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

// Test objects are read loosely, as JSON.
type Obj = Record<string, any>;

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('rc-test');
});
afterAll(() => t.close());

// As the conformance tests write them: no selector, which defaults to the template's labels.
function rc(name: string, replicas: number, labels: Record<string, string> = { name }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name },
    spec: { replicas, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

async function podsOf(c: Client, ns: string, name: string): Promise<Obj[]> {
  return ((await c.list(PODS, ns, { labelSelector: `name=${name}` })).items as Obj[]).filter((p) => !p.metadata.deletionTimestamp);
}

async function statusOf(c: Client, ns: string, name: string): Promise<Obj> {
  return ((await c.get(REPLICATION_CONTROLLERS, ns, name)).status ?? {}) as Obj;
}

describe('[sig-apps] ReplicationController', () => {
  it('should create pods from the template, replace a deleted one and remove extras on scale-down', async () => {
    const ns = await newNamespace('rc');
    const created = await client.create(REPLICATION_CONTROLLERS, ns, rc('web', 2));
    expect((created.spec as Obj).selector).toEqual({ name: 'web' });
    const pods = await waitFor(async () => {
      const p = await podsOf(client, ns, 'web');
      return p.length === 2 && p;
    }, 'two pods');
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.metadata.managedFields?.[0]?.manager).toBe('replicationcontroller-controller');
    }
    await client.delete(PODS, ns, pods[0].metadata.name);
    await waitFor(async () => {
      const p = await podsOf(client, ns, 'web');
      return p.length === 2 && !p.some((x) => x.metadata.name === pods[0].metadata.name);
    }, 'the replacement pod');
    await client.patch(REPLICATION_CONTROLLERS, ns, 'web', 'merge', { spec: { replicas: 1 } });
    await waitFor(async () => (await podsOf(client, ns, 'web')).length === 1, 'one pod');
    await waitFor(async () => (await statusOf(client, ns, 'web')).replicas === 1, 'status.replicas 1');
    expect(await statusOf(client, ns, 'web')).toMatchObject({ replicas: 1, fullyLabeledReplicas: 1, observedGeneration: 2 });
  });

  it('should adopt matching pods on creation [Conformance]', async () => {
    const ns = await newNamespace('rc');
    await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod-adoption', labels: { name: 'pod-adoption' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const created = await client.create(REPLICATION_CONTROLLERS, ns, rc('pod-adoption', 1));
    await waitFor(async () => (await client.get(PODS, ns, 'pod-adoption')).metadata?.ownerReferences?.[0]?.uid === created.metadata!.uid, 'the pod to be adopted');
    expect((await podsOf(client, ns, 'pod-adoption')).map((p) => p.metadata.name)).toEqual(['pod-adoption']);
  });

  it('should release no longer matching pods [Conformance]', async () => {
    const ns = await newNamespace('rc');
    await client.create(REPLICATION_CONTROLLERS, ns, rc('pod-release', 1));
    const [pod] = await waitFor(async () => {
      const p = await podsOf(client, ns, 'pod-release');
      return p.length === 1 && p;
    }, 'the pod');
    await client.patch(PODS, ns, pod.metadata.name, 'merge', { metadata: { labels: { name: 'not-matching-name' } } });
    await waitFor(async () => !(await client.get(PODS, ns, pod.metadata.name)).metadata?.ownerReferences?.length, 'the pod to be released');
    await waitFor(async () => (await podsOf(client, ns, 'pod-release')).length === 1, 'a new pod in its place');
  });

  it('should get and update a ReplicationController scale [Conformance]', async () => {
    const ns = await newNamespace('rc');
    await client.create(REPLICATION_CONTROLLERS, ns, rc('e2e-rc', 1));
    // status.replicas counts pods created, running or not.
    await waitFor(async () => (await statusOf(client, ns, 'e2e-rc')).replicas === 1, 'status.replicas 1');
    const scalePath = `/api/v1/namespaces/${ns}/replicationcontrollers/e2e-rc/scale`;
    const got = await t.api.get(scalePath).expect(200);
    expect(got.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'e2e-rc', namespace: ns }, spec: { replicas: 1 }, status: { replicas: 1, selector: 'name=e2e-rc' } });
    const scale = { ...got.body, spec: { replicas: 2 } };
    const put = await t.api.put(scalePath).send(scale).expect(200);
    expect(put.body.spec.replicas).toBe(2);
    await waitFor(async () => (await statusOf(client, ns, 'e2e-rc')).replicas === 2, 'status.replicas 2');
    expect((await t.api.get(scalePath).expect(200)).body).toMatchObject({ spec: { replicas: 2 }, status: { replicas: 2 } });
    expect(await podsOf(client, ns, 'e2e-rc')).toHaveLength(2);
  });
});

describe('[sig-apps] ReplicationController with running pods', () => {
  it('should test the lifecycle of a ReplicationController [Conformance]', async () => {
    const ns = await newNamespace('rc');
    const kubelet = await new FakeKubelet(t.nodeless.client, { namespace: ns }).start();
    const base = `/api/v1/namespaces/${ns}/replicationcontrollers`;
    try {
      const manifest = rc('rc-lifecycle-test', 1, { 'test-rc-static': 'true' });
      manifest.metadata!.labels = { 'test-rc-static': 'true' };
      await client.create(REPLICATION_CONTROLLERS, ns, manifest);
      const ready = async (n: number) => {
        const s = await statusOf(client, ns, 'rc-lifecycle-test');
        return s.readyReplicas === n && s.availableReplicas === n;
      };
      await waitFor(() => ready(1), 'one ready, available replica', 30000);

      await t.api.patch(`${base}/rc-lifecycle-test`).set('Content-Type', 'application/strategic-merge-patch+json').send({ metadata: { labels: { 'test-rc': 'patched' } } }).expect(200);
      // A status patch is overwritten by the controller, which counts the pods again.
      const patched = await t.api.patch(`${base}/rc-lifecycle-test/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { readyReplicas: 0, availableReplicas: 0 } }).expect(200);
      expect(patched.body.status).toMatchObject({ readyReplicas: 0, availableReplicas: 0 });
      expect(patched.body.metadata.labels).toEqual({ 'test-rc-static': 'true', 'test-rc': 'patched' });
      await waitFor(() => ready(1), 'the controller to restore the counts', 30000);
      const status = (await t.api.get(`${base}/rc-lifecycle-test/status`).expect(200)).body;
      expect(status).toMatchObject({ kind: 'ReplicationController', metadata: { name: 'rc-lifecycle-test' }, status: { replicas: 1 } });

      const scale = (await t.api.get(`${base}/rc-lifecycle-test/scale`).expect(200)).body;
      await t.api.put(`${base}/rc-lifecycle-test/scale`).send({ ...scale, spec: { replicas: 2 } }).expect(200);
      await waitFor(() => ready(2), 'two ready, available replicas', 30000);

      const listed = (await t.api.get('/api/v1/replicationcontrollers').query({ labelSelector: 'test-rc-static=true' }).expect(200)).body;
      expect(listed.items.map((x: Obj) => `${x.metadata.namespace}/${x.metadata.name}`)).toContain(`${ns}/rc-lifecycle-test`);
      await t.api.delete(base).query({ labelSelector: 'test-rc-static=true' }).expect(200);
      await waitFor(async () => (await t.api.get(`${base}/rc-lifecycle-test`)).status === 404, 'the ReplicationController to be deleted', 30000);
      expect(kubelet.errors).toEqual([]);
    } finally {
      kubelet.stop();
    }
  });
});

describe('[sig-apps] ReplicationController failure conditions', () => {
  it('should surface a failure condition on a common issue like exceeded quota [Conformance]', async () => {
    // The real thing: a ResourceQuota of two pods, enforced by quota admission, with every built-in controller running.
    const server = await startTestServer();
    try {
      const ns = 'default';
      await server.api
        .post(`/api/v1/namespaces/${ns}/resourcequotas`)
        .send({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'condition-test' }, spec: { hard: { pods: '2' } } })
        .expect(201);
      await waitFor(async () => (await server.api.get(`/api/v1/namespaces/${ns}/resourcequotas/condition-test`)).body.status?.hard?.pods === '2', 'the quota status');
      const c = server.nodeless.client.withFieldManager('rc-test');
      await c.create(REPLICATION_CONTROLLERS, 'default', rc('condition-test', 3));
      const failure = await waitFor(async () => {
        const s = await statusOf(c, 'default', 'condition-test');
        return s.conditions?.find((x: Obj) => x.type === 'ReplicaFailure' && x.status === 'True');
      }, 'the ReplicaFailure condition', 30000);
      expect(failure).toMatchObject({ reason: 'FailedCreate', message: expect.stringMatching(/^pods "condition-test-[a-z0-9]{5}" is forbidden: exceeded quota: condition-test, requested: pods=1, used: pods=2, limited: pods=2$/) });
      expect(await podsOf(c, 'default', 'condition-test')).toHaveLength(2);
      expect((await statusOf(c, 'default', 'condition-test')).replicas).toBe(2);

      await c.patch(REPLICATION_CONTROLLERS, 'default', 'condition-test', 'merge', { spec: { replicas: 2 } });
      await waitFor(async () => {
        const s = await statusOf(c, 'default', 'condition-test');
        return s.observedGeneration === 2 && !s.conditions?.some((x: Obj) => x.type === 'ReplicaFailure');
      }, 'the ReplicaFailure condition to clear', 30000);
    } finally {
      await server.close();
    }
  });
});
