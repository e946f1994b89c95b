/**
 * The instance scheduler: the loop that makes Pods run. It watches Pods through the Client, sizes
 * each new Pod from the catalog, asks the account capacity, creates an instance through the
 * provider and then plays kubelet for the Pod: every change the provider reports becomes the
 * pods/status body a kubelet would write (pod-status.ts) and the Events a kubelet records
 * (Pulling, Pulled, Created, Started, BackOff, Killing, and the Unhealthy and Killing events of
 * probes the provider runs). Scheduling itself reports as
 * kube-scheduler does: a Scheduled event, or PodScheduled=False with FailedScheduling.
 *
 * Graceful deletion is finished here, as a kubelet finishes it: a Pod with a deletionTimestamp
 * has its instance stopped within the grace period and is then deleted with grace period 0 and a
 * uid precondition. Everything is level-triggered and rebuilt at start from the Pods (their
 * instance annotations and status.podIP) and the provider's instances, so a restarted scheduler
 * adopts what runs instead of provisioning it twice. An instance the provider reports lost fails
 * its Pod, as kube fails the Pods of a lost node; an instance the provider has no record of at all
 * (a provider that restarted, as the in-memory simulated one does with the server) is replaced:
 * the Pod, keeping its IP, is placed on a new instance.
 */
import { randomInt } from 'node:crypto';
import { jsonEqual } from '../../schemas/meta/json';
import type { KubeObject } from '../../schemas/types';
import { NAMESPACES, PODS, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { BillingRegistry } from '../runtime/billing';
import { PodLogError, type PodLogLine, type PodLogQuery, type PodLogRegistry, type PodRef } from '../runtime/pod-logs';
import { WorkQueue, type Clock as RuntimeClock, type ReconcileResult } from '../runtime/work-queue';
import { AllocatorError, IPAllocator } from './allocator';
import { annotation } from './annotations';
import { AccountCapacity, type CapacityLimits } from './capacity';
import { type Catalog, defaultCatalog, pricePerSecond } from './catalog';
import { type BillingOptions, type InstanceRun, type Ledger, startRun, stopRun } from './ledger';
import type { Clock, TimerHandle } from './clock';
import type { ContainerStatus, Pod, PodStatus } from './pod';
import { kubeletPodStatus, unschedulablePodStatus } from './pod-status';
import { ContainerLogError, InstanceNotFoundError, type InstanceStatus, type Provider } from './providers/provider';
import { SimulatedProvider, type SimulatedProviderOptions } from './providers/simulated';
import { RunStore } from './run-store';
import { UsageWriter, namespaceBills } from './usage-writer';
import { decideSize, instanceAnnotations, type Placement, type SizingOptions } from './sizing';

/** SCHEDULER_NAME is the spec.schedulerName of the Pods this scheduler places (kube's default). */
export const SCHEDULER_NAME = 'default-scheduler';

/** providerBackoff is how a failing provider is retried: 1 s doubling to 5 min. */
export const providerBackoff = { initialMs: 1_000, maxMs: 300_000 } as const;

/** InstanceSchedulerOptions configure the scheduler; every field has a default. */
export interface InstanceSchedulerOptions {
  /** provider runs the instances; default a SimulatedProvider on the controller clock, closed on stop. */
  provider?: Provider;
  /** providerFactory makes the provider at setup, from the controllers' Client and clock; the scheduler owns it and closes it on stop. */
  providerFactory?: (env: { client: Client; clock: Clock }) => Provider;
  /** simulated tunes the default provider (ignored when provider or providerFactory is given). */
  simulated?: Omit<SimulatedProviderOptions, 'clock'>;
  catalog?: Catalog;
  sizing?: SizingOptions;
  /** capacity bounds the account: total vCPU, memory and instances (default unlimited). */
  capacity?: CapacityLimits;
  /** podCIDR is where pod IPs come from (default 10.64.0.0/10). */
  podCIDR?: string;
  /** logs is where the scheduler registers itself as the source of pods/log. */
  logs?: PodLogRegistry;
  /** bills is where /metrics reads this scheduler's bill from, when it runs in the API server's process */
  bills?: BillingRegistry;
  /** ledger keeps every instance run as an InstanceRun object in the store (default true). */
  ledger?: boolean;
  billing?: BillingOptions;
  workers?: number;
}

/** Tracked is what the scheduler knows of one Pod (by uid) beyond the Pod object itself. */
interface Tracked {
  uid: string;
  key: string;
  instanceId?: string;
  placement?: Placement;
  holdsCapacity: boolean;
  /** seen is the last containerID observed per container, to record each start once. */
  seen: Map<string, string>;
  /** backoff is the restartCount a BackOff event was last recorded at, per container. */
  backoff: Map<string, number>;
  killing: boolean;
  lostReported: boolean;
  failures: number;
  /** retryAt is when a failed create may be tried again (the provider backoff). */
  retryAt: number;
  /** run is the billing record of the Pod's instance, once it started. */
  run?: InstanceRun;
  /** lastFailure is the FailedScheduling message last recorded, so a repeat is not recorded on every pass. */
  lastFailure?: string;
  /** eventSeq is the seq of the last runtime event (InstanceStatus.events) recorded. */
  eventSeq: number;
  /** written is the Pod as our last pods/status write left it, until the informer has it too. */
  written?: Pod;
  /** superseded are the resourceVersions our writes replaced: a cached Pod at one of them is older than written. */
  superseded: Set<string>;
}

/** instanceClock adapts a controller clock to the clock the provider takes. */
export function instanceClock(clock: RuntimeClock): Clock {
  let next = 1;
  const live = new Map<number, unknown>();
  return {
    now: () => clock.now(),
    setTimer(fn, delayMs): TimerHandle {
      const id = next++;
      live.set(
        id,
        clock.setTimeout(() => {
          live.delete(id);
          fn();
        }, Math.max(0, delayMs)),
      );
      return { id };
    },
    clearTimer(handle) {
      const t = live.get(handle.id);
      if (t === undefined) return;
      live.delete(handle.id);
      clock.clearTimeout(t);
    },
  };
}

const isTerminalPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';
const isStopped = (s: InstanceStatus) => s.phase === 'Terminated' || s.phase === 'Lost';
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
// Normalised through JSON, a computed status compares equal to the one read back from the API.
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** InstanceScheduler is the controller; see the file comment. */
export class InstanceScheduler implements Controller {
  readonly name = 'instance-scheduler';
  private client!: Client;
  private recorder!: EventRecorder;
  private kubelet!: EventRecorder;
  private clock!: RuntimeClock;
  private queue!: WorkQueue;
  private pods!: Informer;
  private provider!: Provider;
  private ownsProvider = false;
  private readonly catalog: Catalog;
  private readonly capacity: AccountCapacity;
  private readonly podIPs: IPAllocator;
  private readonly tracked = new Map<string, Tracked>();
  private readonly byKey = new Map<string, Set<string>>();
  private readonly cleanups: Array<() => void> = [];
  /** unclaimed maps a Pod uid to the instance the provider held for it at start, before its Pod was tracked. */
  private unclaimed = new Map<string, string>();
  private runs?: RunStore;

  constructor(private readonly options: InstanceSchedulerOptions = {}) {
    this.catalog = options.catalog ?? defaultCatalog();
    this.capacity = new AccountCapacity(options.capacity ?? {});
    this.podIPs = new IPAllocator(options.podCIDR ?? '10.64.0.0/10');
  }

  /** instanceProvider is the provider the scheduler runs instances on (for tests and tools). */
  get instanceProvider(): Provider {
    return this.provider;
  }

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    // Container events are the kubelet's in kube; they are reported under its name.
    this.kubelet = new EventRecorder(ctx.client, { component: 'kubelet', clock: ctx.clock, log: ctx.log });
    if (this.options.provider) this.provider = this.options.provider;
    else if (this.options.providerFactory) {
      this.provider = this.options.providerFactory({ client: ctx.client, clock: instanceClock(ctx.clock) });
      this.ownsProvider = true;
    } else {
      // Without a seed of its own, each process draws one, so instance ids are not handed out
      // again after a restart (a test that wants repeatable ids passes a seed).
      const seed = this.options.simulated?.seed ?? randomInt(1, 2 ** 31);
      this.provider = new SimulatedProvider({ ...this.options.simulated, seed, clock: instanceClock(ctx.clock) });
      this.ownsProvider = true;
    }
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'instance scheduling failed', workers: this.options.workers ?? 8, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.pods = ctx.informers.informerFor(PODS);
    this.pods.addEventHandler({
      onAdd: (p) => this.queue.add(objectKey(p)),
      onUpdate: (old, p) => {
        if (old.metadata?.resourceVersion === p.metadata?.resourceVersion) return;
        // The echo of our own status write brings nothing new: what changed since (in the
        // provider) queued the Pod by itself.
        if (this.tracked.get(p.metadata?.uid ?? '')?.written?.metadata.resourceVersion === p.metadata?.resourceVersion) return;
        this.queue.add(objectKey(p));
      },
      onDelete: (p) => this.queue.add(objectKey(p)),
    });
    this.cleanups.push(this.provider.onStatus((s) => this.queue.add(s.podKey)));
    if (this.options.ledger ?? true) {
      this.runs = new RunStore(ctx.client, { billing: this.options.billing, now: () => this.clock.now(), log: ctx.log });
      const runs = this.runs;
      this.cleanups.push(() => runs.close());
    }
    if (this.options.logs) this.cleanups.push(this.options.logs.register({ podLogs: (ref, q) => this.podLogs(ref, q) }));
    const runs = this.runs;
    if (this.options.bills && runs) this.cleanups.push(this.options.bills.register({ bill: () => namespaceBills(runs.index, this.clock.now()) }));
    if (runs) {
      const writer = new UsageWriter({ client: ctx.client, runs, namespaces: ctx.informers.informerFor(NAMESPACES), recorder: ctx.recorder, clock: ctx.clock, log: ctx.log });
      writer.start();
      this.cleanups.push(() => writer.stop());
    }
  }

  /** run adopts what already runs (oldest Pods first, so they keep their capacity), then starts the workers. */
  async run(): Promise<void> {
    for (const s of this.provider.instances()) this.unclaimed.set(s.podUID, s.instanceId);
    const pods = (this.pods.list() as unknown as Pod[]).slice().sort(byAge);
    const uids = new Set<string>();
    for (const pod of pods) {
      uids.add(pod.metadata.uid ?? '');
      if (!this.ours(pod) || this.tracked.has(pod.metadata.uid ?? '')) continue;
      this.track(pod);
    }
    // Instances whose Pod is gone stop now: nobody would ever stop (or pay attention to) them.
    for (const s of this.provider.instances()) {
      if (uids.has(s.podUID)) continue;
      try {
        await this.provider.delete(s.instanceId, 0);
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
    }
    this.unclaimed.clear();
    for (const pod of pods) this.queue.add(objectKey(pod as unknown as KubeObject));
    this.queue.start();
    // The ledger opens in the background: its definition may be served only once the API server
    // is fully up. Runs recorded meanwhile wait in memory.
    void this.runs?.open((run) => this.provider.status(run.instanceId)?.podUID === run.podUID);
  }

  stop(): void {
    this.queue?.stop();
    for (const c of this.cleanups.splice(0)) c();
    if (this.ownsProvider) void this.provider.close();
  }

  /** ledger is the billing ledger: the index of every instance run, durable in the store. */
  get ledger(): RunStore | undefined {
    return this.runs;
  }

  /** idle resolves once no Pod is queued or being reconciled (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  private ours(pod: Pod): boolean {
    // A Pod bound to a node, or left to another scheduler, is not placed here.
    if (pod.spec.nodeName) return false;
    const name = pod.spec.schedulerName;
    return name === undefined || name === '' || name === SCHEDULER_NAME;
  }

  private trackedFor(key: string): Tracked[] {
    return [...(this.byKey.get(key) ?? [])].map((uid) => this.tracked.get(uid)!);
  }

  /** track starts tracking a Pod, adopting the instance its annotation (or the provider) names. */
  private track(pod: Pod): Tracked {
    const uid = pod.metadata.uid ?? '';
    const key = podKeyOf(pod);
    const t: Tracked = { uid, key, holdsCapacity: false, seen: new Map(), backoff: new Map(), killing: false, lostReported: false, failures: 0, retryAt: 0, eventSeq: 0, superseded: new Set() };
    this.tracked.set(uid, t);
    if (!this.byKey.has(key)) this.byKey.set(key, new Set());
    this.byKey.get(key)!.add(uid);
    const annotated = pod.metadata.annotations?.[annotation.instanceId];
    // An instance created just before a crash, before the annotation was written, is found by its Pod's uid.
    const id = annotated ?? this.unclaimed.get(uid);
    this.unclaimed.delete(uid);
    if (!id) return t;
    t.instanceId = id;
    t.placement = this.placementOf(pod);
    // The Pod keeps its IP across a restart, whether its instance is still there or is placed again.
    if (pod.status?.podIP && !isTerminalPhase(pod.status.phase)) this.podIPs.restore(uid, pod.status.podIP);
    const status = this.provider.status(id);
    if (!status || status.podUID !== uid) return t;
    // What ran before the restart was reported then: its events are not recorded again.
    t.eventSeq = Math.max(0, ...(status.events ?? []).map((e) => e.seq));
    for (const c of [...status.initContainers, ...status.containers]) {
      const cid = containerIdOf(c);
      if (cid) t.seen.set(c.name, cid);
      if (c.state.waiting?.reason === 'CrashLoopBackOff') t.backoff.set(c.name, c.restartCount);
    }
    if (!isStopped(status) && !isTerminalPhase(pod.status?.phase)) {
      if (t.placement) {
        this.capacity.request({ key, milliCPU: t.placement.size.milliCPU, memoryBytes: t.placement.size.memoryBytes, createdAt: createdAt(pod) });
        t.holdsCapacity = this.capacity.isAdmitted(key);
      }
    }
    return t;
  }

  /** placementOf reads the placement back from the Pod's annotations, else sizes the Pod again. */
  private placementOf(pod: Pod): Placement | undefined {
    const a = pod.metadata.annotations ?? {};
    const family = this.catalog.families.find((f) => f.name === a[annotation.instanceFamily]);
    const size = family?.sizes.find((s) => s.id === a[annotation.instanceSize]);
    const capacityType = a[annotation.capacityType] === 'spot' ? 'spot' : 'on-demand';
    const prices = family?.prices[capacityType];
    if (family && size && prices) return { family, size, zone: a[annotation.zone] ?? family.zones[0], capacityType, pricePerSecond: pricePerSecond(size, prices) };
    const d = decideSize(pod, this.catalog, this.options.sizing);
    return d.schedulable ? d.placement : undefined;
  }

  private releaseCapacity(t: Tracked): void {
    if (!t.holdsCapacity && !this.capacity.isWaiting(t.key)) return;
    t.holdsCapacity = false;
    for (const key of this.capacity.release(t.key)) this.queue.add(key);
  }

  /** forget drops a Pod that is gone (or replaced): its instance stops, its capacity and IP are freed. */
  private async forget(t: Tracked): Promise<void> {
    this.tracked.delete(t.uid);
    const uids = this.byKey.get(t.key);
    uids?.delete(t.uid);
    if (uids && uids.size === 0) this.byKey.delete(t.key);
    this.releaseCapacity(t);
    this.podIPs.release(t.uid);
    this.stopBilling(t, this.clock.now(), 'Deleted');
    if (t.instanceId && this.provider.status(t.instanceId)) {
      try {
        await this.provider.delete(t.instanceId, 0);
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
    }
  }

  // ---- reconcile -------------------------------------------------------------------------------

  /** reconcile brings one Pod (by namespace/name) and its instance in line. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.pods.get(key) as unknown as Pod | undefined;
    for (const t of this.trackedFor(key)) if (!cached || cached.metadata.uid !== t.uid) await this.forget(t);
    if (!cached || !this.ours(cached)) return;
    const t = this.tracked.get(cached.metadata.uid ?? '') ?? this.track(cached);
    const pod = latest(cached, t);
    if (pod.metadata.deletionTimestamp) return this.finishDeletion(pod, t);
    if (!t.instanceId) {
      if (isTerminalPhase(pod.status?.phase)) return;
      return this.schedule(pod, t);
    }
    return this.sync(pod, t);
  }

  private async schedule(pod: Pod, t: Tracked): Promise<ReconcileResult | void> {
    // A change to the Pod (such as our own status write) does not cut a provider backoff short.
    const wait = t.retryAt - this.clock.now();
    if (wait > 0) return { requeueAfter: wait };
    const decision = decideSize(pod, this.catalog, this.options.sizing);
    if (!decision.schedulable) return this.unschedulable(pod, t, 'Unschedulable', decision.message);
    const placement = decision.placement;
    t.placement = placement;
    const admission = this.capacity.request({ key: t.key, milliCPU: placement.size.milliCPU, memoryBytes: placement.size.memoryBytes, createdAt: createdAt(pod) });
    if (!admission.admitted) return this.unschedulable(pod, t, 'Unschedulable', admission.message);
    t.holdsCapacity = true;
    // The sandbox's address is known before its containers start, as a kubelet's is, so that a
    // provider can hand status.podIP to the downward API. Without a free address the Pod still
    // starts; the sync below reports FailedCreatePodSandBox.
    let sandbox = pod;
    try {
      const ip = this.podIPs.allocate(t.uid);
      sandbox = { ...pod, status: { ...pod.status, podIP: ip, podIPs: [{ ip }] } };
    } catch (err) {
      if (!(err instanceof AllocatorError)) throw err;
    }
    let instanceId: string;
    try {
      instanceId = (await this.provider.create(sandbox, placement)).id;
    } catch (err) {
      // The capacity and the address go back while this Pod waits for its retry.
      this.releaseCapacity(t);
      this.podIPs.release(t.uid);
      t.failures++;
      const delay = Math.min(providerBackoff.initialMs * 2 ** (t.failures - 1), providerBackoff.maxMs);
      t.retryAt = this.clock.now() + delay;
      await this.unschedulable(pod, t, 'SchedulerError', `the ${this.provider.name} provider could not create an instance (retrying in ${Math.round(delay / 1000)}s): ${errorText(err)}`);
      return { requeueAfter: delay };
    }
    t.failures = 0;
    t.lastFailure = undefined;
    t.instanceId = instanceId;
    void this.recorder.event(asObject(pod), 'Normal', 'Scheduled', `Successfully assigned ${t.key} to ${instanceId}`);
    // The instance annotations (the binding, in kube's terms) go out with the first status, in one write.
    return this.sync(pod, t);
  }

  /** unschedulable leaves the Pod Pending with PodScheduled=False and records FailedScheduling once per message. */
  private async unschedulable(pod: Pod, t: Tracked, reason: 'Unschedulable' | 'SchedulerError', message: string): Promise<void> {
    const status = unschedulablePodStatus(pod, message, this.clock.now());
    if (reason !== 'Unschedulable') for (const c of status.conditions ?? []) if (c.type === 'PodScheduled') c.reason = reason;
    await this.writeStatus(pod, t, status);
    if (t.lastFailure !== message) {
      t.lastFailure = message;
      void this.recorder.event(asObject(pod), 'Warning', 'FailedScheduling', message);
    }
  }

  /** sync writes the Pod status the instance implies and records the kubelet events of what changed. */
  private async sync(pod: Pod, t: Tracked): Promise<ReconcileResult | void> {
    const id = t.instanceId!;
    const status = this.provider.status(id);
    if (!status || status.podUID !== t.uid) {
      if (isTerminalPhase(pod.status?.phase)) return;
      // The provider has no record of the instance at all (it restarted, as the simulated one does
      // with the process): unlike an instance it reports lost, nothing ran the Pod to an end, so
      // it is placed again, on a new instance. The old run was closed when the ledger opened.
      void this.recorder.event(asObject(pod), 'Warning', 'InstanceLost', `Instance ${id} is gone: the ${this.provider.name} provider no longer has it; the pod is placed on a new instance`);
      this.releaseCapacity(t);
      Object.assign(t, { instanceId: undefined, run: undefined, killing: false, lostReported: false, failures: 0, retryAt: 0, eventSeq: 0 });
      t.seen.clear();
      t.backoff.clear();
      return this.schedule(pod, t);
    }
    let podIP: string | undefined;
    if (status.phase === 'Running' || status.phase === 'Terminating') {
      try {
        podIP = this.podIPs.allocate(t.uid);
      } catch (err) {
        if (!(err instanceof AllocatorError)) throw err;
        void this.kubelet.event(asObject(pod), 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err.message}`);
      }
    }
    this.recordEvents(pod, t, status);
    this.bill(pod, t, status);
    if (isStopped(status)) {
      // Billing and capacity stop with the instance; the IP stays in the status, as kubelet leaves it.
      this.releaseCapacity(t);
      this.podIPs.release(t.uid);
    }
    // A Pod not yet annotated with its instance (just placed, or placed again) gets the annotations in the same write.
    const annotations = t.placement && pod.metadata.annotations?.[annotation.instanceId] !== id ? instanceAnnotations(t.placement, id, this.provider.name) : undefined;
    await this.writeStatus(pod, t, kubeletPodStatus(pod, { instance: status, podIP, now: this.clock.now() }), annotations);
  }

  /** bill opens the Pod's run when its instance has started and closes it when the instance stopped. */
  private bill(pod: Pod, t: Tracked, status: InstanceStatus): void {
    if (!this.runs || !status.startedAt || !t.placement) return;
    if (isStopped(status)) {
      t.run ??= startRun(pod, t.placement, status.instanceId, Date.parse(status.startedAt));
      const reason = status.lost?.reason ?? (t.killing ? 'Deleted' : 'Completed');
      this.stopBilling(t, status.stoppedAt ? Date.parse(status.stoppedAt) : this.clock.now(), reason);
    } else if (!t.run) {
      // Recorded once, when it opens: later passes have nothing new to say until it stops.
      t.run = startRun(pod, t.placement, status.instanceId, Date.parse(status.startedAt));
      this.runs.record(t.run);
    }
  }

  private stopBilling(t: Tracked, atMs: number, reason: string): void {
    if (!this.runs || !t.run || t.run.stop !== undefined) return;
    t.run = stopRun(t.run, atMs, reason, this.options.billing);
    this.runs.record(t.run);
  }

  /** writeStatus writes the Pod's status (and annotations, when given) in one pods/status update, unless nothing changed. */
  private async writeStatus(pod: Pod, t: Tracked, status: PodStatus, annotations?: Record<string, string>): Promise<void> {
    const next = plain(status);
    if (!annotations && jsonEqual(next, pod.status ?? {})) return;
    // pods/status takes the client's metadata, as kube's does (only spec and ownerReferences are kept).
    const metadata = annotations ? { ...pod.metadata, annotations: { ...pod.metadata.annotations, ...annotations } } : pod.metadata;
    try {
      const written = (await this.client.updateStatus(PODS, { ...asObject(pod), metadata, status: next } as KubeObject)) as unknown as Pod;
      if (pod.metadata.resourceVersion) t.superseded.add(pod.metadata.resourceVersion);
      t.written = written;
    } catch (err) {
      // Gone: its deletion is reconciled next. A conflict: the newer Pod is on its way and queued.
      // (A key queued while it runs runs once more afterwards, so no event is lost.)
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /** recordEvents records what a kubelet records for the container starts, back-offs and loss since the last pass. */
  private recordEvents(pod: Pod, t: Tracked, status: InstanceStatus): void {
    const obj = asObject(pod);
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    for (const c of [...status.initContainers, ...status.containers]) {
      const image = specs.find((s) => s.name === c.name)?.image ?? c.image;
      const cid = containerIdOf(c);
      if (cid && cid !== t.seen.get(c.name)) {
        if (!t.seen.has(c.name)) {
          void this.kubelet.event(obj, 'Normal', 'Pulling', `Pulling image "${image}"`);
          void this.kubelet.event(obj, 'Normal', 'Pulled', `Successfully pulled image "${image}" in 0s (0s including waiting). Image size: 0 bytes.`);
        } else {
          void this.kubelet.event(obj, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        }
        void this.kubelet.event(obj, 'Normal', 'Created', `Created container ${c.name}`);
        void this.kubelet.event(obj, 'Normal', 'Started', `Started container ${c.name}`);
        t.seen.set(c.name, cid);
      }
      if (c.state.waiting?.reason === 'CrashLoopBackOff' && t.backoff.get(c.name) !== c.restartCount) {
        t.backoff.set(c.name, c.restartCount);
        void this.kubelet.event(obj, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${t.uid})`);
      }
    }
    // Probe failures (Unhealthy) and kills for them (Killing), each once, as the kubelet's prober records them.
    for (const e of status.events ?? []) {
      if (e.seq <= t.eventSeq) continue;
      t.eventSeq = e.seq;
      void this.kubelet.event(obj, e.type, e.reason, e.message);
    }
    if (status.phase === 'Lost' && status.lost && !t.lostReported) {
      t.lostReported = true;
      void this.recorder.event(obj, 'Warning', status.lost.reason, `Instance ${status.instanceId} was lost: ${status.lost.message}`);
    }
  }

  /** finishDeletion stops the instance within the grace period, then removes the Pod object. */
  private async finishDeletion(pod: Pod, t: Tracked): Promise<void> {
    const id = t.instanceId;
    const status = id ? this.provider.status(id) : undefined;
    if (id && status && status.podUID === t.uid && !isStopped(status)) {
      if (!t.killing) {
        t.killing = true;
        const obj = asObject(pod);
        for (const c of [...status.initContainers, ...status.containers]) {
          if (c.state.running) void this.kubelet.event(obj, 'Normal', 'Killing', `Stopping container ${c.name}`);
        }
        const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
        try {
          await this.provider.delete(id, typeof grace === 'number' ? grace : 30);
        } catch (err) {
          if (!(err instanceof InstanceNotFoundError)) throw err;
        }
      }
      // Still stopping: the provider's report of the stop brings the Pod back here.
      const after = this.provider.status(id);
      if (after && !isStopped(after)) return;
    }
    this.releaseCapacity(t);
    this.podIPs.release(t.uid);
    this.stopBilling(t, status?.stoppedAt ? Date.parse(status.stoppedAt) : this.clock.now(), 'Deleted');
    try {
      await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: t.uid } });
    } catch (err) {
      // Already gone, or replaced by a Pod of the same name (the uid precondition failed).
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  // ---- logs ------------------------------------------------------------------------------------

  /** podLogs serves pods/log from the provider; undefined while the Pod has no instance. */
  podLogs(ref: PodRef, query: PodLogQuery): AsyncIterable<PodLogLine> | undefined {
    const id = this.tracked.get(ref.uid)?.instanceId;
    if (!id) return undefined;
    try {
      return this.provider.logs(id, query);
    } catch (err) {
      if (err instanceof ContainerLogError) throw new PodLogError(400, err.message);
      if (err instanceof InstanceNotFoundError) throw new PodLogError(400, `the instance ${id} of pod "${ref.name}" no longer exists`);
      throw err;
    }
  }
}

/**
 * latest is the newer of the cached Pod and the one our last status write returned: the informer
 * may not have caught up with that write yet, and a status computed from the older copy would be
 * written again (and refused as a conflict).
 */
function latest(cached: Pod, t: Tracked): Pod {
  if (t.written && t.superseded.has(cached.metadata.resourceVersion ?? '')) return t.written;
  t.written = undefined;
  t.superseded.clear();
  return cached;
}

function podKeyOf(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

function createdAt(pod: Pod): number {
  const t = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

function byAge(a: Pod, b: Pod): number {
  return createdAt(a) - createdAt(b) || (podKeyOf(a) < podKeyOf(b) ? -1 : podKeyOf(a) > podKeyOf(b) ? 1 : 0);
}

function containerIdOf(c: ContainerStatus): string | undefined {
  return c.state.running || c.state.terminated ? (c.containerID ?? c.state.terminated?.containerID) : undefined;
}

function asObject(pod: Pod): KubeObject {
  return pod as unknown as KubeObject;
}
