/**
 * RuntimeClass admission: a Pod naming a RuntimeClass that does not exist is refused, and the
 * class's pod overhead is copied into the Pod, as kube-apiserver's RuntimeClass plugin does.
 */
import type { AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden } from '../../schemas/meta/status-error';

/** runtimeClassAdmission returns the plugin; it reads RuntimeClasses through the registry. */
export function runtimeClassAdmission(registry: Registry, resources: ResourceTable): AdmissionPlugin {
  return {
    name: 'RuntimeClass',
    async admit(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.resource.group !== '' || attrs.resource.plural !== 'pods' || attrs.subresource) return;
      const spec = attrs.object?.spec as { runtimeClassName?: string; overhead?: Record<string, string> } | undefined;
      const name = spec?.runtimeClassName;
      if (!spec || !name) return;
      const def = resources.lookup('node.k8s.io', 'v1', 'runtimeclasses');
      if (!def) return;
      let rc;
      try {
        rc = registry.decode(await registry.get(def, undefined, name));
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) {
          throw forbidden({ group: '', resource: 'pods' }, attrs.name, `pod rejected: RuntimeClass "${name}" not found`);
        }
        throw err;
      }
      const podFixed = (rc.overhead as { podFixed?: Record<string, string> } | undefined)?.podFixed;
      if (podFixed && !spec.overhead) spec.overhead = { ...podFixed };
    },
  };
}
