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
  subresources: { status?: boolean; scale?: ScaleSubresource; finalize?: boolean; approval?: boolean };
  /** schema of the whole object, validated with ajv and published in OpenAPI */
  schema: JSONSchema;
  /** the OpenAPI definition name, e.g. io.k8s.api.apps.v1.Deployment */
  definitionName?: string;
  /** printer columns after NAME (and NAMESPACE with -A) */
  columns: TableColumn[];
  /** extra selectable fields beyond metadata.name and metadata.namespace */
  selectableFields?: Record<string, (obj: KubeObject) => string | undefined>;
  /** defaults fills defaulted fields in place (after schema checks, before validation). */
  defaults?: (obj: KubeObject) => void;
  /** validate returns field errors of a new object, or of an update when old is given; never mutates. */
  validate?: (obj: KubeObject, old?: KubeObject) => FieldError[];
  /** generation: metadata.generation is set to 1 on create and bumped when spec fields change. */
  generation?: boolean;
  /** returnDeletedObject: an immediate delete answers with the object rather than a Status (pods, namespaces). */
  returnDeletedObject?: boolean;
  /** prepareForCreate resets what a client may not set on create (usually status), in place. */
  prepareForCreate?: (obj: KubeObject) => void;
  /**
   * prepareForUpdate adjusts an update in place after the registry carried system fields and
   * status over from old and before it bumps generation (kube's PrepareForUpdate: a Deployment's
   * annotation change bumps generation, a DaemonSet keeps its template generation).
   */
  prepareForUpdate?: (obj: KubeObject, old: KubeObject) => void;
  /** prepareForStatusUpdate adjusts a /status write in place beyond keeping spec (a Deployment keeps its labels). */
  prepareForStatusUpdate?: (obj: KubeObject, old: KubeObject) => void;
  /**
   * prepareForDelete runs when a delete is asked for; returning true keeps the object, marked
   * with deletionTimestamp, until finalized says it may go (namespaces use this).
   */
  prepareForDelete?: (obj: KubeObject) => boolean;
  /** finalized says a marked object may now be removed (default: no metadata.finalizers left). */
  finalized?: (obj: KubeObject) => boolean;
  /** specPaths are the top-level fields whose change bumps metadata.generation (default: spec). */
  specFields?: string[];
  /** statusFields are the top-level fields owned by the status subresource (default: status). */
  statusFields?: string[];
  /** nameValidation: how metadata.name is checked (default dns-subdomain). */
  nameValidation?: 'dns-subdomain' | 'dns-label' | 'dns-1035' | 'path-segment' | 'rbac';
  /**
   * storage names the resource whose store prefix holds this one when versions share storage
   * (events.k8s.io/v1 events are stored as core events); conversion maps between the forms.
   */
  storage?: { group: string; plural: string };
  conversion?: { fromStorage(obj: KubeObject): KubeObject; toStorage(obj: KubeObject): KubeObject };
  /**
   * review, when set, makes the resource a review: a POST is answered with the object review
   * returns (its status filled in) and nothing is stored (TokenReview, SubjectAccessReview...).
   */
  review?: (obj: KubeObject, user: UserInfo) => KubeObject;
  /** createForbidden, when set, refuses every create with this Forbidden message (nodes). */
  createForbidden?: string;
}
