/**
 * FieldSet: the set of field paths that server-side apply tracks per manager, with the
 * FieldsV1 trie encoding that kube-apiserver writes into metadata.managedFields, built the way
 * sigs.k8s.io/structured-merge-diff builds it from an object and its schema.
 *
 * A path is a list of path elements: a field name ("spec"), a list-map key ({k: {name: "web"}}),
 * a set value ({v: "finalizer.example.com"}) or an index ({i: 0}). How an object turns into
 * paths depends on the schema (schemas/patch-metadata.ts):
 *
 * - scalars, atomic lists, atomic maps and atomic structs are leaves: their own path only;
 * - lists of type map contribute each item ({k: keys}) and the item's fields; lists of type set
 *   contribute each value ({v: value});
 * - a granular map or struct contributes its fields; a field is itself a member when its value
 *   is null or {} and, for maps (not structs), always.
 *
 * The FieldsV1 codec orders keys and writes the "." self marker exactly as structured-merge-diff
 * does, so managed fields read back by kubectl look like kube-apiserver's; field-compare.ts
 * tells which paths an edit added, removed or modified.
 *
 * This file is longer than most: the set, its codec and the ToFieldSet walk share the path
 * element order and the list-shape rules.
 */
import { definitionMapType, type FieldPatchMeta, type PatchField, type PatchSchema } from '../../schemas/patch-metadata';
import { isPlainObject, type JsonMap } from '../../schemas/meta/json';


/** KeyElement selects the item of a list of type map whose key fields have these values. */
export interface KeyElement {
  readonly k: Readonly<Record<string, unknown>>;
}

/** ValueElement selects the item of a list of type set that equals v. */
export interface ValueElement {
  readonly v: unknown;
}

/** IndexElement selects a list item by position (only written by other implementations). */
export interface IndexElement {
  readonly i: number;
}

/** PathElement is one step of a field path; a plain string is a field name. */
export type PathElement = string | KeyElement | ValueElement | IndexElement;

/** FieldPath is a path from the object root, e.g. ['spec', 'template', 'spec', 'containers', {k: {name: 'web'}}, 'image']. */
export type FieldPath = readonly PathElement[];

/** FieldSetError is an object that does not fit its schema (a keyless item of a map list, a duplicate key, ...). */
export class FieldSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSetError';
  }
}

/** FieldsV1Error is a fieldsV1 value that cannot be decoded. */
export class FieldsV1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldsV1Error';
  }
}

// ---- JSON helpers ------------------------------------------------------------------------

/** deepEqual compares JSON values: map key order does not matter, list order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * compareStrings orders strings by code point, as Go compares UTF-8 bytes. UTF-16 code units
 * order the same way until a surrogate (half of a code point above U+FFFF) differs, where the
 * strings are compared code point by code point.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff)) return compareCodePoints(a, b);
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** compareCodePoints orders strings code point by code point (a lone surrogate is its own code point). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** valueRank orders JSON kinds as structured-merge-diff does: numbers, strings, booleans, lists, maps, null. */
function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isPlainObject(v)) return 4;
  return 5;
}

/** compareValues is structured-merge-diff's total order on values. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1;
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bl = b as unknown[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) {
      const c = compareValues(a[i], bl[i]);
      if (c !== 0) return c;
    }
    return a.length === bl.length ? 0 : a.length < bl.length ? -1 : 1;
  }
  if (isPlainObject(a)) {
    const bm = b as JsonMap;
    const ka = Object.keys(a).sort(compareStrings);
    const kb = Object.keys(bm).sort(compareStrings);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = compareStrings(ka[i], kb[i]) || compareValues(a[ka[i]], bm[kb[i]]);
      if (c !== 0) return c;
    }
    return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
  }
  return 0;
}

/**
 * goJSON encodes a value as Go's encoding/json does: map keys sorted, and <, >, & and the line
 * and paragraph separators escaped. This is the spelling of keys inside "k:" and "v:" elements.
 */
export function goJSON(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goJSON).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareStrings);
    return `{${keys.map((k) => `${goJSON(k)}:${goJSON(value[k])}`).join(',')}}`;
  }
  return 'null';
}

/** goQuote renders a string as Go's %q does for the printable text that field paths hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** goNumber renders a number as Go's %v does (exponent form below 1e-4 and from 1e21). */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mantissa, exp] = n.toExponential().split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[-+]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}

/** valueString renders a value as structured-merge-diff's value.ToString: strings quoted, numbers bare. */
function valueString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isPlainObject(v)) return Object.keys(v).map((k) => `${k}=${valueString(v[k])}`).join('');
  return 'null';
}

// ---- path elements ----------------------------------------------------------------------

/** isKey, isValue and isIndex tell the non-field path elements apart. */
function isKey(pe: PathElement): pe is KeyElement {
  return typeof pe === 'object' && 'k' in pe;
}
function isValue(pe: PathElement): pe is ValueElement {
  return typeof pe === 'object' && 'v' in pe;
}
function isIndex(pe: PathElement): pe is IndexElement {
  return typeof pe === 'object' && 'i' in pe;
}

/** sortedKeyEntries lists a key element's fields by name, the order structured-merge-diff keeps them in. */
function sortedKeyEntries(pe: KeyElement): Array<[string, unknown]> {
  return Object.keys(pe.k).sort(compareStrings).map((name) => [name, pe.k[name]]);
}

/** keyElement builds a key element with its fields in name order. */
export function keyElement(fields: Readonly<Record<string, unknown>>): KeyElement {
  return { k: Object.fromEntries(Object.keys(fields).sort(compareStrings).map((name) => [name, fields[name]])) };
}

/** setField sets an own property, even one named __proto__, which plain assignment would not. */
export function setField(map: JsonMap, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, configurable: true, writable: true });
  else map[key] = value;
}

/** elementRank orders path element kinds: field names, keys, values, indexes. */
function elementRank(pe: PathElement): number {
  if (typeof pe === 'string') return 0;
  if (isKey(pe)) return 1;
  if (isValue(pe)) return 2;
  return 3;
}

/** compareElements is structured-merge-diff's PathElement order, which FieldsV1 keys follow. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const ra = elementRank(a);
  const rb = elementRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (isKey(a)) {
    const ea = sortedKeyEntries(a);
    const eb = sortedKeyEntries(b as KeyElement);
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const c = compareStrings(ea[i][0], eb[i][0]) || compareValues(ea[i][1], eb[i][1]);
      if (c !== 0) return c;
    }
    return ea.length === eb.length ? 0 : ea.length < eb.length ? -1 : 1;
  }
  if (isValue(a)) return compareValues(a.v, (b as ValueElement).v);
  const ia = (a as IndexElement).i;
  const ib = (b as IndexElement).i;
  return ia === ib ? 0 : ia < ib ? -1 : 1;
}

// Spellings of key and value elements, computed once per element object: a set is built by
// inserting every path below an item, each spelling the item's element again.
const spelled = new WeakMap<object, string>();

/** serializePathElement spells a path element as a FieldsV1 key: f:spec, k:{"name":"web"}, v:"a", i:0. */
export function serializePathElement(pe: PathElement): string {
  if (typeof pe === 'string') return `f:${pe}`;
  let text = spelled.get(pe);
  if (text === undefined) {
    if (isKey(pe)) text = `k:{${sortedKeyEntries(pe).map(([n, v]) => `${goJSON(n)}:${goJSON(v)}`).join(',')}}`;
    else if (isValue(pe)) text = `v:${goJSON(pe.v)}`;
    else text = `i:${pe.i}`;
    spelled.set(pe, text);
  }
  return text;
}

/**
 * parsePathElement reads a FieldsV1 key back; it answers undefined for an element type it does
 * not know (structured-merge-diff drops those) and throws FieldsV1Error for a malformed one.
 */
export function parsePathElement(key: string): PathElement | undefined {
  if (key.length < 2) throw new FieldsV1Error(`key must be 2 characters long: ${key}`);
  if (key[1] !== ':') throw new FieldsV1Error(`missing colon: ${key}`);
  const body = key.slice(2);
  switch (key[0]) {
    case 'f':
      return body;
    case 'k': {
      const parsed = parseJsonElement(key, body);
      if (!isPlainObject(parsed)) throw new FieldsV1Error(`parsing key as path element: ${key}`);
      return keyElement(parsed);
    }
    case 'v':
      return { v: parseJsonElement(key, body) };
    case 'i':
      if (!/^[+-]?\d+$/.test(body)) throw new FieldsV1Error(`parsing key as path element: ${key}`);
      return { i: Number(body) };
    default:
      return undefined;
  }
}

/** parseJsonElement parses the JSON body of a k: or v: element. */
function parseJsonElement(key: string, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new FieldsV1Error(`parsing key as path element: ${key}`);
  }
}

/** elementString renders one path element the way conflict messages show it: .spec, [name="web"], [="a"], [0]. */
export function elementString(pe: PathElement): string {
  if (typeof pe === 'string') return `.${pe}`;
  if (isKey(pe)) return `[${sortedKeyEntries(pe).map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
  if (isValue(pe)) return `[=${valueString(pe.v)}]`;
  return `[${pe.i}]`;
}

/** pathString renders a path as kube's conflict causes do: .spec.template.spec.containers[name="web"].image. */
export function pathString(path: FieldPath): string {
  return path.map(elementString).join('');
}

// ---- the set ------------------------------------------------------------------------------

interface ChildNode {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * FieldSet is a set of field paths stored as a trie: at each level, the members (paths that end
 * here) and the children (paths that continue). Operations answer sets that may share levels
 * with their operands (or be one of them), so a set is never changed once it is built: insert,
 * addMember and at are only for building a new set.
 */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, ChildNode>();

  /** of builds a set from paths. */
  static of(...paths: FieldPath[]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /** insert adds one path; the empty path is ignored. */
  insert(path: FieldPath): this {
    if (path.length === 0) return this;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]);
    node.members.set(serializePathElement(path[path.length - 1]), path[path.length - 1]);
    return this;
  }

  /** addMember adds pe as a member of this level (building a set level by level). */
  addMember(pe: PathElement): void {
    this.members.set(serializePathElement(pe), pe);
  }

  /** at returns the subset under a path, creating the levels it needs (building a set level by level). */
  at(path: FieldPath): FieldSet {
    let node: FieldSet = this;
    for (const pe of path) node = node.child(pe);
    return node;
  }

  /** child returns the subset under pe, creating it. */
  private child(pe: PathElement): FieldSet {
    const key = serializePathElement(pe);
    let node = this.children.get(key);
    if (!node) {
      node = { pe, set: new FieldSet() };
      this.children.set(key, node);
    }
    return node.set;
  }

  /** has tells whether path is a member. */
  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(serializePathElement(path[i]))?.set;
    return !!node && node.members.has(serializePathElement(path[path.length - 1]));
  }

  /** empty is true when the set holds no path. */
  get empty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  /** size counts the member paths. */
  get size(): number {
    let n = this.members.size;
    for (const c of this.children.values()) n += c.set.size;
    return n;
  }

  /** withPrefix returns the paths under pe, without pe. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set.clone() ?? new FieldSet();
  }

  /** hasChildrenUnder tells whether some path continues below pe. */
  hasChildrenUnder(pe: PathElement): boolean {
    return this.children.has(serializePathElement(pe));
  }

  /** clone copies the set. */
  clone(): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) out.children.set(k, { pe: c.pe, set: c.set.clone() });
    return out;
  }

  /** union is every path in either set. */
  union(other: FieldSet): FieldSet {
    if (other.empty || other === this) return this;
    if (this.empty) return other;
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of other.members) out.members.set(k, pe);
    for (const [k, c] of this.children) out.children.set(k, c);
    for (const [k, c] of other.children) {
      const mine = this.children.get(k);
      out.children.set(k, mine ? { pe: c.pe, set: mine.set.union(c.set) } : c);
    }
    return out;
  }

  /** intersection is every path in both sets. */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      if (!theirs) continue;
      const both = c.set.intersection(theirs.set);
      if (!both.empty) out.children.set(k, { pe: c.pe, set: both });
    }
    return out;
  }

  /** difference is the paths of this set that are not in other (paths below other's members stay). */
  difference(other: FieldSet): FieldSet {
    return this.subtract(other, false);
  }

  /** recursiveDifference removes other's paths and everything below other's members. */
  recursiveDifference(other: FieldSet): FieldSet {
    return this.subtract(other, true);
  }

  /**
   * subtract is difference, or recursiveDifference when recursive. Levels that lose nothing are
   * shared with this set rather than copied (no set is changed once built), and this set itself
   * is the answer when nothing is removed.
   */
  private subtract(other: FieldSet, recursive: boolean): FieldSet {
    if (other.empty || this.empty) return this;
    let out: FieldSet | undefined;
    // start copies the entries seen so far that stayed, the first time something is removed.
    const start = (membersSeen: number, childrenSeen: number): FieldSet => {
      const o = new FieldSet();
      let i = 0;
      for (const [k, pe] of this.members) {
        if (i++ >= membersSeen) break;
        if (!other.members.has(k)) o.members.set(k, pe);
      }
      i = 0;
      for (const [k, c] of this.children) {
        if (i++ >= childrenSeen) break;
        o.children.set(k, c);
      }
      return o;
    };
    let mi = 0;
    for (const [k, pe] of this.members) {
      if (other.members.has(k)) {
        out ??= start(mi, 0);
      } else if (out) {
        out.members.set(k, pe);
      }
      mi++;
    }
    let ci = 0;
    for (const [k, c] of this.children) {
      let rest: FieldSet | undefined = c.set;
      if (recursive && other.members.has(k)) {
        rest = undefined;
      } else {
        const theirs = other.children.get(k);
        if (theirs) rest = c.set.subtract(theirs.set, recursive);
        if (rest.empty) rest = undefined;
      }
      if (rest === c.set) {
        if (out) out.children.set(k, c);
      } else {
        out ??= start(mi, ci);
        if (rest) out.children.set(k, { pe: c.pe, set: rest });
      }
      ci++;
    }
    return out ?? this;
  }

  /** equals tells whether both sets hold the same paths. */
  equals(other: FieldSet): boolean {
    if (this.members.size !== other.members.size || this.children.size !== other.children.size) return false;
    for (const k of this.members.keys()) if (!other.members.has(k)) return false;
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      if (!theirs || !c.set.equals(theirs.set)) return false;
    }
    return true;
  }

  /**
   * ensureNamedFieldsAreMembers adds, as members, the struct fields that only have paths below
   * them (owning spec.replicas then also owns spec), which is how pruning decides what to remove.
   */
  ensureNamedFieldsAreMembers(schema: PatchSchema): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const childSchema = typeof c.pe === 'string' ? schema.field(c.pe).schema : schema;
      if (typeof c.pe === 'string' && isStructField(schema)) out.members.set(k, c.pe);
      out.children.set(k, { pe: c.pe, set: c.set.ensureNamedFieldsAreMembers(childSchema) });
    }
    return out;
  }

  /** sortedMembers and sortedChildren list one level in path element order. */
  private sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(compareElements);
  }
  private sortedChildren(): ChildNode[] {
    return [...this.children.values()].sort((a, b) => compareElements(a.pe, b.pe));
  }

  /** paths lists the members in structured-merge-diff's iteration order: a level's members, then its children. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (set: FieldSet, prefix: PathElement[]): void => {
      for (const pe of set.sortedMembers()) out.push([...prefix, pe]);
      for (const c of set.sortedChildren()) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  /** toString lists the paths one per line, as kube prints a set. */
  toString(): string {
    return this.paths().map(pathString).join('\n');
  }

  /**
   * toFieldsV1 encodes the set as the FieldsV1 trie of managedFields: keys in path element
   * order, {} for a member, nested objects for children and "." first where a path is both.
   */
  toFieldsV1(): JsonMap {
    return this.encode(false);
  }

  private encode(includeSelf: boolean): JsonMap {
    const out: JsonMap = {};
    if (includeSelf && !this.empty) out['.'] = {};
    const members = this.sortedMembers();
    const children = this.sortedChildren();
    let mi = 0;
    let ci = 0;
    while (mi < members.length || ci < children.length) {
      const c = mi < members.length && ci < children.length
        ? compareElements(members[mi], children[ci].pe)
        : mi < members.length ? -1 : 1;
      if (c < 0) {
        out[serializePathElement(members[mi++])] = {};
      } else {
        const node = children[ci++];
        out[serializePathElement(node.pe)] = node.set.encode(c === 0);
        if (c === 0) mi++;
      }
    }
    return out;
  }

  /** fromFieldsV1 decodes a FieldsV1 trie; it throws FieldsV1Error when the value is malformed. */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (fields === undefined || fields === null) return new FieldSet();
    if (!isPlainObject(fields)) throw new FieldsV1Error('FieldsV1 must be a JSON object');
    return FieldSet.decodeLevel(fields).set ?? new FieldSet();
  }

  /** decodeLevel reads one trie level: its subset and whether the level's own path is a member. */
  private static decodeLevel(fields: JsonMap): { set: FieldSet | undefined; member: boolean } {
    let set: FieldSet | undefined;
    for (const [key, value] of Object.entries(fields)) {
      if (key === '.') continue;
      const pe = parsePathElement(key);
      if (pe === undefined) continue;
      if (!isPlainObject(value)) throw new FieldsV1Error(`parsing key as path element: ${key}: expected an object`);
      const inner = FieldSet.decodeLevel(value);
      set ??= new FieldSet();
      const k = serializePathElement(pe);
      if (inner.member) set.members.set(k, pe);
      if (inner.set) set.children.set(k, { pe, set: inner.set });
    }
    // A level without children is a member ({}); one with children is a member only with ".".
    return { set, member: !set || Object.prototype.hasOwnProperty.call(fields, '.') };
  }

  /**
   * fromObject lists the paths an object sets, given its schema (structured-merge-diff's
   * ToFieldSet). It throws FieldSetError when an item of a keyed list has no key, or an item of
   * a set is not a scalar.
   */
  static fromObject(obj: unknown, schema: PatchSchema, options: FieldSetOptions = {}): FieldSet {
    const set = new FieldSet();
    if (isPlainObject(obj)) visitMap(obj, { schema }, [], set, options);
    return set;
  }
}

// ---- schema shapes -------------------------------------------------------------------------

/** ListShape is how server-side apply treats a list: replaced whole, merged as a set, or merged by keys. */
export type ListShape =
  | { readonly type: 'atomic' }
  | { readonly type: 'set' }
  | { readonly type: 'map'; readonly keys: readonly string[] };

/**
 * listShape reads a list field's x-kubernetes-list-type (with its map keys); without one, a list
 * with a merge strategy and key is a map, one with a merge strategy only is a set, and any other
 * list is atomic, as kube-openapi converts the same metadata.
 */
export function listShape(meta: FieldPatchMeta | undefined): ListShape {
  const strategy = meta?.patchStrategy?.split(',') ?? [];
  switch (meta?.listType) {
    case 'atomic':
      return { type: 'atomic' };
    case 'set':
      return { type: 'set' };
    case 'map': {
      const keys = meta.listMapKeys?.length ? meta.listMapKeys : meta.patchMergeKey ? [meta.patchMergeKey] : [];
      return keys.length ? { type: 'map', keys } : { type: 'atomic' };
    }
    default:
      if (strategy.includes('merge') && meta?.patchMergeKey) return { type: 'map', keys: [meta.patchMergeKey] };
      if (strategy.includes('merge')) return { type: 'set' };
      return { type: 'atomic' };
  }
}

/** isAtomicMap tells whether a map or struct field is owned as a whole (x-kubernetes-map-type, +structType=atomic). */
export function isAtomicMap(field: PatchField): boolean {
  if (field.meta?.mapType === 'atomic') return true;
  if (field.meta?.mapType === 'granular') return false;
  return definitionMapType(field.schema.name) === 'atomic';
}

/**
 * isStructField tells whether the fields of schema are declared struct fields rather than keys
 * of a map[string]T. Only a PatchSchema built for a map of values (its name starts with
 * "map[string]") says so; everything else, including maps of scalars, is treated as a struct,
 * which makes no difference for scalar values.
 */
export function isStructField(schema: PatchSchema): boolean {
  return !schema.name.startsWith('map[string]');
}

/** FieldSetOptions tunes how items of keyed lists are identified. */
export interface FieldSetOptions {
  /**
   * keyDefaults are the schema defaults of list-map key fields, used when an item leaves a key
   * out: Kubernetes declares protocol defaulting to TCP on container, service and endpoint ports.
   */
  keyDefaults?: Readonly<Record<string, unknown>>;
  /**
   * rejectDuplicates makes two items with the same key a FieldSetError, as kube validates an
   * applied configuration; stored objects may hold duplicates, which count as the item alone.
   */
  rejectDuplicates?: boolean;
}

/** DEFAULT_KEY_DEFAULTS are the key defaults used when FieldSetOptions.keyDefaults is not given. */
export const DEFAULT_KEY_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ protocol: 'TCP' });

/**
 * itemElement identifies one item of a set or map list (structured-merge-diff's
 * listItemToPathElement); listPath and index only word the error.
 */
export function itemElement(item: unknown, shape: ListShape, listPath: FieldPath, index: number, options: FieldSetOptions = {}): PathElement {
  const fail = (why: string): never => {
    throw new FieldSetError(`${pathString(listPath)}: element ${index}: ${why}`);
  };
  if (shape.type === 'map') {
    if (item === null) fail('associative list with keys may not have a null element');
    if (!isPlainObject(item)) fail('associative list with keys may not have non-map elements');
    const fields: JsonMap = {};
    const defaults = options.keyDefaults ?? DEFAULT_KEY_DEFAULTS;
    for (const key of shape.keys) {
      const map = item as JsonMap;
      if (Object.prototype.hasOwnProperty.call(map, key)) setField(fields, key, map[key]);
      else if (Object.prototype.hasOwnProperty.call(defaults, key)) setField(fields, key, defaults[key]);
    }
    if (Object.keys(fields).length === 0) {
      fail(`associative list with keys has an element that omits all key fields [${shape.keys.map(goQuote).join(' ')}] (and doesn't have default values for any key fields)`);
    }
    return keyElement(fields);
  }
  if (isPlainObject(item)) fail("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) fail('not supported: associative list with lists as elements');
  if (item === null || item === undefined) fail("associative list without keys has an element that's an explicit null");
  return { v: item };
}

/** itemField is what a PatchSchema knows of each item of a list field: the item's schema, no metadata. */
export function itemField(field: PatchField): PatchField {
  return { schema: field.schema };
}

// ---- ToFieldSet ------------------------------------------------------------------------------

/** visitValue adds the paths of one value at path (the caller adds path itself where needed). */
function visitValue(value: unknown, field: PatchField, path: PathElement[], set: FieldSet, options: FieldSetOptions): void {
  if (isPlainObject(value)) {
    if (isAtomicMap(field)) set.insert(path);
    else visitMap(value, field, path, set, options);
  } else if (Array.isArray(value)) {
    const shape = listShape(field.meta);
    if (shape.type === 'atomic') set.insert(path);
    else visitList(value, field, shape, path, set, options);
  } else {
    set.insert(path);
  }
}

/** visitMap adds a granular map's fields: each field's paths, and the field itself when it is a null, {} or map key. */
function visitMap(map: JsonMap, field: PatchField, path: PathElement[], set: FieldSet, options: FieldSetOptions): void {
  const struct = isStructField(field.schema);
  for (const [key, value] of Object.entries(map)) {
    const childPath = [...path, key];
    visitValue(value, field.schema.field(key), childPath, set, options);
    if (value === null || (isPlainObject(value) && Object.keys(value).length === 0) || !struct) set.insert(childPath);
  }
}

/** visitList adds each item of a set or map list; a duplicated item counts as the item alone. */
function visitList(list: unknown[], field: PatchField, shape: ListShape, path: PathElement[], set: FieldSet, options: FieldSetOptions): void {
  const elements = list.map((item, i) => itemElement(item, shape, path, i, options));
  const counts = new Map<string, number>();
  for (const pe of elements) {
    const k = serializePathElement(pe);
    if (options.rejectDuplicates && counts.has(k)) throw new FieldSetError(`${pathString(path)}: duplicate entries for key ${elementString(pe)}`);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const item = itemField(field);
  list.forEach((value, i) => {
    const childPath = [...path, elements[i]];
    if ((counts.get(serializePathElement(elements[i])) ?? 0) < 2) visitValue(value, item, childPath, set, options);
    set.insert(childPath);
  });
}
