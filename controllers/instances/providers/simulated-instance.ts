/**
 * The simulated provider's instances: what an instance and its containers are made of, how a Pod
 * and its nodeless.dev/ annotations (annotations.ts) script them, and the small formatting
 * helpers of their statuses and logs. The lifecycle that drives them is in simulated.ts.
 */
import { createHash } from 'node:crypto';
import { rfc3339 } from '../../../schemas/meta/time';
import { AnnotationError, annotation, parseDuration, perContainer } from '../annotations';
import { type Container, type ContainerStatus, isRestartableInitContainer, type Pod, podKey, podRestartPolicy } from '../pod';
import type { Placement } from '../sizing';
import type { InstancePhase, LogLine } from './provider';

/** Script is what a container will do, read from the annotations. */
export interface Script {
  /** runMs is undefined for a container that runs until it is stopped. */
  runMs?: number;
  exitCode: number;
  reason: 'Completed' | 'Error' | 'OOMKilled';
  readinessDelayMs: number;
}

/** SimContainer is one simulated container. */
export interface SimContainer {
  name: string;
  init: boolean;
  sidecar: boolean;
  script: Script;
  status: ContainerStatus;
  attempt: number;
  backoffMs: number;
  runningSinceMs: number;
  index: number;
  logs: SimLogLine[];
  previous?: SimLogLine[];
}

/** SimLogLine is a log line as kept: the time as a number, formatted only when served. */
export interface SimLogLine {
  ms: number;
  text: string;
}

/** SimInstance is one simulated instance. */
export interface SimInstance {
  id: string;
  podUID: string;
  podKey: string;
  podName: string;
  namespace: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  spot: boolean;
  phase: InstancePhase;
  hostIP?: string;
  createdMs: number;
  startedMs?: number;
  stoppedMs?: number;
  /** times as RFC 3339, formatted once. */
  createdAt: string;
  startedAt?: string;
  stoppedAt?: string;
  lost?: { reason: string; message: string };
  lostAfterMs?: number;
  inits: SimContainer[];
  apps: SimContainer[];
  nextInit: number;
  /** epoch invalidates queued events when the instance is deleted or lost. */
  epoch: number;
  followers: Set<() => void>;
}


/** normalizeImage is the reference a container runtime reports: "nginx" -> "docker.io/library/nginx:latest". */
export function normalizeImage(image: string): string {
  let ref = image.trim();
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  if (slash < 0) ref = `docker.io/library/${ref}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') ref = `docker.io/${ref}`;
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !ref.includes('@')) ref += ':latest';
  return ref;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const nanoTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
/** served turns kept log lines into the lines a provider serves. */
export const served = (lines: SimLogLine[]): LogLine[] => lines.map((l) => ({ time: nanoTime(l.ms), stream: 'stdout', text: l.text }));

// Formatting the same second over and over is most of the cost of starting many containers at once.
let memoSecond = Number.NaN;
let memoText = '';
/** seconds is ms as RFC 3339 seconds, memoised for the current second. */
export function seconds(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== memoSecond) {
    memoSecond = sec;
    memoText = rfc3339(new Date(ms));
  }
  return memoText;
}
const imageIDs = new Map<string, string>();
/** imageID is the digest reference an image is reported with. */
export function imageID(image: string): string {
  let id = imageIDs.get(image);
  if (id === undefined) {
    id = `${image.replace(/:[^:/]*$/, '')}@sha256:${sha256(image)}`;
    if (imageIDs.size < 10_000) imageIDs.set(image, id);
  }
  return id;
}
/** copyStatus copies a container status deeply enough to hand out. */
export const copyStatus = (s: ContainerStatus): ContainerStatus => ({ ...s, state: { ...s.state }, lastState: { ...s.lastState } });
export const isOn = (v: string | undefined) => v !== undefined && v.toLowerCase() !== 'false';

/** buildInstance is a new instance for pod, not yet started: its containers scripted by the Pod's annotations. */
export function buildInstance(pod: Pod, uid: string, placement: Placement, at: { id: string; nowMs: number; runTimeMs: number }): SimInstance {
  const ann = pod.metadata.annotations ?? {};
  const restartPolicy = podRestartPolicy(pod);
  const read = (key: string, kind: 'value' | 'flag' = 'value') => perContainer(ann[key], kind, `annotation ${key}`);
  const run = read(annotation.runDuration);
  const exit = read(annotation.exitCode);
  const crash = read(annotation.crashLoop, 'flag');
  const oom = read(annotation.oomKill, 'flag');
  const ready = read(annotation.readinessDelay);
  const duration = (key: string, v: string) => {
    try {
      return parseDuration(v);
    } catch (err) {
      throw new AnnotationError(`annotation ${key}: ${(err as Error).message}`);
    }
  };
  const script = (c: Container, init: boolean, sidecar: boolean): Script => {
    const crashing = isOn(crash.get(c.name));
    const oomed = isOn(oom.get(c.name));
    const runText = run.get(c.name);
    let runMs = runText === undefined ? undefined : duration(annotation.runDuration, runText);
    const longRunning = sidecar || (!init && restartPolicy === 'Always');
    if (runMs === undefined && (crashing || oomed || !longRunning)) runMs = at.runTimeMs;
    const codeText = exit.get(c.name);
    let exitCode = 0;
    if (codeText !== undefined) {
      exitCode = Number(codeText);
      if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) throw new AnnotationError(`annotation ${annotation.exitCode}: exit code must be an integer from 0 to 255, got "${codeText}"`);
    }
    if (crashing && exitCode === 0) exitCode = 1;
    if (oomed) exitCode = 137;
    const delayText = ready.get(c.name);
    return {
      runMs,
      exitCode,
      reason: oomed ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      readinessDelayMs: delayText === undefined ? 0 : duration(annotation.readinessDelay, delayText),
    };
  };
  let index = 0;
  const container = (c: Container, init: boolean): SimContainer => {
    const sidecar = init && isRestartableInitContainer(c);
    const image = normalizeImage(c.image ?? 'scratch');
    return {
      name: c.name,
      init,
      sidecar,
      script: script(c, init, sidecar),
      status: {
        name: c.name,
        state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image,
        imageID: imageID(image),
        started: false,
      },
      attempt: 0,
      backoffMs: 0,
      runningSinceMs: 0,
      index: index++,
      logs: [],
    };
  };
  let lostAfterMs: number | undefined;
  if (ann[annotation.instanceLostAfter] !== undefined) lostAfterMs = duration(annotation.instanceLostAfter, ann[annotation.instanceLostAfter]);
  return {
    id: at.id,
    podUID: uid,
    podKey: podKey(pod),
    podName: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    restartPolicy,
    spot: placement.capacityType === 'spot',
    phase: 'Pending',
    createdMs: at.nowMs,
    createdAt: new Date(at.nowMs).toISOString(),
    lostAfterMs,
    inits: (pod.spec.initContainers ?? []).map((c) => container(c, true)),
    apps: (pod.spec.containers ?? []).map((c) => container(c, false)),
    nextInit: 0,
    epoch: 0,
    followers: new Set(),
  };
}

/** formatBackoff words a back-off delay as kubelet does: 10s, 1m20s, 5m0s. */
export function formatBackoff(ms: number): string {
  const s = ms / 1000;
  return s >= 60 && s % 60 === 0 ? `${s / 60}m0s` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** markStopped records when an instance stopped. */
export function markStopped(inst: SimInstance, ms: number): void {
  inst.stoppedMs = ms;
  inst.stoppedAt = new Date(ms).toISOString();
}
