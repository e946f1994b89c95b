/**
 * The CEL engine nodeless evaluates x-kubernetes-validations rules and admission policies with.
 *
 * API: `compileCel(expression, env)` parses and type-checks an expression against a
 * `CelEnvironment` (the variables it may use, each with a `CelType` derived from a schema, see
 * types.ts) and returns either a `CompiledCel` or a `CelCompileError` (never throws for bad
 * input). A CompiledCel is compiled once and evaluated many times: `compiled.evaluate(activation)`
 * binds the variables from a plain record (JSON values; integers may be numbers or bigints, and
 * are converted by `toCelValue` where the type says int) and returns the result (CEL ints are
 * bigints, doubles numbers, lists arrays, maps plain objects), throwing `CelEvalError` on a
 * runtime error such as a missing key or a cost over the limit. `compiled.estimatedCost` is the
 * worst-case cost kube's estimator would assign (sizes from maxItems/maxProperties/maxLength or
 * the 3 MiB request limit), and `compiled.runtimeCost(activation, limit)` the cost of one
 * evaluation on real data. Kubernetes' libraries (lists, strings, regex with RE2, url, ip/cidr,
 * quantity, format, sets) and optional types are always available; `matches()` uses RE2.
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { RE2_MATCHES, registerKubernetesLibraries } from './library';
import { estimateCost, fieldType, runtimeCost } from './cost';
import { CEL_DYN, celTypeName, type CelType } from './types';

export { type CelType, CEL_DYN } from './types';

/** CelEnvironment declares the variables an expression may reference, with their types. */
export interface CelEnvironment {
  variables: Record<string, CelType>;
}

/** CelCompileError explains why an expression does not compile, in cel-go's wording ("ERROR: <input>:1:6: Syntax error: ..."). */
export class CelCompileError {
  constructor(
    /** message is the full text, e.g. "ERROR: <input>:1:5: undefined field 'z'". */
    readonly message: string,
    /** kind is 'syntax' for a parse error, 'type' for a check error (undeclared reference, wrong types). */
    readonly kind: 'syntax' | 'type',
  ) {}
}

/** CelEvalError is thrown by evaluate() for a runtime error; its message is the error alone (no source excerpt). */
export class CelEvalError extends Error {
  override readonly name = 'CelEvalError';
  constructor(message: string, readonly costExceeded = false) {
    super(message);
  }
}

/** CompiledCel is a compiled expression: evaluate it any number of times. */
export interface CompiledCel {
  readonly expression: string;
  /** outputType is the checked result type ("bool", "string", "dyn", ...). */
  readonly outputType: string;
  /** estimatedCost is the worst-case cost for the declared types. */
  readonly estimatedCost: number;
  /** evaluate binds activation's variables and returns the result; throws CelEvalError. */
  evaluate(activation: Record<string, unknown>): unknown;
  /** runtimeCost is the cost of evaluating on activation, or undefined when it exceeds limit. */
  runtimeCost(activation: Record<string, unknown>, limit: number): number | undefined;
}

/** isCelCompileError tells a CelCompileError from a CompiledCel. */
export function isCelCompileError(x: CompiledCel | CelCompileError): x is CelCompileError {
  return x instanceof CelCompileError;
}

// One base environment holds the libraries; each compile clones it and declares its variables,
// so registering the libraries (hundreds of overloads) happens once per process.
let base: Environment | undefined;
function baseEnvironment(): Environment {
  if (!base) {
    base = registerKubernetesLibraries(
      new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false }),
    );
  }
  return base;
}

function position(expression: string, at: number | undefined): string {
  const upTo = expression.slice(0, at ?? 0);
  const line = upTo.split('\n').length;
  const col = (at ?? 0) - upTo.lastIndexOf('\n');
  return `<input>:${line}:${col}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}

function errorAt(e: unknown): number | undefined {
  const err = e as { node?: { pos?: number; start?: number }; range?: { start: number } };
  return err.range?.start ?? err.node?.start ?? err.node?.pos;
}

// rewriteMatches points matches() at the RE2 implementation; cel-js's own uses RegExp.
function rewriteMatches(n: unknown): void {
  if (!n || typeof n !== 'object') return;
  const node = n as { op?: string; args?: unknown };
  if (node.op === 'rcall' && Array.isArray(node.args) && node.args[0] === 'matches') node.args[0] = RE2_MATCHES;
  if (node.op === 'call' && Array.isArray(node.args) && node.args[0] === 'matches') node.args[0] = RE2_MATCHES;
  if (Array.isArray(node.args)) {
    for (const a of node.args) {
      if (Array.isArray(a)) a.forEach((x) => (Array.isArray(x) ? x.forEach(rewriteMatches) : rewriteMatches(x)));
      else rewriteMatches(a);
    }
  }
}

// undefinedFields finds selections of fields an object type does not declare, which cel-go
// refuses at check time ("undefined field 'z'"); cel-js sees objects as maps and would not.
function undefinedField(n: ASTNode, scope: Map<string, CelType>): { field: string; at: number } | undefined {
  const typeOf = (x: ASTNode, s: Map<string, CelType>): CelType => {
    if (x.op === 'id') return s.get(x.args) ?? CEL_DYN;
    if (x.op === '.' || x.op === '.?') return fieldType(typeOf(x.args[0], s), x.args[1]);
    if (x.op === '[]' || x.op === '[?]') {
      const t = typeOf(x.args[0], s);
      return t.kind === 'list' ? t.items : t.kind === 'map' ? t.values : CEL_DYN;
    }
    return CEL_DYN;
  };
  const visit = (x: ASTNode, s: Map<string, CelType>): { field: string; at: number } | undefined => {
    if (x.op === '.' || x.op === '.?') {
      const t = typeOf(x.args[0], s);
      if (t.kind === 'object' && !t.open && !(x.args[1] in t.fields)) return { field: x.args[1], at: x.pos - 1 };
      return visit(x.args[0], s);
    }
    if (x.op === 'rcall') {
      const [name, recv, args] = x.args;
      const found = visit(recv, s);
      if (found) return found;
      if (['all', 'exists', 'exists_one', 'map', 'filter'].includes(name) && args[0]?.op === 'id') {
        const rt = typeOf(recv, s);
        const inner = new Map(s);
        inner.set(args[0].args, rt.kind === 'list' ? rt.items : rt.kind === 'map' || rt.kind === 'object' ? { kind: 'string' } : CEL_DYN);
        for (const a of args.slice(1)) {
          const f = visit(a, inner);
          if (f) return f;
        }
        return undefined;
      }
      for (const a of args) {
        const f = visit(a, s);
        if (f) return f;
      }
      return undefined;
    }
    if (x.op === 'call') {
      for (const a of x.args[1]) {
        const f = visit(a, s);
        if (f) return f;
      }
      return undefined;
    }
    if (x.op === 'id' || x.op === 'value') return undefined;
    if (x.op === 'map') {
      for (const [k, v] of x.args) {
        const f = visit(k, s) ?? visit(v, s);
        if (f) return f;
      }
      return undefined;
    }
    const args = Array.isArray(x.args) ? (x.args as ASTNode[]) : [x.args as ASTNode];
    for (const a of args) {
      if (a && typeof a === 'object') {
        const f = visit(a, s);
        if (f) return f;
      }
    }
    return undefined;
  };
  return visit(n, scope);
}

/** compileCel parses and checks expression in env; it returns a CelCompileError rather than throwing. */
export function compileCel(expression: string, env: CelEnvironment): CompiledCel | CelCompileError {
  const celEnv = baseEnvironment().clone();
  for (const [name, type] of Object.entries(env.variables)) celEnv.registerVariable(name, celTypeName(type));
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = celEnv.parse(expression);
  } catch (e) {
    return new CelCompileError(`ERROR: ${position(expression, errorAt(e))}: Syntax error: ${firstLine((e as Error).message)}`, 'syntax');
  }
  const missing = undefinedField(parsed.ast, new Map(Object.entries(env.variables)));
  if (missing) return new CelCompileError(`ERROR: ${position(expression, missing.at)}: undefined field '${missing.field}'`, 'type');
  rewriteMatches(parsed.ast);
  const checked = parsed.check();
  if (!checked.valid) {
    const e = checked.error;
    const msg = firstLine(e?.message ?? 'type check failed').replace(/^Unknown variable: (.*)$/, "undeclared reference to '$1' (in container '')");
    return new CelCompileError(`ERROR: ${position(expression, errorAt(e))}: ${msg}`, 'type');
  }
  const variables = env.variables;
  const estimatedCost = estimateCost(parsed.ast, variables);
  return {
    expression,
    outputType: checked.type ?? 'dyn',
    estimatedCost,
    evaluate(activation: Record<string, unknown>): unknown {
      try {
        return parsed(activation);
      } catch (e) {
        throw new CelEvalError(firstLine((e as Error).message));
      }
    },
    runtimeCost(activation: Record<string, unknown>, limit: number): number | undefined {
      return runtimeCost(parsed.ast, variables, activation, limit);
    },
  };
}

/**
 * toCelValue converts a JSON value to the CEL value of type t: integers become bigints where
 * the type is int (or dyn and the number is integral), everything else passes through.
 */
export function toCelValue(v: unknown, t: CelType): unknown {
  if (v === null || v === undefined) return v;
  switch (t.kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
    case 'double':
      return typeof v === 'bigint' ? Number(v) : v;
    case 'list':
      return Array.isArray(v) ? v.map((x) => toCelValue(x, t.items)) : v;
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCelValue(x, t.values)]));
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = toCelValue(x, t.fields[k] ?? CEL_DYN);
      return out;
    }
    case 'dyn':
      if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
      if (Array.isArray(v)) return v.map((x) => toCelValue(x, CEL_DYN));
      if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCelValue(x, CEL_DYN)]));
      return v;
    default:
      return v;
  }
}
