/**
 * ConfigCache keeps every object of one cluster-scoped resource (webhook configurations,
 * admission policies and their bindings) in memory, fed by a list and then a watch of the
 * registry, the way kube's admission plugins read their configuration from an informer rather
 * than from storage on every request. A broken watch re-lists after a short pause.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import type { Registry } from '../registry/generic-registry';

/** ConfigCache caches one resource's objects by name; objects are frozen (read-only). */
export class ConfigCache {
  private items = new Map<string, Readonly<KubeObject>>();
  private sorted: Readonly<KubeObject>[] | undefined = [];
  private abort?: AbortController;
  private stopped = false;
  private syncedAt = -1;
  private readonly syncWaiters: Array<() => void> = [];
  /** onChange is called after every change of the cached set. */
  onChange?: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly def: () => ResourceDefinition | undefined,
    private readonly log: (record: Record<string, unknown>) => void = () => undefined,
    private readonly retryMs = 500,
  ) {}

  /** start lists and watches until stop(). */
  start(): void {
    void this.run();
  }

  /** stop ends the watch. */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** waitForSync resolves once the first list is in the cache. */
  waitForSync(): Promise<void> {
    if (this.syncedAt >= 0) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  /** list answers the cached objects sorted by name (the order kube calls webhooks in). */
  list(): Readonly<KubeObject>[] {
    this.sorted ??= [...this.items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    return this.sorted;
  }

  /** get answers one cached object. */
  get(name: string): Readonly<KubeObject> | undefined {
    return this.items.get(name);
  }

  private set(items: Map<string, Readonly<KubeObject>>): void {
    this.items = items;
    this.sorted = undefined;
    this.onChange?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const def = this.def();
      try {
        if (!def) throw new Error('resource not served');
        const page = await this.registry.list(def, undefined, {});
        const items = new Map<string, Readonly<KubeObject>>();
        for (const item of page.items) {
          const obj = this.registry.decode(item);
          items.set(obj.metadata!.name!, obj);
        }
        this.set(items);
        this.syncedAt = Number(page.resourceVersion);
        for (const w of this.syncWaiters.splice(0)) w();
        this.abort = new AbortController();
        const events = await this.registry.watch(def, undefined, { resourceVersion: page.resourceVersion }, this.abort.signal);
        for await (const ev of events) {
          if (ev.type === 'ERROR') break;
          if (ev.type === 'BOOKMARK') continue;
          const obj = Object.freeze(JSON.parse(ev.raw) as KubeObject);
          const next = new Map(this.items);
          if (ev.type === 'DELETED') next.delete(obj.metadata!.name!);
          else next.set(obj.metadata!.name!, obj);
          this.set(next);
        }
      } catch (err) {
        if (this.stopped) return;
        this.log({ msg: 'admission configuration watch failed', resource: def?.plural, error: String(err) });
      }
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, this.retryMs).unref?.());
    }
  }
}
