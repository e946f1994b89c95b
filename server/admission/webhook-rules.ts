/**
 * Which admission webhooks a request reaches: the rules (operations, apiGroups, apiVersions,
 * resources with subresources and wildcards, scope) and matchPolicy of
 * admissionregistration.k8s.io/v1, as kube's webhook predicates decide them. The namespace and
 * object selectors and matchConditions are separate steps (webhook-admission.ts), because they
 * need the namespace's labels or the CEL engine.
 */
import type { ResourceDefinition } from '../../schemas/types';

/** RuleWithOperations is one entry of a webhook's rules (or of a policy's resourceRules). */
export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

/** RequestTarget is what a rule is matched against: one group/version/resource, its subresource, and the request. */
export interface RequestTarget {
  operation: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** namespaced: the resource is namespace-scoped (namespaces themselves count as cluster-scoped) */
  namespaced: boolean;
}

function listed(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

// resourceMatches applies kube's resource wildcards: "*/*" is everything, "*" every main
// resource, "r/*" every subresource of r, "*/s" subresource s of every resource.
function resourceMatches(resources: string[] | undefined, resource: string, subresource: string): boolean {
  for (const r of resources ?? []) {
    if (r === '*/*') return true;
    if (subresource === '') {
      if (r === '*' || r === resource) return true;
      continue;
    }
    if (r === `${resource}/${subresource}` || r === `*/${subresource}` || r === `${resource}/*`) return true;
  }
  return false;
}

function scopeMatches(scope: string | undefined, target: RequestTarget): boolean {
  if (scope === undefined || scope === '*') return true;
  if (scope === 'Namespaced') return target.namespaced;
  if (scope === 'Cluster') return !target.namespaced;
  return false;
}

/** ruleMatches reports whether one rule covers the request target. */
export function ruleMatches(rule: RuleWithOperations, target: RequestTarget): boolean {
  return (
    listed(rule.operations, target.operation) &&
    listed(rule.apiGroups, target.group) &&
    listed(rule.apiVersions, target.version) &&
    resourceMatches(rule.resources, target.resource, target.subresource) &&
    scopeMatches(rule.scope, target)
  );
}

/** rulesMatch reports whether any of the rules covers the target. */
export function rulesMatch(rules: RuleWithOperations[] | undefined, target: RequestTarget): boolean {
  return (rules ?? []).some((r) => ruleMatches(r, target));
}

/** targetOf is the rule target of a write to def (with subresource) under an operation. */
export function targetOf(def: ResourceDefinition, operation: string, subresource = ''): RequestTarget {
  return {
    operation,
    group: def.group,
    version: def.version,
    resource: def.plural,
    subresource,
    namespaced: def.namespaced,
  };
}

/** storageKey names the storage a resource lives in: versions that share it are equivalent. */
export function storageKey(def: ResourceDefinition): string {
  return def.storage ? `${def.storage.group}/${def.storage.plural}` : `${def.group}/${def.plural}`;
}

/**
 * matchingResource picks the resource a webhook sees a request as. The requested resource wins
 * when a rule names it (Exact and Equivalent alike); otherwise, under matchPolicy Equivalent, the
 * first equivalent resource (another version of the same storage, such as autoscaling/v2 for a
 * request to autoscaling/v1) that a rule names, so that the webhook receives the object converted
 * to a version it understands. undefined: the webhook is not called.
 */
export function matchingResource(
  rules: RuleWithOperations[] | undefined,
  matchPolicy: string | undefined,
  def: ResourceDefinition,
  operation: string,
  subresource: string,
  equivalents: () => ResourceDefinition[],
): ResourceDefinition | undefined {
  if (rulesMatch(rules, targetOf(def, operation, subresource))) return def;
  if (matchPolicy === 'Exact') return undefined;
  for (const other of equivalents()) {
    if (other === def) continue;
    if (rulesMatch(rules, targetOf(other, operation, subresource))) return other;
  }
  return undefined;
}
