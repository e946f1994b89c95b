/**
 * The RollingUpdate strategy (kube's rolling.go): each pass either scales the new ReplicaSet
 * up, as far as maxSurge allows above spec.replicas, or scales old ones down, as far as
 * maxUnavailable allows below it (unhealthy old replicas first); a complete rollout cleans up
 * history. Pods becoming available wake the next pass through their ReplicaSet's status.
 */
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set';
import { cleanupDeployment } from './history';
import { syncRolloutStatus } from './progress';
import { byCreation, countedAvailable, deploymentComplete, filterActive, maxUnavailable, newRSNewReplicas, replicaCount } from './replica-sets';
import { scaleReplicaSetAndRecordEvent } from './scale';
import type { SyncContext } from './sync-context';
import { desiredReplicas, specReplicas, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/** rolloutRolling runs one pass of a rolling update. */
export async function rolloutRolling(ctx: SyncContext, rss: readonly RS[]): Promise<void> {
  const { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, true);
  const newRS = fresh!;
  const all = [...olds, newRS];
  const up = await reconcileNewReplicaSet(ctx, all, newRS);
  if (up.scaled) return syncRolloutStatus(ctx, [...olds, up.rs], up.rs);
  const down = await reconcileOldReplicaSets(ctx, all, filterActive(olds), newRS);
  if (down.scaled) return syncRolloutStatus(ctx, [...down.olds, newRS], newRS);
  // As kube, on the status stored by an earlier pass: history is trimmed once the rollout is seen complete.
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) await cleanupDeployment(ctx, olds);
  return syncRolloutStatus(ctx, all, newRS);
}

async function reconcileNewReplicaSet(ctx: SyncContext, all: readonly RS[], newRS: RS): Promise<{ rs: RS; scaled: boolean }> {
  const desired = desiredReplicas(ctx.d);
  if (specReplicas(newRS) === desired) return { rs: newRS, scaled: false };
  if (specReplicas(newRS) > desired) return scaleReplicaSetAndRecordEvent(ctx, newRS, desired);
  return scaleReplicaSetAndRecordEvent(ctx, newRS, newRSNewReplicas(ctx.d, all, newRS));
}

// reconcileOldReplicaSets scales old ReplicaSets down without going below the minimum
// available, counting the new ReplicaSet's unavailable pods against the budget.
async function reconcileOldReplicaSets(ctx: SyncContext, all: readonly RS[], activeOlds: readonly RS[], newRS: RS): Promise<{ olds: RS[]; scaled: boolean }> {
  const oldCount = replicaCount(activeOlds);
  if (oldCount === 0) return { olds: [...activeOlds], scaled: false };
  const minAvailable = desiredReplicas(ctx.d) - maxUnavailable(ctx.d);
  const newUnavailable = specReplicas(newRS) - countedAvailable(newRS);
  const maxScaledDown = replicaCount(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { olds: [...activeOlds], scaled: false };
  const cleaned = await cleanupUnhealthyReplicas(ctx, activeOlds, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(ctx, [...cleaned.olds, newRS], cleaned.olds);
  return { olds: scaledDown.olds, scaled: cleaned.count + scaledDown.count > 0 };
}

// cleanupUnhealthyReplicas first removes old replicas that are not available: they serve no one.
async function cleanupUnhealthyReplicas(ctx: SyncContext, olds: readonly RS[], maxCleanup: number): Promise<{ olds: RS[]; count: number }> {
  const sorted = [...olds].sort(byCreation);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sorted[i];
    const available = countedAvailable(rs);
    if (specReplicas(rs) === 0 || specReplicas(rs) === available) continue;
    const count = Math.min(maxCleanup - total, specReplicas(rs) - available);
    sorted[i] = (await scaleReplicaSetAndRecordEvent(ctx, rs, specReplicas(rs) - count)).rs;
    total += count;
  }
  return { olds: sorted, count: total };
}

// scaleDownOldReplicaSetsForRollingUpdate scales old ReplicaSets down, oldest first, by as many
// available pods as exceed the minimum available.
async function scaleDownOldReplicaSetsForRollingUpdate(ctx: SyncContext, all: readonly RS[], olds: readonly RS[]): Promise<{ olds: RS[]; count: number }> {
  const minAvailable = desiredReplicas(ctx.d) - maxUnavailable(ctx.d);
  const available = all.reduce((n, rs) => n + countedAvailable(rs), 0);
  const sorted = [...olds].sort(byCreation);
  if (available <= minAvailable) return { olds: sorted, count: 0 };
  const budget = available - minAvailable;
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= budget) break;
    const rs = sorted[i];
    if (specReplicas(rs) === 0) continue;
    const count = Math.min(specReplicas(rs), budget - total);
    sorted[i] = (await scaleReplicaSetAndRecordEvent(ctx, rs, specReplicas(rs) - count)).rs;
    total += count;
  }
  return { olds: sorted, count: total };
}
