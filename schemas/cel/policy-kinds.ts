/**
 * The kinds a ValidatingAdmissionPolicy is type-checked against, found as kube's TypeChecker
 * finds them (admission/plugin/policy/validating/typechecking.go): every group × version ×
 * resource of each matchConstraints.resourceRules entry is mapped to its kind through the
 * served resources (the RESTMapper's KindsFor), built-in and custom alike. A rule with a
 * wildcard group or version is skipped, wildcard and subresource entries of `resources` are
 * dropped, at most 10 kinds are taken per rule, and the kinds come sorted by group, version and
 * kind. paramKind is resolved the same way by apiVersion and kind.
 *
 * The served resources are those of the ResourceTable the server registers with
 * useResourcesForTypeChecking (so custom resources are found), or the built-in kinds alone.
 */
import { isPlainObject as isRecord } from '../meta/json';
import { definitions } from '../openapi-definitions';
import type { JSONSchema, KubeObject, ResourceDefinition } from '../types';
import type { CheckType } from './check-types';
import { schemaCheckType, type Definitions } from './schema-check-types';

/** ResourceSource lists the served resources (a ResourceTable). */
export interface ResourceSource {
  all(): ResourceDefinition[];
}

// kube checks at most this many kinds per rule.
const MAX_TYPES_TO_CHECK = 10;
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

// The registered sources, latest last: the latest one still registered is used.
const sources: ResourceSource[] = [];
let builtins: ResourceDefinition[] | undefined;
const typeCache = new WeakMap<ResourceDefinition, CheckType | null>();

/**
 * useResourcesForTypeChecking makes policy type checking resolve kinds from resources until the
 * returned function is called (then the source registered before it serves again, or the
 * built-in kinds alone).
 */
export function useResourcesForTypeChecking(resources: ResourceSource): () => void {
  sources.push(resources);
  return () => {
    const i = sources.lastIndexOf(resources);
    if (i >= 0) sources.splice(i, 1);
  };
}

function served(): ResourceDefinition[] {
  const source = sources[sources.length - 1];
  if (source) return source.all();
  // Loaded on first use: builtin.ts imports every kind, the policy kind among them, so a
  // top-level import would be a cycle that leaves builtin.ts half-initialised.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  builtins ??= (require('../builtin') as typeof import('../builtin')).builtinResources();
  return builtins;
}

interface Rule {
  apiGroups?: unknown;
  apiVersions?: unknown;
  resources?: unknown;
}

const strings = (l: unknown): string[] => (Array.isArray(l) ? l.filter((x): x is string => typeof x === 'string') : []);

/** kindsToCheck are the served kinds a policy's resourceRules name, in kube's order and limits. */
export function kindsToCheck(policy: KubeObject): ResourceDefinition[] {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const constraints = isRecord(spec.matchConstraints) ? spec.matchConstraints : {};
  const rules = (Array.isArray(constraints.resourceRules) ? constraints.resourceRules.filter(isRecord) : []) as Rule[];
  const all = served();
  const found = new Set<ResourceDefinition>();
  for (const rule of rules) {
    const groups = strings(rule.apiGroups);
    const versions = strings(rule.apiVersions);
    if (groups.some((g) => g.includes('*')) || versions.some((v) => v.includes('*'))) continue;
    const resources = strings(rule.resources).filter((r) => !/[*/]/.test(r));
    let count = 0;
    for (const group of [...groups].sort()) {
      for (const version of [...versions].sort()) {
        for (const resource of [...resources].sort()) {
          const def = all.find((d) => d.group === group && d.version === version && (d.plural === resource || d.singular === resource));
          if (!def) continue;
          found.add(def);
          if (++count === MAX_TYPES_TO_CHECK) return sortByGroupVersionKind([...found]);
        }
      }
    }
  }
  return sortByGroupVersionKind([...found]);
}

function sortByGroupVersionKind(defs: ResourceDefinition[]): ResourceDefinition[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return defs.sort((a, b) => cmp(a.group, b.group) || cmp(a.version, b.version) || cmp(a.kind, b.kind));
}

/** paramKindDefinition is the served kind spec.paramKind names, if any. */
export function paramKindDefinition(policy: KubeObject): ResourceDefinition | undefined {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const pk = isRecord(spec.paramKind) ? spec.paramKind : undefined;
  if (!pk || typeof pk.apiVersion !== 'string' || typeof pk.kind !== 'string') return undefined;
  const slash = pk.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : pk.apiVersion.slice(0, slash);
  const version = pk.apiVersion.slice(slash + 1);
  return served().find((d) => d.group === group && d.version === version && d.kind === pk.kind);
}

/** gvkString is how Go prints a GroupVersionKind: "apps/v1, Kind=Deployment", "/v1, Kind=Pod". */
export function gvkString(def: ResourceDefinition): string {
  return `${def.group}/${def.version}, Kind=${def.kind}`;
}

/** kindCheckType is the CheckType of def's objects (undefined when its schema declares nothing). */
export function kindCheckType(def: ResourceDefinition): CheckType | undefined {
  let t = typeCache.get(def);
  if (t === undefined) {
    // Built-in kinds are typed from their OpenAPI definitions (def.schema is the validator's
    // form, which drops formats such as date-time); custom resources from their CRD schema,
    // with metadata published as the full ObjectMeta, whatever the schema says.
    const schema: JSONSchema = def.definitionName ? { $ref: `#/definitions/${def.definitionName}` } : def.schema;
    t = schemaCheckType(schema, definitions as Definitions, definitions[OBJECT_META] as JSONSchema | undefined) ?? null;
    typeCache.set(def, t);
  }
  return t ?? undefined;
}
