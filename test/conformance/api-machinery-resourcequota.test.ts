/**
 * Conformance: the upstream "[sig-api-machinery] ResourceQuota" tests that exercise only the
 * API (test/e2e/apimachinery/resource_quota.go): update and delete, the lifecycle with
 * list-by-label, patch and deletecollection, and the status subresource. The tests that need
 * the quota controller and quota admission are in resource-quota.test.ts.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';
import type { KubeObject } from '../../schemas/types';

let t: TestServer;
let nsCount = 0;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

async function createNamespace(): Promise<string> {
  const name = `resourcequota-${++nsCount}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

function rqPath(ns: string, name = '', sub = ''): string {
  return `/api/v1/namespaces/${ns}/resourcequotas${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
}

function suffix(): string {
  return Math.random().toString(36).slice(2, 7);
}

type Quota = KubeObject & { spec: { hard: Record<string, string> }; status?: { hard?: Record<string, string>; used?: Record<string, string> } };

/**
 * watchUntil watches the namespace's quotas with the label from resourceVersion, as upstream's
 * watchtools.Until, and resolves to the first object the condition accepts.
 */
async function watchUntil(ns: string, rqName: string, resourceVersion: string, condition: (rq: Quota) => boolean): Promise<Quota> {
  const def = t.nodeless.resources.lookup('', 'v1', 'resourcequotas')!;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    const events = await t.nodeless.registry.watch(
      def,
      ns,
      { resourceVersion, labelSelector: `e2e-rq-label=${rqName}` },
      abort.signal,
    );
    for await (const ev of events) {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
      const rq = JSON.parse(ev.raw) as Quota;
      if (condition(rq)) return rq;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(`timed out watching resourcequota ${rqName} from ${resourceVersion}`);
}

async function listAllByLabel(labelSelector: string): Promise<{ metadata: { resourceVersion: string }; items: Quota[] }> {
  return (await t.api.get(`/api/v1/resourcequotas?${new URLSearchParams({ labelSelector })}`).expect(200)).body;
}

function smp(path: string, patch: unknown) {
  return t.api.patch(path).set('Content-Type', 'application/strategic-merge-patch+json').send(JSON.stringify(patch));
}

it('[sig-api-machinery] ResourceQuota should be able to update and delete ResourceQuota. [Conformance]', async () => {
  const ns = await createNamespace();
  const quotaName = 'test-quota';
  const resourceQuota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: quotaName }, spec: { hard: { cpu: '1', memory: '500Mi' } } };
  await t.api.post(rqPath(ns)).send(resourceQuota).expect(201);

  // getting a ResourceQuota
  let got = (await t.api.get(rqPath(ns, quotaName)).expect(200)).body as Quota;
  expect(got.spec.hard).toEqual({ cpu: '1', memory: '500Mi' });

  // updating a ResourceQuota: upstream sends its original object again, without a resourceVersion
  resourceQuota.spec.hard = { cpu: '2', memory: '1Gi' };
  const updated = (await t.api.put(rqPath(ns, quotaName)).send(resourceQuota).expect(200)).body as Quota;
  expect(updated.spec.hard).toEqual({ cpu: '2', memory: '1Gi' });

  // verifying a ResourceQuota was modified
  got = (await t.api.get(rqPath(ns, quotaName)).expect(200)).body as Quota;
  expect(got.spec.hard).toEqual({ cpu: '2', memory: '1Gi' });

  // deleting a ResourceQuota
  await t.api.delete(rqPath(ns, quotaName)).expect(200);
  const gone = await t.api.get(rqPath(ns, quotaName)).expect(404);
  expect(gone.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
});

it('[sig-api-machinery] ResourceQuota should manage the lifecycle of a ResourceQuota [Conformance]', async () => {
  const ns = await createNamespace();
  const rqName = `e2e-quota-${suffix()}`;
  const labelSelector = `e2e-rq-label=${rqName}`;

  await t.api
    .post(rqPath(ns))
    .send({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: rqName, labels: { 'e2e-rq-label': rqName } }, spec: { hard: { cpu: '1', memory: '500Mi' } } })
    .expect(201);

  // getting a ResourceQuota
  const got = (await t.api.get(rqPath(ns, rqName)).expect(200)).body as Quota;
  expect(got.spec.hard.cpu).toBe('1');
  expect(got.spec.hard.memory).toBe('500Mi');

  // listing all ResourceQuotas, across namespaces, with the label selector
  const list = await listAllByLabel(labelSelector);
  expect(list.items).toHaveLength(1);
  expect(list.items[0].metadata).toMatchObject({ name: rqName, namespace: ns });

  // patching the ResourceQuota
  const patched = (await smp(rqPath(ns, rqName), { metadata: { labels: { [rqName]: 'patched' } }, spec: { hard: { memory: '750Mi' } } }).expect(200)).body as Quota;
  expect(patched.metadata!.labels![rqName]).toBe('patched');
  expect(patched.spec.hard.memory).toBe('750Mi');
  expect(patched.spec.hard.cpu).toBe('1');

  // deleting a collection of ResourceQuotas by label
  const deleted = await t.api.delete(`${rqPath(ns)}?${new URLSearchParams({ labelSelector })}`).expect(200);
  expect(deleted.body.kind).toBe('ResourceQuotaList');
  await t.api.get(rqPath(ns, rqName)).expect(404);
  expect((await listAllByLabel(labelSelector)).items).toHaveLength(0);
});

it('[sig-api-machinery] ResourceQuota should apply changes to a resourcequota status [Conformance]', async () => {
  const ns = await createNamespace();
  const rqName = `e2e-rq-status-${suffix()}`;
  const labelSelector = `e2e-rq-label=${rqName}`;
  let rqList = await listAllByLabel(labelSelector);

  await t.api
    .post(rqPath(ns))
    .send({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: rqName, labels: { 'e2e-rq-label': rqName } }, spec: { hard: { cpu: '500m', memory: '500Mi' } } })
    .expect(201);
  const initial = (await t.api.get(rqPath(ns, rqName)).expect(200)).body as Quota;
  expect(initial.spec.hard).toEqual({ cpu: '500m', memory: '500Mi' });

  // updating /status: status.hard takes the spec's hard limits
  const toUpdate = (await t.api.get(rqPath(ns, rqName)).expect(200)).body as Quota;
  toUpdate.status = { hard: { ...initial.spec.hard } };
  const updated = (await t.api.put(rqPath(ns, rqName, 'status')).send(toUpdate).expect(200)).body as Quota;
  expect(updated.status!.hard).toEqual({ cpu: '500m', memory: '500Mi' });

  // confirming /status via watch
  await watchUntil(ns, rqName, rqList.metadata.resourceVersion, (rq) => rq.metadata!.name === rqName && rq.metadata!.namespace === ns && isEqual(rq.status?.hard, updated.spec.hard));

  rqList = await listAllByLabel(labelSelector);

  // patching the spec's hard values for cpu and memory
  const xQuota = (await smp(rqPath(ns, rqName), { spec: { hard: { cpu: '1', memory: '1Gi' } } }).expect(200)).body as Quota;
  expect(xQuota.spec.hard).toEqual({ cpu: '1', memory: '1Gi' });

  // patching /status to the new hard values
  const patched = (await smp(rqPath(ns, rqName, 'status'), { status: { hard: xQuota.spec.hard } }).expect(200)).body as Quota;
  expect(patched.status!.hard).toEqual({ cpu: '1', memory: '1Gi' });
  await watchUntil(ns, rqName, rqList.metadata.resourceVersion, (rq) => rq.metadata!.name === rqName && rq.metadata!.namespace === ns && isEqual(rq.status?.hard, patched.spec.hard));

  // getting /status
  const status = (await t.api.get(rqPath(ns, rqName, 'status')).expect(200)).body as Quota;
  expect(status.status!.hard).toEqual({ cpu: '1', memory: '1Gi' });

  rqList = await listAllByLabel(labelSelector);

  // repatching /status: the spec is not changed by it
  const repatched = (await smp(rqPath(ns, rqName, 'status'), { status: { hard: { cpu: '2', memory: '2Gi' } }, spec: { hard: { cpu: '9' } } }).expect(200)).body as Quota;
  expect(repatched.status!.hard).toEqual({ cpu: '2', memory: '2Gi' });
  expect(repatched.spec.hard).toEqual({ cpu: '1', memory: '1Gi' });
  const seen = await watchUntil(ns, rqName, rqList.metadata.resourceVersion, (rq) => rq.status?.hard?.cpu === '2' && rq.status?.hard?.memory === '2Gi');
  expect(seen.spec.hard).toEqual({ cpu: '1', memory: '1Gi' });
  const final = (await t.api.get(rqPath(ns, rqName)).expect(200)).body as Quota;
  expect(final.spec.hard).toEqual({ cpu: '1', memory: '1Gi' });
});

function isEqual(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return !!a && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}
