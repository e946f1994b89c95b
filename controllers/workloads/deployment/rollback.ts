/**
 * The deprecated server-side rollback (kube's rollback.go): a Deployment annotated
 * deprecated.deployment.rollback.to=N (0: the previous revision) gets the template and
 * annotations of the ReplicaSet of revision N, and the annotation is removed. kubectl rollout
 * undo does the same on the client; this keeps Deployments written by old clients working.
 */
import { DEPLOYMENTS } from '../../runtime/client';
import { POD_TEMPLATE_HASH_LABEL, ROLLBACK_TO_ANNOTATION, parseRevision, revisionOf, skipCopyAnnotation } from './annotations';
import { equalIgnoreHash } from './hash';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set';
import type { SyncContext } from './sync-context';
import type { ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

// lastRevision is the second-highest revision: the one before the current.
function lastRevision(rss: readonly RS[]): bigint {
  let max = 0n;
  let second = 0n;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v >= max) [second, max] = [max, v];
    else if (v > second) second = v;
  }
  return second;
}

async function clearRollbackTo(ctx: SyncContext): Promise<void> {
  delete ctx.d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION];
  ctx.d = await ctx.client.update(DEPLOYMENTS, ctx.d);
}

/** rollback performs the rollback the annotation asks for, or gives up on it with a Warning event. */
export async function rollback(ctx: SyncContext, rss: readonly RS[]): Promise<void> {
  const { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, true);
  const all = [...olds, ...(fresh ? [fresh] : [])];
  let revision = parseRevision(ctx.d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION]) ?? 0n;
  if (revision === 0n) revision = lastRevision(all);
  const target = revision ? all.find((rs) => revisionOf(rs) === revision) : undefined;
  const d = ctx.d;
  if (!target) {
    void ctx.recorder.event(d, 'Warning', 'DeploymentRollbackRevisionNotFound', revision ? 'Unable to find the revision to rollback to.' : 'Unable to find last revision.');
    return clearRollbackTo(ctx);
  }
  if (equalIgnoreHash(d.spec?.template, target.spec?.template)) {
    void ctx.recorder.event(d, 'Warning', 'DeploymentRollbackTemplateUnchanged', `The rollback revision contains the same template as current deployment "${d.metadata?.name}"`);
    return clearRollbackTo(ctx);
  }
  const template = structuredClone(target.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  d.spec = { ...d.spec, template };
  const kept = Object.fromEntries(Object.entries(d.metadata?.annotations ?? {}).filter(([k]) => skipCopyAnnotation(k)));
  const copied = Object.fromEntries(Object.entries(target.metadata?.annotations ?? {}).filter(([k]) => !skipCopyAnnotation(k)));
  d.metadata = { ...d.metadata, annotations: { ...kept, ...copied } };
  await clearRollbackTo(ctx);
  void ctx.recorder.event(d, 'Normal', 'DeploymentRollback', `Rolled back deployment "${d.metadata?.name}" to revision ${revision}`);
}
