/**
 * What one sync of a Job learns before it acts (kube's syncJobCtx and the first half of syncJob):
 * the Job's pods, which finished pods are new, the counters they make, and whether the Job has
 * met a terminal state: a podFailurePolicy FailJob rule, backoffLimit, activeDeadlineSeconds,
 * backoffLimitPerIndex/maxFailedIndexes, or a successPolicy.
 */
import type { KubeObject } from '../../schemas/types';
import type { BackoffRecord } from './job-backoff';
import { Intervals, completionIndex, indexAbsoluteFailureCount, indexesOf } from './job-indexes';
import { hasTrackingFinalizer, isActivePod, isTerminating, num, strings } from './job-pods';
import { isPodFailed, isPodReady, matchPodFailurePolicy, matchSuccessPolicy, podFinishedAt, podStatusOf, type JobCondition, type JobSpec, type JobStatus } from './job-policies';
import { condition, isIndexFailed, pastBackoffLimitOnFailure, statusOfJob, succeededIndexes, trueCondition } from './job-status';

/** DEFAULT_BACKOFF_LIMIT is spec.backoffLimit when unset (kube defaults it to 6). */
export const DEFAULT_BACKOFF_LIMIT = 6;

/** SyncState is what one sync learns about a Job and carries from step to step, as kube's syncJobCtx. */
export interface SyncState {
  key: string;
  /** job is a private copy of the cached Job; its status is rewritten in place for the write */
  job: KubeObject;
  spec: JobSpec;
  status: JobStatus;
  pods: Readonly<KubeObject>[];
  activePods: Readonly<KubeObject>[];
  /** finished is the condition the Job is heading for (interim or final), once known */
  finished?: JobCondition;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Intervals;
  succeededIndexes: Intervals;
  failedIndexes?: Intervals;
  newBackoff: BackoffRecord;
  /** expectedRmFinalizers are the pods whose finalizer removal was sent and is not yet seen */
  expectedRmFinalizers: Set<string>;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  /** delayedDeletionPerIndex is, per index, the failed pod whose finalizer waits for its replacement */
  delayedDeletionPerIndex: Map<number, Readonly<KubeObject>>;
  terminating: number;
  ready: number;
  requeueAfter?: number;
  /** activeAfterManage is the active count when manageJob failed part way */
  activeAfterManage?: number;
}

/** newSyncState gathers what a sync starts from; status must already be normalized (see normalizeStatus). */
export function newSyncState(key: string, job: KubeObject, spec: JobSpec, pods: Readonly<KubeObject>[], expectedRmFinalizers: Iterable<string>): SyncState {
  const status = statusOfJob(job);
  const activePods = pods.filter(isActivePod);
  return {
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
    expectedRmFinalizers: new Set(expectedRmFinalizers),
    uncountedSucceeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []),
    uncountedFailed: new Set(status.uncountedTerminatedPods?.failed ?? []),
    delayedDeletionPerIndex: new Map(),
    terminating: pods.filter(isTerminating).length,
    ready: activePods.filter(isPodReady).length,
  };
}

/** normalizeStatus makes the Job's status an object whose uncountedTerminatedPods lists hold only strings. */
export function normalizeStatus(job: KubeObject): JobStatus {
  const status = (job.status = (job.status && typeof job.status === 'object' ? job.status : {}) as JobStatus) as JobStatus;
  const uncounted = (status.uncountedTerminatedPods = status.uncountedTerminatedPods && typeof status.uncountedTerminatedPods === 'object' ? status.uncountedTerminatedPods : {});
  uncounted.succeeded = strings(uncounted.succeeded);
  uncounted.failed = strings(uncounted.failed);
  if (!uncounted.succeeded.length) delete uncounted.succeeded;
  if (!uncounted.failed.length) delete uncounted.failed;
  return status;
}

/** validPods answers the pods holding the finalizer, not yet counted, with a valid index (Indexed), that pass filter. */
export function validPods(state: SyncState, uncounted: Set<string>, filter: (p: Readonly<KubeObject>) => boolean): Readonly<KubeObject>[] {
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

/** newFinishedPods answers the finished pods not yet counted: [succeeded, failed]. */
export function newFinishedPods(state: SyncState): [Readonly<KubeObject>[], Readonly<KubeObject>[]] {
  return [
    validPods(state, state.uncountedSucceeded, (p) => podStatusOf(p).phase === 'Succeeded'),
    validPods(state, state.uncountedFailed, (p) => isPodFailed(p, state.spec)),
  ];
}

/**
 * decideFinished sets state.finished when the Job has reached a terminal state (kube's order:
 * a SuccessCriteriaMet or FailureTarget already recorded, a FailJob rule, backoffLimit, the
 * active deadline, then for Indexed Jobs the failed indexes and the successPolicy), and
 * state.requeueAfter for an active deadline still to come.
 */
export function decideFinished(state: SyncState, now: number): void {
  const { job, spec, status, pods } = state;
  const backoffLimit = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : DEFAULT_BACKOFF_LIMIT;
  state.finished = trueCondition(job, 'SuccessCriteriaMet');
  if (!state.finished) {
    const target = trueCondition(job, 'FailureTarget');
    if (target) state.finished = condition('Failed', 'True', target.reason, target.message, now);
    else {
      const message = failJobMessage(spec, pods);
      if (message) state.finished = condition('FailureTarget', 'True', 'PodFailurePolicy', message, now);
    }
  }
  if (!state.finished) {
    if (state.failed > backoffLimit || pastBackoffLimitOnFailure(spec, pods, backoffLimit)) {
      state.finished = condition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (pastActiveDeadline(spec, status, now)) {
      state.finished = condition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (typeof spec.activeDeadlineSeconds === 'number' && !spec.suspend && status.startTime) {
      state.requeueAfter = Math.max(1, spec.activeDeadlineSeconds * 1000 - (now - Date.parse(status.startTime)));
    }
  }
  const completions = typeof spec.completions === 'number' ? spec.completions : undefined;
  if (spec.completionMode !== 'Indexed' || completions === undefined) return;
  [state.prevSucceededIndexes, state.succeededIndexes] = succeededIndexes(job, completions, pods);
  state.succeeded = state.succeededIndexes.total();
  if (typeof spec.backoffLimitPerIndex === 'number') {
    state.failedIndexes = failedIndexes(job, spec, completions, pods);
    if (!state.finished) {
      if (typeof spec.maxFailedIndexes === 'number' && state.failedIndexes.total() > spec.maxFailedIndexes) {
        state.finished = condition('FailureTarget', 'True', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
      } else if (state.failedIndexes.total() > 0 && state.failedIndexes.total() + state.succeededIndexes.total() >= completions) {
        state.finished = condition('FailureTarget', 'True', 'FailedIndexes', 'Job has failed indexes', now);
      }
    }
    state.delayedDeletionPerIndex = delayedDeletionPerIndex(state, completions);
  }
  if (!state.finished) {
    const message = matchSuccessPolicy(spec, completions, state.succeededIndexes);
    if (message) state.finished = condition('SuccessCriteriaMet', 'True', 'SuccessPolicy', message, now);
  }
}

// failJobMessage is the message of the first FailJob rule a failed pod matches.
function failJobMessage(spec: JobSpec, pods: readonly Readonly<KubeObject>[]): string | undefined {
  if (!spec.podFailurePolicy) return undefined;
  for (const p of pods) {
    if (!isPodFailed(p, spec)) continue;
    const m = matchPodFailurePolicy(spec, p).failJobMessage;
    if (m) return m;
  }
  return undefined;
}

function pastActiveDeadline(spec: JobSpec, status: JobStatus, now: number): boolean {
  if (typeof spec.activeDeadlineSeconds !== 'number' || !status.startTime || spec.suspend) return false;
  return now - Date.parse(status.startTime) >= spec.activeDeadlineSeconds * 1000;
}

function failedIndexes(job: Readonly<KubeObject>, spec: JobSpec, completions: number, pods: readonly Readonly<KubeObject>[]): Intervals {
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
function delayedDeletionPerIndex(state: SyncState, completions: number): Map<number, Readonly<KubeObject>> {
  const active = new Set(indexesOf(state.activePods));
  const result = new Map<number, Readonly<KubeObject>>();
  for (const p of validPods(state, new Set(), (p) => isPodFailed(p, state.spec))) {
    const ix = completionIndex(p);
    if (ix < 0 || ix >= completions || state.succeededIndexes.has(ix) || state.failedIndexes?.has(ix) || active.has(ix)) continue;
    const last = result.get(ix);
    if (!last || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(p) && podFinishedAt(p) >= podFinishedAt(last))) result.set(ix, p);
  }
  return result;
}
