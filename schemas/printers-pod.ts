/**
 * Table printers for pods and for the workload kinds built around a pod template
 * (podtemplates, replicationcontrollers, replicasets, deployments, statefulsets, daemonsets,
 * jobs, cronjobs), plus the value formatting every printer shares: durations and ages like
 * apimachinery's HumanDuration, label maps and label selectors like metav1's formatters.
 * printers.ts assembles these with the other kinds' printers; nothing here imports it.
 */
import type { KubeObject, TableColumn } from './types';

/** Rec is a JSON object as read from a stored object. */
export type Rec = Record<string, unknown>;
/** Cell computes one column's value for an object. */
export type Cell = TableColumn['cell'];

/** rec returns v when it is a JSON object, else an empty one. */
export const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
/** list returns v's items as objects when it is an array, else []. */
export const list = (v: unknown): Rec[] => (Array.isArray(v) ? v.map(rec) : []);
/** text returns v when it is a string, else ''. */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');
/** int returns v truncated to an integer when it is a finite number, else 0. */
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
/** path walks nested object fields, yielding undefined where one is missing. */
export const path = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => rec(v)[k], o);
/** quantity prints a Kubernetes quantity or int-or-string as stored (not re-canonicalised); unset is 0. */
export const quantity = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '0');

/**
 * humanDuration formats a duration the way apimachinery's duration.HumanDuration does: seconds
 * up to 2m, minutes and seconds up to 10m, minutes up to 3h, hours and minutes up to 8h, hours
 * up to 2d, days and hours up to 8d, days up to 2y, years and days up to 8y, then years.
 * Slightly negative durations (clock skew under 2s) print as 0s; more negative as <invalid>.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** age prints the time since a timestamp like kube's translateTimestampSince: <unknown> when unset. */
export function age(timestamp: unknown, now: Date): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

/** rfc3339 prints a timestamp in UTC at second precision; an unset one is Go's zero time. */
export function rfc3339(timestamp: unknown): string {
  const t = parseTime(timestamp);
  return t === undefined ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** formatLabels prints a label map as sorted k=v pairs, or <none>. */
export function formatLabels(labels: unknown): string {
  const pairs = Object.entries(rec(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.length === 0 ? '<none>' : pairs.map(([k, v]) => `${k}=${text(v)}`).join(',');
}

/** selectorString renders a LabelSelector as labels.Selector.String() would; undefined when invalid. */
export function selectorString(selector: unknown): string | undefined {
  if (selector === undefined || selector === null) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(rec(rec(selector).matchLabels))) reqs.push({ key, text: `${key}=${text(value)}` });
  for (const e of list(rec(selector).matchExpressions)) {
    const key = text(e.key);
    const values = (Array.isArray(e.values) ? e.values.map(text) : []).sort();
    if (e.operator === 'Exists') reqs.push({ key, text: key });
    else if (e.operator === 'DoesNotExist') reqs.push({ key, text: `!${key}` });
    else if ((e.operator === 'In' || e.operator === 'NotIn') && values.length > 0) {
      reqs.push({ key, text: `${key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
    } else return undefined;
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => r.text).join(',');
}

/** formatLabelSelector is metav1.FormatLabelSelector: <none> when empty, <error> when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = selectorString(selector);
  return s === undefined ? '<error>' : s === '' ? '<none>' : s;
}

/** col builds a TableColumn; format is only set when given. */
export function col(name: string, type: string, description: string, cell: Cell, priority = 0, format?: string): TableColumn {
  return format === undefined ? { name, type, description, priority, cell } : { name, type, format, description, priority, cell };
}

/** nameColumn is the Name column (format name); storage classes override its cell. */
export const nameColumn = (priority = 0, cell: Cell = (o) => text(o.metadata?.name)): TableColumn =>
  col('Name', 'string', 'Name of the object, unique within its namespace.', cell, priority, 'name');
/** ageColumn is the Age column: time since creationTimestamp. */
export const ageColumn = (): TableColumn =>
  col('Age', 'string', 'Time since the object was created.', (o, now) => age(o.metadata?.creationTimestamp, now));

/** containerColumns are the wide Containers and Images columns of a pod template at the given path. */
export function containerColumns(...templatePath: string[]): TableColumn[] {
  const containers = (o: KubeObject) => list(path(o, ...templatePath, 'spec', 'containers'));
  return [
    col('Containers', 'string', 'Names of each container in the template.', (o) => containers(o).map((c) => text(c.name)).join(','), 1),
    col('Images', 'string', 'Images referenced by each container in the template.', (o) => containers(o).map((c) => text(c.image)).join(','), 1),
  ];
}

/** wideSelector is the wide Selector column. */
export const wideSelector = (description: string, cell: Cell): TableColumn => col('Selector', 'string', description, cell, 1);

// 0001-01-01T00:00:00Z in epoch ms (Date.UTC would map year 1 to 1901).
const GO_ZERO_TIME = -62135596800000;

/** parseTime returns epoch milliseconds of an RFC3339 timestamp, or undefined when unset or Go's zero time. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  // Go's zero time.Time serialises as 0001-01-01T00:00:00Z and counts as "unset".
  return Number.isNaN(ms) || ms <= GO_ZERO_TIME ? undefined : ms;
}

/** PodSummary is what the pod printer derives from a pod's spec and status. */
export interface PodSummary {
  /** ready containers / total containers (restartable init containers count as containers), e.g. "1/2" */
  ready: string;
  /** the STATUS column: phase, or a more specific reason such as CrashLoopBackOff or Init:0/1 */
  status: string;
  /** restarts of the containers that decide the status (see summarizePod) */
  restarts: number;
  /** epoch ms of the most recent restart among those containers, when known */
  lastRestart?: number;
}

function isRestartableInit(container: Rec | undefined): boolean {
  return container !== undefined && container.restartPolicy === 'Always';
}

function hasCondition(pod: KubeObject, type: string): boolean {
  return list(rec(pod.status).conditions).some((c) => c.type === type && c.status === 'True');
}

function terminatedAt(status: Rec): number | undefined {
  return parseTime(rec(rec(status.lastState).terminated).finishedAt);
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b > a ? b : a;
}

/**
 * summarizePod computes READY, STATUS and RESTARTS the way kube-apiserver's pod printer does:
 * the first init container that has not succeeded decides an "Init:..." status; once init is
 * done (or the Initialized condition is true) the regular containers decide it, the first
 * container in spec order winning; deletion turns a non-terminal pod into "Terminating".
 */
export function summarizePod(pod: KubeObject): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = text(status.phase);
  let reason = text(status.reason) || phase;
  for (const c of list(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = list(spec.initContainers);
  const initByName = new Map(initSpecs.map((c) => [text(c.name), c] as const));
  const total = list(spec.containers).length + initSpecs.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const sidecar = isRestartableInit(initByName.get(text(cs.name)));
    restarts += int(cs.restartCount);
    lastRestart = later(lastRestart, terminatedAt(cs));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, terminatedAt(cs));
    }
    const state = rec(cs.state);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined ? undefined : rec(state.waiting);
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const why = text(terminated.reason);
      if (why) reason = `Init:${why}`;
      else if (int(terminated.signal) !== 0) reason = `Init:Signal:${int(terminated.signal)}`;
      else reason = `Init:ExitCode:${int(terminated.exitCode)}`;
    } else if (waiting && text(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${text(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, 'Initialized')) {
    // Only sidecar restarts carry over; ordinary init containers are done with.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, terminatedAt(cs));
      const state = rec(cs.state);
      const waiting = state.waiting === undefined ? undefined : rec(state.waiting);
      const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
      if (waiting && text(waiting.reason) !== '') {
        reason = text(waiting.reason);
      } else if (terminated && text(terminated.reason) !== '') {
        reason = text(terminated.reason);
      } else if (terminated) {
        reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = parseTime(pod.metadata?.deletionTimestamp) !== undefined;
  if (deleting && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  return { ready: `${ready}/${total}`, status: reason, restarts, lastRestart };
}

/** PodWideCells are the pod columns shown only with -o wide. */
export interface PodWideCells {
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

/** podWideCells computes IP, NODE (the node, else the nodeless instance), NOMINATED NODE and READINESS GATES; unset values print as <none>. */
export function podWideCells(pod: KubeObject): PodWideCells {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const gates = list(spec.readinessGates);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const conditions = list(status.conditions);
    let trueCount = 0;
    for (const gate of gates) {
      const condition = conditions.find((c) => c.type === gate.conditionType);
      if (condition?.status === 'True') trueCount++;
    }
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return {
    // Conversion keeps podIPs[0] equal to podIP; fall back for objects written with podIP only.
    ip: text(list(status.podIPs)[0]?.ip) || text(status.podIP) || '<none>',
    // A pod on a nodeless instance keeps spec.nodeName empty; the column shows its instance.
    node: text(spec.nodeName) || text(pod.metadata?.annotations?.['nodeless.dev/instance-id']) || '<none>',
    nominatedNode: text(status.nominatedNodeName) || '<none>',
    readinessGates,
  };
}

/** podColumns are kube's printer columns for pods (NODE shows the instance). */
export function podColumns(): TableColumn[] {
  return [
    nameColumn(),
    col('Ready', 'string', 'Ready containers out of all containers of the pod.', (o) => summarizePod(o).ready),
    col('Status', 'string', 'Aggregate status of the pod and its containers.', (o) => summarizePod(o).status),
    col('Restarts', 'string', 'Container restarts, and how long ago the last one was.', (o, now) => {
      const { restarts, lastRestart } = summarizePod(o);
      return restarts !== 0 && lastRestart !== undefined ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : String(restarts);
    }),
    ageColumn(),
    col('IP', 'string', 'IP address of the pod.', (o) => podWideCells(o).ip, 1),
    col('Node', 'string', 'Node (here: instance) the pod runs on.', (o) => podWideCells(o).node, 1),
    col('Nominated Node', 'string', 'Node nominated by preemption.', (o) => podWideCells(o).nominatedNode, 1),
    col('Readiness Gates', 'string', 'Readiness gates that are true out of all.', (o) => podWideCells(o).readinessGates, 1),
  ];
}

function jobStatus(o: KubeObject): string {
  const conditions = list(path(o, 'status', 'conditions'));
  // Like kube's hasJobCondition, the first condition of a type decides.
  const has = (type: string) => conditions.find((c) => c.type === type)?.status === 'True';
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (parseTime(o.metadata?.deletionTimestamp) !== undefined) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const spec = rec(o.spec);
  const succeeded = int(path(o, 'status', 'succeeded'));
  if (typeof spec.completions === 'number') return `${succeeded}/${int(spec.completions)}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: Date): string {
  const start = parseTime(path(o, 'status', 'startTime'));
  if (start === undefined) return '';
  const end = parseTime(path(o, 'status', 'completionTime')) ?? now.getTime();
  return humanDuration(end - start);
}

// v1 defaulting sets spec.replicas to 1 when it is omitted.
const replicas = (o: KubeObject): number => (typeof path(o, 'spec', 'replicas') === 'number' ? int(path(o, 'spec', 'replicas')) : 1);
/** num is an integer column reading the number at a field path (0 when unset). */
export const num = (description: string, name: string, ...p: string[]): TableColumn => col(name, 'integer', description, (o) => int(path(o, ...p)));

/** podTemplateColumns are kube's printer columns for podtemplates. */
export const podTemplateColumns = (): TableColumn[] => [
  nameColumn(),
  ...containerColumns('template').map((c) => ({ ...c, priority: 0 })),
  col('Pod Labels', 'string', 'Labels of the pod template.', (o) => formatLabels(path(o, 'template', 'metadata', 'labels'))),
];

/** replicationControllerColumns are kube's printer columns for replicationcontrollers. */
export const replicationControllerColumns = (): TableColumn[] => [
  nameColumn(),
  col('Desired', 'integer', 'Desired number of replicas.', replicas),
  num('Current number of replicas.', 'Current', 'status', 'replicas'),
  num('Number of ready replicas.', 'Ready', 'status', 'readyReplicas'),
  ageColumn(), ...containerColumns('spec', 'template'),
  wideSelector('Label query over pods.', (o) => formatLabels(path(o, 'spec', 'selector'))),
];

/** deploymentColumns are kube's printer columns for apps/deployments. */
export const deploymentColumns = (): TableColumn[] => [
  nameColumn(),
  col('Ready', 'string', 'Ready replicas out of desired.', (o) => `${int(path(o, 'status', 'readyReplicas'))}/${replicas(o)}`),
  col('Up-to-date', 'string', 'Replicas updated to the latest template.', (o) => int(path(o, 'status', 'updatedReplicas'))),
  col('Available', 'string', 'Replicas available to users.', (o) => int(path(o, 'status', 'availableReplicas'))),
  ageColumn(), ...containerColumns('spec', 'template'),
  wideSelector('Label query over pods.', (o) => selectorString(path(o, 'spec', 'selector')) ?? '<invalid>'),
];

/** replicaSetColumns are kube's printer columns for apps/replicasets. */
export const replicaSetColumns = (): TableColumn[] => [
  nameColumn(),
  col('Desired', 'integer', 'Desired number of replicas.', replicas),
  num('Current number of replicas.', 'Current', 'status', 'replicas'),
  num('Number of ready replicas.', 'Ready', 'status', 'readyReplicas'),
  ageColumn(), ...containerColumns('spec', 'template'),
  wideSelector('Label query over pods.', (o) => formatLabelSelector(path(o, 'spec', 'selector'))),
];

/** statefulSetColumns are kube's printer columns for apps/statefulsets. */
export const statefulSetColumns = (): TableColumn[] => [
  nameColumn(),
  col('Ready', 'string', 'Ready replicas out of desired.', (o) => `${int(path(o, 'status', 'readyReplicas'))}/${replicas(o)}`),
  ageColumn(), ...containerColumns('spec', 'template'),
];

/** daemonSetColumns are kube's printer columns for apps/daemonsets. */
export const daemonSetColumns = (): TableColumn[] => [
  nameColumn(),
  num('Nodes that should run the daemon pod.', 'Desired', 'status', 'desiredNumberScheduled'),
  num('Nodes running the daemon pod.', 'Current', 'status', 'currentNumberScheduled'),
  num('Nodes with a ready daemon pod.', 'Ready', 'status', 'numberReady'),
  num('Nodes running the updated daemon pod.', 'Up-to-date', 'status', 'updatedNumberScheduled'),
  num('Nodes with an available daemon pod.', 'Available', 'status', 'numberAvailable'),
  col('Node Selector', 'string', 'Node selector of the pod template.', (o) => formatLabels(path(o, 'spec', 'template', 'spec', 'nodeSelector'))),
  ageColumn(), ...containerColumns('spec', 'template'),
  wideSelector('Label query over pods.', (o) => formatLabelSelector(path(o, 'spec', 'selector'))),
];

/** jobColumns are kube's printer columns for batch/jobs. */
export const jobColumns = (): TableColumn[] => [
  nameColumn(),
  col('Status', 'string', 'Status of the job.', jobStatus),
  col('Completions', 'string', 'Succeeded pods out of the completions wanted.', jobCompletions),
  col('Duration', 'string', 'Time the job ran, or has been running.', jobDuration),
  ageColumn(), ...containerColumns('spec', 'template'),
  wideSelector('Label query over pods.', (o) => formatLabelSelector(path(o, 'spec', 'selector'))),
];

/** cronJobColumns are kube's printer columns for batch/cronjobs. */
export const cronJobColumns = (): TableColumn[] => [
  nameColumn(),
  col('Schedule', 'string', 'Cron schedule.', (o) => text(path(o, 'spec', 'schedule'))),
  col('Timezone', 'string', 'Time zone of the schedule.', (o) => text(path(o, 'spec', 'timeZone')) || '<none>'),
  col('Suspend', 'boolean', 'Whether scheduling is suspended.', (o) => {
    const s = path(o, 'spec', 'suspend');
    return typeof s === 'boolean' ? (s ? 'True' : 'False') : '<unset>';
  }),
  col('Active', 'integer', 'Number of running jobs.', (o) => list(path(o, 'status', 'active')).length),
  col('Last Schedule', 'string', 'Time since the last schedule.', (o, now) => {
    const t = path(o, 'status', 'lastScheduleTime');
    return t === undefined ? '<none>' : age(t, now);
  }),
  ageColumn(), ...containerColumns('spec', 'jobTemplate', 'spec', 'template'),
  wideSelector('Label query over pods.', (o) => formatLabelSelector(path(o, 'spec', 'jobTemplate', 'spec', 'selector'))),
];
