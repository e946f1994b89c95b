/**
 * A Job's status as its controller computes it: the succeeded and failed indexes, the backoff
 * limits, the counters fed from uncountedTerminatedPods, and the conditions (kube's
 * ensureJobConditionStatus and newCondition).
 */
import type { KubeObject } from '../../schemas/types';
import { Intervals, completionIndex, indexFailureCount } from './job-indexes';
import { findCondition, isPodFailed, matchPodFailurePolicy, podStatusOf, rfc3339, type JobCondition, type JobSpec, type JobStatus } from './job-policies';
import { hasTrackingFinalizer, num } from './job-pods';

/** succeededIndexes answers the indexes in status and those with the ones succeeded since. */
export function succeededIndexes(job: Readonly<KubeObject>, completions: number, pods: readonly Readonly<KubeObject>[]): [Intervals, Intervals] {
  const prev = Intervals.parse(statusOfJob(job).completedIndexes, completions);
  const found = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (podStatusOf(p).phase === 'Succeeded' && ix >= 0 && ix < completions && hasTrackingFinalizer(p)) found.add(ix);
  }
  return [prev, prev.withIndexes([...found].sort((a, b) => a - b))];
}

/** isIndexFailed: the pod failed its index for good (FailIndex, or backoffLimitPerIndex used up). */
export function isIndexFailed(spec: JobSpec, pod: Readonly<KubeObject>): boolean {
  let counted = false;
  if (isPodFailed(pod, spec)) {
    const m = matchPodFailurePolicy(spec, pod);
    if (m.action === 'FailIndex') return true;
    counted = m.countFailed;
  }
  return counted && indexFailureCount(pod) >= num(spec.backoffLimitPerIndex);
}

/** pastBackoffLimitOnFailure sums the container restarts of running pods when they restart in place. */
export function pastBackoffLimitOnFailure(spec: JobSpec, pods: readonly Readonly<KubeObject>[], backoffLimit: number): boolean {
  if ((spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    const s = podStatusOf(p);
    if (s.phase !== 'Running' && s.phase !== 'Pending') continue;
    for (const c of [...(Array.isArray(s.initContainerStatuses) ? s.initContainerStatuses : []), ...(Array.isArray(s.containerStatuses) ? s.containerStatuses : [])]) restarts += num(c?.restartCount);
  }
  return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
}

/** countUncounted moves the uncounted pods that no longer hold a finalizer into the counters; true when it changed status. */
export function countUncounted(job: KubeObject, withFinalizer: Set<string>): boolean {
  const status = statusOfJob(job);
  const uncounted = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const field of ['succeeded', 'failed'] as const) {
    const before = uncounted[field] ?? [];
    const kept = before.filter((uid) => withFinalizer.has(uid));
    if (kept.length === before.length) continue;
    changed = true;
    const total = num(status[field]) + before.length - kept.length;
    if (total) status[field] = total;
    else delete status[field];
    if (kept.length) uncounted[field] = kept;
    else delete uncounted[field];
  }
  return changed;
}

/** ensureCondition sets a condition (kube's ensureJobConditionStatus), answering the list and whether it changed. */
export function ensureCondition(list: JobCondition[] | undefined, type: string, status: string, reason: string | undefined, message: string | undefined, now: number): [JobCondition[], boolean] {
  const conditions = Array.isArray(list) ? [...list] : [];
  const i = conditions.findIndex((c) => c?.type === type);
  if (i >= 0) {
    const c = conditions[i];
    if (c.status !== status || (c.reason ?? '') !== (reason ?? '') || (c.message ?? '') !== (message ?? '')) {
      conditions[i] = condition(type, status, reason, message, now);
      return [conditions, true];
    }
    return [conditions, false];
  }
  // Going from no condition to a False one says nothing: it is not added.
  if (status !== 'False') return [[...conditions, condition(type, status, reason, message, now)], true];
  return [conditions, false];
}

/** condition makes a Job condition probed and transitioned now. */
export function condition(type: string, status: string, reason: string | undefined, message: string | undefined, now: number): JobCondition {
  const c: JobCondition = { type, status, lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** trueCondition answers the Job's condition of a type when it is True. */
export function trueCondition(job: Readonly<KubeObject>, type: string): JobCondition | undefined {
  const c = findCondition(job, type);
  return c?.status === 'True' ? c : undefined;
}

/** isSuccessCriteriaMet is true for a True SuccessCriteriaMet condition. */
export function isSuccessCriteriaMet(c: JobCondition | undefined): boolean {
  return c?.type === 'SuccessCriteriaMet' && c.status === 'True';
}

/** statusOfJob is the Job's status (the object itself, for writing). */
export function statusOfJob(job: Readonly<KubeObject>): JobStatus {
  return (job.status ?? {}) as JobStatus;
}
