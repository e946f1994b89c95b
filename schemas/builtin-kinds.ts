/**
 * The discovery-facing facts of every built-in resource nodeless serves, exactly as a
 * Kubernetes 1.32 kube-apiserver (default feature gates) reports them in /api, /apis and the
 * aggregated discovery document. Each kind's facts and behaviour live in its file in kinds/;
 * this file puts them in the order discovery lists them.
 */
import * as admissionPolicy from './kinds/admission-policy';
import * as cluster from './kinds/cluster';
import { configMap } from './kinds/configmap';
import { controllerRevision } from './kinds/controllerrevision';
import { cronJob } from './kinds/cronjob';
import { certificateSigningRequest } from './kinds/certificatesigningrequest';
import { customResourceDefinition } from './kinds/customresourcedefinition';
import { daemonSet } from './kinds/daemonset';
import { deployment } from './kinds/deployment';
import { endpoints } from './kinds/endpoints';
import { coreEvent, eventV1 } from './kinds/event';
import { horizontalPodAutoscalerV1, horizontalPodAutoscalerV2 } from './kinds/horizontalpodautoscaler';
import { job } from './kinds/job';
import type { BuiltinKind } from './kinds/kind';
import { limitRange } from './kinds/limitrange';
import { namespace } from './kinds/namespace';
import * as networking from './kinds/networking';
import { node } from './kinds/node';
import { persistentVolume } from './kinds/persistentvolume';
import { persistentVolumeClaim } from './kinds/persistentvolumeclaim';
import { pod } from './kinds/pod';
import { podDisruptionBudget } from './kinds/poddisruptionbudget';
import { podTemplate } from './kinds/podtemplate';
import * as rbac from './kinds/rbac';
import { replicaSet } from './kinds/replicaset';
import { replicationController } from './kinds/replicationcontroller';
import { resourceQuota } from './kinds/resourcequota';
import * as reviews from './kinds/reviews';
import { secret } from './kinds/secret';
import { service } from './kinds/service';
import { serviceAccount } from './kinds/serviceaccount';
import { statefulSet } from './kinds/statefulset';
import * as storage from './kinds/storage';

export { ALL_VERBS, FINALIZE_VERBS, SUBRESOURCE_VERBS, type BuiltinKind, type BuiltinSubresources } from './kinds/kind';

/**
 * BUILTIN_KINDS lists the built-in resources in discovery order: groups as in API_GROUP_ORDER
 * (core first), resources alphabetical by plural within a group/version, as kube-apiserver
 * lists them. events.k8s.io/v1 events share storage with core v1 events, and autoscaling v1
 * and v2 horizontalpodautoscalers are the same objects at two versions.
 */
export const BUILTIN_KINDS: readonly BuiltinKind[] = [
  configMap, endpoints, coreEvent, limitRange, namespace, node, persistentVolumeClaim, persistentVolume, pod, podTemplate,
  replicationController, resourceQuota, secret, serviceAccount, service,
  controllerRevision, daemonSet, deployment, replicaSet, statefulSet,
  cluster.apiService,
  eventV1,
  reviews.selfSubjectReview, reviews.tokenReview,
  reviews.localSubjectAccessReview, reviews.selfSubjectAccessReview, reviews.selfSubjectRulesReview, reviews.subjectAccessReview,
  horizontalPodAutoscalerV2, horizontalPodAutoscalerV1,
  cronJob, job,
  certificateSigningRequest,
  networking.ingressClass, networking.ingress, networking.networkPolicy,
  podDisruptionBudget,
  rbac.clusterRoleBinding, rbac.clusterRole, rbac.roleBinding, rbac.role,
  storage.csiDriver, storage.csiNode, storage.csiStorageCapacity, storage.storageClass, storage.volumeAttachment,
  cluster.mutatingWebhookConfiguration, cluster.validatingWebhookConfiguration,
  admissionPolicy.validatingAdmissionPolicy, admissionPolicy.validatingAdmissionPolicyBinding,
  customResourceDefinition,
  cluster.priorityClass,
  cluster.lease,
  cluster.runtimeClass,
  cluster.endpointSlice,
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
