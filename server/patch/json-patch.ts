/**
 * JSON patch (RFC 6902, application/json-patch+json): a list of add, remove, replace, move, copy
 * and test operations addressed by JSON pointers (RFC 6901).
 *
 * Behaviour and error texts follow evanphx/json-patch v4, the library kube-apiserver 1.32 applies
 * JSON patches with, where it departs from the RFC:
 * - replace of a missing object member sets it (only a missing array index or parent fails);
 * - negative array indices count from the end;
 * - a path without a leading "/" addresses a member of the root;
 * - replace "" swaps the whole document only for an object or array value.
 * Every failure is a PatchError with code 422, except a malformed operation list (400).
 */
import { cloneJson, isPlainObject, jsonExtent, type JsonMap } from '../../schemas/meta/json';
import { PatchError } from './patch-error';

/** JsonPatchOperation is one operation as sent; fields are checked when it is applied. */
export interface JsonPatchOperation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
  [field: string]: unknown;
}

type Container = JsonMap | unknown[];

/** jsonEqual compares two parsed JSON values structurally. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

/** goJsonType names a JSON value the way Go's decoder does in "cannot unmarshal" errors. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

/** missing is the text evanphx/json-patch appends to errors about absent values. */
const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** opFailure is a 422 for an operation that does not apply. */
function opFailure(message: string): PatchError {
  return new PatchError(message, 422);
}

/** decodeToken unescapes one JSON pointer token: ~1 is "/", ~0 is "~". */
function decodeToken(token: string): string {
  return token.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** parseIndex reads an array index as Go's strconv.Atoi does, or throws its error text. */
function parseIndex(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new Error(`strconv.Atoi: parsing "${key}": invalid syntax`);
  const n = Number(key);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.Atoi: parsing "${key}": value out of range`);
  return n;
}

/** invalidIndex is the error for an index outside the array. */
function invalidIndex(idx: number): Error {
  return new Error(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
}

/** getMember reads key from a container; undefined when absent (arrays throw for bad indices). */
function getMember(container: Container, key: string): unknown {
  if (!Array.isArray(container)) return Object.prototype.hasOwnProperty.call(container, key) ? container[key] : undefined;
  let idx = parseIndex(key);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  if (idx >= container.length) throw invalidIndex(idx);
  return container[idx];
}

/** addMember inserts value at key ("-" appends to an array). */
function addMember(container: Container, key: string, value: unknown): void {
  if (!Array.isArray(container)) {
    container[key] = value;
    return;
  }
  if (key === '-') {
    container.push(value);
    return;
  }
  let idx: number;
  try {
    idx = parseIndex(key);
  } catch (err) {
    throw new Error(`value was not a proper array index: '${key}': ${(err as Error).message}`);
  }
  const size = container.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  container.splice(idx, 0, value);
}

/** setMember overwrites an existing array element or sets an object member. */
function setMember(container: Container, key: string, value: unknown): void {
  if (!Array.isArray(container)) {
    container[key] = value;
    return;
  }
  let idx = parseIndex(key);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  container[idx] = value;
}

/** removeMember deletes key, which must exist. */
function removeMember(container: Container, key: string): void {
  if (!Array.isArray(container)) {
    if (!Object.prototype.hasOwnProperty.call(container, key)) {
      throw new Error(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    }
    delete container[key];
    return;
  }
  let idx = parseIndex(key);
  if (idx >= container.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  container.splice(idx, 1);
}

/**
 * findParent resolves every token of path but the last, returning the container that holds the
 * target and the decoded last token, or undefined when a step is absent, null or a scalar.
 */
function findParent(doc: unknown, path: string): { container: Container; key: string } | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2 || (!Array.isArray(doc) && !isPlainObject(doc))) return undefined;
  let container: Container = doc;
  for (const token of tokens.slice(1, -1)) {
    let next: unknown;
    try {
      next = getMember(container, decodeToken(token));
    } catch {
      return undefined;
    }
    if (!Array.isArray(next) && !isPlainObject(next)) return undefined;
    container = next;
  }
  return { container, key: decodeToken(tokens[tokens.length - 1]) };
}

/** stringField reads op.path or op.from: absent or null is missingText, another type a decode error. */
function stringField(op: JsonPatchOperation, field: 'path' | 'from', missingText: string): string {
  const value = op[field];
  if (value === undefined || value === null) throw new Error(`${missingText}: ${MISSING}`);
  if (typeof value !== 'string') throw new Error(`json: cannot unmarshal ${goJsonType(value)} into Go value of type string`);
  return value;
}

const PATH_MISSING = 'operation missing path field';
const FROM_MISSING = 'operation, missing from field';

/** opValue is the operation's value; an absent value acts as null. */
function opValue(op: JsonPatchOperation): unknown {
  return op.value === undefined ? null : cloneJson(op.value);
}

/** Doc holds the document being patched, so that replace "" can swap it. */
interface Doc {
  root: unknown;
  /** bytes added by copy operations so far */
  copied: number;
}

/**
 * MAX_COPY_BYTES bounds what copy operations may add to a document, as kube-apiserver's
 * JSONPatchMaxCopyBytes (3 MiB, twice etcd's request limit) does: without it a few hundred bytes
 * of copies, each doubling the document, grow it without bound.
 */
export const MAX_COPY_BYTES = 3 * 1024 * 1024;

/**
 * MAX_RESULT_DEPTH bounds the nesting of a patched document; copying a subtree into itself
 * nests it deeper with every operation. It matches MAX_NESTING_DEPTH of request bodies.
 */
export const MAX_RESULT_DEPTH = 1000;

/** wrap runs a container step and prefixes its error text. */
function wrap<T>(prefix: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof PatchError) throw err;
    throw opFailure(`${prefix}: ${(err as Error).message}`);
  }
}

/** pathOf reads op.path; kind-specific failures are worded as evanphx/json-patch words them. */
function pathOf(op: JsonPatchOperation, onError: (err: Error) => string): string {
  try {
    return stringField(op, 'path', PATH_MISSING);
  } catch (err) {
    throw opFailure(onError(err as Error));
  }
}

/** fromOf reads op.from for move and copy. */
function fromOf(op: JsonPatchOperation, kind: string): string {
  try {
    return stringField(op, 'from', FROM_MISSING);
  } catch (err) {
    throw opFailure(`${kind} operation failed to decode from: ${(err as Error).message}`);
  }
}

/** applyAdd inserts or sets the value at path. */
function applyAdd(doc: Doc, op: JsonPatchOperation): void {
  const path = pathOf(op, () => `add operation failed to decode path: ${MISSING}`);
  const parent = findParent(doc.root, path);
  if (!parent) throw opFailure(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  wrap(`error in add for path: '${path}'`, () => addMember(parent.container, parent.key, opValue(op)));
}

/** applyRemove deletes the value at path. */
function applyRemove(doc: Doc, op: JsonPatchOperation): void {
  const path = pathOf(op, () => `remove operation failed to decode path: ${MISSING}`);
  const parent = findParent(doc.root, path);
  if (!parent) throw opFailure(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  wrap(`error in remove for path: '${path}'`, () => removeMember(parent.container, parent.key));
}

/** applyReplace overwrites the value at path ("" for the whole document). */
function applyReplace(doc: Doc, op: JsonPatchOperation): void {
  const path = pathOf(op, (err) => `replace operation failed to decode path: ${err.message}`);
  if (path === '') {
    const value = opValue(op);
    // evanphx/json-patch v4 silently ignores a scalar here; kept so that results match.
    if (Array.isArray(value) || isPlainObject(value)) doc.root = value;
    return;
  }
  const parent = findParent(doc.root, path);
  if (!parent) throw opFailure(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
  try {
    getMember(parent.container, parent.key);
  } catch {
    throw opFailure(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
  }
  // (sic) the library words a failed replace as a remove.
  wrap(`error in remove for path: '${path}'`, () => setMember(parent.container, parent.key, opValue(op)));
}

/** applyMove removes the value at from and adds it at path. */
function applyMove(doc: Doc, op: JsonPatchOperation): void {
  const from = fromOf(op, 'move');
  const source = findParent(doc.root, from);
  if (!source) throw opFailure(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const value = wrap(`error in move for path: '${source.key}'`, () => getMember(source.container, source.key));
  wrap(`error in move for path: '${source.key}'`, () => removeMember(source.container, source.key));
  const path = pathOf(op, (err) => `move operation failed to decode path: ${err.message}`);
  const target = findParent(doc.root, path);
  if (!target) throw opFailure(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  wrap(`error in move for path: '${path}'`, () => addMember(target.container, target.key, value === undefined ? null : value));
}

/** applyCopy adds a copy of the value at from at path. */
function applyCopy(doc: Doc, op: JsonPatchOperation): void {
  const from = fromOf(op, 'copy');
  const source = findParent(doc.root, from);
  if (!source) throw opFailure(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const value = wrap(`error in copy for from: '${from}'`, () => getMember(source.container, source.key));
  const path = pathOf(op, () => `copy operation failed to decode path: ${MISSING}`);
  const target = findParent(doc.root, path);
  if (!target) throw opFailure(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  // Measured before it is copied: at most the remaining budget is walked, nothing is allocated.
  const extent = jsonExtent(value === undefined ? null : value, MAX_COPY_BYTES - doc.copied);
  doc.copied += extent.bytes;
  if (extent.tooLarge) {
    throw new PatchError(`Unable to complete the copy, the accumulated size increase of copy is ${doc.copied}, exceeding the limit ${MAX_COPY_BYTES}`, 422);
  }
  const copy = value === undefined ? null : cloneJson(value);
  wrap('error while adding value during copy', () => addMember(target.container, target.key, copy));
}

/** applyTest fails unless the value at path equals op.value (an absent member equals null). */
function applyTest(doc: Doc, op: JsonPatchOperation): void {
  const path = pathOf(op, (err) => `test operation failed to decode path: ${err.message}`);
  const failed = (): PatchError => opFailure(`testing value ${path} failed: test failed`);
  if (path === '') {
    if (!jsonEqual(doc.root, op.value)) throw failed();
    return;
  }
  const parent = findParent(doc.root, path);
  if (!parent) throw opFailure(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
  const actual = wrap(`error in test for path: '${path}'`, () => getMember(parent.container, parent.key));
  if (actual === undefined || actual === null) {
    if (op.value === undefined || op.value === null) return;
    throw failed();
  }
  if (op.value === undefined || !jsonEqual(actual, op.value)) throw failed();
}

const OPERATIONS: Record<string, (doc: Doc, op: JsonPatchOperation) => void> = {
  add: applyAdd,
  remove: applyRemove,
  replace: applyReplace,
  move: applyMove,
  copy: applyCopy,
  test: applyTest,
};

/**
 * applyJsonPatch applies ops in order to a copy of doc and returns the result; doc is not
 * changed. The first operation that fails stops the patch with a PatchError (422); ops that are
 * not JSON objects are a 400, as kube-apiserver fails to decode such a patch.
 */
export function applyJsonPatch(doc: unknown, ops: readonly unknown[]): unknown {
  for (const op of ops) {
    if (!isPlainObject(op)) {
      throw new PatchError(`json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`, 400);
    }
  }
  const state: Doc = { root: cloneJson(doc), copied: 0 };
  for (const op of ops as JsonPatchOperation[]) {
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    const apply = Object.prototype.hasOwnProperty.call(OPERATIONS, kind) ? OPERATIONS[kind] : undefined;
    if (!apply) throw opFailure(`Unexpected kind: ${kind}`);
    apply(state, op);
  }
  if (jsonExtent(state.root, Infinity, MAX_RESULT_DEPTH).tooDeep) {
    throw new PatchError(`the patched object is nested deeper than ${MAX_RESULT_DEPTH} levels`, 422);
  }
  return state.root;
}
