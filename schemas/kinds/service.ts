/** core/v1 Service: names are DNS-1035 labels; ports, types and a clusterIP that never changes once set, as kube validates them. */
import { jsonEqual } from '../meta/json';
import { serviceDefaults } from '../defaults-core';
import { serviceColumns } from '../printers';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { validateService } from '../validation/core';
import type { KubeObject } from '../types';

type Spec = Record<string, unknown> & { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: Array<Record<string, unknown>> };

const needsClusterIP = (spec: Spec) => (spec.type ?? 'ClusterIP') !== 'ExternalName';
const externallyAccessible = (spec: Spec) =>
  spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
const same = (spec: Spec, was: Spec, field: string) => jsonEqual(spec[field], was[field]);

// patchAllocatedValues is kube's: an update that leaves the cluster IPs out keeps the allocated
// ones, as long as both the old and the new type have them.
function patchAllocatedValues(spec: Spec, was: Spec): void {
  if (!was.clusterIP || !needsClusterIP(was) || !needsClusterIP(spec)) return;
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    spec.clusterIP = was.clusterIP;
    if (spec.clusterIPs === undefined && was.clusterIPs !== undefined) spec.clusterIPs = [...was.clusterIPs];
  }
}

// dropTypeDependentFields is kube's: a Service is a union on its type, so fields the new type
// has no use for are cleared when the client left them as they were (a type change from a
// client that sends the whole stored object); a field the client changed too is left for
// validation to refuse. The cleared cluster IPs are released by the allocation that follows.
function dropTypeDependentFields(spec: Spec, was: Spec): void {
  if (needsClusterIP(was) && !needsClusterIP(spec)) {
    if (same(spec, was, 'clusterIP') && same(spec, was, 'clusterIPs')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same(spec, was, 'ipFamilies')) delete spec.ipFamilies;
    if (same(spec, was, 'ipFamilyPolicy')) delete spec.ipFamilyPolicy;
    if (same(spec, was, 'internalTrafficPolicy')) delete spec.internalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer') {
    for (const f of ['allocateLoadBalancerNodePorts', 'loadBalancerClass', 'healthCheckNodePort']) if (same(spec, was, f)) delete spec[f];
  }
  if (!externallyAccessible(spec) && same(spec, was, 'externalTrafficPolicy')) delete spec.externalTrafficPolicy;
}

/** service is core/v1 services; they gained deletecollection when their storage moved onto the generic store (1.23+). */
export const service = kindOf('', 'v1', {
  kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: STATUS,
  columns: serviceColumns,
  defaults: serviceDefaults,
  nameValidation: 'dns-1035',
  // A new Service starts with an empty load-balancer status, as kube's strategy sets it (the
  // official Python client reads status.loadBalancer of every created Service). Cluster IPs are
  // allocated after this, in the registry's write path (server/registry/service-allocation.ts).
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (svc) => {
      svc.status = { loadBalancer: {} };
    },
    prepareForUpdate: (svc: KubeObject, old: Readonly<KubeObject>) => {
      const spec = svc.spec as Spec | undefined;
      const was = (old.spec ?? {}) as Spec;
      if (!spec) return;
      patchAllocatedValues(spec, was);
      dropTypeDependentFields(spec, was);
    },
    validate: validateService,
  }),
});
