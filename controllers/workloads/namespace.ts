/**
 * The namespace controller: when a namespace is marked for deletion it deletes every object
 * in it, waits for them to go (finalizers may hold some), then removes the "kubernetes"
 * finalizer through /finalize so the namespace itself goes. Level-triggered: each pass
 * re-reads the namespace and is safe to repeat.
 */
import type { Registry } from '../../server/registry/generic-registry';
import type { ResourceTable } from '../../server/registry/resource-table';
import { StatusError } from '../../server/registry/status-error';
import type { KubeObject } from '../../schemas/types';

/** NamespaceControllerOptions tune the retry delay. */
export interface NamespaceControllerOptions {
  retryMs?: number;
  log?: (record: Record<string, unknown>) => void;
}

/** NamespaceController finalizes terminating namespaces. */
export class NamespaceController {
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly retryMs: number;
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(private readonly registry: Registry, private readonly resources: ResourceTable, options: NamespaceControllerOptions = {}) {
    this.retryMs = options.retryMs ?? 500;
    this.log = options.log ?? (() => undefined);
  }

  /** start watches namespaces until stop is called. */
  async start(): Promise<void> {
    const def = this.resources.lookup('', 'v1', 'namespaces');
    if (!def) return;
    void (async () => {
      while (!this.stopped) {
        try {
          const events = await this.registry.watch(def, undefined, {}, this.abort.signal);
          for await (const ev of events) {
            if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
            const ns = JSON.parse(ev.raw) as KubeObject;
            if (ns.metadata?.deletionTimestamp) this.enqueue(ns.metadata.name!);
          }
        } catch (err) {
          this.log({ level: 'error', msg: 'namespace watch failed', error: String(err) });
        }
        if (!this.stopped) await new Promise<void>((r) => this.later(r, this.retryMs));
      }
    })();
  }

  /** stop ends the watch and pending retries. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  // enqueue runs one key at a time; a key queued while it runs runs once more afterwards.
  private enqueue(name: string): void {
    if (this.stopped) return;
    if (this.running.has(name)) {
      this.pending.add(name);
      return;
    }
    this.running.add(name);
    void this.reconcile(name)
      .then((requeue) => requeue && this.later(() => this.enqueue(name), this.retryMs))
      .catch((err) => {
        this.log({ level: 'error', msg: 'namespace finalization failed', namespace: name, error: String(err) });
        this.later(() => this.enqueue(name), this.retryMs);
      })
      .finally(() => {
        this.running.delete(name);
        if (this.pending.delete(name)) this.enqueue(name);
      });
  }

  /** reconcile empties one terminating namespace; it resolves true while objects remain. */
  async reconcile(name: string): Promise<boolean> {
    const nsDef = this.resources.lookup('', 'v1', 'namespaces')!;
    let ns: KubeObject;
    try {
      ns = JSON.parse((await this.registry.get(nsDef, undefined, name)).raw);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return false;
    let remaining = 0;
    for (const def of this.resources.all()) {
      if (!def.namespaced || !def.verbs.includes('deletecollection')) continue;
      const gone = await this.registry.deleteCollection(def, name, {}, { propagationPolicy: 'Background' });
      remaining += gone.filter((r) => !r.deleted).length;
      if (!gone.length) continue;
      const left = await this.registry.list(def, name, { limit: 1 });
      remaining += left.items.length;
    }
    if (remaining > 0) return true;
    const finalizers = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    await this.registry.update(nsDef, undefined, name, { ...ns, spec: { ...(ns.spec as object), finalizers } }, { subresource: 'finalize' });
    return false;
  }
}
