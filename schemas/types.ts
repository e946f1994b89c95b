/**
 * ResourceDefinition: what a kind is. The generic registry and HTTP layer are parameterised by
 * these; built-in kinds are declared in schemas/, CRDs become ResourceDefinitions at run time.
 */

/** JSONSchema is an OpenAPI v3 schema object as Kubernetes publishes it (x-kubernetes-* included). */
export type JSONSchema = { [key: string]: unknown };

/** KubeObject is any Kubernetes object as parsed JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** ObjectMeta is the subset of metadata the machinery reads; other fields pass through. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<Record<string, unknown>>;
  managedFields?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

/** UserInfo is the authenticated user of a request. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** FieldError is one validation failure, reported as a cause of a 422 Invalid Status. */
export interface FieldError {
  /** FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong, FieldValueTypeInvalid */
  type: string;
  /** the field path, e.g. spec.template.spec.containers[0].image */
  field: string;
  /** the human message without the field prefix, e.g. Required value */
  message: string;
}

/** TableColumn is one column of the server-side Table view (kubectl get). */
export interface TableColumn {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date */
  type: string;
  format?: string;
  description: string;
  /** 0 shows by default; 1 only with -o wide */
  priority: number;
  /** cell computes the column's value for one object; now is injected for ages. */
  cell: (obj: KubeObject, now: Date) => unknown;
}

/** ScaleSubresource says where replicas and the selector live for the scale subresource. */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** ResourceDefinition describes one served resource at one group/version. */
export interface ResourceDefinition {
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
  /** discovery verbs, e.g. create delete deletecollection get list patch update watch */
  verbs: string[];
  subresources: {
    status?: boolean;
    scale?: ScaleSubresource;
    finalize?: boolean;
    approval?: boolean;
    /** pods/binding: create only, sets spec.nodeName (core/v1 Binding) */
    binding?: boolean;
    /** pods/eviction: create only, a policy/v1 Eviction that deletes the pod within its disruption budget */
    eviction?: boolean;
    /** pods/ephemeralcontainers: get, patch, update of spec.ephemeralContainers only */
    ephemeralContainers?: boolean;
    /** pods/log: get only, a container's log as text (served by server/http/handlers/pod-log.ts) */
    log?: boolean;
  };
  /** schema of the whole object, validated with ajv and published in OpenAPI */
  schema: JSONSchema;
  /** ratchetSchemaProblems drops an update's schema errors that sit on values unchanged from old (custom resources: validation ratcheting). */
  ratchetSchemaProblems?: <P extends { error: FieldError }>(problems: P[], obj: KubeObject, old: KubeObject) => P[];
  /** the OpenAPI definition name, e.g. io.k8s.api.apps.v1.Deployment */
  definitionName?: string;
  /** printer columns after NAME (and NAMESPACE with -A) */
  columns: TableColumn[];
  /** extra selectable fields beyond metadata.name and metadata.namespace */
  selectableFields?: Record<string, (obj: KubeObject) => string | undefined>;
  /** defaults fills defaulted fields in place, as decoding does in kube-apiserver (before admission). */
  defaults?: (obj: KubeObject) => void;
  /** strategy prepares and validates creates and updates of the main resource (and of its scale view). */
  strategy: Strategy;
  /** statusStrategy prepares and validates writes to the status subresource. */
  statusStrategy?: Strategy;
  /** finalizeStrategy prepares writes to the finalize subresource (namespaces). */
  finalizeStrategy?: Strategy;
  /** approvalStrategy prepares writes to the approval subresource (certificate signing requests). */
  approvalStrategy?: Strategy;
  /** ephemeralContainersStrategy prepares writes to the ephemeralcontainers subresource (pods). */
  ephemeralContainersStrategy?: Strategy;
  /** deleteStrategy, when set, can hold a deleted object until it is finalized. */
  deleteStrategy?: DeleteStrategy;
  /**
   * garbageCollectionPolicy is kube's DefaultGarbageCollectionPolicy: what a DELETE that names no
   * propagation policy does with the object's dependents. Background (the default) leaves them to
   * the garbage collector after the owner is gone; Orphan adds the orphan finalizer (batch/v1
   * Jobs, for compatibility); Unsupported never adds the collector's finalizers (events).
   */
  garbageCollectionPolicy?: 'Background' | 'Orphan' | 'Unsupported';
  /** returnDeletedObject: an immediate delete answers with the object rather than a Status (pods, namespaces). */
  returnDeletedObject?: boolean;
  /** nameValidation: how metadata.name is checked (default dns-subdomain). */
  nameValidation?: 'dns-subdomain' | 'dns-label' | 'dns-1035' | 'path-segment' | 'rbac';
  /**
   * storage names the resource whose store prefix holds this one when versions share storage
   * (events.k8s.io/v1 events are stored as core events); conversion maps between the forms.
   */
  storage?: { group: string; plural: string };
  conversion?: SyncConversion | AsyncConversion;
  /**
   * review, when set, makes the resource a review: a POST is answered with the object review
   * returns (its status filled in) and nothing is stored (TokenReview, SubjectAccessReview...).
   */
  review?: (obj: KubeObject, user: UserInfo) => KubeObject;
  /** createForbidden, when set, refuses every create with this Forbidden message (nodes). */
  createForbidden?: string;
  /**
   * deprecationWarning, when set, marks the version deprecated: every request to it is answered
   * with this text in a `Warning: 299 - "..."` header, which kubectl prints.
   */
  deprecationWarning?: string;
}

/**
 * Strategy is how writes to one resource or subresource are prepared and validated, in the shape
 * of kube-apiserver's REST create and update strategies (pkg/registry/<group>/<kind>/strategy.go).
 * The registry does what is common to every kind (type and system metadata, managedFields,
 * finalizer rules) and calls the strategy for what differs.
 */
export interface Strategy {
  /** prepareForCreate resets, in place, what a client may not set on create (status, generation). */
  prepareForCreate(obj: KubeObject): void;
  /**
   * prepareForUpdate turns the client's object, its system metadata already carried over from
   * old, into the object to store, and returns it (it may be obj changed in place): the fields
   * this (sub)resource does not write come from old, and generation moves when the spec does.
   */
  prepareForUpdate(obj: KubeObject, old: Readonly<KubeObject>): KubeObject;
  /**
   * validate returns the field errors of a new object, or of an update when old is given; never
   * mutates. warn receives the write's validation warnings (a custom resource's ratcheted CEL rule failures).
   */
  validate(obj: KubeObject, old?: KubeObject, warn?: (warning: string) => void): FieldError[];
}

/**
 * DeleteStrategy is how a kind is deleted beyond the generic rules: it may hold a deleted object,
 * marked with deletionTimestamp, until it is finalized, and it may be deleted gracefully.
 */
export interface DeleteStrategy {
  /** prepareForDelete changes the object being deleted in place; true keeps it until finalized says it may go. */
  prepareForDelete?(obj: KubeObject): boolean;
  /** finalized says a held object may now be removed (default: no metadata.finalizers left). */
  finalized?(obj: KubeObject): boolean;
  /**
   * gracePeriod makes the kind gracefully deleted, as kube's CheckGracefulDelete does: given the
   * object and the gracePeriodSeconds the request asked for (undefined when it set none), it
   * returns the grace period in seconds. The first delete then only sets deletionTimestamp to
   * now plus that period and deletionGracePeriodSeconds to it, unless it is 0; a later delete may
   * only shorten it, and one with 0 removes the object. Whoever runs the object (a kubelet, the
   * instance scheduler) removes it with a final delete with grace period 0.
   */
  gracePeriod?(obj: Readonly<KubeObject>, requested: number | undefined): number;
}

/** SyncConversion maps between the stored form and a served version in place, without I/O (the None strategy, built-in versions). */
export interface SyncConversion {
  readonly async?: undefined;
  fromStorage(obj: KubeObject): KubeObject;
  toStorage(obj: KubeObject): KubeObject;
}

/**
 * AsyncConversion converts through something that must be awaited (a CRD's conversion webhook).
 * fromStorage takes every object one read returns (a list page) so that one call converts them
 * all, and resolves with them in the same order; toStorage converts one object being written.
 * Both reject with a StatusError that the client sees.
 */
export interface AsyncConversion {
  readonly async: true;
  fromStorage(objs: KubeObject[]): Promise<KubeObject[]>;
  toStorage(obj: KubeObject): Promise<KubeObject>;
}
