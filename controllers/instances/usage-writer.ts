/**
 * The Usage writer keeps one Usage object per namespace (usage.nodeless.dev, `kubectl get usage
 * -A`) with what its runs cost so far and in the current UTC day and month, rewritten every ten
 * seconds while the bill changes. It also watches the namespaces' spend budgets (budget.ts): when
 * a namespace's spend passes 80 % of a budget, and again when it reaches all of it, a Warning
 * Event is recorded about its Usage object, once per period. The level already reported is kept
 * in the Usage object itself, so a restarted scheduler does not report it twice.
 */
import type { KubeObject } from '../../schemas/types';
import { isNotFound, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { NamespaceBill } from '../runtime/billing';
import type { Clock } from '../runtime/work-queue';
import { budgetLevel, budgetsOf, dollars, periodKey, periodStart, type BudgetLevel, type BudgetPeriod, type PeriodSpend } from './budget';
import type { Ledger } from './ledger';
import type { RunStore } from './run-store';
import { USAGES } from './run-store';

/** USAGE_INTERVAL_MS is how often the Usage objects are brought up to date, when their bill changed. */
export const USAGE_INTERVAL_MS = 10_000;
// The first Usage objects are written soon after start, once the ledger is read back.
const USAGE_FIRST_MS = 1_000;

/** UsageBill is the `bill` of a Usage object. */
export interface UsageBill {
  runs: number;
  running: number;
  cost: number;
  /** today and month are the spend in the current UTC day and month. */
  today: PeriodSpend;
  month: PeriodSpend;
  /** budgets are the namespace's budgets with the level last reported for each. */
  budgets?: Array<{ period: BudgetPeriod; limit: number; spent: number; level: BudgetLevel; reported: string }>;
  updated?: string;
}

const LEVELS: readonly BudgetLevel[] = ['ok', 'warning', 'exceeded'];
const round = (n: number) => Number(n.toFixed(6));

/** UsageWriterOptions are what the writer works with; the scheduler owns all of them. */
export interface UsageWriterOptions {
  client: Client;
  runs: RunStore;
  namespaces: Informer;
  recorder: EventRecorder;
  clock: Clock;
  log: (record: Record<string, unknown>) => void;
}

/** UsageWriter is started by the scheduler and stopped with it. */
export class UsageWriter {
  private readonly written = new Map<string, string>();
  /** reported is, per namespace and period, the period key and level an Event was last recorded for. */
  private reported?: Map<string, { period: string; level: BudgetLevel }>;
  private timer: unknown;
  private stopped = false;

  constructor(private readonly o: UsageWriterOptions) {}

  start(): void {
    this.timer = this.o.clock.setTimeout(() => this.tick(), USAGE_FIRST_MS);
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    void this.write().finally(() => {
      if (!this.stopped) this.timer = this.o.clock.setTimeout(() => this.tick(), USAGE_INTERVAL_MS);
    });
  }

  /** write brings every namespace's Usage up to date; exposed for tests that drive the clock. */
  async write(): Promise<void> {
    const { runs, client, clock } = this.o;
    if (!runs.ready) return;
    this.reported ??= await this.readReported();
    const now = clock.now();
    for (const b of namespaceBills(runs.index, now)) {
      const bill = this.billOf(b, now);
      const key = JSON.stringify(bill);
      if (this.written.get(b.namespace) === key) continue;
      const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
      try {
        const usage = await client.apply(USAGES, { apiVersion: 'usage.nodeless.dev/v1', kind: 'Usage', metadata: { name: 'usage', namespace: b.namespace }, bill: { ...bill, updated: stamp } } as never, { force: true });
        this.written.set(b.namespace, key);
        this.report(usage, b.namespace, bill);
      } catch (err) {
        // A namespace being deleted refuses new objects; the next round tries again.
        if (!isNotFound(err)) this.o.log({ level: 'warning', msg: 'usage not written', namespace: b.namespace, error: String(err) });
      }
    }
  }

  private billOf(b: NamespaceBill & { today: number; month: number }, now: number): UsageBill {
    const bill: UsageBill = {
      runs: b.runs,
      running: b.running,
      cost: round(b.cost),
      today: { period: periodKey('daily', now), cost: round(b.today) },
      month: { period: periodKey('monthly', now), cost: round(b.month) },
    };
    const ns = this.o.namespaces.get(b.namespace) as KubeObject | undefined;
    const budgets = budgetsOf(ns?.metadata?.annotations);
    if (budgets.length) {
      bill.budgets = budgets.map(({ period, limit }) => {
        const spent = period === 'daily' ? bill.today.cost : bill.month.cost;
        const level = budgetLevel(spent, limit);
        const key = periodKey(period, now);
        const last = this.reported?.get(`${b.namespace}\0${period}`);
        // The level reported stays in the object until a higher one is reported (or the period turns).
        const reported = last && last.period === key && LEVELS.indexOf(last.level) >= LEVELS.indexOf(level) ? last.level : level;
        return { period, limit, spent, level, reported: `${key}/${reported}` };
      });
    }
    return bill;
  }

  // report records the Warning Event for each budget whose level rose in this period.
  private report(usage: KubeObject, namespace: string, bill: UsageBill): void {
    for (const b of bill.budgets ?? []) {
      const slot = `${namespace}\0${b.period}`;
      const period = b.reported.split('/')[0];
      const last = this.reported!.get(slot);
      const before = last && last.period === period ? last.level : 'ok';
      if (LEVELS.indexOf(b.level) <= LEVELS.indexOf(before)) continue;
      this.reported!.set(slot, { period, level: b.level });
      const share = Math.floor((b.spent / b.limit) * 100);
      const what = `namespace ${namespace} has spent ${dollars(b.spent)} (${share}%) of its ${b.period} budget of ${dollars(b.limit)}`;
      if (b.level === 'exceeded') void this.o.recorder.event(usage, 'Warning', 'BudgetExceeded', `${what}: new pods are refused until the ${b.period === 'daily' ? 'day' : 'month'} ends (UTC)`);
      else void this.o.recorder.event(usage, 'Warning', 'BudgetThreshold', `${what}`);
    }
  }

  // readReported reads back, from the Usage objects, the levels a previous scheduler reported.
  private async readReported(): Promise<Map<string, { period: string; level: BudgetLevel }>> {
    const out = new Map<string, { period: string; level: BudgetLevel }>();
    try {
      const list = await this.o.client.list(USAGES, undefined);
      for (const u of list.items) {
        for (const b of ((u as { bill?: UsageBill }).bill?.budgets ?? [])) {
          const [period, level] = String(b.reported ?? '').split('/');
          if (period && LEVELS.includes(level as BudgetLevel)) out.set(`${u.metadata?.namespace}\0${b.period}`, { period, level: level as BudgetLevel });
        }
      }
    } catch (err) {
      this.o.log({ level: 'warning', msg: 'usage not read back', error: String(err) });
    }
    return out;
  }
}

/** namespaceBills is the bill of every run the ledger knows, by namespace, accrued to nowMs, with
   the spend of the current UTC day and month. */
export function namespaceBills(ledger: Ledger, nowMs: number): Array<NamespaceBill & { today: number; month: number }> {
  // One pass over the ledger fills all three: all time, this UTC day and this UTC month.
  return ledger.totals(nowMs, [-Infinity, periodStart('daily', nowMs), periodStart('monthly', nowMs)]).map((t) => ({
    namespace: t.namespace,
    runs: t.runs,
    running: t.running,
    cost: t.costs[0],
    today: t.costs[1],
    month: t.costs[2],
  }));
}
