/**
 * open-probe: a child process of the store benchmark. It opens a database either through the
 * store or raw, lists one namespace, and prints open time, RSS and list time as JSON.
 */
import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../../store';

async function main(): Promise<void> {
  const [kind, file] = process.argv.slice(2);
  const baseRssMB = process.memoryUsage().rss / 1e6;
  let t = performance.now();
  let listMs: number;
  let openMs: number;
  if (kind === 'store') {
    const store = openSqliteStore({ path: file });
    await store.currentRevision();
    openMs = performance.now() - t;
    t = performance.now();
    await store.list('/core/pods/ns-7/');
    listMs = performance.now() - t;
  } else {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    openMs = performance.now() - t;
    t = performance.now();
    db.prepare('SELECT value FROM log WHERE name >= ? AND name < ?').all('/core/pods/ns-7/', '/core/pods/ns-70');
    listMs = performance.now() - t;
  }
  const rssMB = process.memoryUsage().rss / 1e6;
  process.stdout.write(JSON.stringify({ openMs, rssMB, baseRssMB, listMs }));
}

void main();
