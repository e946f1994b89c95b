/**
 * The strategic-merge and list-type metadata of the Kubernetes 1.32 built-in types: for each
 * OpenAPI definition, which fields carry a patch strategy, a patch merge key, a list type or a
 * map type (the Go struct tags `patchStrategy`/`patchMergeKey` and the `+listType`,
 * `+listMapKey`, `+mapType`, `+structType` markers of k8s.io/api, apimachinery's meta/v1 and
 * apiextensions/v1, as kube-apiserver publishes them in x-kubernetes-* OpenAPI extensions), and
 * which definition each object or list field holds, so that a patch can be walked from a kind
 * down to its lists (Deployment.spec -> DeploymentSpec.template -> PodTemplateSpec.spec -> ...).
 *
 * The table was extracted from the k8s.io/api v0.32 sources. It keeps only the child links that
 * lead to a definition with metadata; childDefinition answers the others from
 * schemas/generated/definitions.json when that file is present.
 *
 * PatchSchema is what the patch algorithms consume: builtinPatchSchema serves built-in kinds
 * from this table, openAPIPatchSchema serves a CRD from its structural schema, and
 * NO_PATCH_METADATA gives plain JSON merge semantics (every list replaced).
 */
import { isPlainObject } from './meta/json';
import * as fs from 'fs';
import * as path from 'path';
import type { JSONSchema, ResourceDefinition } from './types';

/** FieldPatchMeta is the patch metadata of one field (its x-kubernetes-* OpenAPI extensions). */
export interface FieldPatchMeta {
  /** patchStrategy is 'merge', 'replace', 'retainKeys' or 'merge,retainKeys' (x-kubernetes-patch-strategy). */
  readonly patchStrategy?: string;
  /** patchMergeKey is the item field that identifies list items when merging (x-kubernetes-patch-merge-key). */
  readonly patchMergeKey?: string;
  /** listType is how server-side apply treats the list (x-kubernetes-list-type). */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** listMapKeys are the item fields that together identify an item of a 'map' list (x-kubernetes-list-map-keys). */
  readonly listMapKeys?: readonly string[];
  /** mapType says whether a map or struct is owned as a whole (x-kubernetes-map-type). */
  readonly mapType?: 'atomic' | 'granular';
}

/** PatchField is what a PatchSchema knows of one field. */
export interface PatchField {
  /** meta is the field's patch metadata; undefined means none (lists are replaced, maps merged). */
  readonly meta?: FieldPatchMeta;
  /** schema describes the field's value; for a list, each item. */
  readonly schema: PatchSchema;
}

/**
 * PatchSchema is the view of a type that the patch algorithms walk: the metadata of each field
 * and the schema of the field's value. Built-in kinds, CRDs and tests each supply their own.
 */
export interface PatchSchema {
  /** name identifies the type in error messages, e.g. io.k8s.api.core.v1.PodSpec. */
  readonly name: string;
  /** field looks up one field; unknown fields answer no metadata and NO_PATCH_METADATA. */
  field(name: string): PatchField;
}

const API = 'io.k8s.api.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const APIEXTENSIONS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

/** tableKey shortens a definition name to the table's spelling: io.k8s.api.core.v1.PodSpec -> core.v1.PodSpec. */
function tableKey(definition: string): string {
  if (definition.startsWith(API)) return definition.slice(API.length);
  if (definition.startsWith(META)) return `meta.v1.${definition.slice(META.length)}`;
  if (definition.startsWith(APIEXTENSIONS)) return `apiextensions.v1.${definition.slice(APIEXTENSIONS.length)}`;
  return definition;
}

/** definitionName expands a table key back to the OpenAPI definition name. */
function definitionName(key: string): string {
  if (key.startsWith('meta.v1.')) return META + key.slice('meta.v1.'.length);
  if (key.startsWith('apiextensions.v1.')) return APIEXTENSIONS + key.slice('apiextensions.v1.'.length);
  return API + key;
}

const ATOMIC: FieldPatchMeta = Object.freeze({ listType: 'atomic' });
const SET: FieldPatchMeta = Object.freeze({ listType: 'set' });
/** MERGE_SET is a primitive list merged as a set (ObjectMeta.finalizers). */
const MERGE_SET: FieldPatchMeta = Object.freeze({ patchStrategy: 'merge', listType: 'set' });
const ATOMIC_MAP: FieldPatchMeta = Object.freeze({ mapType: 'atomic' });
const GRANULAR_MAP: FieldPatchMeta = Object.freeze({ mapType: 'granular' });
const RETAIN_KEYS: FieldPatchMeta = Object.freeze({ patchStrategy: 'retainKeys' });
const REPLACE: FieldPatchMeta = Object.freeze({ patchStrategy: 'replace' });

/** merge is a list of objects merged by key; its server-side-apply keys default to the merge key. */
function merge(key: string, mapKeys: string[] = [key]): FieldPatchMeta {
  return Object.freeze({ patchStrategy: 'merge', patchMergeKey: key, listType: 'map', listMapKeys: Object.freeze(mapKeys) });
}

/** mergeRetainKeys is merge plus retainKeys on each item (PodSpec.volumes: one volume source at a time). */
function mergeRetainKeys(key: string): FieldPatchMeta {
  return Object.freeze({ ...merge(key), patchStrategy: 'merge,retainKeys' });
}

/** mergeAtomic is merged by key under strategic merge patch but atomic under server-side apply. */
function mergeAtomic(key: string): FieldPatchMeta {
  return Object.freeze({ patchStrategy: 'merge', patchMergeKey: key, listType: 'atomic' });
}

/** listMap is a server-side-apply map list that strategic merge patch replaces (no patch strategy). */
function listMap(...keys: string[]): FieldPatchMeta {
  return Object.freeze({ listType: 'map', listMapKeys: Object.freeze(keys) });
}

/**
 * FieldEntry is one field of the table: the definition it holds (for a list, each item's), its
 * patch metadata, or both as [metadata, definition].
 */
type FieldEntry = string | FieldPatchMeta | readonly [FieldPatchMeta, string];

// Keyed by the definition name without its io.k8s.api. prefix (meta.v1.* and apiextensions.v1.*
// stand for the apimachinery and apiextensions-apiserver packages). Fields are sorted by name.
const FIELDS: Readonly<Record<string, Readonly<Record<string, FieldEntry>>>> = {
  'admissionregistration.v1.MatchResources': {
    excludeResourceRules: [ATOMIC, 'admissionregistration.v1.NamedRuleWithOperations'],
    namespaceSelector: 'meta.v1.LabelSelector', objectSelector: 'meta.v1.LabelSelector',
    resourceRules: [ATOMIC, 'admissionregistration.v1.NamedRuleWithOperations'],
  },
  'admissionregistration.v1.MutatingWebhook': {
    admissionReviewVersions: ATOMIC, matchConditions: merge('name'),
    namespaceSelector: 'meta.v1.LabelSelector', objectSelector: 'meta.v1.LabelSelector',
    rules: [ATOMIC, 'admissionregistration.v1.RuleWithOperations'],
  },
  'admissionregistration.v1.MutatingWebhookConfiguration': {
    metadata: 'meta.v1.ObjectMeta', webhooks: [merge('name'), 'admissionregistration.v1.MutatingWebhook'],
  },
  'admissionregistration.v1.NamedRuleWithOperations': {
    apiGroups: ATOMIC, apiVersions: ATOMIC, operations: ATOMIC, resourceNames: ATOMIC, resources: ATOMIC,
  },
  'admissionregistration.v1.ParamRef': { selector: 'meta.v1.LabelSelector' },
  'admissionregistration.v1.RuleWithOperations': {
    apiGroups: ATOMIC, apiVersions: ATOMIC, operations: ATOMIC, resources: ATOMIC,
  },
  'admissionregistration.v1.TypeChecking': { expressionWarnings: ATOMIC },
  'admissionregistration.v1.ValidatingAdmissionPolicy': {
    metadata: 'meta.v1.ObjectMeta', spec: 'admissionregistration.v1.ValidatingAdmissionPolicySpec',
    status: 'admissionregistration.v1.ValidatingAdmissionPolicyStatus',
  },
  'admissionregistration.v1.ValidatingAdmissionPolicyBinding': {
    metadata: 'meta.v1.ObjectMeta', spec: 'admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec',
  },
  'admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec': {
    matchResources: 'admissionregistration.v1.MatchResources', paramRef: 'admissionregistration.v1.ParamRef',
    validationActions: SET,
  },
  'admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    auditAnnotations: ATOMIC, matchConditions: merge('name'),
    matchConstraints: 'admissionregistration.v1.MatchResources',
    paramKind: 'admissionregistration.v1.ParamKind', validations: ATOMIC,
    variables: [merge('name'), 'admissionregistration.v1.Variable'],
  },
  'admissionregistration.v1.ValidatingAdmissionPolicyStatus': {
    conditions: listMap('type'), typeChecking: 'admissionregistration.v1.TypeChecking',
  },
  'admissionregistration.v1.ValidatingWebhook': {
    admissionReviewVersions: ATOMIC, matchConditions: merge('name'),
    namespaceSelector: 'meta.v1.LabelSelector', objectSelector: 'meta.v1.LabelSelector',
    rules: [ATOMIC, 'admissionregistration.v1.RuleWithOperations'],
  },
  'admissionregistration.v1.ValidatingWebhookConfiguration': {
    metadata: 'meta.v1.ObjectMeta', webhooks: [merge('name'), 'admissionregistration.v1.ValidatingWebhook'],
  },
  'apiextensions.v1.CustomResourceConversion': { webhook: 'apiextensions.v1.WebhookConversion' },
  'apiextensions.v1.CustomResourceDefinition': {
    metadata: 'meta.v1.ObjectMeta', spec: 'apiextensions.v1.CustomResourceDefinitionSpec',
    status: 'apiextensions.v1.CustomResourceDefinitionStatus',
  },
  'apiextensions.v1.CustomResourceDefinitionNames': { categories: ATOMIC, shortNames: ATOMIC },
  'apiextensions.v1.CustomResourceDefinitionSpec': {
    conversion: 'apiextensions.v1.CustomResourceConversion',
    names: 'apiextensions.v1.CustomResourceDefinitionNames',
    versions: [ATOMIC, 'apiextensions.v1.CustomResourceDefinitionVersion'],
  },
  'apiextensions.v1.CustomResourceDefinitionStatus': {
    acceptedNames: 'apiextensions.v1.CustomResourceDefinitionNames', conditions: listMap('type'),
    storedVersions: ATOMIC,
  },
  'apiextensions.v1.CustomResourceDefinitionVersion': {
    additionalPrinterColumns: ATOMIC, schema: 'apiextensions.v1.CustomResourceValidation',
    selectableFields: ATOMIC,
  },
  'apiextensions.v1.CustomResourceValidation': { openAPIV3Schema: 'apiextensions.v1.JSONSchemaProps' },
  'apiextensions.v1.JSONSchemaProps': {
    additionalItems: 'apiextensions.v1.JSONSchemaProps',
    additionalProperties: 'apiextensions.v1.JSONSchemaProps',
    allOf: [ATOMIC, 'apiextensions.v1.JSONSchemaProps'], anyOf: [ATOMIC, 'apiextensions.v1.JSONSchemaProps'],
    enum: ATOMIC, items: 'apiextensions.v1.JSONSchemaProps', not: 'apiextensions.v1.JSONSchemaProps',
    oneOf: [ATOMIC, 'apiextensions.v1.JSONSchemaProps'], required: ATOMIC,
    'x-kubernetes-list-map-keys': ATOMIC, 'x-kubernetes-validations': merge('rule'),
  },
  'apiextensions.v1.WebhookConversion': { conversionReviewVersions: ATOMIC },
  'apps.v1.ControllerRevision': { metadata: 'meta.v1.ObjectMeta' },
  'apps.v1.DaemonSet': {
    metadata: 'meta.v1.ObjectMeta', spec: 'apps.v1.DaemonSetSpec', status: 'apps.v1.DaemonSetStatus',
  },
  'apps.v1.DaemonSetSpec': { selector: 'meta.v1.LabelSelector', template: 'core.v1.PodTemplateSpec' },
  'apps.v1.DaemonSetStatus': { conditions: merge('type') },
  'apps.v1.Deployment': {
    metadata: 'meta.v1.ObjectMeta', spec: 'apps.v1.DeploymentSpec', status: 'apps.v1.DeploymentStatus',
  },
  'apps.v1.DeploymentSpec': {
    selector: 'meta.v1.LabelSelector', strategy: RETAIN_KEYS, template: 'core.v1.PodTemplateSpec',
  },
  'apps.v1.DeploymentStatus': { conditions: merge('type') },
  'apps.v1.ReplicaSet': {
    metadata: 'meta.v1.ObjectMeta', spec: 'apps.v1.ReplicaSetSpec', status: 'apps.v1.ReplicaSetStatus',
  },
  'apps.v1.ReplicaSetSpec': { selector: 'meta.v1.LabelSelector', template: 'core.v1.PodTemplateSpec' },
  'apps.v1.ReplicaSetStatus': { conditions: merge('type') },
  'apps.v1.StatefulSet': {
    metadata: 'meta.v1.ObjectMeta', spec: 'apps.v1.StatefulSetSpec', status: 'apps.v1.StatefulSetStatus',
  },
  'apps.v1.StatefulSetSpec': {
    selector: 'meta.v1.LabelSelector', template: 'core.v1.PodTemplateSpec',
    volumeClaimTemplates: [ATOMIC, 'core.v1.PersistentVolumeClaim'],
  },
  'apps.v1.StatefulSetStatus': { conditions: merge('type') },
  'autoscaling.v1.HorizontalPodAutoscaler': {
    metadata: 'meta.v1.ObjectMeta', spec: 'autoscaling.v1.HorizontalPodAutoscalerSpec',
  },
  'autoscaling.v1.HorizontalPodAutoscalerSpec': {
    scaleTargetRef: 'autoscaling.v1.CrossVersionObjectReference',
  },
  'autoscaling.v1.Scale': { metadata: 'meta.v1.ObjectMeta' },
  'autoscaling.v2.ExternalMetricSource': { metric: 'autoscaling.v2.MetricIdentifier' },
  'autoscaling.v2.ExternalMetricStatus': { metric: 'autoscaling.v2.MetricIdentifier' },
  'autoscaling.v2.HPAScalingRules': { policies: ATOMIC },
  'autoscaling.v2.HorizontalPodAutoscaler': {
    metadata: 'meta.v1.ObjectMeta', spec: 'autoscaling.v2.HorizontalPodAutoscalerSpec',
    status: 'autoscaling.v2.HorizontalPodAutoscalerStatus',
  },
  'autoscaling.v2.HorizontalPodAutoscalerBehavior': {
    scaleDown: 'autoscaling.v2.HPAScalingRules', scaleUp: 'autoscaling.v2.HPAScalingRules',
  },
  'autoscaling.v2.HorizontalPodAutoscalerSpec': {
    behavior: 'autoscaling.v2.HorizontalPodAutoscalerBehavior',
    metrics: [ATOMIC, 'autoscaling.v2.MetricSpec'],
  },
  'autoscaling.v2.HorizontalPodAutoscalerStatus': {
    conditions: merge('type'), currentMetrics: [ATOMIC, 'autoscaling.v2.MetricStatus'],
  },
  'autoscaling.v2.MetricIdentifier': { selector: 'meta.v1.LabelSelector' },
  'autoscaling.v2.MetricSpec': {
    external: 'autoscaling.v2.ExternalMetricSource', object: 'autoscaling.v2.ObjectMetricSource',
    pods: 'autoscaling.v2.PodsMetricSource',
  },
  'autoscaling.v2.MetricStatus': {
    external: 'autoscaling.v2.ExternalMetricStatus', object: 'autoscaling.v2.ObjectMetricStatus',
    pods: 'autoscaling.v2.PodsMetricStatus',
  },
  'autoscaling.v2.ObjectMetricSource': { metric: 'autoscaling.v2.MetricIdentifier' },
  'autoscaling.v2.ObjectMetricStatus': { metric: 'autoscaling.v2.MetricIdentifier' },
  'autoscaling.v2.PodsMetricSource': { metric: 'autoscaling.v2.MetricIdentifier' },
  'autoscaling.v2.PodsMetricStatus': { metric: 'autoscaling.v2.MetricIdentifier' },
  'batch.v1.CronJob': {
    metadata: 'meta.v1.ObjectMeta', spec: 'batch.v1.CronJobSpec', status: 'batch.v1.CronJobStatus',
  },
  'batch.v1.CronJobSpec': { jobTemplate: 'batch.v1.JobTemplateSpec' },
  'batch.v1.CronJobStatus': { active: [ATOMIC, 'core.v1.ObjectReference'] },
  'batch.v1.Job': { metadata: 'meta.v1.ObjectMeta', spec: 'batch.v1.JobSpec', status: 'batch.v1.JobStatus' },
  'batch.v1.JobSpec': {
    podFailurePolicy: 'batch.v1.PodFailurePolicy', selector: 'meta.v1.LabelSelector',
    successPolicy: 'batch.v1.SuccessPolicy', template: 'core.v1.PodTemplateSpec',
  },
  'batch.v1.JobStatus': {
    conditions: mergeAtomic('type'), uncountedTerminatedPods: 'batch.v1.UncountedTerminatedPods',
  },
  'batch.v1.JobTemplateSpec': { metadata: 'meta.v1.ObjectMeta', spec: 'batch.v1.JobSpec' },
  'batch.v1.PodFailurePolicy': { rules: [ATOMIC, 'batch.v1.PodFailurePolicyRule'] },
  'batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: SET },
  'batch.v1.PodFailurePolicyRule': {
    onExitCodes: 'batch.v1.PodFailurePolicyOnExitCodesRequirement', onPodConditions: ATOMIC,
  },
  'batch.v1.SuccessPolicy': { rules: ATOMIC },
  'batch.v1.UncountedTerminatedPods': { failed: SET, succeeded: SET },
  'coordination.v1.Lease': { metadata: 'meta.v1.ObjectMeta' },
  'core.v1.Affinity': {
    nodeAffinity: 'core.v1.NodeAffinity', podAffinity: 'core.v1.PodAffinity',
    podAntiAffinity: 'core.v1.PodAntiAffinity',
  },
  'core.v1.Binding': { metadata: 'meta.v1.ObjectMeta', target: 'core.v1.ObjectReference' },
  'core.v1.CSIPersistentVolumeSource': {
    controllerExpandSecretRef: 'core.v1.SecretReference',
    controllerPublishSecretRef: 'core.v1.SecretReference', nodeExpandSecretRef: 'core.v1.SecretReference',
    nodePublishSecretRef: 'core.v1.SecretReference', nodeStageSecretRef: 'core.v1.SecretReference',
  },
  'core.v1.CSIVolumeSource': { nodePublishSecretRef: 'core.v1.LocalObjectReference' },
  'core.v1.Capabilities': { add: ATOMIC, drop: ATOMIC },
  'core.v1.CephFSPersistentVolumeSource': { monitors: ATOMIC, secretRef: 'core.v1.SecretReference' },
  'core.v1.CephFSVolumeSource': { monitors: ATOMIC, secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.CinderPersistentVolumeSource': { secretRef: 'core.v1.SecretReference' },
  'core.v1.CinderVolumeSource': { secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.ClusterTrustBundleProjection': { labelSelector: 'meta.v1.LabelSelector' },
  'core.v1.ComponentStatus': { conditions: merge('type'), metadata: 'meta.v1.ObjectMeta' },
  'core.v1.ConfigMap': { metadata: 'meta.v1.ObjectMeta' },
  'core.v1.ConfigMapProjection': { items: ATOMIC },
  'core.v1.ConfigMapVolumeSource': { items: ATOMIC },
  'core.v1.Container': {
    args: ATOMIC, command: ATOMIC, env: [merge('name'), 'core.v1.EnvVar'], envFrom: ATOMIC,
    lifecycle: 'core.v1.Lifecycle', livenessProbe: 'core.v1.Probe',
    ports: merge('containerPort', ['containerPort', 'protocol']), readinessProbe: 'core.v1.Probe',
    resizePolicy: ATOMIC, resources: 'core.v1.ResourceRequirements',
    securityContext: 'core.v1.SecurityContext', startupProbe: 'core.v1.Probe',
    volumeDevices: merge('devicePath'), volumeMounts: merge('mountPath'),
  },
  'core.v1.ContainerImage': { names: ATOMIC },
  'core.v1.ContainerStatus': {
    allocatedResourcesStatus: [merge('name'), 'core.v1.ResourceStatus'],
    resources: 'core.v1.ResourceRequirements', user: 'core.v1.ContainerUser',
    volumeMounts: merge('mountPath'),
  },
  'core.v1.ContainerUser': { linux: 'core.v1.LinuxContainerUser' },
  'core.v1.DownwardAPIProjection': { items: [ATOMIC, 'core.v1.DownwardAPIVolumeFile'] },
  'core.v1.DownwardAPIVolumeFile': {
    fieldRef: 'core.v1.ObjectFieldSelector', resourceFieldRef: 'core.v1.ResourceFieldSelector',
  },
  'core.v1.DownwardAPIVolumeSource': { items: [ATOMIC, 'core.v1.DownwardAPIVolumeFile'] },
  'core.v1.EndpointAddress': { targetRef: 'core.v1.ObjectReference' },
  'core.v1.EndpointSubset': {
    addresses: [ATOMIC, 'core.v1.EndpointAddress'], notReadyAddresses: [ATOMIC, 'core.v1.EndpointAddress'],
    ports: [ATOMIC, 'core.v1.EndpointPort'],
  },
  'core.v1.Endpoints': { metadata: 'meta.v1.ObjectMeta', subsets: [ATOMIC, 'core.v1.EndpointSubset'] },
  'core.v1.EnvVar': { valueFrom: 'core.v1.EnvVarSource' },
  'core.v1.EnvVarSource': {
    configMapKeyRef: 'core.v1.ConfigMapKeySelector', fieldRef: 'core.v1.ObjectFieldSelector',
    resourceFieldRef: 'core.v1.ResourceFieldSelector', secretKeyRef: 'core.v1.SecretKeySelector',
  },
  'core.v1.EphemeralContainer': {
    args: ATOMIC, command: ATOMIC, env: [merge('name'), 'core.v1.EnvVar'], envFrom: ATOMIC,
    lifecycle: 'core.v1.Lifecycle', livenessProbe: 'core.v1.Probe',
    ports: merge('containerPort', ['containerPort', 'protocol']), readinessProbe: 'core.v1.Probe',
    resizePolicy: ATOMIC, resources: 'core.v1.ResourceRequirements',
    securityContext: 'core.v1.SecurityContext', startupProbe: 'core.v1.Probe',
    volumeDevices: merge('devicePath'), volumeMounts: merge('mountPath'),
  },
  'core.v1.EphemeralVolumeSource': { volumeClaimTemplate: 'core.v1.PersistentVolumeClaimTemplate' },
  'core.v1.Event': {
    involvedObject: 'core.v1.ObjectReference', metadata: 'meta.v1.ObjectMeta',
    related: 'core.v1.ObjectReference',
  },
  'core.v1.ExecAction': { command: ATOMIC },
  'core.v1.FCVolumeSource': { targetWWNs: ATOMIC, wwids: ATOMIC },
  'core.v1.FlexPersistentVolumeSource': { secretRef: 'core.v1.SecretReference' },
  'core.v1.FlexVolumeSource': { secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.HTTPGetAction': { httpHeaders: ATOMIC },
  'core.v1.HostAlias': { hostnames: ATOMIC },
  'core.v1.ISCSIPersistentVolumeSource': { portals: ATOMIC, secretRef: 'core.v1.SecretReference' },
  'core.v1.ISCSIVolumeSource': { portals: ATOMIC, secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.Lifecycle': { postStart: 'core.v1.LifecycleHandler', preStop: 'core.v1.LifecycleHandler' },
  'core.v1.LifecycleHandler': { exec: 'core.v1.ExecAction', httpGet: 'core.v1.HTTPGetAction' },
  'core.v1.LimitRange': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.LimitRangeSpec' },
  'core.v1.LimitRangeSpec': { limits: ATOMIC },
  'core.v1.LinuxContainerUser': { supplementalGroups: ATOMIC },
  'core.v1.LoadBalancerIngress': { ports: ATOMIC },
  'core.v1.LoadBalancerStatus': { ingress: [ATOMIC, 'core.v1.LoadBalancerIngress'] },
  'core.v1.Namespace': {
    metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.NamespaceSpec', status: 'core.v1.NamespaceStatus',
  },
  'core.v1.NamespaceSpec': { finalizers: ATOMIC },
  'core.v1.NamespaceStatus': { conditions: merge('type') },
  'core.v1.Node': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.NodeSpec', status: 'core.v1.NodeStatus' },
  'core.v1.NodeAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: [ATOMIC, 'core.v1.PreferredSchedulingTerm'],
    requiredDuringSchedulingIgnoredDuringExecution: 'core.v1.NodeSelector',
  },
  'core.v1.NodeSelector': { nodeSelectorTerms: [ATOMIC, 'core.v1.NodeSelectorTerm'] },
  'core.v1.NodeSelectorRequirement': { values: ATOMIC },
  'core.v1.NodeSelectorTerm': {
    matchExpressions: [ATOMIC, 'core.v1.NodeSelectorRequirement'],
    matchFields: [ATOMIC, 'core.v1.NodeSelectorRequirement'],
  },
  'core.v1.NodeSpec': { podCIDRs: MERGE_SET, taints: ATOMIC },
  'core.v1.NodeStatus': {
    addresses: merge('type'), conditions: merge('type'), images: [ATOMIC, 'core.v1.ContainerImage'],
    runtimeHandlers: ATOMIC, volumesAttached: ATOMIC, volumesInUse: ATOMIC,
  },
  'core.v1.PersistentVolume': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PersistentVolumeSpec' },
  'core.v1.PersistentVolumeClaim': {
    metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PersistentVolumeClaimSpec',
    status: 'core.v1.PersistentVolumeClaimStatus',
  },
  'core.v1.PersistentVolumeClaimSpec': {
    accessModes: ATOMIC, dataSource: 'core.v1.TypedLocalObjectReference', selector: 'meta.v1.LabelSelector',
  },
  'core.v1.PersistentVolumeClaimStatus': {
    accessModes: ATOMIC, allocatedResourceStatuses: GRANULAR_MAP, conditions: merge('type'),
  },
  'core.v1.PersistentVolumeClaimTemplate': {
    metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PersistentVolumeClaimSpec',
  },
  'core.v1.PersistentVolumeSpec': {
    accessModes: ATOMIC, cephfs: 'core.v1.CephFSPersistentVolumeSource',
    cinder: 'core.v1.CinderPersistentVolumeSource', claimRef: [GRANULAR_MAP, 'core.v1.ObjectReference'],
    csi: 'core.v1.CSIPersistentVolumeSource', fc: 'core.v1.FCVolumeSource',
    flexVolume: 'core.v1.FlexPersistentVolumeSource', iscsi: 'core.v1.ISCSIPersistentVolumeSource',
    mountOptions: ATOMIC, nodeAffinity: 'core.v1.VolumeNodeAffinity',
    rbd: 'core.v1.RBDPersistentVolumeSource', scaleIO: 'core.v1.ScaleIOPersistentVolumeSource',
    storageos: 'core.v1.StorageOSPersistentVolumeSource',
  },
  'core.v1.Pod': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PodSpec', status: 'core.v1.PodStatus' },
  'core.v1.PodAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: [ATOMIC, 'core.v1.WeightedPodAffinityTerm'],
    requiredDuringSchedulingIgnoredDuringExecution: [ATOMIC, 'core.v1.PodAffinityTerm'],
  },
  'core.v1.PodAffinityTerm': {
    labelSelector: 'meta.v1.LabelSelector', matchLabelKeys: ATOMIC, mismatchLabelKeys: ATOMIC,
    namespaceSelector: 'meta.v1.LabelSelector', namespaces: ATOMIC,
  },
  'core.v1.PodAntiAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: [ATOMIC, 'core.v1.WeightedPodAffinityTerm'],
    requiredDuringSchedulingIgnoredDuringExecution: [ATOMIC, 'core.v1.PodAffinityTerm'],
  },
  'core.v1.PodDNSConfig': { nameservers: ATOMIC, options: ATOMIC, searches: ATOMIC },
  'core.v1.PodSecurityContext': { supplementalGroups: ATOMIC, sysctls: ATOMIC },
  'core.v1.PodSpec': {
    affinity: 'core.v1.Affinity', containers: [merge('name'), 'core.v1.Container'],
    dnsConfig: 'core.v1.PodDNSConfig', ephemeralContainers: [merge('name'), 'core.v1.EphemeralContainer'],
    hostAliases: [merge('ip'), 'core.v1.HostAlias'],
    imagePullSecrets: [merge('name'), 'core.v1.LocalObjectReference'],
    initContainers: [merge('name'), 'core.v1.Container'], nodeSelector: ATOMIC_MAP, readinessGates: ATOMIC,
    resourceClaims: mergeRetainKeys('name'), resources: 'core.v1.ResourceRequirements',
    schedulingGates: merge('name'), securityContext: 'core.v1.PodSecurityContext', tolerations: ATOMIC,
    topologySpreadConstraints: [
      merge('topologyKey', ['topologyKey', 'whenUnsatisfiable']), 'core.v1.TopologySpreadConstraint',
    ],
    volumes: [mergeRetainKeys('name'), 'core.v1.Volume'],
  },
  'core.v1.PodStatus': {
    conditions: merge('type'), containerStatuses: [ATOMIC, 'core.v1.ContainerStatus'],
    ephemeralContainerStatuses: [ATOMIC, 'core.v1.ContainerStatus'], hostIPs: mergeAtomic('ip'),
    initContainerStatuses: [ATOMIC, 'core.v1.ContainerStatus'], podIPs: merge('ip'),
    resourceClaimStatuses: mergeRetainKeys('name'),
  },
  'core.v1.PodStatusResult': { metadata: 'meta.v1.ObjectMeta', status: 'core.v1.PodStatus' },
  'core.v1.PodTemplate': { metadata: 'meta.v1.ObjectMeta', template: 'core.v1.PodTemplateSpec' },
  'core.v1.PodTemplateSpec': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PodSpec' },
  'core.v1.PreferredSchedulingTerm': { preference: 'core.v1.NodeSelectorTerm' },
  'core.v1.Probe': { exec: 'core.v1.ExecAction', httpGet: 'core.v1.HTTPGetAction' },
  'core.v1.ProjectedVolumeSource': { sources: [ATOMIC, 'core.v1.VolumeProjection'] },
  'core.v1.RBDPersistentVolumeSource': { monitors: ATOMIC, secretRef: 'core.v1.SecretReference' },
  'core.v1.RBDVolumeSource': { monitors: ATOMIC, secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.RangeAllocation': { metadata: 'meta.v1.ObjectMeta' },
  'core.v1.ReplicationController': {
    metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.ReplicationControllerSpec',
    status: 'core.v1.ReplicationControllerStatus',
  },
  'core.v1.ReplicationControllerSpec': { selector: ATOMIC_MAP, template: 'core.v1.PodTemplateSpec' },
  'core.v1.ReplicationControllerStatus': { conditions: merge('type') },
  'core.v1.ResourceQuota': { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.ResourceQuotaSpec' },
  'core.v1.ResourceQuotaSpec': { scopeSelector: 'core.v1.ScopeSelector', scopes: ATOMIC },
  'core.v1.ResourceRequirements': { claims: listMap('name') },
  'core.v1.ResourceStatus': { resources: listMap('resourceID') },
  'core.v1.ScaleIOPersistentVolumeSource': { secretRef: 'core.v1.SecretReference' },
  'core.v1.ScaleIOVolumeSource': { secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.ScopeSelector': { matchExpressions: [ATOMIC, 'core.v1.ScopedResourceSelectorRequirement'] },
  'core.v1.ScopedResourceSelectorRequirement': { values: ATOMIC },
  'core.v1.Secret': { metadata: 'meta.v1.ObjectMeta' },
  'core.v1.SecretProjection': { items: ATOMIC },
  'core.v1.SecretVolumeSource': { items: ATOMIC },
  'core.v1.SecurityContext': { capabilities: 'core.v1.Capabilities' },
  'core.v1.Service': {
    metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.ServiceSpec', status: 'core.v1.ServiceStatus',
  },
  'core.v1.ServiceAccount': {
    imagePullSecrets: [ATOMIC, 'core.v1.LocalObjectReference'], metadata: 'meta.v1.ObjectMeta',
    secrets: [merge('name'), 'core.v1.ObjectReference'],
  },
  'core.v1.ServiceSpec': {
    clusterIPs: ATOMIC, externalIPs: ATOMIC, ipFamilies: ATOMIC, loadBalancerSourceRanges: ATOMIC,
    ports: merge('port', ['port', 'protocol']), selector: ATOMIC_MAP,
  },
  'core.v1.ServiceStatus': { conditions: merge('type'), loadBalancer: 'core.v1.LoadBalancerStatus' },
  'core.v1.StorageOSPersistentVolumeSource': { secretRef: 'core.v1.ObjectReference' },
  'core.v1.StorageOSVolumeSource': { secretRef: 'core.v1.LocalObjectReference' },
  'core.v1.TopologySelectorLabelRequirement': { values: ATOMIC },
  'core.v1.TopologySelectorTerm': {
    matchLabelExpressions: [ATOMIC, 'core.v1.TopologySelectorLabelRequirement'],
  },
  'core.v1.TopologySpreadConstraint': { labelSelector: 'meta.v1.LabelSelector', matchLabelKeys: ATOMIC },
  'core.v1.Volume': {
    cephfs: 'core.v1.CephFSVolumeSource', cinder: 'core.v1.CinderVolumeSource',
    configMap: 'core.v1.ConfigMapVolumeSource', csi: 'core.v1.CSIVolumeSource',
    downwardAPI: 'core.v1.DownwardAPIVolumeSource', ephemeral: 'core.v1.EphemeralVolumeSource',
    fc: 'core.v1.FCVolumeSource', flexVolume: 'core.v1.FlexVolumeSource', iscsi: 'core.v1.ISCSIVolumeSource',
    projected: 'core.v1.ProjectedVolumeSource', rbd: 'core.v1.RBDVolumeSource',
    scaleIO: 'core.v1.ScaleIOVolumeSource', secret: 'core.v1.SecretVolumeSource',
    storageos: 'core.v1.StorageOSVolumeSource',
  },
  'core.v1.VolumeNodeAffinity': { required: 'core.v1.NodeSelector' },
  'core.v1.VolumeProjection': {
    clusterTrustBundle: 'core.v1.ClusterTrustBundleProjection', configMap: 'core.v1.ConfigMapProjection',
    downwardAPI: 'core.v1.DownwardAPIProjection', secret: 'core.v1.SecretProjection',
  },
  'core.v1.WeightedPodAffinityTerm': { podAffinityTerm: 'core.v1.PodAffinityTerm' },
  'discovery.v1.Endpoint': {
    addresses: SET, hints: 'discovery.v1.EndpointHints', targetRef: 'core.v1.ObjectReference',
  },
  'discovery.v1.EndpointHints': { forZones: ATOMIC },
  'discovery.v1.EndpointSlice': {
    endpoints: [ATOMIC, 'discovery.v1.Endpoint'], metadata: 'meta.v1.ObjectMeta',
    ports: [ATOMIC, 'discovery.v1.EndpointPort'],
  },
  'meta.v1.DeleteOptions': { dryRun: ATOMIC },
  'meta.v1.LabelSelector': { matchExpressions: [ATOMIC, 'meta.v1.LabelSelectorRequirement'] },
  'meta.v1.LabelSelectorRequirement': { values: ATOMIC },
  'meta.v1.ObjectMeta': {
    finalizers: MERGE_SET, managedFields: ATOMIC, ownerReferences: [merge('uid'), 'meta.v1.OwnerReference'],
  },
  'meta.v1.PartialObjectMetadata': { metadata: 'meta.v1.ObjectMeta' },
  'networking.v1.HTTPIngressPath': { backend: 'networking.v1.IngressBackend' },
  'networking.v1.HTTPIngressRuleValue': { paths: [ATOMIC, 'networking.v1.HTTPIngressPath'] },
  'networking.v1.IPBlock': { except: ATOMIC },
  'networking.v1.Ingress': {
    metadata: 'meta.v1.ObjectMeta', spec: 'networking.v1.IngressSpec', status: 'networking.v1.IngressStatus',
  },
  'networking.v1.IngressBackend': {
    resource: 'core.v1.TypedLocalObjectReference', service: 'networking.v1.IngressServiceBackend',
  },
  'networking.v1.IngressClass': { metadata: 'meta.v1.ObjectMeta' },
  'networking.v1.IngressLoadBalancerIngress': { ports: ATOMIC },
  'networking.v1.IngressLoadBalancerStatus': {
    ingress: [ATOMIC, 'networking.v1.IngressLoadBalancerIngress'],
  },
  'networking.v1.IngressRule': { http: 'networking.v1.HTTPIngressRuleValue' },
  'networking.v1.IngressServiceBackend': { port: 'networking.v1.ServiceBackendPort' },
  'networking.v1.IngressSpec': {
    defaultBackend: 'networking.v1.IngressBackend', rules: [ATOMIC, 'networking.v1.IngressRule'],
    tls: [ATOMIC, 'networking.v1.IngressTLS'],
  },
  'networking.v1.IngressStatus': { loadBalancer: 'networking.v1.IngressLoadBalancerStatus' },
  'networking.v1.IngressTLS': { hosts: ATOMIC },
  'networking.v1.NetworkPolicy': { metadata: 'meta.v1.ObjectMeta', spec: 'networking.v1.NetworkPolicySpec' },
  'networking.v1.NetworkPolicyEgressRule': { ports: ATOMIC, to: [ATOMIC, 'networking.v1.NetworkPolicyPeer'] },
  'networking.v1.NetworkPolicyIngressRule': {
    from: [ATOMIC, 'networking.v1.NetworkPolicyPeer'], ports: ATOMIC,
  },
  'networking.v1.NetworkPolicyPeer': {
    ipBlock: 'networking.v1.IPBlock', namespaceSelector: 'meta.v1.LabelSelector',
    podSelector: 'meta.v1.LabelSelector',
  },
  'networking.v1.NetworkPolicySpec': {
    egress: [ATOMIC, 'networking.v1.NetworkPolicyEgressRule'],
    ingress: [ATOMIC, 'networking.v1.NetworkPolicyIngressRule'], podSelector: 'meta.v1.LabelSelector',
    policyTypes: ATOMIC,
  },
  'policy.v1.Eviction': { deleteOptions: 'meta.v1.DeleteOptions', metadata: 'meta.v1.ObjectMeta' },
  'policy.v1.PodDisruptionBudget': {
    metadata: 'meta.v1.ObjectMeta', spec: 'policy.v1.PodDisruptionBudgetSpec',
    status: 'policy.v1.PodDisruptionBudgetStatus',
  },
  'policy.v1.PodDisruptionBudgetSpec': { selector: [REPLACE, 'meta.v1.LabelSelector'] },
  'policy.v1.PodDisruptionBudgetStatus': { conditions: merge('type') },
  'rbac.v1.AggregationRule': { clusterRoleSelectors: [ATOMIC, 'meta.v1.LabelSelector'] },
  'rbac.v1.ClusterRole': {
    aggregationRule: 'rbac.v1.AggregationRule', metadata: 'meta.v1.ObjectMeta',
    rules: [ATOMIC, 'rbac.v1.PolicyRule'],
  },
  'rbac.v1.ClusterRoleBinding': {
    metadata: 'meta.v1.ObjectMeta', roleRef: 'rbac.v1.RoleRef', subjects: [ATOMIC, 'rbac.v1.Subject'],
  },
  'rbac.v1.PolicyRule': {
    apiGroups: ATOMIC, nonResourceURLs: ATOMIC, resourceNames: ATOMIC, resources: ATOMIC, verbs: ATOMIC,
  },
  'rbac.v1.Role': { metadata: 'meta.v1.ObjectMeta', rules: [ATOMIC, 'rbac.v1.PolicyRule'] },
  'rbac.v1.RoleBinding': {
    metadata: 'meta.v1.ObjectMeta', roleRef: 'rbac.v1.RoleRef', subjects: [ATOMIC, 'rbac.v1.Subject'],
  },
  'storage.v1.CSIDriver': { metadata: 'meta.v1.ObjectMeta', spec: 'storage.v1.CSIDriverSpec' },
  'storage.v1.CSIDriverSpec': { tokenRequests: ATOMIC, volumeLifecycleModes: SET },
  'storage.v1.CSINode': { metadata: 'meta.v1.ObjectMeta', spec: 'storage.v1.CSINodeSpec' },
  'storage.v1.CSINodeDriver': { topologyKeys: ATOMIC },
  'storage.v1.CSINodeSpec': { drivers: [merge('name'), 'storage.v1.CSINodeDriver'] },
  'storage.v1.CSIStorageCapacity': { metadata: 'meta.v1.ObjectMeta', nodeTopology: 'meta.v1.LabelSelector' },
  'storage.v1.StorageClass': {
    allowedTopologies: [ATOMIC, 'core.v1.TopologySelectorTerm'], metadata: 'meta.v1.ObjectMeta',
    mountOptions: ATOMIC,
  },
  'storage.v1.VolumeAttachment': { metadata: 'meta.v1.ObjectMeta', spec: 'storage.v1.VolumeAttachmentSpec' },
  'storage.v1.VolumeAttachmentSource': { inlineVolumeSpec: 'core.v1.PersistentVolumeSpec' },
  'storage.v1.VolumeAttachmentSpec': { source: 'storage.v1.VolumeAttachmentSource' },
};

// Fields that are maps whose values are objects of a definition (map[string]T in Go).
const MAP_VALUES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'apiextensions.v1.JSONSchemaProps': {
    definitions: 'apiextensions.v1.JSONSchemaProps',
    dependencies: 'apiextensions.v1.JSONSchemaProps',
    patternProperties: 'apiextensions.v1.JSONSchemaProps',
    properties: 'apiextensions.v1.JSONSchemaProps',
  },
};

// Definitions marked +structType=atomic: server-side apply owns them as a whole.
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'admissionregistration.v1.MatchResources', 'admissionregistration.v1.NamedRuleWithOperations',
  'admissionregistration.v1.ParamKind', 'admissionregistration.v1.ParamRef',
  'admissionregistration.v1.Variable', 'autoscaling.v1.CrossVersionObjectReference',
  'core.v1.ConfigMapKeySelector', 'core.v1.EndpointAddress', 'core.v1.EndpointPort',
  'core.v1.LocalObjectReference', 'core.v1.NodeSelector', 'core.v1.NodeSelectorTerm',
  'core.v1.ObjectFieldSelector', 'core.v1.ObjectReference', 'core.v1.ResourceFieldSelector',
  'core.v1.ScopeSelector', 'core.v1.SecretKeySelector', 'core.v1.SecretReference',
  'core.v1.TopologySelectorTerm', 'core.v1.TypedLocalObjectReference', 'discovery.v1.EndpointPort',
  'meta.v1.LabelSelector', 'meta.v1.OwnerReference', 'networking.v1.ServiceBackendPort',
  'rbac.v1.RoleRef', 'rbac.v1.Subject',
]);

/** entryOf returns the table entry of one field, if any. */
function entryOf(definition: string, field: string): FieldEntry | undefined {
  const key = tableKey(definition);
  if (!hasOwn(FIELDS, key)) return undefined;
  const fields = FIELDS[key];
  return hasOwn(fields, field) ? fields[field] : undefined;
}

/**
 * patchMetaFor returns the patch metadata of field in a built-in definition, e.g.
 * ('io.k8s.api.core.v1.PodSpec', 'containers') -> merge by name, or undefined when the field has
 * none (strategic merge patch then replaces a list and merges a map).
 */
export function patchMetaFor(definition: string, field: string): FieldPatchMeta | undefined {
  const entry = entryOf(definition, field);
  if (entry === undefined || typeof entry === 'string') return undefined;
  return isPair(entry) ? entry[0] : entry;
}

/** isPair tells a [metadata, definition] entry from a bare metadata object. */
function isPair(entry: FieldPatchMeta | readonly [FieldPatchMeta, string]): entry is readonly [FieldPatchMeta, string] {
  return Array.isArray(entry);
}

/**
 * childDefinition returns the definition that field of a built-in definition holds: the
 * object's for an object field, each item's for a list, e.g. ('io.k8s.api.core.v1.PodTemplateSpec',
 * 'spec') -> io.k8s.api.core.v1.PodSpec. Maps of objects answer through mapValueDefinition.
 * undefined for scalars, unknown fields and (without definitions.json) links to types that have
 * no patch metadata below them.
 */
export function childDefinition(definition: string, field: string): string | undefined {
  const entry = entryOf(definition, field);
  if (typeof entry === 'string') return definitionName(entry);
  if (entry !== undefined && isPair(entry)) return definitionName(entry[1]);
  if (mapValueDefinition(definition, field) !== undefined) return undefined;
  const property = openAPIProperty(definition, field);
  if (!property) return undefined;
  return refName(property) ?? (isPlainObject(property.items) ? refName(property.items) : undefined);
}

/**
 * mapValueDefinition returns the definition of the values of a map-of-objects field, e.g.
 * JSONSchemaProps.properties -> JSONSchemaProps, or undefined when the field is not such a map.
 */
export function mapValueDefinition(definition: string, field: string): string | undefined {
  const key = tableKey(definition);
  const mapFields = hasOwn(MAP_VALUES, key) ? MAP_VALUES[key] : undefined;
  if (mapFields && hasOwn(mapFields, field)) return definitionName(mapFields[field]);
  if (entryOf(definition, field) !== undefined) return undefined;
  const additional = openAPIProperty(definition, field)?.additionalProperties;
  const name = isPlainObject(additional) ? refName(additional) : undefined;
  // Maps of Quantity and other scalar wire formats hold no fields to walk into.
  const definitions = definitionsFile();
  const isObjectDefinition = name !== undefined && hasOwn(definitions, name) && definitions[name].type === 'object';
  return isObjectDefinition ? name : undefined;
}

/**
 * definitionMapType returns 'atomic' for a definition that server-side apply owns as a whole
 * (x-kubernetes-map-type: atomic, from +structType=atomic), e.g. LabelSelector, ObjectReference.
 */
export function definitionMapType(definition: string): 'atomic' | undefined {
  return ATOMIC_STRUCTS.has(tableKey(definition)) ? 'atomic' : undefined;
}

/**
 * openAPIExtensions renders patch metadata as the x-kubernetes-* OpenAPI extensions that
 * kube-apiserver publishes on a property (and that kubectl reads to build its patches).
 */
export function openAPIExtensions(meta: FieldPatchMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (meta.listMapKeys) out['x-kubernetes-list-map-keys'] = [...meta.listMapKeys];
  if (meta.listType) out['x-kubernetes-list-type'] = meta.listType;
  if (meta.mapType) out['x-kubernetes-map-type'] = meta.mapType;
  if (meta.patchMergeKey) out['x-kubernetes-patch-merge-key'] = meta.patchMergeKey;
  if (meta.patchStrategy) out['x-kubernetes-patch-strategy'] = meta.patchStrategy;
  return out;
}

/** NO_PATCH_METADATA is a schema without metadata anywhere: JSON merge semantics, lists replaced. */
export const NO_PATCH_METADATA: PatchSchema = Object.freeze({
  name: 'object',
  field: (): PatchField => NO_FIELD,
});
const NO_FIELD: PatchField = Object.freeze({ schema: NO_PATCH_METADATA });

const builtinSchemas = new Map<string, PatchSchema>();

/**
 * builtinPatchSchema returns the PatchSchema of a built-in definition, e.g.
 * builtinPatchSchema('io.k8s.api.apps.v1.Deployment') for a Deployment and its status; an
 * unknown definition has no metadata (JSON merge semantics).
 */
export function builtinPatchSchema(definition: string): PatchSchema {
  let schema = builtinSchemas.get(definition);
  if (!schema) {
    const fields = new Map<string, PatchField>();
    schema = {
      name: definition,
      field(name: string): PatchField {
        let found = fields.get(name);
        if (!found) {
          found = builtinField(definition, name);
          fields.set(name, found);
        }
        return found;
      },
    };
    builtinSchemas.set(definition, schema);
  }
  return schema;
}

/** builtinField resolves one field of a built-in definition into a PatchField. */
function builtinField(definition: string, name: string): PatchField {
  const meta = patchMetaFor(definition, name);
  const values = mapValueDefinition(definition, name);
  const child = values === undefined ? childDefinition(definition, name) : undefined;
  const schema = values !== undefined
    ? mapOfSchema(builtinPatchSchema(values))
    : child !== undefined ? builtinPatchSchema(child) : NO_PATCH_METADATA;
  return meta ? { meta, schema } : { schema };
}

/** mapOfSchema is the schema of a map whose every value is described by values. */
function mapOfSchema(values: PatchSchema): PatchSchema {
  const field: PatchField = { schema: values };
  return { name: `map[string]${values.name}`, field: () => field };
}

/** OpenAPIPatchSchemaOptions tunes openAPIPatchSchema. */
export interface OpenAPIPatchSchemaOptions {
  /**
   * listTypes derives a merge strategy from x-kubernetes-list-type where a property declares no
   * x-kubernetes-patch-strategy: 'map' lists merge by their first list-map key and 'set' lists
   * merge as sets. Off by default, which matches Kubernetes: it never merges lists of custom
   * resources by key.
   */
  listTypes?: boolean;
}

/**
 * openAPIPatchSchema returns the PatchSchema of an OpenAPI v3 (structural) schema, such as a CRD
 * version's openAPIV3Schema: patch metadata comes from the x-kubernetes-patch-* extensions
 * (and, with options.listTypes, from x-kubernetes-list-type), children from properties, items
 * and additionalProperties.
 */
export function openAPIPatchSchema(schema: JSONSchema, options: OpenAPIPatchSchemaOptions = {}): PatchSchema {
  const fields = new Map<string, PatchField>();
  return {
    name: typeof schema.type === 'string' ? schema.type : 'object',
    field(name: string): PatchField {
      let found = fields.get(name);
      if (!found) {
        found = openAPIField(schema, name, options);
        fields.set(name, found);
      }
      return found;
    },
  };
}

/** openAPIField resolves one property of an OpenAPI v3 schema into a PatchField. */
function openAPIField(schema: JSONSchema, name: string, options: OpenAPIPatchSchemaOptions): PatchField {
  const properties = isPlainObject(schema.properties) ? schema.properties : undefined;
  let property: unknown = properties && hasOwn(properties, name) ? properties[name] : undefined;
  if (property === undefined && isPlainObject(schema.additionalProperties)) property = schema.additionalProperties;
  if (!isPlainObject(property)) return NO_FIELD;
  const meta = metaFromExtensions(property, options);
  const value = property.type === 'array' && isPlainObject(property.items) ? property.items : property;
  const child = openAPIPatchSchema(value, options);
  return meta ? { meta, schema: child } : { schema: child };
}

/**
 * customPatchSchema returns the PatchSchema of a custom resource: metadata is a built-in
 * ObjectMeta (ownerReferences merge by uid, finalizers as a set), everything else follows the
 * CRD's structural schema through openAPIPatchSchema, so lists are replaced unless the schema
 * declares x-kubernetes-patch-strategy. (kube-apiserver itself answers 415 to a strategic merge
 * patch of a custom resource; this is for callers that accept one anyway.)
 */
export function customPatchSchema(def: Pick<ResourceDefinition, 'schema'>): PatchSchema {
  const body = openAPIPatchSchema(def.schema);
  const metadata: PatchField = { schema: builtinPatchSchema(`${META}ObjectMeta`) };
  return { name: body.name, field: (name) => (name === 'metadata' ? metadata : body.field(name)) };
}

/** metaFromExtensions reads patch metadata from a property's x-kubernetes-* extensions. */
function metaFromExtensions(property: JSONSchema, options: OpenAPIPatchSchemaOptions): FieldPatchMeta | undefined {
  const meta: { -readonly [K in keyof FieldPatchMeta]: FieldPatchMeta[K] } = {};
  const strategy = property['x-kubernetes-patch-strategy'];
  const mergeKey = property['x-kubernetes-patch-merge-key'];
  const listType = property['x-kubernetes-list-type'];
  const mapKeys = property['x-kubernetes-list-map-keys'];
  const mapType = property['x-kubernetes-map-type'];
  if (typeof strategy === 'string') meta.patchStrategy = strategy;
  if (typeof mergeKey === 'string') meta.patchMergeKey = mergeKey;
  if (listType === 'atomic' || listType === 'set' || listType === 'map') meta.listType = listType;
  if (Array.isArray(mapKeys) && mapKeys.every((k) => typeof k === 'string')) meta.listMapKeys = mapKeys as string[];
  if (mapType === 'atomic' || mapType === 'granular') meta.mapType = mapType;
  if (options.listTypes && meta.patchStrategy === undefined) {
    if (meta.listType === 'set') meta.patchStrategy = 'merge';
    if (meta.listType === 'map' && meta.listMapKeys?.length) {
      meta.patchStrategy = 'merge';
      meta.patchMergeKey ??= meta.listMapKeys[0];
    }
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/** hasOwn is an own-property test that ignores inherited names such as "constructor". */
function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}


/** refName returns the definition an OpenAPI v2 `$ref` points at. */
function refName(schema: JSONSchema): string | undefined {
  const ref = schema.$ref;
  const prefix = '#/definitions/';
  return typeof ref === 'string' && ref.startsWith(prefix) ? ref.slice(prefix.length) : undefined;
}

let definitionsCache: Readonly<Record<string, JSONSchema>> | undefined;

/**
 * definitionsFile reads schemas/generated/definitions.json once, for the child links the table
 * leaves out. A missing or unreadable file yields an empty map: those links are never needed to
 * find patch metadata, so patching does not depend on it.
 */
function definitionsFile(): Readonly<Record<string, JSONSchema>> {
  if (definitionsCache) return definitionsCache;
  definitionsCache = {};
  const candidates = [
    path.join(__dirname, 'generated', 'definitions.json'),
    path.join(__dirname, '..', '..', 'schemas', 'generated', 'definitions.json'),
  ];
  for (const file of candidates) {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (isPlainObject(parsed)) definitionsCache = parsed as Record<string, JSONSchema>;
      break;
    } catch {
      // Try the next place; patching works without the file.
    }
  }
  return definitionsCache;
}

/** openAPIProperty returns one property's schema from definitions.json, if the file has it. */
function openAPIProperty(definition: string, field: string): JSONSchema | undefined {
  const definitions = definitionsFile();
  if (!hasOwn(definitions, definition)) return undefined;
  const properties = definitions[definition].properties;
  if (!isPlainObject(properties) || !hasOwn(properties, field)) return undefined;
  const property = properties[field];
  return isPlainObject(property) ? property : undefined;
}
