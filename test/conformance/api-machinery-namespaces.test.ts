/**
 * Conformance: the upstream "[sig-api-machinery] Namespaces [Serial]" tests that need no running
 * pod (test/e2e/apimachinery/namespace.go): patch, update, status, /finalize, and deletion
 * of a namespace's services by the namespace controller.
 */
import { randomUUID } from 'node:crypto';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** createNamespace creates a namespace labelled as the e2e framework labels its own. */
async function createNamespace(name: string): Promise<Record<string, any>> {
  const res = await t.api
    .post('/api/v1/namespaces')
    .send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'e2e-framework': 'namespaces' } } });
  expect(res.status).toBe(201);
  return res.body;
}

/** retryOnConflict runs fn again while it answers 409 Conflict, as client-go's retry.RetryOnConflict. */
async function retryOnConflict<T extends { status: number }>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fn();
    if (res.status !== 409 || attempt >= 4) return res;
  }
}

const FAKE_FINALIZER = 'e2e.example.com/fakeFinalizer';

it('[sig-api-machinery] Namespaces [Serial] should patch a Namespace [Conformance]', async () => {
  const ns = await createNamespace(`nspatchtest-${randomUUID()}`);
  const name = ns.metadata.name as string;
  expect(ns.metadata.resourceVersion).toMatch(/^\d+$/);

  const patched = await t.api
    .patch(`/api/v1/namespaces/${name}`)
    .set('Content-Type', 'application/strategic-merge-patch+json')
    .send(JSON.stringify({ metadata: { labels: { testLabel: 'testValue' } } }))
    .expect(200);
  // the patched object has a larger resource version
  expect(Number(patched.body.metadata.resourceVersion)).toBeGreaterThan(Number(ns.metadata.resourceVersion));

  const got = await t.api.get(`/api/v1/namespaces/${name}`).expect(200);
  expect(got.body.metadata.labels).toMatchObject({ testLabel: 'testValue' });
});

it('[sig-api-machinery] Namespaces [Serial] should apply changes to a namespace status [Conformance]', async () => {
  const ns = (await createNamespace(`namespaces-status-${randomUUID().slice(0, 8)}`)).metadata.name as string;

  // read namespace status
  const status = await t.api.get(`/api/v1/namespaces/${ns}/status`).expect(200);
  expect(status.body.kind).toBe('Namespace');
  expect(status.body.status.phase).toBe('Active');

  // patch namespace status
  const nsCondition = { type: 'StatusPatch', status: 'True', reason: 'E2E', message: 'Patched by an e2e test' };
  const patched = await t.api
    .patch(`/api/v1/namespaces/${ns}/status`)
    .set('Content-Type', 'application/merge-patch+json')
    .send(JSON.stringify({ metadata: { annotations: { 'e2e-patched-ns-status': ns } }, status: { conditions: [nsCondition] } }))
    .expect(200);
  expect(patched.body.metadata.annotations).toMatchObject({ 'e2e-patched-ns-status': ns });
  const patchedConditions = patched.body.status.conditions as Array<Record<string, string>>;
  expect(patchedConditions[patchedConditions.length - 1]).toMatchObject({ reason: 'E2E', message: 'Patched by an e2e test' });

  // update namespace status
  const updated = await retryOnConflict(async () => {
    const current = (await t.api.get(`/api/v1/namespaces/${ns}/status`).expect(200)).body;
    current.status.conditions = [...(current.status.conditions ?? []), { type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Updated by an e2e test' }];
    return t.api.put(`/api/v1/namespaces/${ns}/status`).send(current);
  });
  expect(updated.status).toBe(200);
  const conditions = updated.body.status.conditions as Array<Record<string, string>>;
  expect(conditions[conditions.length - 1]).toMatchObject({ type: 'StatusUpdate', message: 'Updated by an e2e test' });
  // the status written by the patch is still there, and the phase is unchanged
  expect(conditions.map((c) => c.type)).toEqual(['StatusPatch', 'StatusUpdate']);
  expect(updated.body.status.phase).toBe('Active');
});

it('[sig-api-machinery] Namespaces [Serial] should apply an update to a Namespace [Conformance]', async () => {
  const ns = (await createNamespace(`namespaces-update-${randomUUID().slice(0, 8)}`)).metadata.name as string;
  const updated = await retryOnConflict(async () => {
    const current = (await t.api.get(`/api/v1/namespaces/${ns}`).expect(200)).body;
    current.metadata.labels[ns] = 'updated';
    return t.api.put(`/api/v1/namespaces/${ns}`).send(current);
  });
  expect(updated.status).toBe(200);
  expect(updated.body.metadata.labels).toMatchObject({ [ns]: 'updated' });
  const got = await t.api.get(`/api/v1/namespaces/${ns}`).expect(200);
  expect(got.body.metadata.labels).toMatchObject({ [ns]: 'updated' });
});

it('[sig-api-machinery] Namespaces [Serial] should apply a finalizer to a Namespace [Conformance]', async () => {
  const ns = (await createNamespace(`e2e-ns-${randomUUID().slice(0, 5)}`)).metadata.name as string;

  // adding the e2e finalizer through /finalize
  const added = await retryOnConflict(async () => {
    const current = (await t.api.get(`/api/v1/namespaces/${ns}`).expect(200)).body;
    current.spec.finalizers = [...(current.spec.finalizers ?? []), FAKE_FINALIZER];
    return t.api.put(`/api/v1/namespaces/${ns}/finalize`).send(current);
  });
  expect(added.status).toBe(200);
  expect(added.body.spec.finalizers).toContain(FAKE_FINALIZER);
  expect((await t.api.get(`/api/v1/namespaces/${ns}`).expect(200)).body.spec.finalizers).toContain(FAKE_FINALIZER);

  // removing it again
  const removed = await retryOnConflict(async () => {
    const current = (await t.api.get(`/api/v1/namespaces/${ns}`).expect(200)).body;
    current.spec.finalizers = (current.spec.finalizers as string[]).filter((f) => f !== FAKE_FINALIZER);
    return t.api.put(`/api/v1/namespaces/${ns}/finalize`).send(current);
  });
  expect(removed.status).toBe(200);
  expect(removed.body.spec.finalizers ?? []).not.toContain(FAKE_FINALIZER);
  expect((await t.api.get(`/api/v1/namespaces/${ns}`).expect(200)).body.spec.finalizers ?? []).not.toContain(FAKE_FINALIZER);
});

it('[sig-api-machinery] Namespaces [Serial] should ensure that all services are removed when a namespace is deleted [Conformance]', async () => {
  const ns = 'nsdeletetest';
  await createNamespace(ns);
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'test-service' },
    spec: { selector: { foo: 'bar', baz: 'blah' }, ports: [{ port: 80, targetPort: 80 }] },
  };
  await t.api.post(`/api/v1/namespaces/${ns}/services`).send(service).expect(201);

  // deleting the namespace: the namespace controller empties it, then it goes
  await t.api.delete(`/api/v1/namespaces/${ns}`).expect((res) => expect([200, 202]).toContain(res.status));
  await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}`)).status === 404, `namespace ${ns} to be removed`, 20_000);

  // recreating the namespace: the service is not there
  await createNamespace(ns);
  await t.api.get(`/api/v1/namespaces/${ns}/services/test-service`).expect(404);
});
