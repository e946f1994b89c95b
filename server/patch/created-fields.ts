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
    // A reset field is walked all the same, into nothing: an item there that cannot be
    // identified fails the comparison, and the caller then keeps what the object had, as the
    // general path does.
    const into = options.reset.has(key) ? {} : out;
    const strip = key === 'metadata' ? options.strippedMetadata : undefined;
    path.push(key);
    const written = builtinAlwaysPresent(schema.name, key)
      ? writeHeld(into, `f:${key}`, obj[key], schema.field(key), path, options, !options.strippedRoot.has(key), strip)
      : writeAdded(into, `f:${key}`, obj[key], schema.field(key), path, options, !options.strippedRoot.has(key), strip);
    path.pop();
    if (written && into === out) any = true;
  }
  return any ? out : undefined;
}

/** hasBelow tells whether a new value owns paths below its own: a granular non-empty map, a non-empty set or map list. */
function hasBelow(value: unknown, field: PatchField): boolean {
  if (isPlainObject(value)) return !isAtomicMap(field) && !isEmpty(value);
  if (Array.isArray(value)) return value.length > 0 && listShape(field.meta).type !== 'atomic';
  return false;
}

function isEmpty(map: JsonMap): boolean {
  for (const key in map) if (Object.prototype.hasOwnProperty.call(map, key)) return false;
  return true;
}

/**
 * writeAdded writes out[key] for a value that is new as a whole: it (unless member is false,
 * for a system field) and every path below it, "." first where it has both. strip names the
 * fields right below whose own paths are never owned. It answers whether it wrote anything.
 */
function writeAdded(out: JsonMap, key: string, value: unknown, field: PatchField, path: PathElement[], options: FieldSetOptions, member: boolean, strip?: ReadonlySet<string>): boolean {
  if (!hasBelow(value, field)) {
    if (member) out[key] = {};
    return member;
  }
  const level: JsonMap = member ? { '.': {} } : {};
  let any = member;
  if (Array.isArray(value)) {
    writeItems(level, value, field, path, options);
    any = true;
  } else {
    const map = value as JsonMap;
    const keys = Object.keys(map);
    keys.sort(compareStrings);
    for (const k of keys) {
      path.push(k);
      if (writeAdded(level, `f:${k}`, map[k], field.schema.field(k), path, options, !strip?.has(k))) any = true;
      path.pop();
    }
  }
  if (any) out[key] = level;
  return any;
}

/**
 * writeHeld writes out[key] for a field of a built-in type held by value (compared against {}
 * or null rather than absence): a struct owns only what it holds, a list only its items, and an
 * atomic one or an empty list counts as modified, owning its own path.
 */
function writeHeld(out: JsonMap, key: string, value: unknown, field: PatchField, path: PathElement[], options: FieldSetOptions, member: boolean, strip?: ReadonlySet<string>): boolean {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return false;
    if (isAtomicMap(field)) {
      if (member) out[key] = {};
      return member;
    }
    keys.sort(compareStrings);
    const level: JsonMap = {};
    let any = false;
    for (const k of keys) {
      const v = value[k];
      const child = field.schema.field(k);
      const own = !strip?.has(k);
      path.push(k);
      const written = (isPlainObject(v) || Array.isArray(v)) && builtinAlwaysPresent(field.schema.name, k)
        ? writeHeld(level, `f:${k}`, v, child, path, options, own)
        : writeAdded(level, `f:${k}`, v, child, path, options, own);
      path.pop();
      if (written) any = true;
    }
    if (any) out[key] = level;
    return any;
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || listShape(field.meta).type === 'atomic') {
      if (member) out[key] = {};
      return member;
    }
    const level: JsonMap = {};
    writeItems(level, value, field, path, options);
    out[key] = level;
    return true;
  }
  return writeAdded(out, key, value, field, path, options, member);
}

/** writeItems writes the items of a non-empty set or map list, each new; a duplicated item is owned alone. */
function writeItems(out: JsonMap, list: unknown[], field: PatchField, path: PathElement[], options: FieldSetOptions): void {
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
  for (const [key, c] of sorted) {
    if (c.n === 1) {
      path.push(c.pe);
      writeAdded(out, key, c.value, item, path, options, true);
      path.pop();
    } else {
      out[key] = {};
    }
  }
}
