/**
 * EndpointSliceTracker remembers the generation of every EndpointSlice a controller wrote, per
 * owning Service (or Endpoints), as kube's endpointslice tracker: a cache holding an older
 * generation, a slice we deleted, or missing a slice we created is stale, so the sync waits for
 * the informer instead of writing from old data (which would create duplicate slices); and a
 * slice event carrying a generation we did not write means someone else changed our slice.
 */
import type { KubeObject } from '../../schemas/types';
import type { EventHandler } from '../runtime/informer';

/** SERVICE_NAME_LABEL names the Service an EndpointSlice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** MANAGED_BY_LABEL names the controller that manages an EndpointSlice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

const DELETION_EXPECTED = -1;

/** StaleCacheError is a sync that found the informer behind the controller's own writes; it is retried. */
export class StaleCacheError extends Error {
  constructor(message = 'EndpointSlice informer cache is out of date') {
    super(message);
    this.name = 'StaleCacheError';
  }
}

function ownerKey(slice: Readonly<KubeObject>): string {
  return `${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
}

/** EndpointSliceTracker tracks expected slice generations by owner key (namespace/service). */
export class EndpointSliceTracker {
  private readonly byOwner = new Map<string, Map<string, number>>();
  private readonly ownerUIDs = new Map<string, string>();

  /** has is true when the slice is tracked. */
  has(slice: Readonly<KubeObject>): boolean {
    return this.byOwner.get(ownerKey(slice))?.has(slice.metadata?.uid ?? '') ?? false;
  }

  /** shouldSync is true for a slice we did not write at this generation: an outside change. */
  shouldSync(slice: Readonly<KubeObject>): boolean {
    const g = this.byOwner.get(ownerKey(slice))?.get(slice.metadata?.uid ?? '');
    return g === undefined || (slice.metadata?.generation ?? 0) > g;
  }

  /**
   * stale is true when the cached slices of an owner lag our writes: an older generation, a slice
   * we deleted still there, or one we wrote missing. A new owner uid (deleted and recreated)
   * forgets what was tracked for the old one.
   */
  stale(owner: Readonly<KubeObject>, slices: readonly Readonly<KubeObject>[]): boolean {
    const key = `${owner.metadata?.namespace ?? ''}/${owner.metadata?.name ?? ''}`;
    const uid = owner.metadata?.uid ?? '';
    const known = this.ownerUIDs.get(key);
    if (known && uid && known !== uid) this.byOwner.delete(key);
    this.ownerUIDs.set(key, uid);
    const gens = this.byOwner.get(key);
    if (!gens) return false;
    const present = new Set<string>();
    for (const s of slices) {
      const sUID = s.metadata?.uid ?? '';
      present.add(sUID);
      const g = gens.get(sUID);
      if (g !== undefined && (g === DELETION_EXPECTED || g > (s.metadata?.generation ?? 0))) return true;
    }
    for (const [sUID, g] of gens) if (g !== DELETION_EXPECTED && !present.has(sUID)) return true;
    return false;
  }

  /** update records the generation of a slice we created or updated. */
  update(slice: Readonly<KubeObject>): void {
    this.gens(slice).set(slice.metadata?.uid ?? '', slice.metadata?.generation ?? 0);
  }

  /** expectDeletion records a slice we deleted. */
  expectDeletion(slice: Readonly<KubeObject>): void {
    this.gens(slice).set(slice.metadata?.uid ?? '', DELETION_EXPECTED);
  }

  /** handleDeletion forgets a deleted slice; it answers whether we expected the deletion. */
  handleDeletion(slice: Readonly<KubeObject>): boolean {
    const gens = this.byOwner.get(ownerKey(slice));
    if (!gens) return true;
    const uid = slice.metadata?.uid ?? '';
    const g = gens.get(uid);
    gens.delete(uid);
    return g === undefined || g === DELETION_EXPECTED;
  }

  /** deleteOwner forgets everything tracked for namespace/name. */
  deleteOwner(namespace: string, name: string): void {
    this.byOwner.delete(`${namespace}/${name}`);
    this.ownerUIDs.delete(`${namespace}/${name}`);
  }

  private gens(slice: Readonly<KubeObject>): Map<string, number> {
    const key = ownerKey(slice);
    let gens = this.byOwner.get(key);
    if (!gens) this.byOwner.set(key, (gens = new Map()));
    return gens;
  }
}

/**
 * sliceEventHandler is the EndpointSlice informer handler both slice controllers (EndpointSlice and
 * mirroring) use: a slice they manage is queued when the tracker says the cache moved past what
 * they wrote, when it changes hands, or when someone else deletes it (to be recreated); a moved
 * service-name label (only a user would move it) concerns both owners.
 */
export function sliceEventHandler(managed: (s: Readonly<KubeObject>) => boolean, tracker: EndpointSliceTracker, queueForSlice: (s: Readonly<KubeObject>) => void): EventHandler {
  return {
    onAdd: (s) => {
      if (managed(s) && tracker.shouldSync(s)) queueForSlice(s);
    },
    onUpdate: (old, s) => {
      if (old.metadata?.labels?.[SERVICE_NAME_LABEL] !== s.metadata?.labels?.[SERVICE_NAME_LABEL]) {
        queueForSlice(s);
        queueForSlice(old);
        return;
      }
      if (managed(old) !== managed(s) || (managed(s) && tracker.shouldSync(s))) queueForSlice(s);
    },
    onDelete: (s) => {
      if (managed(s) && tracker.has(s) && !tracker.handleDeletion(s)) queueForSlice(s);
    },
  };
}
