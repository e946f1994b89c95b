/**
 * The Client conformance suite, written once over a factory so the in-process Client and the
 * HTTP Client are held to the same contract: what a controller sees must not depend on where
 * it runs.
 */
import {
  ApiError,
  CONFIG_MAPS,
  DEPLOYMENTS,
  NAMESPACES,
  PODS,
  isAlreadyExists,
  isConflict,
  isNotFound,
  type Client,
  type WatchEvent,
  type WatchStream,
} from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';

/** ClientFactory connects a Client (writing as fieldManager) to a running server; close ends the server. */
export type ClientFactory = (fieldManager: string) => Promise<{ client: Client; close: () => Promise<void> }>;

const configMap = (name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

const deployment = (name: string, replicas = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

/** take reads events from a watch until n non-bookmark events arrived or the deadline passes. */
export async function take<T extends KubeObject>(stream: WatchStream<T>, n: number, deadlineMs = 5000): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  const it = stream[Symbol.asyncIterator]();
  const deadline = Date.now() + deadlineMs;
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      it.next(),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())))),
    ]).finally(() => clearTimeout(timer));
    if (next === 'timeout') throw new Error(`timed out after ${out.length} of ${n} events`);
    if (next.done) throw new Error(`watch ended after ${out.length} of ${n} events`);
    if (next.value.type !== 'BOOKMARK') out.push(next.value);
  }
  return out;
}

// waitForGone polls get until it answers NotFound (a deleted pod may linger for its grace period).
async function waitForGone(get: () => Promise<unknown>, deadlineMs = 10000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await get();
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error('the object was not deleted in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** describeClientConformance runs the Client contract against clients made by factory. */
export function describeClientConformance(name: string, factory: ClientFactory): void {
  describe(`Client conformance: ${name}`, () => {
    let client: Client;
    let close: () => Promise<void>;
    let ns: string;
    let count = 0;

    beforeAll(async () => {
      ({ client, close } = await factory('client-suite'));
    });
    afterAll(async () => {
      await close?.();
    });
    beforeEach(async () => {
      ns = `client-suite-${++count}`;
      await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    });

    it('creates, gets and updates an object, writing as its field manager', async () => {
      const created = await client.create(CONFIG_MAPS, ns, configMap('a', { k: 'v' }));
      expect(created.metadata?.namespace).toBe(ns);
      expect(created.metadata?.uid).toBeTruthy();
      expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'client-suite', operation: 'Update' });
      const got = await client.get(CONFIG_MAPS, ns, 'a');
      expect(got.data).toEqual({ k: 'v' });
      const updated = await client.update(CONFIG_MAPS, { ...got, data: { k: 'w' } });
      expect(updated.data).toEqual({ k: 'w' });
      expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(Number(got.metadata!.resourceVersion));
    });

    it('reports NotFound, AlreadyExists and Conflict as ApiError with the Status', async () => {
      const missing = await failure(client.get(CONFIG_MAPS, ns, 'missing'));
      expect(isNotFound(missing)).toBe(true);
      expect(missing.status).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, details: { name: 'missing', kind: 'configmaps' } });
      const first = await client.create(CONFIG_MAPS, ns, configMap('b'));
      expect(isAlreadyExists(await failure(client.create(CONFIG_MAPS, ns, configMap('b'))))).toBe(true);
      await client.update(CONFIG_MAPS, { ...first, data: { x: '1' } });
      const stale = await failure(client.update(CONFIG_MAPS, { ...first, data: { x: '2' } }));
      expect(isConflict(stale)).toBe(true);
      expect(stale.code).toBe(409);
      const invalid = await failure(client.create(CONFIG_MAPS, ns, configMap('Not_A_Name')));
      expect(invalid.code).toBe(422);
      expect(invalid.reason).toBe('Invalid');
      expect(invalid.status.details?.causes?.length).toBeGreaterThan(0);
    });

    it('lists with label and field selectors, and in pages with limit and continue', async () => {
      for (const n of ['p1', 'p2', 'p3']) await client.create(CONFIG_MAPS, ns, configMap(n, {}, { tier: n === 'p2' ? 'back' : 'front' }));
      const front = await client.list(CONFIG_MAPS, ns, { labelSelector: 'tier=front' });
      expect(front.items.map((i) => i.metadata?.name)).toEqual(['p1', 'p3']);
      expect(front.metadata.resourceVersion).toMatch(/^\d+$/);
      const byName = await client.list(CONFIG_MAPS, ns, { fieldSelector: 'metadata.name=p2' });
      expect(byName.items.map((i) => i.metadata?.name)).toEqual(['p2']);
      const page1 = await client.list(CONFIG_MAPS, ns, { labelSelector: 'tier', limit: 2 });
      expect(page1.items).toHaveLength(2);
      expect(page1.metadata.continue).toBeTruthy();
      const page2 = await client.list(CONFIG_MAPS, ns, { labelSelector: 'tier', limit: 2, continue: page1.metadata.continue });
      expect(page2.items.map((i) => i.metadata?.name)).toEqual(['p3']);
      expect(page2.metadata.continue).toBeFalsy();
      const bad = await failure(client.list(CONFIG_MAPS, ns, { labelSelector: 'a in (' }));
      expect(bad.code).toBe(400);
    });

    it('watches from a list resourceVersion: ADDED, MODIFIED, DELETED with the objects', async () => {
      // The namespace's kube-root-ca.crt may be created meanwhile; only "w" is watched.
      const list = await client.list(CONFIG_MAPS, ns);
      const stream = await client.watch(CONFIG_MAPS, ns, { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, fieldSelector: 'metadata.name=w' });
      try {
        const cm = await client.create(CONFIG_MAPS, ns, configMap('w'));
        await client.update(CONFIG_MAPS, { ...cm, data: { a: 'b' } });
        await client.delete(CONFIG_MAPS, ns, 'w');
        const events = await take(stream, 3);
        expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
        expect(events.map((e) => (e.object as KubeObject).metadata?.name)).toEqual(['w', 'w', 'w']);
        expect((events[1].object as KubeObject).data).toEqual({ a: 'b' });
      } finally {
        stream.close();
      }
    });

    it('answers private copies from writes, and read-only watch objects: changing either changes nothing else', async () => {
      const list = await client.list(CONFIG_MAPS, ns);
      const watch = (): Promise<WatchStream<KubeObject>> => client.watch(CONFIG_MAPS, ns, { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=copies' });
      const [first, second] = [await watch(), await watch()];
      try {
        const created = await client.create(CONFIG_MAPS, ns, configMap('copies', { k: 'v' }, { a: 'b' }));
        const stored = JSON.stringify(await client.get(CONFIG_MAPS, ns, 'copies'));
        // The same object, key order included, as a read of it.
        expect(JSON.stringify(created)).toBe(stored);
        (created.data as Record<string, string>).k = 'changed';
        created.metadata!.labels!.a = 'changed';
        const [seen] = await take(first, 1);
        expect(JSON.stringify(seen.object)).toBe(stored);
        // Watch objects are read-only (client.ts): in process they are shared and frozen, so a
        // change throws; over HTTP each watcher decodes its own. Either way no one else sees it.
        try {
          ((seen.object as KubeObject).data as Record<string, string>).k = 'changed by the first watcher';
        } catch (err) {
          expect(err).toBeInstanceOf(TypeError);
        }
        const [other] = await take(second, 1);
        expect(JSON.stringify(other.object)).toBe(stored);
        expect(JSON.stringify(await client.get(CONFIG_MAPS, ns, 'copies'))).toBe(stored);
      } finally {
        first.close();
        second.close();
      }
    });

    it('ends a watch when its signal aborts', async () => {
      const abort = new AbortController();
      const stream = await client.watch(CONFIG_MAPS, ns, { resourceVersion: (await client.list(CONFIG_MAPS, ns)).metadata.resourceVersion, signal: abort.signal });
      const done = (async () => {
        for await (const _ev of stream) {
          // nothing is written; only the abort ends this loop
        }
        return true;
      })();
      abort.abort();
      await expect(done).resolves.toBe(true);
    });

    it('answers a watch with a selector it cannot parse with a 400', async () => {
      const err = await failure(client.watch(CONFIG_MAPS, ns, { fieldSelector: 'no-such-field=1' }));
      expect(err.code).toBe(400);
    });

    it('patches with JSON, merge and strategic merge patches', async () => {
      await client.create(CONFIG_MAPS, ns, configMap('m', { a: '1' }));
      expect((await client.patch(CONFIG_MAPS, ns, 'm', 'merge', { data: { b: '2' } })).data).toEqual({ a: '1', b: '2' });
      expect((await client.patch(CONFIG_MAPS, ns, 'm', 'json', [{ op: 'remove', path: '/data/a' }])).data).toEqual({ b: '2' });
      expect((await client.patch(CONFIG_MAPS, ns, 'm', 'strategic', { data: { c: '3' } })).data).toEqual({ b: '2', c: '3' });
      const err = await failure(client.patch(CONFIG_MAPS, ns, 'm', 'json', [{ op: 'test', path: '/data/b', value: 'nope' }]));
      expect(err.code).toBe(422);
    });

    it('applies server-side under its field manager: conflicts without force, takes over with force', async () => {
      const cfg = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { owned: v } });
      const created = await client.patch(CONFIG_MAPS, ns, 'ssa', 'apply', cfg('1'));
      expect(created.metadata?.managedFields?.find((m) => m.manager === 'client-suite')).toMatchObject({ operation: 'Apply' });
      const other = client.withFieldManager('other-manager');
      expect(other.fieldManager).toBe('other-manager');
      const conflict = await failure(other.patch(CONFIG_MAPS, ns, 'ssa', 'apply', cfg('2')));
      expect(conflict.code).toBe(409);
      expect(conflict.status.details?.causes?.[0]?.field).toBe('.data.owned');
      const forced = await other.patch(CONFIG_MAPS, ns, 'ssa', 'apply', cfg('2'), { force: true });
      expect(forced.data).toEqual({ owned: '2' });
      expect(forced.metadata?.managedFields?.map((m) => m.manager)).toContain('other-manager');
      const applied = await client.apply(CONFIG_MAPS, { ...cfg('3'), metadata: { name: 'ssa', namespace: ns } }, { force: true });
      expect(applied.data).toEqual({ owned: '3' });
    });

    it('writes status only through updateStatus', async () => {
      const d = await client.create(DEPLOYMENTS, ns, deployment('s'));
      const withStatus = await client.updateStatus(DEPLOYMENTS, { ...d, spec: { ...(d.spec as object), replicas: 7 }, status: { observedGeneration: 1, replicas: 3 } });
      expect(withStatus.status).toMatchObject({ replicas: 3, observedGeneration: 1 });
      expect((withStatus.spec as { replicas: number }).replicas).toBe(1);
      const main = await client.update(DEPLOYMENTS, { ...withStatus, status: { replicas: 99 } });
      expect((main.status as { replicas: number }).replicas).toBe(3);
    });

    it('reads and writes the scale subresource', async () => {
      await client.create(DEPLOYMENTS, ns, deployment('sc', 2));
      const scale = await client.getScale(DEPLOYMENTS, ns, 'sc');
      expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=sc' } });
      const scaled = await client.updateScale(DEPLOYMENTS, ns, 'sc', { ...scale, spec: { replicas: 5 } });
      expect(scaled.spec?.replicas).toBe(5);
      expect(((await client.get(DEPLOYMENTS, ns, 'sc')).spec as { replicas: number }).replicas).toBe(5);
      const stale = await failure(client.updateScale(DEPLOYMENTS, ns, 'sc', { ...scale, spec: { replicas: 6 } }));
      expect(stale.code).toBe(409);
      expect(isNotFound(await failure(client.getScale(CONFIG_MAPS, ns, 'sc')))).toBe(true);
    });

    it('deletes with preconditions and answers the object while finalizers hold it', async () => {
      const cm = await client.create(CONFIG_MAPS, ns, configMap('d'));
      const wrongUid = await failure(client.delete(CONFIG_MAPS, ns, 'd', { preconditions: { uid: 'not-the-uid' } }));
      expect(isConflict(wrongUid)).toBe(true);
      await expect(client.delete(CONFIG_MAPS, ns, 'd', { preconditions: { uid: cm.metadata!.uid } })).resolves.toBeUndefined();
      expect(isNotFound(await failure(client.delete(CONFIG_MAPS, ns, 'd')))).toBe(true);
      await client.create(CONFIG_MAPS, ns, { ...configMap('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
      const held = await client.delete(CONFIG_MAPS, ns, 'held', { propagationPolicy: 'Background' });
      expect(held?.metadata?.deletionTimestamp).toBeTruthy();
      const current = await client.get(CONFIG_MAPS, ns, 'held');
      await client.update(CONFIG_MAPS, { ...current, metadata: { ...current.metadata, finalizers: [] } });
      expect(isNotFound(await failure(client.get(CONFIG_MAPS, ns, 'held')))).toBe(true);
    });

    it('honours dryRun: nothing is stored', async () => {
      const dry = await client.create(CONFIG_MAPS, ns, configMap('dry'), { dryRun: true });
      expect(dry.metadata?.name).toBe('dry');
      expect(isNotFound(await failure(client.get(CONFIG_MAPS, ns, 'dry')))).toBe(true);
    });

    it('deletes a collection by label selector', async () => {
      for (const n of ['c1', 'c2', 'c3']) await client.create(CONFIG_MAPS, ns, configMap(n, {}, { gone: n === 'c2' ? 'no' : 'yes' }));
      await client.deleteCollection(CONFIG_MAPS, ns, { labelSelector: 'gone=yes' });
      const left = await client.list(CONFIG_MAPS, ns, { labelSelector: 'gone' });
      expect(left.items.map((i) => i.metadata?.name)).toEqual(['c2']);
    });

    it('resolves kinds and lists preferred resources through discovery', async () => {
      await expect(client.resourceFor({ group: 'apps', version: 'v1', kind: 'Deployment' })).resolves.toMatchObject({ resource: 'deployments', namespaced: true });
      expect(isNotFound(await failure(client.resourceFor({ group: 'example.com', version: 'v1', kind: 'Nothing' })))).toBe(true);
      const all = await client.serverPreferredResources();
      const pods = all.find((r) => r.group === '' && r.resource === 'pods');
      expect(pods).toMatchObject({ version: 'v1', kind: 'Pod', namespaced: true });
      expect(pods!.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']));
      expect(all.some((r) => r.resource.includes('/'))).toBe(false);
      expect(all.find((r) => r.resource === 'namespaces')?.namespaced).toBe(false);
    });

    it('evicts a pod through pods/eviction: a Pending pod with no budget goes at once', async () => {
      await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ev' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      await client.createEviction(ns, 'ev', { deleteOptions: { gracePeriodSeconds: 0 } });
      await waitForGone(() => client.get(PODS, ns, 'ev'));
      expect(isNotFound(await failure(client.createEviction(ns, 'no-such-pod')))).toBe(true);
    });
  });
}
