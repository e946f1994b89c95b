/**
 * NamespaceLifecycle admission: objects can only be created in a namespace that exists and is
 * not terminating, and the namespaces nodeless creates at start cannot be deleted.
 */
import type { Registry } from './generic-registry';
import type { AdmissionPlugin } from './admission';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden, notFound } from '../../schemas/meta/status-error';

/** IMMORTAL_NAMESPACES exist from the first start and cannot be deleted. */
export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

/** namespaceLifecycle returns the admission plugin; it reads namespaces through the registry. */
export function namespaceLifecycle(registry: Registry, resources: ResourceTable): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    async validate(attrs) {
      const nsDef = resources.lookup('', 'v1', 'namespaces');
      if (!nsDef) return;
      if (attrs.operation === 'DELETE' && attrs.resource === nsDef && IMMORTAL_NAMESPACES.includes(attrs.name)) {
        throw forbidden({ group: '', resource: 'namespaces' }, attrs.name, 'this namespace may not be deleted');
      }
      if (attrs.operation !== 'CREATE' || !attrs.resource.namespaced || !attrs.namespace) return;
      let ns;
      try {
        ns = registry.decode(await registry.get(nsDef, undefined, attrs.namespace));
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
        throw err;
      }
      if (ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
        const err = forbidden(
          { group: attrs.resource.group, resource: attrs.resource.plural },
          attrs.name,
          `unable to create new content in namespace ${attrs.namespace} because it is being terminated`,
        );
        err.status.details!.causes = [{ reason: 'NamespaceTerminating', message: `namespace ${attrs.namespace} is being terminated`, field: 'metadata.namespace' }];
        throw err;
      }
    },
  };
}
