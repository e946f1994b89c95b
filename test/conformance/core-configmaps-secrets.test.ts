/**
 * Conformance mirrors for ConfigMaps and Secrets as API objects: key validation, the lifecycle
 * tests of sig-node and the `immutable` tests of sig-storage. Each test works in its own
 * namespace, as the e2e framework gives every test one.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

let namespaces = 0;
async function newNamespace(base: string): Promise<string> {
  const name = `${base}-${++namespaces}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const STRATEGIC = 'application/strategic-merge-patch+json';

function configMap(name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data, ...extra };
}

function secret(name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data, ...extra };
}

describe('[sig-node] ConfigMap', () => {
  it('[sig-node] ConfigMap should fail to create ConfigMap with empty key [Conformance]', async () => {
    const ns = await newNamespace('configmap');
    const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('configmap-test-emptykey', { '': 'value-1' }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(res.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'data[]' });
    await t.api.get(`/api/v1/namespaces/${ns}/configmaps/configmap-test-emptykey`).expect(404);
  });

  it('[sig-node] ConfigMap should run through a ConfigMap lifecycle [Conformance]', async () => {
    const ns = await newNamespace('configmap');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const name = 'test-configmap';
    await t.api.post(path).send({ ...configMap(name, { valueName: 'value' }), metadata: { name, labels: { 'test-configmap-static': 'true' } } }).expect(201);

    const got = await t.api.get(`${path}/${name}`).expect(200);
    expect(got.body.data.valueName).toBe('value');
    expect(got.body.metadata.labels['test-configmap-static']).toBe('true');

    await t.api
      .patch(`${path}/${name}`)
      .set('Content-Type', STRATEGIC)
      .send(JSON.stringify({ metadata: { labels: { 'test-configmap': 'patched' } }, data: { valueName: 'value1' } }))
      .expect(200);

    // Listed across all namespaces by the patched label, with the static label and new value.
    const all = await t.api.get('/api/v1/configmaps').query({ labelSelector: 'test-configmap=patched' }).expect(200);
    const found = all.body.items.find((cm: { metadata: { name: string; namespace: string } }) => cm.metadata.name === name && cm.metadata.namespace === ns);
    expect(found).toBeDefined();
    expect(found.metadata.labels).toEqual({ 'test-configmap-static': 'true', 'test-configmap': 'patched' });
    expect(found.data.valueName).toBe('value1');

    await t.api.delete(path).query({ labelSelector: 'test-configmap-static=true' }).expect(200);
    const left = await t.api.get(path).query({ labelSelector: 'test-configmap-static=true' }).expect(200);
    expect(left.body.items).toHaveLength(0);
  });
});

describe('[sig-node] Secrets', () => {
  it('[sig-node] Secrets should fail to create secret due to empty secret key [Conformance]', async () => {
    const ns = await newNamespace('secrets');
    const res = await t.api.post(`/api/v1/namespaces/${ns}/secrets`).send(secret('secret-emptykey-test', { '': b64('value-1\n') }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(res.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'data[]' });
    await t.api.get(`/api/v1/namespaces/${ns}/secrets/secret-emptykey-test`).expect(404);
  });

  it('[sig-node] Secrets should patch a secret [Conformance]', async () => {
    const ns = await newNamespace('secrets');
    const path = `/api/v1/namespaces/${ns}/secrets`;
    const name = 'test-secret';
    await t.api
      .post(path)
      .send({ ...secret(name, { key: b64('value') }, { type: 'Opaque' }), metadata: { name, labels: { 'testsecret-constant': 'true' } } })
      .expect(201);

    const listed = await t.api.get('/api/v1/secrets').query({ labelSelector: 'testsecret-constant=true' }).expect(200);
    expect(listed.body.items.length).toBeGreaterThan(0);
    expect(listed.body.items.some((s: { metadata: { name: string; namespace: string } }) => s.metadata.name === name && s.metadata.namespace === ns)).toBe(true);

    // The patch carries data["key"] as the base64 text of "value1", encoded again as []byte.
    await t.api
      .patch(`${path}/${name}`)
      .set('Content-Type', STRATEGIC)
      .send(JSON.stringify({ metadata: { labels: { testsecret: 'true' } }, data: { key: b64(b64('value1')) } }))
      .expect(200);
    const got = await t.api.get(`${path}/${name}`).expect(200);
    expect(Buffer.from(Buffer.from(got.body.data.key, 'base64').toString(), 'base64').toString()).toBe('value1');
    expect(got.body.metadata.labels).toEqual({ 'testsecret-constant': 'true', testsecret: 'true' });

    await t.api.delete(path).query({ labelSelector: 'testsecret=true' }).expect(200);
    const after = await t.api.get('/api/v1/secrets').query({ labelSelector: 'testsecret-constant=true' }).expect(200);
    expect(after.body.items.some((s: { metadata: { name: string; namespace: string } }) => s.metadata.name === name && s.metadata.namespace === ns)).toBe(false);
  });
});

// immutableLifecycle runs the sig-storage immutability test against configmaps or secrets.
async function immutableLifecycle(resource: 'configmaps' | 'secrets', body: Record<string, unknown>, addData: (obj: Record<string, unknown>, key: string) => void) {
  const ns = await newNamespace(resource);
  const path = `/api/v1/namespaces/${ns}/${resource}`;
  const name = 'immutable';
  let current = (await t.api.post(path).send(body).expect(201)).body;

  addData(current, 'data-4');
  current = (await t.api.put(`${path}/${name}`).send(current).expect(200)).body;

  current.immutable = true;
  current = (await t.api.put(`${path}/${name}`).send(current).expect(200)).body;
  expect(current.immutable).toBe(true);

  // Data can no longer change.
  addData(current, 'data-5');
  const changed = await t.api.put(`${path}/${name}`).send(current);
  expect(changed.status).toBe(422);
  expect(changed.body.reason).toBe('Invalid');

  // Nor can the object be switched back to mutable.
  current = (await t.api.get(`${path}/${name}`).expect(200)).body;
  expect(current.immutable).toBe(true);
  expect(current.data['data-5']).toBeUndefined();
  current.immutable = false;
  const mutable = await t.api.put(`${path}/${name}`).send(current);
  expect(mutable.status).toBe(422);
  expect(mutable.body.reason).toBe('Invalid');

  // Metadata still changes, and the object can be deleted.
  current = (await t.api.get(`${path}/${name}`).expect(200)).body;
  current.metadata.labels = { label1: 'value1' };
  const relabelled = await t.api.put(`${path}/${name}`).send(current).expect(200);
  expect(relabelled.body.metadata.labels).toEqual({ label1: 'value1' });
  await t.api.delete(`${path}/${name}`).expect(200);
  await t.api.get(`${path}/${name}`).expect(404);
}

describe('[sig-storage] immutable ConfigMaps and Secrets', () => {
  it('[sig-storage] ConfigMap should be immutable if `immutable` field is set [Conformance]', async () => {
    await immutableLifecycle('configmaps', configMap('immutable', { 'data-1': 'value-1', 'data-2': 'value-2', 'data-3': 'value-3' }), (cm, key) => {
      (cm.data as Record<string, string>)[key] = `value-${key.slice(5)}`;
    });
  });

  it('[sig-storage] Secrets should be immutable if `immutable` field is set [Conformance]', async () => {
    const data = { 'data-1': b64('value-1\n'), 'data-2': b64('value-2\n'), 'data-3': b64('value-3\n') };
    await immutableLifecycle('secrets', secret('immutable', data), (s, key) => {
      (s.data as Record<string, string>)[key] = b64(`value-${key.slice(5)}\n`);
    });
  });
});
