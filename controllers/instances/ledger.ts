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
  /** groups are the run's grouping keys, built once so that aggregating builds no strings. */
  groups: Record<UsageBy, string>;
}

/** toEntry parses a run's times and builds its grouping keys. */
export function toEntry(run: InstanceRun): LedgerEntry {
  return {
    run,
    startMs: Date.parse(run.start),
    stopMs: run.stop === undefined ? undefined : Date.parse(run.stop),
    groups: {
      namespace: run.namespace,
      pod: `${run.namespace}\0${run.podUID || run.podName}`,
      workload: `${run.namespace}\0${run.workload.kind}\0${run.workload.name}`,
    },
  };
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
export function aggregateEntries(entries: readonly LedgerEntry[], by: UsageBy, range: TimeRange, options: BillingOptions = {}): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  // Globals are read once into locals (see Ledger.scan).
  const inf = Infinity;
  const ceil = Math.ceil;
  const rangeFrom = range.from ?? -inf;
  const rangeTo = range.to ?? inf;
  const min = minimumMs(options);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    // The overlap of the billed interval [start, billed end) with [from, to), inlined: this loop is the hot path.
    const stop = e.stopMs ?? (range.now > e.startMs ? range.now : e.startMs);
    let end = e.startMs + ceil((stop - e.startMs) / 1000) * 1000;
    if (end < e.startMs + min) end = e.startMs + min;
    const from = e.startMs > rangeFrom ? e.startMs : rangeFrom;
    const to = end < rangeTo ? end : rangeTo;
    if (to <= from) continue;
    const seconds = (to - from) / 1000;
    const key = e.groups[by];
    let row = rows.get(key);
    if (!row) {
      const r = e.run;
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
    row.cost += seconds * e.run.pricePerSecond;
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows.values()].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name));
}

/** aggregate is aggregateEntries over plain runs. */
export function aggregate(runs: InstanceRun[], by: UsageBy, range: TimeRange, options: BillingOptions = {}): UsageRow[] {
  return aggregateEntries(runs.map(toEntry), by, range, options);
}

/**
 * NamespaceColumns holds one namespace's runs column by column (typed arrays for times and prices,
 * group ids for pods and workloads), so a query walks contiguous memory instead of 100,000 objects.
 */
class NamespaceColumns {
  length = 0;
  runs: InstanceRun[] = [];
  start = new Float64Array(16);
  /** stop is NaN while the run is running. */
  stop = new Float64Array(16);
  price = new Float64Array(16);
  pod = new Int32Array(16);
  workload = new Int32Array(16);
  readonly slot = new Map<string, number>();
  readonly podGroups = new Map<string, number>();
  readonly workloadGroups = new Map<string, number>();

  put(run: InstanceRun): void {
    let i = this.slot.get(run.instanceId);
    if (i === undefined) {
      if (this.length === this.start.length) this.grow();
      i = this.length++;
      this.slot.set(run.instanceId, i);
    }
    this.runs[i] = run;
    this.start[i] = Date.parse(run.start);
    this.stop[i] = run.stop === undefined ? Number.NaN : Date.parse(run.stop);
    this.price[i] = run.pricePerSecond;
    this.pod[i] = group(this.podGroups, run.podUID || run.podName);
    this.workload[i] = group(this.workloadGroups, `${run.workload.kind}\0${run.workload.name}`);
  }

  remove(instanceId: string): void {
    const i = this.slot.get(instanceId);
    if (i === undefined) return;
    // Keep positions stable: a removed slot becomes an empty run that never overlaps a range.
    this.slot.delete(instanceId);
    this.start[i] = Infinity;
    this.stop[i] = Infinity;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const f = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    const g = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    this.start = f(this.start);
    this.stop = f(this.stop);
    this.price = f(this.price);
    this.pod = g(this.pod);
    this.workload = g(this.workload);
  }
}

function group(groups: Map<string, number>, key: string): number {
  let id = groups.get(key);
  if (id === undefined) groups.set(key, (id = groups.size));
  return id;
}

/** NamespaceTotals is one namespace's line of Ledger.totals. */
export interface NamespaceTotals {
  namespace: string;
  runs: number;
  running: number;
  /** costs are the cost since each time asked for, in the order asked. */
  costs: number[];
}

/**
 * Ledger indexes runs by instance id and, column by column, by namespace. put() adds a run or
 * replaces the one with the same instanceId (as when it stops); runs come back in the order first
 * added; usage() over one namespace touches only that namespace's columns.
 */
export class Ledger {
  private readonly byNamespace = new Map<string, NamespaceColumns>();
  private readonly namespaceOf = new Map<string, string>();

  constructor(private readonly options: BillingOptions = {}) {}

  /** size is how many runs the ledger holds. */
  get size(): number {
    return this.namespaceOf.size;
  }

  /** put adds or replaces a run. */
  put(run: InstanceRun): void {
    const old = this.namespaceOf.get(run.instanceId);
    if (old !== undefined && old !== run.namespace) this.byNamespace.get(old)?.remove(run.instanceId);
    this.namespaceOf.set(run.instanceId, run.namespace);
    let cols = this.byNamespace.get(run.namespace);
    if (!cols) this.byNamespace.set(run.namespace, (cols = new NamespaceColumns()));
    cols.put(run);
  }

  /** get is the run of an instance, if any. */
  get(instanceId: string): InstanceRun | undefined {
    const ns = this.namespaceOf.get(instanceId);
    if (ns === undefined) return undefined;
    const cols = this.byNamespace.get(ns)!;
    return cols.runs[cols.slot.get(instanceId)!];
  }

  /** runs lists runs, of one namespace when given, whose billed time overlaps [from, to) of range when given. */
  runs(namespace?: string, range?: Partial<TimeRange>): InstanceRun[] {
    const full: TimeRange = { from: range?.from, to: range?.to, now: range?.now ?? Infinity };
    const out: InstanceRun[] = [];
    for (const cols of this.columns(namespace)) this.scan(cols, full, (i) => out.push(cols.runs[i]));
    return out;
  }

  /** usage aggregates the runs of one namespace (or all) over range, grouped by. */
  usage(by: UsageBy, range: TimeRange, namespace?: string): UsageRow[] {
    if (by === 'pod' || namespace === undefined) {
      const entries: LedgerEntry[] = this.runs(namespace, range).map(toEntry);
      return aggregateEntries(entries, by, range, this.options);
    }
    const cols = this.byNamespace.get(namespace);
    if (!cols) return [];
    const groups = by === 'workload' ? cols.workload : undefined;
    const seconds = new Map<number, { runs: number; seconds: number; cost: number; first: number }>();
    this.scan(cols, range, (i, s) => {
      const g = groups ? groups[i] : 0;
      let acc = seconds.get(g);
      if (!acc) seconds.set(g, (acc = { runs: 0, seconds: 0, cost: 0, first: i }));
      acc.runs++;
      acc.seconds += s;
      acc.cost += s * cols.price[i];
    });
    const rows: UsageRow[] = [...seconds.values()].map((acc) => {
      const r = cols.runs[acc.first];
      return { namespace, kind: by === 'workload' ? r.workload.kind : '', name: by === 'workload' ? r.workload.name : '', runs: acc.runs, seconds: acc.seconds, cost: acc.cost };
    });
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return rows.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.name, b.name));
  }

  /**
   * totals is, per namespace with runs (sorted by name), in one pass over its runs: how many runs,
   * how many still run, and the cost accrued up to now since each time of since (-Infinity for all
   * time), as usage('namespace', { from: since[k], now }) would give each.
   */
  totals(now: number, since: readonly number[]): NamespaceTotals[] {
    const out: NamespaceTotals[] = [];
    const ceil = Math.ceil;
    const min = minimumMs(this.options);
    for (const [namespace, cols] of this.byNamespace) {
      const costs = since.map(() => 0);
      let runs = 0;
      let running = 0;
      const { start, stop, price, length } = cols;
      for (let i = 0; i < length; i++) {
        const s = start[i];
        if (s === Infinity) continue;
        const t = stop[i];
        if (t !== t) running++; // NaN: still running
        const until = t === t ? t : now > s ? now : s;
        let end = s + ceil((until - s) / 1000) * 1000;
        if (end < s + min) end = s + min;
        if (end > s) runs++;
        for (let k = 0; k < since.length; k++) {
          const from = s > since[k] ? s : since[k];
          if (end > from) costs[k] += ((end - from) / 1000) * price[i];
        }
      }
      if (runs > 0) out.push({ namespace, runs, running, costs });
    }
    return out.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  }

  private columns(namespace?: string): NamespaceColumns[] {
    if (namespace === undefined) return [...this.byNamespace.values()];
    const cols = this.byNamespace.get(namespace);
    return cols ? [cols] : [];
  }

  /** scan calls visit(i, billed seconds in range) for each run of cols that overlaps range. */
  private scan(cols: NamespaceColumns, range: TimeRange, visit: (i: number, seconds: number) => void): void {
    // Globals are read once into locals: under a vm context (jest) every global read in the loop is slow.
    const inf = Infinity;
    const ceil = Math.ceil;
    const rangeFrom = range.from ?? -inf;
    const rangeTo = range.to ?? inf;
    const now = range.now;
    const min = minimumMs(this.options);
    const { start, stop, length } = cols;
    for (let i = 0; i < length; i++) {
      const s = start[i];
      if (s >= rangeTo || s === inf) continue;
      const t = stop[i];
      const until = t === t ? t : now > s ? now : s; // t !== t: NaN, still running
      let end = s + ceil((until - s) / 1000) * 1000;
      if (end < s + min) end = s + min;
      const from = s > rangeFrom ? s : rangeFrom;
      const to = end < rangeTo ? end : rangeTo;
      if (to > from) visit(i, (to - from) / 1000);
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
