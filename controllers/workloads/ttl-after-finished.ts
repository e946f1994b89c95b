/**
 * The TTL-after-finished controller, as kube's pkg/controller/ttlafterfinished: a Job with
 * spec.ttlSecondsAfterFinished is deleted (propagationPolicy Background, so its pods go with it
 * through the garbage collector) that many seconds after its Complete or Failed condition. Each
 * Job is queued again (addAfter, on the injected clock) for when its time runs out; before
 * deleting, the Job is read fresh from the server, so a TTL changed meanwhile is honoured, and
 * the delete names the resourceVersion it checked.
 */
import type { KubeObject } from '../../schemas/types';
import { JOBS, isConflict, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { capDelay, finishedCondition, specOf } from './job-policies';

/** needsCleanup is true for a finished Job with a ttlSecondsAfterFinished. */
export function needsCleanup(job: Readonly<KubeObject>): boolean {
  return typeof specOf(job).ttlSecondsAfterFinished === 'number' && finishedCondition(job) !== undefined;
}

/** expiresAt is when a finished Job's TTL runs out (ms), undefined when it has no usable finish time. */
export function expiresAt(job: Readonly<KubeObject>): number | undefined {
  const ttl = specOf(job).ttlSecondsAfterFinished;
  const finished = Date.parse(finishedCondition(job)?.lastTransitionTime ?? '');
  if (typeof ttl !== 'number' || !Number.isFinite(finished)) return undefined;
  return finished + ttl * 1000;
}

/** TTLAfterFinishedController deletes finished Jobs once their TTL has passed. */
export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished-controller';
  private client!: Client;
  private clock!: Clock;
  private log!: (record: Record<string, unknown>) => void;
  private queue!: WorkQueue;
  private jobs!: Informer;

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    // kube-controller-manager runs five workers (--concurrent-ttl-after-finished-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'ttl-after-finished sync failed', workers: 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.jobs = ctx.informers.informerFor(JOBS);
    const enqueue = (job: Readonly<KubeObject>) => {
      if (!job.metadata?.deletionTimestamp && needsCleanup(job)) this.queue.add(objectKey(job));
    };
    this.jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, job) => enqueue(job) });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile deletes one Job if its TTL has run out, or queues it for when it will. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.get(key);
    if (!cached || cached.metadata?.deletionTimestamp || !needsCleanup(cached)) return;
    const wait = this.remaining(cached);
    if (wait === undefined) return;
    if (wait > 0) return { requeueAfter: capDelay(wait) };
    // The cache may be behind (a TTL raised, the Job restarted): check the server's copy.
    const { namespace, name } = splitKey(key);
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(JOBS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (fresh.metadata?.deletionTimestamp || !needsCleanup(fresh)) return;
    const freshWait = this.remaining(fresh);
    if (freshWait === undefined) return;
    if (freshWait > 0) return { requeueAfter: capDelay(freshWait) };
    this.log({ level: 'info', msg: 'cleaning up finished Job', job: key });
    try {
      await this.client.delete(JOBS, namespace, name, { propagationPolicy: 'Background', preconditions: { resourceVersion: fresh.metadata?.resourceVersion } });
    } catch (err) {
      if (isNotFound(err)) return;
      // Changed since it was read: look at it again.
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }

  private remaining(job: Readonly<KubeObject>): number | undefined {
    const at = expiresAt(job);
    if (at === undefined) {
      this.log({ level: 'error', msg: 'finished Job without a finish time', job: objectKey(job) });
      return undefined;
    }
    return at - this.clock.now();
  }
}
