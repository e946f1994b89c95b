/**
 * Conformance: the upstream "[sig-api-machinery] Garbage collector" tests
 * (test/e2e/apimachinery/garbage_collector.go). Pods never run here: the collector only reads
 * and writes API objects, so unbound pods (deleted at once, with no grace period) are what it
 * sees in any cluster.
 *
 * The Deployment, ReplicaSet and ReplicationController controllers make the dependents, as
 * upstream; a few rows that need pods a controller would not make (held by a finalizer, owned by
 * an RC that is being deleted) create them directly with the ownerReferences a controller gives.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { createEstablished, crdManifest, deleteAndWait } from '../crd/helpers';
import { CONFIG_MAPS, PODS, REPLICA_SETS, isNotFound, type Client, type ResourceDescriptor } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';

let t: TestServer;
let client: Client;
beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client;
});
afterAll(() => t.close());

const RCS: ResourceDescriptor = { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' };
const DEPLOYMENTS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' };

let nsCount = 0;
async function namespace(prefix: string): Promise<string> {
  const name = `gc-${prefix}-${++nsCount}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

const podSpec = { containers: [{ name: 'nginx', image: 'registry.k8s.io/e2e-test-images/nginx:1.14-2' }] };

/** ownerRef is the reference a controller puts on what it makes (controller and blockOwnerDeletion). */
function ownerRef(owner: KubeObject, extra: Record<string, unknown> = { controller: true, blockOwnerDeletion: true }): Record<string, unknown> {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata!.name, uid: owner.metadata!.uid, ...extra };
}

async function rc(ns: string, name: string, replicas: number): Promise<KubeObject> {
  const labels = { app: name };
  return client.create(RCS, ns, {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, labels },
    spec: { replicas, selector: labels, template: { metadata: { labels }, spec: podSpec } },
  });
}

async function pod(ns: string, name: string, meta: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: podSpec });
}

async function exists(res: ResourceDescriptor, ns: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(res, ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function gone(res: ResourceDescriptor, ns: string | undefined, name: string, what: string): Promise<void> {
  await waitFor(async () => !(await exists(res, ns, name)), what, 30_000);
}

async function podNames(ns: string): Promise<string[]> {
  return (await client.list(PODS, ns)).items.map((p) => p.metadata!.name!).sort();
}

/** deleteWith sends DELETE with DeleteOptions in the body, as client-go does, and answers the response. */
function deleteWith(path: string, options: Record<string, unknown>) {
  return t.api.delete(path).send({ kind: 'DeleteOptions', apiVersion: 'v1', ...options });
}

const refUids = (obj: KubeObject | undefined) => ((obj?.metadata?.ownerReferences ?? []) as Array<{ uid: string }>).map((r) => r.uid);

it('[sig-api-machinery] Garbage collector should delete pods created by rc when not orphaning [Conformance]', async () => {
  const ns = await namespace('rc-cascade');
  await rc(ns, 'simpletest.rc', 2);
  // The ReplicationController controller makes the two pods.
  await waitFor(async () => (await podNames(ns)).length === 2, 'the rc to make two pods', 30_000);
  const res = await deleteWith(`/api/v1/namespaces/${ns}/replicationcontrollers/simpletest.rc`, { propagationPolicy: 'Background' }).expect(200);
  expect(res.body).toMatchObject({ kind: 'Status', status: 'Success' });
  await gone(RCS, ns, 'simpletest.rc', 'the rc to be deleted');
  await waitFor(async () => (await podNames(ns)).length === 0, 'the pods of the rc to be garbage collected', 30_000);
});

async function deploymentWithReplicaSet(ns: string, app: string): Promise<{ deployment: KubeObject; rs: KubeObject }> {
  const labels = { app };
  const deployment = await client.create<KubeObject>(DEPLOYMENTS, ns, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'simpletest-deployment', labels },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  });
  // The Deployment controller makes the ReplicaSet, and the ReplicaSet controller its pods.
  const rs = await waitFor(async () => (await client.list(REPLICA_SETS, ns)).items[0], 'the Deployment to make its ReplicaSet', 30_000);
  await waitFor(async () => (await podNames(ns)).length === 2, 'the ReplicaSet to make two pods', 30_000);
  return { deployment, rs };
}

it('[sig-api-machinery] Garbage collector should delete RS created by deployment when not orphaning [Conformance]', async () => {
  const ns = await namespace('deploy-cascade');
  const { rs } = await deploymentWithReplicaSet(ns, 'gc-rs');
  await deleteWith(`/apis/apps/v1/namespaces/${ns}/deployments/simpletest-deployment`, { propagationPolicy: 'Background' }).expect(200);
  await gone(REPLICA_SETS, ns, rs.metadata!.name!, 'the ReplicaSet to be garbage collected');
  await waitFor(async () => (await podNames(ns)).length === 0, 'the pods to be garbage collected', 30_000);
});

it('[sig-api-machinery] Garbage collector should orphan RS created by deployment when deleteOptions.PropagationPolicy is Orphan [Conformance]', async () => {
  const ns = await namespace('deploy-orphan');
  const { deployment, rs: made } = await deploymentWithReplicaSet(ns, 'gc-rs-orphan');
  const res = await deleteWith(`/apis/apps/v1/namespaces/${ns}/deployments/simpletest-deployment`, { propagationPolicy: 'Orphan' }).expect(200);
  // The Deployment is held by the orphan finalizer until the collector has orphaned its dependents.
  expect(res.body.metadata.finalizers).toContain('orphan');
  expect(res.body.metadata.deletionTimestamp).toBeDefined();
  await gone(DEPLOYMENTS, ns, 'simpletest-deployment', 'the deployment to be deleted');
  // Its finalizer was only removed after the ReplicaSet lost its reference, so this holds now.
  const rs = await client.get(REPLICA_SETS, ns, made.metadata!.name!);
  expect(refUids(rs)).not.toContain(deployment.metadata!.uid);
  const pods = (await client.list(PODS, ns)).items;
  expect(pods).toHaveLength(2);
  for (const p of pods) expect(refUids(p)).toEqual([rs.metadata!.uid]);
});

it('[sig-api-machinery] Garbage collector should not be blocked by dependency circle [Conformance]', async () => {
  const ns = await namespace('circle');
  const pod1 = await pod(ns, 'pod1');
  const pod2 = await pod(ns, 'pod2');
  const pod3 = await pod(ns, 'pod3');
  const addRef = (name: string, owner: KubeObject) =>
    client.patch(PODS, ns, name, 'strategic', { metadata: { ownerReferences: [ownerRef(owner)] } });
  // pod1 is owned by pod3, pod2 by pod1, pod3 by pod2.
  await addRef('pod1', pod3);
  await addRef('pod2', pod1);
  await addRef('pod3', pod2);
  await deleteWith(`/api/v1/namespaces/${ns}/pods/pod1`, { propagationPolicy: 'Foreground', preconditions: { uid: pod1.metadata!.uid } }).expect(200);
  await waitFor(async () => (await podNames(ns)).length === 0, 'all three pods of the circle to be deleted', 60_000);
});

it('[sig-api-machinery] Garbage collector should orphan pods created by rc if delete options say so', async () => {
  const ns = await namespace('rc-orphan');
  await rc(ns, 'simpletest.rc', 2);
  const made = await waitFor(async () => {
    const names = await podNames(ns);
    return names.length === 2 && names;
  }, 'the rc to make two pods', 30_000);
  // The deprecated orphanDependents says the same as propagationPolicy=Orphan.
  const res = await t.api.delete(`/api/v1/namespaces/${ns}/replicationcontrollers/simpletest.rc?orphanDependents=true`).expect(200);
  expect(res.body.metadata.finalizers).toEqual(['orphan']);
  await gone(RCS, ns, 'simpletest.rc', 'the rc to be deleted');
  const pods = (await client.list(PODS, ns)).items;
  expect(pods.map((p) => p.metadata!.name).sort()).toEqual(made);
  for (const p of pods) expect(p.metadata!.ownerReferences).toBeUndefined();
});

it('[sig-api-machinery] Garbage collector should keep the rc around until all its pods are deleted if the deleteOptions says so', async () => {
  const ns = await namespace('rc-foreground');
  const owner = await rc(ns, 'simpletest.rc', 2);
  // One pod is held by a finalizer of the test's own, so the rc cannot go before the test lets it.
  await pod(ns, 'held', { labels: { app: 'simpletest.rc' }, ownerReferences: [ownerRef(owner)], finalizers: ['e2e.example.com/hold'] });
  await pod(ns, 'free', { labels: { app: 'simpletest.rc' }, ownerReferences: [ownerRef(owner)] });
  const res = await deleteWith(`/api/v1/namespaces/${ns}/replicationcontrollers/simpletest.rc`, { propagationPolicy: 'Foreground' }).expect(200);
  expect(res.body.metadata.finalizers).toEqual(['foregroundDeletion']);
  await gone(PODS, ns, 'free', 'the free pod to be deleted');
  await waitFor(async () => (await exists(PODS, ns, 'held'))?.metadata?.deletionTimestamp, 'the held pod to be deleted by the collector', 30_000);
  // The held pod still blocks its owner.
  const waiting = await client.get(RCS, ns, 'simpletest.rc');
  expect(waiting.metadata?.deletionTimestamp).toBeDefined();
  expect(waiting.metadata?.finalizers).toEqual(['foregroundDeletion']);
  await client.patch(PODS, ns, 'held', 'merge', { metadata: { finalizers: null } });
  await gone(PODS, ns, 'held', 'the held pod to go');
  await gone(RCS, ns, 'simpletest.rc', 'the rc to go once its pods are gone');
});

it("[sig-api-machinery] Garbage collector should not delete dependents that have both valid owner and owner that's waiting for dependents to be deleted", async () => {
  const ns = await namespace('two-owners');
  // The first rc makes four pods; half of them are then also owned by a second rc that stays.
  const toBeDeleted = await rc(ns, 'simpletest-rc-to-be-deleted', 4);
  const stays = await rc(ns, 'simpletest-rc-to-stay', 0);
  const made = await waitFor(async () => {
    const names = await podNames(ns);
    return names.length === 4 && names;
  }, 'the rc to make four pods', 30_000);
  const shared = made.slice(0, 2);
  for (const name of shared) {
    await client.patch(PODS, ns, name, 'merge', { metadata: { ownerReferences: [ownerRef(toBeDeleted), ownerRef(stays, { blockOwnerDeletion: true })] } });
  }
  await deleteWith(`/api/v1/namespaces/${ns}/replicationcontrollers/simpletest-rc-to-be-deleted`, { propagationPolicy: 'Foreground' }).expect(200);
  await gone(RCS, ns, 'simpletest-rc-to-be-deleted', 'the foreground-deleted rc to go');
  expect(await podNames(ns)).toEqual(shared);
  for (const name of shared) expect(refUids(await client.get(PODS, ns, name))).toEqual([stays.metadata!.uid]);
  expect(await exists(RCS, ns, 'simpletest-rc-to-stay')).toBeDefined();
});

describe('custom resources', () => {
  const group = 'gc.example.com';
  const crd = crdManifest({ group, kind: 'Owned', plural: 'owneds' });
  const OWNEDS: ResourceDescriptor = { group, version: 'v1', resource: 'owneds', namespaced: true, kind: 'Owned' };
  beforeAll(async () => {
    await createEstablished(t.api, crd);
  });
  afterAll(() => deleteAndWait(t.api, 'owneds.gc.example.com'));

  const cr = (ns: string, name: string, owner?: KubeObject) =>
    client.create(OWNEDS, ns, { apiVersion: `${group}/v1`, kind: 'Owned', metadata: { name, ...(owner ? { ownerReferences: [ownerRef(owner, {})] } : {}) } });

  it('[sig-api-machinery] Garbage collector should support cascading deletion of custom resources', async () => {
    const ns = await namespace('cr-cascade');
    const owner = await cr(ns, 'owner');
    await cr(ns, 'dependent', owner);
    await client.create(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned-config', ownerReferences: [ownerRef(owner, {})] }, data: { a: 'b' } });
    await deleteWith(`/apis/${group}/v1/namespaces/${ns}/owneds/owner`, { propagationPolicy: 'Background' }).expect(200);
    await gone(OWNEDS, ns, 'dependent', 'the dependent custom resource to be garbage collected');
    await gone(CONFIG_MAPS, ns, 'owned-config', 'the ConfigMap a custom resource owned to be garbage collected');
  });

  it('[sig-api-machinery] Garbage collector should support orphan deletion of custom resources', async () => {
    const ns = await namespace('cr-orphan');
    const owner = await cr(ns, 'owner');
    await cr(ns, 'dependent', owner);
    const res = await deleteWith(`/apis/${group}/v1/namespaces/${ns}/owneds/owner`, { propagationPolicy: 'Orphan' }).expect(200);
    expect(res.body.metadata.finalizers).toEqual(['orphan']);
    await gone(OWNEDS, ns, 'owner', 'the owner to be deleted');
    const dependent = await client.get(OWNEDS, ns, 'dependent');
    expect(dependent.metadata?.ownerReferences).toBeUndefined();
  });

  it('collects the dependents of a custom resource whose CRD came after the collector started', async () => {
    const late = crdManifest({ group, kind: 'Late', plural: 'lates' });
    await createEstablished(t.api, late);
    const LATES: ResourceDescriptor = { group, version: 'v1', resource: 'lates', namespaced: true, kind: 'Late' };
    const ns = await namespace('cr-late');
    const owner = await client.create(LATES, ns, { apiVersion: `${group}/v1`, kind: 'Late', metadata: { name: 'owner' } });
    await client.create(LATES, ns, { apiVersion: `${group}/v1`, kind: 'Late', metadata: { name: 'dependent', ownerReferences: [ownerRef(owner, {})] } });
    await client.delete(LATES, ns, 'owner', { propagationPolicy: 'Foreground' });
    await gone(LATES, ns, 'dependent', 'the dependent of the late kind to be deleted');
    await gone(LATES, ns, 'owner', 'the late owner to go after its dependent');
    await deleteAndWait(t.api, 'lates.gc.example.com');
  });
});

describe('background collection', () => {
  it('deletes an object whose only owner never existed, and leaves an object that has a valid owner but drops its dangling reference', async () => {
    const ns = await namespace('dangling');
    const missing = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never-was', uid: '11111111-2222-3333-4444-555555555555' } };
    const valid = await client.create<KubeObject>(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    await client.create(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orphaned', ownerReferences: [ownerRef(missing, {})] } });
    await client.create(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', ownerReferences: [ownerRef(missing, {}), ownerRef(valid, {})] } });
    await gone(CONFIG_MAPS, ns, 'orphaned', 'the dependent of a missing owner to be deleted');
    await waitFor(async () => refUids(await client.get(CONFIG_MAPS, ns, 'kept')).length === 1, 'the dangling reference to be removed', 30_000);
    expect(refUids(await client.get(CONFIG_MAPS, ns, 'kept'))).toEqual([valid.metadata!.uid]);
  });

  it('deletes the dependents of an owner deleted with the default policy, through every level', async () => {
    const ns = await namespace('levels');
    const top = await client.create<KubeObject>(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'top' } });
    const middle = await client.create<KubeObject>(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'middle', ownerReferences: [ownerRef(top, {})] } });
    await client.create(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bottom', ownerReferences: [ownerRef(middle, {})] } });
    // No propagationPolicy: the kind's default, Background; the owner goes at once.
    const res = await t.api.delete(`/api/v1/namespaces/${ns}/configmaps/top`).expect(200);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success' });
    await gone(CONFIG_MAPS, ns, 'middle', 'the middle dependent to be deleted');
    await gone(CONFIG_MAPS, ns, 'bottom', 'the bottom dependent to be deleted');
  });

  it('holds an owner deleted in the foreground that has no dependents only until the collector lets it go', async () => {
    const ns = await namespace('lonely');
    await client.create(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lonely' } });
    const res = await deleteWith(`/api/v1/namespaces/${ns}/configmaps/lonely`, { propagationPolicy: 'Foreground' }).expect(200);
    expect(res.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    await gone(CONFIG_MAPS, ns, 'lonely', 'the lonely owner to be finalized');
  });
});
