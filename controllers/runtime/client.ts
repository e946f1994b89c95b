/**
 * The Client every controller talks through: the verbs of the Kubernetes API on typed objects,
 * addressed by a small resource descriptor. Two implementations stand behind it: in process
 * (server/in-process-client.ts, straight into the registry) and over HTTP from a kubeconfig
 * (http-client.ts). Both pass test/controllers/client-suite.ts; a controller cannot tell them apart.
 */
import type { KubeObject } from '../../schemas/types';

/** ResourceDescriptor names a served resource: its group, version, plural and scope. */
export interface ResourceDescriptor {
  group: string;
  version: string;
  /** resource is the plural, e.g. "deployments" */
  resource: string;
  namespaced: boolean;
  /** kind is informational (events, lists); discovery fills it in */
  kind?: string;
}

/** GroupVersionKind names a kind; Client.resourceFor resolves it through discovery. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** APIResourceInfo is one served resource as discovery reports it, with the verbs it takes. */
export interface APIResourceInfo extends ResourceDescriptor {
  kind: string;
  verbs: string[];
}

/** Status is the metav1.Status body of an error (or of a delete that answers one). */
export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: Array<{ reason?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
  code?: number;
}

/** ApiError is every failure a Client reports for a request the server answered: its Status. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? `request failed with ${status.code}`);
    this.name = 'ApiError';
  }
  /** code is the HTTP status code (0 when the server never answered). */
  get code(): number {
    return this.status.code ?? 0;
  }
  /** reason is Status.reason, e.g. NotFound, Conflict, AlreadyExists, Expired. */
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** isNotFound is true for a 404 ApiError. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}
/** isConflict is true for a 409 Conflict (a lost resourceVersion race), not AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
}
/** isAlreadyExists is true for a create of a name that is taken. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
/** isGone is true for 410 Gone (Expired): a watch or continue from a compacted revision. */
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.code === 410;
}
/** hasCause is true when an ApiError lists a cause with the given reason (e.g. NamespaceTerminating). */
export function hasCause(err: unknown, reason: string): boolean {
  return err instanceof ApiError && !!err.status.details?.causes?.some((c) => c.reason === reason);
}

/** ListOptions are the query of a list. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

/** ObjectList is a list response: the items and the list's resourceVersion and continue token. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** WatchOptions are the query of a watch; signal ends it. */
export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/**
 * WatchEvent is one event of a watch; ERROR carries a Status (410 Expired: list again). Its
 * object is read-only: the in-process Client hands every watcher of a change one shared,
 * deep-frozen object (clone before changing it).
 */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

/** WatchStream is an open watch: iterate it; close() (or the signal) ends it and the iteration. */
export interface WatchStream<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

/** WriteOptions apply to every write. */
export interface WriteOptions {
  dryRun?: boolean;
}

/** UpdateOptions select the subresource an update writes (status, finalize). */
export interface UpdateOptions extends WriteOptions {
  subresource?: 'status' | 'finalize';
}

/** PatchType is the patch's format: JSON patch, merge patch, strategic merge patch, server-side apply. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** PatchOptions: force takes over conflicting fields in an apply. */
export interface PatchOptions extends WriteOptions {
  force?: boolean;
  subresource?: 'status';
}

/** DeleteOptions are metav1.DeleteOptions. */
export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Scale is an autoscaling/v1 Scale. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Eviction is a policy/v1 Eviction of a pod. */
export interface Eviction extends KubeObject {
  deleteOptions?: DeleteOptions & { kind?: string; apiVersion?: string };
}

/**
 * Client is the Kubernetes API as a controller sees it. Every write carries the client's field
 * manager and user agent. Failures the server answered reject with ApiError; objects returned
 * are the caller's own copies, but for watch events' objects, which are read-only.
 */
export interface Client {
  /** fieldManager names this client's writes in managedFields, e.g. deployment-controller. */
  readonly fieldManager: string;
  readonly userAgent: string;
  /** withFieldManager answers a client on the same connection writing as another manager. */
  withFieldManager(fieldManager: string, userAgent?: string): Client;

  /** resourceFor resolves a kind to its served resource through discovery (404 when not served). */
  resourceFor(gvk: GroupVersionKind): Promise<ResourceDescriptor>;
  /** serverPreferredResources lists every served resource at its group's preferred version. */
  serverPreferredResources(): Promise<APIResourceInfo[]>;

  get<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options?: ListOptions): Promise<ObjectList<T>>;
  /** watch opens a watch; it rejects when the server refuses it and otherwise streams events (their objects read-only). */
  watch<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options?: WatchOptions): Promise<WatchStream<T>>;
  /** create stores obj in namespace (metadata.namespace is ignored in favour of it). */
  create<T extends KubeObject>(res: ResourceDescriptor, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T>;
  /** update replaces the object named in obj; a resourceVersion in it is a precondition. */
  update<T extends KubeObject>(res: ResourceDescriptor, obj: T, options?: UpdateOptions): Promise<T>;
  /** updateStatus writes only the status of the object named in obj. */
  updateStatus<T extends KubeObject>(res: ResourceDescriptor, obj: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  /** apply is a server-side apply of obj (named by its metadata) under the client's field manager. */
  apply<T extends KubeObject>(res: ResourceDescriptor, obj: T, options?: PatchOptions): Promise<T>;
  /** delete deletes an object; it answers the object while finalizers (or a grace period) hold it, undefined once it is gone. */
  delete(res: ResourceDescriptor, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<KubeObject | undefined>;
  /** deleteCollection deletes every object a list selects. */
  deleteCollection(res: ResourceDescriptor, namespace: string | undefined, list?: ListOptions, options?: DeleteOptions): Promise<void>;

  getScale(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<Scale>;
  updateScale(res: ResourceDescriptor, namespace: string | undefined, name: string, scale: Scale, options?: WriteOptions): Promise<Scale>;
  /** createEviction posts a policy/v1 Eviction to pods/{name}/eviction. */
  createEviction(namespace: string, name: string, eviction?: Eviction): Promise<void>;
}

/** NAMESPACES is core/v1 namespaces; the descriptors below name the resources the built-in controllers use. */
export const NAMESPACES: ResourceDescriptor = { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' };
/** PODS is core/v1 pods. */
export const PODS: ResourceDescriptor = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
/** EVENTS is core/v1 events. */
export const EVENTS: ResourceDescriptor = { group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' };
/** CONFIG_MAPS is core/v1 configmaps. */
export const CONFIG_MAPS: ResourceDescriptor = { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' };
/** SERVICE_ACCOUNTS is core/v1 serviceaccounts. */
export const SERVICE_ACCOUNTS: ResourceDescriptor = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount' };
/** REPLICA_SETS is apps/v1 replicasets. */
export const REPLICA_SETS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, kind: 'ReplicaSet' };
/** JOBS is batch/v1 jobs. */
export const JOBS: ResourceDescriptor = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, kind: 'Job' };
/** CRON_JOBS is batch/v1 cronjobs. */
export const CRON_JOBS: ResourceDescriptor = { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, kind: 'CronJob' };
/** REPLICATION_CONTROLLERS is core/v1 replicationcontrollers. */
export const REPLICATION_CONTROLLERS: ResourceDescriptor = { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' };
/** DEPLOYMENTS is apps/v1 deployments. */
export const DEPLOYMENTS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' };

/** STATEFUL_SETS is apps/v1 statefulsets. */
export const STATEFUL_SETS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, kind: 'StatefulSet' };
/** DAEMON_SETS is apps/v1 daemonsets. */
export const DAEMON_SETS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, kind: 'DaemonSet' };
/** CONTROLLER_REVISIONS is apps/v1 controllerrevisions. */
export const CONTROLLER_REVISIONS: ResourceDescriptor = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true, kind: 'ControllerRevision' };
/** PERSISTENT_VOLUME_CLAIMS is core/v1 persistentvolumeclaims. */
export const PERSISTENT_VOLUME_CLAIMS: ResourceDescriptor = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
/** PERSISTENT_VOLUMES is core/v1 persistentvolumes (cluster-scoped). */
export const PERSISTENT_VOLUMES: ResourceDescriptor = { group: '', version: 'v1', resource: 'persistentvolumes', namespaced: false, kind: 'PersistentVolume' };
/** STORAGE_CLASSES is storage.k8s.io/v1 storageclasses (cluster-scoped). */
export const STORAGE_CLASSES: ResourceDescriptor = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', namespaced: false, kind: 'StorageClass' };
/** SECRETS is core/v1 secrets. */
export const SECRETS: ResourceDescriptor = { group: '', version: 'v1', resource: 'secrets', namespaced: true, kind: 'Secret' };
/** SERVICES is core/v1 services. */
export const SERVICES: ResourceDescriptor = { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' };
/** ENDPOINTS is core/v1 endpoints. */
export const ENDPOINTS: ResourceDescriptor = { group: '', version: 'v1', resource: 'endpoints', namespaced: true, kind: 'Endpoints' };
/** ENDPOINT_SLICES is discovery.k8s.io/v1 endpointslices. */
export const ENDPOINT_SLICES: ResourceDescriptor = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };

/** INGRESSES is networking.k8s.io/v1 ingresses. */
export const INGRESSES: ResourceDescriptor = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true, kind: 'Ingress' };

/** INGRESS_CLASSES is networking.k8s.io/v1 ingressclasses. */
export const INGRESS_CLASSES: ResourceDescriptor = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', namespaced: false, kind: 'IngressClass' };
/** RESOURCE_QUOTAS is core/v1 resourcequotas. */
export const RESOURCE_QUOTAS: ResourceDescriptor = { group: '', version: 'v1', resource: 'resourcequotas', namespaced: true, kind: 'ResourceQuota' };
/** POD_DISRUPTION_BUDGETS is policy/v1 poddisruptionbudgets. */
export const POD_DISRUPTION_BUDGETS: ResourceDescriptor = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true, kind: 'PodDisruptionBudget' };

/** apiVersionOf renders "v1" for the core group and "apps/v1" otherwise. */
export function apiVersionOf(res: { group: string; version: string }): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

/** resourceKey names a resource for maps: group/version/resource. */
export function resourceKey(res: ResourceDescriptor): string {
  return `${res.group}/${res.version}/${res.resource}`;
}

/** objectKey is the work-queue key of an object: namespace/name, or name when cluster-scoped. */
export function objectKey(obj: Readonly<KubeObject>): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

/** splitKey splits a work-queue key into namespace (undefined when cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
