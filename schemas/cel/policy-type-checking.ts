/**
 * Type checking of ValidatingAdmissionPolicy expressions, as kube's policy controller writes it
 * to status.typeChecking: each expression is compiled once per kind the policy's
 * matchConstraints name exactly (built-in kinds, whose OpenAPI schemas are known) with `object`
 * and `oldObject` typed by that kind's schema, and every type error (an unknown field, a wrong
 * operand) becomes an expressionWarning in kube's wording:
 * `apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'`. Wildcard rules and
 * kinds without a known schema are not checked (kube cannot type them either).
 */
import { isPlainObject as isRecord } from '../meta/json';
import type { JSONSchema, KubeObject, ResourceDefinition } from '../types';
import { compileCel, isCelCompileError } from './engine';
import { CEL_DYN, type CelType } from './types';

/** ExpressionWarning is one entry of status.typeChecking.expressionWarnings. */
export interface ExpressionWarning {
  fieldRef: string;
  warning: string;
}

// kube checks at most this many matched kinds per policy.
const MAX_TYPES_TO_CHECK = 10;
// Recursive schemas (JSONSchemaProps) are typed as dyn below this depth.
const MAX_DEPTH = 24;

let builtins: ResourceDefinition[] | undefined;
const typeCache = new Map<string, CelType>();

interface Rule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
}

/** matchedKinds are the built-in kinds a policy's resourceRules name without wildcards. */
export function matchedKinds(policy: KubeObject): ResourceDefinition[] {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const constraints = isRecord(spec.matchConstraints) ? spec.matchConstraints : {};
  const rules = (Array.isArray(constraints.resourceRules) ? constraints.resourceRules : []) as Rule[];
  // Loaded on first use: builtin.ts imports every kind, this policy kind among them, so a
  // top-level import would be a cycle that leaves builtin.ts half-initialised.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  builtins ??= (require('../builtin') as typeof import('../builtin')).builtinResources();
  const out: ResourceDefinition[] = [];
  for (const r of rules) {
    const exact = (l: string[] | undefined) => Array.isArray(l) && l.length > 0 && !l.includes('*');
    if (!exact(r.apiGroups) || !exact(r.apiVersions) || !exact(r.resources)) continue;
    for (const def of builtins) {
      if (r.apiGroups!.includes(def.group) && r.apiVersions!.includes(def.version) && r.resources!.includes(def.plural) && !out.includes(def)) out.push(def);
    }
  }
  return out.slice(0, MAX_TYPES_TO_CHECK);
}

/** objectCelType is the CEL type of a built-in kind's objects, from its OpenAPI schema. */
export function objectCelType(def: ResourceDefinition): CelType {
  const key = def.definitionName ?? `${def.group}/${def.version}/${def.plural}`;
  let t = typeCache.get(key);
  if (!t) {
    const schema = def.schema;
    const definitions = (isRecord(schema.definitions) ? schema.definitions : {}) as Record<string, JSONSchema>;
    typeCache.set(key, (t = typeOf(schema, definitions, 0)));
  }
  return t;
}

function typeOf(s: JSONSchema | undefined, definitions: Record<string, JSONSchema>, depth: number): CelType {
  if (!s || !isRecord(s) || depth > MAX_DEPTH) return CEL_DYN;
  if (typeof s.$ref === 'string') return typeOf(definitions[s.$ref.replace('#/definitions/', '')], definitions, depth + 1);
  if (s['x-kubernetes-int-or-string'] === true) return CEL_DYN;
  switch (s.type) {
    case 'integer':
      return { kind: 'int' };
    case 'number':
      return { kind: 'double' };
    case 'boolean':
      return { kind: 'bool' };
    case 'string':
      return { kind: 'string' };
    case 'array':
      return { kind: 'list', items: typeOf(s.items as JSONSchema, definitions, depth + 1) };
    case 'object': {
      if (isRecord(s.additionalProperties)) return { kind: 'map', values: typeOf(s.additionalProperties as JSONSchema, definitions, depth + 1) };
      const props = isRecord(s.properties) ? (s.properties as Record<string, JSONSchema>) : undefined;
      if (!props) return CEL_DYN;
      const fields: Record<string, CelType> = {};
      for (const [k, p] of Object.entries(props)) fields[k] = typeOf(p, definitions, depth + 1);
      return { kind: 'object', fields, open: s['x-kubernetes-preserve-unknown-fields'] === true };
    }
    default:
      return CEL_DYN;
  }
}

function gvkString(def: ResourceDefinition): string {
  return `${def.group ? `${def.group}/` : ''}${def.version}, Kind=${def.kind}`;
}

// expressionsOf lists the policy's expressions with their field paths, in kube's order.
function expressionsOf(spec: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const list = (k: string) => (Array.isArray(spec[k]) ? (spec[k] as unknown[]).filter(isRecord) : []);
  list('validations').forEach((v, i) => {
    if (typeof v.expression === 'string') out.push([`spec.validations[${i}].expression`, v.expression]);
    if (typeof v.messageExpression === 'string' && v.messageExpression) out.push([`spec.validations[${i}].messageExpression`, v.messageExpression]);
  });
  list('auditAnnotations').forEach((a, i) => {
    if (typeof a.valueExpression === 'string') out.push([`spec.auditAnnotations[${i}].valueExpression`, a.valueExpression]);
  });
  list('matchConditions').forEach((c, i) => {
    if (typeof c.expression === 'string') out.push([`spec.matchConditions[${i}].expression`, c.expression]);
  });
  return out;
}

/**
 * policyTypeChecking is the status.typeChecking of a ValidatingAdmissionPolicy: the type errors
 * of its expressions against each kind it matches (an empty object when there are none).
 */
export function policyTypeChecking(policy: KubeObject): { expressionWarnings?: ExpressionWarning[] } {
  const kinds = matchedKinds(policy);
  if (!kinds.length) return {};
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const warnings: ExpressionWarning[] = [];
  for (const [fieldRef, expression] of expressionsOf(spec)) {
    const issues: string[] = [];
    for (const def of kinds) {
      const object = objectCelType(def);
      const compiled = compileCel(expression, {
        variables: { object, oldObject: object, request: CEL_DYN, params: CEL_DYN, namespaceObject: CEL_DYN, variables: CEL_DYN, authorizer: CEL_DYN },
      });
      // Syntax errors are refused by validation already; only type errors are warnings.
      if (isCelCompileError(compiled) && compiled.kind === 'type') issues.push(`${gvkString(def)}: ${compiled.message}`);
    }
    if (issues.length) warnings.push({ fieldRef, warning: issues.join('\n') });
  }
  return warnings.length ? { expressionWarnings: warnings } : {};
}
