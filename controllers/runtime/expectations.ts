/**
 * Expectations, as kube's ControllerExpectations (pkg/controller/controller_utils.go): a
 * controller that created or deleted N objects does not trust its informer cache for the key
 * until it has seen those N adds or deletes arrive, so a reconcile that runs before the cache
 * catches up does not create (or delete) them a second time. Expectations that never get
 * observed (a lost event) expire after a TTL, and the controller syncs again.
 */
import { realClock, type Clock } from './work-queue';

/** EXPECTATIONS_TTL_MS is how long unobserved expectations hold a key back (kube: 5 minutes). */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expected {
  add: number;
  del: number;
  // the keys (namespace/name) of the objects whose deletion is awaited, so one delete counts once
  deleting: Set<string>;
  at: number;
}

/** Expectations tracks, per controller key, the creates and deletes not yet seen in the cache. */
export class Expectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(
    private readonly clock: Clock = realClock,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** satisfied is true when nothing is awaited for key, or what is awaited has expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > this.ttlMs;
  }

  /** expectCreations records that n creates for key are on their way. */
  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { add: n, del: 0, deleting: new Set(), at: this.clock.now() });
  }

  /** expectDeletions records that the objects with these keys are being deleted for key. */
  expectDeletions(key: string, objectKeys: string[]): void {
    this.byKey.set(key, { add: 0, del: objectKeys.length, deleting: new Set(objectKeys), at: this.clock.now() });
  }

  /** creationObserved counts one awaited create as seen (or as never coming, after a failed create). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  /** deletionObserved counts the delete of objectKey as seen, once. */
  deletionObserved(key: string, objectKey: string): void {
    const e = this.byKey.get(key);
    if (e && e.deleting.delete(objectKey)) e.del--;
  }

  /** forget drops what is awaited for key (its owner is gone). */
  forget(key: string): void {
    this.byKey.delete(key);
  }
}
