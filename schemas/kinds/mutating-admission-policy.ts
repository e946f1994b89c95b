/**
 * admissionregistration.k8s.io/v1alpha1 MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding
 * (kube 1.32, alpha: served only with the MutatingAdmissionPolicy feature gate). Defaulted
 * (failurePolicy Fail, reinvocationPolicy Never, matchPolicy Equivalent, empty selectors) and
 * validated as kube's admissionregistration validation does for what nodeless enforces: required
 * fields, enum values, and every CEL expression compiling.
 */
import type { FieldError, KubeObject } from '../types';
import { admissionCelError } from '../admission-cel';
import { defaultColumns } from '../printers';
import { invalidValue, isObj, listAt, notSupported, objAt, required, str, type Obj } from '../validation/field-errors';
import { defaultValidatingAdmissionPolicyBinding } from './admission-policy';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

const setDefault = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};

/** defaultMutatingAdmissionPolicy is SetDefaults_MutatingAdmissionPolicySpec with its MatchResources. */
export function defaultMutatingAdmissionPolicy(p: KubeObject): void {
  const spec = objAt(p, 'spec');
  if (!spec) return;
  setDefault(spec, 'failurePolicy', 'Fail');
  setDefault(spec, 'reinvocationPolicy', 'Never');
  const m = spec.matchConstraints;
  if (isObj(m)) {
    setDefault(m, 'matchPolicy', 'Equivalent');
    setDefault(m, 'namespaceSelector', {});
    setDefault(m, 'objectSelector', {});
    for (const key of ['resourceRules', 'excludeResourceRules']) for (const r of listAt(m, key)) if (isObj(r)) setDefault(r, 'scope', '*');
  }
}

function celErrors(expression: unknown, field: string, scope: 'policy' | 'mutation' = 'policy'): FieldError[] {
  if (typeof expression !== 'string' || expression === '') return [required(field)];
  const err = admissionCelError(expression, scope);
  return err ? [invalidValue(field, expression, `compilation failed: ${err}`)] : [];
}

const PATCH_TYPES = ['ApplyConfiguration', 'JSONPatch'];

/** validateMutatingAdmissionPolicy checks a policy's required fields, enums and CEL expressions. */
export function validateMutatingAdmissionPolicy(p: KubeObject): FieldError[] {
  const spec = objAt(p, 'spec') ?? {};
  const errs: FieldError[] = [];
  const fp = spec.failurePolicy;
  if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(notSupported('spec.failurePolicy', fp, ['Fail', 'Ignore']));
  const rp = spec.reinvocationPolicy;
  if (rp !== undefined && rp !== 'Never' && rp !== 'IfNeeded') errs.push(notSupported('spec.reinvocationPolicy', rp, ['IfNeeded', 'Never']));
  if (!isObj(spec.matchConstraints)) errs.push(required('spec.matchConstraints'));
  else if (!listAt(spec.matchConstraints, 'resourceRules').length) errs.push(required('spec.matchConstraints.resourceRules'));
  const paramKind = objAt(spec, 'paramKind');
  if (paramKind) {
    if (!str(paramKind, 'apiVersion')) errs.push(required('spec.paramKind.apiVersion'));
    if (!str(paramKind, 'kind')) errs.push(required('spec.paramKind.kind'));
  }
  listAt(spec, 'variables').forEach((v, i) => {
    if (!str(v, 'name')) errs.push(required(`spec.variables[${i}].name`));
    errs.push(...celErrors(isObj(v) ? v.expression : undefined, `spec.variables[${i}].expression`));
  });
  const mutations = listAt(spec, 'mutations');
  if (!mutations.length) errs.push(required('spec.mutations', 'mutations must contain at least one item'));
  mutations.forEach((m, i) => {
    const at = `spec.mutations[${i}]`;
    const type = isObj(m) ? m.patchType : undefined;
    if (!type) return errs.push(required(`${at}.patchType`));
    if (!PATCH_TYPES.includes(type as string)) return errs.push(notSupported(`${at}.patchType`, type, PATCH_TYPES));
    const own = type === 'ApplyConfiguration' ? 'applyConfiguration' : 'jsonPatch';
    const other = type === 'ApplyConfiguration' ? 'jsonPatch' : 'applyConfiguration';
    const mo = m as Obj;
    if (isObj(mo[other])) errs.push(invalidValue(`${at}.${other}`, '{...}', `must not be set when patchType is ${String(type)}`));
    if (!isObj(mo[own])) return errs.push(required(`${at}.${own}`, `must be set when patchType is ${String(type)}`));
    errs.push(...celErrors((mo[own] as Obj).expression, `${at}.${own}.expression`, 'mutation'));
  });
  listAt(spec, 'matchConditions').forEach((c, i) => {
    const at = `spec.matchConditions[${i}]`;
    if (!str(c, 'name')) errs.push(required(`${at}.name`));
    errs.push(...celErrors(isObj(c) ? c.expression : undefined, `${at}.expression`));
  });
  return errs;
}

/** validateMutatingAdmissionPolicyBinding checks policyName and paramRef. */
export function validateMutatingAdmissionPolicyBinding(b: KubeObject): FieldError[] {
  const spec = objAt(b, 'spec') ?? {};
  const errs: FieldError[] = [];
  if (!str(spec, 'policyName')) errs.push(required('spec.policyName'));
  const ref = objAt(spec, 'paramRef');
  if (ref) {
    if (ref.name && ref.selector) errs.push(invalidValue('spec.paramRef.name', ref.name, 'name and selector are mutually exclusive'));
    if (!ref.name && !ref.selector) errs.push(required('spec.paramRef', 'one of name or selector must be set'));
    const action = ref.parameterNotFoundAction;
    if (action !== undefined && action !== 'Allow' && action !== 'Deny') errs.push(notSupported('spec.paramRef.parameterNotFoundAction', action, ['Allow', 'Deny']));
  }
  return errs;
}

/** mutatingAdmissionPolicy is admissionregistration.k8s.io/v1alpha1 mutatingadmissionpolicies. */
export const mutatingAdmissionPolicy = kindOf('admissionregistration.k8s.io', 'v1alpha1', {
  kind: 'MutatingAdmissionPolicy', plural: 'mutatingadmissionpolicies', namespaced: false, categories: ['api-extensions'],
  columns: defaultColumns,
  defaults: defaultMutatingAdmissionPolicy,
  strategy: objectStrategy({ status: false, generation: true, validate: validateMutatingAdmissionPolicy }),
});

/** mutatingAdmissionPolicyBinding is admissionregistration.k8s.io/v1alpha1 mutatingadmissionpolicybindings. */
export const mutatingAdmissionPolicyBinding = kindOf('admissionregistration.k8s.io', 'v1alpha1', {
  kind: 'MutatingAdmissionPolicyBinding', plural: 'mutatingadmissionpolicybindings', namespaced: false, categories: ['api-extensions'],
  columns: defaultColumns,
  defaults: defaultValidatingAdmissionPolicyBinding,
  strategy: objectStrategy({ status: false, generation: true, validate: validateMutatingAdmissionPolicyBinding }),
});
