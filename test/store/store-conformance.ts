/**
 * The store conformance suite, written once over a factory so every backend (SQLite now,
 * PostgreSQL later) is held to the same contract.
 */
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidKeyError,
  InvalidValueError,
  NotFoundError,
  StoreClosedError,
  WatcherTooSlowError,
  type Store,
  type WatchEvent,
  type Watcher,
} from '../../store';

/** StoreFactory opens a fresh, empty store; cleanup closes it and removes its files. */
export type StoreFactory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const cm = (name: string, data: Record<string, string> = {}, ns = 'default') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});
const key = (name: string, ns = 'default') => `/core/configmaps/${ns}/${name}`;
const parse = (v: string) => JSON.parse(v);
// plain is what the contract promises of a KeyValue, whatever class a backend returns.
const plain = (kv: { key: string; revision: number; createRevision: number; value: string }) => ({ key: kv.key, revision: kv.revision, createRevision: kv.createRevision, value: kv.value });

/** take reads n events from a watcher, failing if they do not arrive within the deadline. */
export async function take(w: Watcher, n: number, deadlineMs = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const deadline = Date.now() + deadlineMs;
  while (out.length < n) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`timed out after ${out.length} of ${n} events`);
    let timer: NodeJS.Timeout | undefined;
    const ev = await Promise.race([
      w.next(),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), remaining))),
    ]).finally(() => clearTimeout(timer));
    if (ev === 'timeout') throw new Error(`timed out after ${out.length} of ${n} events`);
    if (!ev) throw new Error(`watch ended after ${out.length} of ${n} events`);
    out.push(ev);
  }
  return out;
}

/** describeStoreConformance runs the whole store contract against stores made by factory. */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('create, get, update, delete', () => {
      it('stamps metadata.resourceVersion with the revision of each write', async () => {
        const created = await store.create(key('a'), cm('a', { x: '1' }));
        expect(parse(created.value).metadata.resourceVersion).toBe(String(created.revision));
        expect(created.createRevision).toBe(created.revision);
        const got = await store.get(key('a'));
        expect(plain(got)).toEqual(plain(created));
        const updated = await store.update(key('a'), cm('a', { x: '2' }));
        expect(updated.revision).toBeGreaterThan(created.revision);
        expect(updated.createRevision).toBe(created.revision);
        expect(parse((await store.get(key('a'))).value).data).toEqual({ x: '2' });
        expect(await store.currentRevision()).toBe(updated.revision);
      });

      it('does not mutate the value passed in', async () => {
        const value = cm('a');
        await store.create(key('a'), value);
        expect(value.metadata).toEqual({ name: 'a', namespace: 'default' });
      });

      it('refuses to create a key that exists', async () => {
        await store.create(key('a'), cm('a'));
        await expect(store.create(key('a'), cm('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
      });

      it('refuses to update or delete a key that does not exist', async () => {
        await expect(store.update(key('nope'), cm('nope'))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.delete(key('nope'))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.get(key('nope'))).rejects.toBeInstanceOf(NotFoundError);
      });

      it('gives every write a strictly greater global revision', async () => {
        const revs: number[] = [];
        for (let i = 0; i < 20; i++) revs.push((await store.create(key(`k${i}`), cm(`k${i}`))).revision);
        revs.push((await store.update(key('k3'), cm('k3', { a: 'b' }))).revision);
        revs.push((await store.delete(key('k4'))).revision);
        for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]);
      });
    });

    describe('concurrent writes', () => {
      it('gives each of many concurrent writes its own outcome, in the order they were made', async () => {
        const base = await store.create(key('base'), cm('base', { v: '0' }));
        const w = store.watch('/core/configmaps/', base.revision);
        const results = await Promise.allSettled([
          ...Array.from({ length: 20 }, (_, i) => store.create(key(`c${i}`), cm(`c${i}`))),
          store.create(key('c3'), cm('c3-again')),
          store.update(key('base'), cm('base', { v: '1' }), base.revision + 999),
          store.update(key('missing'), cm('missing')),
          store.update(key('base'), cm('base', { v: '2' }), base.revision),
          store.delete(key('c5')),
        ]);
        const outcome = results.map((r) => (r.status === 'fulfilled' ? r.value.revision : (r.reason as Error).constructor.name));
        expect(outcome.slice(20)).toEqual(['AlreadyExistsError', 'ConflictError', 'NotFoundError', base.revision + 21, base.revision + 22]);
        expect(outcome.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => base.revision + 1 + i));
        const events = await take(w, 22);
        expect(events.map((e) => `${e.type} ${e.key}`)).toEqual([
          ...Array.from({ length: 20 }, (_, i) => `ADDED ${key(`c${i}`)}`),
          `MODIFIED ${key('base')}`,
          `DELETED ${key('c5')}`,
        ]);
        expect(parse((await store.get(key('base'))).value).data).toEqual({ v: '2' });
        expect(await store.currentRevision()).toBe(base.revision + 22);
        w.close();
      });
    });

    describe('conflicts', () => {
      it('rejects an update whose expected revision is stale with a typed Conflict', async () => {
        const v1 = await store.create(key('a'), cm('a'));
        await store.update(key('a'), cm('a', { by: 'first' }), v1.revision);
        const err = await store.update(key('a'), cm('a', { by: 'second' }), v1.revision).catch((e) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect(err.expectedRevision).toBe(v1.revision);
        expect(parse((await store.get(key('a'))).value).data).toEqual({ by: 'first' });
      });

      it('rejects a delete whose expected revision is stale and keeps the value', async () => {
        const v1 = await store.create(key('a'), cm('a'));
        await store.update(key('a'), cm('a', { x: 'y' }));
        await expect(store.delete(key('a'), v1.revision)).rejects.toBeInstanceOf(ConflictError);
        await expect(store.get(key('a'))).resolves.toBeDefined();
      });

      it('lets exactly one of several concurrent updates from the same revision win', async () => {
        const v1 = await store.create(key('a'), cm('a'));
        const results = await Promise.allSettled(
          [1, 2, 3, 4, 5].map((i) => store.update(key('a'), cm('a', { i: String(i) }), v1.revision)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r) => r.status === 'rejected')) {
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        }
      });
    });

    describe('tombstones and history', () => {
      it('keeps the deleted value readable at its past revision and lets the key be recreated', async () => {
        const v1 = await store.create(key('a'), cm('a', { gen: '1' }));
        const del = await store.delete(key('a'));
        expect(parse(del.value).data).toEqual({ gen: '1' });
        expect(parse(del.value).metadata.resourceVersion).toBe(String(del.revision));
        await expect(store.get(key('a'))).rejects.toBeInstanceOf(NotFoundError);
        expect(parse((await store.get(key('a'), v1.revision)).value).data).toEqual({ gen: '1' });
        await expect(store.get(key('a'), del.revision)).rejects.toBeInstanceOf(NotFoundError);
        const v2 = await store.create(key('a'), cm('a', { gen: '2' }));
        expect(v2.createRevision).toBe(v2.revision);
        expect(parse((await store.get(key('a'))).value).data).toEqual({ gen: '2' });
      });

      it('refuses reads at a revision newer than the current one', async () => {
        await store.create(key('a'), cm('a'));
        const rev = await store.currentRevision();
        await expect(store.get(key('a'), rev + 10)).rejects.toBeInstanceOf(FutureRevisionError);
        await expect(store.list('/core/configmaps/', { revision: rev + 10 })).rejects.toBeInstanceOf(FutureRevisionError);
      });
    });

    describe('list', () => {
      it('lists one namespace by prefix and all namespaces by the resource prefix, in key order', async () => {
        await store.create(key('b'), cm('b'));
        await store.create(key('a'), cm('a'));
        await store.create(key('a', 'default2'), cm('a', {}, 'default2'));
        await store.create('/core/secrets/default/a', { kind: 'Secret', metadata: { name: 'a' } });
        const one = await store.list('/core/configmaps/default/');
        expect(one.items.map((i) => i.key)).toEqual([key('a'), key('b')]);
        const all = await store.list('/core/configmaps/');
        expect(all.items.map((i) => i.key)).toEqual([key('a'), key('b'), key('a', 'default2')]);
        expect(all.revision).toBe(await store.currentRevision());
        expect(all.more).toBe(false);
      });

      it('omits deleted keys and shows the newest value of updated ones', async () => {
        await store.create(key('a'), cm('a'));
        await store.create(key('b'), cm('b'));
        await store.update(key('a'), cm('a', { v: '2' }));
        await store.delete(key('b'));
        const list = await store.list('/core/configmaps/default/');
        expect(list.items.map((i) => [i.key, parse(i.value).data])).toEqual([[key('a'), { v: '2' }]]);
      });

      it('sees every write made after an earlier list: creates, updates, deletes and re-creates', async () => {
        const model = new Map<string, string>();
        const put = async (name: string, v: string, op: 'create' | 'update') => {
          await (op === 'create' ? store.create(key(name), cm(name, { v })) : store.update(key(name), cm(name, { v })));
          model.set(key(name), v);
        };
        for (let i = 0; i < 30; i++) await put(`k${String(i).padStart(2, '0')}`, '1', 'create');
        const listed = async (opts = {}) => (await store.list('/core/configmaps/default/', opts)).items.map((i) => [i.key, parse(i.value).data.v]);
        const expected = () => [...model].sort(([a], [b]) => (a < b ? -1 : 1));
        expect(await listed()).toEqual(expected());
        for (let i = 0; i < 30; i += 3) {
          await put(`k${String(i).padStart(2, '0')}`, '2', 'update');
          await store.delete(key(`k${String(i + 1).padStart(2, '0')}`));
          model.delete(key(`k${String(i + 1).padStart(2, '0')}`));
          await put(`k${String(i).padStart(2, '0')}x`, '3', 'create');
        }
        await store.delete(key('k05'));
        model.delete(key('k05'));
        await put('k05', 're', 'create');
        expect(await listed()).toEqual(expected());
        const pages: unknown[] = [];
        let page = await store.list('/core/configmaps/default/', { limit: 4, countRemaining: true });
        expect(page.remainingCount).toBe(model.size - 4);
        for (;;) {
          pages.push(...page.items.map((i) => [i.key, parse(i.value).data.v]));
          if (!page.more) break;
          page = await store.list('/core/configmaps/default/', { limit: 4, startAfter: page.lastKey, revision: page.revision });
        }
        expect(pages).toEqual(expected());
        // Another namespace written before and after this one was listed, then every namespace.
        await store.create(key('x', 'other'), cm('x', { v: 'o1' }, 'other'));
        await store.update(key('k00'), cm('k00', { v: '4' }));
        model.set(key('k00'), '4');
        expect(await listed()).toEqual(expected());
        await store.create(key('y', 'other'), cm('y', { v: 'o2' }, 'other'));
        await store.delete(key('x', 'other'));
        const all = (await store.list('/core/configmaps/')).items.map((i) => [i.key, parse(i.value).data.v]);
        expect(all).toEqual([...expected(), [key('y', 'other'), 'o2']]);
        await store.update(key('y', 'other'), cm('y', { v: 'o3' }, 'other'));
        expect((await store.list('/core/configmaps/other/')).items.map((i) => parse(i.value).data.v)).toEqual(['o3']);
      });

      it('lists the root prefix and then sees deletes and creates under it', async () => {
        await store.create(key('a'), cm('a'));
        await store.create(key('b', 'other'), cm('b', {}, 'other'));
        expect((await store.list('/')).items.map((i) => i.key)).toEqual([key('a'), key('b', 'other')]);
        await store.delete(key('a'));
        await store.create(key('c'), cm('c'));
        expect((await store.list('/')).items.map((i) => i.key)).toEqual([key('c'), key('b', 'other')]);
        expect((await store.list('/core/configmaps/default/')).items.map((i) => i.key)).toEqual([key('c')]);
      });

      it('lists as of a past revision', async () => {
        await store.create(key('a'), cm('a', { v: '1' }));
        const rev = await store.currentRevision();
        await store.update(key('a'), cm('a', { v: '2' }));
        await store.create(key('b'), cm('b'));
        const past = await store.list('/core/configmaps/default/', { revision: rev });
        expect(past.revision).toBe(rev);
        expect(past.items.map((i) => parse(i.value).data)).toEqual([{ v: '1' }]);
      });

      it('paginates at the revision of the first page while writes continue', async () => {
        for (let i = 0; i < 50; i++) await store.create(key(`obj-${String(i).padStart(2, '0')}`), cm(`x${i}`, { i: String(i) }));
        const snapshot = await store.list('/core/configmaps/default/');
        const seen: string[] = [];
        let page = await store.list('/core/configmaps/default/', { limit: 7, countRemaining: true });
        expect(page.remainingCount).toBe(43);
        const revision = page.revision;
        let writes = 0;
        for (;;) {
          expect(page.items.length).toBeLessThanOrEqual(7);
          expect(page.revision).toBe(revision);
          seen.push(...page.items.map((i) => `${i.key}@${i.revision}`));
          // Churn between pages: new keys before and after the cursor, updates and deletes.
          await store.create(key(`obj-${writes}a`), cm('new'));
          await store.update(key(`obj-${String(writes).padStart(2, '0')}`), cm('changed'));
          await store.delete(key(`obj-${String(49 - writes).padStart(2, '0')}`));
          writes++;
          if (!page.more) break;
          page = await store.list('/core/configmaps/default/', { limit: 7, revision, startAfter: page.lastKey });
        }
        expect(seen).toEqual(snapshot.items.map((i) => `${i.key}@${i.revision}`));
      });

      it('applies a predicate before the limit and continues after the last match', async () => {
        for (let i = 0; i < 20; i++) await store.create(key(`o${String(i).padStart(2, '0')}`), cm(`o${i}`, { even: String(i % 2 === 0) }));
        const even = (kv: { value: string }) => parse(kv.value).data.even === 'true';
        const p1 = await store.list('/core/configmaps/default/', { limit: 4, predicate: even });
        expect(p1.items.map((i) => parse(i.value).data.even)).toEqual(['true', 'true', 'true', 'true']);
        expect(p1.more).toBe(true);
        const p2 = await store.list('/core/configmaps/default/', { limit: 100, predicate: even, startAfter: p1.lastKey, revision: p1.revision });
        expect(p2.items).toHaveLength(6);
        expect(p2.more).toBe(false);
      });

      it('rejects a continue key outside the prefix and a negative limit', async () => {
        await expect(store.list('/core/configmaps/default/', { startAfter: '/core/secrets/default/a' })).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.list('/core/configmaps/default/', { limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      });
    });

    describe('watch', () => {
      it('delivers history after the revision, then live events, without gaps or duplicates', async () => {
        const start = (await store.create(key('a'), cm('a'))).revision;
        for (let i = 0; i < 600; i++) await store.update(key('a'), cm('a', { i: String(i) }));
        const w = store.watch('/core/configmaps/', start);
        const live = (async () => {
          for (let i = 0; i < 100; i++) await store.create(key(`live-${i}`), cm(`live-${i}`));
          await store.delete(key('a'));
        })();
        const events = await take(w, 701);
        await live;
        w.close();
        for (let i = 0; i < events.length; i++) expect(events[i].revision).toBe(start + 1 + i);
        expect(events[0].type).toBe('MODIFIED');
        expect(parse(events[0].prevValue!).metadata.resourceVersion).toBe(String(start));
        expect(events.filter((e) => e.type === 'ADDED')).toHaveLength(100);
        const last = events[events.length - 1];
        expect(last.type).toBe('DELETED');
        expect(parse(last.value).data).toEqual({ i: '599' });
      });

      it('delivers only keys under the prefix, or exactly the watched key', async () => {
        const rev = await store.currentRevision();
        const ns = store.watch('/core/configmaps/default/', rev);
        const one = store.watch(key('b'), rev);
        await store.create(key('a', 'default2'), cm('a', {}, 'default2'));
        await store.create('/core/secrets/default/a', { metadata: { name: 'a' } });
        await store.create(key('a'), cm('a'));
        await store.create(key('b'), cm('b'));
        await store.create(key('bb'), cm('bb'));
        expect((await take(ns, 3)).map((e) => e.key)).toEqual([key('a'), key('b'), key('bb')]);
        expect((await take(one, 1)).map((e) => e.key)).toEqual([key('b')]);
        await store.update(key('b'), cm('b', { x: 'y' }));
        expect((await take(one, 1))[0].type).toBe('MODIFIED');
        ns.close();
        one.close();
      });

      it('starts from the current revision when asked for revision 0', async () => {
        await store.create(key('old'), cm('old'));
        const w = store.watch('/core/configmaps/', 0);
        await store.create(key('new'), cm('new'));
        expect((await take(w, 1))[0].key).toBe(key('new'));
        w.close();
      });

      it('gives concurrent watches from successive revisions the same order of events', async () => {
        const base = (await store.create(key('seed'), cm('seed'))).revision;
        const watchers: Watcher[] = [];
        const writer = (async () => {
          for (let i = 0; i < 60; i++) {
            await store.update(key('seed'), cm('seed', { i: String(i) }));
            if (i % 10 === 0) watchers.push(store.watch('/core/configmaps/', base + i));
          }
        })();
        await writer;
        const all = await Promise.all(watchers.map((w, j) => take(w, 60 - j * 10)));
        for (const events of all) {
          const revs = events.map((e) => e.revision);
          expect(revs).toEqual([...revs].sort((a, b) => a - b));
          expect(revs[revs.length - 1]).toBe(base + 60);
        }
        watchers.forEach((w) => w.close());
      });

      it('sends a bookmark carrying the current revision after every queued event', async () => {
        const w = store.watch('/core/configmaps/', 0);
        const c = await store.create(key('a'), cm('a'));
        await store.create('/core/secrets/default/s', { metadata: {} });
        w.requestProgress();
        const [added, bookmark] = await take(w, 2);
        expect(added.revision).toBe(c.revision);
        expect(bookmark.type).toBe('BOOKMARK');
        expect(bookmark.revision).toBe(await store.currentRevision());
        w.close();
      });

      it('sends periodic bookmarks while no event flows when asked', async () => {
        await store.create(key('a'), cm('a'));
        const w = store.watch('/core/configmaps/', 0, { progressIntervalMs: 20 });
        const [bookmark] = await take(w, 1);
        expect(bookmark.type).toBe('BOOKMARK');
        expect(bookmark.revision).toBe(await store.currentRevision());
        w.close();
      });

      it('drops a watcher that falls too far behind without stalling writers or other watchers', async () => {
        const slow = store.watch('/core/configmaps/', 0, { maxPending: 10 });
        const fast = store.watch('/core/configmaps/', 0, { maxPending: 10 });
        const fastEvents: WatchEvent[] = [];
        const draining = (async () => {
          for await (const ev of fast) {
            fastEvents.push(ev);
            if (fastEvents.length === 30) break;
          }
        })();
        for (let i = 0; i < 30; i++) {
          await store.create(key(`k${i}`), cm(`k${i}`));
          await new Promise((r) => setImmediate(r));
        }
        await draining;
        expect(fastEvents).toHaveLength(30);
        expect(slow.closed).toBe(true);
        await expect(slow.next()).rejects.toBeInstanceOf(WatcherTooSlowError);
      });

      it('ends pending next() calls when the watcher is closed', async () => {
        const w = store.watch('/core/configmaps/', 0);
        const pending = w.next();
        w.close();
        await expect(pending).resolves.toBeUndefined();
        expect(w.closed).toBe(true);
      });
    });

    describe('compaction', () => {
      it('answers reads, lists, continues and watches below the compacted revision with Compacted', async () => {
        const v1 = await store.create(key('a'), cm('a', { v: '1' }));
        await store.create(key('gone'), cm('gone'));
        const v2 = await store.update(key('a'), cm('a', { v: '2' }));
        await store.delete(key('gone'));
        const page = await store.list('/core/configmaps/default/', { limit: 1, revision: v2.revision });
        await store.create(key('b'), cm('b'));
        const compactAt = await store.currentRevision();
        await store.update(key('b'), cm('b', { v: 'later' }));
        await store.compact(compactAt);
        expect(await store.compactRevision()).toBe(compactAt);

        await expect(store.get(key('a'), v1.revision)).rejects.toBeInstanceOf(CompactedError);
        await expect(store.list('/core/configmaps/', { revision: v2.revision })).rejects.toBeInstanceOf(CompactedError);
        await expect(
          store.list('/core/configmaps/default/', { revision: page.revision, startAfter: page.lastKey }),
        ).rejects.toBeInstanceOf(CompactedError);
        expect(() => store.watch('/core/configmaps/', v1.revision)).toThrow(CompactedError);

        // At and after the compacted revision everything still reads correctly.
        const at = await store.list('/core/configmaps/default/', { revision: compactAt });
        expect(at.items.map((i) => [i.key, parse(i.value).data])).toEqual([
          [key('a'), { v: '2' }],
          [key('b'), {}],
        ]);
        expect(parse((await store.get(key('b'))).value).data).toEqual({ v: 'later' });
        const w = store.watch('/core/configmaps/', compactAt);
        const [ev] = await take(w, 1);
        expect(ev.type).toBe('MODIFIED');
        expect(parse(ev.prevValue!).data).toEqual({});
        w.close();
      });

      it('fails a watch whose unread history is compacted away while it replays', async () => {
        const start = (await store.create(key('a'), cm('a'))).revision;
        for (let i = 0; i < 1200; i++) await store.update(key('a'), cm('a', { i: String(i) }));
        const w = store.watch('/core/configmaps/', start);
        await take(w, 10);
        await store.compact(await store.currentRevision());
        // The first history page is already queued; the next page read must fail.
        const err = await take(w, 1200).catch((e) => e);
        expect(err).toBeInstanceOf(CompactedError);
      });

      it('keeps every live value and lets writes continue after compaction', async () => {
        for (let i = 0; i < 30; i++) await store.create(key(`k${i}`), cm(`k${i}`));
        for (let r = 0; r < 5; r++) for (let i = 0; i < 30; i++) await store.update(key(`k${i}`), cm(`k${i}`, { r: String(r) }));
        for (let i = 0; i < 10; i++) await store.delete(key(`k${i}`));
        const before = await store.list('/core/configmaps/');
        await store.compact(await store.currentRevision());
        const after = await store.list('/core/configmaps/');
        expect(after.items.map(plain)).toEqual(before.items.map(plain));
        const next = await store.create(key('k0'), cm('k0'));
        expect(next.revision).toBeGreaterThan(before.revision);
      });
    });

    describe('bad input', () => {
      const badKeys: unknown[] = ['', 'abc', '/only', '/a/', '/a//b', '/a/b c', '/a/\u00e9', 42, null, undefined, {}];
      it.each(badKeys.map((k) => [JSON.stringify(k) ?? String(k), k]))('rejects key %s with InvalidKeyError', async (_label, k) => {
        await expect(store.create(k as string, cm('x'))).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.get(k as string)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.update(k as string, cm('x'))).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.delete(k as string)).rejects.toBeInstanceOf(InvalidKeyError);
      });

      it('rejects malformed prefixes for list and watch', async () => {
        for (const p of ['', 'core/', '/core', '/a//', '/a b/']) {
          await expect(store.list(p)).rejects.toBeInstanceOf(InvalidKeyError);
        }
        expect(() => store.watch('/a//', 0)).toThrow(InvalidKeyError);
      });

      it('rejects non-object values and unserialisable ones, leaving stored data intact', async () => {
        await store.create(key('keep'), cm('keep', { k: 'v' }));
        const circular: Record<string, unknown> = { metadata: {} };
        circular.self = circular;
        const bad: unknown[] = [null, [], 'str', 7, true, { metadata: 'x' }, { metadata: [] }, circular, { metadata: {}, n: BigInt(1) }];
        for (const v of bad) {
          await expect(store.create(key('bad'), v as object)).rejects.toBeInstanceOf(InvalidValueError);
          await expect(store.update(key('keep'), v as object)).rejects.toBeInstanceOf(InvalidValueError);
        }
        await expect(store.get(key('bad'))).rejects.toBeInstanceOf(NotFoundError);
        expect(parse((await store.get(key('keep'))).value).data).toEqual({ k: 'v' });
        const list = await store.list('/core/configmaps/');
        expect(list.items).toHaveLength(1);
      });

      it('rejects invalid revisions', async () => {
        await store.create(key('a'), cm('a'));
        for (const r of [-1, 1.5, NaN]) {
          await expect(store.get(key('a'), r)).rejects.toBeInstanceOf(InvalidArgumentError);
          await expect(store.update(key('a'), cm('a'), r)).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        expect(() => store.watch('/core/', -5)).toThrow(InvalidArgumentError);
      });
    });

    describe('close', () => {
      it('ends watches with StoreClosed and refuses further calls', async () => {
        const w = store.watch('/core/', 0);
        const pending = w.next();
        await store.close();
        await expect(pending).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.get(key('a'))).rejects.toBeInstanceOf(StoreClosedError);
      });
    });
  });
}
