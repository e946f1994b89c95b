/**
 * Defaulting of built-in kinds: the values kube-apiserver fills in when a client leaves them out
 * (the v1 SetDefaults_* functions), so stored objects look the same as on a real cluster.
 * Each function mutates in place and never overwrites a value the client set.
 */
import type { KubeObject } from './types';
import { cronJobDefaults, hpaDefaults, jobDefaults, statefulSetClaimDefaults } from './defaults-workloads';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const objAt = (o: Obj, k: string): Obj => (isObj(o[k]) ? (o[k] as Obj) : ((o[k] = {}) as Obj));
const setDefault = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};

function containerDefaults(c: Obj): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const ref = c.image.split('@')[0];
    const lastSlash = ref.lastIndexOf('/');
    const tag = ref.lastIndexOf(':') > lastSlash ? ref.slice(ref.lastIndexOf(':') + 1) : '';
    c.imagePullPolicy = c.image.includes('@') ? 'IfNotPresent' : !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (!isObj(pr)) continue;
    setDefault(pr, 'timeoutSeconds', 1);
    setDefault(pr, 'periodSeconds', 10);
    setDefault(pr, 'successThreshold', 1);
    setDefault(pr, 'failureThreshold', 3);
    if (isObj(pr.httpGet)) setDefault(pr.httpGet, 'path', '/'), setDefault(pr.httpGet, 'scheme', 'HTTP');
  }
}

/** podSpecDefaults fills a PodSpec's defaults. */
export function podSpecDefaults(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isObj(c)) containerDefaults(c);
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (!isObj(v)) continue;
      for (const src of ['configMap', 'secret']) if (isObj(v[src])) setDefault(v[src] as Obj, 'defaultMode', 420);
      // A volume that names no source is an emptyDir.
      if (Object.keys(v).length === 1 && v.name !== undefined) v.emptyDir = {};
    }
  }
}

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

/** DEFAULTS maps "group/plural" to the defaulting of that kind. */
export const DEFAULTS: Record<string, (obj: KubeObject) => void> = {
  '/podtemplates': (pt) => templateDefaults(pt as Obj),
  '/endpoints': (ep) => {
    const subsets = (ep as Obj).subsets;
    if (Array.isArray(subsets)) for (const s of subsets) if (isObj(s)) portProtocolDefaults(s.ports);
  },
  '/limitranges': (lr) => {
    const limits = (objAt(lr as Obj, 'spec').limits ?? []) as unknown[];
    if (Array.isArray(limits)) for (const item of limits) if (isObj(item)) limitRangeItemDefaults(item);
  },
  '/persistentvolumes': (pv) => {
    const spec = objAt(pv as Obj, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(objAt(pv as Obj, 'status'), 'phase', 'Pending');
  },
  '/persistentvolumeclaims': (pvc) => {
    setDefault(objAt(pvc as Obj, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(objAt(pvc as Obj, 'status'), 'phase', 'Pending');
  },
  'discovery.k8s.io/endpointslices': (eps) => {
    const ports = (eps as Obj).ports;
    if (Array.isArray(ports)) for (const p of ports) if (isObj(p)) setDefault(p, 'name', ''), setDefault(p, 'protocol', 'TCP');
  },
  'storage.k8s.io/storageclasses': (sc) => {
    setDefault(sc as Obj, 'reclaimPolicy', 'Delete');
    setDefault(sc as Obj, 'volumeBindingMode', 'Immediate');
  },
  'storage.k8s.io/csidrivers': (driver) => {
    const spec = objAt(driver as Obj, 'spec');
    setDefault(spec, 'attachRequired', true);
    setDefault(spec, 'podInfoOnMount', false);
    setDefault(spec, 'storageCapacity', false);
    setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    setDefault(spec, 'requiresRepublish', false);
    setDefault(spec, 'seLinuxMount', false);
    if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
  },
  '/pods': (pod) => {
    const spec = objAt(pod as Obj, 'spec');
    podSpecDefaults(spec);
    setDefault(spec, 'enableServiceLinks', true);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
    setDefault(spec, 'priority', 0);
    setDefault(spec, 'serviceAccountName', 'default');
    setDefault(spec, 'serviceAccount', spec.serviceAccountName);
  },
  '/secrets': (secret) => {
    const s = secret as Obj;
    setDefault(s, 'type', 'Opaque');
    // stringData is write-only: it is merged into data (base64) and never stored.
    if (isObj(s.stringData)) {
      const data = objAt(s, 'data');
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    }
    delete s.stringData;
  },
  '/services': (svc) => {
    const spec = objAt(svc as Obj, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
    if (Array.isArray(spec.ports)) {
      for (const p of spec.ports) {
        if (!isObj(p)) continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
    }
  },
  'apps/deployments': (d) => {
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
  },
  'apps/replicasets': (rs) => {
    const spec = objAt(rs as Obj, 'spec');
    setDefault(spec, 'replicas', 1);
    templateDefaults(spec);
  },
  'apps/statefulsets': (sts) => {
    const spec = objAt(sts as Obj, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = objAt(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') setDefault(objAt(strategy, 'rollingUpdate'), 'partition', 0);
    setDefault(spec, 'revisionHistoryLimit', 10);
    statefulSetClaimDefaults(sts);
    templateDefaults(spec);
  },
  'apps/daemonsets': (ds) => {
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
  },
  'batch/jobs': (job) => {
    jobDefaults(job);
    templateDefaults(objAt(job as Obj, 'spec'));
  },
  'batch/cronjobs': (cj) => {
    cronJobDefaults(cj);
    templateDefaults(objAt(objAt(objAt(cj as Obj, 'spec'), 'jobTemplate'), 'spec'));
  },
  'autoscaling/horizontalpodautoscalers': hpaDefaults,
};
