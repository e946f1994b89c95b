// Label and field selectors with the grammar, matching and error wording of
// k8s.io/apimachinery/pkg/labels/selector.go and pkg/fields/selector.go.
// Error strings follow kube-apiserver closely (including its quirks, such as
// the "<nil>:" field of a bad key in a query-string selector) so that a user
// sees the message they would see from a real cluster.

import { labelValueErrors, qualifiedNameErrors } from './object-meta';

/** FieldCause is one field-level validation failure, shaped like a Kubernetes StatusCause. */
export interface FieldCause {
  /** reason is the cause type: FieldValueInvalid, FieldValueRequired, FieldValueForbidden, ... */
  readonly reason: string;
  /** message is the error body without the field ("Invalid value: \"x\": ..."). */
  readonly message: string;
  /** field is the field path ("spec.selector.matchExpressions[0].values"), or "<nil>" when there is none. */
  readonly field: string;
}

/** SelectorError is thrown for an unparsable or invalid selector; message is the kube-apiserver text. */
export class SelectorError extends Error {
  constructor(message: string, readonly causes: readonly FieldCause[] = []) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---------------------------------------------------------------------------
// Field errors, printed the way field.Error and utilerrors.Aggregate print them.

const reasonWords: Record<string, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
};

/** goValue renders a bad value the way Go's %q / %#v would for strings and string slices. */
function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[]string{${v.map((x) => JSON.stringify(String(x))).join(', ')}}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}

function cause(reason: string, field: string, detail: string, badValue?: unknown): FieldCause {
  let message = reasonWords[reason] ?? reason;
  if (reason === 'FieldValueInvalid' || reason === 'FieldValueNotSupported') message += `: ${goValue(badValue)}`;
  if (detail) message += `: ${detail}`;
  return { reason, message, field };
}

function causeText(c: FieldCause): string {
  return `${c.field}: ${c.message}`;
}

/** aggregate joins messages like utilerrors.Aggregate: one stands alone, several are bracketed. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

// ---------------------------------------------------------------------------
// Label maps: keys are qualified names, values label values (meta/object-meta.ts).

/** validateLabels checks a labels map as ValidateLabels does; every cause carries the map's own path. */
export function validateLabels(labels: Record<string, unknown> | undefined | null, path = 'metadata.labels'): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of qualifiedNameErrors(k)) causes.push(cause('FieldValueInvalid', path, msg, k));
    if (typeof v !== 'string') causes.push(cause('FieldValueInvalid', path, 'must be a string', v));
    else for (const msg of labelValueErrors(v)) causes.push(cause('FieldValueInvalid', path, msg, v));
  }
  return causes;
}

// ---------------------------------------------------------------------------
// Label selectors.

/** LabelOperator is a selection.Operator: in, notin, =, ==, !=, exists, ! (does not exist), gt, lt. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** LabelRequirement is one term of a label selector: key, operator and (possibly empty) values. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** LabelSelector is an AND of requirements sorted by key; `nothing` marks the selector of a nil metav1.LabelSelector. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** empty is true when the selector does not restrict anything (matches every object). */
  readonly empty: boolean;
  /** nothing is true for the selector that matches no object at all. */
  readonly nothing: boolean;
}

/** everythingSelector matches every label set. */
export const everythingSelector: LabelSelector = Object.freeze({ requirements: [], empty: true, nothing: false });
/** nothingSelector matches no label set (what a nil metav1.LabelSelector means). */
export const nothingSelector: LabelSelector = Object.freeze({ requirements: [], empty: false, nothing: true });

const binaryOperators = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const int64Re = /^[+-]?[0-9]+$/;

function parseInt64(s: string): bigint | undefined {
  if (!int64Re.test(s)) return undefined;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
}

/** checkRequirement validates like labels.NewRequirement and returns the cause list (empty when valid). */
function checkRequirement(key: string, op: LabelOperator, values: readonly string[], path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) causes.push(cause('FieldValueInvalid', child(path, 'key'), keyErrs.join('; '), key));
  const valuesPath = child(path, 'values');
  switch (op) {
    case 'in': case 'notin':
      if (values.length === 0) causes.push(cause('FieldValueInvalid', valuesPath, "for 'in', 'notin' operators, values set can't be empty", values));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) causes.push(cause('FieldValueInvalid', valuesPath, 'exact-match compatibility requires one single value', values));
      break;
    case 'exists': case '!':
      if (values.length !== 0) causes.push(cause('FieldValueInvalid', valuesPath, 'values set must be empty for exists and does not exist', values));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) causes.push(cause('FieldValueInvalid', valuesPath, "for 'Gt', 'Lt' operators, exactly one value is required", values));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) causes.push(cause('FieldValueInvalid', `${valuesPath}[${i}]`, "for 'Gt', 'Lt' operators, the value must be an integer", v));
      });
      break;
  }
  values.forEach((v, i) => {
    const errs = labelValueErrors(v);
    if (errs.length) causes.push(cause('FieldValueInvalid', `${valuesPath}[${i}][${key}]`, errs.join('; '), v));
  });
  return causes;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in': case '=': case '==':
      return has && r.values.includes(value as string);
    case 'notin': case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt': case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const have = parseInt64(value as string);
      const want = parseInt64(r.values[0]);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

/** matches reports whether labels satisfy every requirement of selector; absent labels are an empty set. */
export function matches(selector: LabelSelector, labels: Record<string, string> | undefined | null): boolean {
  if (selector.nothing) return false;
  const set = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, set));
}

function requirementString(r: LabelRequirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return `!${r.key}`;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(',');
  switch (r.operator) {
    case 'in': return `${r.key} in (${values})`;
    case 'notin': return `${r.key} notin (${values})`;
    case 'gt': return `${r.key}>${values}`;
    case 'lt': return `${r.key}<${values}`;
    default: return `${r.key}${r.operator}${values}`;
  }
}

/** labelSelectorToString is the canonical string form (labels.Selector.String()): "" for everything and nothing. */
export function labelSelectorToString(selector: LabelSelector): string {
  return selector.requirements.map(requirementString).join(',');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function makeSelector(requirements: LabelRequirement[]): LabelSelector {
  // A stable sort by key: labels.Parse and Selector.Add sort requirements by key.
  const sorted = [...requirements].sort((a, b) => compareStrings(a.key, b.key));
  return { requirements: sorted, empty: sorted.length === 0, nothing: false };
}

// --- the query-string parser (labels.Parse) ---

type Token = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
interface Item { tok: Token; lit: string }

// A Map, not an object literal: identifiers such as "constructor" must not find Object.prototype.
const literalTokens = new Map<string, Token>(
  [')', ',', '!', '==', '=', '>', 'in', '<', '!=', 'notin', '('].map((t) => [t, t as Token]),
);
const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string) => '=!(),><'.includes(ch) && ch !== '';

/** lex splits a selector string into tokens the way the apimachinery Lexer does (a NUL ends the input). */
function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  const read = (): string => (pos < s.length ? s[pos++] : '\0');
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === '\0') {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    pos--;
    if (isSpecial(ch)) {
      // Longest run of special characters that still forms a known operator.
      let buffer = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (!isSpecial(c)) { pos--; break; }
        buffer += c;
        const tok = literalTokens.get(buffer);
        if (tok) last = { tok, lit: buffer };
        else if (last) { pos--; break; }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (isSpecial(c) || isWhitespace(c)) { pos--; break; }
        buffer += c;
      }
      items.push({ tok: literalTokens.get(buffer) ?? 'id', lit: buffer });
    }
  }
}

/** LabelParser is the recursive-descent parser of labels.Parse; "values" context turns in/notin into identifiers. */
class LabelParser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  private peek(values: boolean): Item {
    const item = this.items[Math.min(this.position, this.items.length - 1)];
    return values && (item.tok === 'in' || item.tok === 'notin') ? { tok: 'id', lit: item.lit } : item;
  }

  private next(values: boolean): Item {
    const item = this.peek(values);
    this.position++;
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'eos') return requirements;
      if (tok !== 'id' && tok !== '!') throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`, e.causes);
        throw e;
      }
      const after = this.next(true);
      if (after.tok === 'eos') return requirements;
      if (after.tok !== ',') throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.tok !== 'id' && following.tok !== '!') {
        throw new SelectorError(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let first = this.next(true);
    let op: LabelOperator | undefined;
    if (first.tok === '!') {
      op = '!';
      first = this.next(true);
    }
    if (first.tok !== 'id') throw new SelectorError(`found '${first.lit}', expected: identifier`);
    const key = first.lit;
    const keyErrs = qualifiedNameErrors(key);
    if (keyErrs.length) {
      // labels.Parse validates the key against a nil field path, hence "<nil>".
      const c = cause('FieldValueInvalid', '<nil>', keyErrs.join('; '), key);
      throw new SelectorError(causeText(c), [c]);
    }
    const ahead = this.peek(true).tok;
    if (op !== '!' && (ahead === 'eos' || ahead === ',')) op = 'exists';
    if (op === 'exists' || op === '!') return build(key, op, []);

    const opItem = this.next(false);
    const operators: Partial<Record<Token, LabelOperator>> = { in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' };
    op = operators[opItem.tok];
    if (!op) throw new SelectorError(`found '${opItem.lit}', expected: ${binaryOperators.join(', ')}`);
    const values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    return build(key, op, [...new Set(values)].sort(compareStrings));
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === ')') {
      this.next(true);
      return [''];
    }
    if (tok !== 'id' && tok !== ',') throw new SelectorError(`found '${lit}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    for (;;) {
      const item = this.next(true);
      if (item.tok === 'id') {
        values.push(item.lit);
        const after = this.peek(true);
        if (after.tok === ',') continue;
        if (after.tok === ')') break;
        throw new SelectorError(`found '${after.lit}', expected: ',' or ')'`);
      } else if (item.tok === ',') {
        // "(," ",," and ",)" each stand for an empty value.
        if (values.length === 0) values.push('');
        const after = this.peek(true).tok;
        if (after === ')') { values.push(''); break; }
        if (after === ',') values.push('');
      } else {
        throw new SelectorError(`found '${item.lit}', expected: ',', or identifier`);
      }
    }
    this.next(true); // the ')' seen above
    return values;
  }

  private exactValue(): string[] {
    const ahead = this.peek(true).tok;
    if (ahead === 'eos' || ahead === ',') return [''];
    const item = this.next(true);
    if (item.tok === 'id') return [item.lit];
    throw new SelectorError(`found '${item.lit}', expected: identifier`);
  }
}

function build(key: string, operator: LabelOperator, values: string[], path = ''): LabelRequirement {
  const causes = checkRequirement(key, operator, values, path);
  if (causes.length) throw new SelectorError(aggregate(causes.map(causeText)), causes);
  return { key, operator, values };
}

/**
 * parseLabelSelector parses the labelSelector query parameter syntax ("a=b,c!=d,e in (f,g),!h");
 * "" selects everything. Throws SelectorError with kube-apiserver's message when invalid.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return makeSelector(new LabelParser(lex(s)).parse());
}

// --- metav1.LabelSelector ---

/** LabelSelectorRequirementObject is metav1.LabelSelectorRequirement as it appears in JSON. */
export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[] | null;
}

/** LabelSelectorObject is metav1.LabelSelector as it appears in JSON (spec.selector of workloads). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementObject[] | null;
}

const objectOperators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** validateLabelSelector checks a metav1.LabelSelector as ValidateLabelSelector does, with causes under path. */
export function validateLabelSelector(sel: LabelSelectorObject | undefined | null, path = ''): FieldCause[] {
  if (!sel) return [];
  const labels = typeof sel.matchLabels === 'object' && !Array.isArray(sel.matchLabels) ? sel.matchLabels : undefined;
  const causes = validateLabels(labels, child(path, 'matchLabels'));
  const exprs: unknown[] = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((raw, i) => {
    const expr = (raw ?? {}) as Partial<LabelSelectorRequirementObject>;
    const at = `${child(path, 'matchExpressions')}[${i}]`;
    const values: unknown[] = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case 'In': case 'NotIn':
        if (values.length === 0) causes.push(cause('FieldValueRequired', child(at, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists': case 'DoesNotExist':
        if (values.length > 0) causes.push(cause('FieldValueForbidden', child(at, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        causes.push(cause('FieldValueInvalid', child(at, 'operator'), 'not a valid selector operator', expr.operator ?? ''));
    }
    const key = typeof expr.key === 'string' ? expr.key : '';
    for (const msg of qualifiedNameErrors(key)) causes.push(cause('FieldValueInvalid', child(at, 'key'), msg, key));
    values.forEach((v, j) => {
      const at2 = `${child(at, 'values')}[${j}]`;
      if (typeof v !== 'string') causes.push(cause('FieldValueInvalid', at2, 'must be a string', v));
      else for (const msg of labelValueErrors(v)) causes.push(cause('FieldValueInvalid', at2, msg, v));
    });
  });
  return causes;
}

/**
 * labelSelectorFromObject converts a metav1.LabelSelector (LabelSelectorAsSelector): undefined/null selects
 * nothing, {} selects everything. Throws SelectorError carrying the validation causes (paths under path).
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | undefined | null, path = ''): LabelSelector {
  if (!sel) return nothingSelector;
  const causes = validateLabelSelector(sel, path);
  if (causes.length) throw new SelectorError(aggregate(causes.map(causeText)), causes);
  const requirements: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) requirements.push({ key: k, operator: '=', values: [v] });
  for (const expr of sel.matchExpressions ?? []) {
    requirements.push({ key: expr.key, operator: objectOperators[expr.operator], values: [...(expr.values ?? [])] });
  }
  return makeSelector(requirements);
}

/** formatLabelSelector is metav1.FormatLabelSelector, the SELECTOR column text: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelectorObject | undefined | null): string {
  try {
    return labelSelectorToString(labelSelectorFromObject(sel)) || '<none>';
  } catch {
    return '<error>';
  }
}

// ---------------------------------------------------------------------------
// Field selectors (fields.ParseSelector).

/** FieldRequirement is one term of a field selector; "==" is stored as "=". */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** FieldSelector is an AND of field requirements, in the sorted order fields.ParseSelector produces. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** empty is true when the selector does not restrict anything. */
  readonly empty: boolean;
}

/** splitTerms splits on commas that are not escaped by a backslash; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** unescapeFieldValue undoes escapeFieldValue; a bare ',' or '=' or an unknown escape is an error. */
function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      // Go prints the rune with %v, which is its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** escapeFieldValue escapes \, ',' and '=' so any literal can be a field selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * parseFieldSelector parses the fieldSelector query parameter ("metadata.name=foo,status.phase!=Running");
 * "" selects everything. Field names are not checked here: see fieldSelectorFields.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort(compareStrings)) {
    if (part === '') continue;
    let split: FieldRequirement | undefined;
    for (let i = 0; i < part.length && !split; i++) {
      const op = ['!=', '==', '='].find((o) => part.startsWith(o, i));
      if (op) split = { field: part.slice(0, i), operator: op === '!=' ? '!=' : '=', value: part.slice(i + op.length) };
    }
    if (!split) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    requirements.push({ ...split, value: unescapeFieldValue(split.value) });
  }
  return { requirements, empty: requirements.length === 0 };
}

/** fieldSelectorMatches evaluates sel; get returns a field's value, undefined counting as "". */
export function fieldSelectorMatches(sel: FieldSelector, get: (field: string) => string | undefined): boolean {
  return sel.requirements.every((r) => ((get(r.field) ?? '') === r.value) === (r.operator === '='));
}

/** fieldSelectorFields lists the distinct fields sel mentions, so a caller can reject unsupported ones. */
export function fieldSelectorFields(sel: FieldSelector): string[] {
  return [...new Set(sel.requirements.map((r) => r.field))];
}

/** exactFieldValue returns the value sel pins field to by equality (RequiresExactMatch), else undefined. */
export function exactFieldValue(sel: FieldSelector, field: string): string | undefined {
  return sel.requirements.find((r) => r.field === field && r.operator === '=')?.value;
}

/** fieldSelectorToString is the canonical string form, with values escaped. */
export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}

/** unsupportedFieldLabelMessage is kube-apiserver's 400 text for a field a kind cannot select on. */
export function unsupportedFieldLabelMessage(field: string): string {
  return `field label not supported: ${field}`;
}
