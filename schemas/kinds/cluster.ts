/**
 * The plain cluster-level kinds: admission webhook configurations, priority classes, leases,
 * runtime classes, endpoint slices and API services, validated and defaulted as kube's.
 */
import { defaultEndpointSlice } from '../defaults';
import { defaultMutatingWebhookConfiguration, defaultPriorityClass, defaultValidatingWebhookConfiguration } from '../defaults-groups';
import {
  endpointSliceColumns, leaseColumns, mutatingWebhookConfigurationColumns, priorityClassColumns, runtimeClassColumns, validatingWebhookConfigurationColumns,
} from '../printers';
import { validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from '../validation/admissionregistration';
import { validateEndpointSlice, validateLease, validatePriorityClass } from '../validation/cluster';
import { STATUS, kindOf } from './kind';
import { immutableFields, objectStrategy, specChangedExceptStatus } from './strategy';
import { jsonEqual } from '../meta/json';

const API_EXTENSIONS = ['api-extensions'];

/** apiService is apiregistration.k8s.io/v1 apiservices. */
export const apiService = kindOf('apiregistration.k8s.io', 'v1', { kind: 'APIService', plural: 'apiservices', namespaced: false, categories: API_EXTENSIONS, subresources: STATUS });

/** mutatingWebhookConfiguration is admissionregistration.k8s.io/v1 mutatingwebhookconfigurations. */
export const mutatingWebhookConfiguration = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS, columns: mutatingWebhookConfigurationColumns,
  defaults: defaultMutatingWebhookConfiguration,
  strategy: objectStrategy({ status: false, generation: true, validate: validateMutatingWebhookConfiguration }),
});

/** validatingWebhookConfiguration is admissionregistration.k8s.io/v1 validatingwebhookconfigurations. */
export const validatingWebhookConfiguration = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS, columns: validatingWebhookConfigurationColumns,
  defaults: defaultValidatingWebhookConfiguration,
  strategy: objectStrategy({ status: false, generation: true, validate: validateValidatingWebhookConfiguration }),
});

/** priorityClass is scheduling.k8s.io/v1 priorityclasses. */
export const priorityClass = kindOf('scheduling.k8s.io', 'v1', {
  kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'], columns: priorityClassColumns,
  defaults: defaultPriorityClass,
  strategy: objectStrategy({ status: false, validate: validatePriorityClass }),
});

/** lease is coordination.k8s.io/v1 leases. */
export const lease = kindOf('coordination.k8s.io', 'v1', {
  kind: 'Lease', plural: 'leases', namespaced: true, columns: leaseColumns,
  strategy: objectStrategy({ status: false, validate: validateLease }),
});

/** runtimeClass is node.k8s.io/v1 runtimeclasses; the handler never changes. */
export const runtimeClass = kindOf('node.k8s.io', 'v1', {
  kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false, columns: runtimeClassColumns,
  strategy: objectStrategy({ status: false, validate: immutableFields('handler') }),
});

/** endpointSlice is discovery.k8s.io/v1 endpointslices. */
export const endpointSlice = kindOf('discovery.k8s.io', 'v1', {
  kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true, columns: endpointSliceColumns, defaults: defaultEndpointSlice,
  // As kube's strategy: generation starts at 1 and moves with any change but metadata, or with the
  // labels; the endpointslice controllers tell their own writes from others' by it.
  strategy: objectStrategy({
    status: false,
    generation: true,
    specChanged: (obj, old) => specChangedExceptStatus(obj, old) || !jsonEqual(obj.metadata?.labels ?? {}, old.metadata?.labels ?? {}),
    validate: validateEndpointSlice,
  }),
});
