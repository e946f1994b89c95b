/** networking.k8s.io/v1: Ingress and NetworkPolicy track generation; all three kinds are validated as kube's. */
import { defaultIngressClass, defaultNetworkPolicy } from '../defaults-groups';
import { ingressClassColumns, ingressColumns, networkPolicyColumns } from '../printers';
import { validateIngress, validateIngressClass, validateNetworkPolicy } from '../validation/networking';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

/** ingressClass is networking.k8s.io/v1 ingressclasses. */
export const ingressClass = kindOf('networking.k8s.io', 'v1', {
  kind: 'IngressClass', plural: 'ingressclasses', namespaced: false,
  columns: ingressClassColumns,
  defaults: defaultIngressClass,
  strategy: objectStrategy({ status: false, validate: validateIngressClass }),
});

/** ingress is networking.k8s.io/v1 ingresses. */
export const ingress = kindOf('networking.k8s.io', 'v1', {
  kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], subresources: STATUS,
  columns: ingressColumns,
  strategy: objectStrategy({ status: true, generation: true, validate: validateIngress }),
});

/** networkPolicy is networking.k8s.io/v1 networkpolicies. */
export const networkPolicy = kindOf('networking.k8s.io', 'v1', {
  kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'],
  columns: networkPolicyColumns,
  defaults: defaultNetworkPolicy,
  strategy: objectStrategy({ status: false, generation: true, validate: validateNetworkPolicy }),
});
