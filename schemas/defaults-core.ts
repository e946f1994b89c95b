/**
 * Defaulting of core/v1 objects as the v1 SetDefaults_* functions (pkg/apis/core/v1/defaults.go)
 * and the declarative +default markers of k8s.io/api/core/v1 do it. Each function mutates in
 * place and never overwrites a value the client set. Pod templates get the PodSpec, container,
 * probe, volume and field-selector defaults; only a Pod itself gets SetDefaults_Pod's
 * (requests from limits, enableServiceLinks, host ports under hostNetwork), as in kube.
 */
import type { KubeObject } from './types';
import { isPlainObject as isObj } from './meta/json';

type Obj = Record<string, unknown>;

const objAt = (o: Obj, k: string): Obj => (isObj(o[k]) ? (o[k] as Obj) : ((o[k] = {}) as Obj));
const list = (o: unknown, k: string): Obj[] => (isObj(o) && Array.isArray(o[k]) ? (o[k] as unknown[]).filter(isObj) : []);
const setDefault = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};
// setIfEmpty is for Go string fields, where "" means unset as much as a missing field does.
const setIfEmpty = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
};

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

/**
 * imagePullPolicyFor is SetDefaults_Container's rule: Always for a ":latest" or untagged image,
 * IfNotPresent otherwise (a digest, any other tag, or an image reference that does not parse).
 */
export function imagePullPolicyFor(image: unknown): string {
  if (typeof image !== 'string' || image === '') return 'IfNotPresent';
  const [ref, digest] = image.split('@');
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > lastSlash ? ref.slice(colon + 1) : '';
  const repository = colon > lastSlash ? ref.slice(0, colon) : ref;
  // A repository with capitals or blanks does not parse; kube then falls back to IfNotPresent.
  if (/[A-Z\s]/.test(repository.slice(repository.indexOf('/') + 1))) return 'IfNotPresent';
  if (tag === 'latest') return 'Always';
  return tag || digest ? 'IfNotPresent' : 'Always';
}

function httpGetDefaults(h: unknown): void {
  if (!isObj(h)) return;
  setIfEmpty(h, 'path', '/');
  setIfEmpty(h, 'scheme', 'HTTP');
}

// fieldRefDefaults is SetDefaults_ObjectFieldSelector, and the zero divisor a ResourceFieldSelector serializes.
function fieldRefDefaults(holder: unknown): void {
  if (!isObj(holder)) return;
  if (isObj(holder.fieldRef)) setIfEmpty(holder.fieldRef, 'apiVersion', 'v1');
  if (isObj(holder.resourceFieldRef)) setDefault(holder.resourceFieldRef, 'divisor', '0');
}

/** containerDefaults is SetDefaults_Container with its ports, probes, lifecycle handlers and env. */
export function containerDefaults(c: Obj): void {
  setIfEmpty(c, 'imagePullPolicy', imagePullPolicyFor(c.image));
  setIfEmpty(c, 'terminationMessagePath', '/dev/termination-log');
  setIfEmpty(c, 'terminationMessagePolicy', 'File');
  for (const p of list(c, 'ports')) setIfEmpty(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (!isObj(pr)) continue;
    for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
      if (pr[k] === undefined || pr[k] === null || pr[k] === 0) pr[k] = v;
    }
    httpGetDefaults(pr.httpGet);
  }
  if (isObj(c.lifecycle)) for (const h of ['postStart', 'preStop']) if (isObj(c.lifecycle[h])) httpGetDefaults((c.lifecycle[h] as Obj).httpGet);
  for (const e of list(c, 'env')) fieldRefDefaults(e.valueFrom);
}

function downwardItemsDefaults(src: unknown): void {
  for (const item of list(src, 'items')) fieldRefDefaults(item);
}

/** volumeDefaults is SetDefaults_Volume and the defaults of each volume source. */
export function volumeDefaults(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const src of ['configMap', 'secret', 'downwardAPI', 'projected']) if (isObj(v[src])) setDefault(v[src] as Obj, 'defaultMode', 420);
  if (isObj(v.hostPath)) setDefault(v.hostPath, 'type', '');
  if (isObj(v.downwardAPI)) downwardItemsDefaults(v.downwardAPI);
  if (isObj(v.projected)) {
    for (const s of list(v.projected, 'sources')) {
      if (isObj(s.serviceAccountToken)) setDefault(s.serviceAccountToken, 'expirationSeconds', 3600);
      if (isObj(s.downwardAPI)) downwardItemsDefaults(s.downwardAPI);
    }
  }
  if (isObj(v.iscsi)) setIfEmpty(v.iscsi, 'iscsiInterface', 'default');
  if (isObj(v.rbd)) {
    setIfEmpty(v.rbd, 'pool', 'rbd');
    setIfEmpty(v.rbd, 'user', 'admin');
    setIfEmpty(v.rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(v.azureDisk)) {
    setIfEmpty(v.azureDisk, 'cachingMode', 'ReadWrite');
    setIfEmpty(v.azureDisk, 'fsType', 'ext4');
    setDefault(v.azureDisk, 'readOnly', false);
    setIfEmpty(v.azureDisk, 'kind', 'Shared');
  }
  if (isObj(v.scaleIO)) {
    setIfEmpty(v.scaleIO, 'storageMode', 'ThinProvisioned');
    setIfEmpty(v.scaleIO, 'fsType', 'xfs');
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    const spec = (v.ephemeral.volumeClaimTemplate as Obj).spec;
    if (isObj(spec)) setDefault(spec, 'volumeMode', 'Filesystem');
  }
}

/** podSpecDefaults is SetDefaults_PodSpec with the defaults of every container and volume in it. */
export function podSpecDefaults(spec: Obj): void {
  setIfEmpty(spec, 'dnsPolicy', 'ClusterFirst');
  setIfEmpty(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setIfEmpty(spec, 'schedulerName', 'default-scheduler');
  for (const k of ['containers', 'initContainers', 'ephemeralContainers']) for (const c of list(spec, k)) containerDefaults(c);
  for (const v of list(spec, 'volumes')) volumeDefaults(v);
}

/** podOnlyDefaults is SetDefaults_Pod: what a Pod gets beyond its spec's defaults (templates do not). */
export function podOnlyDefaults(spec: Obj): void {
  for (const k of ['containers', 'initContainers']) {
    for (const c of list(spec, k)) {
      const resources = c.resources;
      if (!isObj(resources) || !isObj(resources.limits)) continue;
      const requests = objAt(resources, 'requests');
      for (const [name, q] of Object.entries(resources.limits)) if (!(name in requests)) requests[name] = q;
    }
  }
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const k of ['containers', 'initContainers']) {
      for (const c of list(spec, k)) for (const p of list(c, 'ports')) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

/** replicationControllerDefaults is SetDefaults_ReplicationController: selector and labels from the template, one replica. */
export function replicationControllerDefaults(rc: KubeObject): void {
  const spec = objAt(rc as Obj, 'spec');
  const template = isObj(spec.template) ? spec.template : undefined;
  const labels = template && isObj(template.metadata) && isObj(template.metadata.labels) ? (template.metadata.labels as Obj) : undefined;
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = (rc.metadata ??= {});
    if (!meta.labels || Object.keys(meta.labels).length === 0) meta.labels = { ...labels } as Record<string, string>;
  }
  setDefault(spec, 'replicas', 1);
  if (template) {
    podSpecDefaults(objAt(template, 'spec'));
    if (isObj(template.metadata)) delete template.metadata.creationTimestamp;
  }
}

/** serviceDefaults is SetDefaults_Service, but for allocateLoadBalancerNodePorts (false: there are no nodes). */
export function serviceDefaults(svc: KubeObject): void {
  const spec = objAt(svc as Obj, 'spec');
  setIfEmpty(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const ip = isObj(cfg) && isObj(cfg.clientIP) ? cfg.clientIP : undefined;
    if (!ip || typeof ip.timeoutSeconds !== 'number') spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setIfEmpty(spec, 'type', 'ClusterIP');
  for (const p of list(spec, 'ports')) {
    setIfEmpty(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setIfEmpty(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') {
    // kube defaults it to true; nodeless has no nodes to open node ports on, so a LoadBalancer
    // gets none (and an explicit true is refused by the allocation in the registry).
    setDefault(spec, 'allocateLoadBalancerNodePorts', false);
    const status = (svc as Obj).status;
    const ingress = isObj(status) && isObj(status.loadBalancer) ? list(status.loadBalancer, 'ingress') : [];
    for (const ing of ingress) if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
  }
}

/** namespaceDefaults is SetDefaults_Namespace: the kubernetes.io/metadata.name label carries the name. */
export function namespaceDefaults(ns: KubeObject): void {
  const name = ns.metadata?.name;
  if (!name) return;
  ns.metadata!.labels = { ...(ns.metadata!.labels ?? {}), 'kubernetes.io/metadata.name': name };
}
