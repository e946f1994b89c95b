/**
 * One container of the process provider: the state a kubelet keeps per container (its status,
 * runs, back-off, probes) and the process of the current run. The lifecycle around it is in
 * process.ts.
 */
import type { ChildProcess } from 'node:child_process';
import type { TimerHandle } from '../clock';
import type { Container, ContainerStatus, Pod } from '../pod';
import type { InstanceEvent, InstancePhase } from './provider';
import type { PreparedPod } from './process-prepare';
import type { ContainerLog } from './process-logs';
import type { Prober, ProbeSpec } from './process-probes';

/** ProcContainer is a container of an instance, with the run in progress, if any. */
export interface ProcContainer {
  spec: Container;
  name: string;
  init: boolean;
  sidecar: boolean;
  index: number;
  status: ContainerStatus;
  /** attempt counts the runs started (a run that failed to start counts too). */
  attempt: number;
  backoffMs: number;
  runningSinceMs: number;
  child?: ChildProcess;
  pid?: number;
  /** startTime is the run's process start time from /proc, read once, for the record of live children. */
  startTime?: string;
  /** stopping says why the provider is stopping the run: its exit is reported accordingly. */
  stopping?: 'liveness' | 'startup' | 'oom' | 'stop';
  killTimer?: TimerHandle;
  retryTimer?: TimerHandle;
  log?: ContainerLog;
  previousLog?: ContainerLog;
  probers: Prober[];
  memoryLimitBytes?: number;
  /** readinessOK is the readiness probe's verdict for the current run (true without a probe). */
  readinessOK: boolean;
}

/** probesOf reads the three probes from a container spec. */
export function probesOf(c: Container): { liveness?: ProbeSpec; readiness?: ProbeSpec; startup?: ProbeSpec } {
  return { liveness: c.livenessProbe as ProbeSpec | undefined, readiness: c.readinessProbe as ProbeSpec | undefined, startup: c.startupProbe as ProbeSpec | undefined };
}

/** hasCommand is whether the container says what to run: without an image, nothing else can. */
export function hasCommand(c: Container): boolean {
  return Array.isArray(c.command) && c.command.length > 0;
}

/** timerFree clears a container's timers through clear. */
export function clearContainerTimers(c: ProcContainer, clear: (t: TimerHandle) => void): void {
  if (c.killTimer) clear(c.killTimer);
  if (c.retryTimer) clear(c.retryTimer);
  c.killTimer = undefined;
  c.retryTimer = undefined;
  for (const p of c.probers) p.stop();
  c.probers = [];
}

/** signalNumbers maps the signals a container dies of to their numbers, for exit code 128 + n. */
export const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** ProcInstance is one instance of the process provider: its Pod, phase, containers and recent events. */
export interface ProcInstance {
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
