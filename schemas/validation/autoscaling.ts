/**
 * autoscaling HorizontalPodAutoscaler rules and defaults, as kube's pkg/apis/autoscaling/validation
 * and pkg/apis/autoscaling/{v1,v2}/defaults.go apply them (1.32). autoscaling/v1 objects share
 * storage with v2 (schemas/conversions.ts); they are checked in their v2 form, as kube checks the
 * internal form of either.
 *
 * | rule (kube)                                                                            | here |
 * |----------------------------------------------------------------------------------------|------|
 * | v1 and v2: minReplicas defaults to 1                                                   | yes (defaults-workloads.ts) |
 * | v2: no metrics means one Resource cpu metric at 80% average utilization; v1 shows it as | yes (defaults-workloads.ts) |
 * |     targetCPUUtilizationPercentage 80                                                  |      |
 * | v2: behavior's scaleUp/scaleDown rules are filled in when behavior is given            | yes (defaults-workloads.ts) |
 * | minReplicas >= 1 (HPAScaleToZero is alpha); maxReplicas > 0 and >= minReplicas          | yes  |
 * | scaleTargetRef kind and name required and path segment names                           | yes  |
 * | metrics: type required and supported, exactly its own source populated                 | yes  |
 * | metrics: Resource name required; target type Utilization|Value|AverageValue,           | yes  |
 * |          averageUtilization > 0                                                         |      |
 * | metrics: Object, Pods, External, ContainerResource source details (metric names,        | yes  |
 * |          targets positive, the value/averageValue/utilization each source allows)       |      |
 * | behavior: stabilizationWindowSeconds 0..3600, selectPolicy, at least one policy, policy | yes  |
 * |           type Pods|Percent, value > 0, periodSeconds 1..1800                           |      |
 * | status: currentReplicas, desiredReplicas >= 0                                           | no   |
 */
import type { FieldError, KubeObject } from '../types';
import { HPA_V1 } from '../conversions';
import { nameErrors, qualifiedNameErrors } from '../meta/object-meta';
import { compareQuantity } from '../meta/quantity';
import { forbiddenField, invalid, isObj, notSupported, type Obj, objOf, present, required } from './field-errors';


function crossVersionObjectReference(ref: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = typeof ref[f] === 'string' ? (ref[f] as string) : '';
    if (v === '') errs.push({ type: 'FieldValueRequired', field: `${at}.${f}`, message: 'Required value' });
    else for (const why of nameErrors(v, 'path-segment')) errs.push(invalid(`${at}.${f}`, JSON.stringify(v), why));
  }
  return errs;
}

// SOURCES maps a metric type to the field holding its source, in the order kube looks at them.
const SOURCES: Array<[string, string]> = [['Object', 'object'], ['External', 'external'], ['Pods', 'pods'], ['Resource', 'resource'], ['ContainerResource', 'containerResource']];
// The supported types as kube lists them (a sorted set).
const SOURCE_TYPES = SOURCES.map(([t]) => t).sort();
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;


// positive is Quantity.Sign() == 1; a value that does not parse was refused by the decoder already.
function positive(q: unknown): boolean {
  try {
    return compareQuantity(q as string, 0) > 0;
  } catch {
    return false;
  }
}

function metricTarget(target: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof target.type === 'string' ? target.type : '';
  if (type === '') errs.push(required(`${at}.type`, 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(type)) errs.push(invalid(`${at}.type`, JSON.stringify(type), 'must be either Utilization, Value, or AverageValue'));
  for (const k of ['value', 'averageValue']) {
    if (present(target[k]) && !positive(target[k])) errs.push(invalid(`${at}.${k}`, JSON.stringify(String(target[k])), 'must be positive'));
  }
  if (typeof target.averageUtilization === 'number' && target.averageUtilization < 1) {
    errs.push(invalid(`${at}.averageUtilization`, String(target.averageUtilization), 'must be greater than 0'));
  }
  return errs;
}

function metricIdentifier(id: Obj, at: string): FieldError[] {
  const name = typeof id.name === 'string' ? id.name : '';
  if (name === '') return [required(`${at}.name`, 'must specify a metric name')];
  return nameErrors(name, 'path-segment').map((why) => invalid(`${at}.name`, JSON.stringify(name), why));
}

// SOURCE_RULES check one source; each returns the errors of its own fields.
const SOURCE_RULES: Record<string, (src: Obj, at: string) => FieldError[]> = {
  object: (src, at) => {
    const target = objOf(src.target);
    const errs = [...crossVersionObjectReference(objOf(src.describedObject), `${at}.describedObject`), ...metricIdentifier(objOf(src.metric), `${at}.metric`), ...metricTarget(target, `${at}.target`)];
    if (!present(target.value) && !present(target.averageValue)) errs.push(required(`${at}.target.averageValue`, 'must set either a target value or averageValue'));
    return errs;
  },
  external: (src, at) => {
    const target = objOf(src.target);
    const errs = [...metricIdentifier(objOf(src.metric), `${at}.metric`), ...metricTarget(target, `${at}.target`)];
    if (!present(target.value) && !present(target.averageValue)) errs.push(required(`${at}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    if (present(target.value) && present(target.averageValue)) errs.push(forbiddenField(`${at}.target.value`, 'may not set both a target value for metric and a per-pod target'));
    return errs;
  },
  pods: (src, at) => {
    const target = objOf(src.target);
    const errs = [...metricIdentifier(objOf(src.metric), `${at}.metric`), ...metricTarget(target, `${at}.target`)];
    if (!present(target.averageValue)) errs.push(required(`${at}.target.averageValue`, 'must specify a positive target averageValue'));
    return errs;
  },
  resource: (src, at) => {
    const errs: FieldError[] = [];
    if (!src.name) errs.push(required(`${at}.name`, 'must specify a resource name'));
    return [...errs, ...utilizationTarget(objOf(src.target), `${at}.target`)];
  },
  containerResource: (src, at) => {
    const errs: FieldError[] = [];
    const name = typeof src.name === 'string' ? src.name : '';
    if (!name) errs.push(required(`${at}.name`, 'must specify a resource name'));
    else errs.push(...resourceNameErrors(name, `${at}.name`));
    const container = typeof src.container === 'string' ? src.container : '';
    if (!container) errs.push(required(`${at}.container`, 'must specify a container'));
    else errs.push(...nameErrors(container, 'dns-label').map((why) => invalid(`${at}.container`, JSON.stringify(container), why)));
    return [...errs, ...utilizationTarget(objOf(src.target), `${at}.target`)];
  },
};

// utilizationTarget is the target of a Resource or ContainerResource source: a utilization or an average value, not both.
function utilizationTarget(target: Obj, at: string): FieldError[] {
  const errs = metricTarget(target, at);
  const utilization = present(target.averageUtilization);
  const average = present(target.averageValue);
  if (!utilization && !average) errs.push(required(`${at}.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (utilization && average) errs.push(forbiddenField(`${at}.averageValue`, 'may not set both a target raw value and a target utilization'));
  return errs;
}

// resourceNameErrors is ValidateContainerResourceName: a qualified name, and a bare name must be a standard resource.
function resourceNameErrors(name: string, at: string): FieldError[] {
  const errs = qualifiedNameErrors(name).map((why) => invalid(at, JSON.stringify(name), why));
  if (!errs.length && !name.includes('/') && !['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods'].includes(name) && !name.startsWith('hugepages-')) {
    errs.push(invalid(at, JSON.stringify(name), 'must be a standard resource for containers'));
  }
  return errs;
}

function metricSpec(m: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof m.type === 'string' ? m.type : '';
  if (type === '') errs.push(required(`${at}.type`, 'must specify a metric source type'));
  if (!SOURCE_TYPES.includes(type)) errs.push(notSupported(`${at}.type`, type, SOURCE_TYPES));
  // Only the first source present is checked in detail; any other is reported as extra below.
  const populated = SOURCES.filter(([, f]) => present(m[f])).map(([, f]) => f);
  if (populated.length) errs.push(...SOURCE_RULES[populated[0]](objOf(m[populated[0]]), `${at}.${populated[0]}`));
  const expected = SOURCES.find(([t]) => t === type)?.[1];
  if (expected && !present(m[expected])) errs.push(required(`${at}.${expected}`, 'must populate information for the given metric source'));
  if (populated.length !== 1) for (const f of populated) if (f !== expected) errs.push(forbiddenField(`${at}.${f}`, 'must populate the given metric source only'));
  return errs;
}

function scalingRules(rules: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (typeof window === 'number' && window < 0) errs.push(invalid(`${at}.stabilizationWindowSeconds`, String(window), 'must be greater than or equal to zero'));
  if (typeof window === 'number' && window > MAX_STABILIZATION_WINDOW_SECONDS) errs.push(invalid(`${at}.stabilizationWindowSeconds`, String(window), `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (present(rules.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(String(rules.selectPolicy))) {
    errs.push(notSupported(`${at}.selectPolicy`, String(rules.selectPolicy), ['Disabled', 'Max', 'Min']));
  }
  const policies = Array.isArray(rules.policies) ? rules.policies : [];
  if (policies.length === 0) errs.push(required(`${at}.policies`, 'must specify at least one Policy'));
  policies.forEach((raw, i) => {
    const p = objOf(raw);
    const pat = `${at}.policies[${i}]`;
    const type = typeof p.type === 'string' ? p.type : '';
    if (type !== 'Pods' && type !== 'Percent') errs.push(notSupported(`${pat}.type`, type, ['Percent', 'Pods']));
    const value = typeof p.value === 'number' ? p.value : 0;
    if (value <= 0) errs.push(invalid(`${pat}.value`, String(value), 'must be greater than zero'));
    const period = typeof p.periodSeconds === 'number' ? p.periodSeconds : 0;
    if (period <= 0) errs.push(invalid(`${pat}.periodSeconds`, String(period), 'must be greater than zero'));
    if (period > MAX_PERIOD_SECONDS) errs.push(invalid(`${pat}.periodSeconds`, String(period), `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

function behaviorErrors(behavior: unknown, at: string): FieldError[] {
  if (!isObj(behavior)) return [];
  const errs: FieldError[] = [];
  for (const k of ['scaleUp', 'scaleDown']) if (isObj(behavior[k])) errs.push(...scalingRules(behavior[k] as Obj, `${at}.${k}`));
  return errs;
}

/** validateHorizontalPodAutoscaler is ValidateHorizontalPodAutoscaler on the v2 form of either version. */
export function validateHorizontalPodAutoscaler(obj: KubeObject): FieldError[] {
  const hpa = obj.apiVersion === 'autoscaling/v1' ? HPA_V1.toStorage(obj) : obj;
  const spec = objOf(hpa.spec);
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (typeof min === 'number' && min < 1) errs.push(invalid('spec.minReplicas', String(min), 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid('spec.maxReplicas', String(max), 'must be greater than 0'));
  if (typeof min === 'number' && max < min) errs.push(invalid('spec.maxReplicas', String(max), 'must be greater than or equal to `minReplicas`'));
  const refErrs = crossVersionObjectReference(objOf(spec.scaleTargetRef), 'spec.scaleTargetRef');
  errs.push(...refErrs);
  if (refErrs.length === 0 && Array.isArray(spec.metrics)) spec.metrics.forEach((m, i) => errs.push(...metricSpec(objOf(m), `spec.metrics[${i}]`)));
  errs.push(...behaviorErrors(spec.behavior, 'spec.behavior'));
  return errs;
}
