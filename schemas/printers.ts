/**
 * Server-side Table columns for the built-in kinds, matching kube-apiserver 1.32's printers
 * (pkg/printers/internalversion): same column names, types, priorities and cell values.
 *
 * Like kube-apiserver, the server always computes every column, priority-1 ("-o wide") ones
 * included, with their wide form (e.g. load-balancer addresses are never clipped); kubectl
 * hides priority-1 columns unless asked. The Name column is part of each list, first for every
 * kind except events, whose Name is the last, wide-only column.
 */
import type { KubeObject, TableColumn } from './types';
import {
  type Cell, type Rec, age, ageColumn, col, formatLabelSelector, formatLabels, humanDuration,
  int, list, nameColumn, num, parseTime, path, quantity, rec, rfc3339, text, wideSelector,
} from './printers-pod';

/** humanDuration formats a duration like apimachinery's duration.HumanDuration (see printers-pod.ts). */
export { humanDuration };

/**
 * defaultColumns is what kube-apiserver's default table convertor prints for a resource without
 * a dedicated printer (roles, clusterroles, limitranges, customresourcedefinitions, ...): Name
 * and Created At, the latter a date column holding the RFC3339 creation time.
 */
export function defaultColumns(): TableColumn[] {
  return [
    nameColumn(),
    col('Created At', 'date', 'Time the object was created (RFC3339, UTC).', (o) => rfc3339(o.metadata?.creationTimestamp)),
  ];
}

/** externalIP is the service External-IP cell, load-balancer addresses unclipped (the wide form). */
function externalIP(o: KubeObject): string {
  const spec = rec(o.spec);
  const external = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(text) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(path(o, 'status', 'loadBalancer', 'ingress'));
      if (external.length > 0) return [...lb, ...external].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return text(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** loadBalancerAddresses returns the sorted, de-duplicated IPs (else hostnames) of load-balancer ingress points. */
function loadBalancerAddresses(ingress: unknown): string[] {
  const set = new Set(list(ingress).map((i) => text(i.ip) || text(i.hostname)).filter((a) => a !== ''));
  return [...set].sort();
}

function servicePorts(o: KubeObject): string {
  const ports = list(path(o, 'spec', 'ports')).map((p) => {
    const protocol = text(p.protocol) || 'TCP';
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

/** moreList joins up to max items and notes how many more there were, as kube's list printers do. */
function moreList(items: string[], max: number, empty: string): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length > 0 ? items.join(',') : empty;
}

function formatEndpoints(o: KubeObject): string {
  const subsets = list(o.subsets);
  if (subsets.length === 0) return '<none>';
  const items: string[] = [];
  for (const ss of subsets) {
    const addresses = list(ss.addresses).map((a) => text(a.ip));
    const ports = list(ss.ports);
    // Headless services may have addresses without ports.
    if (ports.length === 0) items.push(...addresses);
    for (const p of ports) for (const ip of addresses) items.push(ip.includes(':') ? `[${ip}]:${int(p.port)}` : `${ip}:${int(p.port)}`);
  }
  return moreList(items, 3, '');
}

const ACCESS_MODES: Array<[string, string]> = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
function accessModes(modes: unknown): string {
  const have = Array.isArray(modes) ? modes : [];
  return ACCESS_MODES.filter(([mode]) => have.includes(mode)).map(([, short]) => short).join(',');
}

/** storageClassOf honours the beta annotation before spec.storageClassName, as kube's helpers do. */
function storageClassOf(o: KubeObject): string {
  return o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? text(path(o, 'spec', 'storageClassName'));
}

function storageColumns(kind: 'pv' | 'pvc'): TableColumn[] {
  const deleting = (o: KubeObject) => parseTime(o.metadata?.deletionTimestamp) !== undefined;
  const phase = (o: KubeObject) => (deleting(o) ? 'Terminating' : text(path(o, 'status', 'phase')));
  const bound = (o: KubeObject) => text(path(o, 'spec', 'volumeName')) !== '';
  const vac = col('VolumeAttributesClass', 'string', `VolumeAttributesClass of the ${kind}.`, (o) => text(path(o, 'spec', 'volumeAttributesClassName')) || '<unset>');
  const mode = col('VolumeMode', 'string', 'Block or Filesystem.', (o) => text(path(o, 'spec', 'volumeMode')) || '<unset>', 1);
  const cls = col('StorageClass', 'string', `StorageClass of the ${kind}.`, storageClassOf);
  if (kind === 'pv') {
    return [
      nameColumn(),
      col('Capacity', 'string', 'Storage capacity of the volume.', (o) => quantity(path(o, 'spec', 'capacity', 'storage'))),
      col('Access Modes', 'string', 'Ways the volume can be mounted.', (o) => accessModes(path(o, 'spec', 'accessModes'))),
      col('Reclaim Policy', 'string', 'What happens to the volume when released.', (o) => text(path(o, 'spec', 'persistentVolumeReclaimPolicy'))),
      col('Status', 'string', 'Phase of the volume.', phase),
      col('Claim', 'string', 'The claim bound to the volume.', (o) => {
        const ref = path(o, 'spec', 'claimRef');
        return ref === undefined ? '' : `${text(rec(ref).namespace)}/${text(rec(ref).name)}`;
      }),
      cls, vac,
      col('Reason', 'string', 'Why the volume is in its phase.', (o) => text(path(o, 'status', 'reason'))),
      ageColumn(), mode,
    ];
  }
  return [
    nameColumn(),
    col('Status', 'string', 'Phase of the claim.', phase),
    col('Volume', 'string', 'Volume bound to the claim.', (o) => text(path(o, 'spec', 'volumeName'))),
    col('Capacity', 'string', 'Capacity of the bound volume.', (o) => (bound(o) ? quantity(path(o, 'status', 'capacity', 'storage')) : '')),
    col('Access Modes', 'string', 'Access modes of the bound volume.', (o) => (bound(o) ? accessModes(path(o, 'status', 'accessModes')) : '')),
    cls, vac, ageColumn(), mode,
  ];
}

/** eventFields maps an events.k8s.io/v1 Event onto core v1 field names, as the server's conversion does. */
function eventFields(o: KubeObject): Rec {
  return {
    metadata: o.metadata, type: o.type, reason: o.reason, involvedObject: o.regarding, message: o.note,
    source: o.deprecatedSource, firstTimestamp: o.deprecatedFirstTimestamp, lastTimestamp: o.deprecatedLastTimestamp,
    count: o.deprecatedCount, eventTime: o.eventTime, series: o.series,
    reportingComponent: o.reportingController, reportingInstance: o.reportingInstance,
  };
}

function eventColumns(v1: (o: KubeObject) => Rec): TableColumn[] {
  const firstSeen = (e: Rec, now: Date) => age(parseTime(e.firstTimestamp) !== undefined ? e.firstTimestamp : e.eventTime, now);
  const lastSeen = (e: Rec, now: Date) => {
    if (e.series !== undefined) return age(rec(e.series).lastObservedTime, now);
    return parseTime(e.lastTimestamp) !== undefined ? age(e.lastTimestamp, now) : firstSeen(e, now);
  };
  const source = (e: Rec) => {
    const component = text(path(e, 'source', 'component')) || text(e.reportingComponent);
    const instance = text(path(e, 'source', 'host')) || text(e.reportingInstance);
    return instance === '' ? component : `${component}, ${instance}`;
  };
  const target = (e: Rec) => {
    const kind = text(path(e, 'involvedObject', 'kind')).toLowerCase();
    const name = text(path(e, 'involvedObject', 'name'));
    return name === '' ? kind : `${kind}/${name}`;
  };
  // Singleton events written through events.k8s.io have no count: they happened once.
  const count = (e: Rec) => (e.series !== undefined ? int(rec(e.series).count) : int(e.count) || 1);
  return [
    col('Last Seen', 'string', 'Time since the event was last seen.', (o, now) => lastSeen(v1(o), now)),
    col('Type', 'string', 'Normal or Warning.', (o) => text(v1(o).type)),
    col('Reason', 'string', 'Short machine-readable reason.', (o) => text(v1(o).reason)),
    col('Object', 'string', 'The object the event is about.', (o) => target(v1(o))),
    col('Subobject', 'string', 'Field path within the object.', (o) => text(path(v1(o), 'involvedObject', 'fieldPath')), 1),
    col('Source', 'string', 'Component (and host) reporting the event.', (o) => source(v1(o)), 1),
    col('Message', 'string', 'Human-readable description.', (o) => text(v1(o).message).trim()),
    col('First Seen', 'string', 'Time since the event was first seen.', (o, now) => firstSeen(v1(o), now), 1),
    col('Count', 'string', 'How many times the event occurred.', (o) => count(v1(o)), 1),
    nameColumn(1),
  ];
}

interface MetricPair { spec: Rec; status?: Rec }

/** hpaMetrics returns metric specs with their statuses, turning autoscaling/v1's CPU fields into a Resource metric. */
function hpaMetrics(o: KubeObject): MetricPair[] {
  const spec = rec(o.spec);
  const status = rec(o.status);
  if (Array.isArray(spec.metrics)) {
    const current = list(status.currentMetrics);
    return list(spec.metrics).map((m, i) => ({ spec: m, status: current[i] }));
  }
  if (typeof spec.targetCPUUtilizationPercentage !== 'number') return [];
  const cur = status.currentCPUUtilizationPercentage;
  return [{
    spec: { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } },
    status: typeof cur === 'number' ? { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cur } } } : undefined,
  }];
}

function formatHPAMetric({ spec, status }: MetricPair): string {
  const key = ({ Resource: 'resource', ContainerResource: 'containerResource', Pods: 'pods', Object: 'object', External: 'external' } as Record<string, string>)[text(spec.type)];
  if (key === undefined) return '<unknown type>';
  const target = rec(path(spec, key, 'target'));
  const current = status === undefined ? undefined : rec(path(status, key, 'current'));
  const has = (v: unknown) => v !== undefined && v !== null;
  const value = (field: string) => (current !== undefined && has(current[field]) ? quantity(current[field]) : '<unknown>');
  if (key === 'pods') return `${value('averageValue')}/${quantity(target.averageValue)}`;
  if (key === 'object' || key === 'external') {
    return has(target.averageValue) ? `${value('averageValue')}/${quantity(target.averageValue)} (avg)` : `${value('value')}/${quantity(target.value)}`;
  }
  const resource = text(path(spec, key, 'name'));
  if (has(target.averageValue)) return `${resource}: ${value('averageValue')}/${quantity(target.averageValue)}`;
  const cur = current !== undefined && has(current.averageUtilization) ? `${int(current.averageUtilization)}%` : '<unknown>';
  const want = has(target.averageUtilization) ? `${int(target.averageUtilization)}%` : '<auto>';
  return `${resource}: ${cur}/${want}`;
}

function hpaTargets(o: KubeObject): string {
  const metrics = hpaMetrics(o);
  if (metrics.length === 0) return '<none>';
  const shown = metrics.slice(0, 2).map(formatHPAMetric).join(', ');
  return metrics.length > 2 ? `${shown} + ${metrics.length - 2} more...` : shown;
}

function resourceQuotaColumn(which: 'requests' | 'limits'): Cell {
  return (o) => {
    const hard = rec(path(o, 'status', 'hard'));
    const used = rec(path(o, 'status', 'used'));
    return Object.keys(hard).sort()
      .filter((r) => (r.includes('.') && r.split('.')[0] === 'limits') === (which === 'limits'))
      .map((r) => `${r}: ${quantity(used[r])}/${quantity(hard[r])}`)
      .join(', ');
  };
}

function nodeStatus(o: KubeObject): string {
  const ready = list(path(o, 'status', 'conditions')).filter((c) => c.type === 'Ready').pop();
  const status = ready === undefined ? ['Unknown'] : [ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (path(o, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

const nodeAddress = (type: string): Cell => (o) => text(list(path(o, 'status', 'addresses')).find((a) => a.type === type)?.address) || '<none>';
const nodeInfo = (field: string): Cell => (o) => text(path(o, 'status', 'nodeInfo', field)) || '<unknown>';

function ingressHosts(o: KubeObject): string {
  const rules = list(path(o, 'spec', 'rules'));
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === 3) more = true;
    if (!more && text(rule.host) !== '') hosts.push(text(rule.host));
  }
  if (hosts.length === 0) return '*';
  // kube counts every rule, hostless ones included, in the "+ N more" tail.
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

function bindingSubjects(kind: string): Cell {
  return (o) => list(o.subjects).filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${text(s.namespace)}/${text(s.name)}` : text(s.name))).join(', ');
}

function bindingColumns(scope: string): TableColumn[] {
  return [
    nameColumn(),
    col('Role', 'string', 'The role the subjects are bound to.', (o) => `${text(path(o, 'roleRef', 'kind'))}/${text(path(o, 'roleRef', 'name'))}`),
    ageColumn(),
    col('Users', 'string', `Users in the ${scope}.`, bindingSubjects('User'), 1),
    col('Groups', 'string', `Groups in the ${scope}.`, bindingSubjects('Group'), 1),
    col('ServiceAccounts', 'string', `ServiceAccounts in the ${scope}.`, bindingSubjects('ServiceAccount'), 1),
  ];
}

function csrCondition(o: KubeObject): string {
  const types = new Set(list(path(o, 'status', 'conditions')).map((c) => text(c.type)));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (text(path(o, 'status', 'certificate')) !== '') status += ',Issued';
  return status;
}

function controllerOf(o: KubeObject): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (ref === undefined) return '<none>';
  const apiVersion = text(ref.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const kind = text(ref.kind);
  const groupKind = group === '' ? kind : `${kind}.${group}`;
  return groupKind === '' ? text(ref.name) : `${groupKind.toLowerCase()}/${text(ref.name)}`;
}

const isDefaultClass = (o: KubeObject): boolean =>
  o.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ||
  o.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

const boolOr = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
const intOrString = (v: unknown): string => (v === undefined || v === null ? 'N/A' : quantity(v));

/** serviceColumns are kube's printer columns for services. */
export const serviceColumns = (): TableColumn[] => [
  nameColumn(),
  col('Type', 'string', 'How the service is exposed.', (o) => text(path(o, 'spec', 'type'))),
  col('Cluster-IP', 'string', 'Cluster IP address of the service.', (o) => {
    const ips = path(o, 'spec', 'clusterIPs');
    return (Array.isArray(ips) && ips.length > 0 ? text(ips[0]) : text(path(o, 'spec', 'clusterIP'))) || '<none>';
  }),
  col('External-IP', 'string', 'External addresses of the service.', externalIP),
  col('Port(s)', 'string', 'Ports the service exposes.', servicePorts),
  ageColumn(),
  wideSelector('Label query over pods.', (o) => formatLabels(path(o, 'spec', 'selector'))),
];

/** endpointsColumns are kube's printer columns for endpoints. */
export const endpointsColumns = (): TableColumn[] => [nameColumn(), col('Endpoints', 'string', 'Addresses and ports of the endpoints.', formatEndpoints), ageColumn()];

/** nodeColumns are kube's printer columns for nodes. */
export const nodeColumns = (): TableColumn[] => [
  nameColumn(),
  col('Status', 'string', 'The status of the node.', nodeStatus),
  col('Roles', 'string', 'The roles of the node.', nodeRoles),
  ageColumn(),
  col('Version', 'string', 'Kubelet version.', (o) => text(path(o, 'status', 'nodeInfo', 'kubeletVersion'))),
  col('Internal-IP', 'string', 'Internal address of the node.', nodeAddress('InternalIP'), 1),
  col('External-IP', 'string', 'External address of the node.', nodeAddress('ExternalIP'), 1),
  col('OS-Image', 'string', 'Operating system image.', nodeInfo('osImage'), 1),
  col('Kernel-Version', 'string', 'Kernel version.', nodeInfo('kernelVersion'), 1),
  col('Container-Runtime', 'string', 'Container runtime version.', nodeInfo('containerRuntimeVersion'), 1),
];

/** coreEventColumns are kube's printer columns for events. */
export const coreEventColumns = (): TableColumn[] => eventColumns((o) => o);

/** eventsV1Columns are kube's printer columns for events.k8s.io/events. */
export const eventsV1Columns = (): TableColumn[] => eventColumns(eventFields);

/** namespaceColumns are kube's printer columns for namespaces. */
export const namespaceColumns = (): TableColumn[] => [nameColumn(), col('Status', 'string', 'The status of the namespace.', (o) => text(path(o, 'status', 'phase'))), ageColumn()];

/** secretColumns are kube's printer columns for secrets. */
export const secretColumns = (): TableColumn[] => [
  nameColumn(),
  col('Type', 'string', 'Type of the secret.', (o) => text(o.type)),
  col('Data', 'string', 'Number of data keys.', (o) => Object.keys(rec(o.data)).length),
  ageColumn(),
];

/** serviceAccountColumns are kube's printer columns for serviceaccounts. */
export const serviceAccountColumns = (): TableColumn[] => [nameColumn(), col('Secrets', 'string', 'Number of referenced secrets.', (o) => list(o.secrets).length), ageColumn()];

/** persistentVolumeColumns are kube's printer columns for persistentvolumes. */
export const persistentVolumeColumns = (): TableColumn[] => storageColumns('pv');

/** persistentVolumeClaimColumns are kube's printer columns for persistentvolumeclaims. */
export const persistentVolumeClaimColumns = (): TableColumn[] => storageColumns('pvc');

/** configMapColumns are kube's printer columns for configmaps. */
export const configMapColumns = (): TableColumn[] => [
  nameColumn(),
  col('Data', 'string', 'Number of data and binaryData keys.', (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length),
  ageColumn(),
];

/** resourceQuotaColumns are kube's printer columns for resourcequotas. */
// 1.32 prints AGE before REQUEST and LIMIT; 1.33 moved it to the end.
export const resourceQuotaColumns = (): TableColumn[] => [
  nameColumn(), ageColumn(),
  col('Request', 'string', 'Used/hard of the non-limit resources.', resourceQuotaColumn('requests')),
  col('Limit', 'string', 'Used/hard of the limits.* resources.', resourceQuotaColumn('limits')),
];

/** controllerRevisionColumns are kube's printer columns for apps/controllerrevisions. */
export const controllerRevisionColumns = (): TableColumn[] => [
  nameColumn(),
  col('Controller', 'string', 'Controller of the object.', controllerOf),
  col('Revision', 'string', 'Revision number.', (o) => int(o.revision)),
  ageColumn(),
];

/** horizontalPodAutoscalerColumns are kube's printer columns for autoscaling/horizontalpodautoscalers. */
export const horizontalPodAutoscalerColumns = (): TableColumn[] => [
  nameColumn(),
  col('Reference', 'string', 'The scaled target.', (o) => `${text(path(o, 'spec', 'scaleTargetRef', 'kind'))}/${text(path(o, 'spec', 'scaleTargetRef', 'name'))}`),
  col('Targets', 'string', 'Current/target of each metric.', hpaTargets),
  col('MinPods', 'string', 'Lower replica limit.', (o) => (typeof path(o, 'spec', 'minReplicas') === 'number' ? String(int(path(o, 'spec', 'minReplicas'))) : '<unset>')),
  col('MaxPods', 'string', 'Upper replica limit.', (o) => int(path(o, 'spec', 'maxReplicas'))),
  col('Replicas', 'string', 'Current number of replicas.', (o) => int(path(o, 'status', 'currentReplicas'))),
  ageColumn(),
];

/** podDisruptionBudgetColumns are kube's printer columns for policy/poddisruptionbudgets. */
export const podDisruptionBudgetColumns = (): TableColumn[] => [
  nameColumn(),
  col('Min Available', 'string', 'The minimum number of pods that must be available.', (o) => intOrString(path(o, 'spec', 'minAvailable'))),
  col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.', (o) => intOrString(path(o, 'spec', 'maxUnavailable'))),
  num('Pods that may be disrupted now.', 'Allowed Disruptions', 'status', 'disruptionsAllowed'),
  ageColumn(),
];

/** ingressColumns are kube's printer columns for networking.k8s.io/ingresses. */
export const ingressColumns = (): TableColumn[] => [
  nameColumn(),
  col('Class', 'string', 'IngressClass of the ingress.', (o) => text(path(o, 'spec', 'ingressClassName')) || '<none>'),
  col('Hosts', 'string', 'Hosts the rules match.', ingressHosts),
  col('Address', 'string', 'Load-balancer addresses.', (o) => loadBalancerAddresses(path(o, 'status', 'loadBalancer', 'ingress')).join(',')),
  col('Ports', 'string', 'Ports the ingress opens.', (o) => (list(path(o, 'spec', 'tls')).length > 0 ? '80, 443' : '80')),
  ageColumn(),
];

/** ingressClassColumns are kube's printer columns for networking.k8s.io/ingressclasses. */
export const ingressClassColumns = (): TableColumn[] => [
  nameColumn(),
  col('Controller', 'string', 'Controller that handles this class.', (o) => text(path(o, 'spec', 'controller'))),
  col('Parameters', 'string', 'Reference to extra parameters.', (o) => {
    const p = path(o, 'spec', 'parameters');
    if (p === undefined) return '<none>';
    const group = rec(p).apiGroup;
    return `${text(rec(p).kind)}${typeof group === 'string' ? `.${group}` : ''}/${text(rec(p).name)}`;
  }),
  ageColumn(),
];

/** networkPolicyColumns are kube's printer columns for networking.k8s.io/networkpolicies. */
export const networkPolicyColumns = (): TableColumn[] => [
  nameColumn(),
  col('Pod-Selector', 'string', 'Pods the policy applies to.', (o) => formatLabelSelector(rec(path(o, 'spec', 'podSelector')))),
  ageColumn(),
];

/** storageClassColumns are kube's printer columns for storage.k8s.io/storageclasses. */
export const storageClassColumns = (): TableColumn[] => [
  nameColumn(0, (o) => `${text(o.metadata?.name)}${isDefaultClass(o) ? ' (default)' : ''}`),
  col('Provisioner', 'string', 'Volume plugin that provisions volumes.', (o) => text(o.provisioner)),
  col('ReclaimPolicy', 'string', 'Reclaim policy of provisioned volumes.', (o) => text(o.reclaimPolicy) || 'Delete'),
  col('VolumeBindingMode', 'string', 'When volumes are bound.', (o) => text(o.volumeBindingMode) || 'Immediate'),
  col('AllowVolumeExpansion', 'string', 'Whether volumes can be expanded.', (o) => boolOr(o.allowVolumeExpansion, false)),
  ageColumn(),
];

/** csiDriverColumns are kube's printer columns for storage.k8s.io/csidrivers. */
export const csiDriverColumns = (): TableColumn[] => [
  nameColumn(),
  col('AttachRequired', 'boolean', 'Whether the driver needs attach.', (o) => boolOr(path(o, 'spec', 'attachRequired'), true)),
  col('PodInfoOnMount', 'boolean', 'Whether pod info is passed on mount.', (o) => boolOr(path(o, 'spec', 'podInfoOnMount'), false)),
  col('StorageCapacity', 'boolean', 'Whether capacity is tracked.', (o) => boolOr(path(o, 'spec', 'storageCapacity'), false)),
  col('TokenRequests', 'string', 'Audiences of requested tokens.', (o) => {
    const t = path(o, 'spec', 'tokenRequests');
    return Array.isArray(t) ? list(t).map((r) => text(r.audience)).join(',') : '<unset>';
  }),
  col('RequiresRepublish', 'boolean', 'Whether volumes are remounted periodically.', (o) => boolOr(path(o, 'spec', 'requiresRepublish'), false)),
  col('Modes', 'string', 'Supported volume lifecycle modes.', (o) => {
    const m = path(o, 'spec', 'volumeLifecycleModes');
    return (Array.isArray(m) ? m.map(text).join(',') : '') || '<none>';
  }),
  ageColumn(),
];

/** csiNodeColumns are kube's printer columns for storage.k8s.io/csinodes. */
export const csiNodeColumns = (): TableColumn[] => [
  nameColumn(),
  col('Drivers', 'integer', 'Number of CSI drivers registered on the node.', (o) => list(path(o, 'spec', 'drivers')).length),
  ageColumn(),
];

/** csiStorageCapacityColumns are kube's printer columns for storage.k8s.io/csistoragecapacities. */
export const csiStorageCapacityColumns = (): TableColumn[] => [
  nameColumn(),
  col('StorageClassName', 'string', 'StorageClass the capacity is for.', (o) => text(o.storageClassName)),
  col('Capacity', 'string', 'Available capacity.', (o) => (o.capacity === undefined ? '<unset>' : quantity(o.capacity))),
];

/** volumeAttachmentColumns are kube's printer columns for storage.k8s.io/volumeattachments. */
export const volumeAttachmentColumns = (): TableColumn[] => [
  nameColumn(),
  col('Attacher', 'string', 'Driver that attaches the volume.', (o) => text(path(o, 'spec', 'attacher')), 0, 'name'),
  col('PV', 'string', 'Persistent volume to attach.', (o) => text(path(o, 'spec', 'source', 'persistentVolumeName'))),
  col('Node', 'string', 'Node to attach to.', (o) => text(path(o, 'spec', 'nodeName'))),
  col('Attached', 'boolean', 'Whether the volume is attached.', (o) => path(o, 'status', 'attached') === true),
  ageColumn(),
];

/** priorityClassColumns are kube's printer columns for scheduling.k8s.io/priorityclasses. */
export const priorityClassColumns = (): TableColumn[] => [
  nameColumn(),
  col('Value', 'integer', 'Priority value.', (o) => int(o.value)),
  col('Global-Default', 'boolean', 'Whether this is the default priority.', (o) => o.globalDefault === true),
  ageColumn(),
  // Not marked wide in kube, and the server always fills it, so kubectl shows it by default.
  col('PreemptionPolicy', 'string', 'Whether pods of this class preempt others.', (o) => text(o.preemptionPolicy)),
];

/** runtimeClassColumns are kube's printer columns for node.k8s.io/runtimeclasses. */
export const runtimeClassColumns = (): TableColumn[] => [nameColumn(), col('Handler', 'string', 'CRI handler of the runtime.', (o) => text(o.handler)), ageColumn()];

/** roleBindingColumns are kube's printer columns for rbac.authorization.k8s.io/rolebindings. */
export const roleBindingColumns = (): TableColumn[] => bindingColumns('roleBinding');

/** clusterRoleBindingColumns are kube's printer columns for rbac.authorization.k8s.io/clusterrolebindings. */
export const clusterRoleBindingColumns = (): TableColumn[] => bindingColumns('clusterRoleBinding');

/** mutatingWebhookConfigurationColumns are kube's printer columns for admissionregistration.k8s.io/mutatingwebhookconfigurations. */
export const mutatingWebhookConfigurationColumns = (): TableColumn[] => [
  nameColumn(), col('Webhooks', 'integer', 'Number of webhooks in the configuration.', (o) => list(o.webhooks).length), ageColumn(),
];

/** validatingWebhookConfigurationColumns are kube's printer columns for admissionregistration.k8s.io/validatingwebhookconfigurations. */
export const validatingWebhookConfigurationColumns = (): TableColumn[] => [
  nameColumn(), col('Webhooks', 'integer', 'Number of webhooks in the configuration.', (o) => list(o.webhooks).length), ageColumn(),
];

/** certificateSigningRequestColumns are kube's printer columns for certificates.k8s.io/certificatesigningrequests. */
export const certificateSigningRequestColumns = (): TableColumn[] => [
  nameColumn(), ageColumn(),
  col('SignerName', 'string', 'Signer the request is for.', (o) => text(path(o, 'spec', 'signerName')) || '<none>'),
  col('Requestor', 'string', 'User who created the request.', (o) => text(path(o, 'spec', 'username'))),
  col('RequestedDuration', 'string', 'Requested validity of the certificate.', (o) => {
    const s = path(o, 'spec', 'expirationSeconds');
    return typeof s === 'number' ? humanDuration(s * 1000) : '<none>';
  }),
  col('Condition', 'string', 'Approval state of the request.', csrCondition),
];

/** leaseColumns are kube's printer columns for coordination.k8s.io/leases. */
export const leaseColumns = (): TableColumn[] => [
  nameColumn(), col('Holder', 'string', 'Current holder of the lease.', (o) => text(path(o, 'spec', 'holderIdentity'))), ageColumn(),
];

/** endpointSliceColumns are kube's printer columns for discovery.k8s.io/endpointslices. */
export const endpointSliceColumns = (): TableColumn[] => [
  nameColumn(),
  col('AddressType', 'string', 'IPv4, IPv6 or FQDN.', (o) => text(o.addressType)),
  col('Ports', 'string', 'Ports of the slice.', (o) => moreList(list(o.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : typeof p.name === 'string' ? p.name : '*')), 3, '<unset>')),
  col('Endpoints', 'string', 'Addresses of the slice.', (o) => moreList(list(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(text) : [])), 3, '<unset>')),
  ageColumn(),
];

/** validatingAdmissionPolicyColumns are kube's printer columns for admissionregistration.k8s.io/validatingadmissionpolicies. */
export const validatingAdmissionPolicyColumns = (): TableColumn[] => [
  nameColumn(),
  col('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration', (o) => list(path(o, 'spec', 'validations')).length),
  col('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy', (o) => {
    const pk = path(o, 'spec', 'paramKind') as { apiVersion?: string; kind?: string } | undefined;
    return pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>';
  }),
  ageColumn(),
];

/** validatingAdmissionPolicyBindingColumns are kube's printer columns for admissionregistration.k8s.io/validatingadmissionpolicybindings. */
export const validatingAdmissionPolicyBindingColumns = (): TableColumn[] => [
  nameColumn(),
  col('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to', (o) => text(path(o, 'spec', 'policyName'))),
  col('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param', (o) => {
    const ref = path(o, 'spec', 'paramRef') as { namespace?: string; name?: string } | undefined;
    if (!ref?.name) return '<unset>';
    return ref.namespace ? `${ref.namespace}/${ref.name}` : `*/${ref.name}`;
  }),
  ageColumn(),
];
