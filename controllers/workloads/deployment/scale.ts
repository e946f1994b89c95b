/**
 * Scaling ReplicaSets for a Deployment: one ReplicaSet to a size (with the replicas
 * annotations and the ScalingReplicaSet event in kube's wording), and the proportional
 * scaling of every active ReplicaSet when the Deployment is resized in the middle of a
 * rollout or while paused, so that each keeps its share (kube's sync.go scale).
 */
import { REPLICA_SETS } from '../../runtime/client';
import { replicasAnnotationsNeedUpdate, setReplicasAnnotations } from './annotations';
import { bySizeNewer, bySizeOlder, filterActive, findActiveOrLatest, isSaturated, maxSurge, proportion, replicaCount } from './replica-sets';
import type { SyncContext } from './sync-context';
import { desiredReplicas, isRollingUpdate, specReplicas, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/**
 * scaleReplicaSet sets rs to newScale replicas and records the Deployment's size on it; it
 * answers the ReplicaSet as stored and whether its size changed. A stale cached copy fails
 * with a Conflict, and the reconcile runs again on fresh state.
 */
export async function scaleReplicaSet(ctx: SyncContext, rs: RS, newScale: number, operation?: 'up' | 'down'): Promise<{ rs: RS; scaled: boolean }> {
  const d = ctx.d;
  const desired = desiredReplicas(d);
  const max = desired + maxSurge(d);
  const oldScale = specReplicas(rs);
  const sizeChanged = oldScale !== newScale;
  if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { rs, scaled: false };
  const copy = structuredClone(rs) as ReplicaSet;
  copy.spec = { ...copy.spec, replicas: newScale };
  setReplicasAnnotations(copy, desired, max);
  const updated = await ctx.client.update(REPLICA_SETS, copy);
  if (sizeChanged) {
    const op = operation ?? (oldScale < newScale ? 'up' : 'down');
    void ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata?.name} from ${oldScale} to ${newScale}`);
  }
  return { rs: updated, scaled: sizeChanged };
}

/** scaleReplicaSetAndRecordEvent scales rs when its size differs from newScale. */
export async function scaleReplicaSetAndRecordEvent(ctx: SyncContext, rs: RS, newScale: number): Promise<{ rs: RS; scaled: boolean }> {
  if (specReplicas(rs) === newScale) return { rs, scaled: false };
  return scaleReplicaSet(ctx, rs, newScale);
}

/**
 * scale resizes a Deployment's ReplicaSets to its spec.replicas: the only active one (or the
 * newest) takes the whole size; with a saturated new ReplicaSet the old ones go to zero;
 * otherwise, for a rolling update, the change is spread in proportion to each ReplicaSet's
 * share of the size it was scaled for (max-replicas), leftovers to the largest.
 */
export async function scale(ctx: SyncContext, fresh: RS | undefined, olds: readonly RS[]): Promise<void> {
  const d = ctx.d;
  const desired = desiredReplicas(d);
  const one = findActiveOrLatest(fresh, olds);
  if (one) {
    if (specReplicas(one) !== desired) await scaleReplicaSetAndRecordEvent(ctx, one, desired);
    return;
  }
  if (isSaturated(d, fresh)) {
    for (const old of filterActive(olds)) await scaleReplicaSetAndRecordEvent(ctx, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...olds, fresh]);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  let operation: 'up' | 'down' | undefined;
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const share = proportion(rs, d, toAdd, added);
    added += share;
    return specReplicas(rs) + share;
  });
  // What rounding left over goes to (or comes from) the largest.
  if (toAdd !== 0 && all.length) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  for (let i = 0; i < all.length; i++) await scaleReplicaSet(ctx, all[i], sizes[i], operation);
}
