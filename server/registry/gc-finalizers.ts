/**
 * The finalizers a DELETE leaves for the garbage collector, as kube's generic store decides them
 * (deletionFinalizersForGarbageCollection with shouldOrphanDependents and shouldDeleteDependents):
 * Orphan asks the collector to remove the object from its dependents' ownerReferences first
 * (the `orphan` finalizer), Foreground to delete its dependents first (`foregroundDeletion`),
 * Background for neither. A delete that names no policy keeps whichever of the two the object
 * already carries, else follows the kind's default policy.
 */
import type { ResourceDefinition } from '../../schemas/types';
import type { DeleteOptions } from './generic-registry';

/** ORPHAN_FINALIZER is metav1.FinalizerOrphanDependents. */
export const ORPHAN_FINALIZER = 'orphan';
/** FOREGROUND_FINALIZER is metav1.FinalizerDeleteDependents. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

type Policy = DeleteOptions['propagationPolicy'];

// shouldOrphan: the request's policy, else the object's own finalizers, else the kind's default.
function shouldOrphan(def: ResourceDefinition, finalizers: readonly string[], policy: Policy): boolean {
  if (policy) return policy === 'Orphan';
  for (const f of finalizers) {
    if (f === ORPHAN_FINALIZER) return true;
    if (f === FOREGROUND_FINALIZER) return false;
  }
  return def.garbageCollectionPolicy === 'Orphan';
}

// shouldDeleteDependents: only a Foreground request, or a foregroundDeletion finalizer already there.
function shouldDeleteDependents(finalizers: readonly string[], policy: Policy): boolean {
  if (policy) return policy === 'Foreground';
  for (const f of finalizers) {
    if (f === FOREGROUND_FINALIZER) return true;
    if (f === ORPHAN_FINALIZER) return false;
  }
  return false;
}

/**
 * garbageCollectionFinalizers answers the finalizers an object being deleted with policy should
 * carry, or undefined when they are the ones it has (as a set). The two collector finalizers are
 * taken out and put back at the end as the policy says; the others keep their order. Kinds whose
 * policy is Unsupported never change.
 */
export function garbageCollectionFinalizers(def: ResourceDefinition, finalizers: readonly string[] = [], policy: Policy): string[] | undefined {
  if (def.garbageCollectionPolicy === 'Unsupported') return undefined;
  const next = finalizers.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (shouldOrphan(def, finalizers, policy)) next.push(ORPHAN_FINALIZER);
  if (shouldDeleteDependents(finalizers, policy)) next.push(FOREGROUND_FINALIZER);
  const before = new Set(finalizers);
  const after = new Set(next);
  if (before.size === after.size && [...after].every((f) => before.has(f))) return undefined;
  return next;
}
