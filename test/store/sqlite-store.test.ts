import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore, type SqliteStoreOptions } from '../../store';
import { describeStoreConformance } from './store-conformance';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-store-'));
}

describeStoreConformance('sqlite (file)', async () => {
  const dir = tempDir();
  const store = openSqliteStore({ path: path.join(dir, 'state.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreConformance('sqlite (memory)', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

describe('sqlite store specifics', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = (o: Partial<SqliteStoreOptions> = {}) => openSqliteStore({ path: path.join(dir, 'state.db'), ...o });

  it('keeps values, revisions and the compacted revision across a reopen', async () => {
    let store = open();
    await store.create('/core/configmaps/default/a', { metadata: { name: 'a' } });
    const b = await store.create('/core/configmaps/default/b', { metadata: { name: 'b' } });
    await store.delete('/core/configmaps/default/b');
    const last = await store.currentRevision();
    await store.compact(b.revision);
    await store.close();

    store = open();
    expect(await store.currentRevision()).toBe(last);
    expect(await store.compactRevision()).toBe(b.revision);
    const next = await store.create('/core/configmaps/default/c', { metadata: { name: 'c' } });
    expect(next.revision).toBe(last + 1);
    expect((await store.list('/core/configmaps/')).items.map((i) => i.key)).toEqual([
      '/core/configmaps/default/a',
      '/core/configmaps/default/c',
    ]);
    await store.close();
  });

  it('never reuses a revision even when the newest row was a compacted tombstone', async () => {
    let store = open();
    await store.create('/core/configmaps/default/a', { metadata: {} });
    const del = await store.delete('/core/configmaps/default/a');
    await store.compact(del.revision);
    await store.close();
    store = open();
    expect((await store.create('/core/configmaps/default/a', { metadata: {} })).revision).toBe(del.revision + 1);
    await store.close();
  });

  it('fails only the write SQLite refuses when concurrent writes share a commit', async () => {
    const store = open();
    store.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON log WHEN NEW.name = '/core/configmaps/default/bad' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((n) => store.create(`/core/configmaps/default/${n}`, { metadata: { name: n } })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/refused by test/);
    expect((await store.list('/core/configmaps/')).items.map((i) => i.key)).toEqual(['/core/configmaps/default/a', '/core/configmaps/default/b']);
    await store.close();
  });

  it('commits writes already accepted when it is closed', async () => {
    let store = open();
    const pending = store.create('/core/configmaps/default/late', { metadata: { name: 'late' } });
    await store.close();
    const kv = await pending;
    store = open();
    expect((await store.get('/core/configmaps/default/late')).revision).toBe(kv.revision);
    await store.close();
  });

  // The compaction timer runs on jest's clock; writes still commit on the real event loop.
  const fakeClock = () => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });

  it('compacts periodically to the revision of one interval earlier, keeping the configured number of revisions while writes flow', async () => {
    fakeClock();
    try {
      const store = open({ compactIntervalMs: 1000, compactMinRetain: 5 });
      for (let i = 0; i < 50; i++) await store.create(`/core/configmaps/default/k${i}`, { metadata: {} });
      jest.advanceTimersByTime(1000);
      expect(await store.compactRevision()).toBe(0);
      const atTick = await store.currentRevision();
      for (let i = 0; i < 3; i++) await store.update(`/core/configmaps/default/k${i}`, { metadata: {} });
      jest.advanceTimersByTime(1000);
      // min(the revision at the previous tick, current - 5)
      expect(await store.compactRevision()).toBe(Math.min(atTick, (await store.currentRevision()) - 5));
      await store.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('returns the pages of a mass delete at the next compaction ticks, with no further writes', async () => {
    fakeClock();
    try {
      const store = open({ compactIntervalMs: 60_000, compactMinRetain: 1000 });
      const big = 'x'.repeat(20_000);
      for (let i = 0; i < 300; i++) await store.create(`/core/configmaps/default/k${i}`, { metadata: {}, data: { big } });
      jest.advanceTimersByTime(60_000);
      for (let i = 0; i < 300; i++) await store.delete(`/core/configmaps/default/k${i}`);
      const full = fs.statSync(path.join(dir, 'state.db')).size + (await store.stats()).walBytes;
      expect(full).toBeGreaterThan(6_000_000);
      // Fewer revisions than compactMinRetain were written; nothing is written from here on.
      jest.advanceTimersByTime(60_000);
      jest.advanceTimersByTime(60_000);
      const stats = await store.stats();
      expect(stats.rows).toBe(0);
      expect(stats.compactRevision).toBe(stats.currentRevision);
      expect(fs.statSync(path.join(dir, 'state.db')).size).toBeLessThan(full / 4);
      expect(stats.walBytes).toBe(0);
      await store.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('returns space freed by compaction and truncates the WAL', async () => {
    const store = open();
    const big = 'x'.repeat(2000);
    for (let i = 0; i < 20; i++) await store.create(`/core/configmaps/default/k${i}`, { metadata: {}, data: { big } });
    for (let r = 0; r < 50; r++) for (let i = 0; i < 20; i++) await store.update(`/core/configmaps/default/k${i}`, { metadata: {}, data: { big, r: String(r) } });
    const before = await store.stats();
    await store.compact(await store.currentRevision());
    const after = await store.stats();
    expect(after.rows).toBe(20);
    expect(after.databaseBytes).toBeLessThan(before.databaseBytes / 2);
    expect(after.walBytes).toBe(0);
    await store.close();
  });
});
