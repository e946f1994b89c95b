/**
 * A StatefulSet's status, the pod states it counts, and which pods a RollingUpdate replaces
 * next, as kube's stateful_set_control.go (computeReplicaStatus, completeRollingUpdate,
 * updateStatefulSet, updateWithMaxUnavailable) and stateful_set_utils.go define them.
 */
import type { KubeObject } from '../../schemas/types';
import type { HistoryResult } from './controller-history';
import { isAvailable, isReady } from './replicaset';
import { revisionOf, specOf } from './statefulset-pods';

/**
 * computeStatus is a StatefulSet's status for its pods and revisions (as kube's
 * computeReplicaStatus and completeRollingUpdate): a RollingUpdate whose pods all run the
 * update revision and are ready makes the update revision current.
 */
export function computeStatus(set: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[], history: HistoryResult, now: number): Record<string, unknown> {
  const spec = specOf(set);
  const minReady = spec.minReadySeconds ?? 0;
  const current = history.current.metadata!.name!;
  const update = history.update.metadata!.name!;
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let currentReplicas = 0;
  let updatedReplicas = 0;
  for (const pod of pods) {
    const created = !!phaseOf(pod);
    if (created) replicas++;
    if (isRunningAndReady(pod)) {
      ready++;
      if (isAvailable(pod, minReady, now)) available++;
    }
    if (created && !pod.metadata?.deletionTimestamp) {
      if (revisionOf(pod) === current) currentReplicas++;
      if (revisionOf(pod) === update) updatedReplicas++;
    }
  }
  let currentRevision = current;
  if (spec.updateStrategy?.type !== 'OnDelete' && updatedReplicas === replicas && ready === replicas) {
    currentReplicas = updatedReplicas;
    currentRevision = update;
  }
  // Field order and omissions as kube's StatefulSetStatus serialises them.
  const status: Record<string, unknown> = {};
  status.observedGeneration = set.metadata?.generation ?? 0;
  status.replicas = replicas;
  if (ready) status.readyReplicas = ready;
  if (currentReplicas) status.currentReplicas = currentReplicas;
  if (updatedReplicas) status.updatedReplicas = updatedReplicas;
  status.currentRevision = currentRevision;
  status.updateRevision = update;
  status.collisionCount = history.collisionCount;
  status.availableReplicas = available;
  const conditions = (set.status as { conditions?: unknown[] } | undefined)?.conditions;
  if (conditions?.length) status.conditions = conditions;
  return status;
}

/** phaseOf is a pod's status.phase; empty until the API server has stored the pod. */
export function phaseOf(pod: Readonly<KubeObject>): string | undefined {
  return (pod.status as { phase?: string } | undefined)?.phase;
}

/** isFinished is true for a Failed or Succeeded pod: a StatefulSet replaces it. */
export function isFinished(pod: Readonly<KubeObject>): boolean {
  const phase = phaseOf(pod);
  return phase === 'Failed' || phase === 'Succeeded';
}

/** isRunningAndReady is true for a Running pod whose Ready condition is True. */
export function isRunningAndReady(pod: Readonly<KubeObject>): boolean {
  return phaseOf(pod) === 'Running' && isReady(pod);
}

/** isHealthy is running, ready and not terminating. */
export function isHealthy(pod: Readonly<KubeObject>): boolean {
  return isRunningAndReady(pod) && !pod.metadata?.deletionTimestamp;
}

/**
 * rollingUpdateVictims answers the pods a RollingUpdate deletes now, of replicas (indexed from
 * the start ordinal, undefined where a pod is missing). Only indexes at or above partition
 * change. Without maxUnavailable: the highest pod not at updateRevision, and only once every
 * pod above it is healthy. With it: up to maxUnavailable pods of that range unhealthy at once,
 * the highest stale ones first.
 */
export function rollingUpdateVictims(
  replicas: ReadonlyArray<Readonly<KubeObject> | undefined>,
  updateRevision: string,
  partition: number,
  maxUnavailable?: number | string,
): Readonly<KubeObject>[] {
  const stale = (p: Readonly<KubeObject>) => revisionOf(p) !== updateRevision && !p.metadata?.deletionTimestamp;
  const from = Math.max(0, partition);
  if (maxUnavailable === undefined) {
    for (let target = replicas.length - 1; target >= from; target--) {
      const pod = replicas[target];
      if (!pod) return [];
      if (stale(pod)) return [pod];
      if (!isHealthy(pod)) return [];
    }
    return [];
  }
  const budget = scaledValue(maxUnavailable, replicas.length);
  const range = replicas.slice(from);
  const unavailable = range.filter((p) => !p || !isHealthy(p)).length;
  if (unavailable >= budget) return [];
  return range
    .filter((p): p is Readonly<KubeObject> => !!p && stale(p))
    .reverse()
    .slice(0, budget - unavailable);
}

// scaledValue resolves an int-or-percent against total, percentages rounded up, at least 1.
function scaledValue(value: number | string, total: number): number {
  const n = typeof value === 'number' ? value : /^\d+%$/.test(value) ? Math.ceil((Number(value.slice(0, -1)) * total) / 100) : Number(value);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}
