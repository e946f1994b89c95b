/**
 * The garbage collector, as kube's pkg/controller/garbagecollector: it watches the metadata of
 * every served resource that can be listed, watched and deleted (custom resources included,
 * re-discovered periodically and whenever a CustomResourceDefinition changes), keeps the owner
 * graph of their ownerReferences, and carries out the three deletion propagations:
 * - background: an object whose owners are all gone is deleted; one that still has a valid
 *   owner only loses its dangling references;
 * - foreground: an owner carrying foregroundDeletion has its dependents deleted (those that
 *   have dependents of their own in the foreground) and loses the finalizer once no dependent
 *   with blockOwnerDeletion remains;
 * - orphan: an owner carrying the orphan finalizer is taken out of its dependents'
 *   ownerReferences, then loses the finalizer.
 * Two work queues (attemptToDelete, attemptToOrphan) keyed by uid retry with backoff. Every
 * decision re-reads the live objects, and everything it acts on is in the objects themselves,
 * so a restart mid-way carries on where the objects say.
 */
import type { KubeObject } from '../../schemas/types';
import { apiVersionOf, isConflict, resourceKey, type APIResourceInfo, type Client, type DeleteOptions } from '../runtime/client';
import type { OwnerReference } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import {
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  OwnerGraph,
  formatIdentity,
  hasFinalizer,
  type GraphEvent,
  type GraphNode,
  type ObjectIdentity,
} from './graph';
import { GcOperations, RestMappingError, errorMessage } from './operations';

/** GarbageCollectorOptions tune the collector. */
export interface GarbageCollectorOptions {
  /** workers of each queue (kube's --concurrent-gc-syncs, default 20) */
  workers?: number;
  /** resyncMs is how often discovery is read again for new resources (default 30 s, as kube) */
  resyncMs?: number;
  /** initialSyncTimeoutMs bounds how long run() waits for the first lists before collecting anyway */
  initialSyncTimeoutMs?: number;
  /** ignoredResources are group/resource names never watched (default: both events APIs, as kube) */
  ignoredResources?: string[];
}

/** DEFAULT_IGNORED_RESOURCES are kube's DefaultIgnoredResources: events own nothing and are many. */
export const DEFAULT_IGNORED_RESOURCES: readonly string[] = ['/events', 'events.k8s.io/events'];

// Outcomes of attemptToDeleteItem that are not failures and need no retry.
class VirtualDeleteEnqueued extends Error {}
class NamespacedOwnerOfClusterScoped extends Error {}

interface Monitor {
  info: APIResourceInfo;
  informer: Informer;
}

/** GarbageCollector is the garbage-collector-controller. */
export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private log!: (record: Record<string, unknown>) => void;
  private ops!: GcOperations;
  /** graph is the owner graph (exposed for tests and debugging). */
  graph!: OwnerGraph;
  private deleteQueue!: WorkQueue;
  private orphanQueue!: WorkQueue;
  private discoveryQueue!: WorkQueue;
  private readonly monitors = new Map<string, Monitor>();
  private stopped = false;

  constructor(private readonly options: GarbageCollectorOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.ops = new GcOperations(ctx.client);
    const workers = this.options.workers ?? 20;
    const queue = (failure: string, reconcile: (key: string) => Promise<ReconcileResult | void>, n: number) =>
      new WorkQueue(reconcile, { failure, workers: n, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.deleteQueue = queue('garbage collector attemptToDelete failed', (uid) => this.attemptToDelete(uid), workers);
    this.orphanQueue = queue('garbage collector attemptToOrphan failed', (uid) => this.attemptToOrphan(uid), workers);
    this.discoveryQueue = queue('garbage collector resource discovery failed', () => this.resync(), 1);
    this.graph = new OwnerGraph({
      attemptToDelete: (node, rateLimited) => (rateLimited ? this.deleteQueue.addRateLimited(node.identity.uid) : this.deleteQueue.add(node.identity.uid)),
      attemptToOrphan: (node) => this.orphanQueue.add(node.identity.uid),
      invalidNamespaceOwnerRef: (dep, ownerUid) => this.reportInvalidNamespaceOwnerRef(dep, ownerUid),
    });
  }

  /** run discovers and lists every resource, waits (bounded) for the lists, then starts collecting. */
  async run(): Promise<void> {
    let discovered = true;
    try {
      await this.syncMonitors();
    } catch (err) {
      discovered = false;
      this.log({ level: 'error', msg: 'garbage collector: discovery failed, retrying', error: String(err) });
    }
    const timeout = this.options.initialSyncTimeoutMs ?? 30_000;
    let timer: unknown;
    const synced = await Promise.race([
      Promise.all([...this.monitors.values()].map((m) => m.informer.waitForSync())).then(() => true),
      new Promise<boolean>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), timeout))),
    ]);
    this.clock.clearTimeout(timer);
    if (!synced) this.log({ level: 'info', msg: 'garbage collector: not all resource monitors synced, proceeding anyway' });
    if (this.stopped) return;
    this.deleteQueue.start();
    this.orphanQueue.start();
    this.discoveryQueue.start();
    // A failed first discovery is retried at once (with backoff), not after a whole period.
    if (discovered) this.discoveryQueue.addAfter('discovery', this.options.resyncMs ?? 30_000);
    else this.discoveryQueue.add('discovery');
  }

  stop(): void {
    this.stopped = true;
    this.deleteQueue?.stop();
    this.orphanQueue?.stop();
    this.discoveryQueue?.stop();
    for (const m of this.monitors.values()) m.informer.stop();
    this.monitors.clear();
  }

  /** monitoredResources answers the group/version/resource keys watched now (for tests). */
  monitoredResources(): string[] {
    return [...this.monitors.keys()];
  }

  // ---- monitors: one metadata informer per deletable resource ----------------------------------

  private async resync(): Promise<ReconcileResult> {
    await this.syncMonitors();
    return { requeueAfter: this.options.resyncMs ?? 30_000 };
  }

  // syncMonitors starts informers for resources discovery now serves and stops those it no longer does.
  private async syncMonitors(): Promise<void> {
    const ignored = new Set(this.options.ignoredResources ?? DEFAULT_IGNORED_RESOURCES);
    const resources = (await this.client.serverPreferredResources()).filter(
      (r) => ['delete', 'list', 'watch'].every((v) => r.verbs.includes(v)) && !ignored.has(`${r.group}/${r.resource}`),
    );
    if (this.stopped || resources.length === 0) return;
    this.ops.learn(resources);
    const wanted = new Map(resources.map((r) => [resourceKey(r), r]));
    for (const [key, m] of this.monitors) {
      if (wanted.has(key) && wanted.get(key)!.kind === m.info.kind) continue;
      m.informer.stop();
      this.monitors.delete(key);
    }
    const added: string[] = [];
    for (const [key, info] of wanted) {
      if (this.monitors.has(key)) continue;
      const informer = new Informer(this.client, info, { transform: metadataOnly, clock: this.clock, log: this.log });
      const apiVersion = apiVersionOf(info);
      const isCRDs = info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions';
      const observe = (type: GraphEvent['type'], object: Readonly<KubeObject>, oldObject?: Readonly<KubeObject>, initial = false) => {
        this.graph.process({ type, apiVersion, kind: info.kind, object, oldObject });
        // A CRD that comes, goes or becomes established changes what is served: look again.
        if (isCRDs && !initial) this.rediscoverSoon();
      };
      informer.addEventHandler({
        onAdd: (obj, initial) => observe('add', obj, undefined, initial),
        onUpdate: (old, obj) => observe('update', obj, old),
        onDelete: (obj) => observe('delete', obj),
      });
      this.monitors.set(key, { info, informer });
      if (!this.stopped) informer.run();
      added.push(key);
    }
    if (added.length) this.log({ level: 'info', msg: 'garbage collector monitors started', resources: added.length, total: this.monitors.size });
  }

  // rediscoverSoon reads discovery now, and once more shortly after: a CRD's resource is served
  // a moment after the CRD itself changes.
  private rediscoverSoon(): void {
    this.discoveryQueue.add('discovery');
    this.discoveryQueue.later(() => this.discoveryQueue.add('discovery'), 1000);
  }

  // ---- attemptToDelete ---------------------------------------------------------------------------

  private async attemptToDelete(uid: string): Promise<ReconcileResult | void> {
    const node = this.graph.node(uid);
    if (!node) return;
    try {
      await this.attemptToDeleteItem(node);
    } catch (err) {
      if (err instanceof VirtualDeleteEnqueued) return;
      if (err instanceof NamespacedOwnerOfClusterScoped) {
        this.log({ level: 'info', msg: 'garbage collector: a cluster-scoped object names a namespaced owner', item: formatIdentity(node.identity) });
        return;
      }
      this.failed(this.deleteQueue, node, 'FailedGarbageCollection', err);
      throw err;
    }
    // An owner the server has but no informer showed yet: look again until one does, so a
    // virtual node never outlives its object unnoticed.
    if (this.graph.node(uid)?.virtual) return { requeue: true };
  }

  // attemptToDeleteItem deletes node's object when none of its owners remains (or when it is a
  // blocking dependent of an owner deleting in the foreground), and removes dangling references
  // from an object that keeps a valid owner.
  private async attemptToDeleteItem(node: GraphNode): Promise<void> {
    // Being deleted is a one-way trip: its dependents are dealt with once it is gone.
    if (node.beingDeleted && !node.deletingDependents) return;
    const found = await this.ops.get(node.identity);
    // Absent (or a namesake): the graph learns so, which also verifies a virtual node.
    const latest = found && found.metadata?.uid === node.identity.uid ? found : this.virtualDelete(node.identity);
    if (node.deletingDependents) return this.processDeletingDependents(node);
    const refs = (latest.metadata?.ownerReferences ?? []) as unknown as OwnerReference[];
    if (refs.length === 0) return;
    const { solid, dangling, waiting } = await this.classifyReferences(node, refs);
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      // A reference to an owner deleting in the foreground goes too, or that owner would wait forever.
      const gone = new Set([...dangling, ...waiting].map((r) => r.uid));
      const found = await this.ops.editOwnerReferences(node.identity, (current) => {
        const kept = current.filter((r) => !gone.has(r.uid));
        return kept.length === current.length ? undefined : kept;
      });
      if (!found) this.virtualDelete(node.identity);
      return;
    }
    if (waiting.length && node.dependents.size) {
      // Deleting this object in the foreground too; when a dependent already is, the chain may be
      // a cycle, so this object stops blocking its owners first.
      if ([...node.dependents].some((d) => d.deletingDependents)) {
        await this.ops.editOwnerReferences(node.identity, (current) =>
          current.some((r) => r.blockOwnerDeletion === true) ? current.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r)) : undefined,
        );
      }
      await this.deleteItem(node, latest, 'Foreground');
      return;
    }
    // No owner left: delete it, keeping the propagation a finalizer on it already asks for.
    const meta = latest.metadata;
    const policy = hasFinalizer(meta, ORPHAN_FINALIZER) ? 'Orphan' : hasFinalizer(meta, FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    await this.deleteItem(node, latest, policy);
  }

  private async deleteItem(node: GraphNode, latest: KubeObject, policy: DeleteOptions['propagationPolicy']): Promise<void> {
    const deleted = await this.ops.delete(node.identity, latest.metadata?.resourceVersion, latest.metadata?.ownerReferences, policy);
    if (!deleted) this.virtualDelete(node.identity);
  }

  // processDeletingDependents: an owner deleting in the foreground loses its finalizer once no
  // blocking dependent remains; until then its blocking dependents are deleted.
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = node.blockingDependents();
    if (!blocking.length) {
      await this.ops.removeFinalizer(node.identity, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.deleteQueue.add(dep.identity.uid);
  }

  // classifyReferences sorts references into solid (the owner exists and is not deleting in the
  // foreground), dangling (absent) and waiting (deleting its dependents in the foreground).
  private async classifyReferences(node: GraphNode, refs: OwnerReference[]): Promise<{ solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[] }> {
    const out = { solid: [] as OwnerReference[], dangling: [] as OwnerReference[], waiting: [] as OwnerReference[] };
    for (const ref of refs) {
      const owner = await this.liveOwner(ref, node);
      if (!owner) out.dangling.push(ref);
      else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner.metadata, FOREGROUND_FINALIZER)) out.waiting.push(ref);
      else out.solid.push(ref);
    }
    return out;
  }

  // liveOwner answers the owner a reference names as the server has it, or undefined when it is
  // absent (remembered, so its other dependents need not ask again).
  private async liveOwner(ref: OwnerReference, item: GraphNode): Promise<KubeObject | undefined> {
    const coordinates: ObjectIdentity = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: '' };
    const absent = this.graph.absentOwners;
    if (absent.has(coordinates) || absent.has({ ...coordinates, namespace: item.identity.namespace })) return undefined;
    const res = await this.ops.resolve(ref.apiVersion, ref.kind);
    if (res.namespaced && !item.identity.namespace) throw new NamespacedOwnerOfClusterScoped();
    const key = res.namespaced ? { ...coordinates, namespace: item.identity.namespace } : coordinates;
    const owner = await this.ops.getAt(res, key, ref.name);
    if (!owner || owner.metadata?.uid !== ref.uid) {
      absent.add(key);
      return undefined;
    }
    return owner;
  }

  // virtualDelete tells the graph the object of identity is absent, and ends this attempt.
  private virtualDelete(identity: ObjectIdentity): never {
    this.graph.process({
      type: 'delete',
      virtual: true,
      apiVersion: identity.apiVersion,
      kind: identity.kind,
      object: { apiVersion: identity.apiVersion, kind: identity.kind, metadata: { name: identity.name, namespace: identity.namespace || undefined, uid: identity.uid } },
    });
    throw new VirtualDeleteEnqueued();
  }

  // ---- attemptToOrphan ---------------------------------------------------------------------------

  // attemptToOrphan removes an owner deleted with the orphan finalizer from its dependents'
  // ownerReferences, then removes the finalizer so the owner goes.
  private async attemptToOrphan(uid: string): Promise<void> {
    const owner = this.graph.node(uid);
    if (!owner) return;
    try {
      const results = await Promise.allSettled(
        [...owner.dependents].map((dep) =>
          this.ops.editOwnerReferences(dep.identity, (current) => {
            const kept = current.filter((r) => r.uid !== uid);
            return kept.length === current.length ? undefined : kept;
          }),
        ),
      );
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      await this.ops.removeFinalizer(owner.identity, ORPHAN_FINALIZER);
    } catch (err) {
      this.failed(this.orphanQueue, owner, 'FailedOrphaning', err);
      throw err;
    }
  }

  // ---- events --------------------------------------------------------------------------------

  // failed records a Warning on the object the first time an attempt fails (retries follow with
  // backoff and are only logged); conflicts and kinds not served yet are routine and get none.
  private failed(queue: WorkQueue, node: GraphNode, reason: string, err: unknown): void {
    if (node.virtual || err instanceof RestMappingError) return;
    if (isConflict(err)) return;
    if (queue.rateLimiter.failures(node.identity.uid) > 0) return;
    void this.recorder.event(referenceObject(node.identity), 'Warning', reason, errorMessage(err));
  }

  private reportInvalidNamespaceOwnerRef(dep: GraphNode, ownerUid: string): void {
    const ref = dep.owners.find((o) => o.uid === ownerUid);
    if (!ref) return;
    const invalid: ObjectIdentity = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: dep.identity.namespace };
    void this.recorder.event(
      referenceObject(dep.identity),
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${formatIdentity(invalid)} does not exist in namespace "${dep.identity.namespace}"`,
    );
  }
}

/** metadataOnly is the informer transform of the collector: only what the graph reads is kept. */
export function metadataOnly(obj: KubeObject): KubeObject {
  const m = obj.metadata ?? {};
  const metadata: KubeObject['metadata'] = { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.namespace) metadata.namespace = m.namespace;
  if (m.ownerReferences?.length) metadata.ownerReferences = m.ownerReferences;
  if (m.finalizers?.length) metadata.finalizers = m.finalizers;
  if (m.deletionTimestamp) metadata.deletionTimestamp = m.deletionTimestamp;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
}

function referenceObject(id: ObjectIdentity): KubeObject {
  return { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, namespace: id.namespace || undefined, uid: id.uid } };
}
