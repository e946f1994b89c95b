/**
 * The EndpointSliceMirroring controller, as kube's pkg/controller/endpointslicemirroring: for a
 * Service without a selector whose Endpoints someone writes by hand, it mirrors that Endpoints
 * object into EndpointSlices (managed-by endpointslicemirroring-controller.k8s.io, owned by the
 * Endpoints), one slice per subset port set and address type, at most 1,000 addresses a subset.
 * Ready addresses become ready endpoints and notReadyAddresses not-ready ones. Labels and
 * annotations are copied from the Endpoints (not the trigger time or last-applied
 * configuration). An Endpoints labelled endpointslice.kubernetes.io/skip-mirror=true, used as a
 * leader-election lock, of a Service that has a selector or of no Service at all, gets no
 * mirrored slices, and any it had are deleted.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { ENDPOINTS, ENDPOINT_SLICES, SERVICES, hasCause, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import type { EndpointAddress, EndpointSubset } from './endpoints';
import { endpointKey, endpointsEqualBeyondKey, portMapKey, type Endpoint, type EndpointSlice, type SlicePort } from './endpointslice-reconciler';
import { EndpointSliceTracker, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, sliceEventHandler } from './endpointslice-tracker';
import { LAST_CHANGE_TRIGGER_TIME, LEADER_ELECTION_ANNOTATION, selectorOf } from './service-pods';

/** MIRRORING_CONTROLLER is the managed-by value of mirrored slices. */
export const MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';
/** SKIP_MIRROR_LABEL set to "true" on an Endpoints keeps it from being mirrored. */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** MAX_MIRRORED_PER_SUBSET is kube's --mirroring-max-endpoints-per-subset default. */
export const MAX_MIRRORED_PER_SUBSET = 1000;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Endpoints = KubeObject & { subsets?: EndpointSubset[] };

/** EndpointSliceMirroringControllerOptions tune the controller. */
export interface EndpointSliceMirroringControllerOptions {
  /** workers is kube's --mirroring-concurrent-service-endpoint-syncs (default 5) */
  workers?: number;
  maxEndpointsPerSubset?: number;
}

/** shouldMirror is false for an Endpoints labelled skip-mirror or used as a leader-election lock. */
export function shouldMirror(ep: Readonly<KubeObject>): boolean {
  return ep.metadata?.labels?.[SKIP_MIRROR_LABEL] !== 'true' && ep.metadata?.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined;
}

/** EndpointSliceMirroringController mirrors hand-written Endpoints into EndpointSlices. */
export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  private services!: Informer;
  private endpoints!: Informer<Endpoints>;
  private slices!: Informer<EndpointSlice>;
  private readonly tracker = new EndpointSliceTracker();

  constructor(private readonly options: EndpointSliceMirroringControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.queue = new WorkQueue((key) => this.sync(key), { failure: 'EndpointSlice mirroring failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.services = ctx.informers.informerFor(SERVICES);
    this.endpoints = ctx.informers.informerFor<Endpoints>(ENDPOINTS);
    this.slices = ctx.informers.informerFor<EndpointSlice>(ENDPOINT_SLICES);
    // Only selector-less Services matter here, and of their updates only a selector coming or going.
    this.services.addEventHandler({
      onAdd: (svc) => {
        if (!selectorOf(svc)) this.queue.add(objectKey(svc));
      },
      onUpdate: (old, svc) => {
        if (!selectorOf(old) !== !selectorOf(svc)) this.queue.add(objectKey(svc));
      },
      onDelete: (svc) => {
        if (!selectorOf(svc)) this.queue.add(objectKey(svc));
      },
    });
    this.endpoints.addEventHandler({
      onAdd: (ep) => {
        if (shouldMirror(ep)) this.queue.add(objectKey(ep));
      },
      onUpdate: (old, ep) => {
        if (shouldMirror(ep) || shouldMirror(old)) this.queue.add(objectKey(ep));
      },
      onDelete: (ep) => {
        if (shouldMirror(ep)) this.queue.add(objectKey(ep));
      },
    });
    this.slices.addEventHandler(sliceEventHandler((s) => this.managed(s), this.tracker, (s) => this.queueForSlice(s)));
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** idle resolves once no Endpoints waits to be mirrored. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private managed(s: Readonly<KubeObject>): boolean {
    return s.metadata?.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER;
  }

  private queueForSlice(s: Readonly<KubeObject>): void {
    const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (name) this.queue.add(`${s.metadata?.namespace}/${name}`);
  }

  private mirrored(namespace: string | undefined, name: string): Readonly<EndpointSlice>[] {
    return this.slices.byLabel(SERVICE_NAME_LABEL, name, namespace).filter((s) => this.managed(s));
  }

  /** sync mirrors one Endpoints object; true asks for a retry (the cache is behind). */
  async sync(key: string): Promise<boolean | void> {
    const { namespace, name } = splitKey(key);
    const ep = this.endpoints.get(key);
    const svc = this.services.get(key);
    if (!ep || !shouldMirror(ep) || !svc || selectorOf(svc)) {
      this.tracker.deleteOwner(namespace ?? '', name);
      return this.deleteAll(namespace, this.mirrored(namespace, name));
    }
    const existing = this.mirrored(namespace, name);
    if (this.tracker.stale(svc, existing)) return true;
    const { desired, invalid, skipped } = desiredSlices(ep, this.options.maxEndpointsPerSubset ?? MAX_MIRRORED_PER_SUBSET);
    const endpointsRef = { ...ep, apiVersion: 'v1', kind: 'Endpoints' };
    if (invalid) void this.recorder.event(endpointsRef, 'Warning', 'InvalidIPAddress', `Skipped ${invalid} invalid IP addresses when mirroring to EndpointSlices`);
    if (skipped > invalid) {
      void this.recorder.event(endpointsRef, 'Warning', 'TooManyAddressesToMirror', `A max of ${this.options.maxEndpointsPerSubset ?? MAX_MIRRORED_PER_SUBSET} addresses can be mirrored to EndpointSlices per Endpoints subset. ${skipped} addresses were skipped`);
    }

    const toCreate: EndpointSlice[] = [];
    const toUpdate: EndpointSlice[] = [];
    const toDelete: Readonly<EndpointSlice>[] = [];
    const existingByKey = new Map<string, Readonly<EndpointSlice>[]>();
    for (const s of existing) {
      const k = `${s.addressType}|${portMapKey(s.ports)}`;
      existingByKey.set(k, [...(existingByKey.get(k) ?? []), s]);
    }
    for (const [k, want] of desired) {
      const have = existingByKey.get(k) ?? [];
      if (!want.endpoints.size) {
        toDelete.push(...have);
        continue;
      }
      // One slice per port set and address type: extra ones go, the first is kept or rewritten.
      toDelete.push(...have.slice(1));
      const first = have[0];
      const slice = mirroredSlice(ep, want.ports, want.addressType, [...want.endpoints.values()]);
      if (first) {
        if (unchanged(first, slice)) continue;
        slice.metadata!.name = first.metadata!.name;
        slice.metadata!.resourceVersion = first.metadata!.resourceVersion;
        toUpdate.push(slice);
      } else {
        toCreate.push(slice);
      }
    }
    for (const [k, have] of existingByKey) if (!desired.has(k)) toDelete.push(...have);
    // A create and a delete of the same address type become one update of the slice that would go.
    for (const c of [...toCreate]) {
      const i = toDelete.findIndex((d) => d.addressType === c.addressType);
      if (i < 0) continue;
      const [victim] = toDelete.splice(i, 1);
      c.metadata!.name = victim.metadata!.name;
      c.metadata!.resourceVersion = victim.metadata!.resourceVersion;
      toCreate.splice(toCreate.indexOf(c), 1);
      toUpdate.push(c);
    }
    if (!ep.metadata?.deletionTimestamp) {
      for (const s of toCreate) {
        try {
          this.tracker.update(await this.client.create(ENDPOINT_SLICES, namespace, s));
        } catch (err) {
          if (hasCause(err, 'NamespaceTerminating')) return;
          throw err;
        }
      }
    }
    for (const s of toUpdate) this.tracker.update(await this.client.update(ENDPOINT_SLICES, s));
    await this.deleteAll(namespace, toDelete);
  }

  private async deleteAll(namespace: string | undefined, slices: readonly Readonly<EndpointSlice>[]): Promise<void> {
    for (const s of slices) {
      try {
        await this.client.delete(ENDPOINT_SLICES, namespace, s.metadata!.name!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.tracker.expectDeletion(s);
    }
  }
}

interface DesiredSlice {
  addressType: 'IPv4' | 'IPv6';
  ports: SlicePort[];
  endpoints: Map<string, Endpoint>;
}

/**
 * desiredSlices groups an Endpoints object's addresses by address type and subset ports, at most
 * maxPerSubset addresses of each subset (ready ones first); it counts invalid IPs and everything skipped.
 */
export function desiredSlices(ep: Readonly<Endpoints>, maxPerSubset: number): { desired: Map<string, DesiredSlice>; invalid: number; skipped: number } {
  const desired = new Map<string, DesiredSlice>();
  let invalid = 0;
  let skipped = 0;
  for (const subset of ep.subsets ?? []) {
    const ports: SlicePort[] = (subset.ports ?? []).map((p) => {
      const out: SlicePort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port };
      if (p.appProtocol) out.appProtocol = p.appProtocol;
      return out;
    });
    const group = (type: 'IPv4' | 'IPv6') => {
      const k = `${type}|${portMapKey(ports)}`;
      let g = desired.get(k);
      if (!g) desired.set(k, (g = { addressType: type, ports, endpoints: new Map() }));
      return g;
    };
    group('IPv4');
    group('IPv6');
    const total = (subset.addresses?.length ?? 0) + (subset.notReadyAddresses?.length ?? 0);
    let added = 0;
    for (const [list, ready] of [[subset.addresses ?? [], true], [subset.notReadyAddresses ?? [], false]] as const) {
      for (const address of list) {
        if (added >= maxPerSubset) break;
        const family = isIP(address.ip);
        if (!family) {
          invalid++;
          continue;
        }
        const endpoint = addressToEndpoint(address, ready);
        group(family === 6 ? 'IPv6' : 'IPv4').endpoints.set(endpointKey(endpoint), endpoint);
        added++;
      }
    }
    skipped += total - added;
  }
  return { desired, invalid, skipped };
}

function addressToEndpoint(address: EndpointAddress, ready: boolean): Endpoint {
  const ep: Endpoint = { addresses: [address.ip], conditions: { ready } };
  if (address.hostname) ep.hostname = address.hostname;
  if (address.targetRef) ep.targetRef = { ...address.targetRef };
  if (address.nodeName) ep.nodeName = address.nodeName;
  return ep;
}

function mirroredSlice(ep: Readonly<Endpoints>, ports: SlicePort[], addressType: string, endpoints: Endpoint[]): EndpointSlice {
  const labels: Record<string, string> = { ...(ep.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: ep.metadata!.name!, [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.metadata?.annotations ?? {})) if (k !== LAST_CHANGE_TRIGGER_TIME && k !== LAST_APPLIED) annotations[k] = v;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${ep.metadata!.name}-`,
      namespace: ep.metadata!.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: ep.metadata!.name!, uid: ep.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints,
    ports,
  };
}

// unchanged compares a mirrored slice with what it should now be: endpoints (by key and beyond),
// labels and annotations.
function unchanged(have: Readonly<EndpointSlice>, want: EndpointSlice): boolean {
  const a = have.endpoints ?? [];
  const b = want.endpoints ?? [];
  if (a.length !== b.length) return false;
  const byKey = new Map(b.map((e) => [endpointKey(e), e]));
  for (const e of a) {
    const w = byKey.get(endpointKey(e));
    if (!w || !endpointsEqualBeyondKey(w, e)) return false;
  }
  return jsonEqual(have.metadata?.labels ?? {}, want.metadata?.labels ?? {}) && jsonEqual(have.metadata?.annotations ?? {}, want.metadata?.annotations ?? {});
}
