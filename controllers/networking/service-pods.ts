/**
 * What the Endpoints and EndpointSlice controllers share about Services and the pods they
 * select, as kube's endpointslice util package holds it: which pods belong in endpoints at all,
 * how a Service port resolves against a pod (named targetPorts looked up in its containers),
 * when an address carries the pod's hostname, which Services a pod change concerns, and the
 * last-change-trigger-time each sync reports.
 */
import { isIPv6 } from 'node:net';
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { objectKey } from '../runtime/client';
import type { Informer } from '../runtime/informer';

/** LAST_CHANGE_TRIGGER_TIME is the annotation naming the change an Endpoints or EndpointSlice write reflects. */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** HEADLESS_LABEL marks the endpoints of a Service without a cluster IP. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** LEADER_ELECTION_ANNOTATION marks an Endpoints object used as a leader-election lock, which no controller touches. */
export const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

/** ServicePort is one entry of spec.ports. */
export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

/** ServiceSpec is the part of core/v1 Service the endpoints controllers read. */
export interface ServiceSpec {
  type?: string;
  selector?: Record<string, string>;
  clusterIP?: string;
  ipFamilies?: string[];
  ports?: ServicePort[];
  publishNotReadyAddresses?: boolean;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface PodSpec {
  hostname?: string;
  subdomain?: string;
  nodeName?: string;
  containers?: Array<{ ports?: ContainerPort[] }>;
  initContainers?: Array<{ ports?: ContainerPort[]; restartPolicy?: string }>;
}

interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
}

/** specOf reads a Service's spec. */
export function specOf(svc: Readonly<KubeObject>): ServiceSpec {
  return (svc.spec ?? {}) as ServiceSpec;
}

/**
 * selectorOf answers a Service's selector, or undefined when it has none. An empty selector is
 * none too: the API server drops an empty map on the way to storage, so kube never sees one.
 */
export function selectorOf(svc: Readonly<KubeObject>): Record<string, string> | undefined {
  const sel = specOf(svc).selector;
  return sel && Object.keys(sel).length ? sel : undefined;
}

/** managesEndpoints is true for a Service the endpoints controllers derive endpoints for: a selector and not ExternalName. */
export function managesEndpoints(svc: Readonly<KubeObject>): boolean {
  return specOf(svc).type !== 'ExternalName' && selectorOf(svc) !== undefined;
}

/** isServiceIPSet is false for a headless Service (clusterIP None) and one not given an IP yet. */
export function isServiceIPSet(svc: Readonly<KubeObject>): boolean {
  const ip = specOf(svc).clusterIP;
  return !!ip && ip !== 'None';
}

/** selects is true when a selector map matches a pod's labels. */
export function selects(selector: Record<string, string>, pod: Readonly<KubeObject>): boolean {
  const labels = pod.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** selectedPods answers the cached pods of the Service's namespace its selector matches, through the label index. */
export function selectedPods(pods: Informer, svc: Readonly<KubeObject>): Readonly<KubeObject>[] {
  const selector = selectorOf(svc);
  if (!selector) return [];
  const [k, v] = Object.entries(selector)[0];
  return pods.byLabel(k, v, svc.metadata?.namespace ?? '').filter((p) => selects(selector, p));
}

function statusOf(pod: Readonly<KubeObject>): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

function podSpecOf(pod: Readonly<KubeObject>): PodSpec {
  return (pod.spec ?? {}) as PodSpec;
}

/** isPodReady is true when the pod's Ready condition is True. */
export function isPodReady(pod: Readonly<KubeObject>): boolean {
  return statusOf(pod).conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** podIPsOf answers status.podIPs, falling back to status.podIP. */
export function podIPsOf(pod: Readonly<KubeObject>): string[] {
  const s = statusOf(pod);
  if (s.podIPs?.length) return s.podIPs.map((p) => p.ip).filter(Boolean);
  return s.podIP ? [s.podIP] : [];
}

/**
 * shouldPodBeInEndpoints is kube's ShouldPodBeInEndpoints: a pod that finished (Succeeded or
 * Failed) or has no IP never appears; a terminating one only when includeTerminating.
 */
export function shouldPodBeInEndpoints(pod: Readonly<KubeObject>, includeTerminating: boolean): boolean {
  const phase = statusOf(pod).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!podIPsOf(pod).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** shouldSetHostname is true when the pod names the Service as its subdomain and has a hostname (StatefulSet pods behind their governing Service). */
export function shouldSetHostname(pod: Readonly<KubeObject>, svc: Readonly<KubeObject>): boolean {
  const spec = podSpecOf(pod);
  return !!spec.hostname && spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/** serviceIPFamily is the family the Service's addresses come from: its first ipFamilies entry, else that of its cluster IP, else IPv4. */
export function serviceIPFamily(svc: Readonly<KubeObject>): 'IPv4' | 'IPv6' {
  const spec = specOf(svc);
  if (spec.ipFamilies?.length) return spec.ipFamilies[0] === 'IPv6' ? 'IPv6' : 'IPv4';
  // Without ipFamilies kube guesses from the cluster IP; pods here are IPv4, so a Service not
  // given an IP yet is IPv4 rather than the dual-stack guess kube makes during upgrades.
  return isServiceIPSet(svc) && isIPv6(spec.clusterIP!) ? 'IPv6' : 'IPv4';
}

/** podIPForFamily answers the pod's first IP of a family. */
export function podIPForFamily(pod: Readonly<KubeObject>, family: 'IPv4' | 'IPv6'): string | undefined {
  return podIPsOf(pod).find((ip) => isIPv6(ip) === (family === 'IPv6'));
}

/**
 * findPort resolves a Service port against a pod, as kube's FindPort: a numeric targetPort is
 * itself; a named one is the containerPort of that name and protocol in the pod's containers
 * (or sidecar init containers); undefined when the name does not resolve.
 */
export function findPort(pod: Readonly<KubeObject>, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  const spec = podSpecOf(pod);
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(spec.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** targetRefOf is the ObjectReference an address carries to its pod. */
export function targetRefOf(pod: Readonly<KubeObject>): { kind: 'Pod'; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

// podEndpointsChanged answers whether a pod update can change its endpoints (deletion started,
// readiness, IPs) and whether it can change which Services select it (labels, hostname, subdomain).
function podEndpointsChanged(old: Readonly<KubeObject>, pod: Readonly<KubeObject>): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged =
    !jsonEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {}) || podSpecOf(old).hostname !== podSpecOf(pod).hostname || podSpecOf(old).subdomain !== podSpecOf(pod).subdomain;
  const podChanged = old.metadata?.deletionTimestamp !== pod.metadata?.deletionTimestamp || isPodReady(old) !== isPodReady(pod) || !jsonEqual(podIPsOf(old), podIPsOf(pod));
  return { podChanged, labelsChanged };
}

/** servicesSelecting answers the keys of the cached Services of a namespace whose selector matches the labels. */
export function servicesSelecting(services: Informer, pod: Readonly<KubeObject>): Set<string> {
  const out = new Set<string>();
  for (const svc of services.list(pod.metadata?.namespace ?? '')) {
    const selector = selectorOf(svc);
    if (selector && selects(selector, pod)) out.add(objectKey(svc));
  }
  return out;
}

/**
 * servicesForPodUpdate answers the Services a pod update concerns, as kube's
 * GetServicesToUpdateOnPodChange: none when nothing endpoint-relevant changed; those selecting
 * it when only its state changed; after a label change, the Services that gained or lost it
 * (and every old and new one when its state changed too).
 */
export function servicesForPodUpdate(services: Informer, old: Readonly<KubeObject>, pod: Readonly<KubeObject>): Set<string> {
  if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(old, pod);
  if (!podChanged && !labelsChanged) return new Set();
  const now = servicesSelecting(services, pod);
  if (!labelsChanged) return now;
  const before = servicesSelecting(services, old);
  if (podChanged) return new Set([...now, ...before]);
  const out = new Set<string>();
  for (const k of now) if (!before.has(k)) out.add(k);
  for (const k of before) if (!now.has(k)) out.add(k);
  return out;
}

/**
 * watchServicesAndPods queues a Service's key whenever it changes, and the keys of the Services a
 * pod's change concerns (servicesSelecting, servicesForPodUpdate): the handlers the Endpoints and
 * EndpointSlice controllers both need.
 */
export function watchServicesAndPods(services: Informer, pods: Informer, queue: { add(key: string): void }): void {
  const addAll = (keys: Iterable<string>) => {
    for (const k of keys) queue.add(k);
  };
  services.addEventHandler({
    onAdd: (svc) => queue.add(objectKey(svc)),
    onUpdate: (_old, svc) => queue.add(objectKey(svc)),
    onDelete: (svc) => queue.add(objectKey(svc)),
  });
  pods.addEventHandler({
    onAdd: (pod) => addAll(servicesSelecting(services, pod)),
    onUpdate: (old, pod) => addAll(servicesForPodUpdate(services, old, pod)),
    onDelete: (pod) => addAll(servicesSelecting(services, pod)),
  });
}

/**
 * TriggerTimeTracker computes the last-change-trigger-time of a sync as kube's tracker: the
 * Service's creation on its first sync, and afterwards the earliest Ready transition among the
 * pods whose transition is newer than the one seen at the previous sync (none: no annotation).
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, { service: number; pods: Map<string, number> }>();

  /** compute answers the trigger time (ms since the epoch) of a sync of svc over pods, or undefined, and remembers what it saw. */
  compute(svc: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[]): number | undefined {
    const key = objectKey(svc);
    const state = this.states.get(key);
    let min: number | undefined;
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const t = Date.parse(statusOf(pod).conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
      if (!Number.isFinite(t)) continue;
      const name = pod.metadata?.name ?? '';
      seen.set(name, t);
      if (t > (state?.pods.get(name) ?? -Infinity)) min = min === undefined ? t : Math.min(min, t);
    }
    const created = Date.parse(svc.metadata?.creationTimestamp ?? '');
    const serviceTime = Number.isFinite(created) ? created : 0;
    if (state && serviceTime > state.service) min = min === undefined ? serviceTime : Math.min(min, serviceTime);
    this.states.set(key, { service: serviceTime, pods: seen });
    if (!state) return Number.isFinite(created) ? created : undefined;
    return min;
  }

  /** delete forgets a Service. */
  delete(key: string): void {
    this.states.delete(key);
  }
}

/** formatTriggerTime renders a trigger time as kube does (RFC 3339 with the fraction Go prints: trailing zeros dropped). */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
