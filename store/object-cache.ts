/**
 * DecodedObjectCache keeps parsed objects keyed by revision. A revision names exactly one
 * stored value, so an entry never goes stale; readers that only look (selectors, tables,
 * watch filters) share one parse. Entries are frozen: callers clone before changing them.
 */
import { LRUCache } from 'lru-cache';
import type { KeyValue } from './types';

/** DecodedObjectCache is an LRU of parsed, frozen objects by revision. */
export class DecodedObjectCache {
  private readonly lru: LRUCache<number, object>;

  constructor(max = 10_000) {
    this.lru = new LRUCache({ max });
  }

  /** decode returns the parsed value of kv, parsing it at most once while it stays cached. */
  decode<T extends object = Record<string, unknown>>(kv: Pick<KeyValue, 'revision' | 'value'>): Readonly<T> {
    let obj = this.lru.get(kv.revision);
    if (!obj) {
      obj = deepFreeze(JSON.parse(kv.value) as object);
      this.lru.set(kv.revision, obj);
    }
    return obj as T;
  }

  /** size is the number of cached objects. */
  get size(): number {
    return this.lru.size;
  }
}

function deepFreeze(o: object): object {
  Object.freeze(o);
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  return o;
}
