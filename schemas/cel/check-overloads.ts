/**
 * The overloads the static type pass resolves, with cel-go's signatures: the standard operators
 * (==, <, +, in, [], ?:, ...), size and the string predicates, the type conversions, and the
 * authorizer library kube declares for admission policies. A call to any other function
 * (Kubernetes' lists, strings, quantity, url, ip libraries, optionals) is typed dyn and never
 * reported, so that a function this table does not know can raise no warning.
 *
 * Signatures are written as cel-go prints them: "(A, list(A)) -> bool" for a global function,
 * "string.(string) -> bool" for a member one; single capital letters are type parameters.
 */
import { DYN, assignable, isDynOrError, listOf, mapOf, scalar, type CheckType, type ScalarKind } from './check-types';

interface Pattern {
  name: string;
  params: Pattern[];
}

/** Overload is one signature of a function. */
interface Overload {
  member: boolean;
  args: Pattern[];
  result: Pattern;
}

/** Resolution is the result type of a call, or undefined when no overload accepts its arguments. */
export type Resolution = CheckType | undefined;

const AUTHZ = 'kubernetes.authorization.';
const NUMERIC = ['int', 'uint', 'double'];
const ORDERED = ['bool', 'string', 'bytes', 'timestamp', 'duration'];

const SIGNATURES: Record<string, string[]> = {
  '_==_': ['(A, A) -> bool'],
  '_!=_': ['(A, A) -> bool'],
  '_<_': comparisons(),
  '_<=_': comparisons(),
  '_>_': comparisons(),
  '_>=_': comparisons(),
  '_+_': [...sameTyped(['int', 'uint', 'double', 'string', 'bytes', 'duration']), '(list(A), list(A)) -> list(A)', '(timestamp, duration) -> timestamp', '(duration, timestamp) -> timestamp'],
  '_-_': [...sameTyped(['int', 'uint', 'double', 'duration']), '(timestamp, timestamp) -> duration', '(timestamp, duration) -> timestamp'],
  '_*_': sameTyped(NUMERIC),
  '_/_': sameTyped(NUMERIC),
  '_%_': sameTyped(['int', 'uint']),
  '-_': ['(int) -> int', '(double) -> double'],
  '!_': ['(bool) -> bool'],
  '_?_:_': ['(bool, A, A) -> A'],
  '@in': ['(A, list(A)) -> bool', '(A, map(A, B)) -> bool'],
  '_[_]': ['(list(A), int) -> A', '(map(A, B), A) -> B'],
  size: ['(string) -> int', '(bytes) -> int', '(list(A)) -> int', '(map(A, B)) -> int', 'string.() -> int', 'bytes.() -> int', 'list(A).() -> int', 'map(A, B).() -> int'],
  contains: ['string.(string) -> bool'],
  startsWith: ['string.(string) -> bool'],
  endsWith: ['string.(string) -> bool'],
  matches: ['(string, string) -> bool', 'string.(string) -> bool'],
  path: [`${AUTHZ}Authorizer.(string) -> ${AUTHZ}PathCheck`],
  group: [`${AUTHZ}Authorizer.(string) -> ${AUTHZ}GroupCheck`],
  serviceAccount: [`${AUTHZ}Authorizer.(string, string) -> ${AUTHZ}Authorizer`],
  resource: [`${AUTHZ}GroupCheck.(string) -> ${AUTHZ}ResourceCheck`],
  subresource: [`${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}ResourceCheck`],
  namespace: [`${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}ResourceCheck`],
  name: [`${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}ResourceCheck`],
  fieldSelector: [`${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}ResourceCheck`],
  labelSelector: [`${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}ResourceCheck`],
  check: [`${AUTHZ}PathCheck.(string) -> ${AUTHZ}Decision`, `${AUTHZ}ResourceCheck.(string) -> ${AUTHZ}Decision`],
  allowed: [`${AUTHZ}Decision.() -> bool`],
  reason: [`${AUTHZ}Decision.() -> string`],
  errored: [`${AUTHZ}Decision.() -> bool`],
  error: [`${AUTHZ}Decision.() -> string`],
};

// Conversions are typed by their result only: their argument sets are wide and vary by version.
const CONVERSIONS: Record<string, ScalarKind> = {
  int: 'int', uint: 'uint', double: 'double', string: 'string', bytes: 'bytes', bool: 'bool',
  timestamp: 'timestamp', duration: 'duration', type: 'type',
};

function comparisons(): string[] {
  const out = ORDERED.map((t) => `(${t}, ${t}) -> bool`);
  for (const a of NUMERIC) for (const b of NUMERIC) out.push(`(${a}, ${b}) -> bool`);
  return out;
}

function sameTyped(kinds: string[]): string[] {
  return kinds.map((t) => `(${t}, ${t}) -> ${t}`);
}

const table = new Map<string, Overload[]>();

/** overloadsOf are the parsed signatures of fn (undefined: the pass does not know fn). */
function overloadsOf(fn: string): Overload[] | undefined {
  let o = table.get(fn);
  if (!o && SIGNATURES[fn]) table.set(fn, (o = SIGNATURES[fn].map(parseSignature)));
  return o;
}

/** knowsFunction tells whether calls of fn are resolved (and may be reported) by resolveCall. */
export function knowsFunction(fn: string): boolean {
  return fn in SIGNATURES;
}

/** conversionResult is the type a conversion function (int(), string(), ...) yields, if fn is one. */
export function conversionResult(fn: string): CheckType | undefined {
  return fn in CONVERSIONS ? scalar(CONVERSIONS[fn]) : fn === 'dyn' ? DYN : undefined;
}

/**
 * resolveCall is the result type of fn applied to args (the receiver first for a member call),
 * DYN for an unknown function, or undefined when fn is known and no overload accepts the args.
 */
export function resolveCall(fn: string, args: CheckType[], member: boolean): Resolution {
  const overloads = overloadsOf(fn);
  if (!overloads) return DYN;
  let result: CheckType | undefined;
  for (const o of overloads) {
    if (o.member !== member || o.args.length !== args.length) continue;
    const bindings = new Map<string, CheckType>();
    if (!o.args.every((p, i) => matches(p, args[i], bindings))) continue;
    const r = instantiate(o.result, bindings);
    result = result === undefined || sameKind(result, r) ? (result ?? r) : DYN;
  }
  return result;
}

function sameKind(a: CheckType, b: CheckType): boolean {
  return a.kind === b.kind && (a.kind !== 'opaque' || (b.kind === 'opaque' && a.name === b.name));
}

function matches(p: Pattern, t: CheckType, bindings: Map<string, CheckType>): boolean {
  if (isTypeParam(p)) {
    const bound = bindings.get(p.name);
    if (!bound) {
      bindings.set(p.name, isDynOrError(t) ? DYN : t);
      return true;
    }
    return assignable(bound, t);
  }
  if (isDynOrError(t)) {
    for (const q of p.params) matches(q, DYN, bindings);
    return true;
  }
  switch (p.name) {
    case 'list':
      return t.kind === 'list' && matches(p.params[0], t.elem, bindings);
    case 'map':
      return t.kind === 'map' && matches(p.params[0], t.key, bindings) && matches(p.params[1], t.value, bindings);
    default:
      if (t.kind === 'opaque') return t.name === p.name;
      return t.kind === p.name || (t.kind === 'null' && (p.name === 'timestamp' || p.name === 'duration'));
  }
}

function isTypeParam(p: Pattern): boolean {
  return /^[A-Z]$/.test(p.name);
}

function instantiate(p: Pattern, bindings: Map<string, CheckType>): CheckType {
  if (isTypeParam(p)) return bindings.get(p.name) ?? DYN;
  switch (p.name) {
    case 'list':
      return listOf(instantiate(p.params[0], bindings));
    case 'map':
      return mapOf(instantiate(p.params[0], bindings), instantiate(p.params[1], bindings));
    default:
      return p.name.startsWith(AUTHZ) ? { kind: 'opaque', name: p.name } : scalar(p.name as ScalarKind);
  }
}

// parseSignature reads "(A, list(A)) -> bool" or "string.(string) -> bool".
function parseSignature(sig: string): Overload {
  const [lhs, result] = sig.split(' -> ');
  const member = !lhs.startsWith('(');
  const argsAt = member ? lhs.indexOf('.(') + 1 : 0;
  const receiver = member ? [parsePattern(lhs.slice(0, argsAt - 1))] : [];
  const inner = lhs.slice(argsAt + 1, -1);
  return { member, args: [...receiver, ...splitTop(inner).map(parsePattern)], result: parsePattern(result) };
}

function parsePattern(s: string): Pattern {
  const open = s.indexOf('(');
  if (open < 0) return { name: s.trim(), params: [] };
  return { name: s.slice(0, open).trim(), params: splitTop(s.slice(open + 1, -1)).map(parsePattern) };
}

// splitTop splits a comma-separated list at depth zero.
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (s.trim()) out.push(s.slice(start));
  return out.map((x) => x.trim());
}
