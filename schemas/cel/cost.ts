/**
 * Cost of a CEL expression, in the units cel-go uses (roughly one per AST step, string and list
 * work proportional to size). Two modes share one walk:
 * - estimate (no values): every list, map and string is as large as its schema allows
 *   (maxItems, maxProperties, maxLength), or, without a bound, as large as fits in the largest
 *   request Kubernetes accepts (3 MiB), as kube's estimator assumes. This refuses, at CRD
 *   creation, rules such as nested all()/exists() over unbounded lists.
 * - runtime (with an activation): sizes come from the actual values, and a macro's body is
 *   costed once per actual element. This is an upper bound of the work the evaluation does
 *   (it does not credit short-circuits), computed before evaluating so a rule that would run
 *   too long is refused without running it.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { CEL_DYN, type CelType } from './types';

/** MAX_REQUEST_SIZE_BYTES bounds unbounded lists, maps and strings, as kube-apiserver's request size limit does. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const STRING_FACTOR = 0.1;

interface Binding {
  type: CelType;
  /** value is the concrete value in runtime mode; absent when only the type is known. */
  value?: unknown;
  concrete: boolean;
}

type Scope = ReadonlyMap<string, Binding>;

function minSerializedSize(t: CelType): number {
  switch (t.kind) {
    case 'string':
    case 'bytes':
    case 'list':
    case 'map':
    case 'object':
      return 2; // "", [], {}
    case 'bool':
      return 4;
    default:
      return 1;
  }
}

/** unboundedSize is how many elements of type items fit in the largest request. */
export function unboundedSize(items: CelType): number {
  return Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (minSerializedSize(items) + 1));
}

/** maxSize is the largest size a value of type t can have (elements, properties or characters). */
export function maxSize(t: CelType): number {
  switch (t.kind) {
    case 'list':
      return t.maxItems ?? unboundedSize(t.items);
    case 'map':
      return t.maxProperties ?? unboundedSize(t.values);
    case 'object':
      return t.maxProperties ?? Object.keys(t.fields).length;
    case 'string':
    case 'bytes':
      return t.maxLength ?? MAX_REQUEST_SIZE_BYTES - 2;
    case 'dyn':
      return MAX_REQUEST_SIZE_BYTES - 2;
    default:
      return 1;
  }
}

function actualSize(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (v && typeof v === 'object') return Object.keys(v).length;
  return 1;
}

function elementType(t: CelType): CelType {
  if (t.kind === 'list') return t.items;
  if (t.kind === 'map') return { kind: 'string' };
  if (t.kind === 'object') return { kind: 'string' };
  return CEL_DYN;
}

interface Typed {
  type: CelType;
  value?: unknown;
  concrete: boolean;
}

const UNKNOWN: Typed = { type: CEL_DYN, concrete: false };

/** CostLimitExceeded aborts a runtime cost walk once the limit is passed. */
class CostLimitExceeded extends Error {}

class CostWalker {
  private spent = 0;
  constructor(private readonly limit: number) {}

  private add(n: number): number {
    this.spent += n;
    if (this.spent > this.limit) throw new CostLimitExceeded();
    return n;
  }

  // typed resolves the type (and, at run time, the value) of a node that names data: a
  // variable, a field selection or an index, and literals.
  typed(n: ASTNode, scope: Scope): Typed {
    switch (n.op) {
      case 'id':
        return scope.get(n.args) ?? UNKNOWN;
      case 'value':
        return { type: typeOfLiteral(n.args), value: n.args, concrete: true };
      case '.':
      case '.?': {
        const [base, field] = n.args;
        const b = this.typed(base, scope);
        const t = fieldType(b.type, field);
        if (!b.concrete) return { type: t, concrete: false };
        const v = b.value && typeof b.value === 'object' ? (b.value as Record<string, unknown>)[field] : undefined;
        return { type: t, value: v, concrete: v !== undefined };
      }
      case '[]':
      case '[?]': {
        const [base, idx] = n.args;
        const b = this.typed(base, scope);
        const t = b.type.kind === 'list' ? b.type.items : b.type.kind === 'map' ? b.type.values : CEL_DYN;
        const i = idx.op === 'value' ? idx.args : undefined;
        if (!b.concrete || i === undefined || i === null) return { type: t, concrete: false };
        const v = Array.isArray(b.value) ? b.value[Number(i)] : (b.value as Record<string, unknown>)?.[String(i)];
        return { type: t, value: v, concrete: v !== undefined };
      }
      case 'list':
        return { type: { kind: 'list', items: CEL_DYN, maxItems: n.args.length }, concrete: false };
      case 'rcall': {
        const [name, recv] = n.args;
        if (name === 'map' || name === 'filter') {
          const r = this.typed(recv, scope);
          const size = r.concrete ? actualSize(r.value) : maxSize(r.type);
          return { type: { kind: 'list', items: CEL_DYN, maxItems: size }, concrete: false };
        }
        return UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  private sizeOf(n: ASTNode, scope: Scope): number {
    const t = this.typed(n, scope);
    return t.concrete ? actualSize(t.value) : maxSize(t.type);
  }

  cost(n: ASTNode, scope: Scope): number {
    switch (n.op) {
      case 'value':
        return 0;
      case 'id':
        return this.add(1);
      case '.':
      case '.?':
        return this.cost(n.args[0], scope) + this.add(1);
      case '[]':
      case '[?]':
        return this.cost(n.args[0], scope) + this.cost(n.args[1], scope) + this.add(1);
      case 'list':
        return n.args.reduce((s, a) => s + this.cost(a, scope), 0) + this.add(10);
      case 'map':
        return n.args.reduce((s, [k, v]) => s + this.cost(k, scope) + this.cost(v, scope), 0) + this.add(30);
      case '?:': {
        const c = this.cost(n.args[0], scope);
        return c + Math.max(this.cost(n.args[1], scope), this.cost(n.args[2], scope));
      }
      case '&&':
      case '||':
        return this.cost(n.args[0], scope) + this.cost(n.args[1], scope);
      case '!_':
      case '-_':
        return this.cost(n.args, scope) + this.add(1);
      case 'call': {
        const [name, args] = n.args;
        // has() tests presence without reading the value.
        if (name === 'has' && args.length === 1 && args[0].op === '.') return this.cost(args[0].args[0], scope) + this.add(1);
        return args.reduce((s, a) => s + this.cost(a, scope), 0) + this.add(this.callCost(name, undefined, args, scope));
      }
      case 'rcall': {
        const [name, recv, args] = n.args;
        if (MACROS.has(name) && args.length === 2 && args[0].op === 'id') return this.macroCost(recv, args[0].args, args[1], scope);
        return this.cost(recv, scope) + args.reduce((s, a) => s + this.cost(a, scope), 0) + this.add(this.callCost(name, recv, args, scope));
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [l, r] = n.args;
        const c = this.cost(l, scope) + this.cost(r, scope);
        const lt = this.typed(l, scope);
        const rt = this.typed(r, scope);
        const scaled = isSized(lt.type) || isSized(rt.type) || lt.type.kind === 'dyn';
        const size = scaled ? Math.min(this.sizeOf(l, scope), this.sizeOf(r, scope)) : 0;
        return c + this.add(1 + Math.ceil(size * STRING_FACTOR));
      }
      case 'in': {
        const [l, r] = n.args;
        return this.cost(l, scope) + this.cost(r, scope) + this.add(1 + this.sizeOf(r, scope));
      }
      case '+': {
        const [l, r] = n.args;
        const c = this.cost(l, scope) + this.cost(r, scope);
        const lt = this.typed(l, scope).type;
        const concat = lt.kind === 'string' || lt.kind === 'list';
        return c + this.add(1 + (concat ? Math.ceil((this.sizeOf(l, scope) + this.sizeOf(r, scope)) * STRING_FACTOR) : 0));
      }
      default:
        return (n.args as ASTNode[]).reduce((s, a) => s + this.cost(a, scope), 0) + this.add(1);
    }
  }

  private callCost(name: string, recv: ASTNode | undefined, args: ASTNode[], scope: Scope): number {
    const target = recv ?? args[0];
    if (!target) return 1;
    switch (name) {
      case 'size':
      case 'int':
      case 'uint':
      case 'double':
      case 'bool':
      case 'dyn':
      case 'type':
        return 1;
      case 'isSorted':
      case 'sum':
      case 'min':
      case 'max':
      case 'indexOf':
      case 'lastIndexOf':
      case 'join':
      case 'reverse':
      case 'distinct':
      case 'flatten':
        return 1 + this.sizeOf(target, scope);
      default: {
        // String functions (matches, split, replace, format, url, quantity, ...) scale with the text.
        const t = this.typed(target, scope).type;
        if (t.kind === 'string' || t.kind === 'dyn') return 1 + Math.ceil(this.sizeOf(target, scope) * STRING_FACTOR);
        return 1;
      }
    }
  }

  private macroCost(recv: ASTNode, variable: string, body: ASTNode, scope: Scope): number {
    let c = this.cost(recv, scope);
    const r = this.typed(recv, scope);
    const perIteration = 3; // the loop condition and the accumulator step around the body
    if (r.concrete && r.value !== null && typeof r.value === 'object') {
      const elems = Array.isArray(r.value) ? r.value : Object.keys(r.value as object);
      const et = elementType(r.type);
      const inner = new Map(scope);
      for (const e of elems) {
        inner.set(variable, { type: et, value: e, concrete: true });
        c += this.cost(body, inner) + this.add(perIteration);
      }
      return c;
    }
    const inner = new Map(scope);
    inner.set(variable, { type: elementType(r.type), concrete: false });
    const n = maxSize(r.type);
    // In estimate mode the body is costed once and multiplied, which keeps nested macros cheap to cost.
    const saved = this.spent;
    const once = this.cost(body, inner) + perIteration;
    this.spent = saved;
    return c + this.add(once * n);
  }
}

function isSized(t: CelType): boolean {
  return t.kind === 'string' || t.kind === 'bytes' || t.kind === 'list' || t.kind === 'map' || t.kind === 'object';
}

function typeOfLiteral(v: unknown): CelType {
  if (typeof v === 'string') return { kind: 'string', maxLength: v.length };
  if (typeof v === 'bigint') return { kind: 'int' };
  if (typeof v === 'number') return { kind: 'double' };
  if (typeof v === 'boolean') return { kind: 'bool' };
  if (v === null) return { kind: 'null' };
  return CEL_DYN;
}

/** fieldType is the type of field selected from a value of type t (dyn when unknown). */
export function fieldType(t: CelType, field: string): CelType {
  if (t.kind === 'object') return t.fields[field] ?? CEL_DYN;
  if (t.kind === 'map') return t.values;
  return CEL_DYN;
}

/** estimateCost is the worst-case cost of ast when variables have the declared types. */
export function estimateCost(ast: ASTNode, variables: Record<string, CelType>): number {
  const scope = new Map<string, Binding>();
  for (const [k, t] of Object.entries(variables)) scope.set(k, { type: t, concrete: false });
  return new CostWalker(Number.POSITIVE_INFINITY).cost(ast, scope);
}

/**
 * runtimeCost is the cost of evaluating ast on activation, or undefined once it passes limit
 * (the walk stops there, so a huge input costs no more than limit steps to refuse).
 */
export function runtimeCost(
  ast: ASTNode,
  variables: Record<string, CelType>,
  activation: Record<string, unknown>,
  limit: number,
): number | undefined {
  const scope = new Map<string, Binding>();
  for (const [k, t] of Object.entries(variables)) {
    const present = Object.prototype.hasOwnProperty.call(activation, k);
    scope.set(k, { type: t, value: activation[k], concrete: present && activation[k] !== undefined });
  }
  try {
    return new CostWalker(limit).cost(ast, scope);
  } catch (e) {
    if (e instanceof CostLimitExceeded) return undefined;
    throw e;
  }
}
