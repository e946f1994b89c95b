/**
 * The identity of a StatefulSet's pods, as kube's pkg/controller/statefulset/stateful_set_utils.go:
 * pod `<set>-<ordinal>` with hostname = its name and subdomain = spec.serviceName, the
 * statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and controller-revision-hash
 * labels, and one PersistentVolumeClaim `<template>-<set>-<ordinal>` per volumeClaimTemplate,
 * mounted as the volume of the template's name. The claims' ownerReferences carry the
 * persistentVolumeClaimRetentionPolicy: a controller reference to the set when whenDeleted is
 * Delete, to the pod once it is scaled away when whenScaled is Delete.
 */
import type { KubeObject } from '../../schemas/types';
import type { LabelSelectorObject } from '../../schemas/meta/selectors';
import { newControllerRef, type OwnerReference } from '../runtime/controller-ref';

/** POD_NAME_LABEL names the pod a StatefulSet made (for per-pod Services). */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** POD_INDEX_LABEL is the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** REVISION_LABEL is the ControllerRevision a pod was made from (apps/v1 ControllerRevisionHashLabelKey). */
export const REVISION_LABEL = 'controller-revision-hash';

/** StatefulSetSpec is the part of apps/v1 StatefulSet this controller reads. */
export interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  ordinals?: { start?: number };
  selector?: LabelSelectorObject;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: PodSpec };
  volumeClaimTemplates?: KubeObject[];
}

interface PodSpec {
  volumes?: Array<{ name: string; [k: string]: unknown }>;
  hostname?: string;
  subdomain?: string;
  [k: string]: unknown;
}

/** specOf answers a StatefulSet's spec. */
export function specOf(set: Readonly<KubeObject>): StatefulSetSpec {
  return (set.spec ?? {}) as StatefulSetSpec;
}

/** startOrdinal is spec.ordinals.start (0 by default). */
export function startOrdinal(set: Readonly<KubeObject>): number {
  return specOf(set).ordinals?.start ?? 0;
}

/** parentAndOrdinal splits `<parent>-<ordinal>`; ordinal is -1 when the name has none. */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = /^(.*)-(\d+)$/.exec(name);
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) ? { parent: m[1], ordinal } : { parent: '', ordinal: -1 };
}

/** isMemberOf is true for a pod named `<set>-<ordinal>`. */
export function isMemberOf(set: Readonly<KubeObject>, pod: Readonly<KubeObject>): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  return ordinal >= 0 && parent === set.metadata?.name;
}

/** ordinalOf is a pod's ordinal (-1 when its name has none). */
export function ordinalOf(pod: Readonly<KubeObject>): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

/** inOrdinalRange is true when the ordinal is one spec.replicas and spec.ordinals.start keep. */
export function inOrdinalRange(set: Readonly<KubeObject>, ordinal: number): boolean {
  const start = startOrdinal(set);
  return ordinal >= start && ordinal < start + (specOf(set).replicas ?? 1);
}

/** podName is `<set>-<ordinal>`. */
export function podName(set: Readonly<KubeObject>, ordinal: number): string {
  return `${set.metadata!.name}-${ordinal}`;
}

/** claimName is `<template>-<set>-<ordinal>`. */
export function claimName(set: Readonly<KubeObject>, template: string, ordinal: number): string {
  return `${template}-${podName(set, ordinal)}`;
}

/** revisionOf is the revision label of a pod. */
export function revisionOf(pod: Readonly<KubeObject>): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}

/** identityMatches is true when a pod carries its name's identity labels. */
export function identityMatches(set: Readonly<KubeObject>, pod: Readonly<KubeObject>): boolean {
  const labels = pod.metadata?.labels ?? {};
  return isMemberOf(set, pod) && pod.metadata?.namespace === set.metadata?.namespace && labels[POD_NAME_LABEL] === pod.metadata?.name && labels[POD_INDEX_LABEL] === String(ordinalOf(pod));
}

/**
 * newPod is the pod of ordinal made from set's template (set is the current or update
 * version of the StatefulSet) labelled with revision.
 */
export function newPod(set: Readonly<KubeObject>, ordinal: number, revision: string): KubeObject {
  const spec = specOf(set);
  const template = spec.template ?? {};
  const name = podName(set, ordinal);
  const podSpec = structuredClone(template.spec ?? {}) as PodSpec;
  podSpec.hostname = name;
  if (spec.serviceName) podSpec.subdomain = spec.serviceName;
  // Each claim template replaces the template's volume of the same name.
  const claims = spec.volumeClaimTemplates ?? [];
  if (claims.length) {
    const byName = new Map((podSpec.volumes ?? []).map((v) => [v.name, v]));
    for (const c of claims) {
      const t = c.metadata?.name ?? '';
      byName.set(t, { name: t, persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } });
    }
    podSpec.volumes = [...byName.values()];
  }
  const metadata: NonNullable<KubeObject['metadata']> = {
    name,
    namespace: set.metadata!.namespace,
    labels: { ...template.metadata?.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision },
    ownerReferences: [{ ...setRef(set) }],
  };
  if (template.metadata?.annotations && Object.keys(template.metadata.annotations).length) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers?.length) metadata.finalizers = [...template.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec };
}

/** newClaims are the PersistentVolumeClaims the pod of ordinal mounts, without owners. */
export function newClaims(set: Readonly<KubeObject>, ordinal: number): KubeObject[] {
  const spec = specOf(set);
  return (spec.volumeClaimTemplates ?? []).map((t) => {
    const claim = structuredClone(t) as KubeObject;
    delete claim.status;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    claim.metadata = {
      ...claim.metadata,
      name: claimName(set, t.metadata?.name ?? '', ordinal),
      namespace: set.metadata!.namespace,
      // The set's matchLabels join the template's labels (as getPersistentVolumeClaims).
      labels: { ...t.metadata?.labels, ...spec.selector?.matchLabels },
    };
    return claim;
  });
}

/** setRef is the controller reference to a StatefulSet. */
export function setRef(set: Readonly<KubeObject>): OwnerReference {
  return newControllerRef({ ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' });
}

function podRef(pod: Readonly<KubeObject>): OwnerReference {
  return newControllerRef({ ...pod, apiVersion: 'v1', kind: 'Pod' });
}

function refersTo(ref: OwnerReference, owner: Readonly<KubeObject>): boolean {
  return ref.uid === owner.metadata?.uid;
}

/**
 * claimOwnerRefs answers the ownerReferences a claim should carry under set's retention policy
 * (pod is the claim's pod, if it exists), or undefined when it already carries them. A claim
 * that some other controller controls keeps only its other references, as kube does.
 */
export function claimOwnerRefs(claim: Readonly<KubeObject>, set: Readonly<KubeObject>, pod: Readonly<KubeObject> | undefined): OwnerReference[] | undefined {
  const refs = (claim.metadata?.ownerReferences ?? []) as unknown as OwnerReference[];
  const others = refs.filter((r) => !refersTo(r, set) && !(pod && refersTo(r, pod)));
  const policy = specOf(set).persistentVolumeClaimRetentionPolicy ?? {};
  const want: OwnerReference[] = [...others];
  const foreignController = others.some((r) => r.controller);
  if (!foreignController) {
    const scaledDown = pod ? !inOrdinalRange(set, ordinalOf(pod)) : false;
    if (policy.whenScaled === 'Delete' && scaledDown && pod) want.push(podRef(pod));
    else if (policy.whenDeleted === 'Delete' && !(policy.whenScaled === 'Delete' && scaledDown)) want.push(setRef(set));
  }
  const key = (r: OwnerReference) => `${r.uid}/${r.controller === true}`;
  const same = refs.length === want.length && refs.every((r, i) => key(r) === key(want[i]));
  return same ? undefined : want;
}
