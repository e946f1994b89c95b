/**
 * The Recreate strategy (kube's recreate.go): every old ReplicaSet goes to zero, and the new
 * one is created and scaled up only once no old pod is left that is not finished, pods still
 * terminating included, so old and new never run side by side.
 */
import type { KubeObject } from '../../../schemas/types';
import { cleanupDeployment } from './history';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set';
import { syncRolloutStatus } from './progress';
import { actualReplicaCount, deploymentComplete, filterActive } from './replica-sets';
import { scaleReplicaSetAndRecordEvent } from './scale';
import type { SyncContext } from './sync-context';
import { desiredReplicas, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/** PodsByReplicaSet maps a ReplicaSet's uid to the pods it controls. */
export type PodsByReplicaSet = Map<string, readonly Readonly<KubeObject>[]>;

/** rolloutRecreate runs one pass of a Recreate rollout. */
export async function rolloutRecreate(ctx: SyncContext, rss: readonly RS[], pods: PodsByReplicaSet): Promise<void> {
  let { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, false);
  let scaledDown = false;
  const remaining: RS[] = [];
  for (const rs of olds) {
    if (filterActive([rs]).length) {
      const r = await scaleReplicaSetAndRecordEvent(ctx, rs, 0);
      scaledDown ||= r.scaled;
      remaining.push(r.rs);
    } else remaining.push(rs);
  }
  olds = remaining;
  if (scaledDown || oldPodsRunning(fresh, olds, pods)) return syncRolloutStatus(ctx, [...olds, fresh], fresh);
  if (!fresh) ({ fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, true));
  const up = await scaleReplicaSetAndRecordEvent(ctx, fresh!, desiredReplicas(ctx.d));
  const all = [...olds, up.rs];
  // As kube, on the status stored by an earlier pass: history is trimmed once the rollout is seen complete.
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) await cleanupDeployment(ctx, olds);
  return syncRolloutStatus(ctx, all, up.rs);
}

// oldPodsRunning is true while an old ReplicaSet reports pods or owns a pod that has not finished.
function oldPodsRunning(fresh: RS | undefined, olds: readonly RS[], pods: PodsByReplicaSet): boolean {
  if (actualReplicaCount(olds) > 0) return true;
  for (const [uid, list] of pods) {
    if (fresh && fresh.metadata?.uid === uid) continue;
    for (const pod of list) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') return true;
    }
  }
  return false;
}
