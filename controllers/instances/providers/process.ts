/**
 * The process provider: each container's command and args run as a local process (there is no
 * image runtime, so the image is only recorded), with the environment and working directory the
 * prepare hook resolves, stdout and stderr captured as the container log (process-logs.ts), real
 * exit codes, restarts with kubelet's back-off, init containers and sidecars in order, probes run
 * for real (process-probes.ts), memory limits enforced and graceful deletion by SIGTERM then
 * SIGKILL to the container's process group.
 *
 * Networking: processes share the host's network. The instance's host IP is 127.0.0.1 and, under
 * this provider, pod IPs come from a loopback range (builtin-controllers.ts), so a pod IP dials the
 * host and reaches whatever the Pod's process listens on.
 *
 * No process outlives the server: close() kills every process group at once (synchronously, so a
 * server that exits right after stopping its controllers leaves nothing), an exit hook does the
 * same for a process that exits without closing, and every live group is recorded in the data dir
 * (process-children.ts) so that the next start after a kill -9 kills what was left behind. Pods
 * whose processes were lost that way are then reported as kube reports a runtime that lost its
 * containers: a restartPolicy Never Pod's instance is Lost (the Pod fails); any other Pod's instance
 * is simply gone, so the scheduler runs the Pod again on a new one, as its restart policy asks.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quantityValue } from '../../../schemas/meta/quantity';
import { rfc3339 } from '../../../schemas/meta/time';
import { type Clock, realClock, type TimerHandle } from '../clock';
import { type Container, type ContainerStatus, isRestartableInitContainer, type Pod, podKey, podRestartPolicy } from '../pod';
import type { Placement } from '../sizing';
import { ChildrenFile, groupResidentBytes, type InstanceRecord, killRecorded, signalGroup } from './process-children';
import { clearContainerTimers, type ProcContainer, type ProcInstance } from './process-container';
import { type ContainerLog, DEFAULT_LOG_BYTES } from './process-logs';
import { defaultPrepare, type PreparedContainer, type PrepareHook } from './process-prepare';
import { ContainerRuns, type RunHost } from './process-run';
import {
  ContainerLogError,
  type Instance,
  type InstanceEvent,
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
import { normalizeImage } from './simulated-instance';

/** ProcessProviderOptions configure the provider; dataDir is required. */
export interface ProcessProviderOptions {
  /** dataDir holds a directory per Pod (scratch space, volumes, logs) and the record of live processes. */
  dataDir: string;
  clock?: Clock;
  /** prepare resolves each container's argv, env and cwd (default defaultPrepare: command+args, literal env). */
  prepare?: PrepareHook;
  /** maxLogBytes bounds one log file before it is rotated (default 10 MiB). */
  maxLogBytes?: number;
  /** memoryPollMs is how often memory use is checked against limits (default 1000). */
  memoryPollMs?: number;
  /** prepareRetryMs is how long a container that could not be configured waits before trying again (default 10 s). */
  prepareRetryMs?: number;
}

/** PROCESS_HOST_IP is every instance's host IP: the processes run on this machine. */
export const PROCESS_HOST_IP = '127.0.0.1';

const EVENTS_KEPT = 20;
const LOST_MESSAGE = 'The container could not be located when the pod was terminated';
const copyStatus = (s: ContainerStatus): ContainerStatus => ({ ...s, state: { ...s.state }, lastState: { ...s.lastState } });
const seconds = (ms: number) => rfc3339(new Date(ms));
const dirName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

function memoryLimit(c: Container): number | undefined {
  const q = c.resources?.limits?.memory;
  if (q === undefined) return undefined;
  try {
    const v = quantityValue(q);
    return Number.isFinite(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** ProcessProvider runs Pods as local processes; see the file comment. */
export class ProcessProvider implements Provider {
  readonly name = 'process';
  private readonly clock: Clock;
  private readonly dataDir: string;
  private readonly prepare: PrepareHook;
  private readonly maxLogBytes: number;
  private readonly memoryPollMs: number;
  private readonly prepareRetryMs: number;
  private readonly state: ChildrenFile;
  private readonly live = new Map<string, ProcInstance>();
  private readonly byPod = new Map<string, string>();
  private readonly listeners = new Set<StatusListener>();
  /** restored are instances of the previous server whose processes were lost, reported Lost. */
  private readonly restored = new Map<string, InstanceStatus>();
  private memoryTimer?: TimerHandle;
  private closed = false;
  private readonly onExit = () => this.killAll();
  private readonly runs: ContainerRuns;

  constructor(options: ProcessProviderOptions) {
    this.clock = options.clock ?? realClock;
    this.dataDir = options.dataDir;
    this.prepare = options.prepare ?? defaultPrepare;
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_LOG_BYTES;
    this.memoryPollMs = options.memoryPollMs ?? 1000;
    this.prepareRetryMs = options.prepareRetryMs ?? 10_000;
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const host: RunHost = {
      clock: this.clock,
      prepare: this.prepare,
      maxLogBytes: this.maxLogBytes,
      prepareRetryMs: this.prepareRetryMs,
      isCurrent: (inst) => !this.closed && this.live.get(inst.id) === inst,
      instanceOf: (c) => [...this.live.values()].find((i) => this.containers(i).includes(c)),
      containers: (inst) => this.containers(inst),
      emit: (inst) => this.emit(inst),
      event: (inst, c, type, reason, message) => this.event(inst, c, type, reason, message),
      persist: () => this.persist(),
      afterStop: (inst, c, exitCode, startError) => this.afterStop(inst, c, exitCode, startError),
      watchMemory: () => this.watchMemory(),
    };
    this.runs = new ContainerRuns(host);
    this.state = new ChildrenFile(this.dataDir);
    this.recoverFromLastRun();
    process.once('exit', this.onExit);
  }

  /** recoverFromLastRun kills what a server that died without closing left running, and reports its Pods. */
  private recoverFromLastRun(): void {
    const now = this.clock.now();
    for (const rec of this.state.read()) {
      for (const child of rec.children ?? []) killRecorded(child);
      if (rec.restartPolicy !== 'Never') continue;
      const unknown = (name: string): ContainerStatus => ({
        name,
        state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: LOST_MESSAGE, finishedAt: seconds(now) } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: '',
        imageID: '',
        started: false,
      });
      this.restored.set(rec.id, {
        instanceId: rec.id,
        podUID: rec.podUID,
        podKey: rec.podKey,
        phase: 'Lost',
        hostIP: PROCESS_HOST_IP,
        createdAt: new Date(now).toISOString(),
        stoppedAt: new Date(now).toISOString(),
        lost: { reason: 'InstanceLost', message: `the server stopped without stopping the processes of instance ${rec.id}; they were killed when it started again` },
        initContainers: rec.initContainers.map(unknown),
        containers: rec.containers.map(unknown),
      });
    }
    this.persist();
  }

  async create(pod: Pod, _placement: Placement): Promise<Instance> {
    this.assertOpen();
    const uid = pod.metadata.uid || podKey(pod);
    const existing = this.byPod.get(uid);
    if (existing) return { id: existing, provider: this.name, status: this.snapshot(this.live.get(existing)!) };
    const inst = this.newInstance(pod, uid);
    this.live.set(inst.id, inst);
    this.byPod.set(uid, inst.id);
    this.persist();
    void this.boot(inst);
    return { id: inst.id, provider: this.name, status: this.snapshot(inst) };
  }

  async delete(instanceId: string, gracePeriodSeconds = 30): Promise<void> {
    this.assertOpen();
    const restored = this.restored.get(instanceId);
    if (restored) {
      this.restored.delete(instanceId);
      this.persist();
      return;
    }
    const inst = this.live.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    const graceMs = Math.max(0, gracePeriodSeconds) * 1000;
    if (inst.phase === 'Terminated' || inst.phase === 'Lost') {
      this.forget(inst);
      return;
    }
    if (inst.phase === 'Pending') {
      inst.phase = 'Terminated';
      inst.stoppedAt = new Date(this.clock.now()).toISOString();
      this.emit(inst);
      this.forget(inst);
      return;
    }
    inst.phase = 'Terminating';
    for (const c of this.containers(inst)) {
      if (c.retryTimer) this.clock.clearTimer(c.retryTimer);
      c.retryTimer = undefined;
      if (c.child) this.runs.stop(c, graceMs, 'stop');
    }
    this.emit(inst);
    this.checkStopped(inst);
  }

  status(instanceId: string): InstanceStatus | undefined {
    const inst = this.live.get(instanceId);
    if (inst) return this.snapshot(inst);
    const r = this.restored.get(instanceId);
    return r && structuredClone(r);
  }

  instances(): InstanceStatus[] {
    return [...[...this.live.values()].map((i) => this.snapshot(i)), ...[...this.restored.values()].map((r) => structuredClone(r))];
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
      if (!c.previousLog) throw noPreviousRun(c.name, inst.podName);
      return readAll(c.previousLog);
    }
    if (!c.log && !options.follow) {
      throw waitingToStart(c.name, inst.podName, c.status.state.waiting?.reason);
    }
    if (!options.follow) return readAll(c.log!);
    return this.follow(inst, c);
  }

  /** livePids lists the process group of every run in progress (for measurements). */
  livePids(): number[] {
    const out: number[] = [];
    for (const inst of this.live.values()) for (const c of this.containers(inst)) if (c.child && c.pid) out.push(c.pid);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.killAll();
    process.removeListener('exit', this.onExit);
    if (this.memoryTimer) this.clock.clearTimer(this.memoryTimer);
    for (const inst of this.live.values()) {
      for (const c of this.containers(inst)) {
        clearContainerTimers(c, (t) => this.clock.clearTimer(t));
        c.log?.close();
      }
      this.wake(inst);
    }
    this.listeners.clear();
  }

  /** killAll kills every process group now; the state file keeps the instances so the next start reports their Pods. */
  private killAll(): void {
    for (const inst of this.live.values()) for (const c of this.containers(inst)) if (c.pid && c.child) signalGroup(c.pid, 'SIGKILL');
    try {
      this.state.write(this.records(false));
    } catch {
      // The data dir is gone; there is nothing left to record.
    }
  }

  // ---- building and booting ---------------------------------------------------------------------

  private newInstance(pod: Pod, uid: string): ProcInstance {
    let index = 0;
    const container = (c: Container, init: boolean): ProcContainer => {
      const image = normalizeImage(c.image ?? 'scratch');
      return {
        spec: c,
        name: c.name,
        init,
        sidecar: init && isRestartableInitContainer(c),
        index: index++,
        status: { name: c.name, state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image, imageID: '', started: false },
        attempt: 0,
        backoffMs: 0,
        runningSinceMs: 0,
        probers: [],
        memoryLimitBytes: memoryLimit(c),
        readinessOK: true,
      };
    };
    const id = `p-${randomBytes(8).toString('hex')}`;
    const namespace = pod.metadata.namespace ?? 'default';
    return {
      id,
      pod: structuredClone(pod),
      podUID: uid,
      podKey: podKey(pod),
      podName: pod.metadata.name,
      namespace,
      restartPolicy: podRestartPolicy(pod),
      phase: 'Pending',
      // kubelet's pod directory layout: <namespace>_<name>_<uid>.
      dir: path.join(this.dataDir, dirName(`${namespace}_${pod.metadata.name}_${uid}`)),
      createdAt: new Date(this.clock.now()).toISOString(),
      inits: (pod.spec.initContainers ?? []).map((c) => container(c, true)),
      apps: (pod.spec.containers ?? []).map((c) => container(c, false)),
      nextInit: 0,
      finishing: false,
      events: [],
      eventSeq: 0,
      followers: new Set(),
    };
  }

  /** boot makes the Pod's directory and resolves its containers, then starts the first of them. */
  private async boot(inst: ProcInstance): Promise<void> {
    try {
      await fs.promises.mkdir(path.join(inst.dir, 'logs'), { recursive: true, mode: 0o700 });
      inst.prepared = await this.prepare(inst.pod, inst.dir);
    } catch (err) {
      inst.prepared = new Map();
      const message = err instanceof Error ? err.message : String(err);
      for (const c of this.containers(inst)) (inst.prepared as Map<string, PreparedContainer>).set(c.name, { error: { reason: 'CreateContainerConfigError', message } });
    }
    if (this.closed || inst.phase !== 'Pending' || this.live.get(inst.id) !== inst) return;
    inst.phase = 'Running';
    inst.startedAt = new Date(this.clock.now()).toISOString();
    this.startNextInit(inst);
    this.emit(inst);
  }

  private startNextInit(inst: ProcInstance): void {
    while (inst.nextInit < inst.inits.length) {
      const c = inst.inits[inst.nextInit];
      this.runs.start(inst, c);
      if (!c.sidecar) return;
      inst.nextInit++;
    }
    for (const c of inst.apps) this.runs.start(inst, c);
  }

  private afterStop(inst: ProcInstance, c: ProcContainer, exitCode: number, startError?: string): void {
    if (inst.phase === 'Terminating' || inst.finishing) {
      this.checkStopped(inst);
      return;
    }
    if (inst.phase !== 'Running') return;
    if (c.init && !c.sidecar) {
      if (exitCode === 0) {
        inst.nextInit++;
        this.startNextInit(inst);
      } else if (inst.restartPolicy === 'Never') this.finish(inst);
      else this.runs.restartLater(inst, c, startError);
      return;
    }
    if (c.sidecar || inst.restartPolicy === 'Always' || (inst.restartPolicy === 'OnFailure' && exitCode !== 0)) {
      this.runs.restartLater(inst, c, startError);
      return;
    }
    if (inst.apps.every((a) => a.status.state.terminated)) this.finish(inst);
  }

  private finish(inst: ProcInstance): void {
    inst.finishing = true;
    const grace = (inst.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of this.containers(inst)) {
      if (c.retryTimer) this.clock.clearTimer(c.retryTimer);
      c.retryTimer = undefined;
      if (c.child) this.runs.stop(c, grace, 'stop');
    }
    this.checkStopped(inst);
  }

  /** checkStopped ends a Terminating or finishing instance once no process of it is left. */
  private checkStopped(inst: ProcInstance): void {
    if (this.containers(inst).some((c) => c.child)) return;
    if (inst.phase === 'Terminated') return;
    const deleting = inst.phase === 'Terminating';
    inst.phase = 'Terminated';
    inst.stoppedAt = new Date(this.clock.now()).toISOString();
    this.emit(inst);
    if (deleting) this.forget(inst);
  }

  private forget(inst: ProcInstance): void {
    this.live.delete(inst.id);
    if (this.byPod.get(inst.podUID) === inst.id) this.byPod.delete(inst.podUID);
    for (const c of this.containers(inst)) {
      clearContainerTimers(c, (t) => this.clock.clearTimer(t));
      c.log?.close();
    }
    this.persist();
    this.wake(inst);
    fs.rm(inst.dir, { recursive: true, force: true }, () => undefined);
  }

  // ---- memory limits ----------------------------------------------------------------------------

  /**
   * watchMemory polls the resident memory of each limited container's process group and kills a
   * group over its limit, reported as OOMKilled with exit code 137. Polling /proc is chosen over
   * an rlimit: RLIMIT_AS bounds address space, not memory in use (runtimes that reserve large heaps
   * would fail at start), and it makes allocations fail instead of killing, which is not what a
   * container's memory limit does; cgroups would be exact but need privileges. A spike between two
   * polls is missed; sustained use over the limit is not. Where /proc is absent nothing is enforced.
   */
  private watchMemory(): void {
    if (this.memoryTimer || this.closed) return;
    this.memoryTimer = this.clock.setTimer(() => {
      this.memoryTimer = undefined;
      const limited = new Map<number, { inst: ProcInstance; c: ProcContainer }>();
      for (const inst of this.live.values()) for (const c of this.containers(inst)) if (c.child && c.pid && c.memoryLimitBytes !== undefined && c.stopping !== 'oom') limited.set(c.pid, { inst, c });
      if (limited.size === 0) return;
      for (const [pgid, bytes] of groupResidentBytes(new Set(limited.keys()))) {
        const hit = limited.get(pgid);
        if (hit && bytes > hit.c.memoryLimitBytes!) this.runs.stop(hit.c, 0, 'oom');
      }
      this.watchMemory();
    }, this.memoryPollMs);
  }

  // ---- status, events, logs ---------------------------------------------------------------------

  private containers(inst: ProcInstance): ProcContainer[] {
    return [...inst.inits, ...inst.apps];
  }

  private event(inst: ProcInstance, c: ProcContainer, type: 'Normal' | 'Warning', reason: string, message: string): void {
    inst.events.push({ seq: ++inst.eventSeq, type, reason, message, container: c.name });
    if (inst.events.length > EVENTS_KEPT) inst.events.splice(0, inst.events.length - EVENTS_KEPT);
    this.emit(inst);
  }

  private snapshot(inst: ProcInstance): InstanceStatus {
    // Containers the runtime has not touched yet are left to pod-status.ts's defaults.
    const reported = (c: ProcContainer) => c.attempt > 0 || !!c.status.state.terminated || !!c.status.state.waiting?.message;
    return {
      instanceId: inst.id,
      podUID: inst.podUID,
      podKey: inst.podKey,
      phase: inst.phase,
      hostIP: inst.phase === 'Pending' ? undefined : PROCESS_HOST_IP,
      createdAt: inst.createdAt,
      startedAt: inst.startedAt,
      stoppedAt: inst.stoppedAt,
      lost: inst.lost && { ...inst.lost },
      initContainers: inst.inits.filter(reported).map((c) => copyStatus(c.status)),
      containers: inst.apps.filter(reported).map((c) => copyStatus(c.status)),
      ...(inst.events.length ? { events: inst.events.map((e) => ({ ...e })) } : {}),
    };
  }

  private emit(inst: ProcInstance): void {
    if (this.closed) return;
    if (this.listeners.size > 0) {
      const s = this.snapshot(inst);
      for (const l of this.listeners) {
        try {
          l(s);
        } catch {
          // A failing listener must not stop the others.
        }
      }
    }
    this.wake(inst);
  }

  private wake(inst: ProcInstance): void {
    const w = [...inst.followers];
    inst.followers.clear();
    for (const f of w) f();
  }

  private async *follow(inst: ProcInstance, c: ProcContainer): AsyncGenerator<LogLine> {
    const gone = () => this.closed || this.live.get(inst.id) !== inst || inst.phase === 'Lost';
    const changed = () => new Promise<void>((resolve) => inst.followers.add(resolve));
    while (!c.log && !gone() && inst.phase !== 'Terminated') await changed();
    const log = c.log;
    if (!log) return;
    let cursor = log.start();
    for (;;) {
      // Wait registration comes before the read, so a write during the read is not missed.
      const next = Promise.race([log.changed(), changed()]);
      const ended = log.closed || gone();
      const r = await log.readFrom(cursor);
      cursor = r.cursor;
      for (const l of r.lines) yield l;
      if (ended) return;
      await next;
    }
  }

  /** records is what the state file holds: every instance and, unless closing, its live groups. */
  private records(withChildren = true): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    for (const inst of this.live.values()) {
      if (inst.phase === 'Terminated') continue;
      out.push({
        id: inst.id,
        podUID: inst.podUID,
        podKey: inst.podKey,
        podName: inst.podName,
        restartPolicy: inst.restartPolicy,
        initContainers: inst.inits.map((c) => c.name),
        containers: inst.apps.map((c) => c.name),
        children: withChildren ? this.containers(inst).filter((c) => c.pid).map((c) => ({ pid: c.pid!, startTime: c.startTime ?? '' })) : [],
      });
    }
    for (const r of this.restored.values()) {
      out.push({ id: r.instanceId, podUID: r.podUID, podKey: r.podKey, podName: r.podKey.split('/')[1] ?? '', restartPolicy: 'Never', initContainers: r.initContainers.map((c) => c.name), containers: r.containers.map((c) => c.name), children: [] });
    }
    return out;
  }

  private persist(): void {
    if (this.closed) return;
    try {
      this.state.write(this.records());
    } catch {
      // An unwritable data dir costs the record of children, not the Pods.
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('process provider is closed');
  }
}

async function* readAll(log: ContainerLog): AsyncGenerator<LogLine> {
  for (const l of await log.read()) yield l;
}
