/**
 * The plain cluster-level kinds: admission webhook configurations, priority classes, leases,
 * runtime classes, endpoint slices and API services.
 */
import { defaultEndpointSlice } from '../defaults';
import {
  endpointSliceColumns, leaseColumns, mutatingWebhookConfigurationColumns, priorityClassColumns, runtimeClassColumns, validatingWebhookConfigurationColumns,
} from '../printers';
import { STATUS, kindOf } from './kind';
import { immutableFields, objectStrategy } from './strategy';

const API_EXTENSIONS = ['api-extensions'];

/** apiService is apiregistration.k8s.io/v1 apiservices. */
export const apiService = kindOf('apiregistration.k8s.io', 'v1', { kind: 'APIService', plural: 'apiservices', namespaced: false, categories: API_EXTENSIONS, subresources: STATUS });

/** mutatingWebhookConfiguration is admissionregistration.k8s.io/v1 mutatingwebhookconfigurations. */
export const mutatingWebhookConfiguration = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS, columns: mutatingWebhookConfigurationColumns,
});

/** validatingWebhookConfiguration is admissionregistration.k8s.io/v1 validatingwebhookconfigurations. */
export const validatingWebhookConfiguration = kindOf('admissionregistration.k8s.io', 'v1', {
  kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS, columns: validatingWebhookConfigurationColumns,
});

/** priorityClass is scheduling.k8s.io/v1 priorityclasses. */
export const priorityClass = kindOf('scheduling.k8s.io', 'v1', { kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'], columns: priorityClassColumns });

/** lease is coordination.k8s.io/v1 leases. */
export const lease = kindOf('coordination.k8s.io', 'v1', { kind: 'Lease', plural: 'leases', namespaced: true, columns: leaseColumns });

/** runtimeClass is node.k8s.io/v1 runtimeclasses; the handler never changes. */
export const runtimeClass = kindOf('node.k8s.io', 'v1', {
  kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false, columns: runtimeClassColumns,
  strategy: objectStrategy({ status: false, validate: immutableFields('handler') }),
});

/** endpointSlice is discovery.k8s.io/v1 endpointslices. */
export const endpointSlice = kindOf('discovery.k8s.io', 'v1', {
  kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true, columns: endpointSliceColumns, defaults: defaultEndpointSlice,
});
