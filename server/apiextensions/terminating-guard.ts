/**
 * terminatingCreateGuard is an admission step refusing to create custom resources of a CRD that
 * is being deleted, with the 405 kube-apiserver's custom resource handler answers: the CRD
 * controller is about to delete every one of them.
 */
import type { AdmissionPlugin } from '../registry/admission';
import { StatusError } from '../../schemas/meta/status-error';

/** terminatingCreateGuard builds the plugin; terminating says whether a CRD (by name) is being deleted. */
export function terminatingCreateGuard(terminating: (crdName: string) => boolean): AdmissionPlugin {
  return {
    name: 'CustomResourceDefinitionTerminating',
    validate(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.resource.definitionName) return;
      const def = attrs.resource as typeof attrs.resource & { crdName?: string };
      if (!def.crdName || !terminating(def.crdName)) return;
      throw new StatusError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating', {
        group: def.group || undefined,
        kind: def.plural,
      });
    },
  };
}
