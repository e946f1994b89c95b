/**
 * Type checking of ValidatingAdmissionPolicy expressions, as kube's policy controller writes it
 * to status.typeChecking (TypeChecker.Check). Each spec.validations[].expression and
 * messageExpression is checked once per kind the policy's matchConstraints name (policy-kinds.ts)
 * with `object` and `oldObject` typed by that kind's schema, `params` by paramKind's schema,
 * `request`, `namespaceObject` and `authorizer` by kube's declarations, and `variables` by the
 * checked types of spec.variables (a variable that does not check is dyn; its own errors are not
 * reported, as in kube). Every type error becomes part of an expressionWarning in kube's text:
 *
 *   apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'
 *    | object.replicas > 1
 *    | ......^
 *
 * each kind's part ending in a newline, parts joined by a newline. Wildcard rules and kinds
 * without a schema are not checked (kube cannot type them either); matchConditions and
 * auditAnnotations are not checked, as kube does not check them.
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { isPlainObject as isRecord } from '../meta/json';
import type { KubeObject } from '../types';
import { DYN, NAMESPACE_TYPE, REQUEST_TYPE, type CheckType } from './check-types';
import { displayIssues } from './issue-display';
import { gvkString, kindCheckType, kindsToCheck, paramKindDefinition } from './policy-kinds';
import { checkExpression, type CheckResult } from './static-check';

/** ExpressionWarning is one entry of status.typeChecking.expressionWarnings. */
export interface ExpressionWarning {
  fieldRef: string;
  warning: string;
}

const AUTHORIZER: CheckType = { kind: 'opaque', name: 'kubernetes.authorization.Authorizer' };
const VARIABLES_TYPE_NAME = 'kubernetes.variables';

let parser: Environment | undefined;
const astCache = new Map<string, ASTNode | null>();
const MAX_AST_CACHE = 1000;

// parse is the expression's AST, or undefined for a syntax error (validation refuses those).
function parse(expression: string): ASTNode | undefined {
  let ast = astCache.get(expression);
  if (ast === undefined) {
    parser ??= new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: true });
    try {
      ast = parser.parse(expression).ast;
    } catch {
      ast = null;
    }
    if (astCache.size >= MAX_AST_CACHE) astCache.clear();
    astCache.set(expression, ast);
  }
  return ast ?? undefined;
}

// validationExpressions lists the checked expressions with their field paths, in kube's order.
function validationExpressions(spec: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const validations = Array.isArray(spec.validations) ? spec.validations.filter(isRecord) : [];
  validations.forEach((v, i) => {
    if (typeof v.expression === 'string') out.push([`spec.validations[${i}].expression`, v.expression]);
    if (typeof v.messageExpression === 'string' && v.messageExpression) out.push([`spec.validations[${i}].messageExpression`, v.messageExpression]);
  });
  return out;
}

// declarations are the variables an expression sees when `object` has type object.
function declarations(object: CheckType, params: CheckType, spec: Record<string, unknown>): Record<string, CheckType> {
  const variables: CheckType = { kind: 'object', name: VARIABLES_TYPE_NAME, fields: {} };
  const env: Record<string, CheckType> = { object, oldObject: object, params, request: REQUEST_TYPE, namespaceObject: NAMESPACE_TYPE, authorizer: AUTHORIZER, variables };
  // Each variable sees the ones before it, as kube's composition environment compiles them in order.
  for (const v of Array.isArray(spec.variables) ? spec.variables.filter(isRecord) : []) {
    if (typeof v.name !== 'string' || typeof v.expression !== 'string') continue;
    const checked = safeCheck(v.expression, env);
    variables.fields[v.name] = checked && !checked.issues.length ? checked.type : DYN;
  }
  return env;
}

// safeCheck checks expression, or answers undefined for a syntax error or a failure of the pass
// itself: type checking must never change what happens to the policy (kube logs and skips).
function safeCheck(expression: string, env: Record<string, CheckType>): CheckResult | undefined {
  const ast = parse(expression);
  if (!ast) return undefined;
  try {
    return checkExpression(expression, ast, env);
  } catch {
    return undefined;
  }
}

/**
 * policyTypeChecking is the status.typeChecking of a ValidatingAdmissionPolicy: the type errors
 * of its expressions against each kind it matches (an empty object when there are none).
 */
export function policyTypeChecking(policy: KubeObject): { expressionWarnings?: ExpressionWarning[] } {
  const kinds = kindsToCheck(policy).flatMap((def) => {
    const type = kindCheckType(def);
    return type ? [{ gvk: gvkString(def), type }] : [];
  });
  if (!kinds.length) return {};
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const paramKind = paramKindDefinition(policy);
  const params = (paramKind && kindCheckType(paramKind)) ?? DYN;
  const envs = kinds.map((k) => declarations(k.type, params, spec));
  const warnings: ExpressionWarning[] = [];
  for (const [fieldRef, expression] of validationExpressions(spec)) {
    const parts: string[] = [];
    kinds.forEach((k, i) => {
      const issues = safeCheck(expression, envs[i])?.issues;
      if (issues?.length) parts.push(`${k.gvk}: ${displayIssues(expression, issues)}\n`);
    });
    if (parts.length) warnings.push({ fieldRef, warning: parts.join('\n') });
  }
  return warnings.length ? { expressionWarnings: warnings } : {};
}
