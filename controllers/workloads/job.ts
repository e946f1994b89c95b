/**
 * The Job controller, as kube's pkg/controller/job (1.32): it runs a Job's pods to completion.
 * Pods are created from the template (up to parallelism, never more than the completions still
 * wanted) with the Job as controllerRef and the batch.kubernetes.io/job-tracking finalizer; a
 * finished pod is first listed in status.uncountedTerminatedPods, then its finalizer is removed,
 * then it is moved into the succeeded/failed counters, so no pod is counted twice or lost across
 * restarts. Indexed Jobs give each pod a completion index (annotation, label, hostname and the
 * JOB_COMPLETION_INDEX variable). Failures count against backoffLimit (or backoffLimitPerIndex)
 * after podFailurePolicy, with an exponential delay before each replacement; activeDeadlineSeconds,
 * suspend, successPolicy and podReplacementPolicy behave as in kube. A Job ends in two steps: the
 * interim FailureTarget or SuccessCriteriaMet condition first, then, once no pod is left
 * terminating, Failed or Complete.
 *
 * This file holds the event handlers and the sync's outline; job-sync.ts decides whether the Job
 * has finished, job-manage.ts creates and deletes pods, job-tracking.ts counts finished pods
 * through the finalizer and writes status.
 */
import type { KubeObject } from '../../schemas/types';
import { matches, type LabelSelector } from '../../schemas/meta/selectors';
import { JOBS, PODS, objectKey, type Client } from '../runtime/client';
import { claimObjects, controllerRefOf } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import { Expectations } from '../runtime/expectations';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { TerminalError, WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { BackoffStore } from './job-backoff';
import { JobPodControl } from './job-manage';
import { hasTrackingFinalizer, managedElsewhere, num, selectorOf } from './job-pods';
import { capDelay, isJobFinished, matchPodFailurePolicy, rfc3339, specOf, type JobStatus } from './job-policies';
import { condition, ensureCondition } from './job-status';
import { decideFinished, newFinishedPods, newSyncState, normalizeStatus } from './job-sync';
import { JobTracker } from './job-tracking';

export { hasTrackingFinalizer, JOB_CONTROLLER_NAME } from './job-pods';
export { MAX_POD_CREATE_DELETE_PER_SYNC } from './job-manage';
export { MAX_UNCOUNTED_PODS } from './job-tracking';

const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

/** JobControllerOptions tune the controller; tests shorten the delays. */
export interface JobControllerOptions {
  workers?: number;
  /** syncBatchMs delays syncs caused by pod events, so a burst makes one status write (kube: 1 s) */
  syncBatchMs?: number;
  /** podFailureBackoffMs and maxPodFailureBackoffMs are the pod-recreation backoff (10 s doubling to 10 min) */
  podFailureBackoffMs?: number;
  maxPodFailureBackoffMs?: number;
}

/** JobController reconciles batch/v1 Jobs. */
export class JobController implements Controller {
  readonly name = 'job-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private orphanQueue!: WorkQueue;
  private jobs!: Informer;
  private pods!: Informer;
  private expectations!: Expectations;
  private podControl!: JobPodControl;
  private tracker!: JobTracker;
  private readonly backoff = new BackoffStore();
  // pendingStartTimes holds the startTime a sync chose but did not write (see deferCounts).
  private readonly pendingStartTimes = new Map<string, string>();

  constructor(private readonly options: JobControllerOptions = {}) {}

  private get batchMs(): number {
    return this.options.syncBatchMs ?? 1000;
  }

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.expectations = new Expectations(ctx.clock);
    this.podControl = new JobPodControl({
      client: ctx.client,
      recorder: ctx.recorder,
      clock: ctx.clock,
      expectations: this.expectations,
      requeue: (key, ms) => this.queue.addAfter(key, ms),
      batchMs: this.batchMs,
      podFailureBackoffMs: this.options.podFailureBackoffMs,
      maxPodFailureBackoffMs: this.options.maxPodFailureBackoffMs,
    });
    this.tracker = new JobTracker({ client: ctx.client, recorder: ctx.recorder, clock: ctx.clock, log: ctx.log, pods: this.podControl, backoff: this.backoff });
    // kube-controller-manager runs five Job workers (--concurrent-job-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'job sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.orphanQueue = new WorkQueue((key) => this.syncOrphanPod(key), { failure: 'job orphan pod sync failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.jobs = ctx.informers.informerFor(JOBS);
    this.pods = ctx.informers.informerFor(PODS);
    this.jobs.addEventHandler({
      onAdd: (job) => this.queue.add(objectKey(job)),
      onUpdate: (old, job) => this.jobUpdated(old, job),
      onDelete: (job) => {
        this.queue.add(objectKey(job));
        this.cleanupPodFinalizers(job);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => {
        this.podControl.podGone(pod.metadata?.uid ?? '');
        this.podDeleted(pod, true);
      },
    });
  }

  run(): void {
    this.queue.start();
    this.orphanQueue.start();
  }

  stop(): void {
    this.queue?.stop();
    this.orphanQueue?.stop();
  }

  // ---- event handlers ------------------------------------------------------------------------

  private enqueueBatched(key: string): void {
    this.queue.addAfter(key, this.batchMs);
  }

  private jobUpdated(old: Readonly<KubeObject>, job: Readonly<KubeObject>): void {
    const key = objectKey(job);
    if (old.metadata?.generation === job.metadata?.generation) this.enqueueBatched(key);
    else this.queue.add(key);
    if (isJobFinished(job)) this.cleanupPodFinalizers(job);
    // A new activeDeadlineSeconds on a started Job: look again when it runs out.
    const start = Date.parse((job.status as JobStatus | undefined)?.startTime ?? '');
    const ads = specOf(job).activeDeadlineSeconds;
    if (Number.isFinite(start) && typeof ads === 'number' && specOf(old).activeDeadlineSeconds !== ads) {
      this.queue.addAfter(key, capDelay(ads * 1000 - (this.clock.now() - start)));
    }
  }

  // jobOf resolves a pod's controllerRef to the cached Job it names (same uid), if any.
  private jobOf(pod: Readonly<KubeObject>, ref = controllerRefOf(pod)): Readonly<KubeObject> | undefined {
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = this.jobs.getByName(pod.metadata?.namespace, ref.name);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  private matchingJobs(pod: Readonly<KubeObject>): Readonly<KubeObject>[] {
    return this.jobs.list(pod.metadata?.namespace ?? '').filter((job) => {
      const selector = selectorOf(job);
      return selector !== undefined && !selector.empty && matches(selector, pod.metadata?.labels);
    });
  }

  private podAdded(pod: Readonly<KubeObject>): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod, false);
    const ref = controllerRefOf(pod);
    if (ref) {
      const job = this.jobOf(pod, ref);
      if (!job) return;
      this.expectations.creationObserved(objectKey(job));
      this.enqueueBatched(objectKey(job));
      return;
    }
    if (hasTrackingFinalizer(pod)) this.orphanQueue.add(objectKey(pod));
    for (const job of this.matchingJobs(pod)) this.enqueueBatched(objectKey(job));
  }

  private podUpdated(old: Readonly<KubeObject>, pod: Readonly<KubeObject>): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod, false);
    const finalizerRemoved = !hasTrackingFinalizer(pod);
    const ref = controllerRefOf(pod);
    const oldRef = controllerRefOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const oldJob = this.jobOf(old, oldRef);
      if (oldJob) {
        if (finalizerRemoved) this.tracker.finalizerRemovalObserved(objectKey(oldJob), pod.metadata?.uid ?? '');
        this.enqueueBatched(objectKey(oldJob));
      }
    }
    if (ref) {
      const job = this.jobOf(pod, ref);
      if (!job) return;
      if (finalizerRemoved) this.tracker.finalizerRemovalObserved(objectKey(job), pod.metadata?.uid ?? '');
      this.enqueueBatched(objectKey(job));
      return;
    }
    if (hasTrackingFinalizer(pod)) this.orphanQueue.add(objectKey(pod));
    if (refChanged || JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) {
      for (const job of this.matchingJobs(pod)) this.enqueueBatched(objectKey(job));
    }
  }

  private podDeleted(pod: Readonly<KubeObject>, final: boolean): void {
    const ref = controllerRefOf(pod);
    const finalizer = hasTrackingFinalizer(pod);
    if (!ref) {
      if (finalizer && !final) this.orphanQueue.add(objectKey(pod));
      return;
    }
    const job = this.jobOf(pod, ref);
    if (!job || isJobFinished(job)) {
      if (finalizer && !final) this.orphanQueue.add(objectKey(pod));
      return;
    }
    const key = objectKey(job);
    this.expectations.deletionObserved(key, objectKey(pod));
    if (final || !finalizer) this.tracker.finalizerRemovalObserved(key, pod.metadata?.uid ?? '');
    this.enqueueBatched(key);
  }

  // cleanupPodFinalizers queues the pods of a finished or deleted Job that still hold the finalizer.
  private cleanupPodFinalizers(job: Readonly<KubeObject>): void {
    const uid = job.metadata?.uid;
    if (!uid) return;
    for (const pod of this.pods.byOwner(uid)) if (controllerRefOf(pod)?.uid === uid && hasTrackingFinalizer(pod)) this.orphanQueue.add(objectKey(pod));
  }

  /** syncOrphanPod removes the tracking finalizer of a pod no unfinished Job controls. */
  async syncOrphanPod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.jobOf(pod, ref);
      if (job && managedElsewhere(job)) return;
      if (job && !isJobFinished(job)) return;
    }
    await this.podControl.removeFinalizer(pod);
  }

  // ---- reconcile ------------------------------------------------------------------------------

  /** reconcile runs one sync of a Job (kube's syncJob). */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.get(key);
    if (!cached) {
      this.expectations.forget(key);
      this.tracker.forget(key);
      this.backoff.remove(key);
      this.pendingStartTimes.delete(key);
      return;
    }
    // The informer's update for our last write is on its way and queues the Job again; the
    // timer is a safety net should that event be lost.
    if (this.tracker.isStale(key, cached.metadata?.resourceVersion)) return { requeueAfter: 1000 };
    if (managedElsewhere(cached)) return;
    if (isJobFinished(cached)) {
      this.backoff.remove(key);
      return;
    }
    const job = structuredClone(cached) as KubeObject;
    const spec = specOf(job);
    if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      void this.recorder.event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const selector = selectorOf(job);
    if (!selector) {
      void this.recorder.event(job, 'Warning', 'InvalidSelector', "Skipped Job sync because its selector does not parse");
      throw new TerminalError(`job ${key}: selector does not parse`);
    }
    const status = normalizeStatus(job);

    // Read expectations before the pods, so a pod arriving in between only delays the sync.
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsForJob(job, selector);
    const state = newSyncState(key, job, spec, pods, this.tracker.expectedRemovals(key));
    const { activePods } = state;
    let active = activePods.length;
    const [newSucceeded, newFailed] = newFinishedPods(state);
    state.succeeded = num(status.succeeded) + newSucceeded.length + state.uncountedSucceeded.size;
    state.failed = num(status.failed) + newFailed.filter((p) => matchPodFailurePolicy(spec, p).countFailed).length + state.uncountedFailed.size;
    const now = this.clock.now();
    if (status.startTime) this.pendingStartTimes.delete(key);
    else if (!spec.suspend) status.startTime = this.pendingStartTimes.get(key) ?? rfc3339(now);
    state.newBackoff = this.backoff.newRecord(key, now, newSucceeded, newFailed);
    decideFinished(state, now);
    const completions = typeof spec.completions === 'number' ? spec.completions : undefined;

    let manageError: unknown;
    let suspendChanged = false;
    if (state.finished) {
      const { deleted, deletedReady, error } = await this.podControl.deletePods(job, activePods, false);
      // Pods that could not be deleted, or creates not yet seen, leave the Job unfinished for now.
      if (deleted !== active || !satisfied) state.finished = undefined;
      active -= deleted;
      state.terminating += deleted;
      state.ready -= deletedReady;
      manageError = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        try {
          active = await this.podControl.manageJob(state);
        } catch (err) {
          manageError = err;
          active = state.activeAfterManage ?? state.activePods.length;
        }
        managed = true;
      }
      const complete = completions === undefined ? state.succeeded > 0 && active === 0 : state.succeeded >= completions && active === 0;
      if (complete) {
        state.finished = condition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        const [conditions, changed] = spec.suspend
          ? ensureCondition(status.conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)
          : ensureCondition(status.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        if (changed) {
          status.conditions = conditions;
          suspendChanged = true;
          void this.recorder.event(job, 'Normal', spec.suspend ? 'Suspended' : 'Resumed', spec.suspend ? 'Job suspended' : 'Job resumed');
          // A resumed Job's activeDeadlineSeconds counts from the resume.
          if (!spec.suspend) status.startTime = rfc3339(now);
        }
      }
    }
    // A sync that created pods leaves the new counts to the sync their add events bring within
    // the batch period: that one writes them (with the startTime chosen here), and when the pods
    // are quick it also counts them, so a short Job costs one status write less. kube writes the
    // counts at once; here they show at most a batch period later. A failed create or a changed
    // condition is written now.
    const deferCounts = active > state.activePods.length && !manageError && !suspendChanged;
    if (deferCounts && status.startTime) this.pendingStartTimes.set(key, status.startTime);
    const needsStatusUpdate = !deferCounts && (suspendChanged || active !== num(status.active) || state.ready !== status.ready || state.terminating !== status.terminating);
    if (active) status.active = active;
    else delete status.active;
    status.ready = state.ready;
    status.terminating = state.terminating;
    await this.tracker.track(state, needsStatusUpdate);
    if (manageError) throw manageError;
    if (state.requeueAfter !== undefined) return { requeueAfter: capDelay(state.requeueAfter) };
  }

  // podsForJob claims the pods the Job's selector matches (orphans adopted) and answers those it controls.
  private async podsForJob(job: Readonly<KubeObject>, selector: LabelSelector): Promise<Readonly<KubeObject>[]> {
    const uid = job.metadata!.uid!;
    const namespace = job.metadata!.namespace!;
    // Generated selectors name the Job's uid: the label index finds the candidates without a scan.
    const generated = specOf(job).selector?.matchLabels?.[CONTROLLER_UID_LABEL];
    const byUid = new Map<string, Readonly<KubeObject>>();
    const candidates = generated ? this.pods.byLabel(CONTROLLER_UID_LABEL, generated, namespace) : this.pods.list(namespace);
    for (const p of [...candidates, ...this.pods.byOwner(uid).filter((p) => p.metadata?.namespace === namespace)]) byUid.set(p.metadata?.uid ?? objectKey(p), p);
    return claimObjects(this.client, PODS, job, [...byUid.values()], { matches: (p) => matches(selector, p.metadata?.labels), canAdopt: !job.metadata?.deletionTimestamp });
  }
}
