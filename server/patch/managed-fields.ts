/**
 * metadata.managedFields: which manager owns which fields, recorded on every write the way
 * kube-apiserver's field manager records it (k8s.io/apimachinery managedfields/internal):
 *
 * - an Update operation (create, update, every non-apply patch) takes ownership of the fields
 *   it changed, compared by value, and removes them from every other manager; fields it removed
 *   leave every manager;
 * - entries are keyed by (manager, operation, subresource) and, for Update, apiVersion; an
 *   entry whose set becomes empty is dropped; the time of the writer's entry is bumped only
 *   when it changed something;
 * - apiVersion, kind and the system fields of metadata are never owned;
 * - an object whose managedFields are empty is only tracked from its creation or first apply;
 * - more than ten Update entries are folded, oldest first, into "ancient-changes".
 *
 * server-side-apply.ts builds the Apply operation on the same decoded form.
 */
import { rfc3339 } from '../../schemas/meta/time';
import { isPlainObject, type JsonMap } from '../../schemas/meta/json';
import type { PatchField, PatchSchema } from '../../schemas/patch-metadata';
import type { FieldError, KubeObject } from '../../schemas/types';
import {
  FieldSet,
  FieldSetError,
  FieldsV1Error,
  goJSON,
  goQuote,
  itemField,
  setField,
  type FieldSetOptions,
} from './field-set';
import { compareObjects, sameTree, shortcuts, type Comparison } from './field-compare';
import { createdFieldsV1, type CreatedFieldsOptions } from './created-fields';
import { runSteps, type Steps } from './steps';

/** ManagedFieldsOperation is how a manager wrote its fields. */
export type ManagedFieldsOperation = 'Apply' | 'Update';

/** ManagedFieldsEntry is one entry of metadata.managedFields, with its keys in kube's order. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: ManagedFieldsOperation;
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** ManagerSet is one decoded entry: who, how, and the set of fields owned. */
export interface ManagerSet {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  subresource?: string;
  /** time is the RFC 3339 time of the entry's last change, when known. */
  time?: string;
  set: FieldSet;
}

/** ManagedFields is the decoded managedFields, keyed by managerIdentifier. */
export type ManagedFields = Map<string, ManagerSet>;

/** ManagedFieldsError is a managedFields value that cannot be decoded. */
export class ManagedFieldsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManagedFieldsError';
  }
}

/** FIELD_MANAGER_MAX_LENGTH is the longest fieldManager kube accepts, in bytes. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** MAX_UPDATE_MANAGERS is how many Update entries kube keeps before folding the oldest. */
export const MAX_UPDATE_MANAGERS = 10;

/** ANCIENT_CHANGES is the manager that folded Update entries are merged into. */
export const ANCIENT_CHANGES = 'ancient-changes';

/** BEFORE_FIRST_APPLY owns what an untracked object held when it was first applied. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** STRIPPED_FIELDS are never owned: type meta and the metadata the server sets. */
export const STRIPPED_FIELDS: FieldSet = FieldSet.of(
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
);


/**
 * managerIdentifier is the key of an entry, the JSON kube builds from it: manager, operation,
 * apiVersion (Update only: an applier keeps one entry across versions) and subresource.
 */
export function managerIdentifier(e: { manager: string; operation: ManagedFieldsOperation; apiVersion?: string; subresource?: string }): string {
  const parts = [`"manager":${goJSON(e.manager)}`, `"operation":${goJSON(e.operation)}`];
  if (e.operation === 'Update' && e.apiVersion) parts.push(`"apiVersion":${goJSON(e.apiVersion)}`);
  if (e.subresource) parts.push(`"subresource":${goJSON(e.subresource)}`);
  return `{${parts.join(',')}}`;
}

/**
 * decodeManagedFields reads metadata.managedFields. It throws ManagedFieldsError for an
 * operation other than Apply or Update, an empty apiVersion, a fieldsType other than FieldsV1
 * or an undecodable fieldsV1. A later entry with the same identifier replaces an earlier one.
 */
export function decodeManagedFields(entries: unknown): ManagedFields {
  const out: ManagedFields = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  entries.forEach((raw, i) => {
    const e = (isPlainObject(raw) ? raw : {}) as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion === '') throw new ManagedFieldsError('apiVersion must not be empty');
    if (e.fieldsType === undefined || (e.fieldsType as string) === '') throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${goQuote(String(e.fieldsType))} in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = decodeFieldsV1(e.fieldsV1);
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(`error decoding set: ${err.message}`);
      throw err;
    }
    const manager = typeof e.manager === 'string' ? e.manager : '';
    const subresource = typeof e.subresource === 'string' && e.subresource !== '' ? e.subresource : undefined;
    const entry: ManagerSet = { manager, operation: e.operation, apiVersion: e.apiVersion, set };
    if (subresource) entry.subresource = subresource;
    if (typeof e.time === 'string' && e.time !== '') entry.time = e.time;
    out.set(managerIdentifier(entry), entry);
  });
  return out;
}

// Decoded fieldsV1 by their JSON text, most recently used last: an update decodes the entries
// of the object it read (and the same ones again in the request), and objects made from one
// template carry the same sets. Sets are never changed once built, so one serves every caller.
const DECODED = new Map<string, FieldSet>();
const DECODED_MAX_ENTRIES = 1000;
const DECODED_MAX_CHARS = 8 << 20;
// The largest managedFields text fits in an object of kube's 1.5 MiB limit.
const DECODED_MAX_TEXT = 2 << 20;
let decodedChars = 0;
// CANONICAL holds the text of decoded sets that encode back to exactly that text, so that an
// entry that did not change is written by parsing its text instead of encoding it again.
// Whether a set is canonical is learnt the first time it is encoded (a set decoded and then
// replaced, as the writer's own entry is, is never encoded): until then its text waits in
// DECODED_TEXT.
const CANONICAL = new WeakMap<FieldSet, string>();
const DECODED_TEXT = new WeakMap<FieldSet, string>();

/**
 * decodeFieldsV1 is FieldSet.fromFieldsV1 through the DECODED cache. Only a trie of plain
 * objects is looked up by its text: for one, the text says everything decoding reads.
 */
function decodeFieldsV1(fieldsV1: unknown): FieldSet {
  if (!shortcuts.enabled || !isPlainTrie(fieldsV1)) return FieldSet.fromFieldsV1(fieldsV1);
  const text = JSON.stringify(fieldsV1);
  const cached = DECODED.get(text);
  if (cached) {
    DECODED.delete(text);
    DECODED.set(text, cached);
    return cached;
  }
  const set = FieldSet.fromFieldsV1(fieldsV1);
  if (text.length > DECODED_MAX_TEXT) return set;
  DECODED_TEXT.set(set, text);
  DECODED.set(text, set);
  decodedChars += text.length;
  while (DECODED.size > DECODED_MAX_ENTRIES || decodedChars > DECODED_MAX_CHARS) {
    const oldest = DECODED.keys().next().value as string;
    DECODED.delete(oldest);
    decodedChars -= oldest.length;
  }
  return set;
}

/** isPlainTrie tells a value made only of objects with Object's prototype (what JSON.parse gives a FieldsV1). */
function isPlainTrie(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (!isPlainTrie((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** seconds is an entry's time in Unix seconds; no time counts as 0, as in kube's sort. */
function seconds(time: string | undefined): number {
  const ms = time ? Date.parse(time) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** compareText orders strings the way Go's < does on ASCII text. */
function compareText(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * encodeManagedFields writes the entries back in kube's order: Apply before Update, then by
 * time, manager, apiVersion and subresource. An empty result means "no managedFields".
 */
export function encodeManagedFields(managed: ManagedFields): ManagedFieldsEntry[] {
  const entries = [...managed.values()].filter((m) => !m.set.empty);
  entries.sort((p, q) =>
    compareText(p.operation, q.operation) ||
    seconds(p.time) - seconds(q.time) ||
    compareText(p.manager, q.manager) ||
    compareText(p.apiVersion, q.apiVersion) ||
    compareText(p.subresource ?? '', q.subresource ?? ''));
  return entries.map((m) => {
    const e: ManagedFieldsEntry = {};
    if (m.manager) e.manager = m.manager;
    e.operation = m.operation;
    e.apiVersion = m.apiVersion;
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = encodeSet(m.set);
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

/** encodeSet is set.toFieldsV1(), parsed from the set's text when that is known to be what it encodes to. */
function encodeSet(set: FieldSet): Record<string, unknown> {
  if (!shortcuts.enabled) return set.toFieldsV1();
  const text = CANONICAL.get(set);
  if (text !== undefined) return JSON.parse(text) as Record<string, unknown>;
  const encoded = set.toFieldsV1();
  const decodedFrom = DECODED_TEXT.get(set);
  if (decodedFrom !== undefined) {
    DECODED_TEXT.delete(set);
    if (JSON.stringify(encoded) === decodedFrom) CANONICAL.set(set, decodedFrom);
  }
  return encoded;
}

/**
 * setManagedFields stores entries in obj.metadata.managedFields, or removes the field when there
 * are none (kube then omits it).
 */
export function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[]): void {
  const meta = (obj.metadata ??= {});
  if (entries.length === 0) delete meta.managedFields;
  else meta.managedFields = entries as Array<Record<string, unknown>>;
}

/**
 * isResetManagedFields tells a request that asks to clear managedFields: an empty list, or a
 * list of one empty entry.
 */
function isResetManagedFields(requested: unknown): boolean {
  if (!Array.isArray(requested)) return false;
  if (requested.length === 0) return true;
  return requested.length === 1 && isPlainObject(requested[0]) && Object.keys(requested[0]).length === 0;
}

/**
 * managedFieldsForUpdate picks the managedFields an update starts from (kube's
 * decodeLiveOrNew): a subresource always uses the live object's; otherwise the request's own,
 * when it carries a decodable non-empty list, lets a client rewrite them; [] (or [{}]) resets
 * them; anything else keeps the live object's, so clients that drop the field lose nothing.
 */
export function managedFieldsForUpdate(live: KubeObject | undefined, next: KubeObject, subresource?: string): unknown {
  const liveFields = live?.metadata?.managedFields ?? [];
  if (subresource) return liveFields;
  const requested = next.metadata?.managedFields;
  if (isResetManagedFields(requested)) return [];
  if (requested === undefined || requested === null) return liveFields;
  // A request that sends back what it read (a patch, a read-modify-write) picks the live
  // entries either way: comparing costs less than decoding 50,000 owned keys to find that out.
  if (shortcuts.enabled && sameJsonText(requested, liveFields)) return liveFields;
  try {
    if (decodeManagedFields(requested).size > 0) return requested;
  } catch {
    // An undecodable list falls back to the live object's, as in kube.
  }
  return liveFields;
}

/**
 * sameJsonText tells values that JSON.stringify writes as the same text, key order included
 * (an entry kept as it was is written back as sent), without writing them. Objects other
 * than plain ones and arrays count as different unless they are the same object.
 */
function sameJsonText(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const array = Array.isArray(a);
  if (array !== Array.isArray(b)) return false;
  if (!array && (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || !sameJsonText((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  }
  return true;
}

/** RecordUpdateOptions tunes recordUpdate and updateManagedFields. */
export interface RecordUpdateOptions extends FieldSetOptions {
  /** apiVersion of the request; defaults to newObj.apiVersion. */
  apiVersion?: string;
  /**
   * resetFields are paths the write path resets, which no manager of this endpoint owns: status
   * for the main resource of a kind with a status subresource, spec for /status (see
   * defaultResetFields).
   */
  resetFields?: FieldSet;
  /** maxUpdateManagers caps Update entries (default MAX_UPDATE_MANAGERS). */
  maxUpdateManagers?: number;
}

/**
 * defaultResetFields answers resetFields for an endpoint: status on the main resource when the
 * kind has a status subresource, spec on /status, nothing otherwise.
 */
export function defaultResetFields(subresource: string | undefined, hasStatusSubresource: boolean): FieldSet {
  if (subresource === 'status') return FieldSet.of(['spec']);
  if (!subresource && hasStatusSubresource) return FieldSet.of(['status']);
  return new FieldSet();
}

/**
 * recordUpdate records an Update operation (create, update, or a non-apply patch) by manager:
 * managedFields are the entries the write starts from (managedFieldsForUpdate), oldObj the
 * stored object (undefined for a create) and newObj the object about to be stored, after
 * defaulting. It answers the new entries; [] means the object carries none. An object that
 * does not fit its schema keeps the entries it had, as kube's UpdateNoErrors does.
 */
export function recordUpdate(...args: Parameters<typeof recordUpdateSteps>): ManagedFieldsEntry[] {
  return runSteps(recordUpdateSteps(...args));
}

/** recordUpdateSteps is recordUpdate pausing between decoding, comparing and encoding (see steps.ts). */
export function* recordUpdateSteps(
  managedFields: unknown,
  manager: string,
  oldObj: KubeObject | undefined,
  newObj: KubeObject,
  schema: PatchSchema,
  now: Date,
  subresource?: string,
  options: RecordUpdateOptions = {},
): Steps<ManagedFieldsEntry[]> {
  let managed: ManagedFields;
  try {
    managed = decodeManagedFields(managedFields);
  } catch {
    managed = new Map();
  }
  // Objects that were never tracked start being tracked at their first apply, not on update.
  if (managed.size === 0 && oldObj !== undefined) return [];
  const apiVersion = options.apiVersion ?? newObj.apiVersion ?? oldObj?.apiVersion ?? '';
  try {
    if (oldObj === undefined && managed.size === 0 && shortcuts.enabled) {
      const created = recordCreate(manager || 'unknown', apiVersion, newObj, schema, now, subresource, options);
      if (created) return created;
    }
    yield;
    const updated = yield* updateManagedFieldsSteps(managed, { manager: manager || 'unknown', apiVersion, subresource }, oldObj, newObj, schema, now, options);
    yield;
    return encodeManagedFields(updated);
  } catch (err) {
    if (err instanceof FieldSetError) return Array.isArray(managedFields) ? (managedFields as ManagedFieldsEntry[]) : [];
    throw err;
  }
}

// STRIPPED_ROOT and STRIPPED_METADATA are STRIPPED_FIELDS by level, for createdFieldsV1.
const STRIPPED_ROOT = new Set(STRIPPED_FIELDS.paths().filter((p) => p.length === 1).map((p) => p[0] as string));
const STRIPPED_METADATA = new Set(STRIPPED_FIELDS.paths().filter((p) => p.length === 2).map((p) => p[1] as string));

/**
 * recordCreate is recordUpdate for a create of an untracked object, the manager then owning
 * just what the new object holds: the entry is written straight from the object. It answers
 * undefined where the general path is needed (reset fields below the top level, no room for
 * an Update entry).
 */
function recordCreate(manager: string, apiVersion: string, newObj: KubeObject, schema: PatchSchema, now: Date, subresource: string | undefined, options: RecordUpdateOptions): ManagedFieldsEntry[] | undefined {
  if ((options.maxUpdateManagers ?? MAX_UPDATE_MANAGERS) < 1) return undefined;
  const reset = new Set<string>();
  if (options.resetFields && !options.resetFields.empty) {
    for (const p of options.resetFields.paths()) {
      if (p.length !== 1 || typeof p[0] !== 'string') return undefined;
      reset.add(p[0]);
    }
  }
  // Built field by field: spreading options, an object of varying shape, cost more than the walk.
  const createdOptions: CreatedFieldsOptions = { keyDefaults: options.keyDefaults, rejectDuplicates: options.rejectDuplicates, reset, strippedRoot: STRIPPED_ROOT, strippedMetadata: STRIPPED_METADATA };
  const fieldsV1 = createdFieldsV1(typedObject(newObj, schema) as JsonMap, schema, createdOptions);
  if (!fieldsV1) return [];
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: rfc3339(now), fieldsType: 'FieldsV1', fieldsV1 };
  if (subresource) entry.subresource = subresource;
  return [entry];
}

/**
 * updateManagedFields applies one Update operation to decoded managedFields and answers the
 * result (the input is not changed). It throws FieldSetError when an object does not fit schema.
 */
export function updateManagedFields(...args: Parameters<typeof updateManagedFieldsSteps>): ManagedFields {
  return runSteps(updateManagedFieldsSteps(...args));
}

/** updateManagedFieldsSteps is updateManagedFields pausing between the comparison and the sets it changes. */
export function* updateManagedFieldsSteps(
  managed: ManagedFields,
  who: { manager: string; apiVersion: string; subresource?: string },
  oldObj: KubeObject | undefined,
  newObj: KubeObject,
  schema: PatchSchema,
  now: Date,
  options: RecordUpdateOptions = {},
): Steps<ManagedFields> {
  const cmp = compareForUpdate(oldObj, newObj, schema, options);
  yield;
  const changed = cmp.modified.union(cmp.added);
  const out: ManagedFields = new Map();
  for (const [id, m] of managed) {
    const set = m.set.difference(changed).difference(cmp.removed);
    if (!set.empty) out.set(id, { ...m, set });
  }
  let own = changed;
  if (options.resetFields) own = own.recursiveDifference(options.resetFields);
  own = own.difference(STRIPPED_FIELDS);
  if (!own.empty) {
    const entry: ManagerSet = { manager: who.manager, operation: 'Update', apiVersion: who.apiVersion, time: rfc3339(now), set: own };
    if (who.subresource) entry.subresource = who.subresource;
    const id = managerIdentifier(entry);
    const previous = out.get(id);
    if (previous) entry.set = previous.set.union(own);
    out.set(id, entry);
  }
  return capUpdateManagers(out, options.maxUpdateManagers ?? MAX_UPDATE_MANAGERS);
}

/**
 * compareForUpdate compares the stored and the new object as kube's typed objects see them
 * (managedFields left out; for built-in kinds, nulls, empty lists and empty maps are absent
 * and value structs always present), leaving out the reset fields.
 */
function compareForUpdate(oldObj: KubeObject | undefined, newObj: KubeObject, schema: PatchSchema, options: RecordUpdateOptions): Comparison {
  let l = withoutManagedFields(oldObj ?? {});
  let r = withoutManagedFields(newObj);
  if (shortcuts.enabled) [l, r] = withoutSameFields(l, r, schema, options);
  const cmp = compareObjects(typedRoot(l, schema), typedRoot(r, schema), schema, options);
  return excludeFields(cmp, options.resetFields);
}

/**
 * withoutSameFields leaves out the top-level fields that the comparison would pass over
 * (sameTree, which reads the objects before typedView as it reads them after), so that their
 * typed views are never built: the spec of a status write, the status of a spec write. Both
 * objects are answered as they are when no field is left out.
 */
function withoutSameFields(l: KubeObject, r: KubeObject, schema: PatchSchema, options: RecordUpdateOptions): [KubeObject, KubeObject] {
  const same: string[] = [];
  for (const key of Object.keys(l)) {
    const lv = l[key];
    if (typeof lv !== 'object' || lv === null || !Object.prototype.hasOwnProperty.call(r, key)) continue;
    const rv = r[key];
    if (typeof rv === 'object' && rv !== null && sameTree(lv, rv, schema.field(key), options)) same.push(key);
  }
  if (same.length === 0) return [l, r];
  return [withoutFields(l, same), withoutFields(r, same)];
}

/** withoutFields is a shallow copy of obj without the given fields. */
function withoutFields(obj: KubeObject, fields: readonly string[]): KubeObject {
  const out: JsonMap = {};
  for (const key of Object.keys(obj)) if (!fields.includes(key)) setField(out, key, obj[key]);
  return out as KubeObject;
}

/**
 * typedObject is obj as the comparison reads it: without managedFields and, for built-in kinds,
 * in typedView.
 */
function typedObject(obj: KubeObject, schema: PatchSchema): unknown {
  return typedRoot(withoutManagedFields(obj), schema);
}

/** typedRoot is typedView of an object without managedFields, for built-in kinds. */
function typedRoot(obj: KubeObject, schema: PatchSchema): unknown {
  return schema.name.startsWith('io.k8s.') ? typedView(obj, { schema }) : obj;
}

/** excludeFields drops reset fields and everything below them from a comparison. */
export function excludeFields(cmp: Comparison, fields: FieldSet | undefined): Comparison {
  if (!fields || fields.empty) return cmp;
  return {
    added: cmp.added.recursiveDifference(fields),
    removed: cmp.removed.recursiveDifference(fields),
    modified: cmp.modified.recursiveDifference(fields),
  };
}

/** withoutManagedFields is a shallow copy of obj whose metadata has no managedFields. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!isPlainObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

/**
 * typedView drops what a Go typed object cannot hold apart from absence: null values, empty
 * lists, and empty maps (an empty struct, such as emptyDir: {} or resources: {}, stays). A
 * value with nothing to drop is answered as it is, so only the levels that change are copied.
 */
export function typedView(value: unknown, field: PatchField): unknown {
  if (Array.isArray(value)) {
    const item = itemField(field);
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const view = isPlainObject(v) ? typedView(v, item) : v;
      if (view !== v && !out) out = value.slice(0, i);
      if (out) out.push(view);
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  let i = 0;
  let kept = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const v = value[key];
    let view: unknown = v;
    let keep = v !== null;
    if (keep && typeof v === 'object') {
      const child = field.schema.field(key);
      view = typedView(v, child);
      if (Array.isArray(view) && view.length === 0) keep = false;
      else if (isPlainObject(view) && viewWasEmpty && !child.schema.name.startsWith('io.k8s.')) keep = false;
    }
    if (!out && (!keep || view !== v)) {
      out = copyFirst(value, i);
      kept = i;
    }
    if (out && keep) {
      setField(out, key, view);
      kept++;
    }
    i++;
  }
  viewWasEmpty = out ? kept === 0 : i === 0;
  return out ?? value;
}

// viewWasEmpty tells whether the map typedView last answered has no fields: the caller reads it
// right after the call, which spares walking the keys of a large map a second time.
let viewWasEmpty = false;

/** copyFirst copies the first n own fields of map, in order. */
function copyFirst(map: Record<string, unknown>, n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const key of Object.keys(map)) {
    if (i++ >= n) break;
    setField(out, key, map[key]);
  }
  return out;
}

/**
 * capUpdateManagers folds the oldest Update entries into one "ancient-changes" entry per
 * apiVersion until at most max Update entries remain (kube's capManagersManager).
 */
function capUpdateManagers(managed: ManagedFields, max: number): ManagedFields {
  const updaters = [...managed.entries()].filter(([, m]) => m.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return managed;
  updaters.sort((a, b) => seconds(managed.get(a)!.time) - seconds(managed.get(b)!.time) || compareText(a, b));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i];
    const m = managed.get(id)!;
    const bucketEntry: ManagerSet = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: m.apiVersion, set: new FieldSet() };
    const bucket = managerIdentifier(bucketEntry);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (!managed.has(bucket)) {
      const firstEntry = managed.get(first)!;
      managed.delete(first);
      managed.set(bucket, { ...bucketEntry, time: firstEntry.time, set: firstEntry.set });
    }
    const current = managed.get(bucket)!;
    managed.set(bucket, { ...bucketEntry, time: m.time, set: m.set.union(current.set) });
    if (id !== bucket) managed.delete(id);
    length--;
  }
  return managed;
}

// ---- manager names and request validation ------------------------------------------------------

/** isPrint is Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);
}

/**
 * fieldManagerName is the manager a write is recorded under: the fieldManager parameter when
 * set, otherwise the User-Agent up to its first "/" (kubectl/v1.32.0 (linux/amd64) ... ->
 * kubectl), without unprintable characters and cut at 128 bytes. kubectl sends its own names
 * (kubectl-client-side-apply, kubectl-edit, kubectl-create, kubectl-patch, kubectl-label,
 * kubectl-annotate, kubectl-replace, kubectl-set, kubectl-rollout, and kubectl for
 * --server-side); an empty result is recorded as "unknown".
 */
export function fieldManagerName(fieldManager: string | undefined | null, userAgent: string | undefined | null): string {
  if (fieldManager) return fieldManager;
  const prefix = (userAgent ?? '').split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!isPrint(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** validateFieldManager checks a fieldManager value: at most 128 bytes, printable characters only. */
export function validateFieldManager(fieldManager: string, field = 'fieldManager'): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({ type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  let offset = 0;
  for (const ch of fieldManager) {
    if (!isPrint(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push({ type: 'FieldValueInvalid', field, message: `Invalid value: ${goQuote(fieldManager)}: invalid character U+${code} (at position ${offset})` });
    }
    offset += Buffer.byteLength(ch);
  }
  return errs;
}

/**
 * validatePatchOptions checks fieldManager and force for a PATCH: apply requires a
 * fieldManager, and force is only for apply. Errors go out as 422
 * `PatchOptions.meta.k8s.io "" is invalid: ...` (status-error invalid('PatchOptions', 'meta.k8s.io', '', errs)).
 */
export function validatePatchOptions(options: { fieldManager?: string | null; force?: string | null; apply: boolean }): FieldError[] {
  const errs: FieldError[] = [];
  if (!options.apply) {
    if (options.force !== undefined && options.force !== null) {
      errs.push({ type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' });
    }
  } else if (!options.fieldManager) {
    errs.push({ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  }
  return errs.concat(validateFieldManager(options.fieldManager ?? ''));
}

/** MAX_SUBRESOURCE_NAME_LENGTH bounds managedFields[].subresource. */
const MAX_SUBRESOURCE_NAME_LENGTH = 256;

/**
 * validateManagedFields checks metadata.managedFields written by a client, as ObjectMeta
 * validation does: operation Apply or Update, fieldsType FieldsV1 when set, a valid manager
 * and a subresource of at most 256 bytes.
 */
export function validateManagedFields(entries: unknown, field = 'metadata.managedFields'): FieldError[] {
  if (!Array.isArray(entries)) return [];
  const errs: FieldError[] = [];
  entries.forEach((raw, i) => {
    const e = (isPlainObject(raw) ? raw : {}) as Record<string, unknown>;
    const at = `${field}[${i}]`;
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push({ type: 'FieldValueInvalid', field: `${at}.operation`, message: `Invalid value: ${goQuote(String(e.operation ?? ''))}: must be \`Apply\` or \`Update\`` });
    }
    if (typeof e.fieldsType === 'string' && e.fieldsType !== '' && e.fieldsType !== 'FieldsV1') {
      errs.push({ type: 'FieldValueInvalid', field: `${at}.fieldsType`, message: `Invalid value: ${goQuote(e.fieldsType)}: must be \`FieldsV1\`` });
    }
    errs.push(...validateFieldManager(typeof e.manager === 'string' ? e.manager : '', `${at}.manager`));
    if (typeof e.subresource === 'string' && Buffer.byteLength(e.subresource) > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push({ type: 'FieldValueTooLong', field: `${at}.subresource`, message: `Too long: may not be more than ${MAX_SUBRESOURCE_NAME_LENGTH} bytes` });
    }
  });
  return errs;
}
