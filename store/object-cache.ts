/**
 * DecodedObjectCache keeps parsed objects keyed by revision. A revision names exactly one
 * stored value, so an entry never goes stale; readers that only look (selectors, tables,
 * watch filters) share one parse. Entries are frozen: callers clone before changing them.
 */
import { LRUCache } from 'lru-cache';
import type { KeyValue } from './types';

/**
 * DECODED_CACHE_BYTES is the default bound of the cache, in estimated heap bytes: a parsed object
 * is charged twice the length of its JSON text, about what V8 spends on the strings, property
 * maps and numbers of typical Kubernetes objects. Counting entries alone let 500 cached 1 MiB
 * ConfigMaps take half a gigabyte of heap.
 */
export const DECODED_CACHE_BYTES = 64 * 1024 * 1024;

/** DecodedObjectCache is an LRU of parsed, frozen objects by revision, bounded by entries and by estimated bytes. */
export class DecodedObjectCache {
  private readonly lru: LRUCache<number, object>;
  /** maxBytes bounds bytes. */
  readonly maxBytes: number;

  constructor(
    /** maxEntries bounds size. */
    readonly maxEntries = 10_000,
    maxBytes = DECODED_CACHE_BYTES,
  ) {
    const max = maxEntries;
    this.maxBytes = Math.max(1, maxBytes);
    this.lru = new LRUCache({ max, maxSize: this.maxBytes });
  }

  /** decode returns the parsed value of kv, parsing it at most once while it stays cached. */
  decode<T extends object = Record<string, unknown>>(kv: Pick<KeyValue, 'revision' | 'value'>): Readonly<T> {
    let obj = this.lru.get(kv.revision);
    if (!obj) {
      obj = deepFreeze(JSON.parse(kv.value) as object);
      // An object larger than the whole cache is returned without being cached.
      const size = Math.max(1, kv.value.length * 2);
      if (size <= this.maxBytes) this.lru.set(kv.revision, obj, { size });
    }
    return obj as T;
  }

  /** bytes is the estimated heap held by the cached objects. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  /** size is the number of cached objects. */
  get size(): number {
    return this.lru.size;
  }
}

/**
 * deepFreeze freezes o and everything under it, without recursion: a stored object may nest up
 * to MAX_NESTING_DEPTH levels. A child already frozen is taken as frozen throughout and not
 * walked: true of every object this function froze, so the decoded cache's objects are.
 */
export function deepFreeze<T extends object>(o: T): Readonly<T> {
  const stack: object[] = [o];
  while (stack.length) {
    const v = stack.pop()!;
    Object.freeze(v);
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) stack.push(child);
  }
  return o;
}
