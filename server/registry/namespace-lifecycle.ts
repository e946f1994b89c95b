/**
 * NamespaceLifecycle admission: objects can only be created in a namespace that exists and is
 * not terminating, and the namespaces nodeless creates at start cannot be deleted.
 */
import type { Registry } from './generic-registry';
import type { AdmissionAttributes, AdmissionPlugin } from './admission';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
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
      const ns = await namespaceOfWrite(registry, nsDef, attrs);
      if (!ns) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
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

// One read of the namespace per write, shared by the plugins that need it.
const namespaceReads = new WeakMap<AdmissionAttributes, Promise<KubeObject | undefined>>();

/**
 * namespaceOfWrite is the namespace a write lands in (undefined when it does not exist), read
 * once per write however many admission plugins ask for it.
 */
export function namespaceOfWrite(registry: Registry, nsDef: ResourceDefinition, attrs: AdmissionAttributes): Promise<KubeObject | undefined> {
  let read = namespaceReads.get(attrs);
  if (!read) {
    read = registry.get(nsDef, undefined, attrs.namespace!).then(
      (stored) => registry.decode(stored),
      (err) => {
        if (err instanceof StatusError && err.code === 404) return undefined;
        throw err;
      },
    );
    namespaceReads.set(attrs, read);
  }
  return read;
}
