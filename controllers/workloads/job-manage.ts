/**
 * The pod side of a Job sync (kube's manageJob, deleteActivePods, deleteJobPods): it creates pods
 * from the template up to parallelism and the completions still wanted, after the pod-failure
 * backoff (per Job, or per index with backoffLimitPerIndex), and deletes the pods a suspended,
 * finished or scaled-down Job no longer needs. Creates and deletes are recorded as expectations,
 * so a sync that runs before the cache shows them does not repeat them.
 */
import type { KubeObject } from '../../schemas/types';
import { PODS, hasCause, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import { newControllerRef } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Expectations } from '../runtime/expectations';
import type { Clock } from '../runtime/work-queue';
import { MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS, remainingBackoff } from './job-backoff';
import {
  COMPLETION_INDEX_ANNOTATION,
  INDEX_FAILURE_COUNT_ANNOTATION,
  INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  firstPendingIndexes,
  indexAbsoluteFailureCount,
  indexFailureCount,
  indexIgnoredFailureCount,
  indexesOf,
  podGenerateNameWithIndex,
} from './job-indexes';
import { activePodsForRemoval, hasTrackingFinalizer, isTerminating, message, num, podTemplate, type PodTemplate } from './job-pods';
import { JOB_TRACKING_FINALIZER, capDelay, isPodReady, matchPodFailurePolicy, onlyReplaceFailedPods, type JobSpec } from './job-policies';
import type { SyncState } from './job-sync';
import { slowStartBatch } from './replicaset';

/** MAX_POD_CREATE_DELETE_PER_SYNC bounds the pods one sync creates or deletes. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

/** JobPodControlDeps is what JobPodControl needs from its controller. */
export interface JobPodControlDeps {
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  expectations: Expectations;
  /** requeue syncs the Job of key again after ms */
  requeue: (key: string, ms: number) => void;
  /** batchMs is the shortest delay of a requeue (kube's syncJobBatchPeriod) */
  batchMs: number;
  podFailureBackoffMs?: number;
  maxPodFailureBackoffMs?: number;
}

/** DeleteResult is how many pods a delete call removed, how many of them were ready, and the first error. */
export interface DeleteResult {
  deleted: number;
  deletedReady: number;
  error?: unknown;
}

/** JobPodControl creates and deletes the pods of Jobs. */
export class JobPodControl {
  // failureSeen remembers when a failed pod was first seen, for the per-index backoff.
  private readonly failureSeen = new Map<string, number>();

  constructor(private readonly deps: JobPodControlDeps) {}

  /** podGone forgets what was remembered about a deleted pod. */
  podGone(uid: string): void {
    this.failureSeen.delete(uid);
  }

  /** manageJob creates or deletes pods so the Job runs as many as it should; it answers the active count. */
  async manageJob(state: SyncState): Promise<number> {
    const { job, spec, key } = state;
    const { clock, expectations } = this.deps;
    const active = state.activePods.length;
    const parallelism = num(spec.parallelism);
    if (spec.suspend) {
      return this.removeActive(state, activePodsForRemoval(spec, state.activePods, active, clock.now()));
    }
    let wantActive: number;
    if (typeof spec.completions !== 'number') wantActive = state.succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(spec.completions - state.succeeded, parallelism));

    const victims = activePodsForRemoval(spec, state.activePods, Math.max(0, active - wantActive), clock.now()).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    // A sync either deletes or creates, deletions first (as kube).
    if (victims.length) return this.removeActive(state, victims);
    const terminating = onlyReplaceFailedPods(spec) ? state.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    const indexed = spec.completionMode === 'Indexed';
    const perIndex = typeof spec.backoffLimitPerIndex === 'number';
    const now = clock.now();
    const base = this.deps.podFailureBackoffMs ?? POD_FAILURE_BACKOFF_MS;
    const max = this.deps.maxPodFailureBackoffMs ?? MAX_POD_FAILURE_BACKOFF_MS;
    if (!perIndex) {
      const remaining = remainingBackoff(now, base, max, state.newBackoff.failuresAfterLastSuccess, state.newBackoff.lastFailureTime);
      if (remaining > 0) {
        this.deps.requeue(key, capDelay(Math.max(remaining, this.deps.batchMs)));
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
          this.deps.requeue(key, capDelay(Math.max(soonest, this.deps.batchMs)));
          return active;
        }
        indexes = ready;
      }
      diff = indexes.length;
    }
    if (diff <= 0) return active;
    expectations.expectCreations(key, diff);
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
        else expectations.creationObserved(key);
      } catch (err) {
        expectations.creationObserved(key);
        firstError ??= err;
        throw err;
      }
    });
    // Creates never attempted after a failing batch will never be observed.
    for (let i = attempts; i < diff; i++) expectations.creationObserved(key);
    if (firstError) {
      state.activeAfterManage = active + created;
      throw firstError;
    }
    return active + created;
  }

  // removeActive deletes active pods of the Job and answers how many stay active; on a failed
  // delete it records that count for the status write and rethrows.
  private async removeActive(state: SyncState, victims: Array<Readonly<KubeObject>>): Promise<number> {
    const active = state.activePods.length;
    this.deps.expectations.expectDeletions(state.key, victims.map(objectKey));
    const { deleted, deletedReady, error } = await this.deletePods(state.job, victims, true, state.key);
    state.terminating += deleted;
    state.ready -= deletedReady;
    if (error) {
      state.activeAfterManage = active - deleted;
      throw error;
    }
    return active - deleted;
  }

  // failureSeenAt is when this controller first saw a failed pod (see job-backoff.ts for why not its finish time).
  private failureSeenAt(pod: Readonly<KubeObject>, now: number): number {
    const uid = pod.metadata?.uid ?? '';
    const seen = this.failureSeen.get(uid);
    if (seen !== undefined) return seen;
    this.failureSeen.set(uid, now);
    return now;
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
      const created = await this.deps.client.create(PODS, job.metadata!.namespace, pod);
      void this.deps.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata!.name}`);
      return true;
    } catch (err) {
      // A terminating namespace takes no pods; nothing to retry.
      if (hasCause(err, 'NamespaceTerminating')) return false;
      void this.deps.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${message(err)}`);
      throw err;
    }
  }

  /**
   * deletePods deletes pods, first removing their finalizer when asked (kube's deleteJobPods) or
   * keeping it so the pod is still counted (deleteActivePods); a pod already gone counts as deleted.
   */
  async deletePods(job: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[], removeFinalizer: boolean, expectationsKey?: string): Promise<DeleteResult> {
    const { client, recorder, expectations } = this.deps;
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (removeFinalizer) await this.removeFinalizer(pod);
          await client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, { preconditions: { uid: pod.metadata!.uid } });
          void recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
          deleted++;
          if (isPodReady(pod)) deletedReady++;
        } catch (err) {
          if (expectationsKey) expectations.deletionObserved(expectationsKey, objectKey(pod));
          if (isNotFound(err) || isConflict(err)) {
            deleted++;
            if (isPodReady(pod)) deletedReady++;
            return;
          }
          void recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${message(err)}`);
          error ??= err;
        }
      }),
    );
    return { deleted, deletedReady, error };
  }

  /** removeFinalizer takes the tracking finalizer off a pod; a pod already gone is not an error. */
  async removeFinalizer(pod: Readonly<KubeObject>): Promise<void> {
    if (!hasTrackingFinalizer(pod)) return;
    try {
      await this.deps.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
