/**
 * The garbage collector's requests, as kube's garbagecollector/operations.go and patch.go: reads
 * and writes of any kind addressed by an ObjectIdentity, its apiVersion and kind resolved to a
 * served resource through discovery. Every write is conditional: deletes carry the uid (and the
 * resourceVersion the decision was made on), and ownerReference and finalizer edits are JSON
 * merge patches that carry the resourceVersion they were computed from, so they work for custom
 * resources too (which take no strategic merge patch) and never land on a newer state unseen.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { ApiError, isConflict, isNotFound, type Client, type DeleteOptions, type ResourceDescriptor } from '../runtime/client';
import type { OwnerReference } from '../runtime/controller-ref';
import type { ObjectIdentity } from './graph';

/** RestMappingError: an apiVersion and kind the server does not serve (yet: a CRD may come). */
export class RestMappingError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`unable to map kind ${kind} of version ${apiVersion} to a served resource`);
    this.name = 'RestMappingError';
  }
}

/** CONFLICT_RETRIES is how often an edit re-reads and retries after a conflict before the queue's backoff takes over (client-go's retry.DefaultBackoff steps). */
const CONFLICT_RETRIES = 5;

/** GcOperations performs the collector's requests through one Client. */
export class GcOperations {
  private readonly mapping = new Map<string, ResourceDescriptor>();

  constructor(private readonly client: Client) {}

  /** learn records discovered resources for resolve (the rest are looked up on demand); it forgets earlier answers. */
  learn(resources: ResourceDescriptor[]): void {
    this.mapping.clear();
    for (const r of resources) if (r.kind) this.mapping.set(`${r.group ? `${r.group}/${r.version}` : r.version}|${r.kind}`, r);
  }

  /** resolve maps an apiVersion and kind to a served resource; RestMappingError when none is served. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceDescriptor> {
    const key = `${apiVersion}|${kind}`;
    const known = this.mapping.get(key);
    if (known) return known;
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    try {
      const res = await this.client.resourceFor({ group, version, kind });
      this.mapping.set(key, res);
      return res;
    } catch (err) {
      if (isNotFound(err)) throw new RestMappingError(apiVersion, kind);
      throw err;
    }
  }

  /** get reads the live object of an identity; undefined when it is absent (a namesake with another uid included). */
  async get(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const res = await this.resolve(id.apiVersion, id.kind);
    return this.getAt(res, id, id.name);
  }

  /** getAt reads an object of res by name in id's namespace (none for cluster-scoped kinds); undefined when absent. */
  async getAt(res: ResourceDescriptor, id: Pick<ObjectIdentity, 'namespace'>, name: string): Promise<KubeObject | undefined> {
    // A namespaced kind named from a cluster-scoped object has no namespace to look in.
    if (res.namespaced && !id.namespace) return undefined;
    try {
      return await this.client.get(res, res.namespaced ? id.namespace : undefined, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * delete deletes the object of id with policy, on condition of its uid and of resourceVersion
   * (when given). When only the resourceVersion is stale and the ownerReferences the decision
   * was made on are unchanged, the delete is made again without it, so unrelated updates cannot
   * starve the collector. It answers false when the object is already gone.
   */
  async delete(id: ObjectIdentity, resourceVersion: string | undefined, owners: unknown, policy: DeleteOptions['propagationPolicy']): Promise<boolean> {
    const res = await this.resolve(id.apiVersion, id.kind);
    const ns = res.namespaced ? id.namespace : undefined;
    try {
      await this.client.delete(res, ns, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid, ...(resourceVersion ? { resourceVersion } : {}) } });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err) || !resourceVersion) throw err;
      const live = await this.getAt(res, id, id.name);
      if (!live || live.metadata?.uid !== id.uid) return false;
      if (live.metadata?.resourceVersion !== resourceVersion && jsonEqual(live.metadata?.ownerReferences ?? [], owners ?? [])) {
        return this.delete(id, undefined, undefined, policy);
      }
      throw err;
    }
  }

  /**
   * editOwnerReferences rewrites the ownerReferences of id's live object with edit (answering
   * the new list, or undefined for no change), retrying conflicts a few times. It answers false
   * when the object is gone.
   */
  async editOwnerReferences(id: ObjectIdentity, edit: (refs: OwnerReference[]) => OwnerReference[] | undefined): Promise<boolean> {
    return this.editMetadata(id, (live) => {
      const next = edit((live.metadata?.ownerReferences ?? []) as unknown as OwnerReference[]);
      return next && { ownerReferences: next.length ? next : null };
    });
  }

  /** removeFinalizer takes one finalizer off id's live object (which may then go); false when it is gone. */
  async removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<boolean> {
    return this.editMetadata(id, (live) => {
      const finalizers = live.metadata?.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      const rest = finalizers.filter((f) => f !== finalizer);
      return { finalizers: rest.length ? rest : null };
    });
  }

  // editMetadata reads the live object and merge-patches the metadata change computed from it,
  // conditional on the resourceVersion read.
  private async editMetadata(id: ObjectIdentity, change: (live: KubeObject) => Record<string, unknown> | undefined): Promise<boolean> {
    const res = await this.resolve(id.apiVersion, id.kind);
    for (let attempt = 1; ; attempt++) {
      const live = await this.getAt(res, id, id.name);
      if (!live || live.metadata?.uid !== id.uid) return false;
      const patch = change(live);
      if (!patch) return true;
      try {
        await this.client.patch(res, res.namespaced ? id.namespace : undefined, id.name, 'merge', {
          metadata: { ...patch, resourceVersion: live.metadata?.resourceVersion },
        });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        if (!isConflict(err) || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }
}

/** errorMessage is the text of a failure for an event: the server's message when it answered. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
