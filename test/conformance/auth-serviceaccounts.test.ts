/**
 * Conformance mirrors for ServiceAccounts as API objects, and the `default` ServiceAccount the
 * first namespaces get at bootstrap. Rows that need the service-account admission plugin, the
 * token controller or the root-CA publisher are not here (see the conformance note).
 */
import { NAMESPACES_AT_START } from '../../server/server';
import { listenURL, namespaceMaker, startTestServer, type TestServer } from '../helpers/api-server';
import { WatchStream } from '../helpers/watch-stream';

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer();
  base = await listenURL(t);
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t);

type Obj = { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; labels?: Record<string, string> } } & Record<string, any>;
type WatchEvent = { type: string; object: Obj };


describe('[sig-auth] ServiceAccounts', () => {
  it('[sig-auth] ServiceAccounts should run through the lifecycle of a ServiceAccount [Conformance]', async () => {
    const ns = await newNamespace('svcaccounts');
    const path = `/api/v1/namespaces/${ns}/serviceaccounts`;
    const name = 'testserviceaccount';
    const created = (await t.api.post(path).send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: { 'test-serviceaccount-static': 'true' } } }).expect(201)).body;
    expect((await t.api.get(`${path}/${name}`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);

    const watch = await WatchStream.open(base, path, { labelSelector: 'test-serviceaccount-static=true', timeoutSeconds: '180' });
    try {
      await watch.next('the ServiceAccount ADDED', (e) => e.type === 'ADDED');

      await t.api
        .patch(`${path}/${name}`)
        .set('Content-Type', 'application/strategic-merge-patch+json')
        .send(JSON.stringify({ automountServiceAccountToken: false }))
        .expect(200);
      await watch.next('the ServiceAccount MODIFIED', (e) => e.type === 'MODIFIED');

      const all = (await t.api.get('/api/v1/serviceaccounts').query({ labelSelector: 'test-serviceaccount-static=true' }).expect(200)).body.items as Obj[];
      expect(all.some((sa) => sa.metadata.name === name && sa.metadata.namespace === ns && sa.automountServiceAccountToken === false)).toBe(true);

      await t.api.delete(path).expect(200);
      await watch.next('the ServiceAccount DELETED', (e) => e.type === 'DELETED');
    } finally {
      watch.close();
    }
  });

  it('[sig-auth] ServiceAccounts should update a ServiceAccount [Conformance]', async () => {
    const ns = await newNamespace('svcaccounts');
    const path = `/api/v1/namespaces/${ns}/serviceaccounts`;
    const name = 'e2e-sa-abcde';
    const created = (await t.api.post(path).send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name }, automountServiceAccountToken: false }).expect(201)).body;
    expect(created.automountServiceAccountToken).toBe(false);

    const current = (await t.api.get(`${path}/${name}`).expect(200)).body;
    current.automountServiceAccountToken = true;
    const updated = (await t.api.put(`${path}/${name}`).send(current).expect(200)).body;
    expect(updated.automountServiceAccountToken).toBe(true);
  });

  it('gives each namespace that exists from the first start its default ServiceAccount', async () => {
    for (const ns of NAMESPACES_AT_START) {
      const sa = (await t.api.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`).expect(200)).body;
      expect(sa.metadata).toMatchObject({ name: 'default', namespace: ns });
    }
  });
});
