/**
 * Per-kind strategy: what differs between built-in kinds beyond their schema: generation
 * tracking, name rules, create-time resets, selectable fields and validation beyond the schema.
 * Defaulting of workload templates comes with the kubectl fidelity work; only what the API
 * server itself sets on create is here.
 */
import { DEFAULTS } from './defaults';
import type { FieldError, KubeObject, ResourceDefinition } from './types';

type Strategy = Partial<Pick<ResourceDefinition,
  'generation' | 'nameValidation' | 'returnDeletedObject' | 'prepareForCreate' | 'selectableFields' | 'validate' | 'defaults' | 'createForbidden' | 'prepareForDelete' | 'finalized'>>;

const get = (path: string) => (obj: KubeObject): string | undefined => {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? undefined : String(cur);
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
  },
  '/services': { nameValidation: 'dns-1035' },
  '/configmaps': { validate: dataValidation(['data', 'binaryData']) },
  '/secrets': { validate: secretValidation, selectableFields: fields('type') },
  '/events': {
    selectableFields: fields('involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'),
  },
  '/nodes': {
    selectableFields: fields('spec.unschedulable'),
    createForbidden: 'nodes are not supported by nodeless: pods run on serverless instances, not on nodes',
  },
  '/replicationcontrollers': { generation: true, selectableFields: fields('status.replicas') },
  'apps/deployments': { generation: true },
  'apps/replicasets': { generation: true, selectableFields: fields('status.replicas') },
  'apps/statefulsets': { generation: true },
  'apps/daemonsets': { generation: true },
  'batch/jobs': { generation: true, selectableFields: fields('status.successful'), prepareForCreate: jobSelector },
  'batch/cronjobs': { generation: true },
  'autoscaling/horizontalpodautoscalers': { generation: true },
  'policy/poddisruptionbudgets': { generation: true },
  'networking.k8s.io/ingresses': { generation: true },
  'networking.k8s.io/networkpolicies': { generation: true },
  'apiextensions.k8s.io/customresourcedefinitions': { generation: true },
  'certificates.k8s.io/certificatesigningrequests': { selectableFields: fields('spec.signerName') },
  'rbac.authorization.k8s.io/roles': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/clusterroles': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/rolebindings': { nameValidation: 'path-segment' },
  'rbac.authorization.k8s.io/clusterrolebindings': { nameValidation: 'path-segment' },
};

/** strategyFor returns the strategy of a built-in resource (empty for plain kinds). */
export function strategyFor(group: string, plural: string): Strategy {
  const key = `${group}/${plural}`;
  const defaults: Strategy = key in DEFAULTS ? { defaults: DEFAULTS[key] } : {};
  return { ...defaults, ...(STRATEGIES[key] ?? {}) };
}

// jobSelector gives a Job without manualSelector the selector and pod labels the API server
// generates from its uid.
function jobSelector(job: KubeObject): void {
  const spec = (job.spec ?? {}) as { manualSelector?: boolean; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } };
  if (spec.manualSelector === true) return;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  meta.labels = { ...(meta.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  job.spec = spec;
}
