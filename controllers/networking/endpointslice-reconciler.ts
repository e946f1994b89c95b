/**
 * The EndpointSlice reconciler, as kube's staging/src/k8s.io/endpointslice reconciler.go: given a
 * Service, the pods it selects and the slices this controller already manages for it, it works
 * out the fewest slice creates, updates and deletes that make the slices list exactly the
 * desired endpoints. Endpoints are grouped by the ports they resolve to (one group of slices per
 * port set), at most maxEndpointsPerSlice to a slice. Endpoints already in a slice stay there
 * (updated in place when their conditions change); new ones fill slices that are being updated
 * anyway, then the unchanged slice they fit best, and only then a new slice; a slice left empty
 * is reused for a create rather than deleted. A Service with no endpoints keeps one empty
 * placeholder slice.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { ENDPOINT_SLICES, hasCause, isNotFound, type Client } from '../runtime/client';
import { EndpointSliceTracker, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './endpointslice-tracker';
import {
  HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, findPort, formatTriggerTime, isPodReady, isServiceIPSet, podIPsOf, serviceIPFamily, shouldPodBeInEndpoints,
  shouldSetHostname, specOf, targetRefOf,
} from './service-pods';
import { isIPv6 } from 'node:net';

/** ENDPOINTSLICE_CONTROLLER is the managed-by value of the slices the EndpointSlice controller writes. */
export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
/** MAX_ENDPOINTS_PER_SLICE is kube's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoint is one discovery.k8s.io/v1 Endpoint. */
export interface Endpoint {
  addresses: string[];
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
  nodeName?: string;
  zone?: string;
}

/** SlicePort is one discovery.k8s.io/v1 EndpointPort. */
export interface SlicePort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

/** EndpointSlice is the discovery.k8s.io/v1 kind as the controllers write it. */
export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[] | null;
  ports?: SlicePort[] | null;
}

/** endpointKey identifies an endpoint across syncs, as kube's hash: its addresses, hostname and target pod. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** endpointsEqualBeyondKey compares what endpointKey leaves out: node, zone, conditions and the target (its resourceVersion aside). */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const ref = (e: Endpoint) => (e.targetRef ? { ...e.targetRef, resourceVersion: undefined } : undefined);
  return (
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    jsonEqual(JSON.parse(JSON.stringify(ref(a) ?? null)), JSON.parse(JSON.stringify(ref(b) ?? null)))
  );
}

/** portMapKey identifies a set of ports whatever their order. */
export function portMapKey(ports: readonly SlicePort[] | null | undefined): string {
  const norm = (p: SlicePort) => JSON.stringify([p.name ?? '', p.protocol ?? '', p.port ?? null, p.appProtocol ?? null]);
  return (ports ?? []).map(norm).sort().join('|');
}

/** endpointPortsFor resolves the Service's ports against one pod; a port that does not resolve is left out. */
export function endpointPortsFor(svc: Readonly<KubeObject>, pod: Readonly<KubeObject>): SlicePort[] {
  const spec = specOf(svc);
  const out: SlicePort[] = [];
  if (!spec.ports?.length && spec.clusterIP === 'None') return out;
  for (const sp of spec.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: SlicePort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** podToEndpoint is the endpoint of a pod for a Service and address type, conditions as kube sets them. */
export function podToEndpoint(pod: Readonly<KubeObject>, svc: Readonly<KubeObject>, addressType: string): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never ready, unless the Service publishes not-ready addresses anyway.
  const ready = specOf(svc).publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPsOf(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = (pod.spec as { hostname: string }).hostname;
  ep.targetRef = targetRefOf(pod);
  // Pods here run on no node, so no endpoint names a node or a zone.
  return ep;
}

function isReservedLabel(key: string): boolean {
  return key === SERVICE_NAME_LABEL || key === MANAGED_BY_LABEL || key === HEADLESS_LABEL;
}

/** sliceLabels answers the labels a slice of svc should carry and whether the slice's own (the reserved ones aside) differ from the Service's. */
export function sliceLabels(slice: Readonly<KubeObject> | undefined, svc: Readonly<KubeObject>, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata?.labels ?? {})) if (!isReservedLabel(k)) own[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!isReservedLabel(k)) labels[k] = v;
  const changed = !jsonEqual(own, labels);
  if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata!.name!;
  labels[MANAGED_BY_LABEL] = controllerName;
  return { labels, changed };
}

/** newSlice is an unsaved slice of svc (named by generateName `<service>-`) owned by it. */
export function newSlice(svc: Readonly<KubeObject>, ports: SlicePort[], addressType: string, controllerName: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata!.name}-`,
      namespace: svc.metadata!.namespace,
      labels: sliceLabels(undefined, svc, controllerName).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata!.name!, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

function ownedBy(slice: Readonly<KubeObject>, svc: Readonly<KubeObject>): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** SlicePlan is what one reconcile writes. */
export interface SlicePlan {
  toCreate: EndpointSlice[];
  toUpdate: EndpointSlice[];
  toDelete: EndpointSlice[];
}

/** ReconcilerOptions tune the reconciler. */
export interface ReconcilerOptions {
  maxEndpointsPerSlice?: number;
  controllerName?: string;
}

/** EndpointSliceReconciler turns pods into slices for one Service at a time. */
export class EndpointSliceReconciler {
  readonly maxEndpointsPerSlice: number;
  readonly controllerName: string;

  constructor(
    private readonly client: Client,
    private readonly tracker: EndpointSliceTracker,
    options: ReconcilerOptions = {},
  ) {
    this.maxEndpointsPerSlice = options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.controllerName = options.controllerName ?? ENDPOINTSLICE_CONTROLLER;
  }

  /** plan works out the writes for svc over pods and its existing slices, without making them. */
  plan(svc: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[], existing: readonly Readonly<EndpointSlice>[]): SlicePlan {
    const addressType = serviceIPFamily(svc);
    const plan: SlicePlan = { toCreate: [], toUpdate: [], toDelete: [] };
    // Slices of another address type, or left by an earlier Service of the same name, go.
    const ours: Readonly<EndpointSlice>[] = [];
    for (const s of existing) {
      if (s.addressType !== addressType || !ownedBy(s, svc)) plan.toDelete.push(s as EndpointSlice);
      else ours.push(s);
    }
    const existingByPorts = new Map<string, Readonly<EndpointSlice>[]>();
    for (const s of ours) {
      const k = portMapKey(s.ports);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
    }
    const desired = new Map<string, { ports: SlicePort[]; endpoints: Map<string, Endpoint> }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPortsFor(svc, pod);
      const k = portMapKey(ports);
      let group = desired.get(k);
      if (!group) desired.set(k, (group = { ports, endpoints: new Map() }));
      const ep = podToEndpoint(pod, svc, addressType);
      if (ep.addresses.length) group.endpoints.set(endpointKey(ep), ep);
    }
    for (const [k, group] of desired) {
      const p = this.planPortMapping(svc, existingByPorts.get(k) ?? [], group.endpoints, group.ports, addressType);
      plan.toCreate.push(...p.toCreate);
      plan.toUpdate.push(...p.toUpdate);
      plan.toDelete.push(...p.toDelete);
    }
    for (const [k, slices] of existingByPorts) if (!desired.has(k)) plan.toDelete.push(...(slices as EndpointSlice[]));

    // A Service with no endpoints keeps one empty slice, so consumers can tell "none" from "not yet".
    if (existing.length === plan.toDelete.length && plan.toCreate.length === 0) {
      const placeholder = newSlice(svc, [], addressType, this.controllerName);
      const only = plan.toDelete.length === 1 ? plan.toDelete[0] : undefined;
      if (only && isPlaceholderOf(only, placeholder)) plan.toDelete = [];
      else plan.toCreate.push(placeholder);
    }

    // A create and a delete of the same address type become one update of the slice that would go.
    for (let i = 0; i < plan.toDelete.length && plan.toCreate.length; ) {
      const victim = plan.toDelete[i];
      const slice = plan.toCreate[plan.toCreate.length - 1];
      if (victim.addressType === slice.addressType && ownedBy(victim, svc)) {
        slice.metadata!.name = victim.metadata!.name;
        slice.metadata!.resourceVersion = victim.metadata!.resourceVersion;
        plan.toCreate.pop();
        plan.toUpdate.push(slice);
        plan.toDelete.splice(i, 1);
      } else {
        i++;
      }
    }
    return plan;
  }

  // planPortMapping is kube's reconcileByPortMapping for one port set.
  private planPortMapping(svc: Readonly<KubeObject>, existing: readonly Readonly<EndpointSlice>[], desired: Map<string, Endpoint>, ports: SlicePort[], addressType: string): SlicePlan {
    const max = this.maxEndpointsPerSlice;
    const byName = new Map<string, EndpointSlice>();
    const unchanged = new Set<string>();
    const toUpdate = new Set<string>();
    const toDelete = new Set<string>();
    // 1. Keep the wanted endpoints where they are (updated if they changed), drop the others.
    for (const s of existing) {
      const name = s.metadata!.name!;
      byName.set(name, s as EndpointSlice);
      const kept: Endpoint[] = [];
      let changed = false;
      for (const ep of s.endpoints ?? []) {
        const k = endpointKey(ep);
        const want = desired.get(k);
        if (!want) continue;
        kept.push(want);
        if (!endpointsEqualBeyondKey(want, ep)) changed = true;
        desired.delete(k);
      }
      const { labels, changed: labelsChanged } = sliceLabels(s, svc, this.controllerName);
      if (changed || kept.length !== (s.endpoints ?? []).length) {
        if (!kept.length) {
          toDelete.add(name);
        } else {
          const copy = structuredClone(s) as EndpointSlice;
          copy.endpoints = kept;
          copy.metadata!.labels = labels;
          byName.set(name, copy);
          toUpdate.add(name);
        }
      } else if (labelsChanged) {
        const copy = structuredClone(s) as EndpointSlice;
        copy.metadata!.labels = labels;
        byName.set(name, copy);
        toUpdate.add(name);
      } else {
        unchanged.add(name);
      }
    }
    const pop = (): Endpoint => {
      const [k, ep] = desired.entries().next().value as [string, Endpoint];
      desired.delete(k);
      return ep;
    };
    // 2. New endpoints first fill the slices being written anyway, fullest first.
    if (desired.size && toUpdate.size) {
      const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
      for (const s of slices) while (desired.size && (s.endpoints ??= []).length < max) s.endpoints.push(pop());
    }
    // 3. Then the unchanged slice they fill most closely, then new slices.
    const toCreate: EndpointSlice[] = [];
    while (desired.size) {
      let target: EndpointSlice | undefined;
      if (desired.size < max && unchanged.size) {
        let best = max;
        for (const n of unchanged) {
          const s = byName.get(n)!;
          const diff = max - (desired.size + (s.endpoints?.length ?? 0));
          if (diff >= 0 && diff < best) {
            best = diff;
            target = s;
          }
        }
      }
      if (target) {
        target = structuredClone(target) as EndpointSlice;
        byName.set(target.metadata!.name!, target);
      } else {
        target = newSlice(svc, ports, addressType, this.controllerName);
      }
      while (desired.size && (target.endpoints ??= []).length < max) target.endpoints.push(pop());
      if (target.metadata?.name) {
        toUpdate.add(target.metadata.name);
        unchanged.delete(target.metadata.name);
      } else {
        toCreate.push(target);
      }
    }
    return { toCreate, toUpdate: [...toUpdate].map((n) => byName.get(n)!), toDelete: [...toDelete].map((n) => byName.get(n)!) };
  }

  /** apply makes the writes of a plan, stamping creates and updates with the trigger time. */
  async apply(svc: Readonly<KubeObject>, plan: SlicePlan, triggerTime: number | undefined): Promise<void> {
    const namespace = svc.metadata!.namespace!;
    const stamp = (s: EndpointSlice) => {
      const annotations = { ...(s.metadata!.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME];
      if (Object.keys(annotations).length) s.metadata!.annotations = annotations;
      else delete s.metadata!.annotations;
    };
    // No new slices for a Service being deleted: the garbage collector is removing them.
    if (!svc.metadata?.deletionTimestamp) {
      for (const s of plan.toCreate) {
        stamp(s);
        try {
          this.tracker.update(await this.client.create(ENDPOINT_SLICES, namespace, s));
        } catch (err) {
          if (hasCause(err, 'NamespaceTerminating')) return;
          throw new Error(`failed to create EndpointSlice for Service ${namespace}/${svc.metadata!.name}: ${errorText(err)}`, { cause: err });
        }
      }
    }
    for (const s of plan.toUpdate) {
      stamp(s);
      s.apiVersion = 'discovery.k8s.io/v1';
      s.kind = 'EndpointSlice';
      try {
        this.tracker.update(await this.client.update(ENDPOINT_SLICES, s));
      } catch (err) {
        throw new Error(`failed to update ${s.metadata!.name} EndpointSlice for Service ${namespace}/${svc.metadata!.name}: ${errorText(err)}`, { cause: err });
      }
    }
    for (const s of plan.toDelete) {
      try {
        await this.client.delete(ENDPOINT_SLICES, namespace, s.metadata!.name!);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw new Error(`failed to delete ${s.metadata!.name} EndpointSlice for Service ${namespace}/${svc.metadata!.name}: ${errorText(err)}`, { cause: err });
      }
      this.tracker.expectDeletion(s);
    }
  }
}

// isPlaceholderOf compares a slice with the placeholder the Service would get: the same
// namespace, labels, owner, address type and no endpoints or ports.
function isPlaceholderOf(slice: Readonly<EndpointSlice>, placeholder: EndpointSlice): boolean {
  return (
    slice.metadata?.namespace === placeholder.metadata?.namespace &&
    jsonEqual(slice.metadata?.labels ?? {}, placeholder.metadata?.labels ?? {}) &&
    jsonEqual(JSON.parse(JSON.stringify(slice.metadata?.ownerReferences ?? [])), placeholder.metadata?.ownerReferences) &&
    slice.addressType === placeholder.addressType &&
    !(slice.endpoints ?? []).length &&
    !(slice.ports ?? []).length
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
