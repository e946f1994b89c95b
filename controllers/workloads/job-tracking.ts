/**
 * Counting a Job's finished pods through the batch.kubernetes.io/job-tracking finalizer (kube's
 * trackJobStatusAndRemoveFinalizers and flushUncountedAndRemoveFinalizers). A finished pod is
 * first written into status.uncountedTerminatedPods, then loses its finalizer, then moves into
 * the succeeded/failed counters, so a restart between any two steps neither loses a pod nor
 * counts it twice. The interim SuccessCriteriaMet or FailureTarget condition is written with the
 * first step, Complete or Failed only once no pod is left uncounted or terminating.
 *
 * JobTracker also remembers, per Job, the finalizer removals it sent and has not yet seen (kube's
 * uidTrackingExpectations) and the resourceVersions its own status writes replaced, so a sync on
 * a cache that has not caught up does not count a pod again or write on a stale Job.
 */
import type { KubeObject } from '../../schemas/types';
import { JOBS, isConflict, objectKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Clock } from '../runtime/work-queue';
import type { BackoffStore } from './job-backoff';
import { completionIndex } from './job-indexes';
import type { JobPodControl } from './job-manage';
import { hasTrackingFinalizer, num } from './job-pods';
import { isPodFailed, matchPodFailurePolicy, podStatusOf, specOf, type JobCondition } from './job-policies';
import type { SyncState } from './job-sync';
import { condition, countUncounted, ensureCondition, isSuccessCriteriaMet, statusOfJob, trueCondition } from './job-status';

/** MAX_UNCOUNTED_PODS bounds status.uncountedTerminatedPods (kube's MaxUncountedPods). */
export const MAX_UNCOUNTED_PODS = 500;

/** JobTrackerDeps is what JobTracker needs from its controller. */
export interface JobTrackerDeps {
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  log: (record: Record<string, unknown>) => void;
  pods: JobPodControl;
  backoff: BackoffStore;
}

/** JobTracker counts finished pods into Job status and writes that status. */
export class JobTracker {
  // finalizerRemovals holds, per Job key, the pod uids whose finalizer removal is not yet seen.
  private readonly finalizerRemovals = new Map<string, Set<string>>();
  // superseded holds, per Job key, the resourceVersions this controller's own status writes
  // replaced: a cache still showing one of them is behind, and a sync on it would only conflict.
  private readonly superseded = new Map<string, Set<string>>();

  constructor(private readonly deps: JobTrackerDeps) {}

  /** expectedRemovals are the pods of key whose finalizer removal is sent and not yet seen. */
  expectedRemovals(key: string): Iterable<string> {
    return this.finalizerRemovals.get(key) ?? [];
  }

  /** finalizerRemovalObserved notes that a pod of key shows no finalizer any more (or is gone). */
  finalizerRemovalObserved(key: string, uid: string): void {
    const set = this.finalizerRemovals.get(key);
    if (!set) return;
    set.delete(uid);
    if (!set.size) this.finalizerRemovals.delete(key);
  }

  /** isStale is true while the cache still shows a version of the Job that our own write replaced. */
  isStale(key: string, resourceVersion: string | undefined): boolean {
    if (this.superseded.get(key)?.has(resourceVersion ?? '')) return true;
    this.superseded.delete(key);
    return false;
  }

  /** forget drops what is remembered about a deleted Job. */
  forget(key: string): void {
    this.finalizerRemovals.delete(key);
    this.superseded.delete(key);
  }

  /**
   * track moves the Job's finished pods towards the counters and writes status when something
   * changed (needsFlush says the sync already changed it); it ends the Job when it can.
   */
  async track(state: SyncState, needsFlushIn: boolean): Promise<void> {
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
      if (!canRemoveFinalizer(state, pod, failed)) continue;
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
    if (indexed && this.updateIndexes(state, newSucceededIndexes)) needsFlush = true;
    if (this.prepareInterimCondition(state)) needsFlush = true;
    needsFlush = await this.flushAndRemoveFinalizers(state, toRemove, withFinalizer, needsFlush);
    const finished = !reachedMax && enactFinished(state, this.deps.clock.now());
    if (finished) needsFlush = true;
    if (needsFlush) {
      state.job = await this.writeStatus(state.job);
      if (finished) this.recordFinished(state.job, state.finished!);
    }
  }

  // updateIndexes writes completedIndexes, succeeded and failedIndexes of an Indexed Job; true when they changed.
  private updateIndexes(state: SyncState, newSucceededIndexes: number[]): boolean {
    const status = statusOfJob(state.job);
    let changed = false;
    state.succeededIndexes = state.succeededIndexes.withIndexes(newSucceededIndexes.sort((a, b) => a - b));
    const text = state.succeededIndexes.toString();
    if (text !== (status.completedIndexes ?? '')) changed = true;
    const total = state.succeededIndexes.total();
    if (total) status.succeeded = total;
    else delete status.succeeded;
    if (text) status.completedIndexes = text;
    else delete status.completedIndexes;
    const failedText = state.failedIndexes?.toString();
    if (failedText !== status.failedIndexes) {
      if (failedText === undefined) delete status.failedIndexes;
      else status.failedIndexes = failedText;
      changed = true;
    }
    return changed;
  }

  // prepareInterimCondition appends the interim FailureTarget or SuccessCriteriaMet condition (to
  // be written before any finalizer goes) and turns state.finished into the final one; true when
  // status changed.
  private prepareInterimCondition(state: SyncState): boolean {
    const status = statusOfJob(state.job);
    const now = this.deps.clock.now();
    let changed = false;
    if (state.finished?.type === 'FailureTarget') {
      status.conditions = [...(status.conditions ?? []), state.finished];
      changed = true;
      state.finished = condition('Failed', 'True', state.finished.reason, state.finished.message, now);
    }
    if (isSuccessCriteriaMet(state.finished)) {
      if (!trueCondition(state.job, 'SuccessCriteriaMet')) {
        status.conditions = [...(status.conditions ?? []), state.finished!];
        changed = true;
      }
      state.finished = condition('Complete', 'True', state.finished!.reason, state.finished!.message, now);
    }
    return changed;
  }

  // flushAndRemoveFinalizers writes the uncounted pods, then removes their finalizers (all at
  // once), then moves those whose finalizer went into the counters; it answers whether that
  // last step still needs a write.
  private async flushAndRemoveFinalizers(state: SyncState, toRemove: Readonly<KubeObject>[], withFinalizer: Set<string>, needsFlushIn: boolean): Promise<boolean> {
    let needsFlush = needsFlushIn;
    if (needsFlush) {
      state.job = await this.writeStatus(state.job);
      this.deps.backoff.update(state.newBackoff);
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
            await this.deps.pods.removeFinalizer(pod);
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

  private recordFinished(job: Readonly<KubeObject>, finished: JobCondition): void {
    const { recorder } = this.deps;
    if (finished.type === 'Complete') {
      const completions = specOf(job).completions;
      if (typeof completions === 'number' && num(statusOfJob(job).succeeded) > completions) {
        void recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      void recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      void recorder.event(job, 'Warning', finished.reason ?? 'Failed', finished.message ?? '');
    }
  }

  /**
   * writeStatus writes status through the status subresource; a conflict is thrown, so the sync
   * runs again on fresh state rather than overwriting what it did not see.
   */
  async writeStatus(job: KubeObject): Promise<KubeObject> {
    try {
      const written = await this.deps.client.updateStatus(JOBS, job);
      const key = objectKey(job);
      const replaced = job.metadata?.resourceVersion;
      if (replaced && written.metadata?.resourceVersion !== replaced) {
        const set = this.superseded.get(key) ?? new Set<string>();
        set.add(replaced);
        this.superseded.set(key, set);
      }
      return written;
    } catch (err) {
      if (isConflict(err)) this.deps.log({ level: 'debug', msg: 'job status conflict, syncing again', job: objectKey(job) });
      throw err;
    }
  }
}

// canRemoveFinalizer: a pod's finalizer goes once it has succeeded, failed (unless it is the
// failed pod of an index waiting for its replacement), or the Job is finishing or being deleted.
function canRemoveFinalizer(state: SyncState, pod: Readonly<KubeObject>, failed: boolean): boolean {
  if (state.job.metadata?.deletionTimestamp || state.finished || podStatusOf(pod).phase === 'Succeeded') return true;
  if (!failed) return false;
  if (typeof state.spec.backoffLimitPerIndex === 'number') {
    const ix = completionIndex(pod);
    if (ix >= 0 && state.delayedDeletionPerIndex.get(ix)?.metadata?.uid === pod.metadata?.uid) return false;
  }
  return true;
}

// enactFinished adds Complete or Failed once no pod is uncounted or terminating.
function enactFinished(state: SyncState, now: number): boolean {
  const finished = state.finished;
  if (!finished) return false;
  const status = statusOfJob(state.job);
  const uncounted = status.uncountedTerminatedPods;
  if ((uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0) > 0) return false;
  if (state.terminating > 0) return false;
  [status.conditions] = ensureCondition(status.conditions, finished.type, finished.status, finished.reason, finished.message, now);
  if (finished.type === 'Complete') status.completionTime = finished.lastTransitionTime;
  return true;
}
