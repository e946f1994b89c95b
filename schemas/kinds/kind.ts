/**
 * BuiltinKind: everything about one built-in resource at one group/version in one value, as
 * kube keeps a kind's behaviour in pkg/registry/<group>/<kind>/strategy.go. Each file in this
 * folder declares the kinds of one resource (or a group's plain resources); builtin-kinds.ts
 * lists them in discovery order.
 */
import { valueAt } from '../meta/json';
import { defaultColumns } from '../printers';
import type { ResourceDefinition, ScaleSubresource, Strategy, TableColumn } from '../types';
import { objectStrategy, statusStrategy } from './strategy';

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
  /** `pods/binding`: create of a core/v1 Binding. */
  binding?: boolean;
  /** `pods/eviction`: create of a policy/v1 Eviction. */
  eviction?: boolean;
  /** `pods/ephemeralcontainers`: get, patch, update of spec.ephemeralContainers. */
  ephemeralContainers?: boolean;
  /** `pods/log`: get of a container's log. */
  log?: boolean;
}

/** KindBehaviour is what a kind does beyond what discovery says of it. */
export type KindBehaviour = Pick<
  ResourceDefinition,
  | 'defaults'
  | 'selectableFields'
  | 'nameValidation'
  | 'returnDeletedObject'
  | 'createForbidden'
  | 'statusStrategy'
  | 'finalizeStrategy'
  | 'approvalStrategy'
  | 'ephemeralContainersStrategy'
  | 'deleteStrategy'
  | 'garbageCollectionPolicy'
  | 'storage'
  | 'conversion'
>;

/** BuiltinKind is one built-in resource at one group/version: discovery facts, printer columns and strategies. */
export interface BuiltinKind
  extends KindBehaviour,
    Pick<ResourceDefinition, 'group' | 'version' | 'kind' | 'listKind' | 'plural' | 'singular' | 'shortNames' | 'categories' | 'namespaced' | 'verbs' | 'strategy'> {
  subresources: BuiltinSubresources;
  /** the OpenAPI definition name, e.g. io.k8s.api.apps.v1.Deployment; it also names the strategic-merge metadata */
  definitionName: string;
  /** columns builds the Table columns after which kubectl prints rows (fresh objects on each call) */
  columns: () => TableColumn[];
}

/** ALL_VERBS is the verb set of every ordinary storage-backed resource. */
export const ALL_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** SUBRESOURCE_VERBS are the verbs discovery lists for status, scale and approval subresources. */
export const SUBRESOURCE_VERBS: readonly string[] = ['get', 'patch', 'update'];

/** FINALIZE_VERBS are the verbs of namespaces/finalize, which only accepts an update. */
export const FINALIZE_VERBS: readonly string[] = ['update'];

/** KindFacts are what a kind file declares; kindOf fills in the rest. */
export interface KindFacts extends KindBehaviour {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: readonly string[];
  subresources?: BuiltinSubresources;
  /** columns default to kube's default table (Name, Created At) */
  columns?: () => TableColumn[];
  /** strategy defaults to objectStrategy without generation (status kept when there is a status subresource) */
  strategy?: Strategy;
}

function apiPackage(group: string): string {
  if (group === 'apiextensions.k8s.io') return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
  if (group === 'apiregistration.k8s.io') return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
  if (group === '') return 'io.k8s.api.core';
  // rbac.authorization.k8s.io -> rbac, events.k8s.io -> events, apps -> apps
  return `io.k8s.api.${group.split('.')[0]}`;
}

/**
 * kindOf completes a kind's facts: list kind, singular, verbs, definition name, and the generic
 * main and status strategies where the kind declares none of its own.
 */
export function kindOf(group: string, version: string, f: KindFacts): BuiltinKind {
  const subresources = f.subresources ?? {};
  const status = !!subresources.status;
  return {
    ...f,
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
    subresources,
    definitionName: `${apiPackage(group)}.${version}.${f.kind}`,
    columns: f.columns ?? defaultColumns,
    strategy: f.strategy ?? objectStrategy({ status }),
    statusStrategy: f.statusStrategy ?? (status ? statusStrategy({ metadata: 'client' }) : undefined),
  };
}

/** STATUS is the subresource set of a kind whose only subresource is status. */
export const STATUS: BuiltinSubresources = { status: true };

/** replicasScale is the subresource set of a kind with status and a replicas scale. */
export function replicasScale(labelSelectorPath: string): BuiltinSubresources {
  return {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath },
  };
}

/** fieldGetter reads a dotted field as a selectable-field string (undefined when unset). */
export function fieldGetter(path: string): (obj: object) => string | undefined {
  return (obj) => {
    const v = valueAt(obj, path);
    return v === undefined || v === null ? undefined : String(v);
  };
}

/** fields maps each dotted path to its selectable-field getter. */
export function fields(...paths: string[]): Record<string, (obj: object) => string | undefined> {
  return Object.fromEntries(paths.map((p) => [p, fieldGetter(p)]));
}
