/**
 * A static type pass over a parsed CEL expression (the @marcbachmann/cel-js AST), reporting what
 * cel-go's checker reports for kube's typed admission declarations: undefined fields of declared
 * objects, selection on scalars, operators and functions applied to operands no overload
 * accepts, non-bool operands of && and ||, and ranges of comprehensions that are not lists or
 * maps. Each issue is placed where cel-go places it (the '.' of a selection, the operator of an
 * operator call, the '(' of a function call) so that the caller can print cel-go's message.
 *
 * cel-js itself types every field access as dyn, which is why this pass exists. Everything the
 * pass cannot type with certainty stays dyn and is never reported (see check-overloads.ts).
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { DYN, ERROR, formatType, isDynOrError, joinTypes, listOf, mapOf, scalar, type CheckType } from './check-types';
import { conversionResult, knowsFunction, resolveCall } from './check-overloads';

/** CheckIssue is one type error: its message and the string index it is reported at. */
export interface CheckIssue {
  at: number;
  message: string;
}

/** CheckResult is an expression's type and its type errors. */
export interface CheckResult {
  type: CheckType;
  issues: CheckIssue[];
}

type Scope = ReadonlyMap<string, CheckType>;

const BOOL = scalar('bool');
const TYPE = scalar('type');
const TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);
const BINARY: Record<string, string> = {
  '==': '_==_', '!=': '_!=_', '<': '_<_', '<=': '_<=_', '>': '_>_', '>=': '_>=_',
  '+': '_+_', '-': '_-_', '*': '_*_', '/': '_/_', '%': '_%_', in: '@in',
};
const QUANTIFIERS = new Set(['all', 'exists', 'exists_one']);

/** checkExpression type-checks ast (parsed from expression) with the declared variables. */
export function checkExpression(expression: string, ast: ASTNode, variables: Record<string, CheckType>): CheckResult {
  const checker = new Checker(expression);
  const type = checker.check(ast, new Map(Object.entries(variables)));
  return { type, issues: checker.issues };
}

class Checker {
  readonly issues: CheckIssue[] = [];

  constructor(private readonly src: string) {}

  check(n: ASTNode, scope: Scope): CheckType {
    const args = n.args as unknown;
    switch (n.op) {
      case 'value':
        return literalType(args);
      case 'id':
        return scope.get(args as string) ?? (TYPE_NAMES.has(args as string) ? TYPE : DYN);
      case '.':
      case '.?': {
        const [operand, field] = args as [ASTNode, string];
        const t = this.selectField(this.check(operand, scope), field, this.anchor(n));
        return n.op === '.' ? t : DYN;
      }
      case '[]':
      case '[?]': {
        const [operand, index] = args as [ASTNode, ASTNode];
        const types = [this.check(operand, scope), this.check(index, scope)];
        return n.op === '[]' ? this.resolve('_[_]', types, false, this.anchor(n)) : DYN;
      }
      case 'list':
        return listOf(joinTypes((args as ASTNode[]).map((e) => this.check(e, scope))));
      case 'map': {
        const entries = args as Array<[ASTNode, ASTNode]>;
        const keys = entries.map(([k]) => this.check(k, scope));
        return mapOf(joinTypes(keys), joinTypes(entries.map(([, v]) => this.check(v, scope))));
      }
      case '&&':
      case '||':
        return this.logical(args as ASTNode[], scope);
      case '!_':
      case '-_':
        return this.unary(n, scope);
      case '?:':
        return this.resolve('_?_:_', (args as ASTNode[]).map((a) => this.check(a, scope)), false, this.anchor(n));
      case 'call':
        return this.globalCall(n, scope);
      case 'rcall':
        return this.memberCall(n, scope);
      default:
        if (n.op in BINARY) return this.resolve(BINARY[n.op], (args as ASTNode[]).map((a) => this.check(a, scope)), false, this.anchor(n));
        return DYN;
    }
  }

  private report(at: number, message: string): void {
    this.issues.push({ at, message });
  }

  private selectField(t: CheckType, field: string, at: number): CheckType {
    switch (t.kind) {
      case 'map':
        return t.value;
      case 'object':
        if (Object.prototype.hasOwnProperty.call(t.fields, field)) return t.fields[field];
        if (t.open) return DYN;
        this.report(at, `undefined field '${field}'`);
        return ERROR;
      case 'dyn':
      case 'error':
      case 'opaque':
        return DYN;
      default: {
        const name = formatType(t);
        if (name) this.report(at, `type '${name}' does not support field selection`);
        return DYN;
      }
    }
  }

  // resolve types a call of a known function, reporting when no overload takes the arguments.
  private resolve(fn: string, types: CheckType[], member: boolean, at: number): CheckType {
    if (types.some((t) => t.kind === 'error')) return DYN;
    const result = resolveCall(fn, types, member);
    if (result) return result;
    const signature = formatSignature(types, member);
    if (signature) this.report(at, `found no matching overload for '${fn}' applied to '${signature}'`);
    return ERROR;
  }

  // unary types a run of ! or - as cel-go's parser reads it: an even run cancels out, an odd one
  // is a single operator placed at the first of them.
  private unary(n: ASTNode, scope: Scope): CheckType {
    let operand = unaryOperand(n);
    let count = 1;
    for (; operand.op === n.op; count++) operand = unaryOperand(operand);
    const t = this.check(operand, scope);
    return count % 2 === 0 ? t : this.resolve(n.op, [t], false, this.anchor(n));
  }

  private logical(operands: ASTNode[], scope: Scope): CheckType {
    for (const a of operands) this.expectBool(this.check(a, scope), a);
    return BOOL;
  }

  private expectBool(t: CheckType, n: ASTNode): void {
    if (isDynOrError(t) || t.kind === 'bool') return;
    const name = formatType(t);
    if (name) this.report(this.anchor(n), `expected type 'bool' but found '${name}'`);
  }

  private globalCall(n: ASTNode, scope: Scope): CheckType {
    const [fn, args] = n.args as [string, ASTNode[]];
    const at = this.anchor(n);
    if (fn === 'has') return this.presence(args[0], scope, at);
    const types = args.map((a) => this.check(a, scope));
    if (!knowsFunction(fn)) return conversionResult(fn) ?? DYN;
    return this.resolve(fn, types, false, at);
  }

  // presence types has(x.f): f must be a field of x's type, reported at has's '('.
  private presence(arg: ASTNode | undefined, scope: Scope, at: number): CheckType {
    if (arg?.op === '.') {
      const [operand, field] = arg.args as [ASTNode, string];
      this.selectField(this.check(operand, scope), field, at);
    } else if (arg) this.check(arg, scope);
    return BOOL;
  }

  private memberCall(n: ASTNode, scope: Scope): CheckType {
    const [fn, receiver, args] = n.args as [string, ASTNode, ASTNode[]];
    const firstIsVar = args[0]?.op === 'id';
    if (firstIsVar && (QUANTIFIERS.has(fn) || fn === 'map' || fn === 'filter')) return this.comprehension(fn, receiver, args, scope);
    if (fn === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && args.length === 3 && firstIsVar) {
      const inner = new Map(scope).set(args[0].args as string, this.check(args[1], scope));
      return this.check(args[2], inner);
    }
    // A receiver that names no variable is a namespace (sets.contains, strings.quote, math.greatest).
    if (receiver.op === 'id' && !scope.has(receiver.args as string)) {
      for (const a of args) this.check(a, scope);
      return DYN;
    }
    const types = [this.check(receiver, scope), ...args.map((a) => this.check(a, scope))];
    return this.resolve(fn, types, true, this.anchor(n));
  }

  private comprehension(fn: string, range: ASTNode, args: ASTNode[], scope: Scope): CheckType {
    const rangeType = this.check(range, scope);
    const inner = new Map(scope);
    // Two-variable forms (index or key, then value) are typed dyn.
    const twoVars = args.length === 3 && args[1].op === 'id' && fn !== 'map';
    if (twoVars) {
      inner.set(args[0].args as string, DYN).set(args[1].args as string, DYN);
    } else {
      inner.set(args[0].args as string, this.iterationType(rangeType, range));
    }
    const body = args.slice(twoVars ? 2 : 1).map((a) => this.check(a, inner));
    if (QUANTIFIERS.has(fn)) {
      // all and exists fold the predicate with && and ||, which want a bool.
      if (fn !== 'exists_one') this.expectBool(body[0], args[args.length - 1]);
      return BOOL;
    }
    if (fn === 'filter') return listOf(inner.get(args[0].args as string) ?? DYN);
    return listOf(body[body.length - 1] ?? DYN);
  }

  private iterationType(t: CheckType, range: ASTNode): CheckType {
    switch (t.kind) {
      case 'list':
        return t.elem;
      case 'map':
        return t.key;
      case 'dyn':
      case 'error':
        return DYN;
      default: {
        const name = formatType(t);
        if (name) this.report(this.anchor(range), `expression of type '${name}' cannot be range of a comprehension (must be list, map, or dynamic)`);
        return DYN;
      }
    }
  }

  // anchor is where cel-go's parser places node n: the '.' of a selection, the '(' of a call,
  // the '[' of an index, the operator of an operator call, the start of anything else.
  private anchor(n: ASTNode): number {
    const args = n.args as unknown[];
    switch (n.op) {
      case '.':
      case '.?':
        return this.src.lastIndexOf('.', n.pos - 1);
      case 'call':
        return this.src.indexOf('(', n.start);
      case 'rcall':
        return this.src.indexOf('(', (args[1] as ASTNode).end);
      case '[]':
      case '[?]':
        return this.src.indexOf('[', (args[0] as ASTNode).end);
      case '?:':
        return this.src.indexOf('?', (args[0] as ASTNode).end);
      case '&&':
      case '||':
        return this.src.indexOf(n.op, (args[0] as ASTNode).end);
      default:
        if (n.op in BINARY) return this.src.indexOf(n.op, (args[0] as ASTNode).end);
        return n.pos;
    }
  }
}

function unaryOperand(n: ASTNode): ASTNode {
  return (Array.isArray(n.args) ? n.args[0] : n.args) as ASTNode;
}

function literalType(v: unknown): CheckType {
  if (v === null) return scalar('null');
  switch (typeof v) {
    case 'bigint':
      return scalar('int');
    case 'number':
      return scalar('double');
    case 'string':
      return scalar('string');
    case 'boolean':
      return BOOL;
    default:
      if (v instanceof Uint8Array) return scalar('bytes');
      return (v as object | undefined)?.constructor?.name === 'UnsignedInt' ? scalar('uint') : DYN;
  }
}

// formatSignature spells argument types as cel-go does: "(int, string)" or "string.(int)".
function formatSignature(types: CheckType[], member: boolean): string | undefined {
  const names = types.map(formatType);
  if (names.some((x) => x === undefined)) return undefined;
  if (!member) return `(${names.join(', ')})`;
  return `${names[0]}.(${names.slice(1).join(', ')})`;
}
