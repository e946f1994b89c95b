/**
 * The provider contract: what the instance scheduler needs from whatever runs a Pod's containers
 * (the simulated provider, the process provider, one day a cloud). test/instances/provider-suite.ts
 * holds every implementation to it.
 */
import type { ContainerStatus, Pod } from '../pod';
import type { Placement } from '../sizing';

/**
 * InstancePhase is the instance's life: Pending (starting), Running (sandbox up: host IP, containers
 * being run), Terminating (deleted, containers stopping), Terminated (stopped: every container
 * finished or the deletion completed; billing stops at stoppedAt) and Lost (gone without a
 * goodbye: a failure or a spot reclaim; billing stops at stoppedAt too).
 */
export type InstancePhase = 'Pending' | 'Running' | 'Terminating' | 'Terminated' | 'Lost';

/**
 * InstanceStatus is what the provider knows of an instance: the runtime's view of the Pod.
 * initContainers and containers hold statuses only for containers the runtime has created; the
 * kubelet-side defaults (ContainerCreating, PodInitializing) are pod-status.ts's job.
 * Listeners receive snapshots; they must not change them.
 */
export interface InstanceStatus {
  instanceId: string;
  podUID: string;
  /** podKey is "namespace/name". */
  podKey: string;
  phase: InstancePhase;
  hostIP?: string;
  createdAt: string;
  /** startedAt is when the sandbox came up (phase Running), the start of billing. */
  startedAt?: string;
  /** stoppedAt is when the instance stopped (Terminated or Lost), the end of billing. */
  stoppedAt?: string;
  /** lost says why an instance is Lost: reason InstanceLost or SpotInterruption, and a message. */
  lost?: { reason: string; message: string };
  initContainers: ContainerStatus[];
  containers: ContainerStatus[];
  /** events are the runtime's most recent container events (probe failures, kills), for the scheduler to record. */
  events?: InstanceEvent[];
}

/**
 * InstanceEvent is something the runtime saw happen to a container that a kubelet records as an
 * Event: a failed probe (Unhealthy) or a kill for one (Killing). seq grows by one per event of an
 * instance, so a reader records each once however often it sees the status.
 */
export interface InstanceEvent {
  seq: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  container?: string;
}

/** Instance is a created instance: its id, the provider's name and its status at creation. */
export interface Instance {
  id: string;
  provider: string;
  status: InstanceStatus;
}

/** StatusListener receives every change of every instance, including the change to Lost. */
export type StatusListener = (status: InstanceStatus) => void;

/** LogOptions select a container's log: the current run or the previous one, and whether to follow. */
export interface LogOptions {
  /** container may be omitted for a Pod with one container. */
  container?: string;
  previous?: boolean;
  /** follow keeps the iterator open for new lines until the container stops or the instance goes. */
  follow?: boolean;
}

/** LogLine is one line a container wrote, with when (RFC 3339 with nanoseconds, as kubelet's --timestamps). */
export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** formatLogLine is how `kubectl logs` prints a line: the text, prefixed by its time with --timestamps. */
export function formatLogLine(line: LogLine, timestamps = false): string {
  return timestamps ? `${line.time} ${line.text}` : line.text;
}

/**
 * Provider runs instances. create is idempotent per Pod uid (a live instance for the same Pod is
 * returned again); delete stops an instance within its grace period, then forgets it (its
 * listeners see Terminated first); status and instances answer from memory, never blocking.
 */
export interface Provider {
  readonly name: string;
  create(pod: Pod, placement: Placement): Promise<Instance>;
  /** delete throws InstanceNotFoundError for an unknown (or already deleted) instance. */
  delete(instanceId: string, gracePeriodSeconds?: number): Promise<void>;
  status(instanceId: string): InstanceStatus | undefined;
  /** instances lists every instance the provider holds, for a scheduler that restarts. */
  instances(): InstanceStatus[];
  /** onStatus registers a listener and returns the function that removes it. */
  onStatus(listener: StatusListener): () => void;
  /** logs throws InstanceNotFoundError or ContainerLogError. */
  logs(instanceId: string, options?: LogOptions): AsyncIterable<LogLine>;
  /** close stops timers and ends followers; the provider answers nothing afterwards. */
  close(): Promise<void>;
}

/** InstanceNotFoundError names an instance the provider does not hold. */
export class InstanceNotFoundError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance "${instanceId}" not found`);
    this.name = 'InstanceNotFoundError';
  }
}

/**
 * ContainerLogError is a log request that cannot be served, with kube's message: reason NotFound for
 * an unknown container or a previous run that does not exist, BadRequest for an ambiguous container
 * or one still waiting to start (the API answers 400 for both, as kubelet does).
 */
export class ContainerLogError extends Error {
  constructor(readonly reason: 'NotFound' | 'BadRequest', message: string) {
    super(message);
    this.name = 'ContainerLogError';
  }
}

/**
 * logContainer picks the container a log request is for: the one named, or the only one when
 * none is named. It throws ContainerLogError (BadRequest) with kubelet's words otherwise.
 */
export function logContainer<C extends { name: string }>(containers: readonly C[], name: string | undefined, podName: string): C {
  if (!name) {
    if (containers.length !== 1) throw new ContainerLogError('BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${containers.map((c) => c.name).join(' ')}]`);
    return containers[0];
  }
  const c = containers.find((x) => x.name === name);
  if (!c) throw new ContainerLogError('BadRequest', `container ${name} is not valid for pod ${podName}`);
  return c;
}

/** noPreviousRun is the error for `logs --previous` of a container that has not terminated yet, in kubelet's words. */
export function noPreviousRun(container: string, podName: string): ContainerLogError {
  return new ContainerLogError('BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
}

/** waitingToStart is the error for the log of a container that has not started, with its waiting reason (default ContainerCreating). */
export function waitingToStart(container: string, podName: string, reason = 'ContainerCreating'): ContainerLogError {
  return new ContainerLogError('BadRequest', `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
}
