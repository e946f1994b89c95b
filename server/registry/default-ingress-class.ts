/**
 * DefaultIngressClass admission, as kube-apiserver's plugin of that name: an Ingress created
 * without spec.ingressClassName (and without the legacy kubernetes.io/ingress.class
 * annotation) is given the name of the IngressClass marked
 * ingressclass.kubernetes.io/is-default-class: "true"; of several, the newest (the first by name among equals). Without a
 * default class the Ingress is left as it came.
 */
import type { AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';

/** IS_DEFAULT_CLASS_ANNOTATION marks the default IngressClass. */
export const IS_DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** defaultIngressClassAdmission returns the plugin; it reads IngressClasses through the registry. */
export function defaultIngressClassAdmission(registry: Registry, resources: ResourceTable): AdmissionPlugin {
  return {
    name: 'DefaultIngressClass',
    async admit(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.resource.group !== 'networking.k8s.io' || attrs.resource.plural !== 'ingresses' || attrs.subresource) return;
      const ing = attrs.object;
      if (!ing) return;
      const spec = (ing.spec ??= {}) as { ingressClassName?: string };
      // A class named, even as "", or the legacy annotation is the client's choice.
      if ((spec.ingressClassName !== undefined && spec.ingressClassName !== null) || ing.metadata?.annotations?.['kubernetes.io/ingress.class'] !== undefined) return;
      const def = resources.lookup('networking.k8s.io', 'v1', 'ingressclasses');
      if (!def) return;
      const page = await registry.list(def, undefined, {});
      let newest: { name: string; created: string } | undefined;
      for (const item of page.items) {
        const cls = registry.decode(item);
        if (cls.metadata?.annotations?.[IS_DEFAULT_CLASS_ANNOTATION] !== 'true') continue;
        const created = cls.metadata.creationTimestamp ?? '';
        const name = cls.metadata.name!;
        // The newest wins; of two created in the same second, the first by name.
        if (!newest || created > newest.created || (created === newest.created && name < newest.name)) newest = { name, created };
      }
      if (newest) spec.ingressClassName = newest.name;
    },
  };
}
