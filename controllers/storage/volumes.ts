/**
 * What the storage controllers share about PersistentVolumes and PersistentVolumeClaims: the
 * annotations kube's volume controllers and external provisioners write, the parts of the specs
 * they read, which pods use a claim, and kube's rules for matching a claim to a volume
 * (pkg/controller/volume/persistentvolume/util FindMatchingVolume).
 */
import type { KubeObject } from '../../schemas/types';
import { compareQuantity, readQuantity } from '../../schemas/meta/quantity';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import type { Informer } from '../runtime/informer';

/** ANN_BIND_COMPLETED marks a claim whose binding the PV controller finished. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** ANN_BOUND_BY_CONTROLLER marks the side of a binding the controller (not the user) set. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** ANN_PROVISIONED_BY names the provisioner that created a volume. */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** ANN_STORAGE_PROVISIONER names the provisioner asked to provision a claim. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
/** ANN_BETA_STORAGE_PROVISIONER is the older name of ANN_STORAGE_PROVISIONER, still written beside it. */
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** ANN_SELECTED_NODE is where kube's scheduler records the node of a WaitForFirstConsumer claim. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** ClaimSpec is the part of a PersistentVolumeClaim spec the storage controllers read. */
export interface ClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string> };
  selector?: LabelSelectorObject;
  storageClassName?: string | null;
  volumeName?: string;
  volumeMode?: string;
}

/** ClaimStatus is a PersistentVolumeClaim status. */
export interface ClaimStatus {
  phase?: string;
  accessModes?: string[];
  capacity?: Record<string, string>;
  allocatedResources?: Record<string, string>;
  allocatedResourceStatuses?: Record<string, string>;
  conditions?: Array<{ type: string; status: string; lastProbeTime?: string | null; lastTransitionTime?: string; reason?: string; message?: string }>;
}

/** ClaimRef is a volume's spec.claimRef. */
export interface ClaimRef {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** VolumeSpec is the part of a PersistentVolume spec the storage controllers read. */
export interface VolumeSpec {
  capacity?: Record<string, string>;
  accessModes?: string[];
  claimRef?: ClaimRef | null;
  storageClassName?: string;
  persistentVolumeReclaimPolicy?: string;
  volumeMode?: string;
  hostPath?: { path?: string; type?: string };
}

/** claimSpec reads a claim's spec. */
export const claimSpec = (pvc: Readonly<KubeObject>): ClaimSpec => (pvc.spec ?? {}) as ClaimSpec;
/** claimStatus reads a claim's status. */
export const claimStatus = (pvc: Readonly<KubeObject>): ClaimStatus => (pvc.status ?? {}) as ClaimStatus;
/** volumeSpec reads a volume's spec. */
export const volumeSpec = (pv: Readonly<KubeObject>): VolumeSpec => (pv.spec ?? {}) as VolumeSpec;
/** volumePhase reads a volume's status.phase. */
export const volumePhase = (pv: Readonly<KubeObject>): string | undefined => (pv.status as { phase?: string } | undefined)?.phase;

/** claimClass is the StorageClass a claim asks for ('' for none); the beta annotation wins, as kube reads it. */
export function claimClass(pvc: Readonly<KubeObject>): string {
  const beta = pvc.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta;
  return claimSpec(pvc).storageClassName ?? '';
}

/** volumeClass is the StorageClass of a volume ('' for none). */
export function volumeClass(pv: Readonly<KubeObject>): string {
  return pv.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? volumeSpec(pv).storageClassName ?? '';
}

/** requestedStorage is a claim's spec.resources.requests.storage, undefined when it does not parse. */
export function requestedStorage(pvc: Readonly<KubeObject>): string | undefined {
  const q = claimSpec(pvc).resources?.requests?.storage;
  return q !== undefined && readQuantity(q) ? String(q) : undefined;
}

/** isVolumeBoundToClaim is true when a volume's claimRef names this claim (and its uid, when the ref carries one). */
export function isVolumeBoundToClaim(pv: Readonly<KubeObject>, pvc: Readonly<KubeObject>): boolean {
  const ref = volumeSpec(pv).claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** claimRefTo is the claimRef a binding writes into a volume. */
export function claimRefTo(pvc: Readonly<KubeObject>): ClaimRef {
  return { kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid, apiVersion: 'v1', resourceVersion: pvc.metadata!.resourceVersion };
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** claimNamesOf lists the claims a pod's volumes use: persistentVolumeClaim sources and generic ephemeral volumes (`<pod>-<volume>`). */
export function claimNamesOf(pod: Readonly<KubeObject>): string[] {
  const volumes = ((pod.spec as { volumes?: Array<{ name?: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown }> } | undefined)?.volumes ?? []);
  const names: string[] = [];
  for (const v of volumes) {
    if (v.persistentVolumeClaim?.claimName) names.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral && v.name) names.push(`${pod.metadata?.name}-${v.name}`);
  }
  return names;
}

/** isPodTerminated is true for a pod that ran to completion or failed: it uses no volume any more. */
export function isPodTerminated(pod: Readonly<KubeObject>): boolean {
  return TERMINAL_PHASES.has((pod.status as { phase?: string } | undefined)?.phase ?? '');
}

/** podsUsingClaim lists the pods of the claim's namespace that reference it and have not terminated. */
export function podsUsingClaim(pods: Informer, namespace: string, name: string): Readonly<KubeObject>[] {
  return pods.list(namespace).filter((pod) => !isPodTerminated(pod) && claimNamesOf(pod).includes(name));
}

/**
 * findMatchingVolume picks the volume a claim binds to, as kube's FindMatchingVolume does: a
 * volume pre-bound to the claim wins when it is big enough; otherwise the smallest available
 * volume of the claim's class, with the claim's volume mode, every access mode it asks for,
 * labels its selector matches and at least the storage it requests.
 */
export function findMatchingVolume(pvc: Readonly<KubeObject>, volumes: readonly Readonly<KubeObject>[]): Readonly<KubeObject> | undefined {
  const requested = readQuantity(claimSpec(pvc).resources?.requests?.storage);
  if (!requested) return undefined;
  const spec = claimSpec(pvc);
  const wantMode = spec.volumeMode ?? 'Filesystem';
  let selector;
  try {
    selector = spec.selector ? labelSelectorFromObject(spec.selector) : undefined;
  } catch {
    // A selector that does not parse matches no volume; the claim waits for a provisioner.
    return undefined;
  }
  const klass = claimClass(pvc);
  let best: Readonly<KubeObject> | undefined;
  let bestSize: ReturnType<typeof readQuantity>;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    const vs = volumeSpec(pv);
    const size = readQuantity(vs.capacity?.storage);
    if (!size || (vs.volumeMode ?? 'Filesystem') !== wantMode) continue;
    if (isVolumeBoundToClaim(pv, pvc)) {
      if (compareQuantity(size, requested) < 0) continue;
      return pv;
    }
    if (vs.claimRef) continue;
    if (volumePhase(pv) !== 'Available' && volumePhase(pv) !== 'Pending') continue;
    if (selector && !matches(selector, pv.metadata?.labels ?? {})) continue;
    if (volumeClass(pv) !== klass) continue;
    const modes = new Set(vs.accessModes ?? []);
    if (!(spec.accessModes ?? []).every((m) => modes.has(m))) continue;
    if (compareQuantity(size, requested) < 0) continue;
    if (!best || compareQuantity(size, bestSize!) < 0) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}
