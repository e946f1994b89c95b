/**
 * The pods/status body a kubelet would write, computed from the Pod (with the status it has now),
 * the provider's view of its instance and the time: kubelet's generateAPIPodStatus, getPhase and
 * the condition generators of pkg/kubelet/status, for one Pod on its own instance. Pure: the same
 * inputs give the same body, and a condition keeps its lastTransitionTime while its status holds.
 */
import { qosClass } from '../../schemas/kinds/pod';
import { rfc3339 } from '../../schemas/meta/time';
import type { KubeObject } from '../../schemas/types';
import { type Container, type ContainerStatus, isRestartableInitContainer, type Pod, type PodCondition, type PodStatus, podRestartPolicy } from './pod';
import type { InstanceStatus } from './providers/provider';

/** kubeletConditions are the condition types a kubelet owns and regenerates on every sync. */
export const kubeletConditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;

/** PodStatusInput is what kubeletPodStatus needs besides the Pod: its instance (if created yet) and pod IP. */
export interface PodStatusInput {
  instance?: InstanceStatus;
  podIP?: string;
  now: number;
}

type Phase = NonNullable<PodStatus['phase']>;

function defaultStatus(c: Container, hasInit: boolean): ContainerStatus {
  return {
    name: c.name,
    state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: c.image ?? '',
    imageID: '',
    started: false,
  };
}

function containerStatuses(specs: Container[], reported: ContainerStatus[] | undefined, hasInit: boolean): ContainerStatus[] {
  const byName = new Map((reported ?? []).map((s) => [s.name, s]));
  return specs.map((c) => byName.get(c.name) ?? defaultStatus(c, hasInit));
}

const lastTerminated = (s: ContainerStatus) => s.lastState?.terminated;

/** hasAnyRegularContainerStarted is kubecontainer.HasAnyRegularContainerStarted. */
function hasAnyRegularContainerStarted(pod: Pod, statuses: ContainerStatus[]): boolean {
  const names = new Set(pod.spec.containers.map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state.running !== undefined || s.state.terminated !== undefined || lastTerminated(s) !== undefined));
}

/** podPhase is kubelet's getPhase: the phase from the container statuses and restartPolicy. */
export function podPhase(pod: Pod, inits: ContainerStatus[], apps: ContainerStatus[], podIsTerminal: boolean): Phase {
  const restartPolicy = podRestartPolicy(pod);
  const initByName = new Map(inits.map((s) => [s.name, s]));
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of pod.spec.initContainers ?? []) {
    if (isRestartableInitContainer(c)) continue;
    const s = initByName.get(c.name);
    if (!s) pendingInitialization++;
    else if (s.state.running) pendingInitialization++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state.waiting) {
      const last = lastTerminated(s);
      if (last) {
        if (last.exitCode !== 0) failedInitialization++;
      } else pendingInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec.initContainers ?? []) {
    if (!isRestartableInitContainer(c)) continue;
    const s = initByName.get(c.name);
    if (!s) unknown++;
    else if (s.state.running) {
      if (!s.started) pendingInitialization++;
      running++;
    } else if (s.state.terminated) {
      // Terminated sidecars do not count for the phase.
    } else if (s.state.waiting) {
      if (!lastTerminated(s)) {
        pendingInitialization++;
        waiting++;
      }
    } else {
      pendingInitialization++;
      unknown++;
    }
  }
  const appByName = new Map(apps.map((s) => [s.name, s]));
  for (const c of pod.spec.containers) {
    const s = appByName.get(c.name);
    if (!s) unknown++;
    else if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (lastTerminated(s)) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !hasAnyRegularContainerStarted(pod, apps)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

type Condition = Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>;

const list = (names: string[]) => `[${names.join(' ')}]`;

function containersReadyCondition(pod: Pod, all: ContainerStatus[], phase: Phase): Condition {
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const byName = new Map(all.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const relevant = [...(pod.spec.initContainers ?? []).filter(isRestartableInitContainer), ...pod.spec.containers];
  for (const c of relevant) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${list(unready)}`);
  if (messages.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, containersReady: Condition, conditions: PodCondition[]): Condition {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const messages: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function initializedCondition(pod: Pod, inits: ContainerStatus[], apps: ContainerStatus[], phase: Phase): Condition {
  const byName = new Map(inits.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (isRestartableInitContainer(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (hasAnyRegularContainerStarted(pod, apps)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${list(incomplete)}`);
  if (messages.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/** withTransitionTimes stamps conditions, keeping an old condition's lastTransitionTime while its status is unchanged. */
function withTransitionTimes(conditions: Condition[], old: PodCondition[], now: string): PodCondition[] {
  return conditions.map((c) => {
    const prev = old.find((o) => o.type === c.type);
    const out: PodCondition = { type: c.type, status: c.status, lastProbeTime: null, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    return out;
  });
}

const byName = (a: ContainerStatus, b: ContainerStatus) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * kubeletPodStatus is the status a kubelet would write for pod given its instance: phase (terminal
 * phases never revert), reason and message kept while the phase holds, conditions (non-kubelet
 * ones such as readiness gates preserved, then PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled), init container statuses in spec order, container statuses by
 * name, host and pod IPs, startTime and qosClass. A lost instance fails the Pod with the loss's
 * reason and a DisruptionTarget condition, as kube fails the Pods of a lost node.
 */
export function kubeletPodStatus(pod: Pod, input: PodStatusInput): PodStatus {
  const old = pod.status ?? {};
  const now = rfc3339(new Date(input.now));
  const inst = input.instance;
  const hasInit = (pod.spec.initContainers?.length ?? 0) > 0;
  const inits = containerStatuses(pod.spec.initContainers ?? [], inst?.initContainers, hasInit);
  const apps = containerStatuses(pod.spec.containers, inst?.containers, hasInit).sort(byName);
  const terminal = inst?.phase === 'Terminated' || inst?.phase === 'Lost';

  let phase: Phase = inst?.phase === 'Lost' ? 'Failed' : podPhase(pod, inits, apps, terminal);
  if (old.phase === 'Failed' || old.phase === 'Succeeded') phase = old.phase;

  const status: PodStatus = { phase };
  if (inst?.phase === 'Lost' && inst.lost && old.phase !== 'Succeeded') {
    status.reason = inst.lost.reason;
    status.message = `Instance ${inst.instanceId} which was running pod ${pod.metadata.name} was lost: ${inst.lost.message}`;
  } else if (phase === old.phase) {
    if (old.reason) status.reason = old.reason;
    if (old.message) status.message = old.message;
  }

  const owned = new Set<string>(kubeletConditions);
  const oldConditions = old.conditions ?? [];
  const preserved = oldConditions.filter((c) => !owned.has(c.type) && !(c.type === 'DisruptionTarget' && inst?.phase === 'Lost'));
  const generated: Condition[] = [];
  if (inst?.phase === 'Lost' && inst.lost) generated.push({ type: 'DisruptionTarget', status: 'True', reason: inst.lost.reason, message: inst.lost.message });
  const sandboxUp = inst !== undefined && (inst.phase === 'Running' || inst.phase === 'Terminating') && phase !== 'Failed' && phase !== 'Succeeded';
  generated.push({ type: 'PodReadyToStartContainers', status: sandboxUp ? 'True' : 'False' });
  const all = [...inits, ...apps];
  generated.push(initializedCondition(pod, inits, apps, phase));
  const containersReady = containersReadyCondition(pod, all, phase);
  generated.push(readyCondition(pod, containersReady, preserved));
  generated.push(containersReady);
  generated.push({ type: 'PodScheduled', status: 'True' });
  status.conditions = [...preserved, ...withTransitionTimes(generated, oldConditions, now)];

  const hostIP = inst?.hostIP ?? old.hostIP;
  if (hostIP) {
    status.hostIP = hostIP;
    status.hostIPs = [{ ip: hostIP }];
  }
  const podIP = (inst && inst.phase !== 'Pending' ? input.podIP : undefined) ?? old.podIP;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  const startTime = old.startTime ?? (inst ? now : undefined);
  if (startTime) status.startTime = startTime;
  if (hasInit) status.initContainerStatuses = inits;
  status.containerStatuses = apps;
  status.qosClass = old.qosClass ?? qosClass(pod as unknown as KubeObject);
  return status;
}

/**
 * unschedulablePodStatus is what kube-scheduler writes for a Pod it cannot place: phase Pending and
 * PodScheduled False with reason Unschedulable and message (its lastTransitionTime kept while it stays False).
 */
export function unschedulablePodStatus(pod: Pod, message: string, nowMs: number): PodStatus {
  const old = pod.status ?? {};
  const now = rfc3339(new Date(nowMs));
  const conditions = (old.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  const prev = (old.conditions ?? []).find((c) => c.type === 'PodScheduled');
  conditions.push({
    type: 'PodScheduled',
    status: 'False',
    lastProbeTime: null,
    lastTransitionTime: prev?.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    reason: 'Unschedulable',
    message,
  });
  return { ...old, phase: 'Pending', conditions, qosClass: old.qosClass ?? qosClass(pod as unknown as KubeObject) };
}
