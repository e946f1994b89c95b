/**
 * Informers: list then watch from the list's resourceVersion, resume after a watch ends, list
 * again on 410 with tombstones for what vanished, bookmarks, indexes, shared informers. The
 * list/watch behaviour is driven through a scripted Client; the last test runs against a server.
 */
import { ApiError, CONFIG_MAPS, NAMESPACES, PODS, type Client, type ListOptions, type ObjectList, type WatchEvent, type WatchOptions, type WatchStream } from '../../controllers/runtime/client';
import { Informer, SharedInformerFactory, type DeleteInfo } from '../../controllers/runtime/informer';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor } from '../helpers/api-server';

const pod = (name: string, rv: string, extra: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', resourceVersion: rv, ...extra },
});

// WatchScript is one watch the scripted client hands out: push events, end it, or fail it.
class WatchScript implements WatchStream<KubeObject> {
  private readonly queue: Array<WatchEvent | 'end'> = [];
  private wake?: () => void;
  constructor(readonly options: WatchOptions) {}
  push(ev: WatchEvent | 'end'): void {
    this.queue.push(ev);
    this.wake?.();
  }
  close(): void {
    this.push('end');
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent> {
    for (;;) {
      while (!this.queue.length) await new Promise<void>((r) => (this.wake = r));
      const ev = this.queue.shift()!;
      if (ev === 'end') return;
      yield ev;
    }
  }
}

// ScriptedClient answers list from `items` at `resourceVersion` and records every watch it opens.
class ScriptedClient {
  items: KubeObject[] = [];
  resourceVersion = '10';
  lists: ListOptions[] = [];
  watches: WatchScript[] = [];
  refuseWatch?: ApiError;
  async list(_res: unknown, _ns: unknown, options: ListOptions = {}): Promise<ObjectList> {
    this.lists.push(options);
    return { metadata: { resourceVersion: this.resourceVersion }, items: structuredClone(this.items) };
  }
  async watch(_res: unknown, _ns: unknown, options: WatchOptions = {}): Promise<WatchStream> {
    if (this.refuseWatch) {
      const err = this.refuseWatch;
      this.refuseWatch = undefined;
      throw err;
    }
    const w = new WatchScript(options);
    this.watches.push(w);
    return w;
  }
  asClient(): Client {
    return this as unknown as Client;
  }
}

const gone = new ApiError({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' });

describe('Informer', () => {
  let client: ScriptedClient;
  let informer: Informer;
  let seen: string[];
  beforeEach(() => {
    client = new ScriptedClient();
    seen = [];
    informer = new Informer(client.asClient(), PODS, { backoffMs: 1, maxBackoffMs: 2 });
    informer.addEventHandler({
      onAdd: (o, initial) => seen.push(`add ${o.metadata!.name}${initial ? ' (initial)' : ''}`),
      onUpdate: (old, o) => seen.push(`update ${o.metadata!.name} ${old.metadata!.resourceVersion}->${o.metadata!.resourceVersion}`),
      onDelete: (o, info: DeleteInfo) => seen.push(`delete ${o.metadata!.name} rv ${o.metadata!.resourceVersion}${info.finalStateUnknown ? ' (tombstone)' : ''}`),
    });
  });
  afterEach(() => informer.stop());

  it('lists, syncs, then watches from the list resourceVersion with bookmarks allowed', async () => {
    client.items = [pod('a', '5'), pod('b', '7')];
    informer.run();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toEqual(['add a (initial)', 'add b (initial)']);
    await waitFor(() => client.watches.length === 1, 'the watch');
    expect(client.watches[0].options).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });
    client.watches[0].push({ type: 'ADDED', object: pod('c', '11') });
    client.watches[0].push({ type: 'MODIFIED', object: pod('a', '12') });
    client.watches[0].push({ type: 'DELETED', object: pod('b', '13') });
    await waitFor(() => seen.length === 5, 'three events');
    expect(seen.slice(2)).toEqual(['add c', 'update a 5->12', 'delete b rv 13']);
    expect(informer.list().map((o) => o.metadata!.name).sort()).toEqual(['a', 'c']);
    expect(informer.lastSyncResourceVersion).toBe('13');
  });

  it('advances the resourceVersion on bookmarks and resumes an ended watch from it without listing again', async () => {
    informer.run();
    await waitFor(() => client.watches.length === 1, 'the watch');
    client.watches[0].push({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '42' } } });
    client.watches[0].push('end');
    await waitFor(() => client.watches.length === 2, 'the resumed watch');
    expect(client.watches[1].options.resourceVersion).toBe('42');
    expect(client.lists).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it('lists again after a 410 ERROR event, delivering what vanished meanwhile as tombstones with the last known state', async () => {
    client.items = [pod('a', '5'), pod('b', '7')];
    informer.run();
    await waitFor(() => client.watches.length === 1, 'the watch');
    client.items = [pod('a', '20'), pod('n', '21')];
    client.resourceVersion = '22';
    client.watches[0].push({ type: 'ERROR', object: gone.status });
    await waitFor(() => client.watches.length === 2, 'the watch after the re-list');
    expect(client.lists).toHaveLength(2);
    expect(informer.lists).toBe(2);
    expect(seen.slice(2)).toEqual(['update a 5->20', 'add n', 'delete b rv 7 (tombstone)']);
    expect(client.watches[1].options.resourceVersion).toBe('22');
  });

  it('lists again when the watch is refused with 410', async () => {
    client.refuseWatch = gone;
    informer.run();
    await waitFor(() => client.watches.length === 1, 'a watch after the re-list');
    expect(client.lists).toHaveLength(2);
  });

  it('indexes by namespace, owner uid and label, and keeps its objects frozen', async () => {
    client.items = [
      pod('a', '1', { labels: { app: 'x' }, ownerReferences: [{ uid: 'rs-1', kind: 'ReplicaSet', name: 'rs', apiVersion: 'apps/v1' }] }),
      pod('b', '2', { labels: { app: 'y' } }),
      { ...pod('c', '3', { labels: { app: 'x' } }), metadata: { name: 'c', namespace: 'other', resourceVersion: '3', labels: { app: 'x' } } },
    ];
    informer.run();
    await informer.waitForSync();
    expect(informer.byOwner('rs-1').map((o) => o.metadata!.name)).toEqual(['a']);
    expect(informer.byLabel('app', 'x').map((o) => o.metadata!.name).sort()).toEqual(['a', 'c']);
    expect(informer.byLabel('app', 'x', 'ns').map((o) => o.metadata!.name)).toEqual(['a']);
    expect(informer.list('other').map((o) => o.metadata!.name)).toEqual(['c']);
    expect(informer.select('ns', 'app in (x,y)').map((o) => o.metadata!.name).sort()).toEqual(['a', 'b']);
    expect(informer.getByName('ns', 'b')?.metadata?.resourceVersion).toBe('2');
    const cached = informer.get('ns/a')!;
    expect(Object.isFrozen(cached)).toBe(true);
    expect(Object.isFrozen(cached.metadata!.labels)).toBe(true);
    expect(Object.isFrozen(cached.metadata!.ownerReferences![0])).toBe(true);
    expect(() => {
      (cached.metadata!.labels as Record<string, string>).app = 'changed';
    }).toThrow(TypeError);
    expect(informer.approximateBytes()).toBeGreaterThan(100);
    // A changed owner moves the object between index entries.
    await waitFor(() => client.watches.length === 1, 'the watch');
    client.watches[0].push({ type: 'MODIFIED', object: pod('a', '9', { labels: { app: 'y' } }) });
    await waitFor(() => informer.byOwner('rs-1').length === 0, 'the owner index to drop a');
    expect(informer.byLabel('app', 'y').map((o) => o.metadata!.name).sort()).toEqual(['a', 'b']);
  });

  it('answers from its indexes what a scan of the cache answers, across updates that keep or change namespace, owners and labels', async () => {
    // Updates that keep the index entries skip re-indexing; this compares every index with a scan
    // after a seeded run of updates that keep, add, drop and change namespaces, owners and labels.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed >>> 16) % n;
    };
    const variant = (name: string, rv: number): KubeObject => {
      const labels: Record<string, string> = {};
      for (const k of ['app', 'tier', 'job-name'].slice(0, next(4))) labels[k] = ['x', 'y'][next(2)];
      const owners = ['rs-1', 'rs-2', 'rs-3'].slice(next(2), next(4)).map((uid) => ({ uid, kind: 'ReplicaSet', name: uid, apiVersion: 'apps/v1' }));
      const metadata: NonNullable<KubeObject['metadata']> = { name, namespace: ['ns', 'other'][next(2)], resourceVersion: String(rv) };
      if (Object.keys(labels).length || next(2)) metadata.labels = labels;
      if (owners.length || next(2)) metadata.ownerReferences = owners;
      return { apiVersion: 'v1', kind: 'Pod', metadata, status: { phase: ['Pending', 'Running'][next(2)] } };
    };
    const names = ['a', 'b', 'c', 'd'];
    informer.run();
    await informer.waitForSync();
    await waitFor(() => client.watches.length === 1, 'the watch');
    const current = new Map<string, KubeObject>();
    for (let rv = 11; rv < 211; rv++) {
      const name = names[next(names.length)];
      const prev = current.get(name);
      // Updates keep the previous metadata (as status writes do), or take the labels or the owners
      // of a random variant, or all of it.
      const fresh = variant(name, rv);
      const kept = prev && { ...structuredClone(prev), metadata: { ...structuredClone(prev.metadata!), resourceVersion: String(rv) }, status: { phase: 'Succeeded' } };
      const how = next(4);
      if (kept && how === 1) kept.metadata!.labels = fresh.metadata!.labels ?? {};
      if (kept && how === 2) kept.metadata!.ownerReferences = fresh.metadata!.ownerReferences ?? [];
      const obj = kept && how < 3 ? kept : fresh;
      // Namespace moves are a delete in one namespace and an add in another (names are per namespace).
      if (prev && prev.metadata!.namespace !== obj.metadata!.namespace) client.watches[0].push({ type: 'DELETED', object: prev });
      client.watches[0].push({ type: prev && prev.metadata!.namespace === obj.metadata!.namespace ? 'MODIFIED' : 'ADDED', object: obj });
      current.set(name, obj);
    }
    await waitFor(() => informer.lastSyncResourceVersion === '210', 'every event');
    const sorted = (objs: readonly Readonly<KubeObject>[]) => objs.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`).sort();
    const all = informer.list();
    expect(sorted(all)).toEqual(sorted([...current.values()]));
    for (const ns of ['ns', 'other']) expect(sorted(informer.list(ns))).toEqual(sorted(all.filter((o) => o.metadata!.namespace === ns)));
    for (const uid of ['rs-1', 'rs-2', 'rs-3']) expect(sorted(informer.byOwner(uid))).toEqual(sorted(all.filter((o) => o.metadata!.ownerReferences?.some((r) => r.uid === uid))));
    for (const key of ['app', 'tier', 'job-name']) {
      for (const value of ['x', 'y']) expect(sorted(informer.byLabel(key, value))).toEqual(sorted(all.filter((o) => o.metadata!.labels?.[key] === value)));
    }
  });

  it('keeps delivering to the other handlers when one throws, and replays the cache to a late handler', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const inf = new Informer(client.asClient(), PODS, { log: (r) => logs.push(r) });
    client.items = [pod('a', '1')];
    const good: string[] = [];
    inf.addEventHandler({ onAdd: () => { throw new Error('handler bug'); } });
    inf.addEventHandler({ onAdd: (o) => good.push(o.metadata!.name!) });
    inf.run();
    await inf.waitForSync();
    expect(good).toEqual(['a']);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'informer handler failed', error: 'Error: handler bug' }));
    const late: string[] = [];
    inf.addEventHandler({ onAdd: (o, initial) => late.push(`${o.metadata!.name} ${initial}`) });
    expect(late).toEqual(['a true']);
    inf.stop();
  });
});

describe('SharedInformerFactory', () => {
  it('hands every controller watching one resource the same informer, and a differently narrowed one its own', () => {
    const factory = new SharedInformerFactory(new ScriptedClient().asClient());
    expect(factory.informerFor(PODS)).toBe(factory.informerFor({ ...PODS }));
    expect(factory.informerFor(PODS)).not.toBe(factory.informerFor(CONFIG_MAPS));
    expect(factory.informerFor(PODS, { namespace: 'a' })).not.toBe(factory.informerFor(PODS));
    expect(factory.all()).toHaveLength(3);
  });

  it('strips managedFields from what its informers cache, as kube-controller-manager does', async () => {
    const client = new ScriptedClient();
    client.items = [pod('a', '1', { managedFields: [{ manager: 'kubectl', operation: 'Update' }] })];
    const factory = new SharedInformerFactory(client.asClient());
    const informer = factory.informerFor(PODS);
    factory.start();
    await factory.waitForSync();
    expect(informer.get('ns/a')?.metadata).toEqual({ name: 'a', namespace: 'ns', resourceVersion: '1' });
    factory.stop();
  });

  it('syncs against a real server through the in-process Client and follows its changes', async () => {
    const server = await startTestServer({ controllers: false });
    const factory = new SharedInformerFactory(server.nodeless.client);
    const namespaces = factory.informerFor(NAMESPACES);
    const configMaps = factory.informerFor(CONFIG_MAPS, { namespace: 'default' });
    factory.start();
    await factory.waitForSync();
    expect(namespaces.getByName(undefined, 'kube-system')).toBeDefined();
    await server.nodeless.client.create(CONFIG_MAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen' } });
    await waitFor(() => configMaps.getByName('default', 'seen'), 'the informer to see the new ConfigMap');
    await server.nodeless.client.delete(CONFIG_MAPS, 'default', 'seen');
    await waitFor(() => !configMaps.getByName('default', 'seen'), 'the informer to see the delete');
    factory.stop();
    await server.close();
  });
});
