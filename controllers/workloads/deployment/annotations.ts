/**
 * The annotations a Deployment and its ReplicaSets carry (deployment_util.go): the revision
 * of each ReplicaSet (and the revisions it held before a rollback brought it back), the
 * Deployment's size and maximum size when a ReplicaSet was last scaled (read back for
 * proportional scaling), and the Deployment's own annotations, copied onto its new ReplicaSet
 * so that `kubectl rollout history` shows their change-cause.
 */
import type { Deployment, ReplicaSet } from './types';

/** POD_TEMPLATE_HASH_LABEL tells one ReplicaSet's pods from another's. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** REVISION_ANNOTATION is a ReplicaSet's revision, and on a Deployment the revision of its new ReplicaSet. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** REVISION_HISTORY_ANNOTATION lists, comma-separated, the revisions a ReplicaSet held before. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** DESIRED_REPLICAS_ANNOTATION is the Deployment's spec.replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** MAX_REPLICAS_ANNOTATION is the Deployment's replicas plus maxSurge when the ReplicaSet was last scaled. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** ROLLBACK_TO_ANNOTATION is the deprecated extensions/v1beta1 rollback request. */
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** LAST_APPLIED_ANNOTATION is kubectl apply's record, never copied to a ReplicaSet. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** MAX_REVISION_HISTORY_CHARS bounds the revision-history annotation (kube: 2000). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

const SKIPPED = new Set([LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION]);

/** skipCopyAnnotation is true for the annotations a Deployment never copies onto a ReplicaSet. */
export function skipCopyAnnotation(key: string): boolean {
  return SKIPPED.has(key);
}

// Revisions are int64 in kube, and clients set large ones (the conformance test adopts a
// ReplicaSet at revision 3546343826724305832): they are BigInts here, never doubles.
const INT64_MAX = 2n ** 63n - 1n;

/** parseRevision reads an int64 revision, undefined when it is not one. */
export function parseRevision(v: string | undefined): bigint | undefined {
  if (v === undefined || !/^\d{1,19}$/.test(v)) return undefined;
  const n = BigInt(v);
  return n <= INT64_MAX ? n : undefined;
}

/** revisionOf is a ReplicaSet's revision (0 when it has none or it does not parse). */
export function revisionOf(obj: Readonly<ReplicaSet>): bigint {
  return parseRevision(obj.metadata?.annotations?.[REVISION_ANNOTATION]) ?? 0n;
}

/** maxRevision is the highest revision among the ReplicaSets. */
export function maxRevision(rss: readonly Readonly<ReplicaSet>[]): bigint {
  return rss.reduce((m, rs) => (revisionOf(rs) > m ? revisionOf(rs) : m), 0n);
}

function annotationsOf(obj: ReplicaSet | Deployment): Record<string, string> {
  obj.metadata ??= {};
  obj.metadata.annotations ??= {};
  return obj.metadata.annotations;
}

// copyDeploymentAnnotations copies the Deployment's annotations (but the skipped ones) onto rs;
// it never removes one, as kube, so an annotation dropped from the Deployment stays on the RS.
function copyDeploymentAnnotations(d: Readonly<Deployment>, rs: ReplicaSet): boolean {
  const target = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopyAnnotation(k) || target[k] === v) continue;
    target[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * setNewReplicaSetAnnotations brings the new ReplicaSet's annotations in line (mutating rs):
 * the Deployment's copied annotations, the revision raised to newRevision (recording the one it
 * replaces in revision-history, bounded to MAX_REVISION_HISTORY_CHARS), and for a ReplicaSet
 * about to be created its replicas annotations. It answers whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Readonly<Deployment>, rs: ReplicaSet, newRevision: bigint, exists: boolean, maxSurge: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = annotationsOf(rs);
  const oldRevision = annotations[REVISION_ANNOTATION];
  const parsed = parseRevision(oldRevision);
  if (oldRevision && parsed === undefined) return false;
  const oldRevisionNumber = parsed ?? 0n;
  if (oldRevisionNumber < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep what it was.
    if (oldRevision) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      if (!history) annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
      else {
        const old = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < old.length) total -= old[start++].length + 1;
        if (total <= MAX_REVISION_HISTORY_CHARS) annotations[REVISION_HISTORY_ANNOTATION] = [...old.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists) {
    const replicas = d.spec?.replicas ?? 1;
    if (setReplicasAnnotations(rs, replicas, replicas + maxSurge)) changed = true;
  }
  return changed;
}

/** setReplicasAnnotations records desired and max replicas on rs (mutating it); it answers whether they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const annotations = annotationsOf(rs);
  if (annotations[DESIRED_REPLICAS_ANNOTATION] === String(desired) && annotations[MAX_REPLICAS_ANNOTATION] === String(max)) return false;
  annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  annotations[MAX_REPLICAS_ANNOTATION] = String(max);
  return true;
}

/** replicasAnnotationsNeedUpdate is true when rs's replicas annotations are not desired and max. */
export function replicasAnnotationsNeedUpdate(rs: Readonly<ReplicaSet>, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

function intAnnotation(rs: Readonly<ReplicaSet>, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** desiredReplicasAnnotation reads desired-replicas (undefined when absent or malformed). */
export function desiredReplicasAnnotation(rs: Readonly<ReplicaSet>): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** maxReplicasAnnotation reads max-replicas (undefined when absent or malformed). */
export function maxReplicasAnnotation(rs: Readonly<ReplicaSet>): number | undefined {
  return intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
}

/** setDeploymentRevision sets the Deployment's revision annotation (mutating d); it answers whether it changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const annotations = annotationsOf(d);
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}
