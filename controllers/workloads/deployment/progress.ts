/**
 * A Deployment's status and its Progressing condition (kube's sync.go calculateStatus and
 * progress.go): counts summed over its ReplicaSets, Available while at least
 * replicas - maxUnavailable pods are available, Progressing refreshed whenever the rollout moves
 * and turned to ProgressDeadlineExceeded when it has not moved for progressDeadlineSeconds.
 */
import { jsonEqual } from '../../../schemas/meta/json';
import { DEPLOYMENTS } from '../../runtime/client';
import { REASONS, getCondition, newCondition, removeCondition, setCondition } from './conditions';
import { actualReplicaCount, availableReplicaCount, deploymentComplete, maxUnavailable, readyReplicaCount, replicaCount } from './replica-sets';
import type { SyncContext } from './sync-context';
import { desiredReplicas, type Deployment, type DeploymentStatus, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/** hasProgressDeadline is true when progressDeadlineSeconds is set and not the "never" MaxInt32. */
export function hasProgressDeadline(d: Readonly<Deployment>): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** calculateStatus is the Deployment's status for its ReplicaSets, conditions carried over and Available set. */
export function calculateStatus(all: readonly (RS | undefined)[], fresh: RS | undefined, d: Readonly<Deployment>, now: number): DeploymentStatus {
  const available = availableReplicaCount(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(all),
    updatedReplicas: actualReplicaCount([fresh]),
    readyReplicas: readyReplicaCount(all),
    availableReplicas: available,
    // More available than wanted (while scaling down) is not negative unavailability.
    unavailableReplicas: Math.max(0, replicaCount(all) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= desiredReplicas(d) - maxUnavailable(d)) setCondition(status, newCondition('Available', 'True', REASONS.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  else setCondition(status, newCondition('Available', 'False', REASONS.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  return status;
}

// progressing is true when the rollout moved since the stored status: more updated, fewer old, more ready or available.
function progressing(d: Readonly<Deployment>, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function timedOut(d: Readonly<Deployment>, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status, 'Progressing');
  if (!c) return false;
  if (c.reason === REASONS.newReplicaSetAvailable) return false;
  if (c.reason === REASONS.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return Number.isFinite(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/** writeStatusIfChanged writes next as the Deployment's status when it differs from the stored one. */
export async function writeStatusIfChanged(ctx: SyncContext, next: DeploymentStatus): Promise<boolean> {
  if (jsonEqual(ctx.d.status ?? {}, next)) return false;
  ctx.d = await ctx.client.updateStatus(DEPLOYMENTS, { ...ctx.d, status: next });
  return true;
}

/** syncDeploymentStatus writes the calculated status (a scaling or paused pass: no progress estimate). */
export async function syncDeploymentStatus(ctx: SyncContext, all: readonly (RS | undefined)[], fresh: RS | undefined): Promise<void> {
  await writeStatusIfChanged(ctx, calculateStatus(all, fresh, ctx.d, ctx.now()));
}

/**
 * syncRolloutStatus writes the status of a rollout pass, Progressing and ReplicaFailure
 * included, and asks for a look again when the progress deadline would pass with no event.
 */
export async function syncRolloutStatus(ctx: SyncContext, all: readonly (RS | undefined)[], fresh: RS | undefined): Promise<void> {
  const d = ctx.d;
  const now = ctx.now();
  const next = calculateStatus(all, fresh, d, now);
  if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = next.replicas === next.updatedReplicas && current?.reason === REASONS.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = fresh ? `ReplicaSet "${fresh.metadata?.name}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, next)) {
      setCondition(next, newCondition('Progressing', 'True', REASONS.newReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (progressing(d, next)) {
      // Progress refreshes lastUpdateTime even with an unchanged reason; the transition time stays while it was True.
      const condition = newCondition('Progressing', 'True', REASONS.replicaSetUpdated, `${subject} is progressing.`, now);
      if (current?.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
      removeCondition(next, 'Progressing');
      setCondition(next, condition);
    } else if (timedOut(d, next, now)) {
      setCondition(next, newCondition('Progressing', 'False', REASONS.timedOut, `${subject} has timed out progressing.`, now));
    }
  }
  // A ReplicaSet's ReplicaFailure (the new one's first) is the Deployment's.
  const failure = [fresh, ...all.filter((rs) => rs !== fresh)]
    .map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure'))
    .find((c) => c);
  if (failure) {
    setCondition(next, {
      type: 'ReplicaFailure',
      status: failure.status as 'True' | 'False' | 'Unknown',
      lastUpdateTime: failure.lastTransitionTime as string | undefined,
      lastTransitionTime: failure.lastTransitionTime as string | undefined,
      reason: failure.reason as string | undefined,
      message: failure.message as string | undefined,
    });
  } else removeCondition(next, 'ReplicaFailure');
  if (!(await writeStatusIfChanged(ctx, next))) requeueIfStuck(ctx, next);
}

// requeueIfStuck asks for a look when the progress deadline passes: nothing else would wake a
// rollout whose pods never become ready.
function requeueIfStuck(ctx: SyncContext, next: DeploymentStatus): void {
  const d = ctx.d;
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return;
  if (deploymentComplete(d, next) || current.reason === REASONS.timedOut) return;
  const last = Date.parse(current.lastUpdateTime ?? '');
  if (!Number.isFinite(last)) return;
  const after = last + d.spec!.progressDeadlineSeconds! * 1000 - ctx.now();
  // Just past the deadline, so the strict comparison holds; never a tight loop (kube re-adds it rate-limited).
  ctx.requeueAfter = Math.max(after + 1, 200);
}
