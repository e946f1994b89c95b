/**
 * Revision history cleanup (kube's cleanupDeployment): of the old ReplicaSets, all but the
 * newest revisionHistoryLimit are deleted, oldest revision first, but only those fully scaled
 * down, with their status caught up, and not already being deleted.
 */
import { REPLICA_SETS, isNotFound } from '../../runtime/client';
import { byRevision } from './replica-sets';
import type { SyncContext } from './sync-context';
import { specReplicas, type ReplicaSet } from './types';

/** cleanupDeployment deletes the old ReplicaSets beyond spec.revisionHistoryLimit. */
export async function cleanupDeployment(ctx: SyncContext, olds: readonly Readonly<ReplicaSet>[]): Promise<void> {
  const limit = ctx.d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = olds.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
  const diff = cleanable.length - limit;
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await ctx.client.delete(REPLICA_SETS, rs.metadata!.namespace, rs.metadata!.name!, { preconditions: { uid: rs.metadata!.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
