/**
 * Per-kind strategy: what differs between built-in kinds beyond their schema: generation
 * tracking, name rules, create-time resets, selectable fields and validation beyond the schema.
 * Defaulting of workload templates comes with the kubectl fidelity work; only what the API
 * server itself sets on create is here.
 */
import { customResourceDefinitionStrategy } from './crd';
import { DEFAULTS } from './defaults';
import type { FieldError, KubeObject, ResourceDefinition } from './types';
import * as apps from './validation/apps';
import { jobPrepareForCreate, validateCronJob, validateJob } from './validation/batch';
import { validateHorizontalPodAutoscaler } from './validation/autoscaling';

type Strategy = Partial<Pick<ResourceDefinition,
  'generation' | 'nameValidation' | 'returnDeletedObject' | 'prepareForCreate' | 'selectableFields' | 'validate' | 'defaults' | 'createForbidden' | 'prepareForDelete' | 'finalized' | 'prepareForUpdate' | 'prepareForStatusUpdate'>>;

const get = (path: string) => (obj: KubeObject): string | undefined => {
  const v = valueAt(obj, path);
  return v === undefined || v === null ? undefined : String(v);
};
const fields = (...paths: string[]) => Object.fromEntries(paths.map((p) => [p, get(p)]));

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

// validateDataKeys checks ConfigMap and Secret keys, and that an immutable object keeps its data.
function dataValidation(dataFields: string[]) {
  return (obj: KubeObject, old?: KubeObject): FieldError[] => {
    const errs: FieldError[] = [];
    for (const f of dataFields) {
      const data = obj[f];
      if (data === undefined || data === null || typeof data !== 'object') continue;
      for (const key of Object.keys(data)) {
        if (key.length > 253) errs.push({ type: 'FieldValueTooLong', field: `${f}[${key}]`, message: 'Too long: must have at most 253 bytes' });
        if (!DATA_KEY.test(key)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: `${f}[${key}]`,
            message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          });
        }
      }
    }
    if (dataFields.length === 2 && obj.data && obj.binaryData) {
      for (const key of Object.keys(obj.data as object)) {
        if (key in (obj.binaryData as object)) errs.push({ type: 'FieldValueInvalid', field: `data[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: duplicate of key present in binaryData` });
      }
    }
    if (old && old.immutable === true) {
      if (obj.immutable !== true) errs.push({ type: 'FieldValueForbidden', field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set' });
      for (const f of dataFields) {
        if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) {
          errs.push({ type: 'FieldValueForbidden', field: f, message: 'Forbidden: field is immutable when `immutable` is set' });
        }
      }
    }
    return errs;
  };
}

function secretValidation(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = dataValidation(['data', 'stringData'])(obj, old);
  if (old && (old.type ?? 'Opaque') !== (obj.type ?? 'Opaque')) {
    errs.push({ type: 'FieldValueInvalid', field: 'type', message: `Invalid value: ${JSON.stringify(obj.type)}: field is immutable` });
  }
  return errs;
}

// qosClass follows the API server's rule: Guaranteed when every container's cpu and memory
// requests equal limits, BestEffort when nothing is set, Burstable otherwise.
function qosClass(pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as { containers?: Array<{ resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>; initContainers?: typeof spec.containers };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// Sysctl names as pod validation accepts them: dot- or slash-separated segments.
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`);
const SYSCTL_MAX_LENGTH = 253;

// podValidation checks what the schema cannot: sysctl names in the pod security context.
function podValidation(pod: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const sysctls = ((pod.spec as { securityContext?: { sysctls?: unknown } } | undefined)?.securityContext?.sysctls ?? []) as Array<{ name?: string }>;
  if (!Array.isArray(sysctls)) return errs;
  const seen = new Set<string>();
  sysctls.forEach((s, i) => {
    const field = `spec.securityContext.sysctls[${i}].name`;
    const name = s?.name ?? '';
    if (!name) errs.push({ type: 'FieldValueRequired', field, message: 'Required value' });
    else if (name.length > SYSCTL_MAX_LENGTH || !SYSCTL_RE.test(name)) {
      errs.push({ type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(name)}: must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_RE.source}` });
    } else if (seen.has(name)) errs.push({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(name)}` });
    seen.add(name);
  });
  return errs;
}

// immutableFields refuses an update that changes any of the given top-level or dotted fields.
function immutableFields(...paths: string[]) {
  return (obj: KubeObject, old?: KubeObject): FieldError[] => {
    if (!old) return [];
    return paths
      .filter((p) => JSON.stringify(valueAt(obj, p)) !== JSON.stringify(valueAt(old, p)))
      .map((p) => ({ type: 'FieldValueInvalid', field: p, message: `Invalid value: ${JSON.stringify(valueAt(obj, p) ?? null)}: field is immutable` }));
  };
}

function valueAt(obj: KubeObject, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

// storageClassValidation: a StorageClass's provisioning parameters never change after creation.
function storageClassValidation(sc: KubeObject, old?: KubeObject): FieldError[] {
  if (!old) return [];
  const errs: FieldError[] = [];
  for (const f of ['parameters', 'provisioner', 'reclaimPolicy']) {
    if (JSON.stringify(sc[f] ?? null) !== JSON.stringify(old[f] ?? null)) {
      errs.push({ type: 'FieldValueForbidden', field: f, message: `Forbidden: updates to ${f} are forbidden.` });
    }
  }
  return [...errs, ...immutableFields('volumeBindingMode')(sc, old)];
}

// PV_SOURCES are the volume types a PersistentVolume may name; exactly one must be set.
const PV_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk',
  'glusterfs', 'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
];

function persistentVolumeValidation(pv: KubeObject): FieldError[] {
  const spec = (pv.spec ?? {}) as Record<string, unknown>;
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value' });
  const capacity = spec.capacity as Record<string, unknown> | undefined;
  if (!capacity || Object.keys(capacity).length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.capacity', message: 'Required value' });
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec', message: 'Required value: must specify a volume type' });
  else if (sources.length > 1) errs.push({ type: 'FieldValueForbidden', field: `spec.${sources[1]}`, message: 'Forbidden: may not specify more than 1 volume type' });
  return errs;
}

function persistentVolumeClaimValidation(pvc: KubeObject): FieldError[] {
  const spec = (pvc.spec ?? {}) as { accessModes?: unknown[]; resources?: { requests?: Record<string, unknown> } };
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required' });
  }
  if (spec.resources?.requests?.storage === undefined) errs.push({ type: 'FieldValueRequired', field: 'spec.resources[storage]', message: 'Required value' });
  return errs;
}

// EVENTS_V1_FIELDS are the field selectors of events.k8s.io/v1, which names the core/v1 fields
// differently. Events of both versions share one storage; each getter reads either form.
const EVENTS_V1_FIELDS: Record<string, (obj: KubeObject) => string | undefined> = Object.fromEntries(
  [
    ['reason', 'reason'],
    ['type', 'type'],
    ['reportingController', 'reportingComponent'],
    ...['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [`regarding.${f}`, `involvedObject.${f}`]),
  ].map(([v1, core]) => [v1, (obj: KubeObject) => get(v1)(obj) ?? get(core)(obj)]),
);

const STRATEGIES: Record<string, Strategy> = {
  '/namespaces': {
    nameValidation: 'dns-label',
    returnDeletedObject: true,
    selectableFields: fields('status.phase'),
    prepareForCreate: (ns) => {
      ns.status = { phase: 'Active' };
      const spec = (ns.spec ?? {}) as { finalizers?: string[] };
      if (!spec.finalizers?.includes('kubernetes')) spec.finalizers = [...(spec.finalizers ?? []), 'kubernetes'];
      ns.spec = spec;
    },
    // Deleting a namespace starts its termination; the namespace controller empties it and
    // removes the "kubernetes" finalizer through /finalize.
    prepareForDelete: (ns) => {
      ns.status = { ...((ns.status as object) ?? {}), phase: 'Terminating' };
      return true;
    },
    finalized: (ns) => !((ns.spec as { finalizers?: string[] } | undefined)?.finalizers?.length) && !ns.metadata?.finalizers?.length,
  },
  '/pods': {
    returnDeletedObject: true,
    selectableFields: fields('spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'),
    prepareForCreate: (pod) => {
      pod.status = { phase: 'Pending', qosClass: qosClass(pod) };
    },
    validate: podValidation,
  },
  // A new volume waits for the PV controller; the time it entered its phase is its creation time.
  '/persistentvolumes': {
    validate: persistentVolumeValidation,
    prepareForCreate: (pv) => {
      pv.status = { phase: 'Pending', lastPhaseTransitionTime: pv.metadata?.creationTimestamp };
    },
  },
  '/persistentvolumeclaims': {
    validate: persistentVolumeClaimValidation,
    prepareForCreate: (pvc) => {
      pvc.status = { phase: 'Pending' };
    },
  },
  '/services': { nameValidation: 'dns-1035' },
  '/configmaps': { validate: dataValidation(['data', 'binaryData']) },
  '/secrets': { validate: secretValidation, selectableFields: fields('type') },
  '/events': {
    selectableFields: {
      ...fields('involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'type'),
      // An event recorded through events.k8s.io has no source; its reporting controller stands in.
      source: (ev) => get('source.component')(ev) || get('reportingComponent')(ev),
    },
  },
  'events.k8s.io/events': { selectableFields: EVENTS_V1_FIELDS },
  '/nodes': {
    selectableFields: fields('spec.unschedulable'),
    createForbidden: 'nodes are not supported by nodeless: pods run on serverless instances, not on nodes',
  },
  '/replicationcontrollers': { generation: true, selectableFields: fields('status.replicas') },
  'apps/deployments': { generation: true, validate: apps.validateDeployment, prepareForUpdate: apps.deploymentPrepareForUpdate, prepareForStatusUpdate: apps.keepLabelsOnStatusUpdate },
  'apps/replicasets': { generation: true, selectableFields: fields('status.replicas'), validate: apps.validateReplicaSet },
  'apps/statefulsets': { generation: true, nameValidation: 'dns-label', validate: apps.validateStatefulSet, prepareForCreate: apps.statefulSetPrepareForCreate, prepareForUpdate: apps.statefulSetPrepareForUpdate },
  'apps/daemonsets': { generation: true, validate: apps.validateDaemonSet, prepareForCreate: apps.daemonSetPrepareForCreate, prepareForUpdate: apps.daemonSetPrepareForUpdate },
  'batch/jobs': { generation: true, selectableFields: fields('status.successful'), prepareForCreate: jobPrepareForCreate, validate: validateJob },
  'batch/cronjobs': { generation: true, validate: validateCronJob },
  'autoscaling/horizontalpodautoscalers': { generation: true, validate: validateHorizontalPodAutoscaler },
  'policy/poddisruptionbudgets': { generation: true },
  'networking.k8s.io/ingresses': { generation: true },
  'networking.k8s.io/networkpolicies': { generation: true },
  'apiextensions.k8s.io/customresourcedefinitions': customResourceDefinitionStrategy(),
  'certificates.k8s.io/certificatesigningrequests': { selectableFields: fields('spec.signerName'), validate: csrValidation },
  'storage.k8s.io/storageclasses': { validate: storageClassValidation },
  'node.k8s.io/runtimeclasses': { validate: immutableFields('handler') },
  'rbac.authorization.k8s.io/roles': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/clusterroles': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/rolebindings': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/clusterrolebindings': { nameValidation: 'path-segment' },
};

// csrValidation: a request is approved or denied at most once, never both, and a decision
// once made cannot be taken back.
function csrValidation(obj: KubeObject, old?: KubeObject): FieldError[] {
  const decisions = (o?: KubeObject) =>
    (((o?.status as { conditions?: Array<{ type?: string }> } | undefined)?.conditions ?? []).map((c) => c.type ?? '')).filter((t) => t === 'Approved' || t === 'Denied');
  const now = decisions(obj);
  const errs: FieldError[] = [];
  if (now.includes('Approved') && now.includes('Denied')) {
    errs.push({ type: 'FieldValueInvalid', field: 'status.conditions', message: 'Invalid value: "Approved": Approved and Denied conditions are mutually exclusive' });
  }
  for (const t of new Set(now)) {
    if (now.filter((x) => x === t).length > 1) errs.push({ type: 'FieldValueDuplicate', field: 'status.conditions', message: `Duplicate value: "${t}"` });
  }
  for (const t of decisions(old)) {
    if (!now.includes(t)) errs.push({ type: 'FieldValueForbidden', field: 'status.conditions', message: `Forbidden: updates may not remove a condition of type "${t}"` });
  }
  return errs;
}

/** strategyFor returns the strategy of a built-in resource (empty for plain kinds). */
export function strategyFor(group: string, plural: string): Strategy {
  const key = `${group}/${plural}`;
  const defaults: Strategy = key in DEFAULTS ? { defaults: DEFAULTS[key] } : {};
  return { ...defaults, ...(STRATEGIES[key] ?? {}) };
}
