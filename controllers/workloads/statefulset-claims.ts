/**
 * The PersistentVolumeClaims of a StatefulSet's pods, as kube's StatefulPodControl handles
 * them: one claim per volumeClaimTemplate and ordinal, created before the pod (an existing one
 * is reused), and the retention policy expressed as ownerReferences on the claims.
 *
 * kube leaves the rest to its garbage collector: a claim whose owner (the deleted set, or a pod
 * scaled away) is gone is deleted by it. nodeless has no garbage collector yet, so this does
 * that much for these claims, after reading the owner live so a cache that is behind never
 * costs a claim. A garbage collector doing the same later is harmless: the second finds it gone.
 */
import type { KubeObject } from '../../schemas/types';
import { PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS, hasCause, isAlreadyExists, isConflict, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import { controllerRefOf, type OwnerReference } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import { claimOwnerRefs, newClaims, ordinalOf, parentAndOrdinal, podName } from './statefulset-pods';

/** StatefulSetClaims creates claims, keeps their owners, and deletes the ones whose owner is gone. */
export class StatefulSetClaims {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventRecorder,
    private readonly claims: Informer,
    /** recheck asks for reconcileClaim of a claim (namespace/name) later, through the work queue */
    private readonly recheck: (claimKey: string) => void,
  ) {}

  /**
   * ensure creates the claims of an ordinal that are missing. It answers false when one still
   * belongs to a pod that is gone or is terminating: the pod must wait until it is deleted.
   */
  async ensure(set: Readonly<KubeObject>, ordinal: number, pod: Readonly<KubeObject> | undefined): Promise<boolean> {
    let ready = true;
    const forPod = podName(set, ordinal);
    for (const claim of newClaims(set, ordinal)) {
      const existing = this.claims.getByName(claim.metadata!.namespace, claim.metadata!.name!);
      if (existing) {
        const ref = retentionOwner(existing);
        if (existing.metadata?.deletionTimestamp || (ref?.kind === 'Pod' && ref.uid !== pod?.metadata?.uid)) {
          this.recheck(objectKey(existing));
          ready = false;
        }
        continue;
      }
      const refs = claimOwnerRefs(claim, set, pod);
      if (refs?.length) claim.metadata!.ownerReferences = refs.map((r) => ({ ...r }));
      try {
        await this.client.create(PERSISTENT_VOLUME_CLAIMS, claim.metadata!.namespace, claim);
        void this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata!.name} Pod ${forPod} in StatefulSet ${set.metadata!.name} success`);
      } catch (err) {
        // Made meanwhile (the cache was behind): it is the claim we wanted.
        if (isAlreadyExists(err)) continue;
        if (hasCause(err, 'NamespaceTerminating')) return false;
        void this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata!.name} for Pod ${forPod} in StatefulSet ${set.metadata!.name} failed error: ${message(err)}`);
        throw err;
      }
    }
    return ready;
  }

  /**
   * syncOwners sets the ownerReferences of a pod's claims as the set's retention policy says. It
   * answers false when a claim could not take them yet (the cache held an older claim): the pod
   * must then wait, or its claim would outlive it without the owner that deletes it.
   */
  async syncOwners(set: Readonly<KubeObject>, pod: Readonly<KubeObject>): Promise<boolean> {
    let done = true;
    for (const template of newClaims(set, ordinalOf(pod))) {
      const claim = this.claims.getByName(template.metadata!.namespace, template.metadata!.name!);
      if (!claim || claim.metadata?.deletionTimestamp) continue;
      const refs = claimOwnerRefs(claim, set, pod);
      if (!refs) continue;
      try {
        await this.client.patch(PERSISTENT_VOLUME_CLAIMS, claim.metadata!.namespace, claim.metadata!.name!, 'merge', {
          metadata: { uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion, ownerReferences: refs.length ? refs : null },
        });
      } catch (err) {
        if (isNotFound(err)) continue;
        // A newer claim than the cache's: its update event brings the set back.
        if (isConflict(err)) {
          done = false;
          continue;
        }
        throw err;
      }
    }
    return done;
  }

  /** ownerGone is true when a cached claim's retention owner is missing from the given caches. */
  ownerGone(claim: Readonly<KubeObject>, pods: Informer, sets: Informer): boolean {
    const ref = retentionOwner(claim);
    if (!ref) return false;
    const owner = (ref.kind === 'Pod' ? pods : sets).getByName(claim.metadata?.namespace, ref.name);
    return !owner || owner.metadata?.uid !== ref.uid;
  }

  /** reconcile deletes one claim (namespace/name) if its retention owner is gone, read live. */
  async reconcile(key: string): Promise<void> {
    const cached = this.claims.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const { namespace, name } = splitKey(key);
    let claim: KubeObject;
    try {
      claim = await this.client.get(PERSISTENT_VOLUME_CLAIMS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const ref = retentionOwner(claim);
    if (!ref) return;
    try {
      const owner = await this.client.get(ref.kind === 'Pod' ? PODS : STATEFUL_SETS, namespace, ref.name);
      if (owner.metadata?.uid === ref.uid) return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      // The preconditions make sure its owners were not taken off since it was read (an orphaning delete).
      await this.client.delete(PERSISTENT_VOLUME_CLAIMS, namespace, name, { preconditions: { uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * retentionOwner is the controller reference a StatefulSet put on a claim: to the set, or to
 * one of its pods (a claim named `<template>-<pod>`).
 */
export function retentionOwner(claim: Readonly<KubeObject>): OwnerReference | undefined {
  const ref = controllerRefOf(claim);
  if (!ref) return undefined;
  if (ref.kind === 'StatefulSet' && ref.apiVersion === 'apps/v1') return ref;
  if (ref.kind === 'Pod' && ref.apiVersion === 'v1' && parentAndOrdinal(ref.name).ordinal >= 0 && (claim.metadata?.name ?? '').endsWith(`-${ref.name}`)) return ref;
  return undefined;
}

function message(err: unknown): string {
  return String(err instanceof Error ? err.message : err);
}
