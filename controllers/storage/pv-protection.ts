/**
 * The PV protection controller, as kube's pkg/controller/volume/pvprotection: every volume
 * carries kubernetes.io/pv-protection, and a deleted volume keeps it until it is no longer Bound
 * (its claim is gone, so the PV controller released it).
 */
import type { KubeObject } from '../../schemas/types';
import { PERSISTENT_VOLUMES, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import { volumePhase } from './volumes';

/** PV_PROTECTION_FINALIZER holds a volume that is still bound. */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** PVProtectionController adds and removes kubernetes.io/pv-protection. */
export class PVProtectionController implements Controller {
  readonly name = 'pv-protection-controller';
  private client!: Client;
  private queue!: WorkQueue;
  private volumes!: Informer;

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'PV protection sync failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.volumes = ctx.informers.informerFor(PERSISTENT_VOLUMES);
    this.volumes.addEventHandler({
      onAdd: (pv) => this.queue.add(objectKey(pv)),
      onUpdate: (_old, pv) => this.queue.add(objectKey(pv)),
    });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile adds the finalizer to a live volume, or removes it from a deleted one that is not Bound. */
  async reconcile(key: string): Promise<void> {
    const pv = this.volumes.get(key);
    if (!pv) return;
    const finalizers = pv.metadata?.finalizers ?? [];
    const deleting = !!pv.metadata?.deletionTimestamp;
    let want: string[] | undefined;
    if (!deleting && !finalizers.includes(PV_PROTECTION_FINALIZER)) want = [...finalizers, PV_PROTECTION_FINALIZER];
    else if (deleting && finalizers.includes(PV_PROTECTION_FINALIZER) && volumePhase(pv) !== 'Bound') want = finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER);
    if (!want) return;
    const next = structuredClone(pv) as KubeObject;
    next.metadata!.finalizers = want;
    try {
      await this.client.update(PERSISTENT_VOLUMES, next);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return this.queue.addRateLimited(key);
      throw err;
    }
  }
}
