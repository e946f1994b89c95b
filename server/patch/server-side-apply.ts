/**
 * Server-side apply (application/apply-patch+yaml), the way kube-apiserver runs it through
 * structured-merge-diff and its field manager:
 *
 * 1. the applied configuration is merged into the live object: maps and structs field by field,
 *    lists of type map item by key and sets value by value (in structured-merge-diff's order),
 *    atomic lists, atomic maps and scalars replaced;
 * 2. the applier now owns exactly the fields of its configuration; fields it applied last time
 *    and no longer applies are removed from the object unless another manager owns them;
 * 3. every field whose value the apply adds or changes and that another manager owns is a
 *    conflict: a 409 with one cause per field and manager, unless force, which takes them over;
 * 4. for the manager "kubectl", conflicts with fields that still hold the value of the
 *    client-side last-applied-configuration are forced (the upgrade from client-side apply),
 *    and that annotation is kept in step with the applied configuration.
 *
 * An object whose managedFields are empty gets a "before-first-apply" Update entry for what it
 * held, so the first apply conflicts with pre-existing values instead of silently taking them.
 */
import { rfc3339 } from '../../schemas/meta/time';
import { isPlainObject } from '../../schemas/meta/json';
import type { PatchField, PatchSchema } from '../../schemas/patch-metadata';
import type { KubeObject } from '../../schemas/types';
import { StatusError, badRequest, internalError } from '../../schemas/meta/status-error';
import {
  FieldSet,
  FieldSetError,
  deepEqual,
  elementString,
  goJSON,
  goQuote,
  isAtomicMap,
  itemElement,
  itemField,
  listShape,
  pathString,
  serializePathElement,
  setField,
  type FieldPath,
  type FieldSetOptions,
  type ListShape,
  type PathElement,
} from './field-set';
import { compareObjects } from './field-compare';
import { runSteps, type Steps } from './steps';
import {
  BEFORE_FIRST_APPLY,
  ManagedFieldsError,
  STRIPPED_FIELDS,
  decodeManagedFields,
  encodeManagedFields,
  excludeFields,
  managerIdentifier,
  setManagedFields,
  updateManagedFieldsSteps,
  withoutManagedFields,
  type ManagedFields,
  type ManagedFieldsEntry,
  type ManagedFieldsOperation,
  type ManagerSet,
} from './managed-fields';

type JsonMap = Record<string, unknown>;

/** LAST_APPLIED_ANNOTATION holds kubectl's client-side apply configuration. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** TOTAL_ANNOTATION_SIZE_LIMIT is the byte budget of all annotations of an object. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** ApplyConflict is one field owned by another manager that an apply would change. */
export interface ApplyConflict {
  /** owner is the conflicting entry: manager, operation, apiVersion and subresource. */
  readonly owner: Pick<ManagerSet, 'manager' | 'operation' | 'apiVersion' | 'subresource'>;
  readonly path: FieldPath;
}

/** printManager names an owner as kube's conflict messages do: "kubectl" with subresource "scale" using apps/v1. */
function printManager(owner: ApplyConflict['owner']): string {
  let out = goQuote(owner.manager);
  if (owner.subresource) out += ` with subresource ${goQuote(owner.subresource)}`;
  if (owner.operation === 'Update') out += ` using ${owner.apiVersion}`;
  return out;
}

/** ownerId is the identifier an owner's conflicts are grouped and sorted by. */
function ownerId(owner: ApplyConflict['owner']): string {
  return managerIdentifier(owner);
}

/** conflictMessage is kube's Status message for apply conflicts. */
function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].owner)}: ${pathString(conflicts[0].path)}`;
  }
  const groups = new Map<string, ApplyConflict[]>();
  for (const c of conflicts) {
    const id = ownerId(c.owner);
    groups.set(id, [...(groups.get(id) ?? []), c]);
  }
  const lines: string[] = [];
  for (const id of [...groups.keys()].sort()) {
    const group = groups.get(id)!;
    lines.push(`conflicts with ${printManager(group[0].owner)}:`);
    for (const c of group) lines.push(`- ${pathString(c.path)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * ApplyConflictError is the 409 Conflict of an apply that would change fields other managers
 * own: message `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using
 * apps/v1: .spec.replicas`, one cause {reason: FieldManagerConflict, message: 'conflict with
 * "<manager>" using <apiVersion>', field: '.spec.replicas'} per field and manager, no name or kind.
 */
export class ApplyConflictError extends StatusError {
  /** conflicts are sorted by owner, then by field. */
  readonly conflicts: readonly ApplyConflict[];

  constructor(conflicts: readonly ApplyConflict[]) {
    super(409, 'Conflict', conflictMessage(conflicts), {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.owner)}`, field: pathString(c.path) })),
    });
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

/** ApplyOptions describe the endpoint an apply arrives at. */
export interface ApplyOptions extends FieldSetOptions {
  /** apiVersion of the endpoint (group/version); defaults to the applied object's. */
  apiVersion?: string;
  /** kind of the endpoint; when set with apiVersion, an applied object of another type is a 400. */
  kind?: string;
  /** subresource applied to ('status'), recorded in the entry. */
  subresource?: string;
  /** resetFields are left out of every manager's set (see managed-fields defaultResetFields). */
  resetFields?: FieldSet;
}

/** ApplyResult is the merged object, ready for the write path, and its new managedFields. */
export interface ApplyResult {
  /** object is the merged object; metadata.managedFields holds managedFields (absent when empty). */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
  /** changed is false when the object (managedFields aside) is what was live. */
  changed: boolean;
}

/** gvkString spells a type as Go's GroupVersionKind.String: apps/v1, Kind=Deployment or /v1, Kind=Pod. */
function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const gv = av.includes('/') ? av : `/${av}`;
  return `${gv}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/**
 * apply merges the applied configuration into live (undefined creates) for manager and answers
 * the object to store with its managedFields. managedFields are the live object's (pass
 * live.metadata.managedFields, or undefined for the same). It throws ApplyConflictError (409)
 * on conflicts without force, and StatusError 400 for an applied object of the wrong type, one
 * carrying metadata.managedFields, or one that does not fit the schema (a list item without its
 * key, a duplicate key).
 */
export function apply(...args: Parameters<typeof applySteps>): ApplyResult {
  return runSteps(applySteps(...args));
}

/** applySteps is apply pausing between its phases: decoding, copying, typing, merging, comparing, encoding (see steps.ts). */
export function* applySteps(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  schema: PatchSchema,
  managedFields: unknown,
  now: Date,
  options: ApplyOptions = {},
): Steps<ApplyResult> {
  if (options.kind !== undefined && options.apiVersion !== undefined && (applied.apiVersion !== options.apiVersion || applied.kind !== options.kind)) {
    throw badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  if (options.kind === undefined && options.apiVersion !== undefined && applied.apiVersion !== options.apiVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion ?? ''}, expected: ${options.apiVersion}`);
  }
  const requested = applied.metadata?.managedFields;
  if (requested !== undefined && requested !== null) throw badRequest('metadata.managedFields must be nil');

  let managed: ManagedFields;
  try {
    managed = decodeManagedFields(managedFields ?? live?.metadata?.managedFields);
  } catch (err) {
    if (err instanceof ManagedFieldsError) throw internalError(`failed to decode managed fields: ${err.message}`);
    throw err;
  }
  const ctx: ApplyContext = {
    schema,
    now,
    options,
    apiVersion: options.apiVersion ?? (typeof applied.apiVersion === 'string' ? applied.apiVersion : ''),
    manager: manager || 'unknown',
  };
  yield;
  const liveCopy = live === undefined ? undefined : structuredClone(live);
  const config = structuredClone(applied);
  yield;

  let result: { object: JsonMap; managed: ManagedFields; changed: boolean };
  try {
    result = yield* attempt(structuredApply(liveCopy, config, managed, force, ctx));
  } catch (err) {
    // kubectl --server-side upgrading an object it used to apply client-side: conflicts on
    // fields that still hold their last-applied value are its own, so they are forced.
    if (!(err instanceof ApplyConflictError) || ctx.manager !== 'kubectl' || !liveCopy) throw err;
    const allowed = allowedConflictsFromLastApplied(liveCopy, ctx);
    if (!allowed) throw err;
    const remaining = err.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw new ApplyConflictError(remaining);
    result = yield* attempt(structuredApply(liveCopy, config, managed, true, ctx));
  }
  yield;

  const object = result.object as KubeObject;
  if (ctx.manager === 'kubectl' && lastApplied(object) !== undefined) setLastApplied(object, buildLastApplied(applied));
  const entries = encodeManagedFields(result.managed);
  setManagedFields(object, entries);
  return { object, managedFields: entries, changed: result.changed };
}

/**
 * attempt runs one apply; the configuration was checked against the schema first, so a schema
 * error left is the live object's, which kube reports as an internal error.
 */
function* attempt<T>(steps: Steps<T>): Steps<T> {
  try {
    return yield* steps;
  } catch (err) {
    if (err instanceof FieldSetError) throw internalError(`failed to create typed live object: ${err.message}`);
    throw err;
  }
}

interface ApplyContext {
  schema: PatchSchema;
  now: Date;
  options: ApplyOptions;
  apiVersion: string;
  manager: string;
}

/** typedPatchError words a configuration that does not fit the schema as kube does, as a 400. */
function typedPatchError(config: KubeObject, err: FieldSetError): StatusError {
  const meta = config.metadata ?? {};
  return badRequest(`failed to create typed patch object (${meta.namespace ?? ''}/${meta.name ?? ''}; ${gvkString(config.apiVersion, config.kind)}): ${err.message}`);
}

/** structuredApply is one apply attempt (structured-merge-diff's Updater.Apply plus the field manager around it). */
function* structuredApply(live: KubeObject | undefined, config: KubeObject, managedIn: ManagedFields, force: boolean, ctx: ApplyContext): Steps<{ object: JsonMap; managed: ManagedFields; changed: boolean }> {
  const { schema, options } = ctx;
  let managed: ManagedFields = new Map(managedIn);
  if (managed.size === 0 && live !== undefined) {
    try {
      managed = yield* updateManagedFieldsSteps(managed, { manager: BEFORE_FIRST_APPLY, apiVersion: ctx.apiVersion, subresource: options.subresource }, undefined, live, schema, ctx.now, options);
    } catch (err) {
      if (err instanceof FieldSetError) throw internalError(`failed to create manager for existing fields: ${err.message}`);
      throw err;
    }
  }
  const liveObj: JsonMap = live === undefined ? {} : withoutManagedFields(live);

  let configSet: FieldSet;
  try {
    configSet = FieldSet.fromObject(config, schema, { ...options, rejectDuplicates: true });
  } catch (err) {
    if (err instanceof FieldSetError) throw typedPatchError(config, err);
    throw err;
  }
  yield;
  let merged = (mergeValues(liveObj, config, { schema }, [], options) as JsonMap | undefined) ?? {};
  if (options.resetFields) configSet = configSet.recursiveDifference(options.resetFields);

  const self: ManagerSet = { manager: ctx.manager, operation: 'Apply', apiVersion: ctx.apiVersion, set: configSet };
  if (options.subresource) self.subresource = options.subresource;
  const id = managerIdentifier(self);
  const previous = managed.get(id);
  if (previous?.time) self.time = previous.time;
  managed.set(id, self);

  if (previous && !previous.set.empty) merged = prune(merged, previous.set, managed, schema, options);
  yield;

  const cmp = excludeFields(compareObjects(liveObj, merged, schema, options), options.resetFields);
  const changedFields = cmp.modified.union(cmp.added);
  const conflicts: ApplyConflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [mid, m] of managed) {
    if (mid === id) continue;
    const clash = m.set.intersection(changedFields);
    if (clash.empty) continue;
    taken.set(mid, clash);
    for (const path of clash.paths()) conflicts.push({ owner: ownerOf(m), path });
  }
  if (!force && conflicts.length > 0) {
    conflicts.sort((a, b) => compareIds(ownerId(a.owner), ownerId(b.owner)));
    throw new ApplyConflictError(conflicts);
  }
  const out: ManagedFields = new Map();
  for (const [mid, m] of managed) {
    if (mid === id) {
      const own = m.set.difference(STRIPPED_FIELDS);
      if (!own.empty) out.set(mid, { ...m, set: own });
      continue;
    }
    const set = m.set.difference(taken.get(mid) ?? new FieldSet()).difference(cmp.removed);
    if (!set.empty) out.set(mid, { ...m, set });
  }
  yield;
  const object = dropNulls(merged) as JsonMap;
  const changed = !deepEqual(liveObj, object);
  const mine = out.get(id);
  if (changed && mine) mine.time = rfc3339(ctx.now);
  return { object, managed: out, changed };
}

/** ownerOf keeps the identifying part of an entry. */
function ownerOf(m: ManagerSet): ApplyConflict['owner'] {
  const owner: { manager: string; operation: ManagedFieldsOperation; apiVersion: string; subresource?: string } = {
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
  };
  if (m.subresource) owner.subresource = m.subresource;
  return owner;
}

/** compareIds sorts identifiers as Go sorts strings. */
function compareIds(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

// ---- merge -----------------------------------------------------------------------------------

/** isEmptyish is structured-merge-diff's "empty or null" container test. */
function isEmptyish(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

/** kindOf deduces whether a node is a map, a list or a scalar; null takes the other side's kind. */
function kindOf(l: unknown, r: unknown): 'map' | 'list' | 'scalar' | 'mismatch' {
  const k = (v: unknown) => (v === undefined || v === null ? undefined : isPlainObject(v) ? 'map' : Array.isArray(v) ? 'list' : 'scalar');
  const kl = k(l);
  const kr = k(r);
  if (kl && kr && kl !== kr) return 'mismatch';
  return kl ?? kr ?? 'scalar';
}

/**
 * mergeValues merges the applied value r into the live value l (structured-merge-diff's Merge
 * with "keep right"): r wins at leaves, maps and keyed lists merge. Absent is undefined.
 */
function mergeValues(l: unknown, r: unknown, field: PatchField, path: PathElement[], options: FieldSetOptions): unknown {
  if (r === undefined) return l;
  const kind = kindOf(l, r);
  if (kind === 'map') {
    if (isAtomicMap(field) || (isEmptyish(l) && isEmptyish(r))) return r;
    const lm = isPlainObject(l) ? l : {};
    const rm = isPlainObject(r) ? r : {};
    const out: JsonMap = {};
    for (const key of Object.keys(lm)) {
      const v = mergeValues(lm[key], Object.prototype.hasOwnProperty.call(rm, key) ? rm[key] : undefined, field.schema.field(key), [...path, key], options);
      if (v !== undefined) setField(out, key, v);
    }
    for (const key of Object.keys(rm)) {
      if (Object.prototype.hasOwnProperty.call(lm, key)) continue;
      const v = mergeValues(undefined, rm[key], field.schema.field(key), [...path, key], options);
      if (v !== undefined) setField(out, key, v);
    }
    return out;
  }
  if (kind === 'list') {
    const shape = listShape(field.meta);
    if (shape.type === 'atomic' || (isEmptyish(l) && isEmptyish(r))) return r;
    return mergeLists(Array.isArray(l) ? l : [], Array.isArray(r) ? r : [], field, shape, path, options);
  }
  return r;
}

/** DUPLICATE marks a live list item whose key appears more than once: it is not merged with the applied one. */
const DUPLICATE = Symbol('duplicate');

/**
 * mergeLists merges the items of a set or map list. The order is structured-merge-diff's: items
 * both lists hold follow the applied order, items only live holds keep their place among them,
 * and new items come where the applied list puts them.
 */
function mergeLists(ll: unknown[], rl: unknown[], field: PatchField, shape: ListShape, path: PathElement[], options: FieldSetOptions): unknown[] {
  const item = itemField(field);
  const lkeys: string[] = [];
  const lpes = new Map<string, PathElement>();
  const observedL = new Map<string, unknown>();
  ll.forEach((v, i) => {
    const pe = itemElement(v, shape, path, i, options);
    const k = serializePathElement(pe);
    observedL.set(k, observedL.has(k) ? DUPLICATE : v);
    lpes.set(k, pe);
    lkeys.push(k);
  });
  const rkeys: string[] = [];
  const observedR = new Map<string, unknown>();
  rl.forEach((v, i) => {
    const pe = itemElement(v, shape, path, i, options);
    const k = serializePathElement(pe);
    if (observedR.has(k)) throw new FieldSetError(`${pathString(path)}: duplicate entries for key ${elementString(pe)}`);
    observedR.set(k, v);
    lpes.set(k, pe);
    rkeys.push(k);
  });
  const liveItem = (k: string): unknown => {
    const v = observedL.get(k);
    return v === DUPLICATE ? undefined : v;
  };
  const merge = (k: string, l: unknown, r: unknown): unknown => mergeValues(l, r, item, [...path, lpes.get(k)!], options);

  const shared = rkeys.filter((k) => observedL.has(k));
  let nextShared = shared.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const push = (v: unknown): void => {
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < lkeys.length || ri < rkeys.length) {
    if (li < lkeys.length && ri < rkeys.length) {
      const lk = lkeys[li];
      if (lk === rkeys[ri]) {
        mergedR.add(lk);
        push(merge(lk, liveItem(lk), observedR.get(lk)));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (observedR.has(lk) && nextShared !== undefined && nextShared !== lk) {
        li++;
        continue;
      }
    }
    if (li < lkeys.length) {
      const lk = lkeys[li];
      if (!observedR.has(lk)) {
        push(merge(lk, ll[li], undefined));
        li++;
        continue;
      } else if (mergedR.has(lk)) {
        li++;
      }
    }
    if (ri < rkeys.length) {
      const rk = rkeys[ri];
      mergedR.add(rk);
      push(merge(rk, liveItem(rk), observedR.get(rk)));
      ri++;
      if (nextShared === rk) nextShared = shared.shift();
    }
  }
  return out;
}

// ---- prune -----------------------------------------------------------------------------------

/**
 * prune removes from merged the fields, list items and map keys that the applier owned in its
 * previous apply (lastSet) and that no manager owns now, its new configuration included.
 */
function prune(merged: JsonMap, lastSet: FieldSet, managed: ManagedFields, schema: PatchSchema, options: FieldSetOptions): JsonMap {
  let owned = new FieldSet();
  for (const m of managed.values()) owned = owned.union(m.set);
  const last = lastSet.ensureNamedFieldsAreMembers(schema);
  const ownedNamed = owned.ensureNamedFieldsAreMembers(schema);
  return (removeItems(merged, { schema }, last, ownedNamed, [], options) as JsonMap | undefined) ?? {};
}

/** removeItems walks value and drops each child in last that owned lacks; an emptied map or list is dropped too. */
function removeItems(value: unknown, field: PatchField, last: FieldSet, owned: FieldSet, path: PathElement[], options: FieldSetOptions): unknown {
  if (isPlainObject(value)) {
    if (isAtomicMap(field)) return value;
    const out: JsonMap = {};
    for (const [key, v] of Object.entries(value)) {
      if (last.has([key]) && !owned.has([key])) continue;
      const kept = last.hasChildrenUnder(key)
        ? removeItems(v, field.schema.field(key), last.withPrefix(key), owned.withPrefix(key), [...path, key], options)
        : v;
      if (kept !== undefined) setField(out, key, kept);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (Array.isArray(value)) {
    const shape = listShape(field.meta);
    if (shape.type === 'atomic') return value;
    const item = itemField(field);
    const out: unknown[] = [];
    value.forEach((v, i) => {
      const pe = itemElement(v, shape, path, i, options);
      if (last.has([pe]) && !owned.has([pe])) return;
      const kept = last.hasChildrenUnder(pe) ? removeItems(v, item, last.withPrefix(pe), owned.withPrefix(pe), [...path, pe], options) : v;
      if (kept !== undefined) out.push(kept);
    });
    return out.length > 0 ? out : undefined;
  }
  return value;
}

/** dropNulls removes null map values: a field applied as null is owned but not stored. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isPlainObject(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setField(out, k, dropNulls(v));
  return out;
}

// ---- client-side apply interplay -------------------------------------------------------------

/** lastApplied reads the last-applied-configuration annotation, if set and non-empty. */
function lastApplied(obj: KubeObject): string | undefined {
  const value = obj.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * allowedConflictsFromLastApplied lists the fields of the last-applied configuration whose live
 * value is still the applied one; undefined when there is no usable annotation.
 */
function allowedConflictsFromLastApplied(live: KubeObject, ctx: ApplyContext): FieldSet | undefined {
  const text = lastApplied(live);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || parsed.apiVersion !== ctx.apiVersion) return undefined;
  try {
    const set = FieldSet.fromObject(parsed, ctx.schema, ctx.options);
    const cmp = compareObjects(parsed, withoutManagedFields(live), ctx.schema, ctx.options);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch (err) {
    if (err instanceof FieldSetError) return undefined;
    throw err;
  }
}

/**
 * buildLastApplied encodes the applied configuration, without the annotation itself, as kube
 * writes the annotation: Go JSON with sorted keys and a trailing newline.
 */
function buildLastApplied(applied: KubeObject): string {
  const copy = structuredClone(applied);
  const annotations = copy.metadata?.annotations;
  if (annotations) delete annotations[LAST_APPLIED_ANNOTATION];
  return `${goJSON(copy)}\n`;
}

/** setLastApplied stores the annotation, or drops it when the annotations would exceed their size limit. */
function setLastApplied(obj: KubeObject, value: string): void {
  const meta = (obj.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  annotations[LAST_APPLIED_ANNOTATION] = value;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
}
