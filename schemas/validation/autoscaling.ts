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
 * | metrics: Object, Pods, External, ContainerResource source details; behavior policies    | no   |
 */
import type { FieldError, KubeObject } from '../types';
import { HPA_V1 } from '../conversions';
import { nameErrors } from '../meta/object-meta';
import { invalid, isObj, notSupported, objOf, present, type Obj } from './workload-fields';


function crossVersionObjectReference(ref: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = typeof ref[f] === 'string' ? (ref[f] as string) : '';
    if (v === '') errs.push({ type: 'FieldValueRequired', field: `${at}.${f}`, message: 'Required value' });
    else for (const why of nameErrors(v, 'path-segment')) errs.push(invalid(`${at}.${f}`, JSON.stringify(v), why));
  }
  return errs;
}

// SOURCES maps a metric type to the field holding its source; the supported list is sorted as kube's set.
const SOURCES: Record<string, string> = { ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource' };

function metricTarget(target: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = target.type ?? '';
  if (type === '') errs.push({ type: 'FieldValueRequired', field: `${at}.type`, message: 'Required value: must specify a metric target type' });
  else if (!['Utilization', 'Value', 'AverageValue'].includes(String(type))) {
    errs.push(invalid(`${at}.type`, JSON.stringify(String(type)), 'must be either Utilization, Value, or AverageValue'));
  }
  if (typeof target.averageUtilization === 'number' && target.averageUtilization < 1) {
    errs.push(invalid(`${at}.averageUtilization`, String(target.averageUtilization), 'must be greater than 0'));
  }
  return errs;
}

function metricSpec(m: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof m.type === 'string' ? m.type : '';
  if (type === '') errs.push({ type: 'FieldValueRequired', field: `${at}.type`, message: 'Required value: must specify a metric source type' });
  const expected = SOURCES[type];
  if (type !== '' && !expected) errs.push(notSupported(`${at}.type`, JSON.stringify(type), Object.keys(SOURCES)));
  const populated = Object.values(SOURCES).filter((f) => present(m[f]));
  if (populated.length !== 1) {
    for (const f of populated) if (f !== expected) errs.push({ type: 'FieldValueForbidden', field: `${at}.${f}`, message: 'Forbidden: must populate information for the given metric source only' });
  }
  if (expected && !present(m[expected])) errs.push({ type: 'FieldValueRequired', field: `${at}.${expected}`, message: 'Required value: must populate information for the given metric source' });
  if (type === 'Resource' && isObj(m.resource)) {
    if (!m.resource.name) errs.push({ type: 'FieldValueRequired', field: `${at}.resource.name`, message: 'Required value: must specify a resource name' });
    errs.push(...metricTarget(objOf(m.resource.target), `${at}.resource.target`));
  }
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
  return errs;
}
