/**
 * The arithmetic of a rollout over a Deployment's ReplicaSets (deployment_util.go): which is
 * new and which are old, the replica sums, maxSurge and maxUnavailable resolved against the
 * desired count, and each ReplicaSet's share when the Deployment is scaled mid-rollout.
 */
import { equalIgnoreHash } from './hash';
import { maxReplicasAnnotation, desiredReplicasAnnotation, revisionOf } from './annotations';
import { desiredReplicas, isRollingUpdate, specReplicas, type Deployment, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

function created(rs: RS): number {
  return Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;
}

/** byCreation orders ReplicaSets oldest first, then by name (controller.ReplicaSetsByCreationTimestamp). */
export function byCreation(a: RS, b: RS): number {
  return created(a) - created(b) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0);
}

/** byRevision orders ReplicaSets by revision, then by creation (deploymentutil.ReplicaSetsByRevision). */
export function byRevision(a: RS, b: RS): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  return ra < rb ? -1 : ra > rb ? 1 : byCreation(a, b);
}

/** bySizeNewer orders larger first, newer first among equals (controller.ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: RS, b: RS): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** bySizeOlder orders larger first, older first among equals (controller.ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: RS, b: RS): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** findNewReplicaSet is the oldest ReplicaSet whose template is the Deployment's, ignoring the hash label. */
export function findNewReplicaSet(d: Readonly<Deployment>, rss: readonly RS[]): RS | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** findOldReplicaSets is every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Readonly<Deployment>, rss: readonly RS[]): RS[] {
  const fresh = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs !== fresh);
}

/** filterActive keeps the ReplicaSets that want pods. */
export function filterActive(rss: readonly (RS | undefined)[]): RS[] {
  return rss.filter((rs): rs is RS => !!rs && specReplicas(rs) > 0);
}

const sum = (rss: readonly (RS | undefined)[], f: (rs: RS) => number) => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
/** replicaCount sums spec.replicas. */
export const replicaCount = (rss: readonly (RS | undefined)[]) => sum(rss, specReplicas);
/** actualReplicaCount sums status.replicas. */
export const actualReplicaCount = (rss: readonly (RS | undefined)[]) => sum(rss, (rs) => rs.status?.replicas ?? 0);
/** readyReplicaCount sums status.readyReplicas. */
export const readyReplicaCount = (rss: readonly (RS | undefined)[]) => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
/**
 * countedAvailable is what a rolling update counts as available in rs: its reported count, but
 * never above spec.replicas, because a ReplicaSet just scaled down still reports the pods it is
 * about to delete (kube trusts the report; that can let a second pass scale down too far).
 */
export const countedAvailable = (rs: RS) => Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
/** availableReplicaCount sums status.availableReplicas. */
export const availableReplicaCount = (rss: readonly (RS | undefined)[]) => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/**
 * scaledValue resolves an IntOrString against total: a number as is, "N%" of total rounded up
 * (maxSurge) or down (maxUnavailable). Validation refuses anything else; it counts as 0 here.
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (!m) return 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** resolveFenceposts answers maxSurge and maxUnavailable for desired replicas; both 0 means one may be unavailable. */
export function resolveFenceposts(d: Readonly<Deployment>): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const desired = desiredReplicas(d);
  const surge = scaledValue(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** maxSurge is how many pods above spec.replicas a rolling update may run (0 for Recreate). */
export function maxSurge(d: Readonly<Deployment>): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

/** maxUnavailable is how many of spec.replicas may be unavailable during a rolling update (0 for Recreate). */
export function maxUnavailable(d: Readonly<Deployment>): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

/**
 * newRSNewReplicas is how many replicas the new ReplicaSet may have now (NewRSNewReplicas).
 * kube counts each ReplicaSet's spec.replicas; nodeless counts the larger of spec and reported
 * replicas, so an old ReplicaSet just scaled down still counts its pods until its controller
 * has seen them terminating: a watcher never sees more than replicas + maxSurge live pods.
 */
export function newRSNewReplicas(d: Readonly<Deployment>, all: readonly RS[], fresh: RS): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const current = all.reduce((n, rs) => n + Math.max(specReplicas(rs), rs.status?.replicas ?? 0), 0);
  const maxTotal = desired + maxSurge(d);
  if (current >= maxTotal) return specReplicas(fresh);
  return specReplicas(fresh) + Math.min(maxTotal - current, desired - specReplicas(fresh));
}

/** isSaturated is true when the new ReplicaSet has, wants and runs available every desired replica. */
export function isSaturated(d: Readonly<Deployment>, rs: RS | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicas(d);
  return specReplicas(rs) === desired && desiredReplicasAnnotation(rs) === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/** findActiveOrLatest is the one active ReplicaSet, or the newest when none is active, or undefined when several are. */
export function findActiveOrLatest(fresh: RS | undefined, olds: readonly RS[]): RS | undefined {
  if (!fresh && !olds.length) return undefined;
  const newestFirst = [...olds].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, fresh]);
  if (active.length === 0) return fresh ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// roundHalfAway rounds as Go's math.Round: halves away from zero.
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function replicaSetFraction(rs: RS, d: Readonly<Deployment>): number {
  const desired = desiredReplicas(d);
  if (desired === 0) return -specReplicas(rs);
  const deploymentReplicas = desired + maxSurge(d);
  // Without the annotation the Deployment's current size stands in: not exact, but the
  // min/max in proportion() keep the total within bounds.
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (!annotated) return 0;
  return roundHalfAway((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

/** proportion is how many replicas rs gains (or loses) of toAdd when added already went elsewhere (GetProportion). */
export function proportion(rs: RS | undefined, d: Readonly<Deployment>, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** deploymentComplete is true when every desired replica is updated and available and the spec was observed. */
export function deploymentComplete(d: Readonly<Deployment>, status: Deployment['status'] & object): boolean {
  const desired = desiredReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === desired &&
    (status.replicas ?? 0) === desired &&
    (status.availableReplicas ?? 0) === desired &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}
