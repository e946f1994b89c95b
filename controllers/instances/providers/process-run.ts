/**
 * The runs of the process provider's containers: starting a container's process (or recording why
 * it cannot start), its probes and preStop hook, stopping it by SIGTERM then SIGKILL to its
 * process group, its exit and the back-off before the next run. The instance around it (what runs
 * next, the end of the Pod, status and logs) is process.ts, the RunHost here.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rfc3339 } from '../../../schemas/meta/time';
import type { Clock } from '../clock';
import { processStartTime, signalGroup } from './process-children';
import { clearContainerTimers, hasCommand, type ProcContainer, type ProcInstance, probesOf, signalNumbers } from './process-container';
import { ContainerLog } from './process-logs';
import { type PreparedContainer, type PrepareHook, preparedFor } from './process-prepare';
import { execArgv } from './pod-environment';
import { Prober, type ProbeKind, type ProbeSpec, type ProbeTarget, runProbe } from './process-probes';
import { crashLoopBackoff } from './simulated';

/** RunHost is what the runs need from the provider. */
export interface RunHost {
  readonly clock: Clock;
  readonly prepare: PrepareHook;
  readonly maxLogBytes: number;
  readonly prepareRetryMs: number;
  /** isCurrent is false once the instance was forgotten or the provider closed. */
  isCurrent(inst: ProcInstance): boolean;
  instanceOf(c: ProcContainer): ProcInstance | undefined;
  containers(inst: ProcInstance): ProcContainer[];
  emit(inst: ProcInstance): void;
  event(inst: ProcInstance, c: ProcContainer, type: 'Normal' | 'Warning', reason: string, message: string): void;
  persist(): void;
  /** afterStop decides what follows a run that ended with exitCode (or never started, with startError). */
  afterStop(inst: ProcInstance, c: ProcContainer, exitCode: number, startError?: string): void;
  watchMemory(): void;
}

const seconds = (ms: number) => rfc3339(new Date(ms));
const dirName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

function formatBackoff(ms: number): string {
  const s = ms / 1000;
  return s >= 60 && s % 60 === 0 ? `${s / 60}m0s` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** ContainerRuns runs containers for a RunHost. */
export class ContainerRuns {
  constructor(private readonly host: RunHost) {}

  /** start begins a run of c (or records why it cannot begin). */
  start(inst: ProcInstance, c: ProcContainer): void {
    if (!this.host.isCurrent(inst) || inst.phase !== 'Running' || inst.finishing) return;
    if (!hasCommand(c.spec)) {
      // Without an image there is no entrypoint to fall back on; kube reports a container it cannot create this way.
      c.status.state = { waiting: { reason: 'CreateContainerError', message: `the process provider runs spec.containers[].command (with args), and container ${c.name} has no command: there is no image entrypoint to run without a container runtime` } };
      return;
    }
    const prepared = inst.prepared && preparedFor(inst.prepared, c.name);
    // A command that cannot run (not on PATH, a working directory that is a file) is a start that
    // fails, as runc's is: the run ends with StartError and the restart policy decides what follows.
    const startError = prepared && 'error' in prepared && prepared.error.reason === 'RunContainerError' ? prepared.error.message : undefined;
    if (startError === undefined && (!prepared || 'error' in prepared)) {
      const error = prepared && 'error' in prepared ? prepared.error : { reason: 'CreateContainerConfigError', message: `container ${c.name} could not be configured` };
      c.status.state = { waiting: { reason: error.reason, message: error.message } };
      // The ConfigMap or Secret may appear: the Pod is prepared again after a while, as kubelet retries.
      c.retryTimer = this.host.clock.setTimer(() => {
        c.retryTimer = undefined;
        void this.reprepare(inst, c);
      }, this.host.prepareRetryMs);
      return;
    }
    const now = this.host.clock.now();
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
      c.log = new ContainerLog(path.join(logDir, `${c.status.restartCount}.log`), () => this.host.clock.now(), this.host.maxLogBytes);
    } catch (err) {
      this.startFailed(inst, c, `failed to create the container log: ${(err as Error).message}`);
      return;
    }
    if (startError !== undefined || !prepared || 'error' in prepared) {
      this.startFailed(inst, c, startError ?? `container ${c.name} could not be configured`);
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
      this.host.emit(inst);
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

  async reprepare(inst: ProcInstance, c: ProcContainer): Promise<void> {
    try {
      inst.prepared = await this.host.prepare(inst.pod, inst.dir);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      inst.prepared = new Map(this.host.containers(inst).map((x) => [x.name, { error: { reason: 'CreateContainerConfigError', message } }]));
    }
    if (!this.host.isCurrent(inst) || inst.phase !== 'Running') return;
    this.start(inst, c);
    this.host.emit(inst);
  }

  /** running marks a run started: its pid recorded, its probes and memory watch begun. */
  running(inst: ProcInstance, c: ProcContainer, pid: number, prepared: Extract<PreparedContainer, { argv: string[] }>): void {
    c.pid = pid;
    c.startTime = processStartTime(pid);
    this.host.persist();
    if (!this.host.isCurrent(inst) || inst.phase !== 'Running') {
      this.stop(c, 0, 'stop');
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
      const target = probeTarget(c, prepared, inst.dir);
      const start = (kind: ProbeKind, spec: ProbeSpec) => {
        const p = new Prober(kind, spec, target, this.host.clock, {
          failed: (k, output) => this.host.event(inst, c, 'Warning', 'Unhealthy', `${k} probe failed: ${output}`),
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
    if (c.memoryLimitBytes !== undefined) this.host.watchMemory();
    this.host.emit(inst);
  }

  probeChanged(inst: ProcInstance, c: ProcContainer, kind: ProbeKind, ok: boolean, spec: ProbeSpec, probes: ReturnType<typeof probesOf>): void {
    if (!c.child || c.stopping) return;
    if (kind === 'Readiness') {
      c.readinessOK = ok;
      c.status.ready = !!c.status.started && ok;
    } else if (kind === 'Startup' && ok) {
      c.status.started = true;
      c.status.ready = c.readinessOK;
      for (const p of c.probers) p.stop();
      c.probers = [];
      const target = probeTarget(c, inst.prepared && preparedFor(inst.prepared, c.name), inst.dir);
      for (const [k, s] of [['Liveness', probes.liveness], ['Readiness', probes.readiness]] as const) {
        if (!s) continue;
        const p = new Prober(k, s, target, this.host.clock, {
          failed: (kk, output) => this.host.event(inst, c, 'Warning', 'Unhealthy', `${kk} probe failed: ${output}`),
          changed: (kk, okk) => this.probeChanged(inst, c, kk, okk, s, probes),
        });
        c.probers.push(p);
        p.start();
      }
    } else if (!ok) {
      // A failed liveness or startup probe kills the container; its restart policy decides what comes next.
      const why = kind === 'Liveness' ? 'liveness' : 'startup';
      this.host.event(inst, c, 'Normal', 'Killing', `Container ${c.name} failed ${why} probe, will be restarted`);
      const grace = spec.terminationGracePeriodSeconds ?? inst.pod.spec.terminationGracePeriodSeconds ?? 30;
      this.stop(c, Math.max(0, grace) * 1000, why);
    }
    this.host.emit(inst);
  }

  /** stopRun signals a run to stop: SIGTERM to its group, SIGKILL after graceMs (at once for 0). */
  /** stop signals a run to stop: the preStop hook (for a deletion), SIGTERM to its group, SIGKILL after graceMs (at once for 0). */
  stop(c: ProcContainer, graceMs: number, why: NonNullable<ProcContainer['stopping']>): void {
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
    c.killTimer = this.host.clock.setTimer(() => {
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
  preStop(c: ProcContainer, graceMs: number): Promise<void> | undefined {
    const handler = (c.spec.lifecycle as { preStop?: ProbeSpec & { sleep?: { seconds?: number } } } | undefined)?.preStop;
    if (!handler) return undefined;
    if (handler.sleep) return new Promise((r) => this.host.clock.setTimer(r, Math.min(graceMs, Math.max(0, handler.sleep!.seconds ?? 0) * 1000)));
    if (!handler.exec && !handler.httpGet && !handler.tcpSocket) return undefined;
    const inst = this.host.instanceOf(c);
    const target = probeTarget(c, inst?.prepared && preparedFor(inst.prepared, c.name), inst?.dir ?? '/');
    return runProbe({ ...handler, timeoutSeconds: Math.max(1, Math.ceil(graceMs / 1000)) }, target).then((r) => {
      if (!r.ok && inst) this.host.event(inst, c, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
    });
  }

  /** exited records the end of a run and decides, as kubelet does, what runs next. */
  exited(inst: ProcInstance, c: ProcContainer, attempt: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.attempt !== attempt) return;
    c.child = undefined;
    const why = c.stopping;
    c.stopping = undefined;
    c.pid = undefined;
    c.startTime = undefined;
    clearContainerTimers(c, (t) => this.host.clock.clearTimer(t));
    c.log?.close();
    this.host.persist();
    if (!this.host.isCurrent(inst)) return;
    const exitCode = code ?? 128 + (signal ? (signalNumbers[signal] ?? 9) : 9);
    const reason = why === 'oom' ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    this.terminate(c, why === 'oom' ? 137 : exitCode, reason);
    this.host.afterStop(inst, c, exitCode);
    this.host.emit(inst);
  }

  /** startFailed records a run that never started (command not found, no working directory), as containerd's StartError. */
  startFailed(inst: ProcInstance, c: ProcContainer, message: string): void {
    c.child = undefined;
    c.log?.write('stderr', `${message}\n`);
    c.log?.close();
    this.terminate(c, 128, 'StartError', message);
    this.host.afterStop(inst, c, 128, message);
  }

  terminate(c: ProcContainer, exitCode: number, reason: string, message?: string): void {
    const now = this.host.clock.now();
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

  /** restartLater starts c again after its back-off, as kubelet does (at once the first time). */
  restartLater(inst: ProcInstance, c: ProcContainer, startError?: string): void {
    const delay = c.backoffMs;
    c.backoffMs = delay === 0 ? crashLoopBackoff.initialMs : Math.min(delay * 2, crashLoopBackoff.maxMs);
    c.status.lastState = c.status.state;
    if (delay === 0) {
      this.start(inst, c);
      return;
    }
    const backoff = `back-off ${formatBackoff(delay)} restarting failed container=${c.name} pod=${inst.podName}_${inst.namespace}(${inst.podUID})`;
    // A container that cannot even start keeps kubelet's RunContainerError, with the reason it could not.
    c.status.state = { waiting: startError ? { reason: 'RunContainerError', message: startError } : { reason: 'CrashLoopBackOff', message: backoff } };
    c.retryTimer = this.host.clock.setTimer(() => {
      c.retryTimer = undefined;
      if (!this.host.isCurrent(inst) || inst.phase !== 'Running') return;
      this.start(inst, c);
      this.host.emit(inst);
    }, delay);
  }

  /** finish ends a Pod that ran to its end: its sidecars are stopped, then the instance is Terminated. */
}

/**
 * probeTarget is where a container's probes and hooks run: its ports, env and cwd and, when its
 * volumes are mounted in a private mount namespace, inside that namespace (nsenter), so that an
 * exec probe reading a mounted file sees what the container sees.
 */
function probeTarget(c: ProcContainer, prepared: PreparedContainer | undefined, fallbackCwd: string): ProbeTarget {
  const ports = (c.spec.ports as ProbeTarget['ports'] | undefined) ?? [];
  if (!prepared || 'error' in prepared) return { ports, env: {}, cwd: fallbackCwd };
  const pid = c.child?.pid;
  const inside = prepared.isolation === 'namespace' && pid !== undefined ? (command: string[]) => execArgv(prepared, pid, command) : undefined;
  return { ports, env: prepared.env, cwd: prepared.cwd, execArgv: inside };
}

