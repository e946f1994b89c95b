/**
 * Strategic merge patch (application/strategic-merge-patch+json), applied server side the way
 * kube-apiserver applies it (apimachinery strategicpatch, StrategicMergeMapPatch):
 *
 * - maps merge recursively; null deletes a key;
 * - a list whose field has patchStrategy merge is merged: lists of objects by patchMergeKey
 *   (matching items merged, new items added), lists of scalars as a set union; any other list is
 *   replaced by the patch's;
 * - directives: `$patch: replace|delete` on a map or list item, `$retainKeys`,
 *   `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`;
 * - merged lists are ordered as kube orders them: the patch's items in patch order (or in
 *   `$setElementOrder` order), with the items only the server has slotted in by their original
 *   positions. So a new item of a plain merge patch comes first, before the existing items.
 *
 * Where kube hands a fragment to its typed decoder unexamined, the result here holds what that
 * decoder keeps: no nulls and no leftover directive keys. One deliberate difference: kube drops
 * a map carrying `$patch: replace` when the field is absent from the object; here the map is set.
 */
import type { FieldPatchMeta, PatchSchema } from '../../schemas/patch-metadata';
import { cloneJson, isPlainObject, type JsonMap } from '../../schemas/meta/json';
import { PatchError } from './patch-error';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/** has is an own-property test that ignores inherited names like "constructor". */
function has(map: JsonMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key);
}

// ---- error texts, worded as apimachinery's mergepatch and strategicpatch errors ----

/** goFormat renders a value as Go's %v prints decoded JSON: map[a:1 b:x], [1 2], <nil>. */
function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isPlainObject(value)) {
    return `map[${Object.keys(value).sort().map((k) => `${k}:${goFormat(value[k])}`).join(' ')}]`;
  }
  return String(value);
}

/** goType names the Go type that decoded JSON has: map[string]interface {}, []interface {}, ... */
function goType(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

/** badRequest is a malformed patch: kube answers 400 (or 500 where it did not classify the error). */
function badRequest(message: string): PatchError {
  return new PatchError(message, 400);
}

/** errBadArgType is a value of the wrong JSON type where a map or list was expected. */
function errBadArgType(expected: 'map' | 'list', actual: unknown): PatchError {
  return badRequest(`expected a ${expected === 'map' ? 'map[string]interface {}' : '[]interface {}'}, but received a ${goType(actual)}`);
}

/** errNoMergeKey is a list item without the field that identifies it. */
function errNoMergeKey(item: unknown, mergeKey: string): PatchError {
  return badRequest(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
}

// The directive format errors that kube-apiserver answers with 400.
const errBadPrimitiveList = (): PatchError => badRequest('invalid patch format of primitive list');
const errBadRetainKeys = (): PatchError => badRequest('invalid patch format of retainKeys');
const errBadSetElementOrder = (): PatchError => badRequest('invalid patch format of setElementOrder list');

// ---- patch metadata ----

/**
 * mergeStrategy is the part of a field's patchStrategy that decides merge or replace
 * ('merge,retainKeys' -> 'merge'): retainKeys acts only through the `$retainKeys` directive
 * that clients send.
 */
function mergeStrategy(meta: FieldPatchMeta | undefined): string {
  const strategies = (meta?.patchStrategy ?? '').split(',');
  if (strategies.length === 1) return strategies[0] === 'retainKeys' ? '' : strategies[0];
  if (strategies.length === 2) {
    if (strategies[0] === 'retainKeys') return strategies[1];
    if (strategies[1] === 'retainKeys') return strategies[0];
  }
  throw badRequest(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

// ---- fragments with nothing to merge into ----

/** isDirectiveKey tells the directive keys that never reach a stored object. */
function isDirectiveKey(key: string): boolean {
  return key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST);
}

/**
 * materialize returns what a patch fragment amounts to where the object has nothing to merge it
 * with, or undefined when it amounts to nothing: nulls and directive keys go, a map marked
 * `$patch: delete` (or any `$patch` but replace) goes, and so does every list item carrying
 * `$patch` (in a list such items are directives, never data).
 */
function materialize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      if (isPlainObject(item) && has(item, DIRECTIVE)) continue;
      const kept = materialize(item);
      if (kept !== undefined) out.push(kept);
    }
    return out;
  }
  if (isPlainObject(value)) {
    if (has(value, DIRECTIVE) && value[DIRECTIVE] !== 'replace') return undefined;
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || isDirectiveKey(k)) continue;
      const kept = materialize(v);
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  }
  return value;
}

// ---- maps ----

/**
 * mergeMap merges patch into original (both private copies, changed in place) and returns the
 * result, which is original unless a `$patch` directive replaces or empties the map.
 */
function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchSchema): JsonMap {
  if (has(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') return materialize(patch) as JsonMap;
    if (directive === 'delete') return {};
    throw badRequest(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  // Deletions from primitive lists go first, as in the key order kubectl sends.
  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
  ];
  for (const patchKey of ordered) {
    const patchValue = patch[patchKey];
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = isDeleteList ? directiveTarget(patchKey, DELETE_FROM_PRIMITIVE_LIST, errBadPrimitiveList) : patchKey;

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const originalValue = has(original, key) ? original[key] : undefined;
    if (originalValue === undefined || kindOf(originalValue) !== kindOf(patchValue)) {
      // Nothing to merge with: a deletion list has nothing to delete, anything else is taken over.
      if (!isDeleteList) setMaterialized(original, key, patchValue);
      continue;
    }
    if (isPlainObject(originalValue) && isPlainObject(patchValue)) {
      const field = schema.field(key);
      if (mergeStrategy(field.meta) === 'replace') setMaterialized(original, key, patchValue);
      else original[key] = mergeMap(originalValue, patchValue, field.schema);
    } else if (Array.isArray(originalValue) && Array.isArray(patchValue)) {
      original[key] = mergeListField(originalValue, patchValue, schema, key, isDeleteList);
    } else {
      original[key] = patchValue;
    }
  }
  return original;
}

/** setMaterialized sets key to the materialized patch value, or removes it when that is nothing. */
function setMaterialized(target: JsonMap, key: string, patchValue: unknown): void {
  const value = materialize(patchValue);
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/** kindOf groups JSON values the way the merge compares them: map, list, null or a scalar type. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'map' : typeof value;
}

/** directiveTarget returns the field a `$prefix/<field>` key names, or throws badFormat. */
function directiveTarget(key: string, prefix: string, badFormat: () => PatchError): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw badFormat();
  return key.slice(slash + 1);
}

/**
 * applyRetainKeys honours `$retainKeys`: every key of original not in the list is cleared, and
 * every key the patch sets must be in the list.
 */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw errBadRetainKeys();
  const retained = new Set<unknown>(list);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(key)) throw errBadRetainKeys();
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

// ---- lists ----

/** mergeListField merges or replaces one list field according to its patch strategy. */
function mergeListField(original: unknown[], patch: unknown[], schema: PatchSchema, key: string, isDeleteList: boolean): unknown[] {
  const field = schema.field(key);
  // A deletion list deletes whatever the field's strategy.
  if (mergeStrategy(field.meta) === 'merge' || isDeleteList) {
    return mergeList(original, patch, field.schema, field.meta?.patchMergeKey ?? '', isDeleteList);
  }
  return materialize(patch) as unknown[];
}

/** ItemKind is what a list holds: objects or one type of scalar. */
type ItemKind = 'map' | 'scalar';

/** itemKind checks that all lists hold one kind of item; undefined when they are all empty. */
function itemKind(...lists: unknown[][]): ItemKind | undefined {
  let first: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const kind = kindOf(item);
      if (first === undefined) {
        if (kind === 'list') throw new PatchError('lists of lists are not supported', 422);
        first = kind;
      } else if (kind !== first) {
        throw badRequest(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (first === undefined) return undefined;
  return first === 'map' ? 'map' : 'scalar';
}

/**
 * mergeList merges a patch list into a merge-strategy list: scalars as a set, objects by
 * mergeKey after `$patch` items are applied; then orders the result as kube does.
 */
function mergeList(original: unknown[], patch: unknown[], schema: PatchSchema, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = itemKind(original, patch)!;
  let merged: unknown[];
  if (kind === 'scalar') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = [...new Set([...original, ...patch])];
  } else {
    if (mergeKey === '') throw badRequest(`cannot merge lists without merge key for ${schema.name}`);
    [original, patch] = applyItemDirectives(original, patch as JsonMap[], mergeKey);
    merged = mergeByKey(original, patch as JsonMap[], mergeKey, schema);
  }
  const [fromPatch, serverOnly] = partition(merged, patch, mergeKey);
  return orderItems(fromPatch, serverOnly, patch, original, mergeKey, kind);
}

/**
 * applyItemDirectives applies the `$patch` items of a patch list to the original: delete drops
 * every original item with that key, replace makes the patch's other items the whole list.
 * Returns the original and patch items left to merge.
 */
function applyItemDirectives(original: unknown[], patch: JsonMap[], mergeKey: string): [unknown[], JsonMap[]] {
  const plain: JsonMap[] = [];
  let replace = false;
  for (const item of patch) {
    if (!has(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      original = original.filter((o, i) => !sameKey(requireMap(o, i), item, mergeKey));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw badRequest(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  return replace ? [materialize(plain) as unknown[], []] : [original, plain];
}

/** requireMap checks that item i of a list of objects is an object. */
function requireMap(item: unknown, index: number): JsonMap {
  if (!isPlainObject(item)) throw badRequest(`value for key ${index} is not a map`);
  return item;
}

/** sameKey tells whether two items have the same merge key value (both must have one). */
function sameKey(a: JsonMap, b: JsonMap, mergeKey: string): boolean {
  return has(a, mergeKey) && has(b, mergeKey) && a[mergeKey] === b[mergeKey];
}

/** mergeByKey merges each patch item into the original item with its key, or adds it. */
function mergeByKey(original: unknown[], patch: JsonMap[], mergeKey: string, schema: PatchSchema): unknown[] {
  const out = [...original];
  for (const item of patch) {
    if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const index = out.findIndex((o, i) => sameKey(requireMap(o, i), item, mergeKey));
    if (index >= 0) out[index] = mergeMap(out[index] as JsonMap, item, schema);
    else out.push(materialize(item));
  }
  return out;
}

/** itemIdentity is what identifies a list item: its merge key value, or the scalar itself. */
function itemIdentity(item: unknown, mergeKey: string): unknown {
  return mergeKey !== '' && isPlainObject(item) ? item[mergeKey] : item;
}

/** partition splits items into those present in by (by identity) and the server-only rest. */
function partition(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  if (mergeKey !== '') {
    for (const item of items) {
      if (!isPlainObject(item)) throw errBadArgType('map', item);
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
  const present = new Set(by.map((v) => itemIdentity(v, mergeKey)));
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of items) (present.has(itemIdentity(item, mergeKey)) ? inBy : rest).push(item);
  return [inBy, rest];
}

/** indexIn finds an item's position in list by identity, or -1. */
function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: ItemKind): number {
  const key = kind === 'map' ? itemIdentity(item, mergeKey) : item;
  return list.findIndex((v) => (kind === 'map' ? (isPlainObject(v) ? v[mergeKey] : undefined) : v) === key);
}

/** sortByOrder stably sorts items by their position in order; `$patch: delete` items go last. */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: ItemKind): unknown[] {
  let deletions: unknown[] = [];
  if (kind === 'map') {
    for (const item of [...items, ...order]) {
      if (!isPlainObject(item)) throw errBadArgType('map', item);
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
    deletions = items.filter((v) => (v as JsonMap)[DIRECTIVE] === 'delete');
    items = items.filter((v) => (v as JsonMap)[DIRECTIVE] !== 'delete');
  }
  const position = new Map(items.map((v) => [v, indexIn(order, v, mergeKey, kind)]));
  const sorted = [...items].sort((a, b) => {
    const pa = position.get(a)!;
    const pb = position.get(b)!;
    return pa >= 0 && pb >= 0 ? pa - pb : 0;
  });
  return [...sorted, ...deletions];
}

/**
 * orderItems puts the merged list in kube's order: patch items sorted by patchOrder,
 * server-only items sorted by serverOrder, then the server-only items slotted in before the
 * first patch item that comes after them in serverOrder. Patch items the server never had sort
 * before any server-only item, which is why a plain merge patch puts new items first.
 */
function orderItems(fromPatch: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: ItemKind): unknown[] {
  const right = sortByOrder(fromPatch, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

// ---- $setElementOrder ----

/**
 * applySetElementOrder handles every `$setElementOrder/<field>` of patch: it merges the field's
 * patch list (if any) into the original list, then orders the result by the directive, with
 * server-only items slotted in by their original positions. Both the directive and the patch
 * list are removed from patch, so the main merge does not see them again.
 */
function applySetElementOrder(original: JsonMap, patch: JsonMap, schema: PatchSchema): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw errBadArgType('list', order);
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER, errBadSetElementOrder);

    const originalList = has(original, key) ? original[key] : undefined;
    const patchList = has(patch, key) ? patch[key] : undefined;
    if (originalList !== undefined && !Array.isArray(originalList)) throw errBadArgType('list', originalList);
    if (patchList !== undefined && !Array.isArray(patchList)) throw errBadArgType('list', patchList);
    if (originalList === undefined && patchList === undefined) continue;

    const field = schema.field(key);
    mergeStrategy(field.meta); // a malformed strategy fails here even when nothing is merged
    const mergeKey = field.meta?.patchMergeKey ?? '';
    checkOrderMatchesPatch(patchList ?? [], order, mergeKey);

    let merged: unknown[];
    if (patchList === undefined) merged = originalList!;
    else if (originalList === undefined) merged = materialize(patchList) as unknown[];
    else merged = mergeListField(originalList, patchList, schema, key, false);

    const kind = itemKind(originalList ?? [], patchList ?? []);
    if (kind !== undefined) {
      const [inOrder, serverOnly] = partition(merged, order, mergeKey);
      merged = orderItems(inOrder, serverOnly, order, originalList ?? [], mergeKey, kind);
    }
    original[key] = merged;
    delete patch[key];
  }
}

/**
 * checkOrderMatchesPatch verifies that the patch list's items (deletions aside) appear in the
 * `$setElementOrder` list, in the same relative order.
 */
function checkOrderMatchesPatch(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey !== '') {
    for (const item of items) if (!isPlainObject(item)) throw errBadArgType('map', item);
    items = items.filter((item) => (item as JsonMap)[DIRECTIVE] !== 'delete');
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isPlainObject(items[p]) && has(items[p] as JsonMap, DIRECTIVE)) {
      p++;
      continue;
    }
    if (orderEntryMatches(items[p], order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw badRequest(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}

/** orderEntryMatches compares a patch item with a `$setElementOrder` entry. */
function orderEntryMatches(item: unknown, entry: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return item === entry;
  if (!isPlainObject(item)) throw errBadArgType('map', item);
  if (!isPlainObject(entry)) throw errBadArgType('map', entry);
  if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
  if (!has(entry, mergeKey)) throw errNoMergeKey(entry, mergeKey);
  return item[mergeKey] === entry[mergeKey];
}

// ---- entry point ----

/**
 * strategicMergePatch applies a strategic merge patch to original, walking schema for each
 * field's patch strategy and merge key, and returns the patched object. Neither input is
 * changed. A malformed patch throws PatchError: 400 for bad directives, missing merge keys and
 * mismatched list items, 422 for lists of lists.
 */
export function strategicMergePatch(original: object, patch: object, schema: PatchSchema): Record<string, unknown> {
  if (!isPlainObject(original)) throw badRequest('invalid JSON document');
  if (!isPlainObject(patch)) throw errBadArgType('map', patch);
  return mergeMap(cloneJson(original) as JsonMap, cloneJson(patch) as JsonMap, schema);
}
