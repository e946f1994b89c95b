/**
 * The Endpoints controller, as kube's pkg/controller/endpoint: for every Service with a selector
 * (and not ExternalName) it keeps a core/v1 Endpoints object of the same name listing the
 * selected pods that have an IP: ready ones under addresses, the others under
 * notReadyAddresses (all under addresses when publishNotReadyAddresses), terminating pods only
 * when publishNotReadyAddresses, each port resolved against the pod (a named targetPort that
 * does not resolve leaves the pod out of that port), packed into subsets of addresses sharing
 * the same ports. The Endpoints carries the Service's labels (plus the headless label for a
 * Service without a cluster IP), the last-change-trigger-time annotation, and the over-capacity
 * annotation when it had to be cut to 1,000 addresses. It is deleted when the Service goes.
 * Services without a selector are left to whoever writes their Endpoints by hand.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { ENDPOINTS, PODS, SERVICES, hasCause, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import {
  HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, LEADER_ELECTION_ANNOTATION, TriggerTimeTracker, findPort, formatTriggerTime, isPodReady, isServiceIPSet,
  managesEndpoints, podIPForFamily, selectedPods, serviceIPFamily, watchServicesAndPods, shouldPodBeInEndpoints, shouldSetHostname,
  specOf, targetRefOf,
} from './service-pods';

/** MAX_ENDPOINTS_CAPACITY is the most addresses one Endpoints object lists (kube's maxCapacity). */
export const MAX_ENDPOINTS_CAPACITY = 1000;
/** OVER_CAPACITY_ANNOTATION says an Endpoints object was cut to MAX_ENDPOINTS_CAPACITY addresses. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** EndpointAddress is one core/v1 EndpointAddress. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
}

/** EndpointPort is one core/v1 EndpointPort. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** EndpointSubset is one core/v1 EndpointSubset. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** EndpointsControllerOptions tune the controller. */
export interface EndpointsControllerOptions {
  /** workers is kube's --concurrent-endpoint-syncs (default 5) */
  workers?: number;
}

/** EndpointsController keeps the Endpoints of selector Services. */
export class EndpointsController implements Controller {
  readonly name = 'endpoint-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  private services!: Informer;
  private pods!: Informer;
  private endpoints!: Informer;
  private readonly triggerTimes = new TriggerTimeTracker();
  // staleVersions holds, per Endpoints key, the resourceVersion an update replaced: a cache still
  // showing it is behind our own write, so the sync waits for it rather than writing again.
  private readonly staleVersions = new Map<string, string>();

  constructor(private readonly options: EndpointsControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.queue = new WorkQueue((key) => this.sync(key), { failure: 'Endpoints sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.services = ctx.informers.informerFor(SERVICES);
    this.pods = ctx.informers.informerFor(PODS);
    this.endpoints = ctx.informers.informerFor(ENDPOINTS);
    watchServicesAndPods(this.services, this.pods, this.queue);
    // Someone deleting an Endpoints object brings it back at once.
    this.endpoints.addEventHandler({ onDelete: (ep) => this.queue.add(objectKey(ep)) });
  }

  run(): void {
    // Endpoints left behind by Services deleted while no controller ran are found once, at start.
    for (const ep of this.endpoints.list()) {
      if (ep.metadata?.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined) this.queue.add(objectKey(ep));
    }
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** idle resolves once no Service waits to be synced (for tests and benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** sync brings one Service's Endpoints in line with its pods. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(key);
    if (!svc) {
      // kube deletes the Endpoints itself rather than leaving it to the garbage collector.
      try {
        await this.client.delete(ENDPOINTS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.triggerTimes.delete(key);
      this.staleVersions.delete(key);
      return;
    }
    if (!managesEndpoints(svc)) return;

    const pods = selectedPods(this.pods, svc);
    // Computed on every sync, so the tracker's state moves on even when nothing is written.
    const triggerTime = this.triggerTimes.compute(svc, pods);
    const subsets = repackSubsets(subsetsFor(svc, pods));

    const current = this.endpoints.get(key);
    if (current && this.staleVersions.get(key) === current.metadata?.resourceVersion) {
      throw new Error(`endpoints informer cache is out of date: resourceVersion ${current.metadata?.resourceVersion} already replaced for ${key}`);
    }
    const serviceLabels = svc.metadata?.labels ?? {};
    if (current) {
      const { [HEADLESS_LABEL]: _headless, ...compareLabels } = current.metadata?.labels ?? {};
      const currentSubsets = ((current as { subsets?: EndpointSubset[] }).subsets ?? []) as EndpointSubset[];
      if (subsetsEqualIgnoringResourceVersion(currentSubsets, subsets) && jsonEqual(compareLabels, serviceLabels) && capacityAnnotationCorrect(current.metadata?.annotations, currentSubsets)) return;
    }

    const next: KubeObject & { subsets?: EndpointSubset[] } = current
      ? (structuredClone(current) as KubeObject)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    next.apiVersion = 'v1';
    next.kind = 'Endpoints';
    const annotations: Record<string, string> = { ...(next.metadata!.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    const truncated = truncateSubsets(subsets);
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const labels: Record<string, string> = { ...serviceLabels };
    if (isServiceIPSet(svc)) delete labels[HEADLESS_LABEL];
    else labels[HEADLESS_LABEL] = '';
    next.metadata!.labels = labels;
    if (Object.keys(annotations).length) next.metadata!.annotations = annotations;
    else delete next.metadata!.annotations;
    if (subsets.length) next.subsets = subsets;
    else delete next.subsets;

    try {
      if (!current) {
        await this.client.create(ENDPOINTS, namespace, next);
      } else {
        const updated = await this.client.update(ENDPOINTS, next);
        if (updated.metadata?.resourceVersion !== current.metadata?.resourceVersion) this.staleVersions.set(key, current.metadata!.resourceVersion!);
      }
    } catch (err) {
      // A terminating namespace takes no new objects: nothing to retry.
      if (!current && hasCause(err, 'NamespaceTerminating')) return;
      const message = err instanceof Error ? err.message : String(err);
      if (!current) void this.recorder.event(next, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${message}`);
      else void this.recorder.event(next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${message}`);
      throw err;
    }
  }
}

/** subsetsFor builds one subset per pod and resolved port, as kube does before repacking them. */
export function subsetsFor(svc: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[]): EndpointSubset[] {
  const spec = specOf(svc);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const family = serviceIPFamily(svc);
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPForFamily(pod, family);
    if (!ip) continue;
    // Nodes do not exist here, so no address names one.
    const address: EndpointAddress = { ip, targetRef: targetRefOf(pod) };
    if (shouldSetHostname(pod, svc)) address.hostname = (pod.spec as { hostname: string }).hostname;
    const ready = publishNotReady || isPodReady(pod);
    const add = (ports: EndpointPort[]) => subsets.push(ready ? { addresses: [address], ports } : { notReadyAddresses: [address], ports });
    const ports = spec.ports ?? [];
    if (!ports.length) {
      // Only a headless Service may have no ports; its addresses then carry none.
      if (spec.clusterIP === 'None') add([]);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      // Field order as kube serialises an EndpointPort; an empty name is omitted.
      const ep: EndpointPort = { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add([ep]);
    }
  }
  return subsets;
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol ?? ''}/${p.appProtocol ?? ''}`;
const addressKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;

function compareIP(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortAddresses(list: EndpointAddress[]): EndpointAddress[] {
  return list.sort((a, b) => compareIP(a.ip, b.ip) || ((a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : (a.targetRef?.uid ?? '') > (b.targetRef?.uid ?? '') ? 1 : 0));
}

/**
 * repackSubsets puts subsets in kube's canonical form (RepackSubsets): every address appears once
 * per readiness, grouped with the other addresses offering exactly the same ports, addresses and
 * ports sorted, so two syncs over the same pods produce equal objects.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  // address (with its readiness) -> the ports it offers; a subset without ports offers none.
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const s of subsets) {
    for (const [list, ready] of [[s.addresses ?? [], true], [s.notReadyAddresses ?? [], false]] as const) {
      for (const a of list) {
        const k = `${ready ? 'r' : 'n'}|${addressKey(a)}`;
        let entry = byAddress.get(k);
        if (!entry) byAddress.set(k, (entry = { address: a, ready, ports: new Map() }));
        for (const p of s.ports ?? []) entry.ports.set(portKey(p), p);
      }
    }
  }
  // port set -> the addresses that offer exactly it.
  const byPorts = new Map<string, EndpointSubset & { sortKey: string }>();
  for (const { address, ready, ports } of byAddress.values()) {
    const sorted = [...ports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const k = sorted.map(([pk]) => pk).join(',');
    let subset = byPorts.get(k);
    if (!subset) byPorts.set(k, (subset = { sortKey: k, ports: sorted.map(([, p]) => p) }));
    if (ready) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  return [...byPorts.values()]
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .map(({ sortKey: _k, ...s }) => {
      const out: EndpointSubset = {};
      if (s.addresses) out.addresses = sortAddresses(s.addresses);
      if (s.notReadyAddresses) out.notReadyAddresses = sortAddresses(s.notReadyAddresses);
      if (s.ports?.length) out.ports = s.ports;
      return out;
    });
}

function withoutResourceVersions(subsets: EndpointSubset[]): EndpointSubset[] {
  const strip = (list?: EndpointAddress[]) => list?.map((a) => (a.targetRef?.resourceVersion === undefined ? a : { ...a, targetRef: { ...a.targetRef, resourceVersion: undefined } }));
  return subsets.map((s) => ({ ...s, addresses: strip(s.addresses), notReadyAddresses: strip(s.notReadyAddresses) }));
}

function subsetsEqualIgnoringResourceVersion(a: EndpointSubset[], b: EndpointSubset[]): boolean {
  return jsonEqual(JSON.parse(JSON.stringify(withoutResourceVersions(a))), JSON.parse(JSON.stringify(withoutResourceVersions(b))));
}

function countAddresses(subsets: EndpointSubset[]): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

// capacityAnnotationCorrect is false when the subsets are over capacity (they must be cut) or the
// over-capacity annotation stays on an Endpoints that no longer needs it.
function capacityAnnotationCorrect(annotations: Readonly<Record<string, string>> | undefined, subsets: EndpointSubset[]): boolean {
  const { ready, notReady } = countAddresses(subsets);
  if (ready + notReady > MAX_ENDPOINTS_CAPACITY) return false;
  return annotations?.[OVER_CAPACITY_ANNOTATION] === undefined;
}

/**
 * truncateSubsets cuts subsets over MAX_ENDPOINTS_CAPACITY addresses in place, as kube's
 * truncateEndpoints: ready addresses are kept before not-ready ones, and each subset keeps its
 * share of what remains in proportion to its size. It answers whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  const { ready, notReady } = countAddresses(subsets);
  if (ready + notReady <= MAX_ENDPOINTS_CAPACITY) return false;
  const cutReady = ready > MAX_ENDPOINTS_CAPACITY;
  const max = cutReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - ready;
  const total = cutReady ? ready : notReady;
  let room = max;
  for (const s of subsets) {
    const inSubset = cutReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const share = Math.min(Math.ceil((inSubset / total) * max), room);
    if (cutReady) {
      if (s.addresses) s.addresses = s.addresses.slice(0, share);
      delete s.notReadyAddresses;
      room -= s.addresses?.length ?? 0;
    } else {
      if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, share);
      room -= s.notReadyAddresses?.length ?? 0;
    }
  }
  return true;
}
