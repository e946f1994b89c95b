/**
 * The parts of core/v1 Pod that the instance scheduler reads and writes, typed. Objects from the
 * API are plain JSON; these interfaces only name the fields, so any pod object fits them.
 */

/** ResourceList is a container's requests or limits: resource name to quantity. */
export type ResourceList = Record<string, string | number>;

/** Container is the subset of core/v1 Container the scheduler uses. */
export interface Container {
  name: string;
  image?: string;
  /** restartPolicy "Always" on an init container makes it a restartable init container (a sidecar). */
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  [field: string]: unknown;
}

/** NodeSelectorRequirement is one matchExpressions entry of node affinity. */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | string;
  values?: string[];
}

/** PodSpec is the subset of core/v1 PodSpec the scheduler uses. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never' | string;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms?: Array<{ matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }>;
      };
      [field: string]: unknown;
    };
    [field: string]: unknown;
  };
  tolerations?: Array<Record<string, unknown>>;
  overhead?: ResourceList;
  readinessGates?: Array<{ conditionType: string }>;
  terminationGracePeriodSeconds?: number;
  [field: string]: unknown;
}

/** OwnerReference is metadata.ownerReferences[i]. */
export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

/** PodCondition is one status.conditions entry. */
export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** ContainerState is exactly one of waiting, running or terminated, as core/v1 ContainerState. */
export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: {
    exitCode: number;
    reason: string;
    message?: string;
    startedAt?: string;
    finishedAt: string;
    containerID?: string;
  };
}

/** ContainerStatus is core/v1 ContainerStatus. */
export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

/** PodStatus is core/v1 PodStatus as a kubelet writes it. */
export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  hostIPs?: Array<{ ip: string }>;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
  [field: string]: unknown;
}

/** Pod is a core/v1 Pod as parsed JSON. */
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [field: string]: unknown;
  };
  spec: PodSpec;
  status?: PodStatus;
}

/** isRestartableInitContainer is true for a sidecar: an init container with restartPolicy Always. */
export function isRestartableInitContainer(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** podRestartPolicy is spec.restartPolicy with kube's default, Always. */
export function podRestartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec.restartPolicy;
  return p === 'Never' || p === 'OnFailure' ? p : 'Always';
}

/** podKey is "namespace/name", the work-queue key of a pod. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
