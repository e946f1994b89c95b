/**
 * serviceResolver finds where a webhook Service is served: the Service's port, then a ready
 * address of its EndpointSlices (label kubernetes.io/service-name), or of its Endpoints when it
 * has no slices. The errors say what is missing, so that a webhook that cannot be reached is
 * explained to whoever's request it refused.
 */
import type { Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import { WebhookCallError, type ServiceResolver } from './webhook-client';

type Obj = Record<string, unknown>;

interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
}

/** serviceResolver reads Services, EndpointSlices and Endpoints through the registry. */
export function serviceResolver(registry: Registry, resources: ResourceTable): ServiceResolver {
  return async (namespace, name, port) => {
    const services = resources.lookup('', 'v1', 'services')!;
    let svc: Obj;
    try {
      svc = registry.decode(await registry.get(services, namespace, name)) as Obj;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw new WebhookCallError(`service "${name}" not found`);
      throw err;
    }
    const spec = (svc.spec ?? {}) as { ports?: ServicePort[]; clusterIP?: string; type?: string; externalName?: string };
    if (spec.type === 'ExternalName' && spec.externalName) return { host: spec.externalName, port };
    const svcPort = (spec.ports ?? []).find((p) => p.port === port);
    if (!svcPort) throw new WebhookCallError(`no service port ${port} found for service "${name}"`);
    const fromSlices = await sliceEndpoint(registry, resources, namespace, name, svcPort);
    if (fromSlices) return fromSlices;
    const fromEndpoints = await endpointsEndpoint(registry, resources, namespace, name, svcPort);
    if (fromEndpoints) return fromEndpoints;
    if (spec.clusterIP && spec.clusterIP !== 'None') {
      throw new WebhookCallError(
        `no endpoints available for service "${name}": its cluster IP ${spec.clusterIP} is not routed (nodeless has no cluster network, so a webhook Service is reached through a ready address of its EndpointSlices or Endpoints, and it has none for port ${port})`,
      );
    }
    throw new WebhookCallError(`no endpoints available for service "${name}"`);
  };
}

// A Service port's endpoints carry the same port name; a numeric targetPort is the fallback
// for an unnamed port.
function portNumberIn(ports: Array<{ name?: string; port?: number }> | undefined, svcPort: ServicePort): number | undefined {
  const list = ports ?? [];
  const byName = list.find((p) => (p.name ?? '') === (svcPort.name ?? ''));
  if (byName?.port) return byName.port;
  if (typeof svcPort.targetPort === 'number') return svcPort.targetPort;
  return list.length === 1 ? list[0].port : undefined;
}

async function sliceEndpoint(registry: Registry, resources: ResourceTable, namespace: string, name: string, svcPort: ServicePort) {
  const def = resources.lookup('discovery.k8s.io', 'v1', 'endpointslices');
  if (!def) return undefined;
  const page = await registry.list(def, namespace, { labelSelector: `kubernetes.io/service-name=${name}` });
  for (const item of page.items) {
    const slice = registry.decode(item) as { ports?: Array<{ name?: string; port?: number }>; endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean } }> };
    const port = portNumberIn(slice.ports, svcPort);
    if (!port) continue;
    for (const ep of slice.endpoints ?? []) {
      // A missing ready condition means ready, as EndpointSlice consumers read it.
      if (ep.conditions?.ready === false) continue;
      if (ep.addresses?.length) return { host: ep.addresses[0], port };
    }
  }
  return undefined;
}

async function endpointsEndpoint(registry: Registry, resources: ResourceTable, namespace: string, name: string, svcPort: ServicePort) {
  const def = resources.lookup('', 'v1', 'endpoints')!;
  let eps: { subsets?: Array<{ addresses?: Array<{ ip?: string }>; ports?: Array<{ name?: string; port?: number }> }> };
  try {
    eps = registry.decode(await registry.get(def, namespace, name)) as typeof eps;
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
  for (const subset of eps.subsets ?? []) {
    const port = portNumberIn(subset.ports, svcPort);
    const ip = subset.addresses?.find((a) => a.ip)?.ip;
    if (port && ip) return { host: ip, port };
  }
  return undefined;
}
