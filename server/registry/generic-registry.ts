/**
 * The generic registry: one implementation of get, list, watch, create, update, delete and
 * deletecollection for every kind, parameterised by its ResourceDefinition. Every write, from
 * HTTP or from a controller, runs the same pipeline here: system metadata, namespace check,
 * prepare, defaults, admission, validation, storage.
 */
import { rfc3339 } from '../../schemas/meta/time';
import { randomUUID } from 'node:crypto';
import { jsonEqual } from '../../schemas/meta/json';
import { structuredCopy } from '../../schemas/meta/structured-copy';
import { canonicalizeQuantities } from './quantity-fields';
import { builtinPatchSchema, customPatchSchema, type PatchSchema } from '../../schemas/patch-metadata';
import {
  defaultResetFields,
  fieldManagerName,
  managedFieldsForUpdate,
  recordUpdateSteps,
  setManagedFields,
  validateManagedFields,
} from '../patch/managed-fields';
import { checkSizeLimits, fromKeyError } from './size-limits';
import { garbageCollectionFinalizers } from './gc-finalizers';
import { DecodedObjectCache, objectKey, prefixKey, type KeyValue, type Store, type Watcher } from '../../store';
import type { FieldError, KubeObject, ObjectMeta, ResourceDefinition, Strategy, UserInfo } from '../../schemas/types';
import { applySteps } from '../patch/server-side-apply';
import { runStepsPausing } from '../patch/steps';
import { applyPatch, PATCH_MEDIA_TYPES, type PatchType } from '../patch/apply-patch';
import { AdmissionChain, type AdmissionAttributes } from './admission';
import { WriteHooks } from './write-hooks';
import { fieldWarnings, pruneUnknownFields, strictDecodingError, type FieldValidation } from './field-validation';
import { selectionOf, type Selection, type SelectorQuery } from './list-selection';
import { decodeContinue, encodeContinue } from './continue-token';
import { validateObjectMeta } from '../../schemas/meta/object-meta';
import { schemaErrors } from '../../schemas/schema-validation';
import { kindMismatch } from './type-meta';
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  fromStoreError,
  invalid,
  notFound,
  tooLargeResourceVersion,
} from '../../schemas/meta/status-error';

/** StoredObject is one object as stored: its JSON bytes and revision; decode() parses it once. */
export interface StoredObject {
  readonly raw: string;
  readonly revision: number;
  /** raw as UTF-8 bytes, when the store holds them: responses send them without re-encoding */
  readonly bytes?: Buffer;
  /** true when raw was converted from the stored form (it is then not the stored bytes) */
  readonly converted?: boolean;
}

/** WriteOptions are the options common to every write verb. */
export interface WriteOptions {
  dryRun?: boolean;
  /** fieldManager names the writer in managedFields; without it the User-Agent's product name is used */
  fieldManager?: string;
  userAgent?: string;
  /** managedFieldsDone: the caller (server-side apply) already computed metadata.managedFields */
  managedFieldsDone?: boolean;
  /** fieldValidation says what unknown and duplicate fields do: Strict refuses, Warn (the default) warns, Ignore drops them silently */
  fieldValidation?: FieldValidation;
  /** duplicateFields are the duplicate keys the decoder found in the request body (only a decoder can see them) */
  duplicateFields?: string[];
  /** warn receives each warning of the write (unknown and duplicate fields), as kube's warning recorder */
  warn?: (warning: string) => void;
  /** sizeHint is the size of the request body in bytes, when there was one (see LARGE_OBJECT_BYTES) */
  sizeHint?: number;
  /** user is the authenticated user of the request, for admission (undefined: the server itself) */
  user?: UserInfo;
  /**
   * addWarning receives admission's warnings (webhooks, policies) as kube's warning.AddWarning;
   * unlike warn it is kept by the writes an apply makes, and the HTTP layer sends it even when
   * the write fails
   */
  addWarning?: (warning: string) => void;
}

/**
 * LARGE_OBJECT_BYTES: a write of an object at least this large (its body or its stored JSON)
 * lets other requests run between its steps (parse, patch, managedFields, validation, store),
 * so that one 1 MiB object of 50,000 keys holds the event loop for its longest step rather
 * than for all of them together.
 */
export const LARGE_OBJECT_BYTES = 256 * 1024;

/** breathe is a turn of the event loop for a large object's write (size in bytes), and undefined for a small one. */
export function breathe(size: number | undefined): Promise<void> | undefined {
  // Two immediates: one set while the loop polls for I/O (where a request's work starts) runs
  // in the check phase of the same iteration, before any timer or other connection gets a
  // turn; the second, set from the check phase, runs only after the next timers and poll.
  return size !== undefined && size >= LARGE_OBJECT_BYTES ? new Promise((resolve) => setImmediate(() => setImmediate(resolve))) : undefined;
}

/** UpdateOptions add the subresource an update targets ('scale' writes the main object). */
export interface UpdateOptions extends WriteOptions {
  subresource?: 'status' | 'finalize' | 'approval' | 'scale' | 'ephemeralcontainers';
}

/** PatchOptions add server-side apply's force to an update's options. */
export interface PatchOptions extends UpdateOptions {
  /** force: an apply takes over the fields other managers own instead of failing with a conflict */
  force?: boolean;
}

/** Patch is a parsed patch of one type: a JSON value for json, merge and strategic; the applied object for apply. */
export interface Patch {
  type: PatchType;
  body: unknown;
}

/** PatchResult is what a patch stored, and whether an apply created the object. */
export interface PatchResult {
  object: StoredObject;
  created: boolean;
}

/** DeleteOptions mirror metav1.DeleteOptions. */
export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** ListQuery selects a page of a list; the selectors are the strings a client sends. */
export interface ListQuery extends SelectorQuery {
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

/** ListPage is one page of a list. */
export interface ListPage {
  items: StoredObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** WatchQuery selects where a watch starts and what it shows. */
export interface WatchQuery extends SelectorQuery {
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
  /** progress bookmarks are sent at this interval while no event flows (ms). */
  bookmarkIntervalMs?: number;
}

/** RegistryWatchEvent is one watch event ready to serialise; raw is the object's JSON. */
export interface RegistryWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  raw: string;
  /**
   * object is the stored object of an ADDED, MODIFIED or DELETED event (raw is its JSON), so
   * that in-process watchers share one decode of it (decode()) instead of each parsing raw
   */
  object?: StoredObject;
}

/** DeleteResult is what a delete answers: the object (or a Status) and whether it is gone. */
export interface DeleteResult {
  raw: string;
  /** true when the object was removed; false when it was only marked for deletion */
  deleted: boolean;
  /** uid of the object, for the Status of a delete (so a large object need not be parsed again) */
  uid?: string;
}

/** RegistryOptions inject the clock and id generators, so tests are deterministic. */
export interface RegistryOptions {
  now?: () => Date;
  uid?: () => string;
  random?: () => number;
  /** how long a list or get waits for a resourceVersion newer than the store's (ms) */
  resourceVersionWaitMs?: number;
}

/**
 * CONFLICT_RETRIES bounds how often a write without a precondition is retried when another write
 * got in between its read and its write. Like kube's GuaranteedUpdate it retries until it
 * succeeds; the cap only stops a livelock, and is far beyond what hundreds of concurrent writers
 * to one object need (each round lets at least one of them through).
 */
const CONFLICT_RETRIES = 1000;

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** MAX_GENERATE_NAME_ATTEMPTS is how often a create with generateName tries a new name, as kube-apiserver. */
const MAX_GENERATE_NAME_ATTEMPTS = 8;
/** MAX_APPLY_ATTEMPTS bounds how often an apply switches between create and update when it races. */
const MAX_APPLY_ATTEMPTS = 10;

/** Registry is the generic resource store every verb goes through. */
export class Registry {
  readonly admission = new AdmissionChain();
  /** writeHooks are kinds' side effects kept in step with the store (a Service's cluster IP) */
  readonly writeHooks = new WriteHooks();
  readonly decoded = new DecodedObjectCache(20_000);
  /** now is the registry's clock, injected by tests; subresources that write times read it too. */
  readonly now: () => Date;
  private readonly uid: () => string;
  private readonly random: () => number;
  private readonly rvWaitMs: number;

  constructor(
    readonly store: Store,
    options: RegistryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.uid = options.uid ?? randomUUID;
    this.random = options.random ?? Math.random;
    this.rvWaitMs = options.resourceVersionWaitMs ?? 3000;
  }

  /** decode parses a stored object (shared and frozen: clone before changing it). */
  decode(obj: StoredObject): Readonly<KubeObject> {
    if (obj.converted || !obj.revision) return JSON.parse(obj.raw) as KubeObject;
    return this.decoded.decode<KubeObject>({ revision: obj.revision, value: obj.raw });
  }

  // present turns a stored value into what this resource serves (converted when versions share
  // storage). Only a conversion webhook makes it a promise: every other read stays synchronous.
  private present(def: ResourceDefinition, kv: { readonly value: string; readonly revision: number; readonly bytes?: Buffer }): StoredObject | Promise<StoredObject> {
    const conversion = def.conversion;
    if (conversion?.async) return conversion.fromStorage([JSON.parse(kv.value) as KubeObject]).then(([obj]) => convertedObject(obj, kv.revision));
    if (conversion) return convertedObject(conversion.fromStorage(JSON.parse(kv.value) as KubeObject), kv.revision);
    // The text is decoded from the bytes only if someone reads it.
    return { get raw() { return kv.value; }, revision: kv.revision, bytes: kv.bytes };
  }

  // presentAll presents the objects of one read (a list page): a conversion webhook is called
  // once for all of them, as one ConversionReview.
  private presentAll(def: ResourceDefinition, kvs: readonly KeyValue[]): StoredObject[] | Promise<StoredObject[]> {
    const conversion = def.conversion;
    if (!conversion?.async) return kvs.map((kv) => this.present(def, kv) as StoredObject);
    if (kvs.length === 0) return [];
    return conversion.fromStorage(kvs.map((kv) => JSON.parse(kv.value) as KubeObject)).then((objs) => objs.map((obj, i) => convertedObject(obj, kvs[i].revision)));
  }

  // parseStored parses a stored value into this resource's form, as a private copy (a promise
  // only through a conversion webhook).
  private parseStored(def: ResourceDefinition, raw: string): KubeObject | Promise<KubeObject> {
    const obj = JSON.parse(raw) as KubeObject;
    const conversion = def.conversion;
    if (conversion?.async) return conversion.fromStorage([obj]).then(([converted]) => converted);
    return conversion ? conversion.fromStorage(obj) : obj;
  }

  // copyStored is a second private copy of a stored value already parsed as first: parsed again,
  // which costs less than structuredClone of a large object, unless that would ask a conversion
  // webhook a second time.
  private copyStored(def: ResourceDefinition, raw: string, first: KubeObject): KubeObject {
    return def.conversion?.async ? structuredClone(first) : (this.parseStored(def, raw) as KubeObject);
  }

  private toStorage(def: ResourceDefinition, obj: KubeObject): KubeObject | Promise<KubeObject> {
    return def.conversion ? def.conversion.toStorage(obj) : obj;
  }

  // dryRunRoundTrip is what a dry-run write answers: like kube's dry-run storage, it converts
  // the object to the storage version and back through a conversion webhook (which can refuse
  // it); any other conversion leaves the object as it is.
  private async dryRunRoundTrip(def: ResourceDefinition, obj: KubeObject): Promise<KubeObject> {
    const conversion = def.conversion;
    if (!conversion?.async) return obj;
    const [back] = await conversion.fromStorage([await conversion.toStorage(structuredClone(obj))]);
    return back;
  }

  /** key is the store key of one object. */
  key(def: ResourceDefinition, namespace: string | undefined, name: string): string {
    const s = def.storage ?? { group: def.group, plural: def.plural };
    return objectKey({ group: s.group, resource: s.plural, namespace: def.namespaced ? namespace : undefined, name });
  }

  /** prefix is the store prefix of a resource in one namespace, or in all of them. */
  prefix(def: ResourceDefinition, namespace?: string): string {
    const s = def.storage ?? { group: def.group, plural: def.plural };
    return fromKeyError(() => prefixKey(s.group, s.plural, def.namespaced ? namespace : undefined));
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** get reads one object; resourceVersion "0" or unset reads the newest, N reads at least N. */
  async get(def: ResourceDefinition, namespace: string | undefined, name: string, resourceVersion?: string): Promise<StoredObject> {
    const key = this.keyOrNotFound(def, namespace, name);
    if (resourceVersion && resourceVersion !== '0') await this.waitForRevision(parseRevision(resourceVersion));
    try {
      const kv = await this.store.get(key);
      return this.present(def, kv);
    } catch (err) {
      throw fromStoreError(err, gr(def), name);
    }
  }

  /** list reads a consistent page, with the resourceVersion semantics of kube-apiserver. */
  async list(def: ResourceDefinition, namespace: string | undefined, query: ListQuery = {}): Promise<ListPage> {
    const prefix = this.prefix(def, namespace);
    const limit = query.limit && query.limit > 0 ? query.limit : 0;
    let revision = 0;
    let startAfter: string | undefined;
    const match = query.resourceVersionMatch;
    if (match && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (query.continue) {
      if (query.resourceVersion && query.resourceVersion !== '0') {
        throw badRequest('specifying resource version is not allowed when using continue');
      }
      if (match) throw badRequest('resourceVersionMatch is forbidden when continue is provided');
      const token = decodeContinue(prefix, query.continue);
      startAfter = token.startAfter;
      // rv -1 (an inconsistent continuation) reads the newest revision.
      if (token.revision !== -1) revision = token.revision;
    } else if (query.resourceVersion !== undefined && query.resourceVersion !== '') {
      const rv = query.resourceVersion;
      if (match === 'Exact') {
        if (rv === '0') throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
        revision = parseRevision(rv);
      } else if (rv !== '0') {
        const wanted = parseRevision(rv);
        // Legacy semantics: an RV with a limit and no match means an exact page.
        if (!match && limit) revision = wanted;
        else await this.waitForRevision(wanted);
      }
    } else if (match) {
      throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    }
    const selection = selectionOf(def, query);
    if (selection.name !== undefined) return this.listOne(def, namespace, { ...selection, name: selection.name }, revision);

    const filter = selection.filter;
    // Through a conversion webhook, selectors see the served form (the version's selectable
    // fields, the labels the webhook answered), as kube's watch cache of each version holds its
    // objects converted; a page may then hold fewer than limit items.
    const selectConverted = !!filter && !!def.conversion?.async;
    try {
      const page = await this.store.list(prefix, {
        revision: revision || undefined,
        limit,
        startAfter,
        predicate: filter && !selectConverted ? (kv) => filter(this.decode({ raw: kv.value, revision: kv.revision })) : undefined,
        countRemaining: !filter,
      });
      const presented = this.presentAll(def, page.items);
      const items = presented instanceof Promise ? await presented : presented;
      const out: ListPage = { items: selectConverted ? items.filter((item) => filter!(this.decode(item))) : items, resourceVersion: String(page.revision) };
      if (page.more && page.lastKey) {
        // After an inconsistent continue the next pages are pinned to this page's revision, as in kube-apiserver.
        out.continue = encodeContinue(prefix, page.revision, page.lastKey);
        if (page.remainingCount !== undefined) out.remainingItemCount = page.remainingCount;
      }
      return out;
    } catch (err) {
      const status = fromStoreError(err, gr(def));
      if (status.code === 410 && query.continue) throw this.expiredContinue(prefix, startAfter!);
      throw status;
    }
  }

  // A continue token whose revision was compacted: 410 with a token to go on inconsistently.
  private expiredContinue(prefix: string, startAfter: string): StatusError {
    const err = expired(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
    err.status.metadata = { continue: encodeContinue(prefix, -1, startAfter) };
    return err;
  }

  // listOne serves a list narrowed by metadata.name to a single key.
  private async listOne(def: ResourceDefinition, namespace: string | undefined, query: Required<Pick<Selection, 'name'>> & Selection, revision: number): Promise<ListPage> {
    const current = await this.store.currentRevision();
    const at = revision || current;
    let found: KeyValue[] = [];
    if (namespace || !def.namespaced) {
      try {
        found = [await this.store.get(this.key(def, namespace, query.name!), revision || undefined)];
      } catch (err) {
        const status = fromStoreError(err, gr(def), query.name);
        if (status.code !== 404) throw status;
      }
    } else {
      const page = await this.store.list(this.prefix(def), { revision: revision || undefined });
      found = page.items.filter((kv) => kv.key.endsWith('/' + query.name));
    }
    // Selectors see the stored form, as in list and watch (the served form through a conversion webhook).
    const selectConverted = !!query.filter && !!def.conversion?.async;
    if (query.filter && !selectConverted) found = found.filter((kv) => query.filter!(this.decode({ raw: kv.value, revision: kv.revision })));
    const presented = this.presentAll(def, found);
    const items = presented instanceof Promise ? await presented : presented;
    return { items: selectConverted ? items.filter((item) => query.filter!(this.decode(item))) : items, resourceVersion: String(at) };
  }

  private async waitForRevision(wanted: number): Promise<void> {
    const deadline = Date.now() + this.rvWaitMs;
    for (;;) {
      const current = await this.store.currentRevision();
      if (current >= wanted) return;
      if (Date.now() >= deadline) throw tooLargeResourceVersion(wanted, current);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * watch checks the query and opens the watch, then resolves to the event stream. Without a
   * resourceVersion (or with "0") the stream starts with the current state as ADDED events.
   * Bad queries reject with a StatusError; a compacted revision yields one ERROR event (410).
   */
  async watch(def: ResourceDefinition, namespace: string | undefined, query: WatchQuery = {}, signal?: AbortSignal): Promise<AsyncGenerator<RegistryWatchEvent>> {
    const selection = selectionOf(def, query);
    const target = selection.name !== undefined && (namespace || !def.namespaced) ? this.key(def, namespace, selection.name) : this.prefix(def, namespace);
    const rv = query.resourceVersion;
    if (query.resourceVersionMatch && query.resourceVersionMatch !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${query.resourceVersionMatch}": supported values: "NotOlderThan"`);
    }
    if (query.sendInitialEvents !== undefined && query.resourceVersionMatch !== 'NotOlderThan') {
      throw badRequest('sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan');
    }
    const initial = query.sendInitialEvents ?? (rv === undefined || rv === '' || rv === '0');
    let from = 0;
    let watcher: Watcher;
    const initialItems: StoredObject[] = [];
    try {
      if (initial) {
        if (rv && rv !== '0') await this.waitForRevision(parseRevision(rv));
        const page = await this.list(def, namespace, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector });
        initialItems.push(...page.items);
        from = Number(page.resourceVersion);
      } else if (rv && rv !== '0') {
        from = parseRevision(rv);
        if (query.resourceVersionMatch === 'NotOlderThan') await this.waitForRevision(from);
      }
      watcher = this.store.watch(target, from, {
        progressIntervalMs: query.allowWatchBookmarks ? (query.bookmarkIntervalMs ?? 60_000) : undefined,
      });
    } catch (err) {
      const status = fromStoreError(err, gr(def));
      if (status.code !== 410) throw status;
      return (async function* () {
        yield { type: 'ERROR' as const, raw: JSON.stringify(status.status) };
      })();
    }
    return this.stream(def, watcher, initialItems, from, query, selection, signal);
  }

  private async *stream(
    def: ResourceDefinition,
    watcher: Watcher,
    initialItems: StoredObject[],
    from: number,
    query: WatchQuery,
    selection: Selection,
    signal?: AbortSignal,
  ): AsyncGenerator<RegistryWatchEvent> {
    // Only a label or field selector needs the object decoded; a name is read from the key.
    const filter = selection.filter ?? (() => true);
    const abort = () => watcher.close();
    signal?.addEventListener('abort', abort);
    try {
      for (const item of initialItems) yield { type: 'ADDED', raw: item.raw, object: item };
      // The initial-events-end bookmark goes only to clients that take bookmarks, as in kube's cacher.
      if (query.sendInitialEvents && query.allowWatchBookmarks) {
        yield { type: 'BOOKMARK', raw: bookmarkBody(def, from, true) };
      }
      for (;;) {
        let ev;
        try {
          ev = await watcher.next();
        } catch (err) {
          yield { type: 'ERROR', raw: JSON.stringify(fromStoreError(err, gr(def)).status) };
          return;
        }
        if (!ev) return;
        if (ev.type === 'BOOKMARK') {
          if (query.allowWatchBookmarks) yield { type: 'BOOKMARK', raw: bookmarkBody(def, ev.revision, false) };
          continue;
        }
        if (selection.name !== undefined && ev.key.slice(ev.key.lastIndexOf('/') + 1) !== selection.name) continue;
        // A large object's event gets a turn of the loop to itself in each watcher, so that
        // decoding and sending it to many watchers never runs as one long task after the commit.
        const pause = breathe(ev.value.length);
        if (pause) await pause;
        let shown: StoredObject | Promise<StoredObject> | undefined;
        let previous: Readonly<KubeObject> | undefined;
        let matches: boolean;
        if (def.conversion?.async && (query.labelSelector || query.fieldSelector)) {
          // Through a conversion webhook, selectors see the served form, as in list: the event
          // (and the state before it) is converted before it is selected.
          try {
            let obj: Readonly<KubeObject>;
            ({ shown, obj, previous } = await this.convertedEvent(def, ev));
            matches = filter(obj);
          } catch (err) {
            yield { type: 'ERROR', raw: JSON.stringify(watchConversionError(err).status) };
            return;
          }
        } else {
          // Without a selector the event is not decoded at all: the name was checked on the key.
          matches = !selection.filter || filter(this.decode({ raw: ev.value, revision: ev.revision }));
        }
        let type: 'ADDED' | 'MODIFIED' | 'DELETED' | undefined;
        if (ev.type === 'ADDED' || ev.type === 'DELETED' || (!query.labelSelector && !query.fieldSelector)) {
          type = matches ? ev.type : undefined;
        } else {
          // MODIFIED under a selector: entering is ADDED, leaving is DELETED (with the new state).
          const before = previous ? filter(previous) : ev.prevValue ? filter(JSON.parse(ev.prevValue)) : false;
          type = matches ? (before ? 'MODIFIED' : 'ADDED') : before ? 'DELETED' : undefined;
        }
        if (!type) continue;
        shown ??= this.present(def, ev);
        // A conversion webhook is awaited here, one event at a time, so events keep their order;
        // one that fails ends the watch with an error event, as kube's watcher does.
        if (shown instanceof Promise) {
          try {
            shown = await shown;
          } catch (err) {
            yield { type: 'ERROR', raw: JSON.stringify(watchConversionError(err).status) };
            return;
          }
        }
        yield { type, raw: shown.raw, object: shown };
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      watcher.close();
    }
  }

  // convertedEvent converts a watch event's object, and the state before a modification, through
  // a conversion webhook (one review each).
  private async convertedEvent(def: ResourceDefinition, ev: { readonly type: string; readonly value: string; readonly revision: number; readonly prevValue?: string }) {
    const shown = await this.present(def, ev);
    const obj = this.decode(shown);
    const previous = ev.type === 'MODIFIED' && ev.prevValue ? this.decode(await this.present(def, { value: ev.prevValue, revision: ev.revision })) : undefined;
    return { shown, obj, previous };
  }

  // ---- writes --------------------------------------------------------------------------------

  /** create stores a new object after the full create pipeline. */
  async create(def: ResourceDefinition, namespace: string | undefined, input: KubeObject, options: WriteOptions = {}): Promise<StoredObject> {
    const obj = structuredClone(input);
    const pause = breathe(options.sizeHint);
    if (pause) await pause;
    return this.createPrivate(def, namespace, obj, options);
  }

  // createPrivate is create of an object the caller hands over: it is changed, and may be stored.
  private async createPrivate(def: ResourceDefinition, namespace: string | undefined, obj: KubeObject, options: WriteOptions): Promise<StoredObject> {
    this.checkFields(def, obj, options);
    const pause = breathe(options.sizeHint);
    if (pause) await pause;
    const generated = !obj.metadata?.name && !!obj.metadata?.generateName;
    // A generated name that is taken is generated again, as kube-apiserver retries (RetryGenerateName).
    for (let attempt = 1; ; attempt++) {
      try {
        // Only a generated name can be tried again, so only then is the object copied per try.
        return await this.createOnce(def, namespace, generated ? structuredClone(obj) : obj, options);
      } catch (err) {
        if (!generated || attempt >= MAX_GENERATE_NAME_ATTEMPTS || !(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }

  private async createOnce(def: ResourceDefinition, namespace: string | undefined, obj: KubeObject, options: WriteOptions): Promise<StoredObject> {
    this.checkTypeMeta(def, obj);
    const meta = (obj.metadata ??= {});
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else if (meta.namespace) {
      delete meta.namespace;
    }
    if (def.createForbidden) throw new StatusError(403, 'Forbidden', def.createForbidden, { kind: def.plural, group: def.group || undefined, name: meta.name });
    this.checkSchema(def, obj);
    this.checkManagedFields(def, obj);
    let pause = breathe(options.sizeHint);
    if (pause) await pause;
    if (!meta.name && meta.generateName) meta.name = this.generateName(meta.generateName);
    // System fields: whatever the client sent is replaced.
    meta.uid = this.uid();
    meta.creationTimestamp = rfc3339(this.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as Record<string, unknown>).selfLink;
    delete meta.generation;
    def.defaults?.(obj);
    const attrs: AdmissionAttributes = {
      operation: 'CREATE', resource: def, namespace: meta.namespace, name: meta.name ?? '', object: obj, dryRun: !!options.dryRun,
      ...admissionContext('CreateOptions', options),
    };
    await this.admission.admit(attrs);
    // As in kube-apiserver, the kind's create preparation follows mutating admission (a Pod's
    // QoS class is computed from the requests LimitRanger may have filled in).
    def.strategy.prepareForCreate(obj);
    // Allocation (a Service's cluster IP) comes before validation, which then sees the result,
    // and is undone unless the object is stored.
    const finish = this.writeHooks.beginCreate(def, obj, !!options.dryRun);
    let stored = false;
    try {
      // Validation first: it does not read the managedFields recordManager adds (their shape was
      // checked above), and an invalid object then costs no field-set work (100,000 invalid label
      // keys spent 1.3 s there before the 422).
      this.checkValid(def, def.strategy, obj);
      if ((pause = breathe(options.sizeHint))) await pause;
      if (!options.managedFieldsDone) await this.recordManager(def, undefined, obj, options, undefined, () => breathe(options.sizeHint));
      if ((pause = breathe(options.sizeHint))) await pause;
      await this.admission.validate(attrs);
      checkSizeLimits(def, obj, !options.dryRun);
      // The store's write (serialising, committing, notifying watchers) gets a turn of its own.
      if ((pause = breathe(options.sizeHint))) await pause;
      if (options.dryRun) {
        await this.ensureAbsent(def, meta.namespace, meta.name!);
        return { raw: JSON.stringify(await this.dryRunRoundTrip(def, obj)), revision: 0 };
      }
      try {
        const toStore = this.toStorage(def, obj);
        const kv = await this.store.create(this.key(def, meta.namespace, meta.name!), toStore instanceof Promise ? await toStore : toStore);
        stored = true;
        return this.present(def, kv);
      } catch (err) {
        throw fromStoreError(err, gr(def), meta.name);
      }
    } finally {
      finish(stored);
    }
  }

  private async ensureAbsent(def: ResourceDefinition, namespace: string | undefined, name: string): Promise<void> {
    const exists = await this.store.get(this.key(def, namespace, name)).then(
      () => true,
      () => false,
    );
    if (exists) throw alreadyExists(gr(def), name);
  }

  /**
   * update replaces an object (or only its status, for the status subresource). A
   * resourceVersion in the body is a precondition; without one the update is unconditional.
   */
  async update(def: ResourceDefinition, namespace: string | undefined, name: string, input: KubeObject, options: UpdateOptions = {}): Promise<StoredObject> {
    // structuredCopy: structuredClone's result at a fraction of its cost (a status write copies the body twice).
    const obj = structuredCopy(input);
    this.checkFields(def, obj, options);
    return this.guaranteedUpdate(def, namespace, name, () => structuredCopy(obj), options, true);
  }

  /**
   * patch applies a JSON, merge or strategic merge patch to the stored object (or its status),
   * or a server-side apply, which creates the object when it does not exist. A resourceVersion
   * the patch leaves in the object is a precondition; otherwise conflicts are retried. An apply
   * whose create loses to a concurrent create (or whose update loses to a delete) tries again
   * the other way, so a race never turns an apply into a 409.
   */
  async patch(def: ResourceDefinition, namespace: string | undefined, name: string, patch: Patch, options: PatchOptions = {}): Promise<PatchResult> {
    if (patch.type === 'apply') return this.apply(def, namespace, name, patch.body, options);
    if (patch.type === 'strategic' && !def.definitionName) {
      // Custom resources have no strategic-merge metadata; kube-apiserver refuses that patch type for them.
      const accepted = (['json', 'merge', 'apply'] as const).map((t) => PATCH_MEDIA_TYPES[t]);
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
    }
    let warnings: string[] = [];
    const object = await this.guaranteedUpdate(
      def,
      namespace,
      name,
      async (current, pause) => {
        // A resourceVersion left in the result came from the patch itself: a precondition.
        if (current.metadata) delete current.metadata.resourceVersion;
        const patched = applyPatch(current, patch.type as Exclude<PatchType, 'apply'>, patch.body, def.definitionName) as KubeObject;
        const paused = pause();
        if (paused) await paused;
        warnings = [];
        this.checkFields(def, patched, { ...options, warn: (w) => warnings.push(w) });
        return patched;
      },
      options,
      true,
    );
    for (const w of warnings) options.warn?.(w);
    return { object, created: false };
  }

  // apply merges an applied configuration with field ownership (server-side apply).
  private async apply(def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, options: PatchOptions): Promise<PatchResult> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the applied configuration must be an object');
    const applied = structuredClone(body) as KubeObject;
    this.checkFields(def, applied, options);
    const appliedName = applied.metadata?.name;
    if (appliedName !== undefined && appliedName !== name) throw badRequest(`the name of the object (${appliedName}) does not match the name on the URL (${name})`);
    const manager = this.managerOf(options);
    const force = options.force ?? false;
    const schema = this.patchSchema(def);
    const subresource = options.subresource === 'status' ? 'status' : undefined;
    const applyOptions = {
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
      kind: def.kind,
      subresource,
      resetFields: defaultResetFields(subresource, !!def.subresources.status),
    };
    const writeOptions = { ...options, managedFieldsDone: true, warn: undefined, fieldValidation: 'Ignore' as const };
    const pause = () => breathe(options.sizeHint);
    for (let attempt = 1; ; attempt++) {
      const exists = await this.get(def, namespace, name).then(
        () => true,
        (err) => {
          if (err instanceof StatusError && err.code === 404 && !options.subresource) return false;
          throw err;
        },
      );
      try {
        if (!exists) {
          const steps = applySteps(undefined, { ...applied, metadata: { ...applied.metadata, name } }, manager, force, schema, undefined, this.now(), applyOptions);
          const created = await runStepsPausing(steps, pause);
          const paused = pause();
          if (paused) await paused;
          // The merged object is this request's own: create need not copy it.
          return { object: await this.createPrivate(def, namespace, created.object, writeOptions), created: true };
        }
        const merge = async (current: KubeObject, pauseUpdate: () => Promise<void> | undefined) =>
          (await runStepsPausing(applySteps(current, applied, manager, force, schema, undefined, this.now(), applyOptions), pauseUpdate)).object;
        const object = await this.guaranteedUpdate(def, namespace, name, merge, writeOptions);
        return { object, created: false };
      } catch (err) {
        const raced = err instanceof StatusError && ((!exists && err.reason === 'AlreadyExists') || (exists && err.code === 404 && !options.subresource));
        if (!raced || attempt >= MAX_APPLY_ATTEMPTS) throw err;
      }
    }
  }

  // checkFields prunes the fields the kind's schema does not declare, as kube's decoder drops
  // them, and applies fieldValidation to them and to the duplicate keys the decoder found.
  private checkFields(def: ResourceDefinition, obj: KubeObject, options: WriteOptions): void {
    const unknown = pruneUnknownFields(def, obj);
    const mode = options.fieldValidation ?? 'Warn';
    if (mode === 'Ignore') return;
    const problems = { unknown, duplicate: options.duplicateFields ?? [] };
    if (!problems.unknown.length && !problems.duplicate.length) return;
    if (mode === 'Strict') throw strictDecodingError(def, problems);
    for (const w of fieldWarnings(problems)) options.warn?.(w);
  }

  /**
   * guaranteedUpdate reads the current object, asks mutate for the new one and writes it with
   * the read revision as precondition, retrying on conflict when the caller set no precondition.
   * mutate receives a private copy of the current object.
   */
  async guaranteedUpdate(
    def: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject, pause: () => Promise<void> | undefined) => KubeObject | Promise<KubeObject>,
    options: UpdateOptions = {},
    checkBodyVersion = false,
  ): Promise<StoredObject> {
    const key = this.keyOrNotFound(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      let current: KeyValue;
      try {
        current = await this.store.get(key);
      } catch (err) {
        throw fromStoreError(err, gr(def), name);
      }
      const size = Math.max(current.value.length, options.sizeHint ?? 0);
      const parsed = this.parseStored(def, current.value);
      const old = parsed instanceof Promise ? await parsed : parsed;
      let pause = breathe(size);
      if (pause) await pause;
      // mutate's private copy is a second parse of the stored text: for a large object half the
      // cost of structuredClone.
      const copy = this.copyStored(def, current.value, old);
      if ((pause = breathe(size))) await pause;
      const obj = await mutate(copy, () => breathe(size));
      if ((pause = breathe(size))) await pause;
      const bodyVersion = obj.metadata?.resourceVersion;
      if (checkBodyVersion && bodyVersion !== undefined && bodyVersion !== '' && bodyVersion !== String(current.revision)) {
        if (!/^\d+$/.test(bodyVersion)) throw badRequest(`metadata.resourceVersion: Invalid value: "${bodyVersion}": must be a decimal revision`);
        throw conflict(gr(def), name);
      }
      const next = this.prepareUpdate(def, namespace, name, obj, old, options);
      const attrs: AdmissionAttributes = {
        operation: 'UPDATE', resource: def, subresource: options.subresource, namespace: old.metadata?.namespace, name, object: next, oldObject: old, dryRun: !!options.dryRun,
        ...admissionContext('UpdateOptions', options),
      };
      await this.admission.admit(attrs);
      // Subresources (status, scale) never change what the hooks allocate.
      const finish = options.subresource === undefined || options.subresource === 'scale' ? this.writeHooks.beginUpdate(def, next, old, !!options.dryRun) : undefined;
      let stored = false;
      let removed = false;
      try {
        if ((pause = breathe(size))) await pause;
        if (!options.managedFieldsDone) await this.recordManager(def, old, next, options, options.subresource, () => breathe(size));
        if ((pause = breathe(size))) await pause;
        this.checkValid(def, this.strategyOf(def, options.subresource), next, old, options.addWarning);
        await this.admission.validate(attrs);
        checkSizeLimits(def, next, !options.dryRun);
        if ((pause = breathe(size))) await pause;
        if (jsonEqual(withoutVersion(next), withoutVersion(old))) return this.present(def, current);
        if ((pause = breathe(size))) await pause;
        if (options.dryRun) {
          const shown = await this.dryRunRoundTrip(def, next);
          return { raw: JSON.stringify({ ...shown, metadata: { ...shown.metadata, resourceVersion: String(current.revision) } }), revision: 0 };
        }
        try {
          const finalized = def.deleteStrategy?.finalized;
          // As kube's ShouldDeleteDuringUpdate: the last finalizer gone removes an object whose
          // deletion has no grace period left; a graceful deletion still waits for its final delete.
          const finalizing =
            next.metadata?.deletionTimestamp &&
            (finalized ? finalized(next) : !next.metadata.finalizers?.length && !old.metadata?.deletionGracePeriodSeconds);
          const kv = finalizing
            ? await this.store.delete(key, current.revision)
            : await this.store.update(key, await this.toStorage(def, next), current.revision);
          stored = true;
          removed = !!finalizing;
          return this.present(def, kv);
        } catch (err) {
          const status = fromStoreError(err, gr(def), name);
          const preconditioned = checkBodyVersion && bodyVersion !== undefined && bodyVersion !== '';
          if (status.reason === 'Conflict' && !preconditioned && attempt < CONFLICT_RETRIES) continue;
          throw status;
        }
      } finally {
        // A conflict retried undoes this round's allocation; the next round begins again.
        finish?.(stored);
        if (removed) this.writeHooks.afterDelete(def, next);
      }
    }
  }

  // prepareUpdate carries system fields over from old, applies the subresource's rules and bumps generation.
  private prepareUpdate(def: ResourceDefinition, namespace: string | undefined, name: string, obj: KubeObject, old: KubeObject, options: UpdateOptions): KubeObject {
    this.checkTypeMeta(def, obj);
    const meta = (obj.metadata ??= {});
    const oldMeta = old.metadata ?? {};
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && meta.namespace && namespace && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    this.checkSchema(def, obj);
    this.checkManagedFields(def, obj);
    // The client's metadata with the system fields of the stored object.
    obj.metadata = {
      ...meta,
      name,
      namespace: oldMeta.namespace,
      uid: oldMeta.uid,
      creationTimestamp: oldMeta.creationTimestamp,
      deletionTimestamp: oldMeta.deletionTimestamp,
      deletionGracePeriodSeconds: oldMeta.deletionGracePeriodSeconds,
      generation: oldMeta.generation,
    };
    const strategy = this.strategyOf(def, options.subresource);
    // Defaulting belongs to decoding in kube-apiserver: it comes before the strategy, so an
    // omitted default does not count as a spec change. Subresource writes are not defaulted,
    // but for pods/ephemeralcontainers, whose body is a whole Pod decoded as one.
    if (strategy === def.strategy || options.subresource === 'ephemeralcontainers') def.defaults?.(obj);
    const next = strategy.prepareForUpdate(obj, old);
    const nm = next.metadata!;
    for (const k of ['namespace', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'uid', 'creationTimestamp'] as const) {
      if (nm[k] === undefined) delete nm[k];
    }
    delete nm.resourceVersion;
    delete (nm as Record<string, unknown>).selfLink;
    if (oldMeta.deletionTimestamp && !sameSet(nm.finalizers, oldMeta.finalizers) && (nm.finalizers ?? []).some((f) => !(oldMeta.finalizers ?? []).includes(f))) {
      throw invalid(def.kind, def.group, name, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted' }]);
    }
    return next;
  }

  /** patchSchema is the strategic-merge and apply metadata of a kind. */
  patchSchema(def: ResourceDefinition): PatchSchema {
    return def.definitionName ? builtinPatchSchema(def.definitionName) : customPatchSchema(def);
  }

  /** managerOf names the field manager of a write. */
  managerOf(options: WriteOptions): string {
    return fieldManagerName(options.fieldManager, options.userAgent);
  }

  // recordManager records an Update operation of this write's manager in metadata.managedFields,
  // awaiting pause between its phases.
  private async recordManager(def: ResourceDefinition, old: KubeObject | undefined, next: KubeObject, options: WriteOptions, subresource: string | undefined, pause: () => Promise<void> | undefined): Promise<void> {
    const sub = subresource === 'finalize' || subresource === 'approval' || subresource === 'scale' || subresource === 'status' || subresource === 'ephemeralcontainers' ? subresource : undefined;
    const start = managedFieldsForUpdate(old, next, sub);
    const paused = pause();
    if (paused) await paused;
    const steps = recordUpdateSteps(start, this.managerOf(options), old, next, this.patchSchema(def), this.now(), sub, {
      resetFields: defaultResetFields(sub, !!def.subresources.status),
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    });
    setManagedFields(next, await runStepsPausing(steps, pause));
  }

  private checkManagedFields(def: ResourceDefinition, obj: KubeObject): void {
    const mf = obj.metadata?.managedFields;
    if (mf === undefined || mf === null) return;
    const errs = validateManagedFields(mf);
    if (errs.length) throw invalid(def.kind, def.group, obj.metadata?.name ?? '', errs);
  }

  /**
   * delete removes an object, or marks it for deletion while finalizers or a grace period hold
   * it, as kube's Store.Delete does after rest.BeforeDelete: a kind deleted gracefully gets
   * deletionTimestamp = now + its grace period and deletionGracePeriodSeconds; a later delete
   * may only shorten the period, and a period of 0 removes the object (after writing the
   * deletion marks, so watchers see them). Any other kind held by finalizers is marked with
   * deletionTimestamp now and deletionGracePeriodSeconds 0.
   */
  async delete(def: ResourceDefinition, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.keyOrNotFound(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      let current: KeyValue;
      try {
        current = await this.store.get(key);
      } catch (err) {
        throw fromStoreError(err, gr(def), name);
      }
      const parsed = this.parseStored(def, current.value);
      const old = parsed instanceof Promise ? await parsed : parsed;
      const meta = old.metadata ?? {};
      const pre = options.preconditions;
      // BeforeDelete's checks, which name the kind rather than the resource.
      const kindResource = { group: def.group, resource: def.kind };
      if (pre?.uid && pre.uid !== meta.uid) {
        throw conflict(kindResource, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${meta.uid ?? ''}). The object might have been deleted and then recreated`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== String(current.revision)) {
        throw conflict(kindResource, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${current.revision}). The object might have been modified`);
      }
      await this.admission.validate({
        operation: 'DELETE', resource: def, namespace: meta.namespace, name, oldObject: old, dryRun: !!options.dryRun,
        ...admissionContext('DeleteOptions', options),
      });
      let pause = breathe(current.value.length);
      if (pause) await pause;
      // A second parse of the stored JSON costs less than structuredClone of a large object.
      const next = this.copyStored(def, current.value, old);
      if ((pause = breathe(current.value.length))) await pause;
      const nextMeta = (next.metadata ??= {});
      const grace = this.gracefulDelete(def, old, nextMeta, options.gracePeriodSeconds);
      // Already gracefully deleting and not shortened: nothing changes.
      if (grace === 'pending') return { raw: (await this.present(def, current)).raw, deleted: false };
      // Orphan and Foreground deletion are carried out by the garbage collector through the
      // orphan and foregroundDeletion finalizers the policy puts on the object (a later delete
      // with another policy swaps them); as in kube, not while a graceful deletion is pending.
      const gcFinalizers = garbageCollectionFinalizers(def, nextMeta.finalizers, options.propagationPolicy);
      if (gcFinalizers?.length) nextMeta.finalizers = gcFinalizers;
      else if (gcFinalizers) delete nextMeta.finalizers;
      const held = def.deleteStrategy?.prepareForDelete?.(next) ?? false;
      const pendingFinalizers = (nextMeta.finalizers ?? []).length > 0;
      try {
        if (held && grace === undefined) {
          if (meta.deletionTimestamp && !gcFinalizers) return { raw: (await this.present(def, current)).raw, deleted: false };
          if (!meta.deletionTimestamp) next.metadata = { ...nextMeta, deletionTimestamp: rfc3339(this.now()), deletionGracePeriodSeconds: options.gracePeriodSeconds ?? 0 };
          return await this.writeDeletionMarks(def, key, next, current, options);
        }
        if (grace === undefined && pendingFinalizers) {
          // markAsDeleting: the deletion starts now, or stays at an earlier time already set.
          const now = this.now();
          if (!meta.deletionTimestamp && (meta.generation ?? 0) > 0) nextMeta.generation = meta.generation! + 1;
          if (!meta.deletionTimestamp || Date.parse(meta.deletionTimestamp) > now.getTime()) nextMeta.deletionTimestamp = rfc3339(now);
          nextMeta.deletionGracePeriodSeconds = 0;
          if (jsonEqual(next, old)) return { raw: (await this.present(def, current)).raw, deleted: false };
          return await this.writeDeletionMarks(def, key, next, current, options);
        }
        if (grace !== undefined) {
          const marked = await this.writeDeletionMarks(def, key, next, current, options);
          if (pendingFinalizers || held || grace > 0) return marked;
          if (options.dryRun) return { raw: marked.raw, deleted: true };
          const kv = await this.store.delete(key, marked.revision);
          this.writeHooks.afterDelete(def, old);
          return { raw: (await this.present(def, kv)).raw, deleted: true };
        }
        if (options.dryRun) return { raw: (await this.present(def, current)).raw, deleted: true, uid: meta.uid };
        const kv = await this.store.delete(key, current.revision);
        this.writeHooks.afterDelete(def, old);
        return { raw: (await this.present(def, kv)).raw, deleted: true, uid: meta.uid };
      } catch (err) {
        const status = fromStoreError(err, gr(def), name);
        if (status.reason === 'Conflict' && !pre?.resourceVersion && attempt < CONFLICT_RETRIES) continue;
        throw status;
      }
    }
  }

  /**
   * gracefulDelete applies rest.BeforeDelete's grace-period rules to the metadata of the object
   * being deleted: undefined when the kind is not deleted gracefully (or an earlier deletion had
   * no grace period left), 'pending' when an earlier graceful deletion stands unchanged, else the
   * grace period now in force, with deletionTimestamp and deletionGracePeriodSeconds set.
   */
  private gracefulDelete(def: ResourceDefinition, old: KubeObject, meta: ObjectMeta, requested: number | undefined): number | 'pending' | undefined {
    const gracePeriod = def.deleteStrategy?.gracePeriod;
    if (!gracePeriod) return undefined;
    if (requested !== undefined && requested < 0) requested = 1;
    if (meta.deletionTimestamp) {
      const current = meta.deletionGracePeriodSeconds;
      if (current === undefined || current === 0) return undefined;
      if (requested === undefined || requested >= current) return 'pending';
      // Only a shorter period is taken; the deadline moves back by the difference.
      const deadline = Date.parse(meta.deletionTimestamp) - (current - requested) * 1000;
      meta.deletionTimestamp = rfc3339(new Date(deadline));
      meta.deletionGracePeriodSeconds = requested;
      return requested;
    }
    const period = gracePeriod(old, requested);
    meta.deletionTimestamp = rfc3339(new Date(this.now().getTime() + period * 1000));
    meta.deletionGracePeriodSeconds = period;
    // The first graceful deletion bumps a generation, as controllers must see it.
    if ((meta.generation ?? 0) > 0) meta.generation = meta.generation! + 1;
    return period;
  }

  // writeDeletionMarks stores an object marked for deletion (or shows it, on a dry run).
  private async writeDeletionMarks(def: ResourceDefinition, key: string, next: KubeObject, current: KeyValue, options: DeleteOptions): Promise<DeleteResult & { revision: number }> {
    if (options.dryRun) return { raw: JSON.stringify(next), deleted: false, revision: current.revision };
    const kv = await this.store.update(key, await this.toStorage(def, next), current.revision);
    return { raw: (await this.present(def, kv)).raw, deleted: false, revision: kv.revision };
  }

  /** deleteCollection deletes every object a list query selects and answers with them. */
  async deleteCollection(def: ResourceDefinition, namespace: string | undefined, query: ListQuery, options: DeleteOptions = {}): Promise<DeleteResult[]> {
    const page = await this.list(def, namespace, { ...query, limit: 0, continue: undefined });
    const out: DeleteResult[] = [];
    for (const item of page.items) {
      const obj = this.decode(item);
      try {
        out.push(await this.delete(def, obj.metadata?.namespace, obj.metadata!.name!, options));
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  // ---- pieces of the pipeline ------------------------------------------------------------------

  private keyOrNotFound(def: ResourceDefinition, namespace: string | undefined, name: string): string {
    try {
      return this.key(def, namespace, name);
    } catch {
      // A name that cannot be a key cannot name a stored object.
      throw notFound(gr(def), name);
    }
  }

  private checkTypeMeta(def: ResourceDefinition, obj: KubeObject): void {
    const want = def.group ? `${def.group}/${def.version}` : def.version;
    if (obj.apiVersion === undefined && obj.kind === undefined) {
      obj.apiVersion = want;
      obj.kind = def.kind;
      return;
    }
    // A missing apiVersion is the endpoint's, as kube's decoder defaults it.
    if ((obj.apiVersion === undefined || obj.apiVersion === want) && obj.kind !== undefined && obj.kind !== def.kind) throw kindMismatch(def, obj);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    }
    obj.apiVersion = want;
    obj.kind = def.kind;
    if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${jsonTypeName(obj.metadata)} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`);
    }
  }

  // checkSchema rejects wrong types: built-ins as the decoder would (400), custom resources as 422.
  private checkSchema(def: ResourceDefinition, obj: KubeObject): void {
    // A custom resource is validated against its schema only after defaulting, as
    // kube-apiserver's codec defaults it while decoding (a Gateway address without a type gets
    // its default before the schema's oneOf looks at it): checkValid reports its problems.
    if (!def.definitionName) return;
    const problems = schemaErrors(def, obj).filter((p) => p.keyword !== 'required');
    if (problems.length === 0) return;
    const typeProblem = problems.find((p) => p.keyword === 'type');
    if (def.definitionName && typeProblem) {
      throw badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${typeProblem.found} into Go struct field .${typeProblem.field} of type ${typeProblem.expected}`,
      );
    }
    throw invalid(def.kind, def.group, obj.metadata?.name ?? '', problems.map((p) => p.error));
  }

  /** strategyOf is the strategy that writes a subresource (the main one for the object and its scale). */
  strategyOf(def: ResourceDefinition, subresource: UpdateOptions['subresource']): Strategy {
    const sub =
      subresource === 'status' ? def.statusStrategy
      : subresource === 'finalize' ? def.finalizeStrategy
      : subresource === 'approval' ? def.approvalStrategy
      : subresource === 'ephemeralcontainers' ? def.ephemeralContainersStrategy
      : def.strategy;
    if (!sub) throw notFound({ group: def.group, resource: `${def.plural}/${subresource}` }, '');
    return sub;
  }

  private checkValid(def: ResourceDefinition, strategy: Strategy, obj: KubeObject, old?: KubeObject, warn?: (warning: string) => void): void {
    const errs: FieldError[] = validateObjectMeta(obj, def.nameValidation ?? 'dns-subdomain', def.namespaced);
    errs.push(...canonicalizeQuantities(def, obj));
    // A kind's own validation words its required fields as kube does and in kube's order; the
    // schema's required errors only add fields it says nothing about, and never under status:
    // Go decodes a missing status count as 0, and no status rule requires one. Identical errors
    // count once, as field.ErrorList.ToAggregate does.
    const own = strategy.validate(obj, old, warn);
    const text = (e: FieldError) => `${e.field}: ${e.message}`;
    const ownFields = new Set(own.map((e) => e.field));
    const problems = schemaErrors(def, obj);
    for (const p of old && def.ratchetSchemaProblems ? def.ratchetSchemaProblems(problems, obj, old) : problems) {
      if (!def.definitionName && p.keyword !== 'required') errs.push(p.error);
      else if (p.keyword === 'required' && !ownFields.has(p.error.field) && !p.error.field.startsWith('status.')) errs.push(p.error);
    }
    errs.push(...own);
    const seen = new Set<string>();
    const unique = errs.filter((e) => !seen.has(text(e)) && seen.add(text(e)));
    if (unique.length) throw invalid(def.kind, def.group, obj.metadata?.name ?? obj.metadata?.generateName ?? '', unique);
  }

  private generateName(base: string): string {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(this.random() * GENERATE_ALPHABET.length)];
    return base.slice(0, 63 - 5) + suffix;
  }
}

// admissionContext is what admission sees of a write's options: the user, the options as an
// AdmissionReview carries them, and where its warnings go.
function admissionContext(kind: 'CreateOptions' | 'UpdateOptions' | 'DeleteOptions', options: DeleteOptions): Pick<AdmissionAttributes, 'userInfo' | 'options' | 'warn'> {
  const reviewOptions: Record<string, unknown> = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (options.dryRun) reviewOptions.dryRun = ['All'];
  if (kind === 'DeleteOptions') {
    if (options.gracePeriodSeconds !== undefined) reviewOptions.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.preconditions) reviewOptions.preconditions = options.preconditions;
    if (options.propagationPolicy) reviewOptions.propagationPolicy = options.propagationPolicy;
  } else if (options.fieldManager) {
    reviewOptions.fieldManager = options.fieldManager;
  }
  return { userInfo: options.user, options: reviewOptions, warn: options.addWarning };
}

// convertedObject is an object converted from its stored form: its text is not the stored bytes.
function convertedObject(obj: KubeObject, revision: number): StoredObject {
  return { raw: JSON.stringify(obj), revision, converted: true };
}

// watchConversionError is the error event of a watch whose conversion failed: an InternalError
// carrying the conversion's message, as kube's watcher turns a decoding error into one.
function watchConversionError(err: unknown): StatusError {
  if (err instanceof StatusError && err.reason) return err;
  const message = err instanceof Error ? err.message : 'conversion failed';
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

function gr(def: ResourceDefinition) {
  return { group: def.group, resource: def.plural };
}


// withoutVersion is what a no-op check compares: a write that would change only the
// resourceVersion or managedFields timestamps is not made (kube's
// IgnoreManagedFieldsTimestampsTransformer), but one that changes who owns what is, such as a
// second applier of the same value becoming a co-owner.
function withoutVersion(o: KubeObject): KubeObject {
  const managedFields = Array.isArray(o.metadata?.managedFields)
    ? o.metadata.managedFields.map((e) => ({ ...e, time: undefined }))
    : undefined;
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields } };
}

function sameSet(a: string[] = [], b: string[] = []): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/** parseRevision reads a resourceVersion; anything but a positive decimal is a 400. */
export function parseRevision(rv: string): number {
  if (!/^\d{1,15}$/.test(rv) || Number(rv) === 0) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}


/** bookmarkBody is the object of a BOOKMARK event: only kind, apiVersion and resourceVersion. */
function bookmarkBody(def: ResourceDefinition, revision: number, initialEventsEnd: boolean): string {
  const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return JSON.stringify({ kind: def.kind, apiVersion: def.group ? `${def.group}/${def.version}` : def.version, metadata });
}
