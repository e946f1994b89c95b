/**
 * The discovery-facing facts of every built-in resource nodeless serves, exactly as a
 * Kubernetes 1.32 kube-apiserver (default feature gates) reports them in /api, /apis and the
 * aggregated discovery document. Schemas, defaults and validation live elsewhere in schemas/;
 * this file only says what a client sees when it asks "which resources exist".
 */
import type { ScaleSubresource } from './types';

/** BuiltinSubresources lists the subresources discovery advertises for one resource. */
export interface BuiltinSubresources {
  /** `<plural>/status`: get, patch, update of status only. */
  status?: boolean;
  /**
   * `<plural>/scale`, served as autoscaling/v1 Scale. For built-ins labelSelectorPath points at
   * the spec selector (a LabelSelector for apps, a plain label map for replicationcontrollers);
   * the scale handler formats it as a selector string, unlike CRDs where it names a string field.
   */
  scale?: ScaleSubresource;
  /** `namespaces/finalize`: update only, replaces spec.finalizers. */
  finalize?: boolean;
  /** `certificatesigningrequests/approval`: get, patch, update of the approval conditions. */
  approval?: boolean;
}

/** BuiltinKind is one built-in resource at one group/version as real discovery describes it. */
export interface BuiltinKind {
  /** API group; '' is the legacy core group served under /api. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** plural resource name used in paths */
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** discovery verbs of the main resource, sorted as kube-apiserver sorts them */
  verbs: string[];
  subresources: BuiltinSubresources;
  /** the OpenAPI definition name, e.g. io.k8s.api.apps.v1.Deployment */
  definitionName: string;
}

/** ALL_VERBS is the verb set of every ordinary storage-backed resource. */
export const ALL_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** SUBRESOURCE_VERBS are the verbs discovery lists for status, scale and approval subresources. */
export const SUBRESOURCE_VERBS: readonly string[] = ['get', 'patch', 'update'];

/** FINALIZE_VERBS are the verbs of namespaces/finalize, which only accepts an update. */
export const FINALIZE_VERBS: readonly string[] = ['update'];

// Namespaces are the one resource here without deletecollection: deleting a namespace starts
// finalization, and kube-apiserver never offered a bulk form of that.
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

interface KindFacts {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: BuiltinSubresources;
}

function apiPackage(group: string): string {
  if (group === 'apiextensions.k8s.io') return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
  if (group === 'apiregistration.k8s.io') return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
  if (group === '') return 'io.k8s.api.core';
  // rbac.authorization.k8s.io -> rbac, events.k8s.io -> events, apps -> apps
  return `io.k8s.api.${group.split('.')[0]}`;
}

function kinds(group: string, version: string, facts: KindFacts[]): BuiltinKind[] {
  return facts.map((f) => ({
    group,
    version,
    kind: f.kind,
    listKind: `${f.kind}List`,
    plural: f.plural,
    singular: f.kind.toLowerCase(),
    shortNames: f.shortNames ?? [],
    categories: f.categories ?? [],
    namespaced: f.namespaced,
    verbs: [...(f.verbs ?? ALL_VERBS)],
    subresources: f.subresources ?? {},
    definitionName: `${apiPackage(group)}.${version}.${f.kind}`,
  }));
}

const ALL = ['all'];
const CREATE_ONLY = ['create'];
const API_EXTENSIONS = ['api-extensions'];
const STATUS: BuiltinSubresources = { status: true };

function replicasScale(labelSelectorPath: string): BuiltinSubresources {
  return {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath },
  };
}

/**
 * BUILTIN_KINDS lists the built-in resources in discovery order: groups as in API_GROUP_ORDER
 * (core first), resources alphabetical by plural within a group/version, as kube-apiserver
 * lists them. events.k8s.io/v1 events share storage with core v1 events, and autoscaling v1
 * and v2 horizontalpodautoscalers are the same objects at two versions.
 */
export const BUILTIN_KINDS: BuiltinKind[] = [
  ...kinds('', 'v1', [
    { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
    { kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
    { kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
    { kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
    {
      kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
      verbs: NAMESPACE_VERBS, subresources: { status: true, finalize: true },
    },
    { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: STATUS },
    { kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: STATUS },
    { kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: STATUS },
    { kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ALL, subresources: STATUS },
    { kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
    {
      kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'],
      categories: ALL, subresources: replicasScale('.spec.selector'),
    },
    { kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: STATUS },
    { kind: 'Secret', plural: 'secrets', namespaced: true },
    { kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
    // Services gained deletecollection when their REST storage moved onto the generic store (1.23+).
    { kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ALL, subresources: STATUS },
  ]),
  ...kinds('apps', 'v1', [
    { kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
    { kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ALL, subresources: STATUS },
    { kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ALL, subresources: replicasScale('.spec.selector') },
    { kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ALL, subresources: replicasScale('.spec.selector') },
    { kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ALL, subresources: replicasScale('.spec.selector') },
  ]),
  ...kinds('apiregistration.k8s.io', 'v1', [{ kind: 'APIService', plural: 'apiservices', namespaced: false, categories: API_EXTENSIONS, subresources: STATUS }]),
  ...kinds('events.k8s.io', 'v1', [{ kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }]),
  // Review resources only answer a POST; nothing is stored.
  ...kinds('authentication.k8s.io', 'v1', [
    { kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: CREATE_ONLY },
  ]),
  ...kinds('authorization.k8s.io', 'v1', [
    { kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY },
    { kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
  ]),
  // In 1.32 horizontalpodautoscalers carry only `all`; the `podautoscalers` category is much later.
  ...kinds('autoscaling', 'v2', [
    { kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ALL, subresources: STATUS },
  ]),
  ...kinds('autoscaling', 'v1', [
    { kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ALL, subresources: STATUS },
  ]),
  ...kinds('batch', 'v1', [
    { kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ALL, subresources: STATUS },
    { kind: 'Job', plural: 'jobs', namespaced: true, categories: ALL, subresources: STATUS },
  ]),
  ...kinds('certificates.k8s.io', 'v1', [
    {
      kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false, shortNames: ['csr'],
      subresources: { status: true, approval: true },
    },
  ]),
  ...kinds('networking.k8s.io', 'v1', [
    { kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
    { kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], subresources: STATUS },
    { kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] },
  ]),
  ...kinds('policy', 'v1', [
    { kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: STATUS },
  ]),
  ...kinds('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
    { kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
    { kind: 'Role', plural: 'roles', namespaced: true },
  ]),
  ...kinds('storage.k8s.io', 'v1', [
    { kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
    { kind: 'CSINode', plural: 'csinodes', namespaced: false },
    { kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true },
    { kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    // Real discovery also lists volumeattachments/status.
    { kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, subresources: STATUS },
  ]),
  ...kinds('admissionregistration.k8s.io', 'v1', [
    { kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS },
    { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: API_EXTENSIONS },
  ]),
  ...kinds('apiextensions.k8s.io', 'v1', [
    {
      kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false,
      shortNames: ['crd', 'crds'], categories: API_EXTENSIONS, subresources: STATUS,
    },
  ]),
  ...kinds('scheduling.k8s.io', 'v1', [{ kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }]),
  ...kinds('coordination.k8s.io', 'v1', [{ kind: 'Lease', plural: 'leases', namespaced: true }]),
  ...kinds('node.k8s.io', 'v1', [{ kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false }]),
  ...kinds('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }]),
];

/**
 * API_GROUP_ORDER is the order kube-apiserver 1.32 lists the GA groups in /apis (it follows the
 * aggregator's group priorities). Groups nodeless does not serve are skipped by the caller; CRD
 * groups come after all of these, sorted by name.
 */
export const API_GROUP_ORDER: readonly string[] = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

/**
 * GROUP_VERSIONS gives, per served group, its versions in the order /apis lists them; the first
 * is the preferred version ('' is the core group). autoscaling prefers v2 and still serves v1.
 */
export const GROUP_VERSIONS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  BUILTIN_KINDS.reduce<Record<string, string[]>>((acc, k) => {
    const versions = (acc[k.group] ??= []);
    if (!versions.includes(k.version)) versions.push(k.version);
    return acc;
  }, {}),
);

/** preferredVersion returns the version a group advertises as preferred, or undefined if unserved. */
export function preferredVersion(group: string): string | undefined {
  return GROUP_VERSIONS[group]?.[0];
}

/** findBuiltinKind returns the built-in resource at group/version/plural, or undefined. */
export function findBuiltinKind(group: string, version: string, plural: string): BuiltinKind | undefined {
  return BUILTIN_KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
}
