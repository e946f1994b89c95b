/**
 * Store benchmarks (issue: foundation and the versioned object store). Every figure is printed
 * beside a baseline measured in the same run; nothing here asserts a timing.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DecodedObjectCache, openSqliteStore, type SqliteStore } from '../../store';
import { formatFigure, percentile, podObject, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? "1");
const only = process.env.BENCH_ONLY;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-bench-'));
}

function rawDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('page_size = 8192');
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL)');
  return db;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function benchCreates(dir: string): Promise<Figure[]> {
  const n = Math.round(5000 * scale);
  const rounds = 3;
  const storeRates: number[] = [];
  const rawRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const objs = Array.from({ length: n }, (_, i) => podObject(`pod-${r}-${i}`));
    const rows = objs.map((o, i) => [`/core/pods/bench/pod-${r}-${i}`, JSON.stringify(o)] as const);
    const raw = rawDb(path.join(dir, `raw-${r}.db`));
    const insert = raw.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
    let t = performance.now();
    for (const [k, v] of rows) insert.run(k, v);
    rawRates.push(n / ((performance.now() - t) / 1000));
    raw.close();

    const store = openSqliteStore({ path: path.join(dir, `store-${r}.db`) });
    t = performance.now();
    for (let i = 0; i < n; i++) await store.create(rows[i][0], objs[i]);
    storeRates.push(n / ((performance.now() - t) / 1000));
    await store.close();
  }
  const value = median(storeRates);
  const baseline = median(rawRates);
  return [
    {
      name: `creates/s, one commit each (${n} pods of ~2 KB)`,
      value,
      unit: 'writes/s',
      baselineName: 'raw better-sqlite3 insert, same pragmas',
      baseline,
      better: 'higher',
      target: '>= 50% of baseline',
      met: value >= 0.5 * baseline,
    },
  ];
}

async function benchList(dir: string): Promise<Figure[]> {
  const n = 10_000;
  const store = openSqliteStore({ path: path.join(dir, 'list.db') });
  const raw = rawDb(path.join(dir, 'list-raw.db'));
  const insertRaw = raw.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
  for (let i = 0; i < n; i++) {
    const key = `/core/pods/bench/pod-${String(i).padStart(5, '0')}`;
    const kv = await store.create(key, podObject(`pod-${i}`));
    insertRaw.run(key, kv.value);
  }
  // Other namespaces and some history around the listed one.
  for (let i = 0; i < 2000; i++) await store.create(`/core/pods/other/pod-${i}`, podObject(`pod-${i}`, 'other'));
  for (let i = 0; i < 1000; i++) await store.update(`/core/pods/bench/pod-${String(i * 7).padStart(5, '0')}`, podObject(`pod-${i * 7}`));
  raw.exec('CREATE INDEX IF NOT EXISTS t_name ON t (name)');
  const rawSelect = raw.prepare('SELECT value FROM t WHERE name >= ? AND name < ?');
  const times: number[] = [];
  const rawTimes: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 7; r++) {
    let t = performance.now();
    rawSelect.all('/core/pods/bench/', '/core/pods/bench0');
    rawTimes.push(performance.now() - t);
    t = performance.now();
    const list = await store.list('/core/pods/bench/');
    times.push(performance.now() - t);
    if (list.items.length !== n) throw new Error(`list returned ${list.items.length} items`);
    bytes = list.items.reduce((sum, i) => sum + (i.bytes?.length ?? i.value.length), 0);
  }
  await store.close();
  raw.close();
  const value = median(times);
  return [
    {
      name: `consistent list of ${n} pods in one namespace, 2,000 others and 1,000 updates around (${(bytes / 1e6).toFixed(1)} MB)`,
      value,
      unit: 'ms',
      baselineName: 'raw range SELECT of the same rows',
      baseline: median(rawTimes),
      better: 'lower',
      target: '< 100 ms',
      met: value < 100,
    },
  ];
}

async function benchWatch(dir: string): Promise<Figure[]> {
  const watchers = 1000;
  const rate = 500;
  const seconds = Math.max(1, Math.round(3 * scale));
  const store = openSqliteStore({ path: path.join(dir, 'watch.db') });
  for (let i = 0; i < 100; i++) await store.create(`/core/pods/bench/pod-${i}`, podObject(`pod-${i}`));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const total = rate * seconds;
  const consumers = Array.from({ length: watchers }, async () => {
    const w = store.watch('/core/pods/bench/', 0, { maxPending: 100_000 });
    for (let got = 0; got < total; got++) {
      const ev = await w.next();
      if (!ev) break;
      latencies.push(performance.now() - sentAt.get(ev.revision)!);
    }
    w.close();
  });
  const tickMs = 10;
  const start = performance.now();
  // Paced writer: each tick writes what the target rate owes by now, so a slow tick is caught up.
  for (let written = 0; written < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; written < due; written++) {
      sentAt.set((await store.currentRevision()) + 1, performance.now());
      await store.update(`/core/pods/bench/pod-${written % 100}`, podObject(`pod-${written % 100}`, 'bench', { n: String(written) }));
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(consumers);
  const elapsed = (performance.now() - start) / 1000;
  await store.close();
  latencies.sort((a, b) => a - b);

  // Baseline: the same fan-out of the same bytes through plain promises, no store.
  const baseLat: number[] = [];
  type Channel = { queue: Array<{ t: number }>; wake?: () => void };
  const channels: Channel[] = Array.from({ length: watchers }, () => ({ queue: [] }));
  const baseConsumers = channels.map(async (ch) => {
    for (let got = 0; got < total; got++) {
      while (ch.queue.length === 0) await new Promise<void>((r) => (ch.wake = r));
      const ev = ch.queue.shift()!;
      baseLat.push(performance.now() - ev.t);
    }
  });
  const baseStart = performance.now();
  for (let written = 0; written < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - baseStart) / 1000) * rate) + 1);
    for (; written < due; written++) {
      const ev = { t: performance.now(), value: JSON.stringify(podObject(`pod-${written}`)) };
      for (const ch of channels) {
        ch.queue.push(ev);
        ch.wake?.();
        ch.wake = undefined;
      }
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(baseConsumers);
  baseLat.sort((a, b) => a - b);

  // Decoding each event once per watcher (label filtering) with and without the shared cache.
  const cache = new DecodedObjectCache();
  const events = Array.from({ length: 100 }, (_, i) => ({ revision: i + 1, value: JSON.stringify(podObject(`p${i}`)) }));
  let t = performance.now();
  for (const ev of events) for (let w = 0; w < watchers; w++) (JSON.parse(ev.value) as { metadata: { labels: object } }).metadata.labels;
  const parseEach = (performance.now() - t) / events.length;
  t = performance.now();
  for (const ev of events) for (let w = 0; w < watchers; w++) cache.decode<{ metadata: { labels: object } }>(ev).metadata.labels;
  const cached = (performance.now() - t) / events.length;

  const p99 = percentile(latencies, 99);
  return [
    { name: `watch fan-out: ${watchers} watchers, ${rate} events/s for ${seconds}s, p50`, value: percentile(latencies, 50), unit: 'ms', baselineName: 'plain promise fan-out', baseline: percentile(baseLat, 50), better: 'lower' },
    { name: `watch fan-out: p99 (achieved ${(total / elapsed).toFixed(0)} events/s)`, value: p99, unit: 'ms', baselineName: 'plain promise fan-out', baseline: percentile(baseLat, 99), better: 'lower', target: '< 20 ms', met: p99 < 20 },
    { name: `decode one event for ${watchers} watchers, LRU of decoded objects`, value: cached, unit: 'ms/event', baselineName: 'JSON.parse per watcher', baseline: parseEach, better: 'lower' },
  ];
}

function probe(kind: 'store' | 'raw', file: string): { openMs: number; rssMB: number; baseRssMB: number; listMs: number } {
  const script = path.join(__dirname, 'open-probe.js');
  return JSON.parse(execFileSync(process.execPath, [script, kind, file], { encoding: 'utf8' }));
}

async function benchOpen(dir: string): Promise<Figure[]> {
  const n = Math.round(100_000 * scale);
  const file = path.join(dir, 'big.db');
  const store = openSqliteStore({ path: file });
  const obj = podObject('x');
  for (let i = 0; i < n; i++) {
    (obj.metadata as { name: string }).name = `pod-${i}`;
    await store.create(`/core/pods/ns-${i % 50}/pod-${i}`, obj);
  }
  await store.close();
  const dbMB = fs.statSync(file).size / 1e6;
  const s = probe('store', file);
  const r = probe('raw', file);
  return [
    { name: `${n} objects stored (${dbMB.toFixed(0)} MB): time to open the store`, value: s.openMs, unit: 'ms', baselineName: 'raw open + WAL pragma', baseline: r.openMs, better: 'lower' },
    { name: `${n} objects stored: RSS after open and a list of one namespace`, value: s.rssMB, unit: 'MB', baselineName: 'raw open + same SELECT', baseline: r.rssMB, better: 'lower' },
    { name: `${n} objects stored: list of one namespace (${n / 50} pods)`, value: s.listMs, unit: 'ms', baselineName: 'raw range SELECT', baseline: r.listMs, better: 'lower' },
  ];
}

async function benchChurn(dir: string): Promise<Figure[]> {
  const objects = 1000;
  const updates = Math.max(10, Math.round(1000 * scale));
  const file = path.join(dir, 'churn.db');
  const store: SqliteStore = openSqliteStore({ path: file, compactIntervalMs: 1000, compactMinRetain: 1000 });
  const size = () => fileSize(file) + fileSize(file + '-wal');
  for (let i = 0; i < objects; i++) await store.create(`/core/pods/churn/pod-${i}`, podObject(`pod-${i}`));
  let peak = 0;
  const t = performance.now();
  for (let u = 0; u < updates; u++) {
    for (let i = 0; i < objects; i++) {
      await store.update(`/core/pods/churn/pod-${i}`, podObject(`pod-${i}`, 'churn', { gen: String(u) }));
    }
    // Let the compaction timer run between rounds, as it would between requests.
    await new Promise((r) => setImmediate(r));
    if (u % 50 === 0) peak = Math.max(peak, size());
  }
  const rate = (objects * updates) / ((performance.now() - t) / 1000);
  peak = Math.max(peak, size());
  // Two idle compaction intervals: the window catches up with the last writes.
  await new Promise((r) => setTimeout(r, 2500));
  const live = (await store.list('/core/pods/churn/')).items.reduce((n, i) => n + Buffer.byteLength(i.value), 0);
  const end = size();
  const stats = await store.stats();
  await store.close();
  return [
    { name: `churn: ${objects} objects x ${updates} updates, compaction every 1s (${rate.toFixed(0)} writes/s)`, value: end / 1e6, unit: 'MB', baselineName: 'live data (sum of values)', baseline: live / 1e6, better: 'lower', target: '< 5x live data', met: end < 5 * live },
    { name: `churn: peak db+wal during the run (rows left at end: ${stats.rows})`, value: peak / 1e6, unit: 'MB', baselineName: 'live data', baseline: live / 1e6, better: 'lower' },
  ];
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

/** runStoreBench runs every store benchmark and prints its figures. */
export async function runStoreBench(): Promise<Figure[]> {
  const dir = tempDir();
  const figures: Figure[] = [];
  try {
    console.log('store (SQLite, WAL, synchronous=NORMAL)');
    for (const bench of [benchCreates, benchList, benchWatch, benchOpen, benchChurn]) {
      if (only && !bench.name.toLowerCase().includes(only)) continue;
      const got = await bench(dir);
      for (const f of got) console.log(formatFigure(f));
      figures.push(...got);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
