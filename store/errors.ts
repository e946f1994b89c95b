/** StoreError is the base of every error the store throws; callers switch on the subclass. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** NotFoundError: the key has no live value (at the requested revision). */
export class NotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** AlreadyExistsError: create was asked for a key that has a live value. */
export class AlreadyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
  }
}

/** ConflictError: the expected revision of an update or delete no longer matches the stored one. */
export class ConflictError extends StoreError {
  constructor(readonly key: string, readonly expectedRevision: number, readonly actualRevision: number) {
    super(`conflict on ${key}: expected revision ${expectedRevision}, found ${actualRevision}`);
  }
}

/** CompactedError: the requested revision is older than the oldest revision still in history. */
export class CompactedError extends StoreError {
  constructor(readonly requestedRevision: number, readonly compactedRevision: number) {
    super(`revision ${requestedRevision} has been compacted (oldest available is ${compactedRevision})`);
  }
}

/** FutureRevisionError: the requested revision is newer than the store's current revision. */
export class FutureRevisionError extends StoreError {
  constructor(readonly requestedRevision: number, readonly currentRevision: number) {
    super(`revision ${requestedRevision} is newer than the current revision ${currentRevision}`);
  }
}

/** InvalidKeyError: a key or prefix is empty or not of the form /segment/.../name. */
export class InvalidKeyError extends StoreError {
  constructor(readonly key: unknown, reason: string) {
    super(`invalid key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** InvalidValueError: a value is not a JSON object that can be stored. */
export class InvalidValueError extends StoreError {
  constructor(reason: string) {
    super(`invalid value: ${reason}`);
  }
}

/** InvalidArgumentError: an option (revision, limit, continue position) is out of range. */
export class InvalidArgumentError extends StoreError {}

/** WatcherTooSlowError ends a watch whose consumer fell too far behind; the client must re-list. */
export class WatcherTooSlowError extends StoreError {
  constructor(
    readonly pending: number,
    readonly pendingBytes?: number,
  ) {
    super(`watcher dropped: it fell ${pending} events${pendingBytes === undefined ? '' : ` (${(pendingBytes / 2 ** 20).toFixed(1)} MiB)`} behind`);
  }
}

/** StoreClosedError: the store was closed; watches end with it and calls are refused. */
export class StoreClosedError extends StoreError {
  constructor() {
    super('store is closed');
  }
}

/**
 * StorageUnavailableError: the database refused a write for a reason of the disk under it (full,
 * read-only, failing I/O), not of the write. detail is SQLite's own words ("database or disk is
 * full"); code is SQLite's extended result code (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR_WRITE).
 * The store stays up, reports itself unhealthy and recovers by itself once writes succeed again.
 */
export class StorageUnavailableError extends StoreError {
  constructor(readonly detail: string, readonly code: string) {
    super(`sqlite: ${detail}`);
  }
}
