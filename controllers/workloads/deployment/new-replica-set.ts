/**
 * Finding or creating a Deployment's new ReplicaSet (kube's getNewReplicaSet): the one whose
 * template is the Deployment's; its revision raised above every old one, the Deployment's
 * annotations copied on, and the Deployment's revision annotation following it. A missing one
 * is created as <deployment>-<pod-template-hash> with the hash label on its selector and
 * template; a name taken by a ReplicaSet with another template raises collisionCount, so the
 * next attempt hashes to another name.
 */
import { DEPLOYMENTS, REPLICA_SETS, hasCause, isAlreadyExists } from '../../runtime/client';
import { controllerRefOf, newControllerRef } from '../../runtime/controller-ref';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations } from './annotations';
import { REASONS, getCondition, newCondition, setCondition } from './conditions';
import { computeHash, equalIgnoreHash } from './hash';
import { hasProgressDeadline } from './progress';
import { findNewReplicaSet, findOldReplicaSets, maxSurge, newRSNewReplicas } from './replica-sets';
import type { SyncContext } from './sync-context';
import type { ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/** NewAndOld is a Deployment's new ReplicaSet (if any) and all the others. */
export interface NewAndOld {
  fresh: RS | undefined;
  olds: RS[];
}

/** getAllReplicaSetsAndSyncRevision answers the new and old ReplicaSets, creating the new one if asked. */
export async function getAllReplicaSetsAndSyncRevision(ctx: SyncContext, rss: readonly RS[], createIfMissing: boolean): Promise<NewAndOld> {
  const olds = findOldReplicaSets(ctx.d, rss);
  const fresh = await getNewReplicaSet(ctx, rss, olds, createIfMissing);
  return { fresh, olds };
}

async function writeStatus(ctx: SyncContext): Promise<void> {
  ctx.d = await ctx.client.updateStatus(DEPLOYMENTS, ctx.d);
}

async function getNewReplicaSet(ctx: SyncContext, rss: readonly RS[], olds: readonly RS[], createIfMissing: boolean): Promise<RS | undefined> {
  const d = ctx.d;
  const existing = findNewReplicaSet(d, rss);
  const newRevision = maxRevision(olds) + 1n;
  if (existing) {
    const copy = structuredClone(existing) as ReplicaSet;
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true, maxSurge(d));
    const minReadySeconds = d.spec?.minReadySeconds ?? 0;
    if (annotationsChanged || (copy.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
      copy.spec = { ...copy.spec, minReadySeconds };
      // The Deployment's revision follows on the next pass, from the stored ReplicaSet.
      return ctx.client.update(REPLICA_SETS, copy);
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
    // A Deployment that had no Progressing condition (its deadline newly set) starts counting now.
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', REASONS.foundNewReplicaSet, `Found new replica set "${copy.metadata?.name}"`, ctx.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await writeStatus(ctx);
    return existing;
  }
  if (!createIfMissing) return undefined;

  const hash = computeHash(d.spec?.template, d.status?.collisionCount);
  const template = structuredClone(d.spec?.template ?? {});
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata!.name}-${hash}`,
      namespace: d.metadata!.namespace,
      // The labels of the template, hash included, as kube's new ReplicaSets carry them.
      labels: { ...template.metadata.labels },
      ownerReferences: [{ ...newControllerRef(d) }],
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  rs.spec!.replicas = newRSNewReplicas(d, [...olds, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, false, maxSurge(d));

  let created: RS;
  let alreadyExisted = false;
  try {
    created = await ctx.client.create(REPLICA_SETS, d.metadata!.namespace, rs);
  } catch (err) {
    if (isAlreadyExists(err)) {
      // The cache may be behind: the name may be ours, with our template. Otherwise it collides.
      const found = await ctx.client.get<ReplicaSet>(REPLICA_SETS, d.metadata!.namespace, rs.metadata!.name!);
      if (controllerRefOf(found)?.uid === d.metadata?.uid && equalIgnoreHash(found.spec?.template, d.spec?.template)) {
        created = found;
        alreadyExisted = true;
      } else {
        d.status ??= {};
        d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
        await writeStatus(ctx);
        throw new Error(`replica set ${rs.metadata!.name} exists with another template: collisionCount raised to ${ctx.d.status?.collisionCount}`);
      }
    } else {
      if (hasCause(err, 'NamespaceTerminating')) throw err;
      const msg = `Failed to create new replica set "${rs.metadata!.name}": ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) {
        d.status ??= {};
        setCondition(d.status, newCondition('Progressing', 'False', REASONS.replicaSetCreateError, msg, ctx.now()));
        await writeStatus(ctx).catch(() => undefined);
      }
      void ctx.recorder.event(d, 'Warning', REASONS.replicaSetCreateError, msg);
      throw err;
    }
  }
  const replicas = created.spec?.replicas ?? 0;
  if (!alreadyExisted && replicas > 0) void ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name} from 0 to ${replicas}`);
  let needsUpdate = setDeploymentRevision(ctx.d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(ctx.d)) {
    ctx.d.status ??= {};
    setCondition(ctx.d.status, newCondition('Progressing', 'True', REASONS.newReplicaSetCreated, `Created new replica set "${created.metadata?.name}"`, ctx.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await writeStatus(ctx);
  return created;
}
