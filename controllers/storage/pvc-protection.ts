/**
 * The PVC protection controller, as kube's pkg/controller/volume/pvcprotection: every claim
 * carries kubernetes.io/pvc-protection, and a deleted claim keeps it (so it shows Terminating)
 * until no pod that has not terminated uses it any more. The pod cache may be behind a pod just
 * made, so the controller asks the API once more before it lets a claim go.
 */
import type { KubeObject } from '../../schemas/types';
import { PERSISTENT_VOLUME_CLAIMS, PODS, isConflict, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import { claimNamesOf, isPodTerminated } from './volumes';

/** PVC_PROTECTION_FINALIZER holds a claim a pod may still use. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

/** PVCProtectionController adds and removes kubernetes.io/pvc-protection. */
export class PVCProtectionController implements Controller {
  readonly name = 'pvc-protection-controller';
  private client!: Client;
  private queue!: WorkQueue;
  private claims!: Informer;
  private pods!: Informer;

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'PVC protection sync failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.claims = ctx.informers.informerFor(PERSISTENT_VOLUME_CLAIMS);
    this.pods = ctx.informers.informerFor(PODS);
    this.claims.addEventHandler({
      onAdd: (pvc) => this.queue.add(objectKey(pvc)),
      onUpdate: (_old, pvc) => this.queue.add(objectKey(pvc)),
    });
    // A pod that goes, or terminates, may free its claims.
    const podChanged = (pod: Readonly<KubeObject>) => {
      for (const name of claimNamesOf(pod)) this.queue.add(`${pod.metadata?.namespace}/${name}`);
    };
    this.pods.addEventHandler({
      onUpdate: (old, pod) => {
        if (isPodTerminated(pod) && !isPodTerminated(old)) podChanged(pod);
      },
      onDelete: podChanged,
    });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile adds the finalizer to a live claim, or removes it from a deleted one no pod uses. */
  async reconcile(key: string): Promise<void> {
    const pvc = this.claims.get(key);
    if (!pvc) return;
    const finalizers = pvc.metadata?.finalizers ?? [];
    const deleting = !!pvc.metadata?.deletionTimestamp;
    try {
      if (!deleting && !finalizers.includes(PVC_PROTECTION_FINALIZER)) {
        await this.writeFinalizers(pvc, [...finalizers, PVC_PROTECTION_FINALIZER]);
      } else if (deleting && finalizers.includes(PVC_PROTECTION_FINALIZER) && !(await this.inUse(pvc))) {
        await this.writeFinalizers(
          pvc,
          finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER),
        );
      }
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return this.queue.addRateLimited(key);
      throw err;
    }
  }

  private async inUse(pvc: Readonly<KubeObject>): Promise<boolean> {
    const { namespace, name } = splitKey(objectKey(pvc));
    const uses = (pod: Readonly<KubeObject>) => !isPodTerminated(pod) && claimNamesOf(pod).includes(name);
    if (this.pods.list(namespace).some(uses)) return true;
    const live = await this.client.list(PODS, namespace);
    return live.items.some(uses);
  }

  private async writeFinalizers(pvc: Readonly<KubeObject>, finalizers: string[]): Promise<void> {
    const next = structuredClone(pvc) as KubeObject;
    next.metadata!.finalizers = finalizers;
    await this.client.update(PERSISTENT_VOLUME_CLAIMS, next);
  }
}
