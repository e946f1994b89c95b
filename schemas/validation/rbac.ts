/**
 * rbac.authorization.k8s.io/v1 validation as kube's pkg/apis/rbac/validation does it (names are
 * path segments, checked by the registry).
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | Role, ClusterRole | rules: verbs required; nonResourceURLs only in ClusterRoles and never with apiGroups/resources/resourceNames; resource rules need apiGroups and resources; resourceNames with one resource only | yes |
 * | ClusterRole | aggregationRule: at least one clusterRoleSelector, each a valid label selector | yes |
 * | RoleBinding, ClusterRoleBinding | roleRef.apiGroup rbac.authorization.k8s.io; roleRef.kind Role/ClusterRole (ClusterRole only for ClusterRoleBindings); roleRef.name required, a path segment | yes |
 * | RoleBinding, ClusterRoleBinding | roleRef cannot change on update | yes (the roleRef is printed as kube prints rbac.RoleRef) |
 * | RoleBinding, ClusterRoleBinding | subjects: name required; kind ServiceAccount/User/Group; ServiceAccount name a DNS subdomain, apiGroup "", namespace required in ClusterRoleBindings; User/Group apiGroup rbac.authorization.k8s.io | yes |
 */
import { nameErrors } from '../meta/object-meta';
import type { FieldError, KubeObject } from '../types';
import { dnsSubdomain, invalid, invalidGo, invalidValue, isObj, listAt, notSupported, type Obj, objAt, required, str } from './field-errors';
import { selectorErrors, selectorParses } from './workload-fields';

const GROUP = 'rbac.authorization.k8s.io';

function ruleErrors(rule: Obj, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const has = (k: string) => listAt(rule, k).length > 0;
  if (!has('verbs')) errs.push(required(`${field}.verbs`, 'verbs must contain at least one value'));
  if (has('nonResourceURLs')) {
    const urls = listAt(rule, 'nonResourceURLs');
    if (namespaced) errs.push(invalidGo(`${field}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (has('apiGroups') || has('resources') || has('resourceNames')) {
      errs.push(invalidGo(`${field}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!has('apiGroups')) errs.push(required(`${field}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!has('resources')) errs.push(required(`${field}.resources`, 'resource rules must supply at least one resource'));
  if (has('resourceNames') && listAt(rule, 'resources').length > 1) errs.push(required(`${field}.resourceNames`, 'resource names cannot apply to multiple resources'));
  return errs;
}

/** validateRole is ValidateRole: each rule of a namespaced Role. */
export function validateRole(role: KubeObject): FieldError[] {
  return listAt(role, 'rules').flatMap((r, i) => ruleErrors(isObj(r) ? r : {}, true, `rules[${i}]`));
}

/** validateClusterRole is ValidateClusterRole: each rule, non-resource URLs allowed, and the aggregation rule. */
export function validateClusterRole(role: KubeObject): FieldError[] {
  const errs = listAt(role, 'rules').flatMap((r, i) => ruleErrors(isObj(r) ? r : {}, false, `rules[${i}]`));
  const aggregation = objAt(role, 'aggregationRule');
  if (aggregation) {
    const selectors = listAt(aggregation, 'clusterRoleSelectors');
    if (selectors.length === 0) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((sel, i) => {
      const at = `aggregationRule.clusterRoleSelectors[${i}]`;
      errs.push(...selectorErrors(sel, at));
      // kube also reports the failed conversion, naming the nil selector it got back.
      if (!selectorParses(sel)) errs.push(invalidValue(at, 'null', 'invalid label selector.'));
    });
  }
  return errs;
}

function subjectErrors(s: Obj, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s, 'name');
  const apiGroup = str(s, 'apiGroup');
  if (name === '') errs.push(required(`${field}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name !== '') errs.push(...dnsSubdomain(name, `${field}.name`));
      if (apiGroup !== '') errs.push(notSupported(`${field}.apiGroup`, apiGroup, ['']));
      if (!namespaced && str(s, 'namespace') === '') errs.push(required(`${field}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (name === '') errs.push(invalidValue(`${field}.name`, name, `${s.kind === 'User' ? 'user' : 'group'} name cannot be empty`));
      if (apiGroup !== GROUP) errs.push(notSupported(`${field}.apiGroup`, apiGroup, [GROUP]));
      break;
    default:
      errs.push(notSupported(`${field}.kind`, str(s, 'kind'), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

// goRoleRef renders a roleRef as %#v prints rbac.RoleRef.
function goRoleRef(ref: Obj): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(str(ref, 'apiGroup'))}, Kind:${JSON.stringify(str(ref, 'kind'))}, Name:${JSON.stringify(str(ref, 'name'))}}`;
}

function bindingErrors(rb: KubeObject, old: KubeObject | undefined, kinds: string[], namespaced: boolean): FieldError[] {
  const ref = objAt(rb, 'roleRef') ?? {};
  const errs: FieldError[] = [];
  if (str(ref, 'apiGroup') !== GROUP) errs.push(notSupported('roleRef.apiGroup', str(ref, 'apiGroup'), [GROUP]));
  if (!kinds.includes(str(ref, 'kind'))) errs.push(notSupported('roleRef.kind', str(ref, 'kind'), kinds));
  const name = str(ref, 'name');
  if (name === '') errs.push(required('roleRef.name'));
  else errs.push(...nameErrors(name, 'path-segment').map((m) => invalidValue('roleRef.name', name, m)));
  listAt(rb, 'subjects').forEach((s, i) => errs.push(...subjectErrors(isObj(s) ? s : {}, namespaced, `subjects[${i}]`)));
  if (old) {
    const was = objAt(old, 'roleRef') ?? {};
    if (['apiGroup', 'kind', 'name'].some((k) => str(ref, k) !== str(was, k))) errs.push(invalid('roleRef', goRoleRef(ref), 'cannot change roleRef'));
  }
  return errs;
}

/** validateRoleBinding is ValidateRoleBinding(Update): a Role or ClusterRole reference that never changes, and valid subjects. */
export function validateRoleBinding(rb: KubeObject, old?: KubeObject): FieldError[] {
  return bindingErrors(rb, old, ['Role', 'ClusterRole'], true);
}

/** validateClusterRoleBinding is ValidateClusterRoleBinding(Update): a ClusterRole reference, service accounts with namespaces. */
export function validateClusterRoleBinding(rb: KubeObject, old?: KubeObject): FieldError[] {
  return bindingErrors(rb, old, ['ClusterRole'], false);
}
