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
 */
import type { KubeObject } from '../../schemas/types';
import { matches, type LabelSelector } from '../../schemas/meta/selectors';
import { JOBS, PODS, hasCause, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import { claimObjects, controllerRefOf, newControllerRef } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import { Expectations } from '../runtime/expectations';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { TerminalError, WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { BackoffStore, MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS, remainingBackoff, type BackoffRecord } from './job-backoff';
import {
  COMPLETION_INDEX_ANNOTATION,
  INDEX_FAILURE_COUNT_ANNOTATION,
  INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  Intervals,
  completionIndex,
  firstPendingIndexes,
  indexAbsoluteFailureCount,
  indexFailureCount,
  indexIgnoredFailureCount,
  indexesOf,
  podGenerateNameWithIndex,
} from './job-indexes';
import {
  JOB_TRACKING_FINALIZER,
  capDelay,
  isJobFinished,
  isPodFailed,
  isPodReady,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  onlyReplaceFailedPods,
  podFinishedAt,
  podStatusOf,
  rfc3339,
  specOf,
  type JobCondition,
  type JobSpec,
  type JobStatus,
} from './job-policies';
import { slowStartBatch } from './replicaset';
import { activePodsForRemoval, hasTrackingFinalizer, isActivePod, isTerminating, managedElsewhere, message, num, podTemplate, selectorOf, strings, type PodTemplate } from './job-pods';
import { condition, countUncounted, ensureCondition, isIndexFailed, isSuccessCriteriaMet, pastBackoffLimitOnFailure, statusOfJob, succeededIndexes, trueCondition } from './job-status';

export { hasTrackingFinalizer, JOB_CONTROLLER_NAME } from './job-pods';

/** MAX_UNCOUNTED_PODS bounds status.uncountedTerminatedPods (kube's MaxUncountedPods). */
export const MAX_UNCOUNTED_PODS = 500;
/** MAX_POD_CREATE_DELETE_PER_SYNC bounds the pods one sync creates or deletes. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

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

// SyncState is what one sync learns about a Job, as kube's syncJobCtx.
interface SyncState {
  key: string;
  job: KubeObject;
  spec: JobSpec;
  status: JobStatus;
  pods: Readonly<KubeObject>[];
  activePods: Readonly<KubeObject>[];
  finished?: JobCondition;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Intervals;
  succeededIndexes: Intervals;
  failedIndexes?: Intervals;
  newBackoff: BackoffRecord;
  expectedRmFinalizers: Set<string>;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  delayedDeletionPerIndex: Map<number, Readonly<KubeObject>>;
  terminating: number;
  ready: number;
  requeueAfter?: number;
  // activeAfterManage is the active count when manageJob failed part way
  activeAfterManage?: number;
}

/** JobController reconciles batch/v1 Jobs. */
export class JobController implements Controller {
  readonly name = 'job-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private log!: (record: Record<string, unknown>) => void;
  private queue!: WorkQueue;
  private orphanQueue!: WorkQueue;
  private jobs!: Informer;
  private pods!: Informer;
  private expectations!: Expectations;
  // finalizerRemovals holds, per Job key, the pod uids whose finalizer removal is not yet seen.
  private readonly finalizerRemovals = new Map<string, Set<string>>();
  private readonly backoff = new BackoffStore();
  // superseded holds, per Job key, the resourceVersions this controller's own status writes
  // replaced: a cache still showing one of them is behind, and a sync on it would only conflict.
  private readonly superseded = new Map<string, Set<string>>();
  // failureSeen remembers when a failed pod was first seen, for the per-index backoff.
  private readonly failureSeen = new Map<string, number>();

  constructor(private readonly options: JobControllerOptions = {}) {}

  private get batchMs(): number {
    return this.options.syncBatchMs ?? 1000;
  }

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.expectations = new Expectations(ctx.clock);
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
        this.failureSeen.delete(pod.metadata?.uid ?? '');
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
        if (finalizerRemoved) this.finalizerRemovalObserved(objectKey(oldJob), pod.metadata?.uid ?? '');
        this.enqueueBatched(objectKey(oldJob));
      }
    }
    if (ref) {
      const job = this.jobOf(pod, ref);
      if (!job) return;
      if (finalizerRemoved) this.finalizerRemovalObserved(objectKey(job), pod.metadata?.uid ?? '');
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
    if (final || !finalizer) this.finalizerRemovalObserved(key, pod.metadata?.uid ?? '');
    this.enqueueBatched(key);
  }

  // cleanupPodFinalizers queues the pods of a finished or deleted Job that still hold the finalizer.
  private cleanupPodFinalizers(job: Readonly<KubeObject>): void {
    const uid = job.metadata?.uid;
    if (!uid) return;
    for (const pod of this.pods.byOwner(uid)) if (controllerRefOf(pod)?.uid === uid && hasTrackingFinalizer(pod)) this.orphanQueue.add(objectKey(pod));
  }

  private finalizerRemovalObserved(key: string, uid: string): void {
    const set = this.finalizerRemovals.get(key);
    if (!set) return;
    set.delete(uid);
    if (!set.size) this.finalizerRemovals.delete(key);
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
    await this.removeFinalizer(pod);
  }

  // ---- reconcile ------------------------------------------------------------------------------

  /** reconcile runs one sync of a Job (kube's syncJob). */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.get(key);
    if (!cached) {
      this.expectations.forget(key);
      this.finalizerRemovals.delete(key);
      this.backoff.remove(key);
      this.superseded.delete(key);
      return;
    }
    // The informer's update for our last write is on its way and queues the Job again; the
    // timer is a safety net should that event be lost.
    if (this.superseded.get(key)?.has(cached.metadata?.resourceVersion ?? '')) return { requeueAfter: 1000 };
    this.superseded.delete(key);
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
    const status = (job.status = (job.status && typeof job.status === 'object' ? job.status : {}) as JobStatus) as JobStatus;
    const uncounted = (status.uncountedTerminatedPods = status.uncountedTerminatedPods && typeof status.uncountedTerminatedPods === 'object' ? status.uncountedTerminatedPods : {});
    uncounted.succeeded = strings(uncounted.succeeded);
    uncounted.failed = strings(uncounted.failed);
    if (!uncounted.succeeded.length) delete uncounted.succeeded;
    if (!uncounted.failed.length) delete uncounted.failed;

    // Read expectations before the pods, so a pod arriving in between only delays the sync.
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsForJob(job, selector);
    const activePods = pods.filter(isActivePod);
    const state: SyncState = {
      key,
      job,
      spec,
      status,
      pods,
      activePods,
      succeeded: 0,
      failed: 0,
      prevSucceededIndexes: new Intervals(),
      succeededIndexes: new Intervals(),
      newBackoff: { key, failuresAfterLastSuccess: 0 },
      expectedRmFinalizers: new Set(this.finalizerRemovals.get(key) ?? []),
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      delayedDeletionPerIndex: new Map(),
      terminating: pods.filter(isTerminating).length,
      ready: activePods.filter(isPodReady).length,
    };
    let active = activePods.length;
    const newSucceeded = this.validPods(state, state.uncountedSucceeded, (p) => podStatusOf(p).phase === 'Succeeded');
    const newFailed = this.validPods(state, state.uncountedFailed, (p) => isPodFailed(p, spec));
    state.succeeded = num(status.succeeded) + newSucceeded.length + state.uncountedSucceeded.size;
    state.failed = num(status.failed) + newFailed.filter((p) => matchPodFailurePolicy(spec, p).countFailed).length + state.uncountedFailed.size;
    const now = this.clock.now();
    if (!status.startTime && !spec.suspend) status.startTime = rfc3339(now);
    state.newBackoff = this.backoff.newRecord(key, now, newSucceeded, newFailed);

    const backoffLimit = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 6;
    state.finished = trueCondition(job, 'SuccessCriteriaMet');
    if (!state.finished) {
      const target = trueCondition(job, 'FailureTarget');
      if (target) state.finished = condition('Failed', 'True', target.reason, target.message, now);
      else {
        const message = this.failJobMessage(spec, pods);
        if (message) state.finished = condition('FailureTarget', 'True', 'PodFailurePolicy', message, now);
      }
    }
    if (!state.finished) {
      if (state.failed > backoffLimit || pastBackoffLimitOnFailure(spec, pods, backoffLimit)) {
        state.finished = condition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (this.pastActiveDeadline(spec, status)) {
        state.finished = condition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
      } else if (typeof spec.activeDeadlineSeconds === 'number' && !spec.suspend && status.startTime) {
        state.requeueAfter = Math.max(1, spec.activeDeadlineSeconds * 1000 - (now - Date.parse(status.startTime)));
      }
    }
    const completions = typeof spec.completions === 'number' ? spec.completions : undefined;
    if (spec.completionMode === 'Indexed' && completions !== undefined) {
      [state.prevSucceededIndexes, state.succeededIndexes] = succeededIndexes(job, completions, pods);
      state.succeeded = state.succeededIndexes.total();
      if (typeof spec.backoffLimitPerIndex === 'number') {
        state.failedIndexes = this.failedIndexes(job, spec, completions, pods);
        if (!state.finished) {
          if (typeof spec.maxFailedIndexes === 'number' && state.failedIndexes.total() > spec.maxFailedIndexes) {
            state.finished = condition('FailureTarget', 'True', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
          } else if (state.failedIndexes.total() > 0 && state.failedIndexes.total() + state.succeededIndexes.total() >= completions) {
            state.finished = condition('FailureTarget', 'True', 'FailedIndexes', 'Job has failed indexes', now);
          }
        }
        state.delayedDeletionPerIndex = this.delayedDeletionPerIndex(state, completions);
      }
      if (!state.finished) {
        const message = matchSuccessPolicy(spec, completions, state.succeededIndexes);
        if (message) state.finished = condition('SuccessCriteriaMet', 'True', 'SuccessPolicy', message, now);
      }
    }

    let manageError: unknown;
    let suspendChanged = false;
    if (state.finished) {
      const { deleted, deletedReady, error } = await this.deletePods(job, activePods, false);
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
          active = await this.manageJob(state);
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
    const needsStatusUpdate = suspendChanged || active !== num(status.active) || state.ready !== status.ready || state.terminating !== status.terminating;
    if (active) status.active = active;
    else delete status.active;
    status.ready = state.ready;
    status.terminating = state.terminating;
    await this.trackStatusAndRemoveFinalizers(state, needsStatusUpdate);
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

  // validPods answers the pods holding the finalizer, not yet counted, with a valid index (Indexed), that pass filter.
  private validPods(state: SyncState, uncounted: Set<string>, filter: (p: Readonly<KubeObject>) => boolean): Readonly<KubeObject>[] {
    const completions = num(state.spec.completions);
    return state.pods.filter((p) => {
      const uid = p.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncounted.has(uid) || state.expectedRmFinalizers.has(uid)) return false;
      if (state.spec.completionMode === 'Indexed') {
        const ix = completionIndex(p);
        if (ix < 0 || ix >= completions) return false;
      }
      return filter(p);
    });
  }

  private failJobMessage(spec: JobSpec, pods: readonly Readonly<KubeObject>[]): string | undefined {
    if (!spec.podFailurePolicy) return undefined;
    for (const p of pods) {
      if (!isPodFailed(p, spec)) continue;
      const m = matchPodFailurePolicy(spec, p).failJobMessage;
      if (m) return m;
    }
    return undefined;
  }

  private pastActiveDeadline(spec: JobSpec, status: JobStatus): boolean {
    if (typeof spec.activeDeadlineSeconds !== 'number' || !status.startTime || spec.suspend) return false;
    return this.clock.now() - Date.parse(status.startTime) >= spec.activeDeadlineSeconds * 1000;
  }

  private failedIndexes(job: Readonly<KubeObject>, spec: JobSpec, completions: number, pods: readonly Readonly<KubeObject>[]): Intervals {
    const prev = Intervals.parse(statusOfJob(job).failedIndexes, completions);
    const failed = new Set<number>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix >= 0 && ix < completions && hasTrackingFinalizer(p) && isIndexFailed(spec, p)) failed.add(ix);
    }
    return prev.withIndexes([...failed].sort((a, b) => a - b));
  }

  // delayedDeletionPerIndex picks, per index without an active pod, the last failed pod: its
  // finalizer stays until the replacement is made, which copies its failure count.
  private delayedDeletionPerIndex(state: SyncState, completions: number): Map<number, Readonly<KubeObject>> {
    const active = new Set(indexesOf(state.activePods));
    const result = new Map<number, Readonly<KubeObject>>();
    for (const p of this.validPods(state, new Set(), (p) => isPodFailed(p, state.spec))) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions || state.succeededIndexes.has(ix) || state.failedIndexes?.has(ix) || active.has(ix)) continue;
      const last = result.get(ix);
      if (!last || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(p) && podFinishedAt(p) >= podFinishedAt(last))) result.set(ix, p);
    }
    return result;
  }

  // failureSeenAt is when this controller first saw a failed pod (see job-backoff.ts for why not its finish time).
  private failureSeenAt(pod: Readonly<KubeObject>, now: number): number {
    const uid = pod.metadata?.uid ?? '';
    const seen = this.failureSeen.get(uid);
    if (seen !== undefined) return seen;
    this.failureSeen.set(uid, now);
    return now;
  }

  // removeActive deletes active pods of the Job and answers how many stay active; on a failed
  // delete it records that count for the status write and rethrows.
  private async removeActive(state: SyncState, victims: Array<Readonly<KubeObject>>): Promise<number> {
    const active = state.activePods.length;
    this.expectations.expectDeletions(state.key, victims.map(objectKey));
    const { deleted, deletedReady, error } = await this.deletePods(state.job, victims, true, state.key);
    state.terminating += deleted;
    state.ready -= deletedReady;
    if (error) {
      state.activeAfterManage = active - deleted;
      throw error;
    }
    return active - deleted;
  }

  // manageJob creates or deletes pods so the Job runs as many as it should; it answers the active count.
  private async manageJob(state: SyncState): Promise<number> {
    const { job, spec, key } = state;
    let active = state.activePods.length;
    const parallelism = num(spec.parallelism);
    if (spec.suspend) {
      return this.removeActive(state, activePodsForRemoval(spec, state.activePods, active, this.clock.now()));
    }
    let wantActive: number;
    if (typeof spec.completions !== 'number') wantActive = state.succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(spec.completions - state.succeeded, parallelism));

    const victims = activePodsForRemoval(spec, state.activePods, Math.max(0, active - wantActive), this.clock.now()).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    // A sync either deletes or creates, deletions first (as kube).
    if (victims.length) return this.removeActive(state, victims);
    const terminating = onlyReplaceFailedPods(spec) ? state.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    const indexed = spec.completionMode === 'Indexed';
    const perIndex = typeof spec.backoffLimitPerIndex === 'number';
    const now = this.clock.now();
    const base = this.options.podFailureBackoffMs ?? POD_FAILURE_BACKOFF_MS;
    const max = this.options.maxPodFailureBackoffMs ?? MAX_POD_FAILURE_BACKOFF_MS;
    if (!perIndex) {
      const remaining = remainingBackoff(now, base, max, state.newBackoff.failuresAfterLastSuccess, state.newBackoff.lastFailureTime);
      if (remaining > 0) {
        this.queue.addAfter(key, capDelay(Math.max(remaining, this.batchMs)));
        return active;
      }
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (indexed) {
      const completions = num(spec.completions);
      let nonPending = state.succeededIndexes.withIndexes(indexesOf(state.activePods));
      if (onlyReplaceFailedPods(spec)) nonPending = nonPending.withIndexes(indexesOf(state.pods.filter(isTerminating)));
      if (state.failedIndexes) nonPending = nonPending.merge(state.failedIndexes);
      indexes = firstPendingIndexes(nonPending, diff, completions);
      if (perIndex) {
        const ready: number[] = [];
        let soonest: number | undefined;
        for (const ix of indexes) {
          const last = state.delayedDeletionPerIndex.get(ix);
          const wait = last ? remainingBackoff(now, base, max, indexAbsoluteFailureCount(last) + 1, this.failureSeenAt(last, now)) : 0;
          if (wait === 0) ready.push(ix);
          else soonest = soonest === undefined ? wait : Math.min(soonest, wait);
        }
        if (!ready.length && soonest !== undefined) {
          this.queue.addAfter(key, capDelay(Math.max(soonest, this.batchMs)));
          return active;
        }
        indexes = ready;
      }
      diff = indexes.length;
    }
    if (diff <= 0) return active;
    this.expectations.expectCreations(key, diff);
    const template = podTemplate(spec, indexed);
    const queue = [...indexes];
    let created = 0;
    let attempts = 0;
    let firstError: unknown;
    await slowStartBatch(diff, 1, async () => {
      attempts++;
      const ix = indexed ? queue.shift()! : -1;
      try {
        if (await this.createPod(job, spec, template, ix, state.delayedDeletionPerIndex.get(ix))) created++;
        else this.expectations.creationObserved(key);
      } catch (err) {
        this.expectations.creationObserved(key);
        firstError ??= err;
        throw err;
      }
    });
    // Creates never attempted after a failing batch will never be observed.
    for (let i = attempts; i < diff; i++) this.expectations.creationObserved(key);
    if (firstError) {
      state.activeAfterManage = active + created;
      throw firstError;
    }
    return active + created;
  }

  // createPod answers false when the namespace is terminating (nothing to retry).
  private async createPod(job: Readonly<KubeObject>, spec: JobSpec, template: PodTemplate, ix: number, replacing: Readonly<KubeObject> | undefined): Promise<boolean> {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${job.metadata!.name}-`,
        labels: { ...template.labels },
        annotations: { ...template.annotations },
        finalizers: [...template.finalizers],
        ownerReferences: [{ ...newControllerRef(job) }],
      },
      spec: structuredClone(template.spec),
    };
    if (ix >= 0) {
      pod.metadata!.annotations![COMPLETION_INDEX_ANNOTATION] = String(ix);
      pod.metadata!.labels![COMPLETION_INDEX_ANNOTATION] = String(ix);
      (pod.spec as Record<string, unknown>).hostname = `${job.metadata!.name}-${ix}`;
      pod.metadata!.generateName = podGenerateNameWithIndex(job.metadata!.name!, ix);
      if (typeof spec.backoffLimitPerIndex === 'number') {
        let failures = 0;
        let ignored = 0;
        if (replacing) {
          failures = indexFailureCount(replacing);
          ignored = indexIgnoredFailureCount(replacing);
          if (matchPodFailurePolicy(spec, replacing).countFailed) failures++;
          else ignored++;
        }
        pod.metadata!.annotations![INDEX_FAILURE_COUNT_ANNOTATION] = String(failures);
        if (ignored > 0) pod.metadata!.annotations![INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(ignored);
      }
    }
    try {
      const created = await this.client.create(PODS, job.metadata!.namespace, pod);
      void this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata!.name}`);
      return true;
    } catch (err) {
      // A terminating namespace takes no pods; nothing to retry.
      if (hasCause(err, 'NamespaceTerminating')) return false;
      void this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${message(err)}`);
      throw err;
    }
  }

  // deletePods deletes pods, first removing their finalizer when asked (kube's deleteJobPods) or
  // keeping it so the pod is still counted (deleteActivePods).
  private async deletePods(job: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[], removeFinalizer: boolean, expectationsKey?: string): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (removeFinalizer) await this.removeFinalizer(pod);
          await this.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, { preconditions: { uid: pod.metadata!.uid } });
          void this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
          deleted++;
          if (isPodReady(pod)) deletedReady++;
        } catch (err) {
          if (expectationsKey) this.expectations.deletionObserved(expectationsKey, objectKey(pod));
          if (isNotFound(err) || isConflict(err)) {
            deleted++;
            if (isPodReady(pod)) deletedReady++;
            return;
          }
          void this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${message(err)}`);
          error ??= err;
        }
      }),
    );
    return { deleted, deletedReady, error };
  }

  private async removeFinalizer(pod: Readonly<KubeObject>): Promise<void> {
    if (!hasTrackingFinalizer(pod)) return;
    try {
      await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // trackStatusAndRemoveFinalizers is kube's trackJobStatusAndRemoveFinalizers: finished pods go
  // into uncountedTerminatedPods, lose their finalizer, then move into the counters; the
  // interim and final conditions are written in that order.
  private async trackStatusAndRemoveFinalizers(state: SyncState, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    const { spec } = state;
    const indexed = spec.completionMode === 'Indexed';
    const completions = num(spec.completions);
    const pods = indexed ? [...state.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : state.pods;
    const withFinalizer = new Set<string>();
    for (const p of pods) if (hasTrackingFinalizer(p) && !state.expectedRmFinalizers.has(p.metadata?.uid ?? '')) withFinalizer.add(p.metadata?.uid ?? '');
    if (countUncounted(state.job, withFinalizer)) needsFlush = true;
    const uncounted = statusOfJob(state.job).uncountedTerminatedPods!;
    const toRemove: Readonly<KubeObject>[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(pod) || state.expectedRmFinalizers.has(uid)) continue;
      const failed = isPodFailed(pod, spec);
      if (!this.canRemoveFinalizer(state, pod, failed)) continue;
      toRemove.push(pod);
      const phase = podStatusOf(pod).phase;
      if (phase === 'Succeeded' && !state.uncountedFailed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(pod);
          if (ix >= 0 && ix < completions && !state.prevSucceededIndexes.has(ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!state.uncountedSucceeded.has(uid)) {
          (uncounted.succeeded ??= []).push(uid);
          needsFlush = true;
        }
      } else if (failed || (state.finished && !isSuccessCriteriaMet(state.finished))) {
        // Once the Job is failing, every pod not yet ended counts as failed.
        const ix = completionIndex(pod);
        if (!state.uncountedFailed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
          if (matchPodFailurePolicy(spec, pod).countFailed) {
            (uncounted.failed ??= []).push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    const status = statusOfJob(state.job);
    if (indexed) {
      state.succeededIndexes = state.succeededIndexes.withIndexes(newSucceededIndexes.sort((a, b) => a - b));
      const text = state.succeededIndexes.toString();
      if (text !== (status.completedIndexes ?? '')) needsFlush = true;
      const total = state.succeededIndexes.total();
      if (total) status.succeeded = total;
      else delete status.succeeded;
      if (text) status.completedIndexes = text;
      else delete status.completedIndexes;
      const failedText = state.failedIndexes?.toString();
      if (failedText !== status.failedIndexes) {
        if (failedText === undefined) delete status.failedIndexes;
        else status.failedIndexes = failedText;
        needsFlush = true;
      }
    }
    const now = this.clock.now();
    if (state.finished?.type === 'FailureTarget') {
      status.conditions = [...(status.conditions ?? []), state.finished];
      needsFlush = true;
      state.finished = condition('Failed', 'True', state.finished.reason, state.finished.message, now);
    }
    if (isSuccessCriteriaMet(state.finished)) {
      if (!trueCondition(state.job, 'SuccessCriteriaMet')) {
        status.conditions = [...(status.conditions ?? []), state.finished!];
        needsFlush = true;
      }
      state.finished = condition('Complete', 'True', state.finished!.reason, state.finished!.message, now);
    }
    needsFlush = await this.flushAndRemoveFinalizers(state, toRemove, withFinalizer, needsFlush);
    const finished = !reachedMax && this.enactFinished(state);
    if (finished) needsFlush = true;
    if (needsFlush) {
      state.job = await this.writeStatus(state.job);
      if (finished) this.recordFinished(state.job, state.finished!);
    }
  }

  private canRemoveFinalizer(state: SyncState, pod: Readonly<KubeObject>, failed: boolean): boolean {
    if (state.job.metadata?.deletionTimestamp || state.finished || podStatusOf(pod).phase === 'Succeeded') return true;
    if (!failed) return false;
    if (typeof state.spec.backoffLimitPerIndex === 'number') {
      const ix = completionIndex(pod);
      if (ix >= 0 && state.delayedDeletionPerIndex.get(ix)?.metadata?.uid === pod.metadata?.uid) return false;
    }
    return true;
  }

  private async flushAndRemoveFinalizers(state: SyncState, toRemove: Readonly<KubeObject>[], withFinalizer: Set<string>, needsFlushIn: boolean): Promise<boolean> {
    let needsFlush = needsFlushIn;
    if (needsFlush) {
      state.job = await this.writeStatus(state.job);
      this.backoff.update(state.newBackoff);
      needsFlush = false;
    }
    let removeError: unknown;
    if (toRemove.length) {
      const expected = this.finalizerRemovals.get(state.key) ?? new Set<string>();
      for (const p of toRemove) expected.add(p.metadata?.uid ?? '');
      this.finalizerRemovals.set(state.key, expected);
      await Promise.all(
        toRemove.map(async (pod) => {
          try {
            await this.removeFinalizer(pod);
            withFinalizer.delete(pod.metadata?.uid ?? '');
          } catch (err) {
            this.finalizerRemovalObserved(state.key, pod.metadata?.uid ?? '');
            removeError ??= err;
          }
        }),
      );
    }
    if (countUncounted(state.job, withFinalizer)) needsFlush = true;
    if (removeError) {
      if (needsFlush) state.job = await this.writeStatus(state.job);
      throw removeError;
    }
    return needsFlush;
  }

  // enactFinished adds Complete or Failed once no pod is uncounted or terminating.
  private enactFinished(state: SyncState): boolean {
    const finished = state.finished;
    if (!finished) return false;
    const status = statusOfJob(state.job);
    const uncounted = status.uncountedTerminatedPods;
    if ((uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0) > 0) return false;
    if (state.terminating > 0) return false;
    const now = this.clock.now();
    [status.conditions] = ensureCondition(status.conditions, finished.type, finished.status, finished.reason, finished.message, now);
    if (finished.type === 'Complete') status.completionTime = finished.lastTransitionTime;
    return true;
  }

  private recordFinished(job: Readonly<KubeObject>, finished: JobCondition): void {
    if (finished.type === 'Complete') {
      const completions = specOf(job).completions;
      if (typeof completions === 'number' && num(statusOfJob(job).succeeded) > completions) {
        void this.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      void this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      void this.recorder.event(job, 'Warning', finished.reason ?? 'Failed', finished.message ?? '');
    }
  }

  // writeStatus writes status through the status subresource; a conflict is thrown, so the sync
  // runs again on fresh state rather than overwriting what it did not see.
  private async writeStatus(job: KubeObject): Promise<KubeObject> {
    try {
      const written = await this.client.updateStatus(JOBS, job);
      const key = objectKey(job);
      const replaced = job.metadata?.resourceVersion;
      if (replaced && written.metadata?.resourceVersion !== replaced) {
        const set = this.superseded.get(key) ?? new Set<string>();
        set.add(replaced);
        this.superseded.set(key, set);
      }
      return written;
    } catch (err) {
      if (isConflict(err)) this.log({ level: 'debug', msg: 'job status conflict, syncing again', job: objectKey(job) });
      throw err;
    }
  }
}
