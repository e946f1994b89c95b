/**
 * The CEL environment of admission expressions (webhook matchConditions, ValidatingAdmissionPolicy
 * validations, variables, messageExpressions and auditAnnotations): the variables kube declares
 * for them (object, oldObject, request, params, namespaceObject, variables, authorizer), all
 * dynamic, since their types depend on the request. Compiled programs are cached by expression.
 */
import { rewriteStructLiterals } from './cel/struct-literals';
import { CEL_DYN, compileCel, isCelCompileError, toCelValue, type CelCompileError, type CompiledCel } from './cel/engine';

/**
 * AdmissionCelScope says which variables an expression may use: matchConditions have no params
 * or variables of a policy; a mutation (of a MutatingAdmissionPolicy) has a policy's variables
 * and may construct messages (Object{...}, JSONPatch{...}).
 */
export type AdmissionCelScope = 'webhook' | 'policy' | 'mutation';

const VARIABLES: Record<AdmissionCelScope, string[]> = {
  webhook: ['object', 'oldObject', 'request', 'authorizer'],
  policy: ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables', 'authorizer'],
  mutation: ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables', 'authorizer'],
};

const cache = new Map<string, CompiledCel | CelCompileError>();

/** compileAdmissionCel compiles an expression once per scope (later calls answer the cached program or error). */
export function compileAdmissionCel(expression: string, scope: AdmissionCelScope): CompiledCel | CelCompileError {
  const key = `${scope}\u0000${expression}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = compileCel(scope === 'mutation' ? rewriteStructLiterals(expression) : expression, { variables: Object.fromEntries(VARIABLES[scope].map((v) => [v, CEL_DYN])) });
    if (cache.size > 5000) cache.clear();
    cache.set(key, compiled);
  }
  return compiled;
}

/** admissionCelError is the compile error of an expression, or undefined when it compiles. */
export function admissionCelError(expression: string, scope: AdmissionCelScope): string | undefined {
  const c = compileAdmissionCel(expression, scope);
  return isCelCompileError(c) ? c.message : undefined;
}

/** celActivation turns JSON values into CEL values (integers become CEL ints). */
export function celActivation(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) out[k] = v === undefined ? null : toCelValue(v, CEL_DYN);
  return out;
}

/**
 * evaluateAdmissionCel evaluates a compiled expression; it throws an Error with the compile or
 * evaluation message (the caller words it as kube does).
 */
export function evaluateAdmissionCel(expression: string, scope: AdmissionCelScope, activation: Record<string, unknown>): unknown {
  const c = compileAdmissionCel(expression, scope);
  if (isCelCompileError(c)) throw new Error(`compilation failed: ${c.message}`);
  return c.evaluate(activation);
}
