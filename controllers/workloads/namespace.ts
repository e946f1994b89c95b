/**
 * The namespace controller: when a namespace is marked for deletion it deletes every object
 * in it, waits for them to go (finalizers may hold some), then removes the "kubernetes"
 * finalizer through /finalize so the namespace itself goes. Level-triggered: each pass
 * re-reads the namespace and is safe to repeat.
 */
import type { Registry } from '../../server/registry/generic-registry';
import type { ResourceTable } from '../../server/registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import type { KubeObject } from '../../schemas/types';
import { WorkQueue } from '../runtime/work-queue';

/** NamespaceControllerOptions tune the retry delay. */
export interface NamespaceControllerOptions {
  retryMs?: number;
  log?: (record: Record<string, unknown>) => void;
}

/** NamespaceController finalizes terminating namespaces. */
export class NamespaceController {
  private readonly abort = new AbortController();
  private readonly queue: WorkQueue;
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(private readonly registry: Registry, private readonly resources: ResourceTable, options: NamespaceControllerOptions = {}) {
    this.log = options.log ?? (() => undefined);
    this.queue = new WorkQueue((name) => this.reconcile(name), { failure: 'namespace finalization failed', retryMs: options.retryMs, log: this.log });
  }

  /** start watches namespaces until stop is called. */
  async start(): Promise<void> {
    const def = this.resources.lookup('', 'v1', 'namespaces');
    if (!def) return;
    void (async () => {
      while (!this.queue.stopped) {
        try {
          const events = await this.registry.watch(def, undefined, {}, this.abort.signal);
          for await (const ev of events) {
            if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
            const ns = JSON.parse(ev.raw) as KubeObject;
            if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name!);
          }
        } catch (err) {
          this.log({ level: 'error', msg: 'namespace watch failed', error: String(err) });
        }
        await this.queue.pause();
      }
    })();
  }

  /** stop ends the watch and pending retries. */
  stop(): void {
    this.queue.stop();
    this.abort.abort();
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
