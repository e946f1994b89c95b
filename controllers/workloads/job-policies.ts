/**
 * The parts of a batch/v1 Job the Job, CronJob and TTL-after-finished controllers share: the
 * shapes they read, the Job conditions (kube's pkg/controller/job/util), podFailurePolicy and
 * successPolicy matching (pod_failure_policy.go, success_policy.go) and a pod's finish time as
 * the pod-failure backoff reads it (backoff_utils.go). Every reader is defensive: a stored object
 * with a wrong type somewhere answers "no match", never an exception.
 */
import type { KubeObject } from '../../schemas/types';
import { Intervals } from './job-indexes';

/** JOB_TRACKING_FINALIZER keeps a Job's pods until the Job controller has counted them. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** PodFailurePolicyRule is one rule of spec.podFailurePolicy. */
export interface PodFailurePolicyRule {
  action?: string;
  onExitCodes?: { containerName?: string; operator?: string; values?: number[] };
  onPodConditions?: Array<{ type?: string; status?: string }>;
}

/** JobSpec is the part of batch/v1 JobSpec the controllers read. */
export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  completionMode?: string;
  suspend?: boolean;
  ttlSecondsAfterFinished?: number;
  podReplacementPolicy?: string;
  managedBy?: string;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] };
  successPolicy?: { rules?: Array<{ succeededIndexes?: string; succeededCount?: number }> };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: Record<string, unknown> };
}

/** JobCondition is one status.conditions entry of a Job. */
export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** JobStatus is batch/v1 JobStatus. */
export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

interface ContainerStatus {
  name?: string;
  restartCount?: number;
  state?: { terminated?: { exitCode?: number; finishedAt?: string } };
}

/** PodStatus is the part of a pod's status the Job controller reads. */
export interface PodStatus {
  phase?: string;
  conditions?: Array<{ type?: string; status?: string; lastTransitionTime?: string }>;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** specOf reads a Job's spec (an empty one when missing or not an object). */
export function specOf(job: Readonly<KubeObject>): JobSpec {
  return job.spec && typeof job.spec === 'object' ? (job.spec as JobSpec) : {};
}

/** statusOf reads a Job's status (an empty one when missing). */
export function statusOf(job: Readonly<KubeObject>): JobStatus {
  return job.status && typeof job.status === 'object' ? (job.status as JobStatus) : {};
}

/** podStatusOf reads a pod's status. */
export function podStatusOf(pod: Readonly<KubeObject>): PodStatus {
  return pod.status && typeof pod.status === 'object' ? (pod.status as PodStatus) : {};
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** findCondition answers the first condition of a type. */
export function findCondition(job: Readonly<KubeObject>, type: string): JobCondition | undefined {
  return list<JobCondition>(statusOf(job).conditions).find((c) => c && c.type === type);
}

/** finishedCondition answers Complete or Failed when a Job has one that is True. */
export function finishedCondition(job: Readonly<KubeObject>): JobCondition | undefined {
  return list<JobCondition>(statusOf(job).conditions).find((c) => c && (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** isJobFinished is kube's IsJobFinished: a True Complete or Failed condition. */
export function isJobFinished(job: Readonly<KubeObject>): boolean {
  return finishedCondition(job) !== undefined;
}

/** isJobSucceeded is true for a Job whose Complete condition is True. */
export function isJobSucceeded(job: Readonly<KubeObject>): boolean {
  return finishedCondition(job)?.type === 'Complete';
}

/** isPodReady is true for a pod whose Ready condition is True. */
export function isPodReady(pod: Readonly<KubeObject>): boolean {
  return list<{ type?: string; status?: string }>(podStatusOf(pod).conditions).some((c) => c?.type === 'Ready' && c.status === 'True');
}

/** onlyReplaceFailedPods: podReplacementPolicy Failed (or a podFailurePolicy) waits for terminating pods to end. */
export function onlyReplaceFailedPods(spec: JobSpec): boolean {
  return spec.podReplacementPolicy === 'Failed' || spec.podFailurePolicy != null;
}

/** isPodFailed: Failed, or (unless only failed pods are replaced) deleted before it succeeded. */
export function isPodFailed(pod: Readonly<KubeObject>, spec: JobSpec): boolean {
  const phase = podStatusOf(pod).phase;
  if (phase === 'Failed') return true;
  if (onlyReplaceFailedPods(spec)) return false;
  return !!pod.metadata?.deletionTimestamp && phase !== 'Succeeded';
}

/** PolicyMatch is what a failed pod makes of a podFailurePolicy. */
export interface PolicyMatch {
  /** failJobMessage is set when a FailJob rule matched */
  failJobMessage?: string;
  /** countFailed is false when an Ignore rule matched */
  countFailed: boolean;
  action?: string;
}

function exitCodeMatch(statuses: ContainerStatus[], req: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  const values = list<number>(req.values);
  for (const s of statuses) {
    const terminated = s?.state?.terminated;
    if (!terminated) continue;
    if (req.containerName != null && req.containerName !== s.name) continue;
    const code = terminated.exitCode ?? 0;
    if (code === 0) continue;
    if (req.operator === 'In' && values.includes(code)) return s;
    if (req.operator === 'NotIn' && !values.includes(code)) return s;
  }
  return undefined;
}

/** matchPodFailurePolicy applies the first rule that matches a failed pod. */
export function matchPodFailurePolicy(spec: JobSpec, pod: Readonly<KubeObject>): PolicyMatch {
  const policy = spec.podFailurePolicy;
  if (!policy) return { countFailed: true };
  const status = podStatusOf(pod);
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const rules = list<PodFailurePolicyRule>(policy.rules);
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    if (!rule || typeof rule !== 'object') continue;
    let failJobMessage: string | undefined;
    if (rule.onExitCodes && typeof rule.onExitCodes === 'object') {
      const c = exitCodeMatch(list(status.containerStatuses), rule.onExitCodes) ?? exitCodeMatch(list(status.initContainerStatuses), rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${ns}/${name} failed with exit code ${c.state?.terminated?.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (Array.isArray(rule.onPodConditions)) {
      const patterns = rule.onPodConditions;
      const c = list<{ type?: string; status?: string }>(status.conditions).find((pc) => patterns.some((p) => p && pc && p.type === pc.type && (p.status ?? 'True') === pc.status));
      if (!c) continue;
      failJobMessage = `Pod ${ns}/${name} has condition ${c.type} matching ${rule.action} rule at index ${index}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'FailJob':
        return { failJobMessage, countFailed: true, action: 'FailJob' };
    }
  }
  return { countFailed: true };
}

/** matchSuccessPolicy answers kube's "Matched rules at index N" when a successPolicy rule is met. */
export function matchSuccessPolicy(spec: JobSpec, completions: number, succeeded: Intervals): string | undefined {
  const rules = list<{ succeededIndexes?: string; succeededCount?: number }>(spec.successPolicy?.rules);
  if (!spec.successPolicy || succeeded.items.length === 0) return undefined;
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    if (!rule || typeof rule !== 'object') continue;
    const count = typeof rule.succeededCount === 'number' ? rule.succeededCount : undefined;
    if (typeof rule.succeededIndexes === 'string') {
      const required = Intervals.parse(rule.succeededIndexes, completions);
      if (required.items.length === 0) continue;
      let contains = 0;
      for (const r of required.items) for (const s of succeeded.items) contains += Math.max(0, Math.min(r.last, s.last) - Math.max(r.first, s.first) + 1);
      if (contains === required.total() || (count !== undefined && contains >= count)) return `Matched rules at index ${index}`;
    } else if (count !== undefined && succeeded.total() >= count) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}

/**
 * podFinishedAt is when a pod ended, as kube's getFinishedTime reads it: the last container
 * finish, else the Ready=False transition, else the deletion time less its grace period, else
 * the pod's creation. Unparsable times fall through to the next source.
 */
export function podFinishedAt(pod: Readonly<KubeObject>): number {
  const status = podStatusOf(pod);
  const containers = list<ContainerStatus>(status.containerStatuses);
  if (containers.length) {
    let latest: number | undefined;
    for (const c of containers) {
      const t = Date.parse(c?.state?.terminated?.finishedAt ?? '');
      if (!Number.isFinite(t)) {
        latest = undefined;
        break;
      }
      latest = latest === undefined ? t : Math.max(latest, t);
    }
    if (latest !== undefined) return latest;
  }
  const ready = list<{ type?: string; status?: string; lastTransitionTime?: string }>(status.conditions).find((c) => c?.type === 'Ready');
  const readyFalse = ready?.status === 'False' ? Date.parse(ready.lastTransitionTime ?? '') : NaN;
  if (Number.isFinite(readyFalse)) return readyFalse;
  const deleted = Date.parse(pod.metadata?.deletionTimestamp ?? '');
  if (Number.isFinite(deleted)) return deleted - (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
  return Date.parse(pod.metadata?.creationTimestamp ?? '') || 0;
}

/** rfc3339 renders a time as Kubernetes' metav1.Time does: seconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * MAX_REQUEUE_MS caps the delays these controllers requeue with: node's timers take at most
 * 2^31-1 ms (24.8 days) and fire at once beyond that, so a far deadline, schedule or TTL is
 * looked at again daily and recomputed.
 */
export const MAX_REQUEUE_MS = 24 * 3_600_000;

/** capDelay bounds a requeue delay to MAX_REQUEUE_MS. */
export function capDelay(ms: number): number {
  return Math.min(ms, MAX_REQUEUE_MS);
}
