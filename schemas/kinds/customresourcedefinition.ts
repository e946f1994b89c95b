/** apiextensions.k8s.io/v1 CustomResourceDefinition: its strategy lives with the rest of CRD serving in ../crd.ts. */
import { customResourceDefinitionStrategy } from '../crd';
import { STATUS, kindOf } from './kind';

/** customResourceDefinition is apiextensions.k8s.io/v1 customresourcedefinitions (default table). */
export const customResourceDefinition = kindOf('apiextensions.k8s.io', 'v1', {
  kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false,
  shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: STATUS,
  ...customResourceDefinitionStrategy(),
});
