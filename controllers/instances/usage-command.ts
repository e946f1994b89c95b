/**
 * `nodeless usage`: the bill, read from the InstanceRun objects the scheduler writes, grouped by
 * namespace, workload or pod over a time range, printed as a table, CSV or JSON. It talks to the
 * API server through a Client only, so it reads the bill of any nodeless server from a kubeconfig.
 */
import type { Client } from '../runtime/client';
import type { KubeObject } from '../../schemas/types';
import { aggregate, renderCSV, renderJSON, type InstanceRun, type TimeRange, type UsageBy, type UsageRow } from './ledger';
import { INSTANCE_RUNS } from './run-store';

/** UsageQuery is what `nodeless usage` was asked for. */
export interface UsageQuery {
  by: UsageBy;
  namespace?: string;
  range: TimeRange;
  output: 'table' | 'csv' | 'json';
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * parseTime reads a --since/--until value: an RFC 3339 time, or a duration back from now
 * (30m, 24h, 7d). It throws an Error naming the flag for anything else.
 */
export function parseTime(flag: string, value: string, nowMs: number): number {
  const d = DURATION.exec(value);
  if (d) return nowMs - Number(d[1]) * UNIT_MS[d[2]];
  const t = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new Error(`invalid --${flag} ${JSON.stringify(value)}: want an RFC 3339 time (2026-12-01T00:00:00Z) or a duration back from now (30m, 24h, 7d)`);
  return t;
}

/** parseUsageFlags checks the flags of `nodeless usage`; it throws an Error naming the bad one. */
export function parseUsageFlags(flags: { by?: string; namespace?: string; since?: string; until?: string; output?: string }, nowMs: number): UsageQuery {
  const by = flags.by ?? 'namespace';
  if (by !== 'namespace' && by !== 'workload' && by !== 'pod') throw new Error(`invalid --by ${JSON.stringify(by)}: want namespace, workload or pod`);
  const output = flags.output ?? 'table';
  if (output !== 'table' && output !== 'csv' && output !== 'json') throw new Error(`invalid --output ${JSON.stringify(output)}: want table, csv or json`);
  const from = flags.since === undefined ? undefined : parseTime('since', flags.since, nowMs);
  const to = flags.until === undefined ? undefined : parseTime('until', flags.until, nowMs);
  if (from !== undefined && to !== undefined && to <= from) throw new Error('invalid --until: it must be later than --since');
  return { by, namespace: flags.namespace, range: { from, to, now: nowMs }, output };
}

/** readRuns lists every InstanceRun (of one namespace, or all) through the client. */
export async function readRuns(client: Client, namespace?: string): Promise<InstanceRun[]> {
  const runs: InstanceRun[] = [];
  let token: string | undefined;
  do {
    const page = await client.list<KubeObject & { spec?: InstanceRun }>(INSTANCE_RUNS, namespace, { limit: 500, continue: token });
    for (const obj of page.items) if (obj.spec && typeof obj.spec.start === 'string') runs.push(obj.spec);
    token = page.metadata.continue || undefined;
  } while (token);
  return runs;
}

/** renderTable prints rows as kubectl prints a table: upper-case headers, columns padded by three spaces. */
export function renderTable(rows: UsageRow[], by: UsageBy): string {
  const header = by === 'namespace' ? ['NAMESPACE', 'RUNS', 'SECONDS', 'COST (USD)'] : by === 'workload' ? ['NAMESPACE', 'KIND', 'NAME', 'RUNS', 'SECONDS', 'COST (USD)'] : ['NAMESPACE', 'POD', 'RUNS', 'SECONDS', 'COST (USD)'];
  const cells = rows.map((r) => {
    const tail = [String(r.runs), String(Math.round(r.seconds)), r.cost.toFixed(6)];
    return by === 'namespace' ? [r.namespace, ...tail] : by === 'workload' ? [r.namespace, r.kind, r.name, ...tail] : [r.namespace, r.name, ...tail];
  });
  const total = rows.reduce((s, r) => s + r.cost, 0);
  const all = [header, ...cells];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd();
  return [...all.map(line), '', `TOTAL ${total.toFixed(6)} USD`].join('\n') + '\n';
}

/** usageReport reads the runs and renders the report a query asks for. */
export async function usageReport(client: Client, query: UsageQuery): Promise<string> {
  // Runs are aggregated as listed, not put in a Ledger keyed by instance id: a provider may hand
  // out an id again after a restart, and every run is its own bill.
  const rows = aggregate(await readRuns(client, query.namespace), query.by, query.range);
  if (query.output === 'csv') return renderCSV(rows, query.by);
  if (query.output === 'json') return renderJSON(rows, query.by, query.range);
  if (rows.length === 0) return 'No usage found.\n';
  return renderTable(rows, query.by);
}
