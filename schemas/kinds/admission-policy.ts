/**
 * admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding:
 * served, defaulted (failurePolicy Fail, matchPolicy Equivalent, empty selectors, rule scope *)
 * and validated as kube's pkg/apis/admissionregistration/validation does for the parts nodeless
 * enforces: required fields, supported enum values, and every CEL expression compiling (a
 * compile error is a 422 naming the field). A policy's status.typeChecking (its expressions
 * type-checked against the kinds it matches) and status.observedGeneration are written whenever
 * its spec is, where kube's policy controller writes them moments later.
 */
import type { FieldError, KubeObject } from '../types';
import { validatingAdmissionPolicyBindingColumns, validatingAdmissionPolicyColumns } from '../printers';
import { admissionCelError, type AdmissionCelScope } from '../admission-cel';
import { invalidValue, isObj, listAt, notSupported, objAt, required, str, type Obj } from '../validation/field-errors';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { policyTypeChecking } from '../cel/policy-type-checking';

// typeCheck writes the status kube's type-checking controller would for a policy at generation.
function typeCheck(p: KubeObject, generation: number): void {
  p.status = { ...(isObj(p.status) ? p.status : {}), observedGeneration: generation, typeChecking: policyTypeChecking(p) };
}

const setDefault = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};

function defaultMatchResources(m: unknown): void {
  if (!isObj(m)) return;
  setDefault(m, 'matchPolicy', 'Equivalent');
  setDefault(m, 'namespaceSelector', {});
  setDefault(m, 'objectSelector', {});
  for (const key of ['resourceRules', 'excludeResourceRules']) for (const r of listAt(m, key)) if (isObj(r)) setDefault(r, 'scope', '*');
}

/** defaultValidatingAdmissionPolicy is SetDefaults_ValidatingAdmissionPolicySpec and its MatchResources. */
export function defaultValidatingAdmissionPolicy(p: KubeObject): void {
  const spec = objAt(p, 'spec');
  if (!spec) return;
  setDefault(spec, 'failurePolicy', 'Fail');
  defaultMatchResources(spec.matchConstraints);
}

/** defaultValidatingAdmissionPolicyBinding defaults the binding's matchResources. */
export function defaultValidatingAdmissionPolicyBinding(b: KubeObject): void {
  const spec = objAt(b, 'spec');
  if (spec) defaultMatchResources(spec.matchResources);
}

function celErrors(expression: unknown, field: string, scope: AdmissionCelScope): FieldError[] {
  if (typeof expression !== 'string' || expression === '') return [required(field)];
  const err = admissionCelError(expression, scope);
  return err ? [invalidValue(field, expression, `compilation failed: ${err}`)] : [];
}

function matchConditionErrors(spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  listAt(spec, 'matchConditions').forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!str(c, 'name')) errs.push(required(`${at}.name`));
    errs.push(...celErrors(isObj(c) ? c.expression : undefined, `${at}.expression`, 'policy'));
  });
  return errs;
}

/** validateValidatingAdmissionPolicy checks a policy's required fields, enums and CEL expressions. */
export function validateValidatingAdmissionPolicy(p: KubeObject): FieldError[] {
  const spec = objAt(p, 'spec') ?? {};
  const errs: FieldError[] = [];
  const fp = spec.failurePolicy;
  if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(notSupported('spec.failurePolicy', fp, ['Fail', 'Ignore']));
  const validations = listAt(spec, 'validations');
  const audits = listAt(spec, 'auditAnnotations');
  if (!validations.length && !audits.length) errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  if (!isObj(spec.matchConstraints)) errs.push(required('spec.matchConstraints'));
  else if (!listAt(spec.matchConstraints, 'resourceRules').length) errs.push(required('spec.matchConstraints.resourceRules'));
  const paramKind = objAt(spec, 'paramKind');
  if (paramKind) {
    if (!str(paramKind, 'apiVersion')) errs.push(required('spec.paramKind.apiVersion'));
    if (!str(paramKind, 'kind')) errs.push(required('spec.paramKind.kind'));
  }
  listAt(spec, 'variables').forEach((v, i) => {
    if (!str(v, 'name')) errs.push(required(`spec.variables[${i}].name`));
    errs.push(...celErrors(isObj(v) ? v.expression : undefined, `spec.variables[${i}].expression`, 'policy'));
  });
  validations.forEach((v, i) => {
    const at = `spec.validations[${i}]`;
    errs.push(...celErrors(isObj(v) ? v.expression : undefined, `${at}.expression`, 'policy'));
    if (isObj(v) && typeof v.messageExpression === 'string' && v.messageExpression !== '') errs.push(...celErrors(v.messageExpression, `${at}.messageExpression`, 'policy'));
    const reason = isObj(v) ? v.reason : undefined;
    const reasons = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'];
    if (reason !== undefined && !reasons.includes(reason as string)) errs.push(notSupported(`${at}.reason`, reason, reasons));
  });
  audits.forEach((a, i) => {
    if (!str(a, 'key')) errs.push(required(`spec.auditAnnotations[${i}].key`));
    errs.push(...celErrors(isObj(a) ? a.valueExpression : undefined, `spec.auditAnnotations[${i}].valueExpression`, 'policy'));
  });
  errs.push(...matchConditionErrors(spec, 'spec.matchConditions'));
  return errs;
}

const ACTIONS = ['Deny', 'Warn', 'Audit'];

/** validateValidatingAdmissionPolicyBinding checks policyName, validationActions and paramRef. */
export function validateValidatingAdmissionPolicyBinding(b: KubeObject): FieldError[] {
  const spec = objAt(b, 'spec') ?? {};
  const errs: FieldError[] = [];
  if (!str(spec, 'policyName')) errs.push(required('spec.policyName'));
  const actions = listAt(spec, 'validationActions');
  if (!actions.length) errs.push(required('spec.validationActions'));
  actions.forEach((a, i) => {
    if (!ACTIONS.includes(a as string)) errs.push(notSupported(`spec.validationActions[${i}]`, a, ACTIONS));
  });
  if (actions.includes('Deny') && actions.includes('Warn')) {
    errs.push(invalidValue('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  }
  const ref = objAt(spec, 'paramRef');
  if (ref) {
    if (ref.name && ref.selector) errs.push(invalidValue('spec.paramRef.name', ref.name, 'name and selector are mutually exclusive'));
    if (!ref.name && !ref.selector) errs.push(required('spec.paramRef', 'one of name or selector must be set'));
    const action = ref.parameterNotFoundAction;
    if (action === undefined) errs.push(required('spec.paramRef.parameterNotFoundAction'));
    else if (action !== 'Allow' && action !== 'Deny') errs.push(notSupported('spec.paramRef.parameterNotFoundAction', action, ['Allow', 'Deny']));
  }
  return errs;
}

/** validatingAdmissionPolicy is admissionregistration.k8s.io/v1 validatingadmissionpolicies (status: typeChecking and observedGeneration). */
export const validatingAdmissionPolicy = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', namespaced: false, categories: ['api-extensions'], subresources: STATUS,
  columns: validatingAdmissionPolicyColumns,
  defaults: defaultValidatingAdmissionPolicy,
  strategy: objectStrategy({
    status: true,
    generation: true,
    validate: validateValidatingAdmissionPolicy,
    prepareForCreate: (p) => typeCheck(p, 1),
    prepareForUpdate: (p, old) => {
      const generation = old.metadata?.generation ?? 1;
      if (JSON.stringify(p.spec) !== JSON.stringify(old.spec)) typeCheck(p, generation + 1);
    },
  }),
});

/** validatingAdmissionPolicyBinding is admissionregistration.k8s.io/v1 validatingadmissionpolicybindings. */
export const validatingAdmissionPolicyBinding = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false, categories: ['api-extensions'],
  columns: validatingAdmissionPolicyBindingColumns,
  defaults: defaultValidatingAdmissionPolicyBinding,
  strategy: objectStrategy({ status: false, generation: true, validate: validateValidatingAdmissionPolicyBinding }),
});
