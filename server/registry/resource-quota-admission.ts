/**
 * ResourceQuota admission: a write that would take a namespace's usage past a ResourceQuota's
 * hard limits is refused with 403 Forbidden, and a write that fits is charged to the quota's
 * status.used before it is stored, as kube-apiserver's ResourceQuota plugin does. The charge is
 * an optimistic update of the quota's status (its resourceVersion the precondition), retried
 * on conflict against the quota as it now is; writes in one namespace are checked one at a
 * time here, so two quick creates never both pass against the same usage. What it charges comes
 * from controllers/quota/evaluators.ts, shared with the resourcequota controller, which later
 * recounts usage from the objects themselves (and so gives back a charge whose write failed).
 *
 * It is a validating plugin and must be the last of the chain: only a write every other
 * plugin accepted is charged.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden } from '../../schemas/meta/status-error';
import { evaluatorFor, quotaMatches, type Evaluator, type ResourceQuotaObject } from '../../controllers/quota/evaluators';
import {
  add,
  equals,
  lessThanOrEqual,
  mask,
  negativeNames,
  parseResourceList,
  prettyPrint,
  removeZeros,
  serializeResourceList,
  subtractNonNegative,
  type ResourceList,
} from '../../controllers/quota/resource-list';

/** QUOTA_CHARGE_RETRIES is how often a charge lost to a concurrent quota write is tried again (kube: 3). */
const QUOTA_CHARGE_RETRIES = 3;

/** resourceQuotaAdmission returns the plugin; it reads and charges ResourceQuotas through the registry. */
export function resourceQuotaAdmission(registry: Registry, resources: ResourceTable): AdmissionPlugin {
  // One chain per namespace: a write waits for the ones before it to be charged.
  const chains = new Map<string, Promise<void>>();
  const serialize = async (namespace: string, fn: () => Promise<void>): Promise<void> => {
    const previous = chains.get(namespace) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    chains.set(namespace, tail);
    try {
      await run;
    } finally {
      if (chains.get(namespace) === tail) chains.delete(namespace);
    }
  };

  return {
    name: 'ResourceQuota',
    async validate(attrs) {
      if (!attrs.namespace || !attrs.resource.namespaced || !attrs.object) return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      const evaluator = evaluatorFor({ group: attrs.resource.group, resource: attrs.resource.plural });
      if (!evaluator.handles(attrs.operation, attrs.subresource)) return;
      const def = resources.lookup('', 'v1', 'resourcequotas');
      if (!def) return;
      // Most namespaces have no quota: their writes are not made to wait for one another.
      if (!(await quotasOf(registry, def, attrs.namespace)).length) return;
      await serialize(attrs.namespace, () => admit(registry, def, attrs, evaluator));
    },
  };
}

// admit checks the write against every quota of the namespace and charges the ones it changes.
async function admit(registry: Registry, def: ResourceDefinition, attrs: AdmissionAttributes, evaluator: Evaluator): Promise<void> {
  let quotas = await quotasOf(registry, def, attrs.namespace!);
  if (!quotas.length) return;
  for (let attempt = 0; ; attempt++) {
    const charged = checkRequest(quotas, attrs, evaluator, registry.now().getTime());
    if (attrs.dryRun) return;
    const changed = charged.filter((q, i) => !equals(parseResourceList(q.status?.used), parseResourceList(quotas[i].status?.used)));
    if (!changed.length) return;
    const lost: string[] = [];
    let lastError: unknown;
    for (const q of changed) {
      try {
        await registry.update(def, attrs.namespace, q.metadata!.name!, q, { subresource: 'status', fieldManager: 'resourcequota-admission' });
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === 'Conflict')) throw err;
        lost.push(q.metadata!.name!);
        lastError = err;
      }
    }
    if (!lost.length) return;
    if (attempt >= QUOTA_CHARGE_RETRIES) throw lastError;
    // Only the quotas whose charge was lost are checked again, as they now stand; a quota
    // deleted meanwhile no longer limits anything.
    quotas = (await quotasOf(registry, def, attrs.namespace!)).filter((q) => lost.includes(q.metadata!.name!));
    if (!quotas.length) return;
  }
}

async function quotasOf(registry: Registry, def: ResourceDefinition, namespace: string): Promise<ResourceQuotaObject[]> {
  const page = await registry.list(def, namespace);
  return page.items.map((item) => JSON.parse(item.raw) as ResourceQuotaObject);
}

/**
 * checkRequest is kube's CheckRequest: it answers the quotas as they would be with the write
 * charged, or throws the 403 that refuses it. On an update only the growth is charged, and only
 * to quotas the old object was in too (a quota it enters is charged the whole object).
 */
export function checkRequest(quotas: ResourceQuotaObject[], attrs: AdmissionAttributes, evaluator: Evaluator, now: number): ResourceQuotaObject[] {
  const obj = attrs.object!;
  const gr = { group: attrs.resource.group, resource: attrs.resource.plural };
  const refuse = (why: string) => forbidden(gr, attrs.name || obj.metadata?.name || obj.metadata?.generateName || 'Unknown', why);
  const interesting: number[] = [];
  for (let i = 0; i < quotas.length; i++) {
    const quota = quotas[i];
    if (!quotaMatches(evaluator, quota, obj)) continue;
    const hard = parseResourceList(quota.status?.hard);
    const restricted = evaluator.matchingResources(Object.keys(hard));
    const violation = evaluator.constraints(restricted, obj);
    if (violation) throw refuse(`failed quota: ${quota.metadata?.name}: ${violation}`);
    const used = parseResourceList(quota.status?.used);
    if (restricted.some((n) => hard[n] && !used[n])) {
      throw refuse(`status unknown for quota: ${quota.metadata?.name}, resources: ${[...restricted].sort().join(',')}`);
    }
    interesting.push(i);
  }
  if (!interesting.length) return quotas;

  const input = withNamespace(obj, attrs.namespace);
  const inputUsage = evaluator.usage(input, now);
  const negative = negativeNames(inputUsage);
  if (negative.length) throw refuse(`quota usage is negative for resource(s): ${negative.sort().join(',')}`);

  const delta = new Map<number, ResourceList>(interesting.map((i) => [i, inputUsage]));
  if (attrs.operation === 'UPDATE' && attrs.oldObject) {
    const old = withNamespace(attrs.oldObject, attrs.namespace);
    const growth = subtractNonNegative(inputUsage, evaluator.usage(old, now));
    for (const i of interesting) if (quotaMatches(evaluator, quotas[i], old)) delta.set(i, growth);
  }

  const out = quotas.map((q) => structuredClone(q));
  for (const i of interesting) {
    const requested0 = removeZeros(delta.get(i)!);
    if (!Object.keys(requested0).length) continue;
    const quota = out[i];
    const hard = parseResourceList(quota.status?.hard);
    const used = parseResourceList(quota.status?.used);
    const requested = mask(requested0, Object.keys(hard));
    const newUsed = add(used, requested);
    const { allowed, exceeded } = lessThanOrEqual(mask(newUsed, Object.keys(requested)), hard);
    if (!allowed) {
      throw refuse(
        `exceeded quota: ${quota.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
      );
    }
    quota.status = { ...(quota.status ?? {}), used: { ...(quota.status?.used ?? {}), ...serializeResourceList(mask(newUsed, Object.keys(requested))) } };
  }
  return out;
}

function withNamespace(obj: KubeObject, namespace: string | undefined): KubeObject {
  if (!namespace || obj.metadata?.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}
