/**
 * Service allocation in the Service's write path, as kube-apiserver's service storage does it
 * (pkg/registry/core/service/storage): a create is answered with its cluster IP already set.
 *
 * - ipFamilyPolicy and ipFamilies are defaulted for this single-stack IPv4 cluster (SingleStack,
 *   [IPv4]; a headless Service without a selector RequireDualStack with both families, as kube
 *   defaults it), and IPv6 or dual-stack requests are refused as kube refuses a family it has
 *   no range for.
 * - A Service that needs a cluster IP (any type but ExternalName, unless headless) gets the one
 *   it asks for, or a free one of the range; one taken or out of range is refused with kube's
 *   422. The address is held from allocation and given back if the write is refused, fails or
 *   is a dry run (which checks, but takes nothing); it is released when the Service is removed
 *   (also by its namespace's deletion, which deletes it through the registry) and when an update
 *   turns it into an ExternalName Service. An ExternalName Service turned into another type is
 *   allocated one.
 * - Node ports: nodeless has no nodes, so a NodePort Service, a LoadBalancer that asks for node
 *   ports and any explicit nodePort or healthCheckNodePort are refused with the reason.
 *
 * Allocation is synchronous between two awaits, so concurrent creates in this process can never
 * pick the same address. repairServiceIPs rebuilds the allocated set from the stored Services
 * before the server takes writes (kube's repair loop), so a restart never hands an address out
 * twice.
 *
 * A second API server sharing the database (PostgreSQL, later) would break that: each server's
 * in-memory set only knows its own allocations. kube 1.31+ solves this with one
 * networking.k8s.io IPAddress object per allocated address, whose create fails when another
 * server got there first, so the store's uniqueness is the lock. nodeless does not model
 * IPAddress objects yet; sharing a database between API servers needs them (or a unique key on
 * the address in the store) before it is safe.
 */
import { isIPv4, isIPv6, IP_MSG } from '../../schemas/validation/ip-addresses';
import { invalidGo, invalidValue, notSupported, duplicate } from '../../schemas/validation/field-errors';
import { invalid } from '../../schemas/meta/status-error';
import type { FieldError, KubeObject, ResourceDefinition } from '../../schemas/types';
import { IPAllocatedError, IPNotInRangeError, type ServiceIPRange } from './service-ip-range';
import type { FinishWrite, WriteHook } from './write-hooks';
import type { Registry } from './generic-registry';

/** NO_NODE_PORTS is why nodeless refuses node ports: the message of every node-port refusal. */
export const NO_NODE_PORTS = 'nodeless has no nodes, so no node ports can be opened';

const POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const FAMILIES = ['IPv4', 'IPv6'];

/** ServiceSpec is the part of a Service's spec allocation reads and writes. */
interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  selector?: Record<string, string>;
  ports?: Array<{ nodePort?: number }>;
  allocateLoadBalancerNodePorts?: boolean;
  healthCheckNodePort?: number;
}

const isServices = (def: ResourceDefinition) => def.group === '' && def.plural === 'services';
const specOf = (svc: KubeObject): ServiceSpec => ((svc.spec ??= {}) as ServiceSpec);

/** needsClusterIP is kube's needsClusterIP: every type but ExternalName has clusterIPs (an address or None). */
export function needsClusterIP(spec: ServiceSpec): boolean {
  return (spec.type ?? 'ClusterIP') !== 'ExternalName';
}

const isHeadless = (spec: ServiceSpec) => spec.clusterIPs?.[0] === 'None' || spec.clusterIP === 'None';

/** allocatedIPs are the addresses a stored Service holds (none for headless and ExternalName). */
export function allocatedIPs(svc: Readonly<KubeObject>): string[] {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  if (!needsClusterIP(spec)) return [];
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => typeof ip === 'string' && ip !== '' && ip !== 'None');
}

// normalizeClusterIPs is kube's: the singular and the plural field say the same thing.
function normalizeClusterIPs(spec: ServiceSpec): void {
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    if (spec.clusterIPs?.length && spec.clusterIPs[0]) spec.clusterIP = spec.clusterIPs[0];
    return;
  }
  if (!spec.clusterIPs || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
}

/** nodePortErrors refuses what needs a node: NodePort Services and a LoadBalancer's node ports. */
export function nodePortErrors(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.type === 'NodePort') errs.push(invalidValue('spec.type', 'NodePort', `${NO_NODE_PORTS}: use type ClusterIP, or LoadBalancer for an external address`));
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === true) {
    errs.push(invalidValue('spec.allocateLoadBalancerNodePorts', true, `${NO_NODE_PORTS}: leave it unset or set it to false`));
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    (Array.isArray(spec.ports) ? spec.ports : []).forEach((p, i) => {
      if (typeof p?.nodePort === 'number' && p.nodePort !== 0) errs.push(invalidValue(`spec.ports[${i}].nodePort`, p.nodePort, NO_NODE_PORTS));
    });
    if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort !== 0) errs.push(invalidValue('spec.healthCheckNodePort', spec.healthCheckNodePort, NO_NODE_PORTS));
  }
  return errs;
}

/**
 * ipFamilyErrors defaults ipFamilyPolicy and ipFamilies on spec for a single-stack IPv4 cluster,
 * as kube's initIPFamilyFields, and returns what it refuses (old is the stored spec on update).
 */
export function ipFamilyErrors(spec: ServiceSpec, old?: ServiceSpec): FieldError[] {
  if (!needsClusterIP(spec)) return [];
  const selectorless = !spec.selector || Object.keys(spec.selector).length === 0;
  if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    if (old?.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
    else if (spec.clusterIP === 'None' && selectorless) spec.ipFamilyPolicy = 'RequireDualStack';
    else spec.ipFamilyPolicy = 'SingleStack';
  }
  const errs: FieldError[] = [];
  if (!POLICIES.includes(spec.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, POLICIES));
  const families = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  families.forEach((f, i) => {
    if (!FAMILIES.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, FAMILIES));
    else if (families.indexOf(f) !== i) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
  });
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') return;
    if (typeof ip !== 'string' || !(isIPv4(ip) || isIPv6(ip))) errs.push(invalidValue(`spec.clusterIPs[${i}]`, ip, IP_MSG));
  });
  if (errs.length) return errs;
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if (ips.length === 2) errs.push(invalidValue('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (families.length === 2) errs.push(invalidValue('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  // Families follow the requested addresses; an IPv6 address names a family this cluster lacks.
  for (let i = 0; i < ips.length && ips[i] !== 'None'; i++) {
    const family = isIPv6(ips[i]) ? 'IPv6' : 'IPv4';
    if (i < families.length) {
      if (families[i] !== family) errs.push(invalidValue(`spec.clusterIPs[${i}]`, ips[i], `expected an ${families[i]} value as indicated by \`ipFamilies[${i}]\``));
    } else if (family === 'IPv6') errs.push(invalidGo(`spec.clusterIPs[${i}]`, ips, 'IPv6 is not configured on this cluster'));
    else families.push(family);
  }
  if (errs.length) return errs;
  if (spec.clusterIP === 'None' && selectorless) {
    // A headless Service without a selector may name both families even here, as in kube.
    if (families.length === 0) families.push('IPv4');
    if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    spec.ipFamilies = families;
    return [];
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(invalidValue('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (f !== 'IPv4') errs.push(invalidValue(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  if (errs.length) return errs;
  spec.ipFamilies = families.length ? families : ['IPv4'];
  return [];
}

/** serviceAllocation is the write hook that gives Services their cluster IPs from range. */
export function serviceAllocation(range: ServiceIPRange): WriteHook {
  // allocate gives spec its address (the requested one or a free one) and returns it, or throws a 422.
  const allocate = (svc: KubeObject, spec: ServiceSpec, dryRun: boolean): string | undefined => {
    if (!needsClusterIP(spec) || isHeadless(spec)) return undefined;
    const requested = spec.clusterIPs?.[0] || spec.clusterIP || '';
    try {
      if (requested) range.allocate(requested, dryRun);
      const ip = requested || range.allocateNext(dryRun);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
      // A dry run took nothing, so there is nothing to give back.
      return dryRun ? undefined : ip;
    } catch (err) {
      if (err instanceof IPAllocatedError || err instanceof IPNotInRangeError) {
        throw invalid('Service', '', svc.metadata?.name ?? '', [invalidGo('spec.clusterIPs', spec.clusterIPs ?? [requested], `failed to allocate IP ${requested}: ${err.message}`)]);
      }
      throw invalid('Service', '', svc.metadata?.name ?? '', [invalidGo('spec.clusterIPs', spec.clusterIPs ?? [], `failed to allocate a serviceIP: ${(err as Error).message}`)]);
    }
  };
  const refuse = (svc: KubeObject, errs: FieldError[]) => {
    if (errs.length) throw invalid('Service', '', svc.metadata?.name ?? '', errs);
  };
  const undo = (ip: string | undefined): FinishWrite => (stored) => {
    if (!stored && ip) range.release(ip);
  };
  return {
    name: 'ServiceAllocation',
    beginCreate(def, svc, dryRun) {
      if (!isServices(def)) return;
      const spec = specOf(svc);
      normalizeClusterIPs(spec);
      refuse(svc, [...ipFamilyErrors(spec), ...nodePortErrors(spec)]);
      return undo(allocate(svc, spec, dryRun));
    },
    beginUpdate(def, svc, old, dryRun) {
      if (!isServices(def)) return;
      const spec = specOf(svc);
      const was = (old.spec ?? {}) as ServiceSpec;
      normalizeClusterIPs(spec);
      refuse(svc, [...ipFamilyErrors(spec, was), ...nodePortErrors(spec)]);
      const held = allocatedIPs(old);
      if (!needsClusterIP(spec)) {
        // Turned into an ExternalName Service: its address goes back once that is stored.
        return (stored) => {
          if (stored && !dryRun) for (const ip of held) range.release(ip);
        };
      }
      // A Service that had no address (an ExternalName one, or one stored before allocation)
      // gets one; a changed address is left to validation, which refuses it as immutable.
      if (held.length > 0 || (needsClusterIP(was) && isHeadless(was))) return;
      return undo(allocate(svc, spec, dryRun));
    },
    afterDelete(def, svc) {
      if (!isServices(def)) return;
      for (const ip of allocatedIPs(svc)) range.release(ip);
    },
  };
}

/** RepairReport says what repairServiceIPs found in the store. */
export interface RepairReport {
  /** restored is how many addresses stored Services hold */
  restored: number;
  /** outOfRange are Services whose address is not in the range (kept; the range changed) */
  outOfRange: string[];
  /** duplicates are Services whose address another stored Service holds too */
  duplicates: string[];
}

/**
 * repairServiceIPs marks every address the stored Services hold, as kube's repair loop rebuilds
 * its bitmap from them; run it before the server takes writes.
 */
export async function repairServiceIPs(registry: Registry, def: ResourceDefinition, range: ServiceIPRange): Promise<RepairReport> {
  const report: RepairReport = { restored: 0, outOfRange: [], duplicates: [] };
  const page = await registry.list(def, undefined, {});
  for (const item of page.items) {
    const svc = registry.decode(item);
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    for (const ip of allocatedIPs(svc)) {
      if (!range.contains(ip)) report.outOfRange.push(key);
      else if (range.has(ip)) report.duplicates.push(key);
      else {
        range.allocate(ip);
        report.restored++;
      }
    }
  }
  return report;
}
