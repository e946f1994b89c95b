/**
 * A JSONPath evaluator for the expressions CRDs carry (additionalPrinterColumns, selectableFields):
 * the subset of client-go's jsonpath that those use. `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`,
 * `[1:3]`, `..name` and filters such as `[?(@.type=="Ready")]`; missing keys yield no result,
 * as with AllowMissingKeys(true).
 */
import { isPlainObject as isRecord } from './meta/json';

type Segment =
  | { kind: 'field'; name: string }
  | { kind: 'recursive'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; left: Segment[]; op?: string; right?: Segment[] | { literal: unknown } };

/** JSONPathError is a syntax error in an expression. */
export class JSONPathError extends Error {}

/** CompiledJSONPath evaluates one parsed expression. */
export interface CompiledJSONPath {
  /** find returns every value the expression selects in data, in document order. */
  find(data: unknown): unknown[];
}

/** compileJSONPath parses an expression such as `.spec.replicas` or `{.spec.replicas}`; it throws JSONPathError. */
export function compileJSONPath(expression: string): CompiledJSONPath {
  let text = expression.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  const segments = new Parser(text).segments(false);
  return { find: (data) => evaluate(segments, [data]) };
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  /** position is how far parsing got. */
  get position(): number {
    return this.i;
  }

  // segments reads until the end of input, or (inside a filter) until a comparison or ')'.
  segments(inFilter: boolean): Segment[] {
    const out: Segment[] = [];
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (inFilter && (c === ')' || c === ' ' || c === '=' || c === '!' || c === '<' || c === '>')) break;
      if (c === '.') {
        if (this.s[this.i + 1] === '.') {
          this.i += 2;
          out.push({ kind: 'recursive', name: this.identifier() });
        } else {
          this.i++;
          if (this.i >= this.s.length || this.s[this.i] === '[') continue;
          out.push({ kind: 'field', name: this.identifier() });
        }
      } else if (c === '[') {
        out.push(this.bracket());
      } else if (c === '@' && inFilter) {
        this.i++;
      } else {
        throw new JSONPathError(`unrecognized character in action: ${JSON.stringify(c)}`);
      }
    }
    return out;
  }

  private identifier(): string {
    const start = this.i;
    while (this.i < this.s.length && !'.[]()=!<> '.includes(this.s[this.i])) this.i++;
    const name = this.s.slice(start, this.i);
    if (!name) throw new JSONPathError('missing field name');
    return name;
  }

  private bracket(): Segment {
    const close = this.matching(this.i);
    const inner = this.s.slice(this.i + 1, close).trim();
    this.i = close + 1;
    if (inner.startsWith('?(') && inner.endsWith(')')) return filterSegment(inner.slice(2, -1));
    if (/^'.*'$|^".*"$/.test(inner)) return { kind: 'field', name: inner.slice(1, -1) };
    if (inner === '*') return { kind: 'slice' };
    if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
    const m = /^(-?\d*):(-?\d*)(?::(-?\d*))?$/.exec(inner);
    if (m) {
      const n = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
      return { kind: 'slice', start: n(m[1]), end: n(m[2]), step: n(m[3]) };
    }
    throw new JSONPathError(`invalid array index ${inner}`);
  }

  private matching(open: number): number {
    let depth = 0;
    let quote = '';
    for (let j = open; j < this.s.length; j++) {
      const c = this.s[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '[') depth++;
      else if (c === ']' && --depth === 0) return j;
    }
    throw new JSONPathError('unclosed array expect ]');
  }
}

function filterSegment(expr: string): Segment {
  const p = new Parser(expr.trim());
  const left = p.segments(true);
  const rest = expr.trim().slice(p.position).trim();
  if (!rest) return { kind: 'filter', left };
  const m = /^(==|!=|<=|>=|<|>)\s*(.*)$/.exec(rest);
  if (!m) throw new JSONPathError(`invalid filter ${expr}`);
  const value = m[2].trim();
  let right: Segment[] | { literal: unknown };
  if (value.startsWith('@') || value.startsWith('.')) right = new Parser(value).segments(true);
  else if (/^'.*'$|^".*"$/.test(value)) right = { literal: value.slice(1, -1) };
  else if (value === 'true' || value === 'false') right = { literal: value === 'true' };
  else if (value !== '' && !Number.isNaN(Number(value))) right = { literal: Number(value) };
  else throw new JSONPathError(`invalid filter value ${value}`);
  return { kind: 'filter', left, op: m[1], right };
}

function evaluate(segments: Segment[], start: unknown[]): unknown[] {
  let values = start;
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of values) step(seg, v, next);
    values = next;
  }
  return values;
}

function step(seg: Segment, v: unknown, out: unknown[]): void {
  switch (seg.kind) {
    case 'field':
      if (isRecord(v)) {
        if (seg.name === '*') out.push(...Object.keys(v).sort().map((k) => v[k]));
        else if (seg.name in v) out.push(v[seg.name]);
      } else if (Array.isArray(v) && seg.name === '*') out.push(...v);
      return;
    case 'recursive':
      collect(v, seg.name, out);
      return;
    case 'index':
      if (Array.isArray(v)) {
        const i = seg.index < 0 ? v.length + seg.index : seg.index;
        if (i >= 0 && i < v.length) out.push(v[i]);
      }
      return;
    case 'slice':
      if (Array.isArray(v)) {
        const len = v.length;
        const norm = (x: number | undefined, dflt: number) => (x === undefined ? dflt : x < 0 ? Math.max(0, len + x) : Math.min(len, x));
        const stepBy = seg.step && seg.step > 0 ? seg.step : 1;
        for (let i = norm(seg.start, 0); i < norm(seg.end, len); i += stepBy) out.push(v[i]);
      } else if (isRecord(v) && seg.start === undefined && seg.end === undefined) {
        out.push(...Object.keys(v).sort().map((k) => v[k]));
      }
      return;
    case 'filter': {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) if (matchesFilter(seg, item)) out.push(item);
      return;
    }
  }
}

function collect(v: unknown, name: string, out: unknown[]): void {
  if (isRecord(v)) {
    if (name === '*' || name in v) {
      if (name === '*') out.push(...Object.values(v));
      else out.push(v[name]);
    }
    for (const child of Object.values(v)) collect(child, name, out);
  } else if (Array.isArray(v)) {
    for (const child of v) collect(child, name, out);
  }
}

function matchesFilter(seg: Extract<Segment, { kind: 'filter' }>, item: unknown): boolean {
  const left = evaluate(seg.left, [item]);
  if (!seg.op) return left.length > 0 && left[0] !== false && left[0] !== null;
  if (left.length === 0) return false;
  const right = seg.right && 'literal' in seg.right ? [seg.right.literal] : evaluate(seg.right as Segment[], [item]);
  if (right.length === 0) return false;
  const a = left[0];
  const b = right[0];
  switch (seg.op) {
    case '==':
      return a === b || (typeof a === 'number' && typeof b === 'string' && String(a) === b);
    case '!=':
      return a !== b;
    case '<':
      return typeof a === 'number' && typeof b === 'number' && a < b;
    case '>':
      return typeof a === 'number' && typeof b === 'number' && a > b;
    case '<=':
      return typeof a === 'number' && typeof b === 'number' && a <= b;
    case '>=':
      return typeof a === 'number' && typeof b === 'number' && a >= b;
  }
  return false;
}


/**
 * printJSONPathValue renders one selected value as client-go's PrintResults does: strings as they
 * are, objects and arrays as compact JSON (keys sorted, like Go's encoding/json), numbers and
 * booleans as Go prints them.
 */
export function printJSONPathValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(sortKeys(v));
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isRecord(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

// goNumber prints like Go's %v: integers plainly, large or tiny floats with an exponent (1e+21).
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}
