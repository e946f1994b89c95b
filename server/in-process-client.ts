/**
 * InProcessClient is the controllers' Client inside the server process: each verb is a call on
 * the generic registry, so a controller's write runs the same admission, validation and
 * managedFields pipeline as the same write over HTTP, under the client's field manager, with no
 * HTTP hop. Resources are resolved through the ResourceTable, so custom resources work as they
 * are served.
 */
import type { Registry, RegistryWatchEvent, StoredObject } from './registry/generic-registry';
import type { ResourceTable } from './registry/resource-table';
import { scaleOf } from './http/handlers/scale';
import { evictPod } from './registry/pod-subresources';
import { StatusError, badRequest, conflict, notFound } from '../schemas/meta/status-error';
import { setValueAt } from '../schemas/meta/json';
import { deepFreeze } from '../store/object-cache';
import type { KubeObject, ResourceDefinition } from '../schemas/types';
import {
  ApiError,
  apiVersionOf,
  type APIResourceInfo,
  type Client,
  type DeleteOptions,
  type Eviction,
  type GroupVersionKind,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type ResourceDescriptor,
  type Scale,
  type UpdateOptions,
  type WatchEvent,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
} from '../controllers/runtime/client';

/** InProcessClient implements Client on a Registry and its ResourceTable. */
export class InProcessClient implements Client {
  constructor(
    private readonly registry: Registry,
    private readonly resources: ResourceTable,
    readonly fieldManager: string,
    readonly userAgent: string = `nodeless/${fieldManager}`,
  ) {}

  withFieldManager(fieldManager: string, userAgent?: string): Client {
    return new InProcessClient(this.registry, this.resources, fieldManager, userAgent);
  }

  async resourceFor(gvk: GroupVersionKind): Promise<ResourceDescriptor> {
    const def = this.resources.byKind(gvk.group, gvk.version, gvk.kind);
    if (!def) throw new ApiError(notFound({ group: gvk.group, resource: gvk.kind }, '').status);
    return descriptorOf(def);
  }

  async serverPreferredResources(): Promise<APIResourceInfo[]> {
    const out: APIResourceInfo[] = [];
    for (const g of this.resources.groups()) {
      for (const def of this.resources.resourcesOf(g.group, g.preferred)) out.push({ ...descriptorOf(def), kind: def.kind, verbs: [...def.verbs] });
    }
    return out;
  }

  get<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<T> {
    return call(async () => parse<T>(await this.registry.get(this.def(res), namespace, name)));
  }

  list<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options: ListOptions = {}): Promise<ObjectList<T>> {
    return call(async () => {
      const def = this.def(res);
      const page = await this.registry.list(def, namespace, options);
      const metadata: ObjectList<T>['metadata'] = { resourceVersion: page.resourceVersion };
      if (page.continue) metadata.continue = page.continue;
      if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
      return { apiVersion: apiVersionOf(res), kind: def.listKind, metadata, items: page.items.map((i) => parse<T>(i)) };
    });
  }

  watch<T extends KubeObject = KubeObject>(res: ResourceDescriptor, namespace: string | undefined, options: WatchOptions = {}): Promise<WatchStream<T>> {
    return call(async () => {
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      options.signal?.addEventListener('abort', onAbort);
      if (options.signal?.aborted) abort.abort();
      const { signal: _signal, timeoutSeconds, ...query } = options;
      const registry = this.registry;
      const events = await registry.watch(this.def(res), namespace, query, abort.signal);
      const timer = timeoutSeconds ? setTimeout(() => abort.abort(), timeoutSeconds * 1000) : undefined;
      const close = () => {
        abort.abort();
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        void events.return(undefined);
      };
      return {
        close,
        async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent<T>> {
          try {
            for await (const ev of events) {
              if (abort.signal.aborted) return;
              yield { type: ev.type, object: watchObject(registry, ev) } as WatchEvent<T>;
            }
          } finally {
            close();
          }
        },
      };
    });
  }

  create<T extends KubeObject>(res: ResourceDescriptor, namespace: string | undefined, obj: T, options: WriteOptions = {}): Promise<T> {
    return call(async () => parse<T>(await this.registry.create(this.def(res), namespace, withNamespace(obj, namespace), this.writeOptions(options))));
  }

  update<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: UpdateOptions = {}): Promise<T> {
    return call(async () => {
      const { namespace, name } = nameOf(obj);
      return parse<T>(await this.registry.update(this.def(res), namespace, name, obj, { ...this.writeOptions(options), subresource: options.subresource }));
    });
  }

  updateStatus<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: WriteOptions = {}): Promise<T> {
    return this.update(res, obj, { ...options, subresource: 'status' });
  }

  patch<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    return call(async () => {
      const result = await this.registry.patch(this.def(res), namespace, name, { type, body }, { ...this.writeOptions(options), force: options.force, subresource: options.subresource });
      return parse<T>(result.object);
    });
  }

  apply<T extends KubeObject>(res: ResourceDescriptor, obj: T, options: PatchOptions = {}): Promise<T> {
    return this.patch<T>(res, obj.metadata?.namespace || undefined, obj.metadata?.name ?? '', 'apply', obj, options);
  }

  delete(res: ResourceDescriptor, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject | undefined> {
    return call(async () => {
      const result = await this.registry.delete(this.def(res), namespace, name, { ...this.writeOptions(options), ...deleteOptions(options) });
      return result.deleted ? undefined : (JSON.parse(result.raw) as KubeObject);
    });
  }

  deleteCollection(res: ResourceDescriptor, namespace: string | undefined, list: ListOptions = {}, options: DeleteOptions = {}): Promise<void> {
    return call(async () => {
      await this.registry.deleteCollection(this.def(res), namespace, list, { ...this.writeOptions(options), ...deleteOptions(options), preconditions: undefined });
    });
  }

  getScale(res: ResourceDescriptor, namespace: string | undefined, name: string): Promise<Scale> {
    return call(async () => {
      const def = this.scalable(res);
      return scaleOf(def, this.registry.decode(await this.registry.get(def, namespace, name))) as Scale;
    });
  }

  updateScale(res: ResourceDescriptor, namespace: string | undefined, name: string, scale: Scale, options: WriteOptions = {}): Promise<Scale> {
    return call(async () => {
      const def = this.scalable(res);
      const replicas = scale.spec?.replicas;
      if (replicas !== undefined && !Number.isInteger(replicas)) throw badRequest('Scale.spec.replicas must be an integer');
      const stored = await this.registry.guaranteedUpdate(
        def,
        namespace,
        name,
        (current) => {
          const rv = scale.metadata?.resourceVersion;
          if (rv && rv !== current.metadata?.resourceVersion) throw conflict({ group: def.group, resource: def.plural }, name);
          setValueAt(current, def.subresources.scale!.specReplicasPath, replicas ?? 0);
          return current;
        },
        { ...this.writeOptions(options), subresource: 'scale' },
      );
      return scaleOf(def, JSON.parse(stored.raw) as KubeObject) as Scale;
    });
  }

  createEviction(namespace: string, name: string, eviction: Eviction = {}): Promise<void> {
    // The same EvictionREST logic the HTTP pods/eviction handler calls: budgets, DisruptionTarget, delete.
    return call(async () => {
      const pods = this.def({ group: '', version: 'v1', resource: 'pods', namespaced: true });
      const { kind: _kind, apiVersion: _apiVersion, ...requested } = eviction.deleteOptions ?? {};
      await evictPod({ registry: this.registry, resources: this.resources, pods }, namespace, name, {
        ...this.writeOptions(requested),
        ...deleteOptions(requested),
      });
    });
  }

  private def(res: ResourceDescriptor): ResourceDefinition {
    const def = this.resources.lookup(res.group, res.version, res.resource);
    if (!def) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    return def;
  }

  private scalable(res: ResourceDescriptor): ResourceDefinition {
    const def = this.def(res);
    if (!def.subresources.scale) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    return def;
  }

  private writeOptions(options: WriteOptions): { dryRun: boolean; fieldManager: string; userAgent: string } {
    return { dryRun: !!options.dryRun, fieldManager: this.fieldManager, userAgent: this.userAgent };
  }
}

/** descriptorOf is the descriptor of a served ResourceDefinition. */
export function descriptorOf(def: ResourceDefinition): ResourceDescriptor {
  return { group: def.group, version: def.version, resource: def.plural, namespaced: def.namespaced, kind: def.kind };
}

// call runs a registry call and turns its StatusError into the Client's ApiError.
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StatusError) throw new ApiError(structuredClone(err.status));
    throw err;
  }
}

// watchObject answers a watch event's object, deep-frozen: a stored object is decoded once for
// every in-process watcher of it (through the registry's decoded cache), so a dozen informers
// of one large object cost one parse; anything else (a bookmark, a Status, a converted object)
// is this watcher's own parse, frozen alike so that every watch object is read-only.
function watchObject(registry: Registry, ev: RegistryWatchEvent): Readonly<KubeObject> {
  const stored = ev.object;
  if (stored && !stored.converted) return registry.decoded.decode<KubeObject>({ revision: stored.revision, value: stored.raw });
  return deepFreeze(JSON.parse(ev.raw) as KubeObject);
}

// parse answers a private copy of a stored object.
function parse<T>(obj: StoredObject): T {
  return JSON.parse(obj.raw) as T;
}

function withNamespace<T extends KubeObject>(obj: T, namespace: string | undefined): T {
  if (!namespace || obj.metadata?.namespace === namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

function nameOf(obj: KubeObject): { namespace: string | undefined; name: string } {
  const name = obj.metadata?.name;
  if (!name) throw badRequest('name is required');
  return { namespace: obj.metadata?.namespace || undefined, name };
}

function deleteOptions(options: DeleteOptions): Pick<DeleteOptions, 'gracePeriodSeconds' | 'propagationPolicy' | 'preconditions'> {
  const grace = options.gracePeriodSeconds;
  return { gracePeriodSeconds: grace !== undefined && grace < 0 ? 1 : grace, propagationPolicy: options.propagationPolicy, preconditions: options.preconditions };
}
