/**
 * Budget admission: a namespace's spend budgets (controllers/instances/budget.ts) are enforced
 * when Pods are created. A Pod is refused with 403 Forbidden when what the namespace has spent in
 * the current UTC day (or month) plus the Pod's minimum charge on the instance it would get would
 * go past the budget. The spend is read from the namespace's Usage object, which the instance
 * scheduler rewrites every ten seconds, so it may trail the true spend by that much: a budget is a
 * guard against runaway spend, not an exact meter. Budget annotations that are not amounts are
 * refused on the Namespace itself with 422.
 */
import type { AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import { namespaceOfWrite } from './namespace-lifecycle';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden, invalid } from '../../schemas/meta/status-error';
import type { KubeObject } from '../../schemas/types';
import { BUDGET_ANNOTATIONS, budgetValueError, budgetsOf, dollars, spendIn, type PeriodSpend } from '../../controllers/instances/budget';
import { defaultCatalog, type Catalog } from '../../controllers/instances/catalog';
import type { Pod } from '../../controllers/instances/pod';
import { decideSize, SizingError, type SizingOptions } from '../../controllers/instances/sizing';

/** BudgetAdmissionOptions price a Pod as the scheduler would. */
export interface BudgetAdmissionOptions {
  catalog?: Catalog;
  sizing?: SizingOptions;
  /** minimumSeconds is the minimum charge of a run (the scheduler's billing default, 60 s). */
  minimumSeconds?: number;
  now?: () => number;
}

/** budgetAdmission returns the plugin; it reads Namespaces and Usage objects through the registry. */
export function budgetAdmission(registry: Registry, resources: ResourceTable, options: BudgetAdmissionOptions = {}): AdmissionPlugin {
  const catalog = options.catalog ?? defaultCatalog();
  const now = options.now ?? Date.now;
  const minimumSeconds = options.minimumSeconds ?? 60;
  return {
    name: 'NodelessBudget',
    async validate(attrs) {
      if (attrs.resource.group !== '' || attrs.subresource || !attrs.object) return;
      if (attrs.resource.plural === 'namespaces' && (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE')) {
        const annotations = attrs.object.metadata?.annotations ?? {};
        const errors = Object.values(BUDGET_ANNOTATIONS).flatMap((key) => {
          const value = annotations[key];
          const why = value === undefined ? undefined : budgetValueError(value);
          return why ? [{ type: 'FieldValueInvalid', field: `metadata.annotations[${key}]`, message: `Invalid value: ${JSON.stringify(value)}: ${why}` }] : [];
        });
        if (errors.length) throw invalid('Namespace', '', attrs.name, errors);
        return;
      }
      if (attrs.resource.plural !== 'pods' || attrs.operation !== 'CREATE' || !attrs.namespace) return;
      const nsDef = resources.lookup('', 'v1', 'namespaces');
      const namespace = nsDef && (await namespaceOfWrite(registry, nsDef, attrs));
      const budgets = budgetsOf(namespace?.metadata?.annotations);
      if (!budgets.length) return;
      let charge: number;
      try {
        const decision = decideSize(attrs.object as unknown as Pod, catalog, options.sizing);
        // A Pod no instance fits is left to the scheduler, which reports why it cannot run.
        if (!decision.schedulable) return;
        charge = decision.placement.pricePerSecond * minimumSeconds;
      } catch (err) {
        if (err instanceof SizingError) return;
        throw err;
      }
      const usage = await read(registry, resources.lookup('usage.nodeless.dev', 'v1', 'usages'), attrs.namespace, 'usage');
      const bill = (usage?.bill ?? {}) as { today?: PeriodSpend; month?: PeriodSpend };
      const at = now();
      for (const b of budgets) {
        const spent = spendIn(b.period === 'daily' ? bill.today : bill.month, b.period, at);
        if (spent + charge <= b.limit) continue;
        throw forbidden(
          { group: '', resource: 'pods' },
          attrs.name,
          `exceeded budget: namespace ${attrs.namespace} has spent ${dollars(spent)} of its ${b.period} budget of ${dollars(b.limit)} (${BUDGET_ANNOTATIONS[b.period]}), and this pod's minimum charge of ${dollars(charge)} would go past it`,
        );
      }
    },
  };
}

// read gets one object through the registry, or undefined when it (or its kind) does not exist.
async function read(registry: Registry, def: ReturnType<ResourceTable['lookup']>, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  if (!def) return undefined;
  try {
    return registry.decode(await registry.get(def, namespace, name));
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}
