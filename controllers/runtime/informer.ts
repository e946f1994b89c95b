/**
 * Shared informers, in the shape of client-go's tools/cache: an Informer lists a resource, then
 * watches from the list's resourceVersion, keeping an indexed cache of every object and telling
 * its handlers what was added, updated and deleted. A watch that ends is resumed from the last
 * resourceVersion seen (bookmarks advance it); a 410 Gone, or a watch that cannot be resumed,
 * lists again after a backoff, and objects that vanished meanwhile are delivered as deletes with
 * their last known state and `finalStateUnknown` (client-go's DeletedFinalStateUnknown).
 *
 * Objects in the cache are deep-frozen and shared by every controller: clone before changing.
 * A SharedInformerFactory hands every controller that watches one resource the same Informer.
 */
import type { KubeObject } from '../../schemas/types';
import { matches, parseLabelSelector } from '../../schemas/meta/selectors';
import { isGone, objectKey, resourceKey, type Client, type ResourceDescriptor, type WatchEvent } from './client';
import { realClock, type Clock } from './work-queue';

/** DeleteInfo says how a delete was seen: finalStateUnknown when it was missed and found by a re-list. */
export interface DeleteInfo {
  finalStateUnknown: boolean;
}

/** EventHandler receives an informer's changes; each method is optional and must not throw (errors are logged). */
export interface EventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: Readonly<T>, isInInitialList: boolean): void;
  onUpdate?(oldObj: Readonly<T>, newObj: Readonly<T>): void;
  onDelete?(obj: Readonly<T>, info: DeleteInfo): void;
}

/** InformerOptions narrow what an informer watches and tune its retries. */
export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** pageSize is the limit of each list page (default 500, as client-go's pager) */
  pageSize?: number;
  /** first and longest backoff between failed list/watch attempts (default 800 ms .. 30 s, as client-go's reflector) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** transform makes the object to cache from each one seen, e.g. stripManagedFields; watch objects are frozen, so it must not change them in place */
  transform?: (obj: KubeObject) => KubeObject;
  clock?: Clock;
  log?: (record: Record<string, unknown>) => void;
}

/** Informer caches one resource (optionally narrowed) and fans its changes out to handlers. */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, Readonly<T>>();
  private readonly namespaceIndex = new Map<string, Set<string>>();
  private readonly ownerIndex = new Map<string, Set<string>>();
  private readonly labelIndex = new Map<string, Set<string>>();
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly syncWaiters: Array<() => void> = [];
  private synced = false;
  private running = false;
  private stopped = false;
  private watch?: { close(): void };
  private sleepTimer?: { handle: unknown; resolve: () => void };
  private readonly clock: Clock;
  private readonly log: (record: Record<string, unknown>) => void;
  /** lastSyncResourceVersion is the resourceVersion the cache reflects. */
  lastSyncResourceVersion = '';
  /** lists counts the full lists made (1 + the re-lists), for tests and metrics. */
  lists = 0;

  constructor(
    private readonly client: Client,
    readonly resource: ResourceDescriptor,
    private readonly options: InformerOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? (() => undefined);
  }

  /** addEventHandler registers a handler; objects already cached are delivered to it as adds. It returns a remover. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.items.values()) this.call(handler, 'onAdd', () => handler.onAdd?.(obj, true));
    return () => this.handlers.delete(handler);
  }

  /** hasSynced is true once the first list is in the cache and its adds were delivered. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** waitForSync resolves once hasSynced (or the informer stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** run starts listing and watching until stop(); calling it again does nothing. */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop();
  }

  /** stop ends the watch; the cache keeps its last state. */
  stop(): void {
    this.stopped = true;
    this.watch?.close();
    if (this.sleepTimer) {
      this.clock.clearTimeout(this.sleepTimer.handle);
      this.sleepTimer.resolve();
    }
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  // ---- the read-only cache --------------------------------------------------------------------

  /** get answers the cached object of a key (namespace/name, or name when cluster-scoped). */
  get(key: string): Readonly<T> | undefined {
    return this.items.get(key);
  }

  /** getByName answers the cached object of a namespace and name. */
  getByName(namespace: string | undefined, name: string): Readonly<T> | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  /** list answers every cached object, or those of one namespace. */
  list(namespace?: string): Readonly<T>[] {
    if (namespace === undefined) return [...this.items.values()];
    return this.fromIndex(this.namespaceIndex, namespace);
  }

  /** keys answers every cached key. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** byOwner answers the cached objects with an ownerReference to uid. */
  byOwner(uid: string): Readonly<T>[] {
    return this.fromIndex(this.ownerIndex, uid);
  }

  /** byLabel answers the cached objects (of one namespace, when given) labelled key=value. */
  byLabel(key: string, value: string, namespace?: string): Readonly<T>[] {
    const found = this.fromIndex(this.labelIndex, `${key}=${value}`);
    return namespace === undefined ? found : found.filter((o) => o.metadata?.namespace === namespace);
  }

  /** select answers the cached objects of a namespace (all when undefined) matching a label selector string. */
  select(namespace: string | undefined, labelSelector: string): Readonly<T>[] {
    const selector = parseLabelSelector(labelSelector);
    return this.list(namespace).filter((o) => matches(selector, o.metadata?.labels));
  }

  /** size is the number of cached objects. */
  get size(): number {
    return this.items.size;
  }

  /**
   * approximateBytes estimates the cache's memory as the JSON size of its objects (UTF-16, two
   * bytes a character); the V8 heap they occupy is of the same order. It walks the cache: O(n).
   */
  approximateBytes(): number {
    let chars = 0;
    for (const obj of this.items.values()) chars += JSON.stringify(obj).length;
    return chars * 2;
  }

  private fromIndex(index: Map<string, Set<string>>, value: string): Readonly<T>[] {
    const keys = index.get(value);
    if (!keys) return [];
    const out: Readonly<T>[] = [];
    for (const k of keys) {
      const obj = this.items.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  // ---- list and watch -------------------------------------------------------------------------

  private async loop(): Promise<void> {
    const base = this.options.backoffMs ?? 800;
    const max = this.options.maxBackoffMs ?? 30_000;
    let backoff = base;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAll();
          needList = false;
        }
        const healthy = await this.watchOnce();
        // A watch that ran and ended normally (timeout, server closing it) resumes at once.
        if (healthy) {
          backoff = base;
          continue;
        }
        needList = true;
      } catch (err) {
        if (this.stopped) return;
        // 410: the revision is compacted; anything else: the watch cannot be trusted to resume.
        needList = true;
        this.log({ level: isGone(err) ? 'info' : 'error', msg: 'informer list/watch failed', resource: this.resource.resource, error: String(err) });
      }
      if (this.stopped) return;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, max);
    }
  }

  private async listAll(): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    for (;;) {
      const page = await this.client.list<T>(this.resource, namespace, { labelSelector, fieldSelector, limit: this.options.pageSize ?? 500, continue: cont });
      items.push(...page.items);
      resourceVersion = page.metadata.resourceVersion;
      cont = page.metadata.continue;
      if (!cont) break;
      if (this.stopped) return;
    }
    this.lists++;
    this.replace(items, resourceVersion);
  }

  // watchOnce watches from lastSyncResourceVersion until the stream ends: true when it ended on
  // its own (resume), false when it reported an error (list again).
  private async watchOnce(): Promise<boolean> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const stream = await this.client.watch<T>(this.resource, namespace, {
      labelSelector,
      fieldSelector,
      resourceVersion: this.lastSyncResourceVersion,
      allowWatchBookmarks: true,
      // A server-side timeout spreads the reconnects of many informers, as client-go's 5-10 minutes.
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
    });
    this.watch = stream;
    if (this.stopped) stream.close();
    let events = 0;
    try {
      for await (const ev of stream) {
        if (this.stopped) return true;
        events++;
        if (ev.type === 'ERROR') {
          this.log({ level: 'info', msg: 'informer watch error', resource: this.resource.resource, code: ev.object.code, reason: ev.object.reason });
          return false;
        }
        this.apply(ev);
      }
    } finally {
      this.watch = undefined;
    }
    // A watch closed before anything arrived may be a server refusing us over and over: back off.
    return events > 0 || this.stopped;
  }

  private apply(ev: Exclude<WatchEvent<T>, { type: 'ERROR' }>): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastSyncResourceVersion = rv;
      return;
    }
    const obj = this.cacheable(ev.object);
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (ev.type === 'DELETED') {
      this.remove(key);
      this.dispatch('onDelete', (h) => h.onDelete?.(obj, { finalStateUnknown: false }));
    } else {
      this.put(key, obj);
      if (old) this.dispatch('onUpdate', (h) => h.onUpdate?.(old, obj));
      else this.dispatch('onAdd', (h) => h.onAdd?.(obj, false));
    }
    if (rv) this.lastSyncResourceVersion = rv;
  }

  // replace installs a full list: adds for new keys, updates for changed ones and deletes with
  // the last known state for keys the list no longer has.
  private replace(list: T[], resourceVersion: string): void {
    const seen = new Set<string>();
    const initial = !this.synced;
    for (const item of list) {
      const obj = this.cacheable(item);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      this.put(key, obj);
      if (!old) this.dispatch('onAdd', (h) => h.onAdd?.(obj, initial));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.dispatch('onUpdate', (h) => h.onUpdate?.(old, obj));
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(key);
      this.dispatch('onDelete', (h) => h.onDelete?.(old, { finalStateUnknown: true }));
    }
    this.lastSyncResourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private cacheable(obj: T): Readonly<T> {
    return deepFreeze(this.options.transform ? (this.options.transform(obj) as T) : obj);
  }

  private put(key: string, obj: Readonly<T>): void {
    const old = this.items.get(key);
    this.items.set(key, obj);
    // Most updates (status writes, finalizer removals) keep namespace, owners and labels: their
    // index entries stay as they are.
    if (old && sameIndexValues(old, obj)) return;
    if (old) this.unindex(key, old);
    this.index(key, obj);
  }

  private remove(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.items.delete(key);
  }

  private index(key: string, obj: Readonly<T>): void {
    for (const [index, value] of indexValues(obj)) {
      let keys = index === 'ns' ? this.namespaceIndex.get(value) : index === 'owner' ? this.ownerIndex.get(value) : this.labelIndex.get(value);
      if (!keys) {
        keys = new Set();
        (index === 'ns' ? this.namespaceIndex : index === 'owner' ? this.ownerIndex : this.labelIndex).set(value, keys);
      }
      keys.add(key);
    }
  }

  private unindex(key: string, obj: Readonly<T>): void {
    for (const [index, value] of indexValues(obj)) {
      const map = index === 'ns' ? this.namespaceIndex : index === 'owner' ? this.ownerIndex : this.labelIndex;
      const keys = map.get(value);
      keys?.delete(key);
      if (keys && !keys.size) map.delete(value);
    }
  }

  private dispatch(what: keyof EventHandler<T>, fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(h, what, () => fn(h));
  }

  // call runs one handler; one that throws is logged and does not stop the others.
  private call(_h: EventHandler<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log({ level: 'error', msg: 'informer handler failed', resource: this.resource.resource, handler: what, error: String(err) });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.sleepTimer = undefined;
        resolve();
      }, ms);
      this.sleepTimer = { handle, resolve };
    });
  }
}

// sameIndexValues is true when two versions of an object have the same index entries.
function sameIndexValues(a: Readonly<KubeObject>, b: Readonly<KubeObject>): boolean {
  const am = a.metadata;
  const bm = b.metadata;
  if (am?.namespace !== bm?.namespace) return false;
  const ao = am?.ownerReferences ?? [];
  const bo = bm?.ownerReferences ?? [];
  if (ao !== bo && (ao.length !== bo.length || ao.some((ref, i) => ref.uid !== bo[i].uid))) return false;
  const al = am?.labels ?? {};
  const bl = bm?.labels ?? {};
  if (al === bl) return true;
  const keys = Object.keys(al);
  if (keys.length !== Object.keys(bl).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(bl, k) && al[k] === bl[k]);
}

function* indexValues(obj: Readonly<KubeObject>): Generator<['ns' | 'owner' | 'label', string]> {
  yield ['ns', obj.metadata?.namespace ?? ''];
  for (const ref of obj.metadata?.ownerReferences ?? []) if (typeof ref.uid === 'string') yield ['owner', ref.uid];
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) yield ['label', `${k}=${v}`];
}

/**
 * stripManagedFields drops metadata.managedFields, which no controller reads and which is often
 * half of an object's size; kube-controller-manager's informers strip them the same way.
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** deepFreeze freezes an object and everything in it, so a cache's objects cannot be changed in place. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) freezeTree(value as object);
  return value;
}

// freezeTree freezes an unfrozen object and its unfrozen descendants. Every cached object passes
// through here, so it walks arrays by index and objects with for-in (no Object.values array per
// level); for-in also sees inherited enumerable keys, which JSON-decoded objects never have.
function freezeTree(value: object): void {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) freezeTree(v);
    }
    return;
  }
  for (const k in value) {
    const v: unknown = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) freezeTree(v);
  }
}

/**
 * SharedInformerFactory hands out one Informer per resource (and namespace/selector), shared by
 * every controller. Its informers strip managedFields unless given another transform.
 */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly options: Pick<InformerOptions, 'clock' | 'log' | 'backoffMs' | 'maxBackoffMs' | 'pageSize' | 'transform'> = {},
  ) {}

  /** informerFor answers the shared informer of a resource; informers asked for after start() start at once. */
  informerFor<T extends KubeObject = KubeObject>(res: ResourceDescriptor, narrow: Pick<InformerOptions, 'namespace' | 'labelSelector' | 'fieldSelector'> = {}): Informer<T> {
    const key = [resourceKey(res), narrow.namespace ?? '', narrow.labelSelector ?? '', narrow.fieldSelector ?? ''].join('|');
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, res, { transform: stripManagedFields, ...this.options, ...narrow });
      this.informers.set(key, informer);
      if (this.started) informer.run();
    }
    return informer as unknown as Informer<T>;
  }

  /** start runs every informer made so far, and those made later. */
  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.run();
  }

  /** waitForSync resolves once every informer has synced. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  /** stop ends every informer. */
  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }

  /** all answers every informer, e.g. to print their memory. */
  all(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }
}
