/**
 * Defaulting of workload kinds beyond the pod template: the parts of kube's apps/v1, batch/v1 and
 * autoscaling/v1+v2 SetDefaults_* functions that schemas/defaults.ts does not already cover.
 * Each function mutates in place and never overwrites a value the client set.
 */
import type { KubeObject } from './types';
import { isObj, type Obj, objOf, present } from './validation/field-errors';

const setDefault = (o: Obj, k: string, v: unknown) => {
  if (!present(o[k])) o[k] = v;
};
const specOf = (o: KubeObject): Obj => (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;

/**
 * jobDefaults is SetDefaults_Job without the pod template: completions and parallelism 1 when
 * both are unset, backoffLimit 6 (the int32 maximum with backoffLimitPerIndex), NonIndexed,
 * not suspended, podReplacementPolicy TerminatingOrFailed (Failed with a podFailurePolicy), and
 * a Job without labels takes its template's.
 */
export function jobDefaults(job: KubeObject): void {
  const spec = specOf(job);
  if (!present(spec.completions) && !present(spec.parallelism)) spec.completions = 1;
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', present(spec.backoffLimitPerIndex) ? 2147483647 : 6);
  const templateLabels = objOf(objOf(spec.template).metadata).labels;
  const meta = (job.metadata ??= {});
  if (isObj(templateLabels) && Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...(templateLabels as Record<string, string>) };
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  const failurePolicy = spec.podFailurePolicy;
  if (isObj(failurePolicy) && Array.isArray(failurePolicy.rules)) {
    for (const rule of failurePolicy.rules) {
      if (!isObj(rule) || !Array.isArray(rule.onPodConditions)) continue;
      for (const pattern of rule.onPodConditions) if (isObj(pattern)) setDefault(pattern, 'status', 'True');
    }
  }
  setDefault(spec, 'podReplacementPolicy', present(failurePolicy) ? 'Failed' : 'TerminatingOrFailed');
}

/** cronJobDefaults is SetDefaults_CronJob; the job template's Job fields are not defaulted (kube does not). */
export function cronJobDefaults(cj: KubeObject): void {
  const spec = specOf(cj);
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
}

/**
 * statefulSetClaimDefaults fills what SetDefaults_StatefulSet and the PersistentVolumeClaim
 * defaults add beyond the template: each retention policy field Retain, and each claim
 * template's volumeMode Filesystem and phase Pending.
 */
export function statefulSetClaimDefaults(sts: KubeObject): void {
  const spec = specOf(sts);
  const retention = (isObj(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : (spec.persistentVolumeClaimRetentionPolicy = {})) as Obj;
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  if (!Array.isArray(spec.volumeClaimTemplates)) return;
  for (const claim of spec.volumeClaimTemplates) {
    if (!isObj(claim)) continue;
    setDefault((isObj(claim.spec) ? claim.spec : (claim.spec = {})) as Obj, 'volumeMode', 'Filesystem');
    setDefault((isObj(claim.status) ? claim.status : (claim.status = {})) as Obj, 'phase', 'Pending');
  }
}

const DEFAULT_CPU_UTILIZATION = 80;
const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';

function scalingRulesDefaults(rules: unknown, defaults: Obj): Obj {
  const r = objOf(rules);
  const out: Obj = { ...defaults };
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) if (present(r[k])) out[k] = r[k];
  if (!present(out.stabilizationWindowSeconds)) delete out.stabilizationWindowSeconds;
  return out;
}

/**
 * hpaDefaults is SetDefaults_HorizontalPodAutoscaler of the object's version. A v1 object without
 * a CPU target or other metrics gets targetCPUUtilizationPercentage 80, which is how kube shows
 * the v2 default metric through v1.
 */
export function hpaDefaults(hpa: KubeObject): void {
  const spec = (isObj(hpa.spec) ? hpa.spec : (hpa.spec = {})) as Obj;
  setDefault(spec, 'minReplicas', 1);
  if (hpa.apiVersion === 'autoscaling/v1') {
    if (!present(spec.targetCPUUtilizationPercentage) && !hpa.metadata?.annotations?.[METRICS_ANNOTATION]) spec.targetCPUUtilizationPercentage = DEFAULT_CPU_UTILIZATION;
    return;
  }
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (isObj(spec.behavior)) {
    const b = spec.behavior;
    b.scaleUp = scalingRulesDefaults(b.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    b.scaleDown = scalingRulesDefaults(b.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  }
}

