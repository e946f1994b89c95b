/**
 * Defaulting of built-in kinds: the values kube-apiserver fills in when a client leaves them out
 * (the v1 SetDefaults_* functions), so stored objects look the same as on a real cluster.
 * Each function mutates in place and never overwrites a value the client set.
 */
import { isPlainObject as isObj } from './meta/json';
import type { KubeObject } from './types';
import { podOnlyDefaults, podSpecDefaults } from './defaults-core';
import { cronJobDefaults, jobDefaults, statefulSetClaimDefaults } from './defaults-workloads';

export { podSpecDefaults };

type Obj = Record<string, unknown>;

const objAt = (o: Obj, k: string): Obj => (isObj(o[k]) ? (o[k] as Obj) : ((o[k] = {}) as Obj));
const setDefault = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};

function templateDefaults(spec: Obj): void {
  const template = objAt(spec, 'template');
  const tspec = objAt(template, 'spec');
  podSpecDefaults(tspec);
  const meta = template.metadata;
  if (isObj(meta)) delete meta.creationTimestamp;
}

// limitRangeItemDefaults: a Container limit's default falls back to max, and its default
// request to the default, then to min (SetDefaults_LimitRangeItem).
function limitRangeItemDefaults(item: Obj): void {
  if (item.type !== 'Container') return;
  const defaults: Obj = { ...(isObj(item.default) ? item.default : {}) };
  const requests: Obj = { ...(isObj(item.defaultRequest) ? item.defaultRequest : {}) };
  for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) setDefault(defaults, k, v);
  for (const [k, v] of Object.entries(defaults)) setDefault(requests, k, v);
  for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) setDefault(requests, k, v);
  if (Object.keys(defaults).length) item.default = defaults;
  if (Object.keys(requests).length) item.defaultRequest = requests;
}

// portProtocolDefaults gives every port of a list the TCP protocol unless it names one.
function portProtocolDefaults(ports: unknown): void {
  if (Array.isArray(ports)) for (const p of ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
}

/** defaultPodTemplate fills the defaults of podtemplates. */
export function defaultPodTemplate(pt: KubeObject): void {
  templateDefaults(pt as Obj);
}

/** defaultEndpoints fills the defaults of endpoints. */
export function defaultEndpoints(ep: KubeObject): void {
  const subsets = (ep as Obj).subsets;
  if (Array.isArray(subsets)) for (const s of subsets) if (isObj(s)) portProtocolDefaults(s.ports);
}

/** defaultLimitRange fills the defaults of limitranges. */
export function defaultLimitRange(lr: KubeObject): void {
  const limits = (objAt(lr as Obj, 'spec').limits ?? []) as unknown[];
  if (Array.isArray(limits)) for (const item of limits) if (isObj(item)) limitRangeItemDefaults(item);
}

/** defaultPersistentVolume fills the defaults of persistentvolumes. */
export function defaultPersistentVolume(pv: KubeObject): void {
  const spec = objAt(pv as Obj, 'spec');
  setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  setDefault(objAt(pv as Obj, 'status'), 'phase', 'Pending');
}

/** defaultPersistentVolumeClaim fills the defaults of persistentvolumeclaims. */
export function defaultPersistentVolumeClaim(pvc: KubeObject): void {
  setDefault(objAt(pvc as Obj, 'spec'), 'volumeMode', 'Filesystem');
  setDefault(objAt(pvc as Obj, 'status'), 'phase', 'Pending');
}

/** defaultEndpointSlice fills the defaults of discovery.k8s.io/endpointslices. */
export function defaultEndpointSlice(eps: KubeObject): void {
  const ports = (eps as Obj).ports;
  if (Array.isArray(ports)) for (const p of ports) if (isObj(p)) setDefault(p, 'name', ''), setDefault(p, 'protocol', 'TCP');
}

/** defaultStorageClass fills the defaults of storage.k8s.io/storageclasses. */
export function defaultStorageClass(sc: KubeObject): void {
  setDefault(sc as Obj, 'reclaimPolicy', 'Delete');
  setDefault(sc as Obj, 'volumeBindingMode', 'Immediate');
}

/** defaultCSIDriver fills the defaults of storage.k8s.io/csidrivers. */
export function defaultCSIDriver(driver: KubeObject): void {
  const spec = objAt(driver as Obj, 'spec');
  setDefault(spec, 'attachRequired', true);
  setDefault(spec, 'podInfoOnMount', false);
  setDefault(spec, 'storageCapacity', false);
  setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
  setDefault(spec, 'requiresRepublish', false);
  setDefault(spec, 'seLinuxMount', false);
  if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
}

/** defaultPod fills the defaults of pods. */
export function defaultPod(pod: KubeObject): void {
  const spec = objAt(pod as Obj, 'spec');
  podSpecDefaults(spec);
  podOnlyDefaults(spec);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName);
}

/** defaultSecret fills the defaults of secrets. */
export function defaultSecret(secret: KubeObject): void {
  const s = secret as Obj;
  setDefault(s, 'type', 'Opaque');
  // stringData is write-only: it is merged into data (base64) and never stored.
  if (isObj(s.stringData)) {
    const data = objAt(s, 'data');
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
  }
  delete s.stringData;
}

/** defaultDeployment fills the defaults of apps/deployments. */
export function defaultDeployment(d: KubeObject): void {
  const spec = objAt(d as Obj, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = objAt(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = objAt(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  templateDefaults(spec);
}

/** defaultReplicaSet fills the defaults of apps/replicasets. */
export function defaultReplicaSet(rs: KubeObject): void {
  const spec = objAt(rs as Obj, 'spec');
  setDefault(spec, 'replicas', 1);
  templateDefaults(spec);
}

/** defaultStatefulSet fills the defaults of apps/statefulsets. */
export function defaultStatefulSet(sts: KubeObject): void {
  const spec = objAt(sts as Obj, 'spec');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = objAt(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setDefault(objAt(strategy, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'revisionHistoryLimit', 10);
  statefulSetClaimDefaults(sts);
  templateDefaults(spec);
}

/** defaultDaemonSet fills the defaults of apps/daemonsets. */
export function defaultDaemonSet(ds: KubeObject): void {
  const spec = objAt(ds as Obj, 'spec');
  const strategy = objAt(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = objAt(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  templateDefaults(spec);
}

/** defaultJob fills the defaults of batch/jobs. */
export function defaultJob(job: KubeObject): void {
  jobDefaults(job);
  templateDefaults(objAt(job as Obj, 'spec'));
}

/** defaultCronJob fills the defaults of batch/cronjobs. */
export function defaultCronJob(cj: KubeObject): void {
  cronJobDefaults(cj);
  templateDefaults(objAt(objAt(objAt(cj as Obj, 'spec'), 'jobTemplate'), 'spec'));
}

