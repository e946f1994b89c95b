/**
 * The billing ledger is read-only to API clients: InstanceRuns and Usages answer their write
 * verbs with 405 and list only the read verbs in discovery, their definitions cannot be
 * created, changed or deleted over the API, and a deleted namespace leaves its runs behind.
 * The instance scheduler's own writes, in-process, go through.
 */
import { INSTANCE_RUNS, USAGES, instanceRunsCRD, usagesCRD } from '../../controllers/instances/run-store';
import { NAMESPACES, type Client } from '../../controllers/runtime/client';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' } as const;
const RUNS = '/apis/usage.nodeless.dev/v1';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);
beforeAll(async () => {
  t = await startTestServer({ scheduler: false });
  client = t.nodeless.client.withFieldManager('ledger-test');
  for (const crd of [instanceRunsCRD(), usagesCRD()]) await client.create(CRDS, undefined, crd);
  await waitFor(async () => (await t.api.get(RUNS)).body?.resources?.length === 2, 'the usage.nodeless.dev API');
});
afterAll(() => t.close());

function run(name: string) {
  return { apiVersion: 'usage.nodeless.dev/v1', kind: 'InstanceRun', metadata: { name }, spec: { podName: name, instanceId: `i-${name}` } };
}

describe('the read-only ledger', () => {
  it('lists only the read verbs in discovery', async () => {
    const res = await t.api.get(RUNS).expect(200);
    const verbs = Object.fromEntries(res.body.resources.map((r: { name: string; verbs: string[] }) => [r.name, r.verbs]));
    expect(verbs).toEqual({ instanceruns: ['get', 'list', 'watch'], usages: ['get', 'list', 'watch'] });
  });

  it('answers every write verb over the API with 405, and serves reads', async () => {
    const ns = await newNamespace('ledger');
    await client.create(INSTANCE_RUNS, ns, run('r1'));
    const base = `${RUNS}/namespaces/${ns}/instanceruns`;
    const writes = [
      t.api.post(base).send(run('r2')),
      t.api.put(`${base}/r1`).send(run('r1')),
      t.api.patch(`${base}/r1`).set('Content-Type', 'application/merge-patch+json').send({ spec: { cost: 0 } }),
      t.api.delete(`${base}/r1`),
      t.api.delete(base),
      t.api.post(`${RUNS}/namespaces/${ns}/usages`).send({ apiVersion: 'usage.nodeless.dev/v1', kind: 'Usage', metadata: { name: 'usage' } }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    }
    expect((await t.api.get(`${base}/r1`).expect(200)).body.spec.instanceId).toBe('i-r1');
    expect((await t.api.get(base).expect(200)).body.items).toHaveLength(1);
    // The in-process writer is not refused.
    await client.patch(INSTANCE_RUNS, ns, 'r1', 'merge', { spec: { cost: 1.5 } });
    await client.apply(USAGES, { apiVersion: 'usage.nodeless.dev/v1', kind: 'Usage', metadata: { name: 'usage', namespace: ns }, bill: { cost: 1.5 } } as never, { force: true });
  });

  it('refuses to create, change or delete the definitions over the API', async () => {
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const del = await t.api.delete(`${crd}/instanceruns.usage.nodeless.dev`);
    expect(del.status).toBe(403);
    expect(del.body.message).toBe(`customresourcedefinitions.apiextensions.k8s.io "instanceruns.usage.nodeless.dev" is forbidden: usage.nodeless.dev is nodeless's billing ledger: its definitions may not be deleted`);
    const patch = await t.api.patch(`${crd}/usages.usage.nodeless.dev`).set('Content-Type', 'application/merge-patch+json').send({ spec: { names: { shortNames: ['u'] } } });
    expect(patch.status).toBe(403);
    expect(patch.body.message).toContain('its definitions may not be changed');
    const other = instanceRunsCRD() as { metadata: { name: string }; spec: { names: Record<string, string> } };
    other.metadata.name = 'receipts.usage.nodeless.dev';
    other.spec.names = { plural: 'receipts', singular: 'receipt', kind: 'Receipt', listKind: 'ReceiptList' };
    const create = await t.api.post(crd).send(other);
    expect(create.status).toBe(403);
    expect(create.body.message).toContain('its definitions are installed by the server alone');
    expect((await t.api.get(`${crd}/instanceruns.usage.nodeless.dev`)).status).toBe(200);
  });

  it('keeps a deleted namespace runs: the bill outlives the namespace', async () => {
    const ns = await newNamespace('gone');
    await client.create(INSTANCE_RUNS, ns, run('kept'));
    await client.delete(NAMESPACES, undefined, ns);
    await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}`)).status === 404, 'the namespace to be deleted', 30_000);
    expect((await client.get(INSTANCE_RUNS, ns, 'kept')).metadata?.name).toBe('kept');
  });
});
