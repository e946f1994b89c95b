/**
 * The simulated provider: nothing is executed. Each instance comes up after a start latency
 * (plus seeded jitter), runs its init containers in order (sidecars keep running), then its app
 * containers, which run until deleted under restartPolicy Always and exit 0 after a run time
 * otherwise; the Pod's nodeless.dev/ annotations (annotations.ts) script run durations, exit
 * codes, crash loops, OOM kills, readiness delays and instance loss. Crash loops back off as
 * kubelet does. Every change is one entry in a single priority queue driven by one clock timer,
 * so an instance with nothing scheduled costs memory only, and runs are deterministic for a given
 * clock and seed. With no start latency an instance is up when create returns. What an instance
 * is made of, and how annotations script it, is in simulated-instance.ts; the queue in
 * simulated-heap.ts.
 */
import { AllocatorError, IPAllocator } from '../allocator';
import { type Clock, type Random, realClock, seededRandom, type TimerHandle } from '../clock';
import { type Pod, podKey } from '../pod';
import type { Placement } from '../sizing';
import { EventHeap, type EventKind, type SimEvent } from './simulated-heap';
import { buildInstance, copyStatus, formatBackoff, markStopped, seconds, served, type SimContainer, type SimInstance } from './simulated-instance';
import {
  ContainerLogError,
  type Instance,
  InstanceNotFoundError,
  type InstancePhase,
  type InstanceStatus,
  type LogLine,
  type LogOptions,
  type Provider,
  type StatusListener,
  logContainer,
  noPreviousRun,
  waitingToStart,
} from './provider';

/** SimulatedProviderOptions tune the simulation; every field has a default. */
export interface SimulatedProviderOptions {
  clock?: Clock;
  /** seed makes instance ids, jitter and chaos losses repeatable (default 1). */
  seed?: number;
  /** startLatencyMs is how long an instance takes to come up (default 1000). */
  startLatencyMs?: number;
  /** startJitterMs adds a uniform random [0, jitter) to each start (default 0). */
  startJitterMs?: number;
  /** runTimeMs is how long a container that is not long-running runs before it exits (default 1000). */
  runTimeMs?: number;
  /** stopDelayMs is how long a container takes to exit after SIGTERM; beyond the grace period it is killed (default 0). */
  stopDelayMs?: number;
  /** lossRatePerHour is the chance per running hour that an instance is lost, for chaos runs (default 0). */
  lossRatePerHour?: number;
  /** hostCIDR is where instances' host IPs come from (default 172.16.0.0/12). */
  hostCIDR?: string;
}

/** backoff constants, kubelet's: 10 s doubling to 5 min, forgotten after 10 min of running. */
export const crashLoopBackoff = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 } as const;

/** SimulatedProvider is the default provider; see the file comment. */
export class SimulatedProvider implements Provider {
  readonly name = 'simulated';
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly options: Required<Omit<SimulatedProviderOptions, 'clock' | 'seed' | 'hostCIDR'>>;
  private readonly hostIPs: IPAllocator;
  private readonly live = new Map<string, SimInstance>();
  private readonly byPod = new Map<string, string>();
  private readonly listeners = new Set<StatusListener>();
  private readonly heap = new EventHeap();
  private seq = 0;
  private timer?: TimerHandle;
  private armedAt = Infinity;
  private draining = false;
  private closed = false;

  constructor(options: SimulatedProviderOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = seededRandom(options.seed ?? 1);
    this.options = {
      startLatencyMs: options.startLatencyMs ?? 1000,
      startJitterMs: options.startJitterMs ?? 0,
      runTimeMs: options.runTimeMs ?? 1000,
      stopDelayMs: options.stopDelayMs ?? 0,
      lossRatePerHour: options.lossRatePerHour ?? 0,
    };
    this.hostIPs = new IPAllocator(options.hostCIDR ?? '172.16.0.0/12');
  }

  /** pendingEvents is the size of the priority queue: what is scheduled to happen. */
  get pendingEvents(): number {
    return this.heap.size;
  }

  async create(pod: Pod, placement: Placement): Promise<Instance> {
    this.assertOpen();
    const uid = pod.metadata.uid || podKey(pod);
    const existing = this.byPod.get(uid);
    if (existing) return { id: existing, provider: this.name, status: this.snapshot(this.live.get(existing)!) };
    let id: string;
    do id = `i-${Math.floor(this.random() * 2 ** 32).toString(16).padStart(8, '0')}${Math.floor(this.random() * 2 ** 32).toString(16).padStart(8, '0')}`;
    while (this.live.has(id));
    const inst = buildInstance(pod, uid, placement, { id, nowMs: this.clock.now(), runTimeMs: this.options.runTimeMs });
    this.live.set(inst.id, inst);
    this.byPod.set(uid, inst.id);
    const jitter = this.options.startJitterMs > 0 ? Math.floor(this.random() * this.options.startJitterMs) : 0;
    const latency = this.options.startLatencyMs + jitter;
    if (latency > 0) this.schedule(inst, 'sandbox', latency);
    else {
      // With no start latency the instance is up before create returns, so its first status
      // already shows the containers running (one pods/status write, not Pending then Running);
      // listeners hear of it as of any change, from the event queue.
      this.startInstance(inst);
      this.schedule(inst, 'notify', 0);
    }
    return { id: inst.id, provider: this.name, status: this.snapshot(inst) };
  }

  async delete(instanceId: string, gracePeriodSeconds = 30): Promise<void> {
    this.assertOpen();
    const inst = this.live.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    const now = this.clock.now();
    const graceMs = Math.max(0, gracePeriodSeconds) * 1000;
    switch (inst.phase) {
      case 'Terminated':
      case 'Lost':
        this.forget(inst);
        return;
      case 'Pending':
        inst.epoch++;
        inst.phase = 'Terminated';
        markStopped(inst, now);
        this.emit(inst);
        this.forget(inst);
        return;
      case 'Terminating':
        if (graceMs < this.options.stopDelayMs) this.completeTermination(inst, true);
        return;
      case 'Running': {
        inst.epoch++;
        inst.phase = 'Terminating';
        for (const c of this.containers(inst)) {
          if (c.status.state.running) this.log(c, `received SIGTERM, stopping (grace period ${gracePeriodSeconds}s)`);
        }
        this.emit(inst);
        const killed = this.options.stopDelayMs > graceMs;
        const delay = Math.min(this.options.stopDelayMs, graceMs);
        if (delay <= 0) this.completeTermination(inst, killed);
        else this.schedule(inst, 'stopped', delay, undefined, killed ? 1 : 0);
      }
    }
  }

  status(instanceId: string): InstanceStatus | undefined {
    const inst = this.live.get(instanceId);
    return inst && this.snapshot(inst);
  }

  instances(): InstanceStatus[] {
    return [...this.live.values()].map((i) => this.snapshot(i));
  }

  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  logs(instanceId: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    this.assertOpen();
    const inst = this.live.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    const c = logContainer(this.containers(inst), options.container, inst.podName);
    if (options.previous) {
      if (!c.previous) throw noPreviousRun(c.name, inst.podName);
      return fromArray(served(c.previous));
    }
    if (c.attempt === 0 && !options.follow) {
      throw waitingToStart(c.name, inst.podName, c.status.state.waiting?.reason);
    }
    if (!options.follow) return fromArray(served(c.logs));
    return this.follow(inst, c);
  }

  /** injectLoss reports the instance lost now (reason defaults to SpotInterruption for spot, else InstanceLost); false if it already stopped. */
  injectLoss(instanceId: string, reason?: string, message?: string): boolean {
    const inst = this.live.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    return this.lose(inst, reason, message);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.heap.clear();
    for (const inst of this.live.values()) this.wake(inst);
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------
  // The event queue.

  private schedule(inst: SimInstance, kind: EventKind, delayMs: number, c?: SimContainer, attempt?: number): void {
    this.heap.push({ at: this.clock.now() + Math.max(0, delayMs), seq: this.seq++, kind, inst, epoch: inst.epoch, c, attempt });
    if (!this.draining) this.arm();
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!top || this.closed) return;
    if (this.timer && this.armedAt <= top.at) return;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.armedAt = top.at;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.armedAt = Infinity;
      this.drain();
    }, top.at - this.clock.now());
  }

  private drain(): void {
    this.draining = true;
    try {
      for (let top = this.heap.peek(); top && top.at <= this.clock.now() && !this.closed; top = this.heap.peek()) {
        const ev = this.heap.pop()!;
        if (ev.epoch !== ev.inst.epoch || this.live.get(ev.inst.id) !== ev.inst) continue;
        this.handle(ev);
      }
    } finally {
      this.draining = false;
    }
    this.arm();
  }

  private handle(ev: SimEvent): void {
    const { inst, c } = ev;
    switch (ev.kind) {
      case 'sandbox':
        this.startInstance(inst);
        break;
      case 'notify':
        break;
      case 'exit':
        if (!c || c.attempt !== ev.attempt || !c.status.state.running) return;
        this.exitContainer(inst, c, c.script.exitCode, c.script.reason);
        break;
      case 'ready':
        if (!c || c.attempt !== ev.attempt || !c.status.state.running) return;
        c.status.ready = true;
        this.log(c, 'readiness probe succeeded');
        break;
      case 'restart':
        if (!c || c.attempt !== ev.attempt || !c.status.state.waiting) return;
        this.startContainer(inst, c);
        break;
      case 'lost':
        this.lose(inst);
        return;
      case 'stopped':
        this.completeTermination(inst, ev.attempt === 1);
        return;
    }
    this.emit(inst);
  }

  // -------------------------------------------------------------------------
  // The lifecycle.

  private startInstance(inst: SimInstance): void {
    const now = this.clock.now();
    try {
      inst.hostIP = this.hostIPs.allocate(inst.id);
    } catch (err) {
      if (!(err instanceof AllocatorError)) throw err;
      this.lose(inst, 'InstanceLost', `instance ${inst.id} could not start: ${err.message}`);
      return;
    }
    inst.phase = 'Running';
    inst.startedMs = now;
    inst.startedAt = new Date(now).toISOString();
    if (inst.lostAfterMs !== undefined) this.schedule(inst, 'lost', inst.lostAfterMs);
    else if (this.options.lossRatePerHour > 0) {
      // Exponential inter-arrival time for a Poisson process of the given rate.
      const hours = -Math.log(1 - this.random()) / this.options.lossRatePerHour;
      this.schedule(inst, 'lost', Math.ceil(hours * 3_600_000));
    }
    this.startNextInit(inst);
  }

  private startNextInit(inst: SimInstance): void {
    while (inst.nextInit < inst.inits.length) {
      const c = inst.inits[inst.nextInit];
      this.startContainer(inst, c);
      if (!c.sidecar) return;
      inst.nextInit++;
    }
    for (const c of inst.apps) this.startContainer(inst, c);
  }

  private startContainer(inst: SimInstance, c: SimContainer): void {
    const now = this.clock.now();
    if (c.attempt > 0) {
      c.status.restartCount++;
      c.previous = c.logs;
      c.logs = [];
    }
    c.attempt++;
    c.runningSinceMs = now;
    // A 64-hex id like containerd's, unique per instance, container and attempt, without hashing.
    c.status.containerID = `simulated://${`${inst.id.slice(2)}${c.index.toString(16).padStart(4, '0')}${c.attempt.toString(16).padStart(8, '0')}`.padEnd(64, '0')}`;
    c.status.state = { running: { startedAt: seconds(now) } };
    c.status.started = true;
    const probed = !c.init || c.sidecar;
    c.status.ready = probed && c.script.readinessDelayMs === 0;
    this.log(c, `started container ${c.name} (image ${c.status.image}, attempt ${c.attempt})`);
    if (c.script.runMs !== undefined) this.schedule(inst, 'exit', c.script.runMs, c, c.attempt);
    if (probed && c.script.readinessDelayMs > 0 && (c.script.runMs === undefined || c.script.readinessDelayMs < c.script.runMs)) {
      this.schedule(inst, 'ready', c.script.readinessDelayMs, c, c.attempt);
    }
  }

  private terminate(c: SimContainer, exitCode: number, reason: string, message?: string): void {
    const now = this.clock.now();
    c.status.state = {
      terminated: {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        startedAt: c.status.state.running?.startedAt,
        finishedAt: seconds(now),
        containerID: c.status.containerID,
      },
    };
    c.status.started = false;
    // A regular init container that succeeded counts as ready, as kubelet reports it.
    c.status.ready = c.init && !c.sidecar && exitCode === 0;
    if (now - c.runningSinceMs >= crashLoopBackoff.resetAfterMs) c.backoffMs = 0;
  }

  private exitContainer(inst: SimInstance, c: SimContainer, exitCode: number, reason: string): void {
    this.log(c, `container ${c.name} exited with code ${exitCode} (${reason})`);
    this.terminate(c, exitCode, reason);
    if (c.init && !c.sidecar) {
      if (exitCode === 0) {
        inst.nextInit++;
        this.startNextInit(inst);
      } else if (inst.restartPolicy === 'Never') {
        this.finish(inst);
      } else {
        this.restartLater(inst, c);
      }
      return;
    }
    if (c.sidecar || inst.restartPolicy === 'Always' || (inst.restartPolicy === 'OnFailure' && exitCode !== 0)) {
      this.restartLater(inst, c);
      return;
    }
    if (inst.apps.every((a) => a.status.state.terminated)) this.finish(inst);
  }

  private restartLater(inst: SimInstance, c: SimContainer): void {
    const delay = c.backoffMs;
    c.backoffMs = delay === 0 ? crashLoopBackoff.initialMs : Math.min(delay * 2, crashLoopBackoff.maxMs);
    c.status.lastState = c.status.state;
    if (delay === 0) {
      this.startContainer(inst, c);
      return;
    }
    c.status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatBackoff(delay)} restarting failed container=${c.name} pod=${inst.podName}_${inst.namespace}(${inst.podUID})`,
      },
    };
    this.schedule(inst, 'restart', delay, c, c.attempt);
  }

  /** finish ends an instance whose Pod completed or failed: sidecars are stopped and billing ends. */
  private finish(inst: SimInstance): void {
    for (const c of this.containers(inst)) {
      if (c.status.state.running) {
        this.log(c, `stopping container ${c.name}: the pod has finished`);
        this.terminate(c, 0, 'Completed');
      }
    }
    inst.epoch++;
    inst.phase = 'Terminated';
    markStopped(inst, this.clock.now());
    this.wake(inst);
  }

  private completeTermination(inst: SimInstance, killed: boolean): void {
    if (inst.phase !== 'Terminating') return;
    for (const c of this.containers(inst)) {
      if (!c.status.state.running) continue;
      if (killed) this.log(c, `grace period expired, container ${c.name} killed`);
      this.terminate(c, killed ? 137 : 0, killed ? 'Error' : 'Completed');
    }
    inst.epoch++;
    inst.phase = 'Terminated';
    markStopped(inst, this.clock.now());
    this.emit(inst);
    this.forget(inst);
  }

  private lose(inst: SimInstance, reason?: string, message?: string): boolean {
    if (inst.phase === 'Terminated' || inst.phase === 'Lost') return false;
    const why = reason ?? (inst.spot ? 'SpotInterruption' : 'InstanceLost');
    const text = message ?? (why === 'SpotInterruption' ? `spot instance ${inst.id} was reclaimed` : `instance ${inst.id} stopped responding`);
    for (const c of this.containers(inst)) {
      if (c.status.state.terminated) continue;
      if (c.status.state.running) c.status.lastState = {};
      this.terminate(c, 137, 'ContainerStatusUnknown', 'The container could not be located when the pod was terminated');
    }
    inst.epoch++;
    inst.phase = 'Lost';
    inst.lost = { reason: why, message: text };
    markStopped(inst, this.clock.now());
    this.emit(inst);
    this.wake(inst);
    return true;
  }

  private forget(inst: SimInstance): void {
    this.live.delete(inst.id);
    if (this.byPod.get(inst.podUID) === inst.id) this.byPod.delete(inst.podUID);
    this.hostIPs.release(inst.id);
    this.wake(inst);
  }

  // -------------------------------------------------------------------------
  // Status, logs and followers.

  private containers(inst: SimInstance): SimContainer[] {
    return [...inst.inits, ...inst.apps];
  }

  private snapshot(inst: SimInstance): InstanceStatus {
    return {
      instanceId: inst.id,
      podUID: inst.podUID,
      podKey: inst.podKey,
      phase: inst.phase,
      hostIP: inst.hostIP,
      createdAt: inst.createdAt,
      startedAt: inst.startedAt,
      stoppedAt: inst.stoppedAt,
      lost: inst.lost && { ...inst.lost },
      // Only containers the runtime has created are reported; pod-status.ts fills in the rest.
      initContainers: inst.inits.filter((c) => c.attempt > 0 || c.status.state.terminated).map((c) => copyStatus(c.status)),
      containers: inst.apps.filter((c) => c.attempt > 0 || c.status.state.terminated).map((c) => copyStatus(c.status)),
    };
  }

  /** emit tells listeners of a change and wakes log followers, who re-check their container. */
  private emit(inst: SimInstance): void {
    if (this.listeners.size > 0) {
      const s = this.snapshot(inst);
      for (const l of this.listeners) {
        try {
          l(s);
        } catch {
          // A failing listener must not stop the simulation for everyone else.
        }
      }
    }
    this.wake(inst);
  }

  private log(c: SimContainer, text: string): void {
    c.logs.push({ ms: this.clock.now(), text: `[simulated] ${text}` });
  }

  private wake(inst: SimInstance): void {
    if (inst.followers.size === 0) return;
    const waiting = [...inst.followers];
    inst.followers.clear();
    for (const w of waiting) w();
  }

  private async *follow(inst: SimInstance, c: SimContainer): AsyncGenerator<LogLine> {
    const gone = () => this.closed || this.live.get(inst.id) !== inst || inst.phase === 'Lost' || inst.phase === 'Terminated';
    const wait = () => new Promise<void>((resolve) => inst.followers.add(resolve));
    while (c.attempt === 0 && !gone()) await wait();
    const attempt = c.attempt;
    let i = 0;
    for (;;) {
      const lines = c.attempt === attempt ? c.logs : (c.previous ?? []);
      while (i < lines.length) yield served([lines[i++]])[0];
      if (gone() || c.attempt !== attempt || !c.status.state.running) return;
      await wait();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('simulated provider is closed');
  }
}

async function* fromArray(lines: LogLine[]): AsyncGenerator<LogLine> {
  for (const l of lines) yield l;
}
