/**
 * The generic registry through HTTP: system metadata, generateName, preconditions, generation,
 * status and scale subresources, finalizers, dryRun, deletecollection, namespace lifecycle, and
 * the Table and PartialObjectMetadata views.
 */
import { ControllerManager } from '../../controllers/runtime/manager';
import { builtinControllers } from '../../controllers/builtin-controllers';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let controllers: ControllerManager;
// Deployments here are plain objects whose status the tests write: every built-in controller
// runs (a deleted namespace must go, pods need the default ServiceAccount) but the Deployment one.
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  controllers = new ControllerManager(t.nodeless.client);
  controllers.add(...builtinControllers({ rootCACert: 'unused' }).filter((c) => c.name !== 'deployment-controller'));
  await controllers.start();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'reg' } }).expect(201);
});
afterAll(async () => {
  controllers.stop();
  await t.close();
});

const deployments = '/apis/apps/v1/namespaces/reg/deployments';
const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
  },
  status: { replicas: 99 },
});

describe('create', () => {
  it('sets uid, creationTimestamp, resourceVersion and generation, and clears status and client-set system fields', async () => {
    const body = deployment('meta');
    (body.metadata as Record<string, unknown>).uid = 'client-uid';
    (body.metadata as Record<string, unknown>).resourceVersion = '12345';
    const res = await t.api.post(deployments).send(body).expect(201);
    expect(res.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(res.body.metadata.resourceVersion).not.toBe('12345');
    expect(res.body.metadata.generation).toBe(1);
    expect(res.body.status).toBeUndefined();
    expect(res.body.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  });

  it('generates a name from generateName', async () => {
    const res = await t.api.post('/api/v1/namespaces/reg/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }).expect(201);
    expect(res.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 409 AlreadyExists for a second create', async () => {
    const res = await t.api.post(deployments).send(deployment('meta'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'AlreadyExists', message: 'deployments.apps "meta" already exists', details: { name: 'meta', group: 'apps', kind: 'deployments' } });
  });

  it('persists nothing under dryRun=All', async () => {
    const res = await t.api.post(`${deployments}?dryRun=All`).send(deployment('dry')).expect(201);
    expect(res.body.metadata.uid).toBeDefined();
    await t.api.get(`${deployments}/dry`).expect(404);
  });
});

describe('update', () => {
  it('bumps generation only when the spec changes', async () => {
    const cur = (await t.api.get(`${deployments}/meta`)).body;
    cur.metadata.labels.extra = 'yes';
    const labelled = (await t.api.put(`${deployments}/meta`).send(cur).expect(200)).body;
    expect(labelled.metadata.generation).toBe(1);
    labelled.spec.replicas = 3;
    const scaled = (await t.api.put(`${deployments}/meta`).send(labelled).expect(200)).body;
    expect(scaled.metadata.generation).toBe(2);
  });

  it('answers 409 Conflict for a stale resourceVersion', async () => {
    const cur = (await t.api.get(`${deployments}/meta`)).body;
    const stale = structuredClone(cur);
    cur.metadata.labels.v = '1';
    await t.api.put(`${deployments}/meta`).send(cur).expect(200);
    stale.metadata.labels.v = '2';
    const res = await t.api.put(`${deployments}/meta`).send(stale);
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('Conflict');
    expect(res.body.message).toBe('Operation cannot be fulfilled on deployments.apps "meta": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('ignores status on the main resource and everything but status on /status', async () => {
    const cur = (await t.api.get(`${deployments}/meta`)).body;
    cur.status = { replicas: 7 };
    const main = (await t.api.put(`${deployments}/meta`).send(cur).expect(200)).body;
    expect(main.status).toBeUndefined();
    main.status = { replicas: 7, observedGeneration: 2 };
    main.spec.replicas = 42;
    const status = (await t.api.put(`${deployments}/meta/status`).send(main).expect(200)).body;
    expect(status.status).toEqual({ replicas: 7, observedGeneration: 2 });
    expect(status.spec.replicas).toBe(3);
    const patched = (await t.api.patch(`${deployments}/meta/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { readyReplicas: 1 } }).expect(200)).body;
    expect(patched.status).toMatchObject({ replicas: 7, readyReplicas: 1 });
  });

  it('refuses a name that does not match the URL with 400', async () => {
    const cur = (await t.api.get(`${deployments}/meta`)).body;
    cur.metadata.name = 'other';
    expect((await t.api.put(`${deployments}/meta`).send(cur)).status).toBe(400);
  });
});

describe('scale subresource', () => {
  it('reads and writes replicas as an autoscaling/v1 Scale', async () => {
    const scale = (await t.api.get(`${deployments}/meta/scale`).expect(200)).body;
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 7, selector: 'app=meta' } });
    scale.spec.replicas = 5;
    const put = (await t.api.put(`${deployments}/meta/scale`).send(scale).expect(200)).body;
    expect(put.spec.replicas).toBe(5);
    await t.api.patch(`${deployments}/meta/scale`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 6 } }).expect(200);
    expect((await t.api.get(`${deployments}/meta`)).body.spec.replicas).toBe(6);
  });
});

describe('delete', () => {
  it('marks an object with finalizers and removes it when the last finalizer goes', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } };
    await t.api.post('/api/v1/namespaces/reg/configmaps').send(cm).expect(201);
    // kube-apiserver answers 200 with the marked object; 202 only when orphanDependents=false was sent.
    const del = await t.api.delete('/api/v1/namespaces/reg/configmaps/held').expect(200);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    const marked = (await t.api.get('/api/v1/namespaces/reg/configmaps/held').expect(200)).body;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const res = await t.api.patch('/api/v1/namespaces/reg/configmaps/held').set('Content-Type', 'application/merge-patch+json').send({ metadata: { finalizers: ['example.com/hold', 'example.com/new'] } });
    expect(res.status).toBe(422);
    await t.api.patch('/api/v1/namespaces/reg/configmaps/held').set('Content-Type', 'application/merge-patch+json').send({ metadata: { finalizers: null } }).expect(200);
    await t.api.get('/api/v1/namespaces/reg/configmaps/held').expect(404);
  });

  it('answers a Status for an immediate delete, honours preconditions and dryRun', async () => {
    await t.api.post(deployments).send(deployment('gone')).expect(201);
    const wrongUid = await t.api.delete(`${deployments}/gone`).send({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'nope' } });
    expect(wrongUid.status).toBe(409);
    await t.api.delete(`${deployments}/gone?dryRun=All`).expect(200);
    await t.api.get(`${deployments}/gone`).expect(200);
    const res = await t.api.delete(`${deployments}/gone`).expect(200);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', group: 'apps', kind: 'deployments' } });
    await t.api.get(`${deployments}/gone`).expect(404);
  });

  it('deletes a collection by label selector', async () => {
    for (const n of ['a', 'b', 'c']) {
      await t.api.post('/api/v1/namespaces/reg/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `dc-${n}`, labels: { set: n === 'c' ? 'keep' : 'drop' } } }).expect(201);
    }
    const res = await t.api.delete('/api/v1/namespaces/reg/configmaps?labelSelector=set%3Ddrop').expect(200);
    expect(res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['dc-a', 'dc-b']);
    const left = (await t.api.get('/api/v1/namespaces/reg/configmaps?labelSelector=set')).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(left).toEqual(['dc-c']);
  });
});

describe('namespaces', () => {
  it('refuses new content in a terminating namespace with 403 and removes the namespace once empty', async () => {
    await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } }).expect(201);
    await t.api.post('/api/v1/namespaces/doomed/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } }).expect(201);
    const del = await t.api.delete('/api/v1/namespaces/doomed').expect(200);
    expect(del.body.status.phase).toBe('Terminating');
    const refused = await t.api.post('/api/v1/namespaces/doomed/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/unable to create new content in namespace doomed because it is being terminated/);
    await t.api.patch('/api/v1/namespaces/doomed/configmaps/held').set('Content-Type', 'application/merge-patch+json').send({ metadata: { finalizers: null } }).expect(200);
    await waitFor(async () => (await t.api.get('/api/v1/namespaces/doomed')).status === 404, 'the namespace to go');
  });

  it('refuses to delete the default namespace', async () => {
    expect((await t.api.delete('/api/v1/namespaces/default')).status).toBe(403);
  });
});

describe('views', () => {
  it('answers Table and PartialObjectMetadataList for lists and single objects', async () => {
    const table = (await t.api.get(deployments).set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io').expect(200)).body;
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    // readyReplicas 1 was written through /status above.
    expect(table.rows[0].cells.slice(0, 2)).toEqual(['meta', '1/6']);
    const one = (await t.api.get(`${deployments}/meta`).set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io').expect(200)).body;
    expect(one.rows).toHaveLength(1);
    const pom = (await t.api.get(deployments).set('Accept', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io').expect(200)).body;
    expect(pom.kind).toBe('PartialObjectMetadataList');
    expect(pom.items[0]).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'meta' } });
    expect(pom.items[0].spec).toBeUndefined();
  });

  it('answers YAML when asked', async () => {
    const res = await t.api.get(`${deployments}/meta`).set('Accept', 'application/yaml').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/yaml/);
    expect(res.text).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
  });
});

describe('quantities', () => {
  const pod = (cpu: unknown, memory: unknown) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `q-${String(cpu).replace(/[^a-z0-9]/gi, '').toLowerCase() || 'x'}` },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu, memory }, limits: { cpu: '1000m' } } }] },
  });

  it('stores quantities in canonical form', async () => {
    const res = await t.api.post('/api/v1/namespaces/reg/pods').send(pod('0.5', '1024Mi')).expect(201);
    expect(res.body.spec.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1' } });
  });

  it('refuses an invalid quantity with 422 naming the field', async () => {
    const res = await t.api.post('/api/v1/namespaces/reg/pods').send(pod('abc', '1Gi'));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({ field: 'spec.containers[0].resources.requests.cpu', message: expect.stringMatching(/^Invalid value: "abc": quantities must match the regular expression/) }),
    ]);
  });
});

describe('table rows', () => {
  it('renders a cached row with its age recomputed, and a changed object afresh', async () => {
    const path = '/api/v1/namespaces/reg/configmaps';
    await t.api.post(path).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rows' }, data: { a: '1' } }).expect(201);
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const row = async () => (await t.api.get(`${path}?fieldSelector=metadata.name%3Drows`).set('Accept', accept).expect(200)).body.rows[0];
    const first = await row();
    const second = await row();
    expect(second.cells.slice(0, 2)).toEqual(['rows', 1]);
    expect(second.cells[2]).toMatch(/^\d+s$/);
    expect(second.object.metadata.resourceVersion).toBe(first.object.metadata.resourceVersion);
    await t.api.patch(`${path}/rows`).set('Content-Type', 'application/merge-patch+json').send({ data: { b: '2' } }).expect(200);
    const third = await row();
    expect(third.cells.slice(0, 2)).toEqual(['rows', 2]);
    expect(third.object.metadata.resourceVersion).not.toBe(first.object.metadata.resourceVersion);
  });
});
