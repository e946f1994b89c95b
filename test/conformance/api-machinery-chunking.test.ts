/**
 * Conformance: the upstream "[sig-api-machinery] Servers with support for API chunking" tests
 * (test/e2e/apimachinery/chunking.go): 400 pod templates read back in pages. Upstream waits for
 * etcd's periodic compaction to expire a continue token; here the store is compacted directly.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

const TOTAL = 400;

let t: TestServer;
let nsCount = 0;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

interface PodTemplateList {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Array<{ metadata: { name: string } }>;
}

/** setup makes a fresh namespace holding template-0000 .. template-0399, created 20 at a time. */
async function setup(): Promise<string> {
  const ns = `chunking-${++nsCount}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
  const create = (i: number) =>
    t.api
      .post(`/api/v1/namespaces/${ns}/podtemplates`)
      .send({
        apiVersion: 'v1',
        kind: 'PodTemplate',
        metadata: { name: `template-${String(i).padStart(4, '0')}` },
        template: { spec: { containers: [{ name: 'test', image: 'test2' }] } },
      })
      .expect(201);
  for (let i = 0; i < TOTAL; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => create(i + j)));
  }
  return ns;
}

async function list(ns: string, limit: number, cont?: string): Promise<PodTemplateList> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cont) q.set('continue', cont);
  const res = await t.api.get(`/api/v1/namespaces/${ns}/podtemplates?${q}`);
  expect(res.status).toBe(200);
  return res.body as PodTemplateList;
}

/** expectRemaining is upstream's check: remainingItemCount is absent on the last page and exact on the others. */
function expectRemaining(page: PodTemplateList, foundBefore: number): void {
  if (!page.metadata.continue) {
    expect(page.metadata.remainingItemCount).toBeUndefined();
  } else {
    expect(page.metadata.remainingItemCount).toBeDefined();
    expect(page.metadata.remainingItemCount! + page.items.length + foundBefore).toBe(TOTAL);
  }
}

/** unrelatedWrite moves the store's revision on, as other clients do on a live cluster. */
async function unrelatedWrite(): Promise<void> {
  await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'unrelated-' } }).expect(201);
}

it('[sig-api-machinery] Servers with support for API chunking should return chunks of results for list calls [Conformance]', async () => {
  const ns = await setup();
  let seed = 7;
  const randomLimit = () => ((seed = (seed * 48271) % 2147483647), (seed % (TOTAL / 10)) + 1);

  // retrieving those results in paged fashion several times
  for (let i = 0; i < 3; i++) {
    let found = 0;
    let lastRV = '';
    let cont: string | undefined;
    for (;;) {
      const limit = randomLimit();
      const page = await list(ns, limit, cont);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      if (!lastRV) lastRV = page.metadata.resourceVersion;
      expect(page.metadata.resourceVersion).toBe(lastRV);
      expectRemaining(page, found);
      for (const item of page.items) {
        expect(item.metadata.name).toBe(`template-${String(found).padStart(4, '0')}`);
        found++;
      }
      if (!page.metadata.continue) break;
      cont = page.metadata.continue;
      // pages keep the first page's resourceVersion however the store moves on
      if (found % 3 === 0) await unrelatedWrite();
    }
    expect(found).toBe(TOTAL);
  }

  // retrieving those results all at once
  const all = await list(ns, TOTAL + 1);
  expect(all.items).toHaveLength(TOTAL);
  expect(all.metadata.continue).toBeUndefined();
});

it('[sig-api-machinery] Servers with support for API chunking should support continue listing from the last key if the original version has been compacted away, though the list is inconsistent [Slow] [Conformance]', async () => {
  const ns = await setup();
  const oneTenth = TOTAL / 10;

  // retrieving the first page
  const first = await list(ns, oneTenth);
  const firstToken = first.metadata.continue!;
  const firstRV = first.metadata.resourceVersion;
  expect(firstToken).toBeTruthy();
  expectRemaining(first, 0);

  // the store moves on and compacts away the first page's revision
  await unrelatedWrite();
  const { store } = t.nodeless;
  await store.compact(await store.currentRevision());

  // retrieving the second page until the token expires: 410 Expired with an inconsistent continue token
  const expired = await t.api.get(`/api/v1/namespaces/${ns}/podtemplates?${new URLSearchParams({ limit: String(oneTenth), continue: firstToken })}`);
  expect(expired.status).toBe(410);
  expect(expired.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
  const inconsistentToken = expired.body.metadata?.continue as string;
  expect(inconsistentToken).toBeTruthy();

  // retrieving the second page again with the token received with the error
  const second = await list(ns, oneTenth, inconsistentToken);
  expect(second.metadata.resourceVersion).not.toBe(firstRV);
  expect(second.items).toHaveLength(oneTenth);
  let found = oneTenth;
  expectRemaining(second, found);
  for (const item of second.items) {
    expect(item.metadata.name).toBe(`template-${String(found).padStart(4, '0')}`);
    found++;
  }

  // retrieving all remaining pages: they keep the second page's resourceVersion
  let cont = second.metadata.continue;
  const lastRV = second.metadata.resourceVersion;
  while (cont) {
    await unrelatedWrite();
    const page = await list(ns, oneTenth, cont);
    expectRemaining(page, found);
    expect(page.items.length).toBeLessThanOrEqual(oneTenth);
    expect(page.metadata.resourceVersion).toBe(lastRV);
    for (const item of page.items) {
      expect(item.metadata.name).toBe(`template-${String(found).padStart(4, '0')}`);
      found++;
    }
    cont = page.metadata.continue;
  }
  expect(found).toBe(TOTAL);
});
