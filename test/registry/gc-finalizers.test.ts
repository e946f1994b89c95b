/**
 * The registry's half of deletion propagation, with no controller running: a DELETE's
 * propagationPolicy (or the deprecated orphanDependents) puts the orphan or foregroundDeletion
 * finalizer on the object and marks it deleted instead of removing it, as kube's generic store
 * does; a later DELETE swaps them; only the garbage collector (absent here) lets such an object
 * go, whether or not it has dependents.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gcf' } }).expect(201);
  // No service-account controller runs here: pods need the default ServiceAccount made by hand.
  await t.api.post('/api/v1/namespaces/gcf/serviceaccounts').send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).expect(201);
});
afterAll(() => t.close());

const cms = '/api/v1/namespaces/gcf/configmaps';
const cm = (name: string, finalizers?: string[]) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(finalizers ? { finalizers } : {}) } });
const del = (path: string, options: Record<string, unknown> = {}) => t.api.delete(path).send({ kind: 'DeleteOptions', apiVersion: 'v1', ...options });

it('holds an object deleted with Orphan or Foreground by the collector finalizer, and a later delete swaps it', async () => {
  await t.api.post(cms).send(cm('swap')).expect(201);
  const orphan = await del(`${cms}/swap`, { propagationPolicy: 'Orphan' }).expect(200);
  expect(orphan.body.metadata.finalizers).toEqual(['orphan']);
  expect(orphan.body.metadata.deletionTimestamp).toBeDefined();
  expect(orphan.body.metadata.deletionGracePeriodSeconds).toBe(0);
  // Held although nothing depends on it: only the collector removes the finalizer.
  expect((await t.api.get(`${cms}/swap`).expect(200)).body.metadata.finalizers).toEqual(['orphan']);

  // No policy keeps what the object asks for.
  const same = await t.api.delete(`${cms}/swap`).expect(200);
  expect(same.body.metadata.finalizers).toEqual(['orphan']);
  expect(same.body.metadata.resourceVersion).toBe(orphan.body.metadata.resourceVersion);

  const foreground = await del(`${cms}/swap`, { propagationPolicy: 'Foreground' }).expect(200);
  expect(foreground.body.metadata.finalizers).toEqual(['foregroundDeletion']);
  expect(foreground.body.metadata.deletionTimestamp).toBe(orphan.body.metadata.deletionTimestamp);

  // Background takes the last finalizer away: the object goes at once.
  const background = await del(`${cms}/swap`, { propagationPolicy: 'Background' }).expect(200);
  expect(background.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'swap', kind: 'configmaps' } });
  await t.api.get(`${cms}/swap`).expect(404);
});

it('keeps other finalizers in place while the collector ones come and go', async () => {
  await t.api.post(cms).send(cm('mixed', ['example.com/hold'])).expect(201);
  const orphan = await del(`${cms}/mixed`, { propagationPolicy: 'Orphan' }).expect(200);
  expect(orphan.body.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
  const background = await del(`${cms}/mixed`, { propagationPolicy: 'Background' }).expect(200);
  expect(background.body.metadata.finalizers).toEqual(['example.com/hold']);
  expect(background.body.metadata.deletionTimestamp).toBeDefined();
});

it('reads the deprecated orphanDependents: true orphans, false takes both finalizers away (and answers 202)', async () => {
  await t.api.post(cms).send(cm('deprecated', ['example.com/hold'])).expect(201);
  const orphan = await t.api.delete(`${cms}/deprecated?orphanDependents=true`).expect(200);
  expect(orphan.body.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
  await del(`${cms}/deprecated`, { propagationPolicy: 'Foreground' }).expect(200);
  const cascading = await t.api.delete(`${cms}/deprecated?orphanDependents=false`).expect(202);
  expect(cascading.body.metadata.finalizers).toEqual(['example.com/hold']);
});

it('shows the finalizer on a dry run and stores nothing', async () => {
  await t.api.post(cms).send(cm('dry')).expect(201);
  const dry = await t.api.delete(`${cms}/dry?dryRun=All&propagationPolicy=Foreground`).expect(200);
  expect(dry.body.metadata.finalizers).toEqual(['foregroundDeletion']);
  const stored = (await t.api.get(`${cms}/dry`).expect(200)).body;
  expect(stored.metadata.finalizers).toBeUndefined();
  expect(stored.metadata.deletionTimestamp).toBeUndefined();
});

it('orphans the pods of a batch/v1 Job deleted without a policy, as kube keeps for compatibility', async () => {
  const jobs = '/apis/batch/v1/namespaces/gcf/jobs';
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'legacy' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  await t.api.post(jobs).send(job).expect(201);
  const res = await t.api.delete(`${jobs}/legacy`).expect(200);
  expect(res.body.metadata.finalizers).toEqual(['orphan']);
  await del(`${jobs}/legacy`, { propagationPolicy: 'Background' }).expect(200);
  await t.api.get(`${jobs}/legacy`).expect(404);
});

it('never holds an event for the collector', async () => {
  const events = '/api/v1/namespaces/gcf/events';
  await t.api
    .post(events)
    .send({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'gcf' }, reason: 'Test', message: 'm' })
    .expect(201);
  await del(`${events}/e1`, { propagationPolicy: 'Foreground' }).expect(200);
  await t.api.get(`${events}/e1`).expect(404);
});

it('does not change the finalizers of a pod while its graceful deletion is pending, only when it is shortened', async () => {
  const pods = '/api/v1/namespaces/gcf/pods';
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'graceful' }, spec: { nodeName: 'somewhere', containers: [{ name: 'c', image: 'nginx' }] } };
  await t.api.post(pods).send(pod).expect(201);
  const first = await t.api.delete(`${pods}/graceful`).expect(200);
  expect(first.body.metadata.deletionGracePeriodSeconds).toBe(30);
  expect(first.body.metadata.finalizers).toBeUndefined();
  const pending = await del(`${pods}/graceful`, { propagationPolicy: 'Orphan' }).expect(200);
  expect(pending.body.metadata.finalizers).toBeUndefined();
  const shortened = await del(`${pods}/graceful`, { propagationPolicy: 'Foreground', gracePeriodSeconds: 0 }).expect(200);
  expect(shortened.body.metadata.finalizers).toEqual(['foregroundDeletion']);
  expect(shortened.body.metadata.deletionGracePeriodSeconds).toBe(0);
  // Held by the finalizer until it is removed, then gone with no grace period left.
  await t.api.get(`${pods}/graceful`).expect(200);
  await t.api.patch(`${pods}/graceful`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { finalizers: null } }).expect(200);
  await t.api.get(`${pods}/graceful`).expect(404);
});

it('puts the collector finalizer on a namespace deleted with Orphan', async () => {
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gcf-ns' } }).expect(201);
  const res = await del('/api/v1/namespaces/gcf-ns', { propagationPolicy: 'Orphan' }).expect(200);
  expect(res.body.metadata.finalizers).toEqual(['orphan']);
  expect(res.body.status.phase).toBe('Terminating');
});
