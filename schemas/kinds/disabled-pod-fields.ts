/**
 * Pod spec fields of features a Kubernetes 1.32 kube-apiserver has off by default, which it drops
 * from a Pod or a pod template on write (dropDisabledPodFields in pkg/api/pod): resourceClaims and
 * the containers' resources.claims (DynamicResourceAllocation, beta and off), and the pod-level
 * spec.resources (PodLevelResources, alpha). As in kube, a field the stored object already uses
 * is kept, so an update never strips what is there.
 */
import { isPlainObject } from '../meta/json';
import type { KubeObject } from '../types';

type Obj = Record<string, unknown>;

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

function containersOf(spec: Obj): Obj[] {
  return CONTAINER_LISTS.flatMap((k) => (Array.isArray(spec[k]) ? (spec[k] as unknown[]).filter(isPlainObject) : []));
}

function usesResourceClaims(spec: Obj | undefined): boolean {
  if (!spec) return false;
  if (Array.isArray(spec.resourceClaims) && spec.resourceClaims.length > 0) return true;
  return containersOf(spec).some((c) => isPlainObject(c.resources) && Array.isArray(c.resources.claims) && c.resources.claims.length > 0);
}

/** dropDisabledPodSpecFields removes the disabled features' fields from spec unless oldSpec uses them. */
export function dropDisabledPodSpecFields(spec: Obj | undefined, oldSpec: Obj | undefined): void {
  if (!spec) return;
  if (!usesResourceClaims(oldSpec)) {
    delete spec.resourceClaims;
    for (const c of containersOf(spec)) if (isPlainObject(c.resources)) delete c.resources.claims;
  }
  if (!oldSpec || oldSpec.resources === undefined) delete spec.resources;
}

/** podSpecAt reads the pod spec of a Pod (path ['spec']) or of a template (['spec', 'template', 'spec']). */
export function podSpecAt(path: readonly string[]): (obj: Readonly<KubeObject> | undefined) => Obj | undefined {
  return (obj) => {
    let v: unknown = obj;
    for (const k of path) v = isPlainObject(v) ? v[k] : undefined;
    return isPlainObject(v) ? v : undefined;
  };
}
