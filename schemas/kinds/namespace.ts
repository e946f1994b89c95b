/**
 * core/v1 Namespace: created Active with the "kubernetes" finalizer; a delete starts termination
 * (phase Terminating) and holds the namespace until the namespace controller has emptied it and
 * removed its finalizers through /finalize.
 */
import { namespaceDefaults } from '../defaults-core';
import { namespaceColumns } from '../printers';
import type { KubeObject } from '../types';
import { fields, kindOf } from './kind';
import { objectStrategy, statusStrategy } from './strategy';

// Namespaces are the one resource here without deletecollection: deleting a namespace starts
// finalization, and kube-apiserver never offered a bulk form of that.
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

const specFinalizers = (ns: Readonly<KubeObject>) => (ns.spec as { finalizers?: string[] } | undefined)?.finalizers;

/** namespace is core/v1 namespaces. */
export const namespace = kindOf('', 'v1', {
  kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
  verbs: NAMESPACE_VERBS, subresources: { status: true, finalize: true },
  columns: namespaceColumns,
  defaults: namespaceDefaults,
  nameValidation: 'dns-label',
  returnDeletedObject: true,
  selectableFields: fields('status.phase'),
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (ns) => {
      ns.status = { phase: 'Active' };
      const spec = (ns.spec ?? {}) as { finalizers?: string[] };
      if (!spec.finalizers?.includes('kubernetes')) spec.finalizers = [...(spec.finalizers ?? []), 'kubernetes'];
      ns.spec = spec;
    },
    // spec.finalizers changes only through /finalize.
    prepareForUpdate: (ns, old) => {
      const finalizers = specFinalizers(old);
      const spec = { ...((ns.spec as object) ?? {}) } as { finalizers?: string[] };
      if (finalizers === undefined) delete spec.finalizers;
      else spec.finalizers = [...finalizers];
      ns.spec = spec;
    },
  }),
  statusStrategy: statusStrategy({ metadata: 'client' }),
  // Only spec.finalizers changes through /finalize.
  finalizeStrategy: {
    prepareForCreate() {},
    prepareForUpdate: (ns, old) => {
      const next = structuredClone(old) as KubeObject;
      next.spec = { ...((old.spec as object) ?? {}), finalizers: specFinalizers(ns) ?? [] };
      return next;
    },
    validate: () => [],
  },
  deleteStrategy: {
    prepareForDelete: (ns) => {
      ns.status = { ...((ns.status as object) ?? {}), phase: 'Terminating' };
      return true;
    },
    finalized: (ns) => !specFinalizers(ns)?.length && !ns.metadata?.finalizers?.length,
  },
});
