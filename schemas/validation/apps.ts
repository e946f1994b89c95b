/**
 * apps/v1 workload rules: Deployment, ReplicaSet, StatefulSet and DaemonSet, as kube's
 * pkg/apis/apps/validation and pkg/registry/apps/<kind>/strategy.go apply them (1.32).
 *
 * | kind        | rule (kube)                                                                 | here |
 * |-------------|-----------------------------------------------------------------------------|------|
 * | all four    | spec.selector required (DaemonSet: no Required of its own, only the template | yes  |
 * |             | check; nodeless's schema still adds Required)                                |      |
 * | all four    | selector syntax (ValidateLabelSelector), empty selector invalid              | yes  |
 * | all four    | non-empty selector must match spec.template.metadata.labels                  | yes  |
 * | all four    | template restartPolicy Always, no activeDeadlineSeconds                      | yes  |
 * | Deploy/RS/DS| pod template (ValidatePodTemplateSpec)                                       | yes (validation/pod.ts)    |
 * | StatefulSet | template labels/annotations only (kube does not validate its pod spec)       | labels yes |
 * | Deploy/RS/DS| spec.selector immutable ("field is immutable")                               | yes  |
 * | StatefulSet | only replicas, ordinals, template, updateStrategy, PVC retention policy and   | yes  |
 * |             | minReadySeconds may change (Forbidden on spec)                               |      |
 * | all         | replicas, minReadySeconds, revisionHistoryLimit >= 0                          | yes  |
 * | Deployment  | progressDeadlineSeconds >= 0 and > minReadySeconds                            | yes  |
 * | Deployment  | strategy type Recreate|RollingUpdate; Recreate forbids rollingUpdate;        | yes  |
 * |             | maxSurge/maxUnavailable int >= 0 or percent, not both 0, maxUnavailable<=100% |      |
 * | DaemonSet   | updateStrategy RollingUpdate|OnDelete; rollingUpdate required; exactly one    | yes  |
 * |             | of maxSurge/maxUnavailable non-zero; both <= 100%                            |      |
 * | StatefulSet | podManagementPolicy OrderedReady|Parallel; updateStrategy RollingUpdate|     | yes  |
 * |             | OnDelete; partition >= 0; OnDelete forbids rollingUpdate; PVC retention       |      |
 * |             | policy Retain|Delete; ordinals.start >= 0; name is a DNS label               |      |
 * | StatefulSet | rollingUpdate.maxUnavailable dropped (MaxUnavailableStatefulSet is alpha)     | yes  |
 * | Deployment  | generation bumped by spec and by annotation changes                          | yes (prepareForUpdate) |
 * | DaemonSet   | deprecated.daemonset.template.generation annotation: 1, +1 per template change| yes  |
 * | all         | status subresource: Deployment resets spec and metadata.labels; RS, STS, DS  | yes (prepareForStatusUpdate) |
 * |             | reset spec                                                                   |      |
 * | all         | status rules (counts >= 0, ready <= replicas, collisionCount not decremented) | yes (validation/workload-status.ts) |
 */
import type { FieldError, KubeObject } from '../types';
import { validateLabels } from '../meta/selectors';
import { validatePodTemplateSpec } from './pod';
import { invalid, isObj, nonNegative, notSupported, type Obj, objOf, present } from './field-errors';
import {
  alwaysRestartingTemplate, goIntOrString, goLabelSelector, immutable, intOrPercentValue, notMoreThan100Percent, positiveIntOrPercent,
  selectorErrors, selectorIsEmpty, selectorParses, semanticEqual, templateLabelsMismatch,
} from './workload-fields';

const quote = (s: unknown) => JSON.stringify(String(s ?? ''));

// selectorRules: required, well-formed, not empty; then the template must carry its labels. A
// DaemonSet's selector is not checked for presence, and its emptiness after the template match.
function selectorRules(spec: Obj, kind: string): FieldError[] {
  const daemonSet = kind === 'daemonset';
  const errs: FieldError[] = [];
  const empty = isObj(spec.selector) && selectorIsEmpty(spec.selector) ? [invalid('spec.selector', goLabelSelector(spec.selector), `empty selector is invalid for ${kind}`)] : [];
  if (!present(spec.selector)) {
    if (!daemonSet) errs.push({ type: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
  } else if (isObj(spec.selector)) {
    errs.push(...selectorErrors(spec.selector, 'spec.selector'));
    if (!daemonSet) errs.push(...empty);
  }
  if (selectorParses(spec.selector)) {
    errs.push(...templateLabelsMismatch(spec.selector, objOf(objOf(spec.template).metadata).labels, 'spec.template.metadata.labels'));
  }
  if (daemonSet) errs.push(...empty);
  return errs;
}

// replicaSetTemplate is ValidatePodTemplateSpecForReplicaSet's template part (Deployments too).
function replicaSetTemplate(spec: Obj, kind: string): FieldError[] {
  const template = objOf(spec.template);
  return [...validatePodTemplateSpec(spec.template, 'spec.template'), ...alwaysRestartingTemplate(template, 'spec.template', kind)];
}

function rollingUpdateDeployment(ru: Obj): FieldError[] {
  const at = 'spec.strategy.rollingUpdate';
  const errs = [...positiveIntOrPercent(`${at}.maxUnavailable`, ru.maxUnavailable), ...positiveIntOrPercent(`${at}.maxSurge`, ru.maxSurge)];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    errs.push(invalid(`${at}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...notMoreThan100Percent(`${at}.maxUnavailable`, ru.maxUnavailable));
  return errs;
}

function deploymentStrategy(strategy: Obj): FieldError[] {
  switch (strategy.type) {
    case 'Recreate':
      return present(strategy.rollingUpdate)
        ? [{ type: 'FieldValueForbidden', field: 'spec.strategy.rollingUpdate', message: "Forbidden: may not be specified when strategy `type` is 'Recreate'" }]
        : [];
    case 'RollingUpdate':
      return isObj(strategy.rollingUpdate)
        ? rollingUpdateDeployment(strategy.rollingUpdate)
        : [{ type: 'FieldValueRequired', field: 'spec.strategy.rollingUpdate', message: 'Required value: this should be defaulted and never be nil' }];
    default: {
      const rendered = `apps.DeploymentStrategy{Type:${quote(strategy.type)}, RollingUpdate:${pointer('apps.RollingUpdateDeployment', strategy.rollingUpdate)}}`;
      return [notSupported('spec.strategy', rendered, ['Recreate', 'RollingUpdate'], String)];
    }
  }
}

// pointer renders a Go struct pointer inside %#v: nil, or an address kube would print.
function pointer(type: string, v: unknown): string {
  return `(*${type})(${present(v) ? '0xc000000000' : 'nil'})`;
}

/** validateDeployment is ValidateDeployment, and on update ValidateDeploymentUpdate with the selector immutable. */
export function validateDeployment(d: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(d.spec);
  const errs = [...nonNegative(spec.replicas, 'spec.replicas'), ...selectorRules(spec, 'deployment'), ...replicaSetTemplate(spec, 'ReplicaSet')];
  errs.push(...deploymentStrategy(objOf(spec.strategy)));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (isObj(spec.rollbackTo)) errs.push(...nonNegative(spec.rollbackTo.revision, 'spec.rollback.version'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= Number(spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', String(spec.progressDeadlineSeconds), 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...immutable('spec.selector', spec.selector, objOf(old.spec).selector, goLabelSelector));
  return errs;
}

/** validateReplicaSet is ValidateReplicaSet, and on update the selector is immutable. */
export function validateReplicaSet(rs: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(rs.spec);
  const errs = [
    ...nonNegative(spec.replicas, 'spec.replicas'),
    ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...selectorRules(spec, 'deployment'),
    ...replicaSetTemplate(spec, 'ReplicaSet'),
  ];
  if (old) errs.push(...immutable('spec.selector', spec.selector, objOf(old.spec).selector, goLabelSelector));
  return errs;
}

function rollingUpdateDaemonSet(ru: Obj): FieldError[] {
  const at = 'spec.updateStrategy.rollingUpdate';
  const errs = [
    ...positiveIntOrPercent(`${at}.maxUnavailable`, ru.maxUnavailable),
    ...positiveIntOrPercent(`${at}.maxSurge`, ru.maxSurge),
    ...notMoreThan100Percent(`${at}.maxUnavailable`, ru.maxUnavailable),
    ...notMoreThan100Percent(`${at}.maxSurge`, ru.maxSurge),
  ];
  const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const surge = intOrPercentValue(ru.maxSurge) !== 0;
  if (unavailable && surge) errs.push(invalid(`${at}.maxSurge`, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  if (!unavailable && !surge) errs.push({ type: 'FieldValueRequired', field: `${at}.maxUnavailable`, message: 'Required value: cannot be 0 when maxSurge is 0' });
  return errs;
}

function daemonSetUpdateStrategy(strategy: Obj): FieldError[] {
  switch (strategy.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate':
      return isObj(strategy.rollingUpdate)
        ? rollingUpdateDaemonSet(strategy.rollingUpdate)
        : [{ type: 'FieldValueRequired', field: 'spec.updateStrategy.rollingUpdate', message: 'Required value' }];
    default: {
      const rendered = `apps.DaemonSetUpdateStrategy{Type:${quote(strategy.type)}, RollingUpdate:${pointer('apps.RollingUpdateDaemonSet', strategy.rollingUpdate)}}`;
      return [notSupported('spec.updateStrategy', rendered, ['RollingUpdate', 'OnDelete'], String)];
    }
  }
}

/** validateDaemonSet is ValidateDaemonSet, and on update the selector is immutable. */
export function validateDaemonSet(ds: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(ds.spec);
  const errs = [...selectorRules(spec, 'daemonset')];
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'), ...alwaysRestartingTemplate(objOf(spec.template), 'spec.template', 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...daemonSetUpdateStrategy(objOf(spec.updateStrategy)));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) errs.push(...immutable('spec.selector', spec.selector, objOf(old.spec).selector, goLabelSelector));
  return errs;
}

function statefulSetUpdateStrategy(strategy: Obj): FieldError[] {
  const at = 'spec.updateStrategy';
  switch (strategy.type ?? '') {
    case '':
      return [{ type: 'FieldValueRequired', field: at, message: 'Required value' }];
    case 'OnDelete':
      return present(strategy.rollingUpdate) ? [invalid(`${at}.rollingUpdate`, goRollingUpdateStatefulSet(strategy.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case 'RollingUpdate': {
      if (!isObj(strategy.rollingUpdate)) return [];
      const ru = strategy.rollingUpdate;
      const errs = nonNegative(ru.partition, `${at}.rollingUpdate.partition`);
      if (present(ru.maxUnavailable)) {
        errs.push(...positiveIntOrPercent(`${at}.rollingUpdate.maxUnavailable`, ru.maxUnavailable));
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(`${at}.rollingUpdate.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
        errs.push(...notMoreThan100Percent(`${at}.rollingUpdate.maxUnavailable`, ru.maxUnavailable));
      }
      return errs;
    }
    default: {
      const rendered = `apps.StatefulSetUpdateStrategy{Type:${quote(strategy.type)}, RollingUpdate:${pointer('apps.RollingUpdateStatefulSetStrategy', strategy.rollingUpdate)}}`;
      return [invalid(at, rendered, "must be 'RollingUpdate' or 'OnDelete'")];
    }
  }
}

function goRollingUpdateStatefulSet(v: unknown): string {
  const ru = objOf(v);
  return `&apps.RollingUpdateStatefulSetStrategy{Partition:${Number(ru.partition ?? 0)}, MaxUnavailable:${pointer('intstr.IntOrString', ru.maxUnavailable)}}`;
}

const RETENTION = ['Retain', 'Delete'];

// STATEFULSET_MUTABLE are the spec fields an update may change (ValidateStatefulSetUpdate).
const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** validateStatefulSet is ValidateStatefulSet, and on update ValidateStatefulSetUpdate's forbidden fields. */
export function validateStatefulSet(sts: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(sts.spec);
  const errs: FieldError[] = [];
  const policy = spec.podManagementPolicy ?? '';
  if (policy === '') errs.push({ type: 'FieldValueRequired', field: 'spec.podManagementPolicy', message: 'Required value' });
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', quote(policy), "must be 'OrderedReady' or 'Parallel'"));
  errs.push(...statefulSetUpdateStrategy(objOf(spec.updateStrategy)));
  if (isObj(spec.persistentVolumeClaimRetentionPolicy)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = spec.persistentVolumeClaimRetentionPolicy[f] ?? '';
      if (!RETENTION.includes(String(v))) errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, String(v), RETENTION));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  errs.push(...selectorRules(spec, 'statefulset'));
  const template = objOf(spec.template);
  const meta = objOf(template.metadata);
  if (isObj(meta.labels)) errs.push(...validateLabels(meta.labels, 'spec.template.labels').map((c) => ({ type: c.reason, field: c.field, message: c.message })));
  errs.push(...alwaysRestartingTemplate(template, 'spec.template', 'StatefulSet'));
  if (old) {
    const oldSpec = objOf(old.spec);
    const rest = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
    if (!semanticEqual(rest(spec), rest(oldSpec))) {
      errs.push({
        type: 'FieldValueForbidden',
        field: 'spec',
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      });
    }
  }
  return errs;
}

const metaOf = (o: KubeObject) => (o.metadata ??= {});

/** DAEMONSET_TEMPLATE_GENERATION is the annotation apps/v1 keeps the internal spec.templateGeneration in. */
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/** daemonSetPrepareForCreate starts the template generation at 1 unless the client gave a later one. */
export function daemonSetPrepareForCreate(ds: KubeObject): void {
  const annotations = (metaOf(ds).annotations ??= {});
  const given = Number.parseInt(annotations[DAEMONSET_TEMPLATE_GENERATION] ?? '', 10);
  annotations[DAEMONSET_TEMPLATE_GENERATION] = String(Number.isFinite(given) && given >= 1 ? given : 1);
}

/** daemonSetPrepareForUpdate keeps the template generation, and adds one when the template changes. */
export function daemonSetPrepareForUpdate(next: KubeObject, old: KubeObject): void {
  const oldGeneration = Number.parseInt(old.metadata?.annotations?.[DAEMONSET_TEMPLATE_GENERATION] ?? '0', 10) || 0;
  const changed = !semanticEqual(objOf(next.spec).template, objOf(old.spec).template);
  const generation = changed ? oldGeneration + 1 : oldGeneration;
  const annotations = (metaOf(next).annotations ??= {});
  if (generation > 0) annotations[DAEMONSET_TEMPLATE_GENERATION] = String(generation);
  else delete annotations[DAEMONSET_TEMPLATE_GENERATION];
  if (!Object.keys(annotations).length) delete metaOf(next).annotations;
}

// dropMaxUnavailable: spec.updateStrategy.rollingUpdate.maxUnavailable belongs to the alpha
// MaxUnavailableStatefulSet gate, so it is dropped unless the stored object already uses it.
function dropMaxUnavailable(sts: KubeObject, old?: KubeObject): void {
  const inUse = old && present(objOf(objOf(objOf(old.spec).updateStrategy).rollingUpdate).maxUnavailable);
  const ru = objOf(objOf(sts.spec).updateStrategy).rollingUpdate;
  if (!inUse && isObj(ru)) delete ru.maxUnavailable;
}

/** statefulSetPrepareForCreate drops fields of disabled features. */
export function statefulSetPrepareForCreate(sts: KubeObject): void {
  dropMaxUnavailable(sts);
}

/** statefulSetPrepareForUpdate drops fields of disabled features the stored object does not use. */
export function statefulSetPrepareForUpdate(next: KubeObject, old: KubeObject): void {
  dropMaxUnavailable(next, old);
}
