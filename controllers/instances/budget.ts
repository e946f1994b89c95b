/**
 * Spend budgets: a namespace may carry a daily and a monthly budget in US dollars as annotations
 * (budget.nodeless.dev/daily: "25", budget.nodeless.dev/monthly: "500"). Periods are UTC calendar
 * days and months. The scheduler writes each namespace's spend in the current periods into its
 * Usage object and records a Warning Event on the Namespace when spend passes 80 % and 100 % of a
 * budget; admission (server/registry/budget-admission.ts) refuses a Pod whose minimum charge
 * would take the spend past a budget. Nothing here stops pods that already run: a budget limits
 * what starts, as a cloud's budget alert does, it never kills a workload.
 */

/** BudgetPeriod is the span a budget covers. */
export type BudgetPeriod = 'daily' | 'monthly';

/** BUDGET_ANNOTATIONS are the namespace annotations that set a budget, by period. */
export const BUDGET_ANNOTATIONS: Readonly<Record<BudgetPeriod, string>> = {
  daily: 'budget.nodeless.dev/daily',
  monthly: 'budget.nodeless.dev/monthly',
};

/** BUDGET_WARNING_RATIO is the share of a budget at which the Warning Event is written. */
export const BUDGET_WARNING_RATIO = 0.8;

/** Budget is one limit of a namespace. */
export interface Budget {
  period: BudgetPeriod;
  /** limit is in US dollars. */
  limit: number;
}

/** PeriodSpend is what a namespace spent in one period: the period's key and the dollars. */
export interface PeriodSpend {
  /** period is the UTC day ("2026-12-03") or month ("2026-12") the cost belongs to. */
  period: string;
  cost: number;
}

const AMOUNT = /^(0|[1-9]\d{0,9})(\.\d{1,6})?$/;

/** budgetValueError says what is wrong with an annotation's value, or undefined when it is a valid amount. */
export function budgetValueError(value: string): string | undefined {
  return AMOUNT.test(value) ? undefined : 'must be an amount of US dollars, such as "25" or "7.50"';
}

/** budgetsOf reads a namespace's budgets from its annotations; values that are not amounts are skipped. */
export function budgetsOf(annotations: Record<string, string> | undefined): Budget[] {
  const out: Budget[] = [];
  for (const period of ['daily', 'monthly'] as const) {
    const v = annotations?.[BUDGET_ANNOTATIONS[period]];
    if (v !== undefined && budgetValueError(v) === undefined) out.push({ period, limit: Number(v) });
  }
  return out;
}

/** periodKey names the UTC day or month nowMs falls in. */
export function periodKey(period: BudgetPeriod, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return period === 'daily' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** periodStart is the first millisecond (UTC) of the day or month nowMs falls in. */
export function periodStart(period: BudgetPeriod, nowMs: number): number {
  const d = new Date(nowMs);
  return period === 'daily' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** spendIn is the cost of spend if it belongs to the current period, else 0 (a new period starts at zero). */
export function spendIn(spend: PeriodSpend | undefined, period: BudgetPeriod, nowMs: number): number {
  return spend && spend.period === periodKey(period, nowMs) && Number.isFinite(spend.cost) ? spend.cost : 0;
}

/** dollars prints an amount as the budget messages do: "$7.50", "$0.99999": to the micro-dollar, at least to the cent. */
export function dollars(amount: number): string {
  const text = amount.toFixed(6).replace(/0+$/, '');
  const [whole, fraction = ''] = text.split('.');
  return `$${whole}.${fraction.padEnd(2, '0')}`;
}

/** BudgetLevel is how far a spend is into its budget: under 80 %, at least 80 %, or all of it. */
export type BudgetLevel = 'ok' | 'warning' | 'exceeded';

/** budgetLevel grades spend against limit. */
export function budgetLevel(spend: number, limit: number): BudgetLevel {
  if (spend >= limit) return 'exceeded';
  return spend >= limit * BUDGET_WARNING_RATIO ? 'warning' : 'ok';
}
