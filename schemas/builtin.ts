/**
 * builtinResources turns the discovery facts, OpenAPI schemas, printers and strategies of the
 * built-in kinds into the ResourceDefinitions the registry serves.
 */
import { BUILTIN_KINDS, API_GROUP_ORDER, GROUP_VERSIONS } from './builtin-kinds';
import { objectSchema } from './openapi-definitions';
import { columnsFor } from './printers';
import { EVENTS_V1, HPA_V1 } from './conversions';
import { strategyFor } from './strategies';
import type { ResourceDefinition } from './types';

/** builtinResources returns a fresh ResourceDefinition for every built-in resource. */
export function builtinResources(): ResourceDefinition[] {
  return BUILTIN_KINDS.map((k) => lazySchema({
    group: k.group,
    version: k.version,
    kind: k.kind,
    listKind: k.listKind,
    plural: k.plural,
    singular: k.singular,
    shortNames: k.shortNames,
    categories: k.categories,
    namespaced: k.namespaced,
    verbs: k.verbs,
    subresources: { ...k.subresources },
    definitionName: k.definitionName,
    schema: {},
    columns: columnsFor(k.group, k.plural),
    ...strategyFor(k.group, k.plural),
    ...sharedStorage(k.group, k.version, k.plural),
  }));
}

// sharedStorage: versions served from another version's storage, with their conversion.
function sharedStorage(group: string, version: string, plural: string): Partial<ResourceDefinition> {
  if (group === 'events.k8s.io' && plural === 'events') return { storage: { group: '', plural: 'events' }, conversion: EVENTS_V1 };
  // autoscaling v1 and v2 share one store prefix already (keys carry group and plural only).
  if (group === 'autoscaling' && version === 'v1' && plural === 'horizontalpodautoscalers') return { conversion: HPA_V1 };
  return {};
}

// lazySchema builds the ajv schema of a kind on first use: building all of them costs about a
// second at start, and most kinds are never written.
function lazySchema(def: ResourceDefinition): ResourceDefinition {
  let schema: ResourceDefinition['schema'] | undefined;
  return Object.defineProperty(def, 'schema', {
    get: () => (schema ??= objectSchema(def.definitionName!)),
    enumerable: true,
    configurable: true,
  });
}

/** builtinGroupOrder is the order of groups in /apis. */
export const builtinGroupOrder: readonly string[] = API_GROUP_ORDER;

/** builtinPreferredVersions maps each built-in group to its preferred version. */
export function builtinPreferredVersions(): Array<[string, string]> {
  return Object.entries(GROUP_VERSIONS).map(([g, vs]) => [g, vs[0]]);
}
