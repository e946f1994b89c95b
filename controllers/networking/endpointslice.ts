/**
 * The EndpointSlice controller, as kube's pkg/controller/endpointslice: for every Service with a
 * selector (and not ExternalName) it keeps discovery.k8s.io/v1 EndpointSlices listing the
 * selected pods that have an IP, with ready/serving/terminating conditions, resolved ports,
 * targetRef and hostname, labelled kubernetes.io/service-name and managed-by
 * endpointslice-controller.k8s.io, owned by the Service (so the garbage collector removes them
 * with it). The reconciler (endpointslice-reconciler.ts) decides the writes; this file maps
 * Service, pod and slice events to Services and guards against a cache behind its own writes.
 */
import type { KubeObject } from '../../schemas/types';
import { ENDPOINT_SLICES, PODS, SERVICES, objectKey, splitKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import { ENDPOINTSLICE_CONTROLLER, EndpointSliceReconciler, type EndpointSlice } from './endpointslice-reconciler';
import { EndpointSliceTracker, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, sliceEventHandler } from './endpointslice-tracker';
import { TriggerTimeTracker, managesEndpoints, selectedPods, watchServicesAndPods } from './service-pods';

/** SLICE_CHANGE_DELAY is how long after an outside change to one of its slices a Service syncs (kube's endpointSliceChangeMinSyncDelay). */
export const SLICE_CHANGE_DELAY_MS = 1000;

/** EndpointSliceControllerOptions tune the controller. */
export interface EndpointSliceControllerOptions {
  /** workers is kube's --concurrent-service-endpoint-syncs (default 5) */
  workers?: number;
  /** maxEndpointsPerSlice is kube's --max-endpoints-per-slice (default 100) */
  maxEndpointsPerSlice?: number;
}

/** EndpointSliceController keeps the EndpointSlices of selector Services. */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  private services!: Informer;
  private pods!: Informer;
  private slices!: Informer<EndpointSlice>;
  private reconciler!: EndpointSliceReconciler;
  private readonly tracker = new EndpointSliceTracker();
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(private readonly options: EndpointSliceControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.reconciler = new EndpointSliceReconciler(ctx.client, this.tracker, { maxEndpointsPerSlice: this.options.maxEndpointsPerSlice });
    this.queue = new WorkQueue((key) => this.sync(key), { failure: 'EndpointSlice sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.services = ctx.informers.informerFor(SERVICES);
    this.pods = ctx.informers.informerFor(PODS);
    this.slices = ctx.informers.informerFor<EndpointSlice>(ENDPOINT_SLICES);
    watchServicesAndPods(this.services, this.pods, this.queue);
    this.slices.addEventHandler(sliceEventHandler((s) => this.managed(s), this.tracker, (s) => this.queueForSlice(s)));
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** idle resolves once no Service waits to be synced (for tests and benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private managed(s: Readonly<KubeObject>): boolean {
    return s.metadata?.labels?.[MANAGED_BY_LABEL] === this.reconciler.controllerName;
  }

  private queueForSlice(s: Readonly<KubeObject>): void {
    const service = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (service) this.queue.addAfter(`${s.metadata?.namespace}/${service}`, SLICE_CHANGE_DELAY_MS);
  }

  /** sync brings one Service's EndpointSlices in line with its pods; true asks for a retry (the cache is behind). */
  async sync(key: string): Promise<boolean | void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(key);
    if (!svc) {
      // The slices are the Service's dependents: the garbage collector deletes them.
      this.triggerTimes.delete(key);
      this.tracker.deleteOwner(namespace ?? '', name);
      return;
    }
    if (!managesEndpoints(svc)) return;
    const pods = selectedPods(this.pods, svc);
    const slices = this.slices.byLabel(SERVICE_NAME_LABEL, name, namespace).filter((s) => this.managed(s) && !s.metadata?.deletionTimestamp);
    if (this.tracker.stale(svc, slices)) return true;
    const triggerTime = this.triggerTimes.compute(svc, pods);
    try {
      await this.reconciler.apply(svc, this.reconciler.plan(svc, pods, slices), triggerTime);
    } catch (err) {
      void this.recorder.event({ ...svc, apiVersion: 'v1', kind: 'Service' }, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }
}

export { ENDPOINTSLICE_CONTROLLER };
