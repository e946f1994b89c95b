/**
 * Pod update rules with kube-apiserver's messages (ValidatePodUpdate): a pod's spec is
 * immutable except for images, activeDeadlineSeconds, added tolerations and a negative
 * terminationGracePeriodSeconds set to 1; any other change is refused with a diff of the spec.
 */
import type { FieldError, KubeObject } from '../types';
import { jsonEqual } from '../meta/json';
import { podSpecDiff } from './pod-spec-diff';
import { type Obj, MAX_INT32, forbiddenField, invalidValue, isObj, isSet, listAt, num, objAt, required, str } from './field-errors';

const UPDATABLE_POD_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function tolerationsOnlyAdded(next: unknown[], old: unknown[], field: string): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => isObj(o) && isObj(n) && jsonEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbiddenField(field, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/** validatePodUpdate is the spec part of ValidatePodUpdate: only images, activeDeadlineSeconds and added tolerations change. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const spec = objAt(pod, 'spec') ?? {};
  const oldSpec = objAt(old, 'spec') ?? {};
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers']) {
    const cs = listAt(spec, list);
    if (cs.length !== listAt(oldSpec, list).length) return [...errs, forbiddenField(`spec.${list}`, 'pod updates may not add or remove containers')];
    cs.forEach((c, i) => {
      if (!str(c, 'image')) errs.push(required(`spec.${list}[${i}].image`));
    });
  }
  if (isSet(spec, 'activeDeadlineSeconds')) {
    const v = num(spec, 'activeDeadlineSeconds');
    if (v < 0 || v > MAX_INT32) return [...errs, invalidValue('spec.activeDeadlineSeconds', v, `must be between 0 and ${MAX_INT32}, inclusive`)];
    if (isSet(oldSpec, 'activeDeadlineSeconds') && num(oldSpec, 'activeDeadlineSeconds') < v) {
      return [...errs, invalidValue('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value')];
    }
  } else if (isSet(oldSpec, 'activeDeadlineSeconds')) {
    errs.push(invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...tolerationsOnlyAdded(listAt(spec, 'tolerations'), listAt(oldSpec, 'tolerations'), 'spec.tolerations'));
  if (jsonEqual(spec, oldSpec)) return errs;
  const munged: Obj = structuredClone(spec);
  for (const list of ['containers', 'initContainers']) {
    const oldList = listAt(oldSpec, list);
    if (Array.isArray(munged[list])) munged[list] = (munged[list] as unknown[]).map((c, i) => (isObj(c) ? { ...c, image: (oldList[i] as Obj)?.image } : c));
  }
  const restore = (k: string) => {
    if (oldSpec[k] === undefined) delete munged[k];
    else munged[k] = oldSpec[k];
  };
  restore('activeDeadlineSeconds');
  restore('schedulingGates');
  restore('tolerations');
  if (num(oldSpec, 'terminationGracePeriodSeconds') < 0 && munged.terminationGracePeriodSeconds === 1) restore('terminationGracePeriodSeconds');
  if (!jsonEqual(munged, oldSpec)) {
    errs.push(forbiddenField('spec', `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS.join(',')}\n${podSpecDiff(oldSpec, munged)}`));
  }
  return errs;
}
