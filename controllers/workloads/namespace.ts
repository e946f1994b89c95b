/**
 * The namespace controller: when a namespace is marked for deletion it deletes every object
 * in it (every namespaced resource discovery serves, custom resources included), waits for them
 * to go (finalizers may hold some), then removes the "kubernetes" finalizer through /finalize so
 * the namespace itself goes. Level-triggered: each pass re-reads the namespace and is safe to
 * repeat.
 */
import type { KubeObject } from '../../schemas/types';
import { NAMESPACES, isConflict, isNotFound, type Client } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue';

/** NamespaceControllerOptions tune how often a namespace still holding objects is checked again. */
export interface NamespaceControllerOptions {
  /** recheckMs is the delay before a namespace whose objects are still going is emptied again (default 500 ms) */
  recheckMs?: number;
  workers?: number;
}

/** NamespaceController finalizes terminating namespaces. */
export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private client!: Client;
  private namespaces!: Informer;
  private queue!: WorkQueue;

  constructor(private readonly options: NamespaceControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    // kube-controller-manager runs ten namespace workers (--concurrent-namespace-syncs).
    this.queue = new WorkQueue((name) => this.reconcile(name), { failure: 'namespace finalization failed', workers: this.options.workers ?? 10, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.namespaces = ctx.informers.informerFor(NAMESPACES);
    const enqueue = (ns: Readonly<KubeObject>) => {
      if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    this.namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile empties one terminating namespace; while objects remain it asks to run again. */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    if (!this.namespaces.getByName(undefined, name)?.metadata?.deletionTimestamp) return;
    // The finalize write needs the newest namespace, so this read goes to the server, as kube's
    // namespaced-resources deleter does; the cache only says which namespaces to look at.
    let ns: KubeObject;
    try {
      ns = await this.client.get(NAMESPACES, undefined, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    let remaining = 0;
    for (const res of await this.client.serverPreferredResources()) {
      if (!res.namespaced || !res.verbs.includes('deletecollection') || !res.verbs.includes('list')) continue;
      await this.client.deleteCollection(res, name, {}, { propagationPolicy: 'Background' });
      const left = await this.client.list(res, name, { limit: 1 });
      remaining += left.items.length;
    }
    if (remaining > 0) return { requeueAfter: this.options.recheckMs ?? 500 };
    const finalizers = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    try {
      await this.client.update(NAMESPACES, { ...ns, spec: { ...(ns.spec as object), finalizers } }, { subresource: 'finalize' });
    } catch (err) {
      // Changed meanwhile: its update event (or this retry) brings it back.
      if (isConflict(err)) return { requeue: true };
      if (!isNotFound(err)) throw err;
    }
  }
}
