/**
 * builtinResources turns the built-in kinds (schemas/kinds) and their OpenAPI schemas into the
 * ResourceDefinitions the registry serves.
 */
import { BUILTIN_KINDS, API_GROUP_ORDER, GROUP_VERSIONS } from './builtin-kinds';
import { objectSchema } from './openapi-definitions';
import { mutatingAdmissionPolicy, mutatingAdmissionPolicyBinding } from './kinds/mutating-admission-policy';
import type { BuiltinKind } from './kinds/kind';
import type { ResourceDefinition } from './types';

/** builtinResources returns a fresh ResourceDefinition for every built-in resource. */
export function builtinResources(): ResourceDefinition[] {
  return BUILTIN_KINDS.map(toDefinition);
}

/** mutatingAdmissionPolicyResources are the alpha kinds served only with the MutatingAdmissionPolicy feature gate. */
export function mutatingAdmissionPolicyResources(): ResourceDefinition[] {
  return [mutatingAdmissionPolicy, mutatingAdmissionPolicyBinding].map(toDefinition);
}

function toDefinition({ columns, ...k }: BuiltinKind): ResourceDefinition {
  return lazySchema({
    ...k,
    shortNames: [...k.shortNames],
    categories: [...k.categories],
    verbs: [...k.verbs],
    subresources: { ...k.subresources },
    schema: {},
    columns: columns(),
  });
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
