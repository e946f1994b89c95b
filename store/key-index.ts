/**
 * KeyIndex: the live keys of a store with their newest revisions, in key order, kept in memory
 * as etcd's tree index is, but only under the prefixes listed so far. A prefix's first list
 * loads its keys from the log; every write under a loaded prefix updates them. A list at the
 * newest revision then walks memory instead of asking the log for each key's newest row.
 */
import BTree from 'sorted-btree';

/** Newest is a key's newest revision and the revision that created it. */
export interface Newest {
  revision: number;
  createRevision: number;
}

/** NewestRow is one live key from the log: [revision, key, deleted (0/1), createRevision]. */
export type NewestRow = [number, string, number, number];

export class KeyIndex {
  private readonly tree = new BTree<string, Newest>();
  private readonly loaded = new Set<string>();

  /** covers tells whether every live key under a prefix (or a key) is held: the prefix itself or one above it was loaded. */
  covers(prefixOrKey: string): boolean {
    for (let i = prefixOrKey.indexOf('/'); i !== -1; i = prefixOrKey.indexOf('/', i + 1)) {
      if (this.loaded.has(prefixOrKey.slice(0, i + 1))) return true;
    }
    return false;
  }

  /** load takes a prefix's keys from the log's newest rows (deleted ones are skipped). */
  load(prefix: string, rows: Iterable<NewestRow>): void {
    for (const [revision, key, deleted, createRevision] of rows) {
      if (!deleted) this.tree.set(key, { revision, createRevision });
    }
    this.loaded.add(prefix);
  }

  /** written records a committed write: revision 0 means the key was deleted. Keys outside loaded prefixes are ignored. */
  written(key: string, newest: Newest): void {
    if (!this.covers(key)) return;
    if (newest.revision) this.tree.set(key, newest);
    else this.tree.delete(key);
  }

  /** range yields the keys after lower and before end with their newest revisions. */
  *range(lower: string, end: string): Generator<[string, Newest]> {
    for (const entry of this.tree.entries(lower)) {
      if (entry[0] >= end) return;
      if (entry[0] !== lower) yield entry;
    }
  }

  /** count counts the keys after lower and before end. */
  count(lower: string, end: string): number {
    let n = 0;
    for (const key of this.tree.keys(lower)) {
      if (key >= end) break;
      if (key !== lower) n++;
    }
    return n;
  }
}
