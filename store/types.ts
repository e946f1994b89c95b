/**
 * The store contract every backend implements (SQLite now, PostgreSQL later).
 * Values are JSON objects; the store stamps metadata.resourceVersion with the revision of
 * the write before it serialises them, so stored bytes can be served as they are.
 */

/** KeyValue is one stored version of a key. */
export interface KeyValue {
  key: string;
  /** revision of the write that produced this version (the object's resourceVersion). */
  revision: number;
  /** revision at which the key was created. */
  createRevision: number;
  /** the object serialised as JSON, metadata.resourceVersion included. */
  readonly value: string;
  /** the same JSON as UTF-8 bytes, when the backend holds them (responses can send them as they are). */
  readonly bytes?: Buffer;
}

/** WatchEventType follows the Kubernetes watch event types. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** WatchEvent is one change under a watched prefix, or a BOOKMARK carrying the current revision. */
export interface WatchEvent {
  type: WatchEventType;
  key: string;
  revision: number;
  /** the new value; for DELETED, the last value stamped with the deletion revision; '' for BOOKMARK. */
  value: string;
  /** the value before this change (MODIFIED and DELETED), for selector transitions. */
  prevValue?: string;
}

/** ListOptions selects a consistent page of a prefix. */
export interface ListOptions {
  /** list as of this revision (0 or undefined: the current revision). */
  revision?: number;
  /** at most this many items (0 or undefined: no limit). */
  limit?: number;
  /** continue after this key (exclusive); it must lie under the prefix. */
  startAfter?: string;
  /** only items the predicate accepts are returned and count toward limit. */
  predicate?: (kv: KeyValue) => boolean;
  /** compute remainingCount (live keys after the page, before any predicate) when the list is cut short. */
  countRemaining?: boolean;
}

/** ListResult is one page: items in key order, the revision it is consistent at, and whether more follow. */
export interface ListResult {
  items: KeyValue[];
  revision: number;
  /** true when items were cut short by limit; continue from the last item's key. */
  more: boolean;
  /** the key to continue after when more is true. */
  lastKey?: string;
  /** live keys after this page, when countRemaining was asked and more is true. */
  remainingCount?: number;
}

/** WatchOptions tunes one watch. */
export interface WatchOptions {
  /** events queued beyond this drop the watcher with WatcherTooSlowError. */
  maxPending?: number;
  /** value bytes queued beyond this (the lengths of the events' values and previous values) drop the watcher with WatcherTooSlowError. */
  maxPendingBytes?: number;
  /** deliver a BOOKMARK with the current revision at this interval while no event flows (ms). */
  progressIntervalMs?: number;
}

/** Watcher delivers events under a prefix in revision order, without gaps or duplicates. */
export interface Watcher extends AsyncIterable<WatchEvent> {
  /** next resolves to the next event, or undefined when the watch ended normally; it rejects with the error that ended it. */
  next(): Promise<WatchEvent | undefined>;
  /** requestProgress queues a BOOKMARK carrying the current revision after every event already queued. */
  requestProgress(): void;
  /** close ends the watch; pending next() calls resolve to undefined. */
  close(): void;
  readonly closed: boolean;
}

/** StoreStats describes the store for benchmarks and health checks. */
export interface StoreStats {
  currentRevision: number;
  compactRevision: number;
  rows: number;
  watchers: number;
  databaseBytes: number;
  walBytes: number;
}

/** StoreHealth says whether the store can write; reason is the cause when it cannot. */
export interface StoreHealth {
  ok: boolean;
  reason?: string;
}

/** StoreMemory is what the store holds in memory beside the database, and its bounds. */
export interface StoreMemory {
  valueCacheBytes: number;
  valueCacheEntries: number;
  valueCacheMaxBytes: number;
  watchers: number;
  /** events queued for watchers that have not yet taken them, summed over every watcher */
  watchQueueEvents: number;
  /** bytes of the values of those events */
  watchQueueBytes: number;
  /** the longest queue of one watcher, in events */
  watchQueueLongest: number;
  /** the default bound of one watcher's queue, in events; a watcher past it is dropped */
  watchQueueMaxEvents: number;
  /** the default bound of one watcher's queue, in value bytes; a watcher past it is dropped */
  watchQueueMaxBytes: number;
}

/** Store is the versioned object store. All methods reject with the typed errors of ./errors. */
export interface Store {
  /** currentRevision is the revision of the newest write. */
  currentRevision(): Promise<number>;
  /** compactRevision is the oldest revision reads and watches may still ask for. */
  compactRevision(): Promise<number>;
  /**
   * create stores a new key; AlreadyExistsError if it has a live value. The value of a create or
   * update is serialised when the write commits, which may be after the call returns: the
   * caller must not change it until the promise settles.
   */
  create(key: string, value: object): Promise<KeyValue>;
  /** update replaces a live key; ConflictError when expectedRevision is given and differs. */
  update(key: string, value: object, expectedRevision?: number): Promise<KeyValue>;
  /** delete removes a live key, leaving a tombstone; resolves to the last value stamped with the deletion revision. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /** get reads the live value, or the value at a past revision still in history; NotFoundError if none. */
  get(key: string, revision?: number): Promise<KeyValue>;
  /** list reads a prefix at one consistent revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** watch delivers every change under prefix after fromRevision (0: after the current revision). */
  watch(prefix: string, fromRevision: number, options?: WatchOptions): Watcher;
  /** compact drops history older than revision; reads below it then fail with CompactedError. */
  compact(revision: number): Promise<void>;
  /** stats reports sizes and counters. */
  stats(): Promise<StoreStats>;
  /**
   * health reports whether writes reach the disk. It turns not ok when the disk refuses a write
   * (full, read-only, failing) and ok again once a write or the store's own probe succeeds.
   * A backend without it is taken as healthy.
   */
  health?(): StoreHealth;
  /** memory reports the bytes and entries the store caches and queues, beside their bounds. */
  memory?(): StoreMemory;
  /** close stops background work, ends every watch and closes the database. */
  close(): Promise<void>;
}
