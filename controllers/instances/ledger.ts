/**
 * The billing ledger's records and math. An InstanceRun is one instance's life, from start to stop,
 * for one Pod; cost accrues per second at the placement's price with a minimum charge. The
 * records are plain JSON (stored elsewhere, through the Client); everything here is pure, and the
 * Ledger index answers per-namespace queries over many runs without scanning the others.
 */
import type { CapacityType } from './catalog';
import type { OwnerReference, Pod } from './pod';
import type { Placement } from './sizing';

/** Workload is what a run is billed to: the top controller of the Pod, or the Pod itself (kind Pod). */
export interface Workload {
  kind: string;
  name: string;
}

/** InstanceRun is one instance run: JSON-serialisable, times as RFC 3339 with milliseconds. */
export interface InstanceRun {
  instanceId: string;
  podUID: string;
  podName: string;
  namespace: string;
  workload: Workload;
  size: string;
  family: string;
  capacityType: CapacityType;
  zone: string;
  /** pricePerSecond is USD per second of the size at the capacity type when the run started. */
  pricePerSecond: number;
  start: string;
  /** stop is absent while the instance runs. */
  stop?: string;
  /** stopReason says why it stopped: Deleted, Completed, InstanceLost, SpotInterruption, ... */
  stopReason?: string;
  /** cost is the final bill in USD, set when the run stops. */
  cost?: number;
}

/** BillingOptions set the minimum charge (default 60 s, as Fargate's one-minute minimum). */
export interface BillingOptions {
  minimumSeconds?: number;
}

/**
 * OwnerLookup answers the ownerReferences of an object the Pod is owned by (a ReplicaSet, a Job),
 * or undefined when it is not known (not cached, or deleted).
 */
export type OwnerLookup = (namespace: string, kind: string, name: string) => OwnerReference[] | undefined;

const controllerOf = (refs: OwnerReference[] | undefined) => refs?.find((r) => r.controller) ?? refs?.[0];

/**
 * resolveWorkload climbs controller ownerReferences from the Pod (ReplicaSet -> Deployment, Job ->
 * CronJob) as far as lookup knows them. When a ReplicaSet's owners are unknown, a Pod whose
 * pod-template-hash label ends the ReplicaSet's name ("web-5d8f7c9b4" with hash "5d8f7c9b4") is
 * billed to Deployment "web", the name the Deployment controller gives its ReplicaSets.
 */
export function resolveWorkload(pod: Pod, lookup?: OwnerLookup): Workload {
  const ns = pod.metadata.namespace ?? 'default';
  let ref = controllerOf(pod.metadata.ownerReferences);
  if (!ref) return { kind: 'Pod', name: pod.metadata.name };
  for (let depth = 0; depth < 4; depth++) {
    const owners = lookup?.(ns, ref.kind, ref.name);
    const up = controllerOf(owners);
    if (up) {
      ref = up;
      continue;
    }
    if (owners === undefined && ref.kind === 'ReplicaSet') {
      const hash = pod.metadata.labels?.['pod-template-hash'];
      if (hash && ref.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) };
    }
    break;
  }
  return { kind: ref.kind, name: ref.name };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** startRun is the record of an instance that started at startMs for pod at placement. */
export function startRun(pod: Pod, placement: Placement, instanceId: string, startMs: number, lookup?: OwnerLookup): InstanceRun {
  return {
    instanceId,
    podUID: pod.metadata.uid ?? '',
    podName: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    workload: resolveWorkload(pod, lookup),
    size: placement.size.id,
    family: placement.family.name,
    capacityType: placement.capacityType,
    zone: placement.zone,
    pricePerSecond: placement.pricePerSecond,
    start: iso(startMs),
  };
}

/** stopRun is run stopped at stopMs (never before its start) with its final cost; a stopped run is returned as it is. */
export function stopRun(run: InstanceRun, stopMs: number, reason: string, options: BillingOptions = {}): InstanceRun {
  if (run.stop !== undefined) return run;
  const stop = Math.max(stopMs, Date.parse(run.start));
  const stopped = { ...run, stop: iso(stop), stopReason: reason };
  return { ...stopped, cost: runCost(stopped, stop, options) };
}

const minimumMs = (o: BillingOptions) => (o.minimumSeconds ?? 60) * 1000;

/** billedEndMs is where the charge ends: the stop (or now) rounded up to a whole second, at least the minimum after start. */
function billedEndMs(startMs: number, stopMs: number | undefined, nowMs: number, options: BillingOptions): number {
  const end = stopMs ?? Math.max(nowMs, startMs);
  const whole = startMs + Math.ceil((end - startMs) / 1000) * 1000;
  return Math.max(whole, startMs + minimumMs(options));
}

/** billedSeconds is the whole seconds charged for run so far (at nowMs when it still runs), minimum included. */
export function billedSeconds(run: InstanceRun, nowMs: number, options: BillingOptions = {}): number {
  const start = Date.parse(run.start);
  return (billedEndMs(start, run.stop === undefined ? undefined : Date.parse(run.stop), nowMs, options) - start) / 1000;
}

/** runCost is USD charged for run so far: pricePerSecond × billedSeconds. */
export function runCost(run: InstanceRun, nowMs: number, options: BillingOptions = {}): number {
  return run.pricePerSecond * billedSeconds(run, nowMs, options);
}

/** TimeRange bounds a usage query in epoch ms: [from, to); now prices the runs still running. */
export interface TimeRange {
  from?: number;
  to?: number;
  now: number;
}

/** LedgerEntry is a run with its times parsed once, what the index and aggregations work on. */
export interface LedgerEntry {
  run: InstanceRun;
  startMs: number;
  stopMs?: number;
}

/** toEntry parses a run's times. */
export function toEntry(run: InstanceRun): LedgerEntry {
  return { run, startMs: Date.parse(run.start), stopMs: run.stop === undefined ? undefined : Date.parse(run.stop) };
}

/** overlap is the billed seconds of an entry inside range (the minimum charge sits at the run's start). */
function overlap(e: LedgerEntry, range: TimeRange, options: BillingOptions): number {
  const end = billedEndMs(e.startMs, e.stopMs, range.now, options);
  const from = Math.max(e.startMs, range.from ?? -Infinity);
  const to = Math.min(end, range.to ?? Infinity);
  return to > from ? (to - from) / 1000 : 0;
}

/** UsageBy is how usage is grouped. */
export type UsageBy = 'pod' | 'namespace' | 'workload';

/** UsageRow is one group's usage: namespace, then the pod or workload (empty for by=namespace). */
export interface UsageRow {
  namespace: string;
  kind: string;
  name: string;
  /** podUID is set for by=pod. */
  podUID?: string;
  runs: number;
  seconds: number;
  cost: number;
}

/** aggregateEntries groups entries by pod, namespace or workload over range; rows sort by namespace, kind, name. */
export function aggregateEntries(entries: Iterable<LedgerEntry>, by: UsageBy, range: TimeRange, options: BillingOptions = {}): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const e of entries) {
    const seconds = overlap(e, range, options);
    if (seconds <= 0) continue;
    const r = e.run;
    const key =
      by === 'namespace' ? r.namespace : by === 'pod' ? `${r.namespace}\0${r.podUID || r.podName}` : `${r.namespace}\0${r.workload.kind}\0${r.workload.name}`;
    let row = rows.get(key);
    if (!row) {
      row =
        by === 'namespace'
          ? { namespace: r.namespace, kind: '', name: '', runs: 0, seconds: 0, cost: 0 }
          : by === 'pod'
            ? { namespace: r.namespace, kind: 'Pod', name: r.podName, podUID: r.podUID, runs: 0, seconds: 0, cost: 0 }
            : { namespace: r.namespace, kind: r.workload.kind, name: r.workload.name, runs: 0, seconds: 0, cost: 0 };
      rows.set(key, row);
    }
    row.runs++;
    row.seconds += seconds;
    row.cost += seconds * r.pricePerSecond;
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows.values()].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name));
}

/** aggregate is aggregateEntries over plain runs. */
export function aggregate(runs: InstanceRun[], by: UsageBy, range: TimeRange, options: BillingOptions = {}): UsageRow[] {
  return aggregateEntries(runs.map(toEntry), by, range, options);
}

/**
 * Ledger indexes runs by instance id and by namespace. put() adds a run or replaces the one with
 * the same instanceId (as when it stops); runs and entries come back in the order first added.
 */
export class Ledger {
  private readonly byId = new Map<string, LedgerEntry>();
  private readonly byNamespace = new Map<string, Map<string, LedgerEntry>>();

  constructor(private readonly options: BillingOptions = {}) {}

  /** size is how many runs the ledger holds. */
  get size(): number {
    return this.byId.size;
  }

  /** put adds or replaces a run. */
  put(run: InstanceRun): void {
    const entry = toEntry(run);
    const old = this.byId.get(run.instanceId);
    if (old && old.run.namespace !== run.namespace) this.byNamespace.get(old.run.namespace)?.delete(run.instanceId);
    this.byId.set(run.instanceId, entry);
    let ns = this.byNamespace.get(run.namespace);
    if (!ns) this.byNamespace.set(run.namespace, (ns = new Map()));
    ns.set(run.instanceId, entry);
  }

  /** get is the run of an instance, if any. */
  get(instanceId: string): InstanceRun | undefined {
    return this.byId.get(instanceId)?.run;
  }

  /** runs lists runs, of one namespace when given, that overlap [from, to) of range when given. */
  runs(namespace?: string, range?: Partial<TimeRange>): InstanceRun[] {
    return [...this.entries(namespace, range)].map((e) => e.run);
  }

  /** usage aggregates the runs of one namespace (or all) over range, grouped by. */
  usage(by: UsageBy, range: TimeRange, namespace?: string): UsageRow[] {
    return aggregateEntries(this.entries(namespace, range), by, range, this.options);
  }

  private *entries(namespace?: string, range?: Partial<TimeRange>): Iterable<LedgerEntry> {
    const source = namespace === undefined ? this.byId.values() : (this.byNamespace.get(namespace)?.values() ?? []);
    const from = range?.from ?? -Infinity;
    const to = range?.to ?? Infinity;
    const min = minimumMs(this.options);
    for (const e of source) {
      // A run overlaps when it starts before `to` and its billed end (stop, or minimum) is after `from`.
      if (e.startMs >= to) continue;
      if (e.stopMs !== undefined && Math.max(e.stopMs + 1000, e.startMs + min) <= from) continue;
      yield e;
    }
  }
}

// ---------------------------------------------------------------------------
// Rendering for `nodeless usage`.

const columns: Record<UsageBy, Array<keyof UsageRow>> = {
  namespace: ['namespace', 'runs', 'seconds', 'cost'],
  workload: ['namespace', 'kind', 'name', 'runs', 'seconds', 'cost'],
  pod: ['namespace', 'name', 'podUID', 'runs', 'seconds', 'cost'],
};

function cell(row: UsageRow, col: keyof UsageRow): string {
  const v = row[col];
  if (col === 'cost') return (v as number).toFixed(6);
  if (col === 'seconds') return String(Math.round((v as number) * 1000) / 1000);
  return String(v ?? '');
}

/** renderCSV writes rows as RFC 4180 CSV with a header; cost has six decimals (USD). */
export function renderCSV(rows: UsageRow[], by: UsageBy): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = columns[by].map((c) => (c === 'name' && by === 'pod' ? 'pod' : c));
  return [header.join(','), ...rows.map((r) => columns[by].map((c) => quote(cell(r, c))).join(','))].join('\n') + '\n';
}

/** renderJSON writes rows with the grouping's fields and a total, as `nodeless usage -o json` prints it. */
export function renderJSON(rows: UsageRow[], by: UsageBy, range: TimeRange): string {
  const items = rows.map((r) => Object.fromEntries(columns[by].map((c) => [c === 'name' && by === 'pod' ? 'pod' : c, c === 'cost' ? Number(r.cost.toFixed(6)) : c === 'seconds' ? Number(r.seconds.toFixed(3)) : (r[c] ?? '')])));
  const total = rows.reduce((s, r) => s + r.cost, 0);
  return JSON.stringify(
    {
      by,
      from: range.from === undefined ? null : iso(range.from),
      to: range.to === undefined ? null : iso(range.to),
      items,
      totalCost: Number(total.toFixed(6)),
    },
    null,
    2,
  ) + '\n';
}
