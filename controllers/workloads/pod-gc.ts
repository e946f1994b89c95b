/**
 * The pod garbage collector, as kube's pkg/controller/podgc, every 20 seconds:
 * - terminated pods (Succeeded or Failed) beyond --terminated-pod-gc-threshold (12,500 by
 *   default; 0 turns this off) are deleted, evicted ones first and then the oldest;
 * - a pod being deleted that was never scheduled (no nodeName) is deleted at once, as nothing
 *   will ever finish its graceful deletion; a pod not yet terminal is marked Failed first, so
 *   that its Job sees it end.
 * Pods whose node (in nodeless: instance) is gone are the instance scheduler's to fail, not
 * this controller's. Deletes go through the Client with grace period 0 and the pod's uid as a
 * precondition, so a pod recreated under the same name is never hit.
 */
import type { KubeObject } from '../../schemas/types';
import { PODS, isConflict, isNotFound, type Client } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { Clock } from '../runtime/work-queue';

/** TERMINATED_POD_GC_THRESHOLD is kube's --terminated-pod-gc-threshold default. */
export const TERMINATED_POD_GC_THRESHOLD = 12_500;
/** GC_CHECK_PERIOD_MS is kube's gcCheckPeriod: how often the collector looks. */
export const GC_CHECK_PERIOD_MS = 20_000;

/** PodGCControllerOptions tune the collector. */
export interface PodGCControllerOptions {
  /** terminatedPodThreshold is how many terminated pods may stay; 0 keeps them all */
  terminatedPodThreshold?: number;
  periodMs?: number;
}

interface PodStatus {
  phase?: string;
  reason?: string;
}

/** PodGCController deletes pods nothing else will remove. */
export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  private client!: Client;
  private clock!: Clock;
  private log!: (record: Record<string, unknown>) => void;
  private pods!: Informer;
  private timer?: unknown;
  private stopped = false;
  private running?: Promise<void>;

  constructor(private readonly options: PodGCControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.pods = ctx.informers.informerFor(PODS);
  }

  run(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.running = this.gc()
        .catch((err) => this.log({ level: 'error', msg: 'pod garbage collection failed', error: String(err) }))
        .finally(() => this.schedule());
    }, this.options.periodMs ?? GC_CHECK_PERIOD_MS);
  }

  /** idle resolves once the pass under way, if any, has finished (for tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** gc is one pass of the collector over the cached pods. */
  async gc(): Promise<void> {
    const pods = this.pods.list();
    await this.gcTerminated(pods);
    await this.gcUnscheduledTerminating(pods);
  }

  private async gcTerminated(pods: readonly Readonly<KubeObject>[]): Promise<void> {
    const threshold = this.options.terminatedPodThreshold ?? TERMINATED_POD_GC_THRESHOLD;
    if (threshold <= 0) return;
    const terminated = pods.filter(isTerminated);
    const excess = terminated.length - threshold;
    if (excess <= 0) return;
    this.log({ level: 'info', msg: 'garbage collecting terminated pods', pods: excess });
    const victims = [...terminated].sort(byEvictionAndCreation).slice(0, excess);
    await Promise.all(victims.map((p) => this.markFailedAndDelete(p)));
  }

  private async gcUnscheduledTerminating(pods: readonly Readonly<KubeObject>[]): Promise<void> {
    const victims = pods.filter((p) => p.metadata?.deletionTimestamp && !(p.spec as { nodeName?: string } | undefined)?.nodeName);
    await Promise.all(victims.map((p) => this.markFailedAndDelete(p)));
  }

  // markFailedAndDelete ends a pod that is not terminal yet, then force-deletes it.
  private async markFailedAndDelete(pod: Readonly<KubeObject>): Promise<void> {
    const { namespace, name, uid } = pod.metadata ?? {};
    try {
      if (!isTerminated(pod)) {
        await this.client.patch(PODS, namespace, name!, 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
      }
      await this.client.delete(PODS, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.log({ level: 'info', msg: 'pod garbage collector force-deleted a pod', pod: `${namespace}/${name}` });
    } catch (err) {
      // Gone already, or replaced by another pod of the same name.
      if (isNotFound(err) || isConflict(err)) return;
      this.log({ level: 'error', msg: 'pod garbage collector could not delete a pod', pod: `${namespace}/${name}`, error: String(err) });
    }
  }
}

function isTerminated(pod: Readonly<KubeObject>): boolean {
  const phase = (pod.status as PodStatus | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

// byEvictionAndCreation orders evicted pods first, then the oldest, then by name.
function byEvictionAndCreation(a: Readonly<KubeObject>, b: Readonly<KubeObject>): number {
  const evicted = (p: Readonly<KubeObject>) => {
    const s = p.status as PodStatus | undefined;
    return s?.phase === 'Failed' && s.reason === 'Evicted' ? 0 : 1;
  };
  const created = (p: Readonly<KubeObject>) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return evicted(a) - evicted(b) || created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
