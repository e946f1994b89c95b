/**
 * Validation of core/v1 kinds other than Pod (pod.ts holds Pod, PodSpec and templates), with
 * the messages of kube-apiserver's pkg/apis/core/validation. ObjectMeta (names, labels,
 * annotations, finalizers) is checked for every kind by the registry, and ConfigMap, Secret,
 * PersistentVolume(Claim) and Namespace rules live in their strategies already.
 *
 * Coverage of kube's rules a user meets, per kind ("yes" = implemented here or elsewhere):
 *
 * | Kind | Rule | Covered |
 * |---|---|---|
 * | Pod | containers required; container name required, DNS-1123 label, unique across containers/initContainers/ephemeralContainers | yes |
 * | Pod | image required (templates too); no leading/trailing blanks (pods only) | yes |
 * | Pod | ports: containerPort required and in 1-65535, hostPort range, protocol TCP/UDP/SCTP, port names (IANA_SVC_NAME) unique | yes |
 * | Pod | env names (relaxed, 1.32), valueFrom exactly one source, fieldRef apiVersion/fieldPath, resourceFieldRef, key selectors; envFrom | yes |
 * | Pod | volumes: name DNS label and unique, exactly one source, secret/configMap/hostPath/nfs/pvc/downwardAPI/projected/csi/ephemeral fields, modes 0-0777, item paths | yes |
 * | Pod | volumeMounts name a valid volume, mountPath required and unique, subPath relative; volumeDevices | yes |
 * | Pod | restartPolicy, dnsPolicy, imagePullPolicy, terminationMessagePolicy, preemptionPolicy, os.name supported values | yes |
 * | Pod | resources: standard names, not negative, requests <= limits, extended resources integral and equal | yes |
 * | Pod | probes: one handler, non-negative numbers, successThreshold 1 for liveness/startup; lifecycle handlers, sleep | yes |
 * | Pod | init containers: restartPolicy Always only, no probes/lifecycle otherwise | yes |
 * | Pod | activeDeadlineSeconds 1..2^31-1; hostname/subdomain; serviceAccountName/nodeName/priorityClassName; tolerations; sysctls; dnsConfig; host port conflicts; hostNetwork ports | yes |
 * | Pod | terminationGracePeriodSeconds >= 0 | no: kube accepts negatives (with a warning) |
 * | Pod | update: only images, activeDeadlineSeconds, added tolerations change ("pod updates may not change fields other than ..." with a diff) | yes (diff of top-level fields only) |
 * | Pod | ephemeralContainers cannot be set on create | yes |
 * | Pod | affinity, topologySpreadConstraints, seccomp/AppArmor profiles, windows/linux options (validation/pod-scheduling.ts) | yes |
 * | Pod | resource claims and pod-level resources: dropped on write, their features being off in 1.32 (kinds/disabled-pod-fields.ts) | yes |
 * | Pod | seccomp/AppArmor annotation values and agreement with the fields; pod-deletion-cost an int32 (validation/pod-annotations.ts) | yes |
 * | PodTemplate | template validated as a pod template | yes |
 * | ReplicationController | selector required, replicas and minReadySeconds >= 0, template required, selector matches template labels, restartPolicy Always, no activeDeadlineSeconds | yes |
 * | ReplicationController | status replicas >= 0 and consistent | yes (validation/workload-status.ts) |
 * | Service | ports required unless headless/ExternalName; port 1-65535, protocol, targetPort, names required when several, DNS label, unique | yes |
 * | Service | type supported; ExternalName needs externalName; None not for NodePort/LoadBalancer; nodePort forbidden for ClusterIP; duplicate ports/nodePorts | yes |
 * | Service | sessionAffinity and its config; externalIPs; loadBalancerSourceRanges; traffic policies; allocateLoadBalancerNodePorts | yes |
 * | Service | update: clusterIP may not change once set, nor move from None to an address | yes |
 * | Service | ipFamilies/ipFamilyPolicy defaults and consistency, clusterIP allocation and range, node ports (refused: no nodes) | yes, in the registry's allocation step (server/registry/service-allocation.ts), as kube's service storage |
 * | Endpoints | addresses valid IPs, ports: name (required when several), port range, protocol | yes |
 * | ResourceQuota | hard: standard quota resource names, quantities not negative, integral counts; scopes supported | yes |
 * | LimitRange | type supported and unique, resource quantities, min <= default(Request) <= max, defaultRequest <= default, Pod type takes no defaults (quantities printed bare, as Go's Stringer) | yes |
 * | ServiceAccount | metadata only (kube validates nothing else) | yes |
 * | ConfigMap, Secret | data keys, immutable, secret type immutable | yes (schemas/strategies.ts) |
 * | PersistentVolume(Claim) | access modes, capacity/storage, one volume source | yes (schemas/strategies.ts) |
 * | Namespace | name DNS label; finalizers | yes (registry) |
 * | Event | involvedObject namespace matches; with eventTime: reporting controller/instance, action, reason, limits (validation/events.ts) | yes |
 * | Node | nothing to validate: creating a Node is refused (there are no nodes; kinds/node.ts) | n/a |
 * | Event | events.k8s.io/v1 strict rules: eventTime required, type Normal/Warning, deprecated fields unset, series; on update identifying fields immutable | yes (validation/events.ts) |
 */
import type { FieldError, KubeObject } from '../types';
import { compareQuantity, milliValue } from '../meta/quantity';
import { jsonEqual } from '../meta/json';
import {
  dnsLabel, dnsSubdomain, duplicate, forbiddenField, invalidGo, invalid, invalidValue, isObj, isSet, labelErrors, listAt, nonNegative,
  notSupported, num, objAt, portNumErrors, portNumOrName, qualifiedName, required, str,
} from './field-errors';
import { validatePodTemplateSpec } from './pod';
import { resourceQuantityErrors } from './pod-resources';
import { IP_MSG, isCIDR, isIP } from './ip-addresses';

export { isIP };

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

// --- ReplicationController -------------------------------------------------------------

/** validateReplicationController is ValidateReplicationController(Update) for the spec. */
export function validateReplicationController(rc: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(rc, 'spec');
  if (old && jsonEqual(spec, objAt(old, 'spec'))) return [];
  const errs = [...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds')];
  const selector = objAt(spec, 'selector') ?? {};
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  errs.push(...nonNegative(spec?.replicas, 'spec.replicas'));
  const template = objAt(spec, 'template');
  if (!template) return [...errs, required('spec.template')];
  const labels = objAt(objAt(template, 'metadata'), 'labels') ?? {};
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalidGo('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const tspec = objAt(template, 'spec');
  if (str(tspec, 'restartPolicy') !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', str(tspec, 'restartPolicy'), ['Always']));
  if (isSet(tspec, 'activeDeadlineSeconds')) errs.push(forbiddenField('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  return errs;
}

// --- Service -----------------------------------------------------------------------------

// servicePortValue renders the core.ServicePort key kube's duplicate-port error prints with %#v.
function servicePortValue(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

// clusterIPsOf is the plural field as the strategy normalizes it on create: from clusterIP when only that is set.
function clusterIPsOf(spec: unknown): string[] {
  const ips = listAt(spec, 'clusterIPs').map(String);
  if (ips.length === 0 && str(spec, 'clusterIP')) return [str(spec, 'clusterIP')];
  return ips;
}

const isHeadlessIPs = (ips: string[]) => ips.length === 1 && ips[0] === 'None';
const isHeadless = (spec: unknown) => isHeadlessIPs(clusterIPsOf(spec));

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

/** validateService is ValidateService (create) and, with old, ValidateServiceUpdate. */
export function validateService(svc: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(svc, 'spec') ?? {};
  const errs: FieldError[] = old ? clusterIPUpdateErrors(spec, objAt(old, 'spec') ?? {}) : [];
  const type = str(spec, 'type');
  const ports = listAt(spec, 'ports');
  const clusterIPs = clusterIPsOf(spec);
  const headless = isHeadlessIPs(clusterIPs);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if ((type === 'LoadBalancer' || type === 'NodePort') && headless) {
    errs.push(invalidValue('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
  }
  if (type === 'ExternalName') {
    if (clusterIPs.length > 0) errs.push(forbiddenField('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (listAt(spec, 'ipFamilies').length > 0) errs.push(forbiddenField('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (isSet(spec, 'ipFamilyPolicy')) errs.push(forbiddenField('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(spec, 'externalName').replace(/\.$/, '');
    if (cname) errs.push(...dnsSubdomain(cname, 'spec.externalName'));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    const name = str(p, 'name');
    if (ports.length > 1 && !name) errs.push(required(`${at}.name`));
    else if (name) {
      errs.push(...dnsLabel(name, `${at}.name`));
      if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
      else names.add(name);
    }
    errs.push(...portNumErrors(num(p, 'port')).map((m) => invalidValue(`${at}.port`, num(p, 'port'), m)));
    const proto = str(p, 'protocol');
    if (!proto) errs.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(`${at}.protocol`, proto, PROTOCOLS));
    errs.push(...portNumOrName((p as Record<string, unknown>).targetPort, `${at}.targetPort`));
    if (isSet(p, 'appProtocol')) errs.push(...qualifiedName(str(p, 'appProtocol'), `${at}.appProtocol`));
  });
  errs.push(...labelErrors(spec.selector, 'spec.selector'));
  const affinity = str(spec, 'sessionAffinity');
  if (!affinity) errs.push(required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  if (affinity === 'ClientIP') errs.push(...clientIPConfigErrors(spec.sessionAffinityConfig));
  else if (affinity === 'None' && isSet(spec, 'sessionAffinityConfig')) errs.push(forbiddenField('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  clusterIPs.forEach((ip, i) => {
    if (ip !== 'None' && !isIP(ip)) errs.push(invalidValue(`spec.clusterIPs[${i}]`, ip, IP_MSG));
  });
  listAt(spec, 'externalIPs').forEach((ip, i) => {
    if (!isIP(String(ip))) errs.push(invalidValue(`spec.externalIPs[${i}]`, ip, IP_MSG));
  });
  if (!type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ClusterIP') ports.forEach((p, i) => {
    if (num(p, 'nodePort') !== 0) errs.push(forbiddenField(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
  });
  // A single port cannot repeat another.
  if (ports.length > 1) errs.push(...duplicatePortErrors(ports));
  const ranges = listAt(spec, 'loadBalancerSourceRanges');
  if (ranges.length > 0) {
    if (type !== 'LoadBalancer') errs.push(forbiddenField('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = String(r).trim();
      if (!isCIDR(v)) errs.push(invalidValue(`spec.LoadBalancerSourceRanges[${i}]`, v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  if (isSet(spec, 'allocateLoadBalancerNodePorts') && type !== 'LoadBalancer') {
    errs.push(forbiddenField('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  errs.push(...trafficPolicyErrors(spec, type));
  return errs;
}

// duplicatePortErrors refuses a node port, or a port, that an earlier port of the same protocol has.
function duplicatePortErrors(ports: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const np = num(p, 'nodePort');
    if (np === 0) return;
    const key = `${str(p, 'protocol')}/${np}`;
    if (nodePorts.has(key)) errs.push(duplicate(`spec.ports[${i}].nodePort`, np));
    nodePorts.add(key);
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${str(p, 'protocol')}/${num(p, 'port')}`;
    if (seen.has(key)) errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}]`, message: `Duplicate value: ${servicePortValue(str(p, 'protocol'), num(p, 'port'))}` });
    seen.add(key);
  });
  return errs;
}

function clientIPConfigErrors(cfg: unknown): FieldError[] {
  const at = 'spec.sessionAffinityConfig';
  const why = 'when session affinity type is ClientIP';
  if (!isObj(cfg)) return [required(at, why)];
  const ip = objAt(cfg, 'clientIP');
  if (!ip) return [required(`${at}.clientIP`, why)];
  if (!isSet(ip, 'timeoutSeconds')) return [required(`${at}.clientIP.timeoutSeconds`, why)];
  const t = num(ip, 'timeoutSeconds');
  return t <= 0 || t > 86400 ? [invalidValue(`${at}.clientIP.timeoutSeconds`, t, 'must be greater than 0 and less than 86400')] : [];
}

function trafficPolicyErrors(spec: Record<string, unknown>, type: string): FieldError[] {
  const errs: FieldError[] = [];
  const accessible = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && listAt(spec, 'externalIPs').length > 0);
  const etp = str(spec, 'externalTrafficPolicy');
  if (!accessible) {
    if (etp) errs.push(invalidValue('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  const hc = num(spec, 'healthCheckNodePort');
  const needsHealthCheck = type === 'LoadBalancer' && etp === 'Local';
  if (!needsHealthCheck && hc !== 0) errs.push(invalidValue('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  if (!isSet(spec, 'internalTrafficPolicy')) {
    if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') errs.push(required('spec.internalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(str(spec, 'internalTrafficPolicy'))) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return errs;
}

// clusterIPUpdateErrors is validateUpgradeDowngradeClusterIPs after the strategy's normalization:
// a clusterIP left out keeps the stored one; a different one is refused.
function clusterIPUpdateErrors(spec: Record<string, unknown>, oldSpec: Record<string, unknown>): FieldError[] {
  if (str(spec, 'type') === 'ExternalName' || str(oldSpec, 'type') === 'ExternalName') return [];
  const oldIPs = clusterIPsOf(oldSpec);
  if (oldIPs.length === 0) return [];
  let ips = listAt(spec, 'clusterIPs').map(String);
  const ip = str(spec, 'clusterIP');
  if (ips.length === 0 && !ip) return [];
  // A changed clusterIP with clusterIPs left as they were (or left out) moves the plural field too.
  if (ip && ip !== str(oldSpec, 'clusterIP') && (ips.length === 0 || jsonEqual(ips, oldIPs))) ips = [ip];
  if (ips.length === 0) ips = oldIPs;
  if (isHeadless({ clusterIPs: oldIPs }) && isHeadless({ clusterIPs: ips })) return [];
  const errs: FieldError[] = [];
  if (ips.length === oldIPs.length) {
    oldIPs.forEach((o, i) => {
      if (o !== ips[i]) errs.push(invalidGo(`spec.clusterIPs[${i}]`, ips, 'may not change once set'));
    });
  } else if (ips[0] !== oldIPs[0]) {
    errs.push(invalidGo('spec.clusterIPs[0]', ips, 'may not change once set'));
  }
  return errs;
}

// --- Endpoints ---------------------------------------------------------------------------

/** validateEndpoints is ValidateEndpoints for the subsets. */
export function validateEndpoints(ep: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  listAt(ep, 'subsets').forEach((ss, i) => {
    const at = `subsets[${i}]`;
    if (listAt(ss, 'addresses').length === 0 && listAt(ss, 'notReadyAddresses').length === 0) {
      errs.push(required(at, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const k of ['addresses', 'notReadyAddresses']) {
      listAt(ss, k).forEach((a, j) => {
        const ip = str(a, 'ip');
        if (!isIP(ip)) errs.push(invalidValue(`${at}.${k}[${j}].ip`, ip, IP_MSG));
        if (str(a, 'hostname')) errs.push(...dnsLabel(str(a, 'hostname'), `${at}.${k}[${j}].hostname`));
      });
    }
    const ports = listAt(ss, 'ports');
    ports.forEach((p, j) => {
      const pat = `${at}.ports[${j}]`;
      const name = str(p, 'name');
      if (ports.length > 1 && !name) errs.push(required(`${pat}.name`));
      else if (name) errs.push(...dnsLabel(name, `${pat}.name`));
      errs.push(...portNumErrors(num(p, 'port')).map((m) => invalidValue(`${pat}.port`, num(p, 'port'), m)));
      const proto = str(p, 'protocol');
      if (!proto) errs.push(required(`${pat}.protocol`));
      else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(`${pat}.protocol`, proto, PROTOCOLS));
    });
  });
  return errs;
}

// --- ResourceQuota and LimitRange ----------------------------------------------------------

const QUOTA_RESOURCES = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'cpu', 'memory', 'ephemeral-storage', 'storage', 'requests.cpu', 'requests.memory',
  'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
const QUOTA_INTEGER = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
const QUOTA_SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating', 'VolumeAttributesClass'];

function quotaListErrors(hard: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(isObj(hard) ? hard : {})) {
    const at = `${field}[${name}]`;
    errs.push(...qualifiedName(name, at));
    if (!name.includes('/') && !QUOTA_RESOURCES.has(name) && !/^(requests\.)?hugepages-/.test(name)) errs.push(invalidValue(at, name, 'must be a standard resource for quota'));
    errs.push(...resourceQuantityErrors(name, q, at));
    if (QUOTA_INTEGER.has(name)) {
      try {
        if (milliValue(String(q)) % 1000 !== 0) errs.push(invalidValue(at, String(q), 'must be an integer'));
      } catch {
        // The registry reports a quantity that does not parse.
      }
    }
  }
  return errs;
}

/** validateResourceQuota is ValidateResourceQuota for spec.hard, spec.scopes and status. */
export function validateResourceQuota(rq: KubeObject): FieldError[] {
  const spec = objAt(rq, 'spec');
  const errs = quotaListErrors(spec?.hard, 'spec.hard');
  listAt(spec, 'scopes').forEach((s) => {
    if (!QUOTA_SCOPES.includes(String(s))) errs.push(invalidValue('spec.scopes', s, 'unsupported scope'));
  });
  const status = objAt(rq, 'status');
  errs.push(...quotaListErrors(status?.hard, 'status.hard'), ...quotaListErrors(status?.used, 'status.used'));
  return errs;
}

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

/** validateLimitRange is ValidateLimitRange: types, quantities and min <= default(Request) <= max. */
export function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  listAt(objAt(lr, 'spec'), 'limits').forEach((limit, i) => {
    const at = `spec.limits[${i}]`;
    const type = str(limit, 'type');
    if (types.has(type)) errs.push(duplicate(`${at}.type`, type));
    types.add(type);
    if (!LIMIT_TYPES.includes(type)) errs.push(notSupported(`${at}.type`, type, LIMIT_TYPES));
    const get = (k: string) => (objAt(limit, k) ?? {}) as Record<string, unknown>;
    const [max, min, def, defReq, ratio] = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'].map(get);
    for (const [k, m] of [['max', max], ['min', min], ['default', def], ['defaultRequest', defReq], ['maxLimitRequestRatio', ratio]] as const) {
      for (const [name, q] of Object.entries(m)) errs.push(...qualifiedName(name, `${at}.${k}[${name}]`), ...resourceQuantityErrors(name, q, `${at}.${k}[${name}]`));
    }
    if (type === 'Pod') {
      if (Object.keys(def).length) errs.push(forbiddenField(`${at}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(defReq).length) errs.push(forbiddenField(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const cmp = (a: unknown, b: unknown) => {
      try {
        return compareQuantity(String(a), String(b));
      } catch {
        return 0;
      }
    };
    const names = new Set([...Object.keys(max), ...Object.keys(min), ...Object.keys(def), ...Object.keys(defReq)]);
    for (const n of names) {
      const [mx, mn, d, dr] = [max[n], min[n], def[n], defReq[n]];
      if (mn !== undefined && mx !== undefined && cmp(mn, mx) > 0) errs.push(invalid(`${at}.min[${n}]`, String(mn), `min value ${String(mn)} is greater than max value ${String(mx)}`));
      if (dr !== undefined && d !== undefined && cmp(dr, d) > 0) errs.push(invalid(`${at}.defaultRequest[${n}]`, String(dr), `default request value ${String(dr)} is greater than default limit value ${String(d)}`));
      if (d !== undefined && mn !== undefined && cmp(mn, d) > 0) errs.push(invalid(`${at}.default[${n}]`, String(mn), `min value ${String(mn)} is greater than default value ${String(d)}`));
      if (d !== undefined && mx !== undefined && cmp(d, mx) > 0) errs.push(invalid(`${at}.default[${n}]`, String(mx), `default value ${String(d)} is greater than max value ${String(mx)}`));
      if (dr !== undefined && mn !== undefined && cmp(mn, dr) > 0) errs.push(invalid(`${at}.defaultRequest[${n}]`, String(mn), `min value ${String(mn)} is greater than default request value ${String(dr)}`));
      if (dr !== undefined && mx !== undefined && cmp(dr, mx) > 0) errs.push(invalid(`${at}.defaultRequest[${n}]`, String(mx), `default request value ${String(dr)} is greater than max value ${String(mx)}`));
    }
    for (const [n, r] of Object.entries(ratio)) {
      if (cmp(r, '1') < 0) errs.push(invalid(`${at}.maxLimitRequestRatio[${n}]`, String(r), `ratio ${String(r)} is less than 1`));
    }
  });
  return errs;
}
