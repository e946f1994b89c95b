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
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quantityValue } from '../../../schemas/meta/quantity';
import { rfc3339 } from '../../../schemas/meta/time';
import { type Clock, realClock, type TimerHandle } from '../clock';
import { type Container, type ContainerStatus, isRestartableInitContainer, type Pod, podKey, podRestartPolicy } from '../pod';
import type { Placement } from '../sizing';
import { ChildrenFile, groupResidentBytes, type InstanceRecord, killRecorded, processStartTime, signalGroup } from './process-children';
import { clearContainerTimers, hasCommand, type ProcContainer, probesOf, signalNumbers } from './process-container';
import { ContainerLog, DEFAULT_LOG_BYTES } from './process-logs';
import { defaultPrepare, type PreparedContainer, type PreparedPod, type PrepareHook, preparedFor } from './process-prepare';
import { Prober, type ProbeKind, type ProbeSpec, type ProbeTarget, runProbe } from './process-probes';
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
} from './provider';
import { crashLoopBackoff, normalizeImage } from './simulated';

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

interface ProcInstance {
  id: string;
  pod: Pod;
  podUID: string;
  podKey: string;
  podName: string;
  namespace: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  phase: InstancePhase;
  dir: string;
  createdAt: string;
  startedAt?: string;
  stoppedAt?: string;
  lost?: { reason: string; message: string };
  inits: ProcContainer[];
  apps: ProcContainer[];
  nextInit: number;
  prepared?: PreparedPod;
  /** finishing is set once the Pod ran to its end and its sidecars are being stopped. */
  finishing: boolean;
  events: InstanceEvent[];
  eventSeq: number;
  followers: Set<() => void>;
}

const EVENTS_KEPT = 20;
const LOST_MESSAGE = 'The container could not be located when the pod was terminated';
const copyStatus = (s: ContainerStatus): ContainerStatus => ({ ...s, state: { ...s.state }, lastState: { ...s.lastState } });
const seconds = (ms: number) => rfc3339(new Date(ms));
const dirName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

function formatBackoff(ms: number): string {
  const s = ms / 1000;
  return s >= 60 && s % 60 === 0 ? `${s / 60}m0s` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

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

  constructor(options: ProcessProviderOptions) {
    this.clock = options.clock ?? realClock;
    this.dataDir = options.dataDir;
    this.prepare = options.prepare ?? defaultPrepare;
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_LOG_BYTES;
    this.memoryPollMs = options.memoryPollMs ?? 1000;
    this.prepareRetryMs = options.prepareRetryMs ?? 10_000;
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
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
      if (c.child) this.stopRun(c, graceMs, 'stop');
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
    const all = this.containers(inst);
    let name = options.container;
    if (!name) {
      if (all.length !== 1) throw new ContainerLogError('BadRequest', `a container name must be specified for pod ${inst.podName}, choose one of: [${all.map((c) => c.name).join(' ')}]`);
      name = all[0].name;
    }
    const c = all.find((x) => x.name === name);
    if (!c) throw new ContainerLogError('BadRequest', `container ${name} is not valid for pod ${inst.podName}`);
    if (options.previous) {
      if (!c.previousLog) throw new ContainerLogError('BadRequest', `previous terminated container "${name}" in pod "${inst.podName}" not found`);
      return readAll(c.previousLog);
    }
    if (!c.log && !options.follow) {
      const reason = c.status.state.waiting?.reason ?? 'ContainerCreating';
      throw new ContainerLogError('BadRequest', `container "${name}" in pod "${inst.podName}" is waiting to start: ${reason}`);
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
      this.startContainer(inst, c);
      if (!c.sidecar) return;
      inst.nextInit++;
    }
    for (const c of inst.apps) this.startContainer(inst, c);
  }

  // ---- one run of a container -------------------------------------------------------------------

  private startContainer(inst: ProcInstance, c: ProcContainer): void {
    if (this.closed || inst.phase !== 'Running' || inst.finishing) return;
    if (!hasCommand(c.spec)) {
      // Without an image there is no entrypoint to fall back on; kube reports a container it cannot create this way.
      c.status.state = { waiting: { reason: 'CreateContainerError', message: `the process provider runs spec.containers[].command (with args), and container ${c.name} has no command: there is no image entrypoint to run without a container runtime` } };
      return;
    }
    const prepared = inst.prepared && preparedFor(inst.prepared, c.name);
    if (!prepared || 'error' in prepared) {
      const error = prepared && 'error' in prepared ? prepared.error : { reason: 'CreateContainerConfigError', message: `container ${c.name} could not be configured` };
      c.status.state = { waiting: { reason: error.reason, message: error.message } };
      // The ConfigMap or Secret may appear: the Pod is prepared again after a while, as kubelet retries.
      c.retryTimer = this.clock.setTimer(() => {
        c.retryTimer = undefined;
        void this.reprepare(inst, c);
      }, this.prepareRetryMs);
      return;
    }
    const now = this.clock.now();
    if (c.attempt > 0) {
      c.status.restartCount++;
      c.previousLog?.remove();
      c.previousLog = c.log;
    }
    c.attempt++;
    c.runningSinceMs = now;
    c.status.containerID = `process://${inst.id.slice(2)}${c.index.toString(16).padStart(4, '0')}${c.attempt.toString(16).padStart(8, '0')}`.padEnd(74, '0');
    const logDir = path.join(inst.dir, 'logs', dirName(c.name));
    try {
      fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
      c.log = new ContainerLog(path.join(logDir, `${c.status.restartCount}.log`), () => this.clock.now(), this.maxLogBytes);
    } catch (err) {
      this.startFailed(inst, c, `failed to create the container log: ${(err as Error).message}`);
      return;
    }
    let cwdOK = false;
    try {
      cwdOK = fs.statSync(prepared.cwd).isDirectory();
    } catch {
      cwdOK = false;
    }
    if (!cwdOK) {
      this.startFailed(inst, c, `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: chdir to cwd ("${prepared.cwd}") set in config.json failed: no such file or directory: unknown`);
      return;
    }
    const [file, ...args] = prepared.argv;
    const child = spawn(file, args, { cwd: prepared.cwd, env: prepared.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = c.log;
    const attempt = c.attempt;
    c.child = child;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => log.write('stdout', d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => log.write('stderr', d));
    child.once('error', (err) => {
      if (c.attempt !== attempt || child.pid !== undefined) return;
      c.child = undefined;
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? `exec: "${file}": executable file not found in $PATH` : e.code === 'EACCES' ? `exec: "${file}": permission denied` : `exec: "${file}": ${e.message}`;
      this.startFailed(inst, c, `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown`);
      this.emit(inst);
    });
    child.once('spawn', () => this.running(inst, c, child.pid!, prepared));
    let exited = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      this.exited(inst, c, attempt, code, signal);
    };
    child.once('exit', (code, signal) => {
      // What the main process leaves behind goes with it, as a container's processes do; then the
      // pipes close and the last output is read. A descendant that left the group and kept a pipe
      // open would hold the close back, so it is waited for only briefly.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      const t = setTimeout(() => finish(code, signal), 2000);
      child.once('close', () => {
        clearTimeout(t);
        finish(code, signal);
      });
    });
  }

  private async reprepare(inst: ProcInstance, c: ProcContainer): Promise<void> {
    try {
      inst.prepared = await this.prepare(inst.pod, inst.dir);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      inst.prepared = new Map(this.containers(inst).map((x) => [x.name, { error: { reason: 'CreateContainerConfigError', message } }]));
    }
    if (this.closed || this.live.get(inst.id) !== inst || inst.phase !== 'Running') return;
    this.startContainer(inst, c);
    this.emit(inst);
  }

  /** running marks a run started: its pid recorded, its probes and memory watch begun. */
  private running(inst: ProcInstance, c: ProcContainer, pid: number, prepared: Extract<PreparedContainer, { argv: string[] }>): void {
    c.pid = pid;
    this.persist();
    if (inst.phase !== 'Running' || this.closed) {
      this.stopRun(c, 0, 'stop');
      return;
    }
    c.status.state = { running: { startedAt: seconds(c.runningSinceMs) } };
    const probes = probesOf(c.spec);
    // Regular init containers are not probed; sidecars and app containers are.
    const probed = !c.init || c.sidecar;
    c.status.started = !(probed && probes.startup);
    c.readinessOK = !(probed && probes.readiness);
    c.status.ready = probed && c.status.started && c.readinessOK;
    if (probed) {
      const target: ProbeTarget = { ports: (c.spec.ports as ProbeTarget['ports'] | undefined) ?? [], env: prepared.env, cwd: prepared.cwd };
      const start = (kind: ProbeKind, spec: ProbeSpec) => {
        const p = new Prober(kind, spec, target, this.clock, {
          failed: (k, output) => this.event(inst, c, 'Warning', 'Unhealthy', `${k} probe failed: ${output}`),
          changed: (k, ok) => this.probeChanged(inst, c, k, ok, spec, probes),
        });
        c.probers.push(p);
        p.start();
      };
      if (probes.startup) start('Startup', probes.startup);
      else {
        if (probes.liveness) start('Liveness', probes.liveness);
        if (probes.readiness) start('Readiness', probes.readiness);
      }
    }
    if (c.memoryLimitBytes !== undefined) this.watchMemory();
    this.emit(inst);
  }

  private probeChanged(inst: ProcInstance, c: ProcContainer, kind: ProbeKind, ok: boolean, spec: ProbeSpec, probes: ReturnType<typeof probesOf>): void {
    if (!c.child || c.stopping) return;
    if (kind === 'Readiness') {
      c.readinessOK = ok;
      c.status.ready = !!c.status.started && ok;
    } else if (kind === 'Startup' && ok) {
      c.status.started = true;
      c.status.ready = c.readinessOK;
      for (const p of c.probers) p.stop();
      c.probers = [];
      const target = { ports: (c.spec.ports as ProbeTarget['ports'] | undefined) ?? [], env: {}, cwd: inst.dir };
      const prepared = inst.prepared && preparedFor(inst.prepared, c.name);
      if (prepared && 'argv' in prepared) Object.assign(target, { env: prepared.env, cwd: prepared.cwd });
      for (const [k, s] of [['Liveness', probes.liveness], ['Readiness', probes.readiness]] as const) {
        if (!s) continue;
        const p = new Prober(k, s, target, this.clock, {
          failed: (kk, output) => this.event(inst, c, 'Warning', 'Unhealthy', `${kk} probe failed: ${output}`),
          changed: (kk, okk) => this.probeChanged(inst, c, kk, okk, s, probes),
        });
        c.probers.push(p);
        p.start();
      }
    } else if (!ok) {
      // A failed liveness or startup probe kills the container; its restart policy decides what comes next.
      const why = kind === 'Liveness' ? 'liveness' : 'startup';
      this.event(inst, c, 'Normal', 'Killing', `Container ${c.name} failed ${why} probe, will be restarted`);
      const grace = spec.terminationGracePeriodSeconds ?? inst.pod.spec.terminationGracePeriodSeconds ?? 30;
      this.stopRun(c, Math.max(0, grace) * 1000, why);
    }
    this.emit(inst);
  }

  /** stopRun signals a run to stop: SIGTERM to its group, SIGKILL after graceMs (at once for 0). */
  private stopRun(c: ProcContainer, graceMs: number, why: NonNullable<ProcContainer['stopping']>): void {
    const pid = c.pid;
    if (!c.child || !pid) return;
    if (!c.stopping || why === 'oom') c.stopping = why;
    for (const p of c.probers) p.stop();
    c.probers = [];
    if (graceMs <= 0) {
      signalGroup(pid, 'SIGKILL');
      return;
    }
    if (c.killTimer) return;
    // The grace period covers the preStop hook and the SIGTERM after it, as kubelet counts it.
    c.killTimer = this.clock.setTimer(() => {
      c.killTimer = undefined;
      if (c.child && c.pid === pid) signalGroup(pid, 'SIGKILL');
    }, graceMs);
    const term = () => {
      if (c.child && c.pid === pid) signalGroup(pid, 'SIGTERM');
    };
    const hook = why === 'stop' ? this.preStop(c, graceMs) : undefined;
    if (hook) void hook.then(term);
    else term();
  }

  /** preStop runs the container's lifecycle.preStop hook (exec, httpGet or sleep), resolving when it is done or timed out. */
  private preStop(c: ProcContainer, graceMs: number): Promise<void> | undefined {
    const handler = (c.spec.lifecycle as { preStop?: ProbeSpec & { sleep?: { seconds?: number } } } | undefined)?.preStop;
    if (!handler) return undefined;
    if (handler.sleep) return new Promise((r) => this.clock.setTimer(r, Math.min(graceMs, Math.max(0, handler.sleep!.seconds ?? 0) * 1000)));
    if (!handler.exec && !handler.httpGet && !handler.tcpSocket) return undefined;
    const inst = [...this.live.values()].find((i) => this.containers(i).includes(c));
    const prepared = inst?.prepared && preparedFor(inst.prepared, c.name);
    const target: ProbeTarget = { ports: (c.spec.ports as ProbeTarget['ports'] | undefined) ?? [], env: prepared && 'env' in prepared ? prepared.env : {}, cwd: prepared && 'cwd' in prepared ? prepared.cwd : (inst?.dir ?? '/') };
    return runProbe({ ...handler, timeoutSeconds: Math.max(1, Math.ceil(graceMs / 1000)) }, target).then((r) => {
      if (!r.ok && inst) this.event(inst, c, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
    });
  }

  /** exited records the end of a run and decides, as kubelet does, what runs next. */
  private exited(inst: ProcInstance, c: ProcContainer, attempt: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.attempt !== attempt) return;
    c.child = undefined;
    const why = c.stopping;
    c.stopping = undefined;
    c.pid = undefined;
    clearContainerTimers(c, (t) => this.clock.clearTimer(t));
    c.log?.close();
    this.persist();
    if (this.closed || this.live.get(inst.id) !== inst) return;
    const exitCode = code ?? 128 + (signal ? (signalNumbers[signal] ?? 9) : 9);
    const reason = why === 'oom' ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    this.terminate(c, why === 'oom' ? 137 : exitCode, reason);
    this.afterStop(inst, c, exitCode);
    this.emit(inst);
  }

  /** startFailed records a run that never started (command not found, no working directory), as containerd's StartError. */
  private startFailed(inst: ProcInstance, c: ProcContainer, message: string): void {
    c.child = undefined;
    c.log?.write('stderr', `${message}\n`);
    c.log?.close();
    this.terminate(c, 128, 'StartError', message);
    this.afterStop(inst, c, 128, message);
  }

  private terminate(c: ProcContainer, exitCode: number, reason: string, message?: string): void {
    const now = this.clock.now();
    c.status.state = {
      terminated: {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        ...(c.status.state.running ? { startedAt: c.status.state.running.startedAt } : { startedAt: seconds(c.runningSinceMs) }),
        finishedAt: seconds(now),
        containerID: c.status.containerID,
      },
    };
    c.status.started = false;
    // A regular init container that succeeded counts as ready, as kubelet reports it.
    c.status.ready = c.init && !c.sidecar && exitCode === 0;
    if (now - c.runningSinceMs >= crashLoopBackoff.resetAfterMs) c.backoffMs = 0;
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
      else this.restartLater(inst, c, startError);
      return;
    }
    if (c.sidecar || inst.restartPolicy === 'Always' || (inst.restartPolicy === 'OnFailure' && exitCode !== 0)) {
      this.restartLater(inst, c, startError);
      return;
    }
    if (inst.apps.every((a) => a.status.state.terminated)) this.finish(inst);
  }

  private restartLater(inst: ProcInstance, c: ProcContainer, startError?: string): void {
    const delay = c.backoffMs;
    c.backoffMs = delay === 0 ? crashLoopBackoff.initialMs : Math.min(delay * 2, crashLoopBackoff.maxMs);
    c.status.lastState = c.status.state;
    if (delay === 0) {
      this.startContainer(inst, c);
      return;
    }
    const backoff = `back-off ${formatBackoff(delay)} restarting failed container=${c.name} pod=${inst.podName}_${inst.namespace}(${inst.podUID})`;
    // A container that cannot even start keeps kubelet's RunContainerError, with the reason it could not.
    c.status.state = { waiting: startError ? { reason: 'RunContainerError', message: startError } : { reason: 'CrashLoopBackOff', message: backoff } };
    c.retryTimer = this.clock.setTimer(() => {
      c.retryTimer = undefined;
      if (this.closed || this.live.get(inst.id) !== inst || inst.phase !== 'Running') return;
      this.startContainer(inst, c);
      this.emit(inst);
    }, delay);
  }

  /** finish ends a Pod that ran to its end: its sidecars are stopped, then the instance is Terminated. */
  private finish(inst: ProcInstance): void {
    inst.finishing = true;
    const grace = (inst.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of this.containers(inst)) {
      if (c.retryTimer) this.clock.clearTimer(c.retryTimer);
      c.retryTimer = undefined;
      if (c.child) this.stopRun(c, grace, 'stop');
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
        if (hit && bytes > hit.c.memoryLimitBytes!) this.stopRun(hit.c, 0, 'oom');
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
        children: withChildren ? this.containers(inst).filter((c) => c.pid).map((c) => ({ pid: c.pid!, startTime: processStartTime(c.pid!) })) : [],
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
