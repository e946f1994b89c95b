/**
 * The status rules of the workload kinds, as kube's ValidateReplicaSetStatusUpdate,
 * ValidateReplicationControllerStatusUpdate, ValidateDeploymentStatusUpdate,
 * ValidateStatefulSetStatusUpdate and ValidateDaemonSetStatusUpdate check them on a write to
 * /status: counts are never negative, none exceeds status.replicas, availability never exceeds
 * readiness, and collisionCount never goes down. A controller (ours or anyone's) that reports
 * an impossible status is refused with 422 rather than stored.
 */
import type { FieldError, KubeObject } from '../types';
import { invalid, isObj, nonNegative, type Obj } from './field-errors';

const GREATER_THAN_REPLICAS = 'cannot be greater than status.replicas';

function statusOf(obj: Readonly<KubeObject> | undefined): Obj {
  return obj && isObj(obj.status) ? (obj.status as Obj) : {};
}

function count(status: Obj, key: string): number {
  return typeof status[key] === 'number' ? (status[key] as number) : 0;
}

function nonNegatives(status: Obj, keys: string[]): FieldError[] {
  return keys.flatMap((k) => nonNegative(status[k], `status.${k}`));
}

// notAbove reports each count greater than status.replicas, then availability above readiness.
function notAbove(status: Obj, keys: string[], readyMessage: string): FieldError[] {
  const replicas = count(status, 'replicas');
  const errs = keys.filter((k) => count(status, k) > replicas).map((k) => invalid(`status.${k}`, String(count(status, k)), GREATER_THAN_REPLICAS));
  if (count(status, 'availableReplicas') > count(status, 'readyReplicas')) errs.push(invalid('status.availableReplicas', String(count(status, 'availableReplicas')), readyMessage));
  return errs;
}

// collisionCountKept is IsDecremented on status.collisionCount (absent after present counts as a decrement).
function collisionCountKept(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const before = statusOf(old).collisionCount;
  const after = statusOf(obj).collisionCount;
  if (typeof before !== 'number') return [];
  if (typeof after === 'number' && after >= before) return [];
  return [invalid('status.collisionCount', String(typeof after === 'number' ? after : 0), 'cannot be decremented')];
}

/** validateReplicaSetStatus serves ReplicaSets and ReplicationControllers, whose status rules are the same. */
export function validateReplicaSetStatus(obj: KubeObject): FieldError[] {
  const s = statusOf(obj);
  return [
    ...nonNegatives(s, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']),
    ...notAbove(s, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], 'cannot be greater than readyReplicas'),
  ];
}

/** validateDeploymentStatus is ValidateDeploymentStatusUpdate's status part. */
export function validateDeploymentStatus(obj: KubeObject, old?: KubeObject): FieldError[] {
  const s = statusOf(obj);
  return [
    ...nonNegatives(s, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount']),
    ...notAbove(s, ['updatedReplicas', 'readyReplicas', 'availableReplicas'], 'cannot be greater than readyReplicas'),
    ...collisionCountKept(obj, old),
  ];
}

/** validateStatefulSetStatus is ValidateStatefulSetStatusUpdate's status part. */
export function validateStatefulSetStatus(obj: KubeObject, old?: KubeObject): FieldError[] {
  const s = statusOf(obj);
  return [
    ...nonNegatives(s, ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']),
    ...notAbove(s, ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'], 'cannot be greater than status.readyReplicas'),
    ...collisionCountKept(obj, old),
  ];
}

/** validateDaemonSetStatus is ValidateDaemonSetStatusUpdate's status part. */
export function validateDaemonSetStatus(obj: KubeObject, old?: KubeObject): FieldError[] {
  const s = statusOf(obj);
  return [
    ...nonNegatives(s, ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']),
    ...collisionCountKept(obj, old),
  ];
}
