/**
 * policy/v1 validation as kube's pkg/apis/policy/validation does it for PodDisruptionBudgets.
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | PodDisruptionBudget | minAvailable and maxUnavailable not both set | yes (the spec is printed as JSON, kube prints a Go struct) |
 * | PodDisruptionBudget | minAvailable / maxUnavailable: non-negative int or a percent, at most 100% | yes |
 * | PodDisruptionBudget | selector is a valid label selector | yes |
 * | PodDisruptionBudget | unhealthyPodEvictionPolicy IfHealthyBudget or AlwaysAllow | yes |
 * | PodDisruptionBudget | status counts non-negative, conditions valid | counts yes, conditions no |
 */
import type { FieldError, KubeObject } from '../types';
import { isObj, isSet, nonNegative, notSupported, objAt } from './field-errors';
import { notMoreThan100Percent, positiveIntOrPercent, selectorErrors } from './workload-fields';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** validatePodDisruptionBudget returns the errors of a PodDisruptionBudget's spec and status. */
export function validatePodDisruptionBudget(pdb: KubeObject): FieldError[] {
  const spec = objAt(pdb, 'spec') ?? {};
  const errs: FieldError[] = [];
  if (isSet(spec, 'minAvailable') && isSet(spec, 'maxUnavailable')) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec', message: `Invalid value: ${JSON.stringify(spec)}: minAvailable and maxUnavailable cannot be both set` });
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!isSet(spec, f)) continue;
    errs.push(...positiveIntOrPercent(`spec.${f}`, spec[f]), ...notMoreThan100Percent(`spec.${f}`, spec[f]));
  }
  errs.push(...selectorErrors(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== null && !EVICTION_POLICIES.includes(String(policy))) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  }
  const status = objAt(pdb, 'status');
  if (isObj(status)) {
    for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) {
      if (typeof status[f] === 'number') errs.push(...nonNegative(status[f], `status.${f}`));
    }
  }
  return errs;
}
