/**
 * createdFieldsV1: the FieldsV1 a create records for its manager, written straight from the new
 * object. On a create there is no old object, so the Update operation's comparison (every path
 * of the new object is added, except that a struct held by value shows only what it holds) and
 * the removal of the reset and system fields reduce to one walk of the object, with no field
 * set built, compared, subtracted and encoded in between. managed-fields.ts uses it for creates
 * and keeps the general path for everything else; test/patch/created-fields.test.ts checks that
 * both answer the same.
 */
import { isPlainObject, type JsonMap } from '../../schemas/meta/json';
import type { PatchField, PatchSchema } from '../../schemas/patch-metadata';
import { builtinAlwaysPresent } from './field-compare';
import {
  compareElements,
  compareStrings,
  isAtomicMap,
  itemElement,
  itemField,
  listShape,
  serializePathElement,
  type FieldSetOptions,
  type PathElement,
} from './field-set';

/** CreatedFieldsOptions names what the walk leaves out. */
export interface CreatedFieldsOptions extends FieldSetOptions {
  /** reset are top-level fields no manager of the endpoint owns, with everything below them. */
  reset: ReadonlySet<string>;
  /** strippedRoot and strippedMetadata are system fields that are never owned themselves. */
  strippedRoot: ReadonlySet<string>;
  strippedMetadata: ReadonlySet<string>;
}

/**
 * createdFieldsV1 answers the FieldsV1 of the paths a create of obj (already in the typed view
 * the comparison reads) gives its manager, or undefined when it owns none. It throws
 * FieldSetError where the comparison would: an item of a set or map list it cannot identify.
 */
export function createdFieldsV1(obj: JsonMap, schema: PatchSchema, options: CreatedFieldsOptions): JsonMap | undefined {
  const root: PatchField = { schema };
  const keys = Object.keys(obj);
  if (keys.length === 0 || isAtomicMap(root)) return undefined;
  keys.sort(compareStrings);
  const out: JsonMap = {};
  let any = false;
  const path: PathElement[] = [];
  for (const key of keys) {
    const value = obj[key];
    const field = schema.field(key);
    path.push(key);
    const node = builtinAlwaysPresent(schema.name, key) ? heldNode(value, field, path, options) : addedNode(value, field, path, options);
    path.pop();
    // A reset field is walked all the same: an item there that cannot be identified fails the
    // comparison, and the caller then keeps what the object had, as the general path does.
    if (options.reset.has(key)) continue;
    let member = node.member;
    if (options.strippedRoot.has(key)) member = false;
    let below = node.below;
    if (key === 'metadata' && below && options.strippedMetadata.size > 0) below = stripMembers(below, options.strippedMetadata);
    if (emit(out, `f:${key}`, member, below)) any = true;
  }
  return any ? out : undefined;
}

interface Node {
  /** member tells whether the node's own path is owned. */
  member: boolean;
  /** below is the FieldsV1 of the owned paths under it, undefined when there are none. */
  below: JsonMap | undefined;
}

const NOTHING: Node = { member: false, below: undefined };
const LEAF: Node = { member: true, below: undefined };

/** emit writes one node into its level: {} for a member alone, "." first for a member with paths below. */
function emit(out: JsonMap, key: string, member: boolean, below: JsonMap | undefined): boolean {
  if (below) {
    out[key] = member ? { '.': {}, ...below } : below;
    return true;
  }
  if (member) {
    out[key] = {};
    return true;
  }
  return false;
}

/** stripMembers drops the membership of fields whose own path is never owned, keeping what lies below them. */
function stripMembers(level: JsonMap, names: ReadonlySet<string>): JsonMap | undefined {
  let out: JsonMap | undefined;
  let any = false;
  for (const key of Object.keys(level)) {
    const name = key.slice(2);
    if (!names.has(name)) continue;
    out ??= { ...level };
    const value = out[key] as JsonMap;
    if (Object.prototype.hasOwnProperty.call(value, '.')) {
      const rest: JsonMap = {};
      for (const k of Object.keys(value)) if (k !== '.') rest[k] = value[k];
      out[key] = rest;
    } else if (Object.keys(value).length === 0) {
      delete out[key];
    }
  }
  if (!out) return level;
  for (const _ in out) any = true;
  return any ? out : undefined;
}

/**
 * heldNode is a field of a built-in type held by value (compared against {} or null rather than
 * absence): a struct owns only what it holds, a list only its items, and an atomic or empty one
 * counts as modified.
 */
function heldNode(value: unknown, field: PatchField, path: PathElement[], options: FieldSetOptions): Node {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return NOTHING;
    if (isAtomicMap(field)) return LEAF;
    keys.sort(compareStrings);
    const out: JsonMap = {};
    let any = false;
    for (const key of keys) {
      const v = value[key];
      const child = field.schema.field(key);
      path.push(key);
      const held = (isPlainObject(v) || Array.isArray(v)) && builtinAlwaysPresent(field.schema.name, key);
      const node = held ? heldNode(v, child, path, options) : addedNode(v, child, path, options);
      path.pop();
      if (emit(out, `f:${key}`, node.member, node.below)) any = true;
    }
    return { member: false, below: any ? out : undefined };
  }
  if (Array.isArray(value)) {
    const shape = listShape(field.meta);
    if (shape.type === 'atomic' || value.length === 0) return LEAF;
    return { member: false, below: itemsBelow(value, field, path, options) };
  }
  return addedNode(value, field, path, options);
}

/** addedNode is a value that is new as a whole: it and every path below it. */
function addedNode(value: unknown, field: PatchField, path: PathElement[], options: FieldSetOptions): Node {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 || isAtomicMap(field)) return LEAF;
    keys.sort(compareStrings);
    const out: JsonMap = {};
    for (const key of keys) {
      path.push(key);
      const node = addedNode(value[key], field.schema.field(key), path, options);
      path.pop();
      emit(out, `f:${key}`, true, node.below);
    }
    return { member: true, below: out };
  }
  if (Array.isArray(value)) {
    const shape = listShape(field.meta);
    if (value.length === 0 || shape.type === 'atomic') return LEAF;
    return { member: true, below: itemsBelow(value, field, path, options) };
  }
  return LEAF;
}

/** itemsBelow writes the items of a non-empty set or map list, each new; a duplicated item is owned alone. */
function itemsBelow(list: unknown[], field: PatchField, path: PathElement[], options: FieldSetOptions): JsonMap {
  const shape = listShape(field.meta);
  const items = new Map<string, { pe: PathElement; value: unknown; n: number }>();
  for (let i = 0; i < list.length; i++) {
    const pe = itemElement(list[i], shape, path, i, options);
    const key = serializePathElement(pe);
    const seen = items.get(key);
    if (seen) seen.n++;
    else items.set(key, { pe, value: list[i], n: 1 });
  }
  const sorted = [...items.entries()];
  if (sorted.length > 1) sorted.sort((a, b) => compareElements(a[1].pe, b[1].pe));
  const item = itemField(field);
  const out: JsonMap = {};
  for (const [key, c] of sorted) {
    let below: JsonMap | undefined;
    if (c.n === 1) {
      path.push(c.pe);
      below = addedNode(c.value, item, path, options).below;
      path.pop();
    }
    emit(out, key, true, below);
  }
  return out;
}
