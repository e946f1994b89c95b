/** The versioned object store: its contract, errors, keys and the SQLite backend. */
export * from './types';
export * from './errors';
export * from './keys';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite-store';
export { DecodedObjectCache } from './object-cache';
