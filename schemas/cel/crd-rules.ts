/**
 * x-kubernetes-validations on custom resources, as apiextensions-apiserver enforces them.
 *
 * compileSchemaRules compiles every rule (and messageExpression) of a structural schema once,
 * into a tree that mirrors the schema only where rules are; validateRules walks an object (and
 * on update the old object, correlated as kube correlates: object fields by name, map entries by
 * key, list-type=map items by their keys) and evaluates each rule with `self` bound to the value
 * at its node and, for transition rules, `oldSelf` to the old value there. On update, a failing
 * rule that does not use oldSelf on a value unchanged from the old object is ratcheted (see
 * crd-ratcheting.ts). schemaRuleErrors is
 * the CRD-time check: rules that do not compile, or whose estimated cost is over kube's limits,
 * refuse the CRD with kube's messages.
 */
import { Optional } from '@marcbachmann/cel-js';
import { isPlainObject as isRecord } from '../meta/json';
import { additionalOf, itemsOf, propertiesOf } from '../crd-schema';
import type { FieldError, JSONSchema } from '../types';
import { compileCel, isCelCompileError, toCelValue, CelEvalError, type CompiledCel } from './engine';
import { maxSize } from './cost';
import { ratchetIndex, ratchetKey, rootRatchet, shouldRatchet, type RatchetState } from '../crd-ratcheting';
import { CEL_DYN, type CelType } from './types';

/** PER_CALL_LIMIT is kube's runtime cost limit for one rule evaluation. */
export const PER_CALL_LIMIT = 1_000_000;
/** RUNTIME_CEL_COST_BUDGET is kube's runtime cost budget for all rules of one request. */
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;
/** STATIC_ESTIMATED_COST_LIMIT is kube's estimated cost limit for one rule. */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;
/** STATIC_ESTIMATED_CRD_COST_LIMIT is kube's estimated cost limit for all rules of one schema, each weighted by how often it may run. */
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000;

interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

interface CompiledRule {
  rule: ValidationRule;
  program: CompiledCel;
  messageProgram?: CompiledCel;
  transition: boolean;
}

/** RuleNode is the compiled rules of one schema node and of the nodes below it that have rules. */
export interface RuleNode {
  schemaType: string;
  celType: CelType;
  rules: CompiledRule[];
  properties?: Record<string, RuleNode>;
  additional?: RuleNode;
  items?: RuleNode;
  /** mapKeys are the x-kubernetes-list-map-keys of a list-type=map list, which correlate old and new items. */
  mapKeys?: string[];
  /** schema is the whole structural schema (at the root only), which ratcheting correlates old and new values by. */
  schema?: JSONSchema;
}

/** schemaCelType is the CEL type Kubernetes declares for values of schema s. */
export function schemaCelType(s: JSONSchema | undefined, root = false): CelType {
  if (!s || !isRecord(s)) return CEL_DYN;
  if (s['x-kubernetes-int-or-string'] === true || s.nullable === true) return CEL_DYN;
  switch (s.type) {
    case 'integer':
      return { kind: 'int' };
    case 'number':
      return { kind: 'double' };
    case 'boolean':
      return { kind: 'bool' };
    case 'string':
      // Kubernetes declares these formats as CEL's timestamp and duration types.
      if (s.format === 'date-time' || s.format === 'date') return { kind: 'timestamp' };
      if (s.format === 'duration') return { kind: 'duration' };
      return { kind: 'string', maxLength: typeof s.maxLength === 'number' ? s.maxLength : maxLengthOfEnum(s) };
    case 'array':
      return { kind: 'list', items: schemaCelType(itemsOf(s)), maxItems: typeof s.maxItems === 'number' ? s.maxItems : undefined };
    case 'object': {
      const additional = additionalOf(s);
      if (additional) return { kind: 'map', values: schemaCelType(additional), maxProperties: typeof s.maxProperties === 'number' ? s.maxProperties : undefined };
      const props = propertiesOf(s);
      const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
      const embedded = s['x-kubernetes-embedded-resource'] === true;
      if (!Object.keys(props).length && preserve && !embedded && !root) return CEL_DYN;
      const fields: Record<string, CelType> = {};
      for (const [k, p] of Object.entries(props)) fields[k] = schemaCelType(p);
      if (root || embedded) {
        fields.apiVersion ??= { kind: 'string' };
        fields.kind ??= { kind: 'string' };
        fields.metadata = {
          kind: 'object',
          fields: { name: { kind: 'string' }, generateName: { kind: 'string' } },
          open: embedded,
        };
      }
      return { kind: 'object', fields, open: preserve, maxProperties: typeof s.maxProperties === 'number' ? s.maxProperties : undefined };
    }
    default:
      return CEL_DYN;
  }
}

function maxLengthOfEnum(s: JSONSchema): number | undefined {
  if (!Array.isArray(s.enum) || !s.enum.length) return undefined;
  return Math.max(...s.enum.map((v) => (typeof v === 'string' ? v.length : 0)));
}

function schemaTypeName(s: JSONSchema): string {
  return typeof s.type === 'string' ? s.type : '';
}

function rulesOf(s: JSONSchema): ValidationRule[] {
  const r = s['x-kubernetes-validations'];
  return Array.isArray(r) ? (r.filter((x) => isRecord(x) && typeof x.rule === 'string') as ValidationRule[]) : [];
}

function variablesFor(t: CelType, rule: ValidationRule): Record<string, CelType> {
  return { self: t, oldSelf: rule.optionalOldSelf ? { kind: 'optional', inner: t } : t };
}

interface CompileProblem {
  field: string;
  error: FieldError;
}

// compileNode compiles the rules at s and below; problems (compile errors) are collected
// rather than thrown, so a CRD hears about all of them at once.
function compileNode(s: JSONSchema, path: string, problems: CompileProblem[], root: boolean, cardinality: number, costs: RuleCost[]): RuleNode | undefined {
  const celType = schemaCelType(s, root);
  const rules: CompiledRule[] = [];
  rulesOf(s).forEach((rule, i) => {
    const rp = `${path}.x-kubernetes-validations[${i}]`;
    const vars = variablesFor(celType, rule);
    const program = compileCel(rule.rule, { variables: vars });
    if (isCelCompileError(program)) {
      problems.push({ field: `${rp}.rule`, error: { type: 'FieldValueInvalid', field: `${rp}.rule`, message: `Invalid value: ${goRule(rule)}: compilation failed: ${program.message}` } });
      return;
    }
    let messageProgram: CompiledCel | undefined;
    if (rule.messageExpression) {
      const m = compileCel(rule.messageExpression, { variables: vars });
      if (isCelCompileError(m)) {
        problems.push({ field: `${rp}.messageExpression`, error: { type: 'FieldValueInvalid', field: `${rp}.messageExpression`, message: `Invalid value: ${goRule(rule)}: messageExpression compilation failed: ${m.message}` } });
        return;
      }
      messageProgram = m;
    }
    const transition = program.variablesUsed.has('oldSelf');
    if (rule.optionalOldSelf && !transition) {
      problems.push({ field: `${rp}.optionalOldSelf`, error: { type: 'FieldValueForbidden', field: `${rp}.optionalOldSelf`, message: 'Forbidden: may not be set on a non-transition rule' } });
    }
    costs.push({ field: rp, cost: program.estimatedCost, cardinality, message: messageProgram?.estimatedCost });
    rules.push({ rule, program, messageProgram, transition });
  });
  const node: RuleNode = { schemaType: schemaTypeName(s), celType, rules };
  let any = rules.length > 0;
  const props = propertiesOf(s);
  for (const [k, p] of Object.entries(props)) {
    if (!isRecord(p)) continue;
    const child = compileNode(p, `${path}.properties[${k}]`, problems, false, cardinality, costs);
    if (child) {
      (node.properties ??= {})[k] = child;
      any = true;
    }
  }
  const additional = additionalOf(s);
  if (additional) {
    const n = typeof s.maxProperties === 'number' ? s.maxProperties : maxSize(schemaCelType(s));
    const child = compileNode(additional, `${path}.additionalProperties`, problems, false, cardinality * n, costs);
    if (child) {
      node.additional = child;
      any = true;
    }
  }
  const items = itemsOf(s);
  if (items) {
    const n = typeof s.maxItems === 'number' ? s.maxItems : maxSize(schemaCelType(s));
    const child = compileNode(items, `${path}.items`, problems, false, cardinality * n, costs);
    if (child) {
      node.items = child;
      any = true;
      if (s['x-kubernetes-list-type'] === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) node.mapKeys = s['x-kubernetes-list-map-keys'] as string[];
    }
  }
  return any ? node : undefined;
}

interface RuleCost {
  field: string;
  cost: number;
  cardinality: number;
  message?: number;
}

// goRule prints a rule the way Go's %#v prints apiextensions.ValidationRule in field errors.
function goRule(r: ValidationRule): string {
  return `apiextensions.ValidationRule{Rule:${JSON.stringify(r.rule)}, Message:${JSON.stringify(r.message ?? '')}, MessageExpression:${JSON.stringify(r.messageExpression ?? '')}, Reason:${r.reason ? `"${r.reason}"` : '(*apiextensions.FieldValueErrorReason)(nil)'}, FieldPath:${JSON.stringify(r.fieldPath ?? '')}, OptionalOldSelf:${r.optionalOldSelf === undefined ? '(*bool)(nil)' : `(*bool)(${r.optionalOldSelf})`}}`;
}

/** costErrorMessage is kube's getCostErrorMessage. */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  const factor = cost / limit;
  const f = factor > 100 ? 'more than 100x' : factor < 1.5 ? `${factor.toFixed(6)}x` : `${factor.toFixed(1)}x`;
  return `${costName} exceeds budget by factor of ${f} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

/** compileSchemaRules compiles the rules of a custom resource schema (undefined when it has none; rules that do not compile are left out, as the CRD was refused for them). */
export function compileSchemaRules(schema: JSONSchema): RuleNode | undefined {
  if (!hasRules(schema)) return undefined;
  const tree = compileNode(schema, '', [], true, 1, []);
  if (tree) tree.schema = schema;
  return tree;
}

/** hasRules reports whether any node of s carries x-kubernetes-validations. */
export function hasRules(s: unknown): boolean {
  if (Array.isArray(s)) return s.some(hasRules);
  if (!isRecord(s)) return false;
  if (Array.isArray(s['x-kubernetes-validations']) && s['x-kubernetes-validations'].length) return true;
  return Object.values(s).some((v) => typeof v === 'object' && v !== null && hasRules(v));
}

/**
 * schemaRuleErrors is the CRD-time check of a version's schema rules (at path, e.g.
 * spec.versions[0].schema.openAPIV3Schema): compile errors, then kube's estimated cost limits
 * per rule and for the whole schema.
 */
export function schemaRuleErrors(schema: JSONSchema, path: string): FieldError[] {
  if (!hasRules(schema)) return [];
  const problems: CompileProblem[] = [];
  const costs: RuleCost[] = [];
  compileNode(schema, path, problems, true, 1, costs);
  const errs = problems.map((p) => p.error);
  let total = 0;
  const contributors: string[] = [];
  for (const c of costs) {
    if (c.cost > STATIC_ESTIMATED_COST_LIMIT) {
      errs.push({ type: 'FieldValueForbidden', field: `${c.field}.rule`, message: `Forbidden: ${costErrorMessage('estimated rule cost', c.cost, STATIC_ESTIMATED_COST_LIMIT)}` });
    }
    if (c.message !== undefined && c.message > STATIC_ESTIMATED_COST_LIMIT) {
      errs.push({ type: 'FieldValueForbidden', field: `${c.field}.messageExpression`, message: `Forbidden: ${costErrorMessage('estimated messageExpression cost', c.message, STATIC_ESTIMATED_COST_LIMIT)}` });
    }
    const weighted = (c.cost + (c.message ?? 0)) * c.cardinality;
    total += weighted;
    if (weighted > 0) contributors.push(c.field);
  }
  if (total > STATIC_ESTIMATED_CRD_COST_LIMIT) {
    for (const f of contributors) {
      errs.push({ type: 'FieldValueForbidden', field: `${f}.rule`, message: 'Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema' });
    }
    errs.push({ type: 'FieldValueForbidden', field: path, message: `Forbidden: ${costErrorMessage('x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema', total, STATIC_ESTIMATED_CRD_COST_LIMIT)}` });
  }
  return errs;
}

// ---- evaluation ------------------------------------------------------------------------------

interface Budget {
  remaining: number;
  exhausted: boolean;
  /** warn receives ratcheted rule failures (see validateRules) */
  warn?: (warning: string) => void;
}

const ABSENT = Symbol('absent');

/**
 * validateRules evaluates the rules of tree on obj (and, for an update, old): the field errors
 * are in kube's wording, e.g. `spec: Invalid value: "object": failed rule: self.x > 0`. On an
 * update a rule that does not use oldSelf and fails on a value unchanged from old is ratcheted,
 * as with kube's CRDValidationRatcheting: not an error but a warning to warn, worded as the
 * error would be (kube's cel validator calls warning.AddWarning with the field error's text).
 */
export function validateRules(tree: RuleNode, obj: unknown, old?: unknown, warn?: (warning: string) => void): FieldError[] {
  const errs: FieldError[] = [];
  const budget: Budget = { remaining: RUNTIME_CEL_COST_BUDGET, exhausted: false, warn };
  const ratchet = tree.schema && old !== undefined ? rootRatchet(tree.schema, obj, old) : {};
  walk(tree, obj, old === undefined ? ABSENT : old, '', errs, budget, ratchet, true);
  return errs;
}


function joinField(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}

function walk(node: RuleNode, value: unknown, old: unknown, path: string, errs: FieldError[], budget: Budget, ratchet: RatchetState, root = false): void {
  if (value === undefined || value === null || budget.exhausted) return;
  if (node.rules.length) evaluateRules(node, value, old, path, errs, budget, ratchet);
  if (node.properties && isRecord(value)) {
    const oldObj = isRecord(old) ? old : undefined;
    for (const [k, child] of Object.entries(node.properties)) {
      if (!(k in value)) continue;
      walk(child, value[k], oldObj && k in oldObj ? oldObj[k] : ABSENT, joinField(path, k), errs, budget, ratchetKey(ratchet, k, root));
    }
  }
  if (node.additional && isRecord(value)) {
    const oldObj = isRecord(old) ? old : undefined;
    for (const [k, v] of Object.entries(value)) walk(node.additional, v, oldObj && k in oldObj ? oldObj[k] : ABSENT, `${path}[${k}]`, errs, budget, ratchetKey(ratchet, k));
  }
  if (node.items && Array.isArray(value)) {
    const oldItems = Array.isArray(old) ? old : undefined;
    const keys = node.mapKeys;
    const oldByKey = keys && oldItems ? new Map(oldItems.filter(isRecord).map((o) => [mapKey(o, keys), o])) : undefined;
    value.forEach((v, i) => {
      // Only list-type=map items correlate with an old item (by their keys); other lists' items have no oldSelf.
      const o = oldByKey && isRecord(v) ? oldByKey.get(mapKey(v, keys!)) ?? ABSENT : ABSENT;
      walk(node.items!, v, o, `${path}[${i}]`, errs, budget, ratchetIndex(ratchet, i));
    });
  }
}

function mapKey(o: Record<string, unknown>, keys: string[]): string {
  return JSON.stringify(keys.map((k) => o[k] ?? null));
}

function evaluateRules(node: RuleNode, value: unknown, old: unknown, path: string, errs: FieldError[], budget: Budget, ratchet: RatchetState): void {
  const self = toCelValue(value, node.celType);
  let oldSelf: unknown;
  const hasOld = old !== ABSENT && old !== undefined;
  for (const r of node.rules) {
    if (budget.exhausted) return;
    if (r.transition && !hasOld && !r.rule.optionalOldSelf) continue;
    const activation: Record<string, unknown> = { self };
    if (r.transition) {
      oldSelf ??= hasOld ? toCelValue(old, node.celType) : undefined;
      activation.oldSelf = r.rule.optionalOldSelf ? (hasOld ? Optional.of(oldSelf) : Optional.none()) : oldSelf;
    }
    // The object's root has kube's nil field path, which prints as "<nil>".
    const field = path || '<nil>';
    const cost = r.program.runtimeCost(activation, Math.min(PER_CALL_LIMIT, budget.remaining));
    if (cost === undefined) {
      if (budget.remaining < PER_CALL_LIMIT) {
        budget.exhausted = true;
        errs.push(invalid(field, node.schemaType, 'validation failed due to running out of cost budget, no further validation rules will be run'));
        return;
      }
      errs.push(invalid(field, node.schemaType, `call cost exceeds limit for rule: ${r.rule.rule}`));
      continue;
    }
    budget.remaining -= cost;
    let result: unknown;
    try {
      result = r.program.evaluate(activation);
    } catch (e) {
      const msg = e instanceof CelEvalError ? e.message : String(e);
      errs.push(invalid(field, node.schemaType, `${msg} evaluating rule: ${ruleErrorString(r.rule)}`));
      continue;
    }
    if (result === true) continue;
    if (result !== false) {
      errs.push(invalid(field, node.schemaType, `rule did not evaluate to a bool evaluating rule: ${ruleErrorString(r.rule)}`));
      continue;
    }
    // A rule that failed on an unchanged value is ratcheted (a warning) unless it is a transition
    // rule (it judges the change itself); errors from evaluating a rule are always reported, as kube does.
    const failed = failure(r, activation, r.rule.fieldPath ? fieldWithPath(path, r.rule.fieldPath) : field, node.schemaType);
    if (!r.transition && shouldRatchet(ratchet)) budget.warn?.(`${failed.field}: ${failed.message}`);
    else errs.push(failed);
  }
}

// ruleErrorString names a rule in runtime errors: its message, or else its text.
function ruleErrorString(r: ValidationRule): string {
  return r.message?.trim() ? r.message.trim() : r.rule.trim();
}

// failureMessage is what a rule that evaluated to false reports when there is no messageExpression.
function failureMessage(r: ValidationRule): string {
  return r.message?.trim() ? r.message.trim() : `failed rule: ${r.rule.trim()}`;
}

function messageOf(r: CompiledRule, activation: Record<string, unknown>): string {
  if (r.messageProgram) {
    try {
      const m = r.messageProgram.evaluate(activation);
      if (typeof m === 'string' && m.trim() && !/[\r\n]/.test(m)) return m.trim();
    } catch {
      // A messageExpression that fails falls back to message (or the rule), as kube does.
    }
  }
  return failureMessage(r.rule);
}

function failure(r: CompiledRule, activation: Record<string, unknown>, field: string, schemaType: string): FieldError {
  const msg = messageOf(r, activation);
  switch (r.rule.reason) {
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', field, message: `Forbidden: ${msg}` };
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', field, message: `Required value: ${msg}` };
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(msg)}` };
    default:
      return invalid(field, schemaType, msg);
  }
}

function invalid(field: string, schemaType: string, msg: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(schemaType)}: ${msg}` };
}

// fieldWithPath appends a rule's fieldPath (".a.b", "['a']", ".list[0]") to the node's path.
function fieldWithPath(path: string, fieldPath: string | undefined): string {
  if (!fieldPath) return path;
  const rel = fieldPath.replace(/\['([^']*)'\]/g, (_m, k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${k}]`));
  if (!path) return rel.replace(/^\./, '');
  return `${path}${rel.startsWith('[') || rel.startsWith('.') ? '' : '.'}${rel}`;
}
