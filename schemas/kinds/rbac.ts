/** rbac.authorization.k8s.io/v1: roles and bindings, named as path segments and validated as kube's. */
import { defaultRoleBinding } from '../defaults-groups';
import { clusterRoleBindingColumns, roleBindingColumns } from '../printers';
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from '../validation/rbac';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

const GROUP = 'rbac.authorization.k8s.io';

/** clusterRoleBinding is rbac.authorization.k8s.io/v1 clusterrolebindings. */
export const clusterRoleBinding = kindOf(GROUP, 'v1', {
  kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false, nameValidation: 'path-segment', columns: clusterRoleBindingColumns,
  defaults: defaultRoleBinding,
  strategy: objectStrategy({ status: false, validate: validateClusterRoleBinding }),
});

/** clusterRole is rbac.authorization.k8s.io/v1 clusterroles (default table). */
export const clusterRole = kindOf(GROUP, 'v1', {
  kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, nameValidation: 'path-segment',
  strategy: objectStrategy({ status: false, validate: validateClusterRole }),
});

/** roleBinding is rbac.authorization.k8s.io/v1 rolebindings. */
export const roleBinding = kindOf(GROUP, 'v1', {
  kind: 'RoleBinding', plural: 'rolebindings', namespaced: true, nameValidation: 'path-segment', columns: roleBindingColumns,
  defaults: defaultRoleBinding,
  strategy: objectStrategy({ status: false, validate: validateRoleBinding }),
});

/** role is rbac.authorization.k8s.io/v1 roles (default table). */
export const role = kindOf(GROUP, 'v1', {
  kind: 'Role', plural: 'roles', namespaced: true, nameValidation: 'path-segment',
  strategy: objectStrategy({ status: false, validate: validateRole }),
});
