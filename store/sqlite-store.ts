/**
 * SqliteStore: the versioned store on better-sqlite3, in the manner of kine. One append-only
 * table holds a row per write; the row id is the global revision; a key's live value is its
 * newest row; a delete appends a tombstone. All SQL of the store lives in this file.
 */
import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import fs from 'node:fs';
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidValueError,
  NotFoundError,
  StorageUnavailableError,
  StoreClosedError,
  StoreError,
} from './errors';
import { KeyIndex, type Newest, type NewestRow } from './key-index';
import { checkKey, checkPrefix, prefixEnd } from './keys';
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, WatchHub } from './watch-hub';
import type { KeyValue, ListOptions, ListResult, Store, StoreHealth, StoreMemory, StoreStats, WatchEvent, WatchOptions, Watcher } from './types';

/** SqliteStoreOptions configures durability, compaction and space reclamation. */
export interface SqliteStoreOptions {
  /** database file path, or ':memory:'. */
  path: string;
  /** NORMAL survives a process crash (kill -9); FULL also survives power loss, at a cost per commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /** compact every this many ms to the revision that was current one interval earlier (0: never). */
  compactIntervalMs?: number;
  /** keep at least this many revisions of history when compacting periodically. */
  compactMinRetain?: number;
  /** rows deleted per compaction transaction, so writers are never stalled for long. */
  compactBatchRows?: number;
  /** default bound of a watcher's queue. */
  watchMaxPending?: number;
  /** default bound of a watcher's queue in value bytes (DEFAULT_MAX_PENDING_BYTES, 128 MiB). */
  watchMaxPendingBytes?: number;
  /**
   * bytes of stored values kept in memory by revision (default 64 MiB), so lists and gets of
   * recently written or read objects skip reading their JSON from the database. The values are
   * Buffers, outside the JS heap; this bound is their total length, however they were written.
   */
  valueCacheBytes?: number;
  /** while the disk refuses writes, try a small write this often (ms) to notice it accepts them again (default 1000). */
  probeIntervalMs?: number;
  /** log receives the structured records of storage failing and recovering (default: JSON lines on stderr). */
  log?: (record: Record<string, unknown>) => void;
}

// SQLite's result codes that say the disk, not the write, is at fault: the store answers them
// as StorageUnavailableError and turns unhealthy until a write succeeds again.
const STORAGE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|NOLFS)/;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
DROP INDEX IF EXISTS log_name_id;
CREATE INDEX IF NOT EXISTS log_key ON log (name, id, deleted, create_revision);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

// After LONE_COMMITS group commits of one write each, writes commit at once, every PROBE_EVERY-th excepted.
const LONE_COMMITS = 4;
const PROBE_EVERY = 64;

interface Write {
  key: string;
  value?: object;
  op: 'create' | 'update' | 'delete';
  expected?: number;
}

interface QueuedWrite {
  write: Write;
  resolve: (kv: KeyValue) => void;
  reject: (err: unknown) => void;
}

type Applied = WatchEvent & { createRevision: number };
type Outcome = { applied: Applied } | { error: unknown };

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
  prev_value?: string | null;
}

/** openSqliteStore opens (creating if needed) a store at options.path. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/** SqliteStore implements Store on one SQLite database in WAL mode. */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly hub = new WatchHub();
  private rev: number;
  private compacted: number;
  private isClosed = false;
  private timer?: NodeJS.Timeout;
  private revisionAtLastTick = 0;
  private readonly stmt: ReturnType<SqliteStore['prepare']>;
  private readonly path: string;
  private readonly batchRows: number;
  private readonly watchMaxPending?: number;
  private readonly watchMaxPendingBytes?: number;
  private readonly values: LRUCache<number, Buffer>;
  // latest maps recently read or written keys to their newest revision (0 when deleted), so a
  // GET of a live object needs no query. This process is the only writer of the database.
  private readonly latest = new LRUCache<string, Newest>({ max: 200_000 });
  // index: the live keys under the prefixes listed so far, for lists at the newest revision
  private readonly index = new KeyIndex();
  private queued: QueuedWrite[] = [];
  // group commit: how many commits in a row held a single write, and writes since the last wait
  private loneCommits = 0;
  private sinceProbe = 0;
  private readonly valueCacheMaxBytes: number;
  // unhealthy holds the failure that made the disk refuse writes, until a write succeeds again
  private unhealthy?: StorageUnavailableError;
  private probeTimer?: NodeJS.Timeout;
  private readonly probeIntervalMs: number;
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(options: SqliteStoreOptions) {
    this.valueCacheMaxBytes = Math.max(1, options.valueCacheBytes ?? 64 * 1024 * 1024);
    this.values = new LRUCache<number, Buffer>({ maxSize: this.valueCacheMaxBytes, sizeCalculation: (v) => v.length || 1 });
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.log = options.log ?? stderrLog;
    this.path = options.path;
    this.batchRows = options.compactBatchRows ?? 5000;
    this.watchMaxPending = options.watchMaxPending;
    this.watchMaxPendingBytes = options.watchMaxPendingBytes;
    this.db = new Database(options.path);
    try {
      // page_size and auto_vacuum only take effect on a new database, before WAL is on.
      this.db.pragma('page_size = 8192');
      this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      this.db.pragma('journal_size_limit = 16777216');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.stmt = this.prepare();
    this.rev = this.readRevision();
    this.compacted = (this.stmt.getMeta.get('compact_revision') as { value: number } | undefined)?.value ?? 0;
    this.revisionAtLastTick = this.rev;
    const interval = options.compactIntervalMs ?? 0;
    if (interval > 0) {
      const minRetain = options.compactMinRetain ?? 1000;
      this.timer = setInterval(() => this.periodicCompact(minRetain), interval);
      this.timer.unref();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      seq: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'log'`).pluck(),
      latest: db.prepare(`SELECT id, create_revision, deleted, value FROM log WHERE name = ? ORDER BY id DESC LIMIT 1`),
      latestKey: db.prepare(`SELECT id, create_revision, deleted FROM log WHERE name = ? ORDER BY id DESC LIMIT 1`),
      atRevision: db.prepare(`SELECT id, create_revision, deleted, value FROM log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`),
      insert: db.prepare(
        `INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      list: db.prepare(
        `SELECT id, name, create_revision FROM log AS l
         WHERE name > ? AND name < ? AND deleted = 0 AND id <= ?
           AND id = (SELECT MAX(m.id) FROM log AS m WHERE m.name = l.name AND m.id <= ?)
         ORDER BY name`,
      ),
      newestInRange: db.prepare(`SELECT MAX(id), name, deleted, create_revision FROM log WHERE name > ? AND name < ? GROUP BY name`).raw(),
      count: db.prepare(
        `SELECT COUNT(*) FROM log AS l
         WHERE name > ? AND name < ? AND deleted = 0 AND id <= ?
           AND id = (SELECT MAX(m.id) FROM log AS m WHERE m.name = l.name AND m.id <= ?)`,
      ).pluck(),
      history: db.prepare(
        `SELECT l.id, l.name, l.created, l.deleted, l.create_revision, l.value, p.value AS prev_value
         FROM log AS l LEFT JOIN log AS p ON p.id = l.prev_revision
         WHERE l.id > ? AND l.id <= ? AND l.name >= ? AND l.name < ?
         ORDER BY l.id LIMIT ?`,
      ),
      compactBatch: db.prepare(
        `DELETE FROM log WHERE id IN (
           SELECT l.id FROM log AS l WHERE l.id > ? AND l.id <= ? AND (l.deleted = 1 OR EXISTS (
             SELECT 1 FROM log AS n WHERE n.name = l.name AND n.id > l.id AND n.id <= ?)))`,
      ),
      minId: db.prepare(`SELECT MIN(id) FROM log`).pluck(),
      valuesById: db.prepare(`SELECT id, CAST(value AS BLOB) AS value FROM log WHERE id IN (SELECT value FROM json_each(?))`),
      getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
      setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      rows: db.prepare(`SELECT COUNT(*) FROM log`).pluck(),
    };
  }

  private readRevision(): number {
    return (this.stmt.seq.get() as number | undefined) ?? 0;
  }

  private open(): void {
    if (this.isClosed) throw new StoreClosedError();
  }

  async currentRevision(): Promise<number> {
    this.open();
    return this.rev;
  }

  async compactRevision(): Promise<number> {
    this.open();
    return this.compacted;
  }

  async create(key: string, value: object): Promise<KeyValue> {
    return this.write({ key, value, op: 'create' });
  }

  async update(key: string, value: object, expectedRevision?: number): Promise<KeyValue> {
    return this.write({ key, value, op: 'update', expected: expectedRevision });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.write({ key, op: 'delete', expected: expectedRevision });
  }

  // write commits one write. Writes made in the same turn of the event loop (concurrent
  // requests) share one IMMEDIATE transaction, committed at the end of the turn: a commit costs
  // far more than an insert. A lone writer that waits for each write gains nothing from waiting
  // for the turn's end, so while commits keep holding one write each, writes commit at once and
  // only every PROBE_EVERY-th waits, to notice company. A write is acknowledged only once its
  // transaction has committed.
  private write(w: Write): Promise<KeyValue> {
    this.open();
    checkKey(w.key);
    if (w.op !== 'delete') checkValue(w.value);
    if (w.expected !== undefined) checkRevisionArg(w.expected, 'expected revision');
    return new Promise((resolve, reject) => {
      const queued = { write: w, resolve, reject };
      if (this.queued.length === 0 && this.loneCommits >= LONE_COMMITS && ++this.sinceProbe < PROBE_EVERY) {
        return this.commit([queued]);
      }
      this.sinceProbe = 0;
      this.queued.push(queued);
      if (this.queued.length === 1) setImmediate(() => this.commitQueued());
    });
  }

  private commitQueued(): void {
    const batch = this.queued;
    this.queued = [];
    if (!batch.length) return;
    this.loneCommits = batch.length === 1 ? this.loneCommits + 1 : 0;
    this.commit(batch);
  }

  // commit commits writes in one transaction, then publishes their events in order. Writes
  // refused on their own (exists, not found, conflict) fail alone; when the transaction itself
  // fails, each write is retried in a transaction of its own, so one bad write cannot fail the
  // others.
  private commit(batch: QueuedWrite[]): void {
    if (this.isClosed) {
      for (const q of batch) q.reject(new StoreClosedError());
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.db.transaction(() => batch.map((q) => this.applyOrRefuse(q.write))).immediate();
      this.writesSucceed();
    } catch (err) {
      const failure = this.storageFailure(err);
      // On a disk that refuses writes every write of the batch would fail alike.
      if (batch.length === 1 || failure instanceof StorageUnavailableError) {
        for (const q of batch) q.reject(failure);
        return;
      }
      outcomes = batch.map((q) => {
        try {
          const outcome = this.db.transaction(() => this.applyOrRefuse(q.write)).immediate();
          this.writesSucceed();
          return outcome;
        } catch (error) {
          return { error: this.storageFailure(error) };
        }
      });
    }
    batch.forEach((q, i) => {
      const outcome = outcomes[i];
      if ('error' in outcome) return q.reject(outcome.error);
      // Every write of the batch settles, whatever happens to another's bookkeeping.
      try {
        q.resolve(this.published(outcome.applied));
      } catch (err) {
        q.reject(err);
      }
    });
  }

  // storageFailure turns an error of SQLite that blames the disk into StorageUnavailableError,
  // and on the first such error turns the store unhealthy: one log line, and a probe write at
  // every probe interval until the disk takes writes again. Other errors are returned as they are.
  private storageFailure(err: unknown): unknown {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !STORAGE_CODES.test(code)) return err;
    const failure = new StorageUnavailableError(String((err as Error).message), code);
    if (!this.unhealthy) {
      this.unhealthy = failure;
      this.log({ level: 'error', msg: 'storage refuses writes; writes answer 500 and /readyz reports not ready until they succeed again', path: this.path, code, error: failure.message });
      this.probeTimer = setInterval(() => this.probe(), this.probeIntervalMs);
      this.probeTimer.unref();
    }
    return failure;
  }

  // writesSucceed marks the store healthy again after a failure, with one log line.
  private writesSucceed(): void {
    if (!this.unhealthy) return;
    const was = this.unhealthy;
    this.unhealthy = undefined;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.log({ level: 'info', msg: 'storage takes writes again', path: this.path, code: was.code });
  }

  // probe writes one small row while the store is unhealthy, so it recovers even when no
  // client writes. (The row is the store's own, in meta; it changes no revision.)
  private probe(): void {
    if (this.isClosed || !this.unhealthy) return;
    try {
      this.db.transaction(() => this.stmt.setMeta.run('write_probe', Date.now())).immediate();
      this.writesSucceed();
    } catch (err) {
      this.storageFailure(err);
    }
  }

  /** health is not ok from the first write the disk refuses until one succeeds again. */
  health(): StoreHealth {
    return this.unhealthy ? { ok: false, reason: this.unhealthy.message } : { ok: true };
  }

  /** memory reports the value cache and the watch queues beside their bounds. */
  memory(): StoreMemory {
    const queued = this.hub.queued();
    return {
      valueCacheBytes: this.values.calculatedSize,
      valueCacheEntries: this.values.size,
      valueCacheMaxBytes: this.valueCacheMaxBytes,
      watchers: this.hub.size,
      watchQueueEvents: queued.events,
      watchQueueBytes: queued.bytes,
      watchQueueLongest: queued.longest,
      watchQueueMaxEvents: this.watchMaxPending ?? DEFAULT_MAX_PENDING,
      watchQueueMaxBytes: this.watchMaxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    };
  }

  // applyOrRefuse appends one write's row at the next revision, or answers the store error that
  // refuses it before anything was written. Other errors (SQLite's) fail the transaction.
  // (Outcomes are tagged rather than told apart with instanceof Error: SQLite's errors may come
  // from another realm's Error, as under jest.)
  private applyOrRefuse(w: Write): Outcome {
    try {
      return { applied: this.apply(w) };
    } catch (error) {
      if (error instanceof StoreError) return { error };
      throw error;
    }
  }

  private apply({ key, value, op, expected }: Write): Applied {
    const revision = this.readRevision() + 1;
    const current = this.stmt.latest.get(key) as Row | undefined;
    const live = current && !current.deleted ? current : undefined;
    if (op === 'create') {
      if (live) throw new AlreadyExistsError(key);
      const json = stamp(value!, revision);
      this.stmt.insert.run(revision, key, 1, 0, revision, current?.id ?? 0, json);
      return { type: 'ADDED', key, revision, value: json, createRevision: revision };
    }
    if (!live) throw new NotFoundError(key);
    if (expected !== undefined && expected !== live.id) {
      throw new ConflictError(key, expected, live.id);
    }
    if (op === 'update') {
      const json = stamp(value!, revision);
      this.stmt.insert.run(revision, key, 0, 0, live.create_revision, live.id, json);
      return { type: 'MODIFIED', key, revision, value: json, prevValue: live.value, createRevision: live.create_revision };
    }
    const json = restamp(live.value, revision) ?? stamp(JSON.parse(live.value), revision);
    this.stmt.insert.run(revision, key, 0, 1, live.create_revision, live.id, json);
    return { type: 'DELETED', key, revision, value: json, prevValue: live.value, createRevision: live.create_revision };
  }

  // published records a committed write in memory, tells the watchers and answers it.
  private published(event: Applied): KeyValue {
    const { key } = event;
    this.rev = event.revision;
    const latest = { revision: event.type === 'DELETED' ? 0 : event.revision, createRevision: event.createRevision };
    this.latest.set(key, latest);
    this.index.written(key, latest);
    const bytes = Buffer.from(event.value);
    this.values.set(event.revision, bytes);
    this.hub.publish(event);
    return new StoredKeyValue(key, event.revision, event.createRevision, bytes, event.value);
  }

  // valuesOf returns the values of revisions, from the cache where it can.
  private valuesOf(ids: number[]): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    const missing: number[] = [];
    for (const id of ids) {
      const v = this.values.get(id);
      if (v === undefined) missing.push(id);
      else out.set(id, v);
    }
    if (missing.length) {
      for (const row of this.stmt.valuesById.all(JSON.stringify(missing)) as Array<{ id: number; value: Buffer }>) {
        out.set(row.id, row.value);
        this.values.set(row.id, row.value);
      }
    }
    return out;
  }

  async get(key: string, revision?: number): Promise<KeyValue> {
    this.open();
    checkKey(key);
    if (revision !== undefined && revision !== 0) {
      this.checkReadRevision(revision);
      const past = this.stmt.atRevision.get(key, revision) as Row | undefined;
      if (!past || past.deleted) throw new NotFoundError(key);
      return new StoredKeyValue(key, past.id, past.create_revision, Buffer.from(past.value), past.value);
    }
    // The newest revision from memory or the index; its value from the cache when it is there.
    let latest = this.latest.get(key);
    if (!latest) {
      const row = this.stmt.latestKey.get(key) as Row | undefined;
      latest = { revision: row && !row.deleted ? row.id : 0, createRevision: row?.create_revision ?? 0 };
      this.latest.set(key, latest);
    }
    if (!latest.revision) throw new NotFoundError(key);
    return new StoredKeyValue(key, latest.revision, latest.createRevision, this.valuesOf([latest.revision]).get(latest.revision)!);
  }

  private checkReadRevision(revision: number): void {
    checkRevisionArg(revision, 'revision');
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.open();
    checkPrefix(prefix);
    const revision = options.revision || this.rev;
    if (options.revision !== undefined && options.revision !== 0) this.checkReadRevision(options.revision);
    const limit = options.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`limit must be a non-negative integer`);
    const end = prefixEnd(prefix);
    let lower = prefix;
    if (options.startAfter !== undefined) {
      checkKey(options.startAfter);
      if (!options.startAfter.startsWith(prefix)) throw new InvalidArgumentError(`continue key is not under ${prefix}`);
      lower = options.startAfter;
    }
    const items: KeyValue[] = [];
    const predicate = options.predicate;
    let more = false;
    let lastKey: string | undefined;
    // Keys and revisions come from the index alone; values from the cache, the rest in batches.
    let batch: Array<Pick<Row, 'id' | 'name' | 'create_revision'>> = [];
    const flush = (): boolean => {
      const values = this.valuesOf(batch.map((r) => r.id));
      for (const row of batch) {
        const kv: KeyValue = new StoredKeyValue(row.name, row.id, row.create_revision, values.get(row.id)!);
        if (predicate && !predicate(kv)) {
          lastKey = row.name;
          continue;
        }
        if (limit && items.length === limit) {
          more = true;
          return false;
        }
        items.push(kv);
        lastKey = row.name;
      }
      batch = [];
      return true;
    };
    let open = true;
    const fromIndex = revision === this.rev;
    if (fromIndex && !this.index.covers(prefix)) {
      this.index.load(prefix, this.stmt.newestInRange.iterate(prefix, end) as IterableIterator<NewestRow>);
    }
    const rows = fromIndex ? this.indexRows(lower, end) : (this.stmt.list.iterate(lower, end, revision, revision) as IterableIterator<Row>);
    for (const row of rows) {
      batch.push(row);
      if (batch.length === 512 && !(open = flush())) break;
    }
    if (open && batch.length) flush();
    const result: ListResult = { items, revision, more };
    if (more) {
      result.lastKey = items.length ? items[items.length - 1].key : lastKey;
      if (options.countRemaining) {
        result.remainingCount = fromIndex ? this.index.count(result.lastKey!, end) : (this.stmt.count.get(result.lastKey, end, revision, revision) as number);
      }
    }
    return result;
  }

  private *indexRows(lower: string, end: string): Generator<Pick<Row, 'id' | 'name' | 'create_revision'>> {
    for (const [name, newest] of this.index.range(lower, end)) yield { id: newest.revision, name, create_revision: newest.createRevision };
  }

  watch(prefix: string, fromRevision: number, options: WatchOptions = {}): Watcher {
    this.open();
    const exact = !prefix.endsWith('/');
    if (exact) checkKey(prefix);
    else checkPrefix(prefix);
    checkRevisionArg(fromRevision, 'revision', true);
    if (fromRevision && fromRevision < this.compacted) throw new CompactedError(fromRevision, this.compacted);
    const from = fromRevision || this.rev;
    const lower = prefix;
    const upper = exact ? prefix + '\u0000' : prefixEnd(prefix);
    const history = (after: number, upTo: number, limit: number): WatchEvent[] => {
      this.open();
      if (after < this.compacted) throw new CompactedError(after, this.compacted);
      const rows = this.stmt.history.all(after, upTo, lower, upper, limit) as Row[];
      return rows.map(rowEvent);
    };
    return this.hub.register(prefix, from, Math.max(from, this.rev), history, () => this.rev, {
      maxPending: options.maxPending ?? this.watchMaxPending,
      maxPendingBytes: options.maxPendingBytes ?? this.watchMaxPendingBytes,
      progressIntervalMs: options.progressIntervalMs,
    });
  }

  async compact(revision: number): Promise<void> {
    this.open();
    checkRevisionArg(revision, 'revision');
    this.compactTo(Math.min(revision, this.rev));
  }

  // compactTo deletes superseded rows and tombstones at or below revision, batch by batch.
  private compactTo(revision: number): void {
    if (revision <= this.compacted) return;
    // Readers below the new floor must fail from now on, even while batches are running.
    this.compacted = revision;
    let from = ((this.stmt.minId.get() as number | null) ?? revision) - 1;
    while (from < revision) {
      const to = Math.min(from + this.batchRows, revision);
      this.db.transaction(() => this.stmt.compactBatch.run(from, to, revision)).immediate();
      from = to;
    }
    this.stmt.setMeta.run('compact_revision', revision);
    this.reclaimSpace();
  }

  // reclaimSpace returns free pages when they exceed a quarter of the file and resets the WAL.
  private reclaimSpace(): void {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    if (free > pages / 4) this.db.pragma(`incremental_vacuum(${free - Math.floor(pages / 8)})`);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  // periodicCompact compacts to the revision that was current one interval earlier, keeping
  // at least minRetain revisions while writes flow. When nothing was written for a whole interval
  // the floor goes too: otherwise the rows and tombstones of a mass delete would keep their pages
  // until minRetain more writes arrived. (kube's compactor keeps no count, only the interval.)
  private periodicCompact(minRetain: number): void {
    if (this.isClosed) return;
    const idle = this.rev === this.revisionAtLastTick;
    const target = idle ? this.rev : Math.min(this.revisionAtLastTick, this.rev - minRetain);
    this.revisionAtLastTick = this.rev;
    try {
      this.compactTo(target);
    } catch (err) {
      // A failed pass is retried at the next tick; the log line keeps the cause visible.
      const failure = this.storageFailure(err);
      if (!(failure instanceof StorageUnavailableError)) this.log({ level: 'error', msg: 'compaction failed', error: String(err) });
    }
  }

  async stats(): Promise<StoreStats> {
    this.open();
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    return {
      currentRevision: this.rev,
      compactRevision: this.compacted,
      rows: this.stmt.rows.get() as number,
      watchers: this.hub.size,
      databaseBytes: pageSize * pages,
      walBytes: this.path === ':memory:' ? 0 : fileSize(this.path + '-wal'),
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    // Writes already accepted are committed before the database closes.
    this.commitQueued();
    this.isClosed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.hub.failAll(new StoreClosedError());
    this.db.close();
  }
}

/** StoredKeyValue holds a value as bytes and decodes it to text only when asked. */
class StoredKeyValue implements KeyValue {
  constructor(
    readonly key: string,
    readonly revision: number,
    readonly createRevision: number,
    readonly bytes: Buffer,
    private text?: string,
  ) {}

  get value(): string {
    return (this.text ??= this.bytes.toString('utf8'));
  }

  toJSON(): object {
    return { key: this.key, revision: this.revision, createRevision: this.createRevision, value: this.value };
  }
}

function rowEvent(row: Row): WatchEvent {
  const type = row.deleted ? 'DELETED' : row.created ? 'ADDED' : 'MODIFIED';
  const ev: WatchEvent = { type, key: row.name, revision: row.id, value: row.value };
  if (type !== 'ADDED' && row.prev_value != null) ev.prevValue = row.prev_value;
  return ev;
}

function checkValue(value: unknown): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidValueError('must be a JSON object');
  }
  const meta = (value as { metadata?: unknown }).metadata;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) {
    throw new InvalidValueError('metadata must be an object');
  }
}

// stamp serialises value with metadata.resourceVersion set to the revision of the write.
function stamp(value: object, revision: number): string {
  const meta = (value as { metadata?: object }).metadata;
  try {
    return JSON.stringify({ ...value, metadata: { ...meta, resourceVersion: String(revision) } });
  } catch (err) {
    throw new InvalidValueError(`cannot be serialised as JSON (${(err as Error).message})`);
  }
}

/**
 * restamp is stamp for a value that is already stored JSON text: the string value of the
 * top-level metadata.resourceVersion is replaced in place, without parsing the whole object (a
 * delete of a 1 MiB object of 50,000 keys spent ~100 ms parsing and serialising it again just
 * for that). Undefined when the text does not have that shape; the caller then parses it.
 */
export function restamp(json: string, revision: number): string | undefined {
  const metadata = memberValue(json, 0, 'metadata');
  if (metadata === undefined || json[metadata] !== '{') return undefined;
  const at = memberValue(json, metadata, 'resourceVersion');
  if (at === undefined || json[at] !== '"') return undefined;
  const end = stringEnd(json, at);
  if (end < 0) return undefined;
  return `${json.slice(0, at)}"${revision}"${json.slice(end + 1)}`;
}

// memberValue finds the member named name directly inside the object that opens at start
// (skipping strings and nested values without decoding them) and returns the index where its
// value begins, or undefined when the object has no such member.
function memberValue(json: string, start: number, name: string): number | undefined {
  let i = skipSpace(json, start);
  if (json[i] !== '{') return undefined;
  i = skipSpace(json, i + 1);
  let depth = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (end < 0) return undefined;
      if (depth === 0) {
        const colon = skipSpace(json, end + 1);
        if (json[colon] === ':') {
          const value = skipSpace(json, colon + 1);
          if (end - i - 1 === name.length && json.startsWith(name, i + 1)) return value;
          i = value;
          continue;
        }
      }
      i = end + 1;
    } else if (c === '{' || c === '[') {
      depth++;
      i++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) return undefined;
      depth--;
      i++;
    } else {
      i++;
    }
  }
  return undefined;
}

// stringEnd is the index of the quote that closes the string opening at start (-1 if none).
function stringEnd(json: string, start: number): number {
  let j = start;
  for (;;) {
    j = json.indexOf('"', j + 1);
    if (j < 0) return -1;
    let k = j - 1;
    while (json.charCodeAt(k) === 0x5c) k--;
    if ((j - 1 - k) % 2 === 0) return j;
  }
}

function skipSpace(json: string, i: number): number {
  while (i < json.length && (json[i] === ' ' || json[i] === '\n' || json[i] === '\r' || json[i] === '\t')) i++;
  return i;
}

function checkRevisionArg(revision: unknown, what: string, allowZero = false): void {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < (allowZero ? 0 : 1)) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(revision)}`);
  }
}

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}


function stderrLog(record: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
}
