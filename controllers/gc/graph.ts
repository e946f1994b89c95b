/**
 * The garbage collector's owner graph, in the shape of kube's pkg/controller/garbagecollector
 * graph.go and graph_builder.go: one node per object uid, with the ownerReferences the object
 * carries and the set of nodes whose ownerReferences name it. An owner referenced before (or
 * without) being seen is a virtual node, which the collector verifies against the API server.
 * The graph only records and points: what it finds worth a look it hands to a GraphSink (the
 * collector's attemptToDelete and attemptToOrphan queues). Everything in it is derived from the
 * objects' metadata, so a restarted collector rebuilds the same graph from a fresh list.
 */
import type { KubeObject, ObjectMeta } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import type { OwnerReference } from '../runtime/controller-ref';

/** ORPHAN_FINALIZER (metav1.FinalizerOrphanDependents) asks the collector to orphan an object's dependents before it goes. */
export const ORPHAN_FINALIZER = 'orphan';
/** FOREGROUND_FINALIZER (metav1.FinalizerDeleteDependents) asks the collector to delete an object's dependents before it goes. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** ObjectIdentity names one object: the coordinates of an ownerReference plus its namespace ('' when cluster-scoped). */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  namespace: string;
}

/** identityKey is a string naming an identity exactly (for the absent-owner cache). */
export function identityKey(id: ObjectIdentity): string {
  return [id.apiVersion, id.kind, id.namespace, id.name, id.uid].join('\u0000');
}

/** sameIdentity compares every coordinate of two identities. */
export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace;
}

/** formatIdentity renders an identity as kube's objectReference.String() does, for events and logs. */
export function formatIdentity(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

/** matchesCoordinates is true when an ownerReference names exactly this identity's uid, name, kind and apiVersion. */
export function matchesCoordinates(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

/** GraphNode is one object (or a virtual owner) in the graph. */
export class GraphNode {
  /** dependents are the nodes whose ownerReferences name this node's uid */
  readonly dependents = new Set<GraphNode>();

  constructor(
    public identity: ObjectIdentity,
    /** owners are the object's ownerReferences as last observed */
    public owners: OwnerReference[],
    /** beingDeleted: the object has a deletionTimestamp (a one-way trip) */
    public beingDeleted: boolean,
    /** deletingDependents: it is being deleted and carries foregroundDeletion */
    public deletingDependents: boolean,
    /** virtual: referenced as an owner but never observed through an informer */
    public virtual: boolean,
  ) {}

  /** blockingDependents are the dependents whose reference to this node has blockOwnerDeletion true. */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((dep) => dep.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true));
  }
}

/** GraphEvent is one change the graph learns of: from an informer, or virtual (the collector found the object absent). */
export interface GraphEvent {
  type: 'add' | 'update' | 'delete';
  /** apiVersion and kind of the resource the object was observed through */
  apiVersion: string;
  kind: string;
  object: Readonly<KubeObject>;
  oldObject?: Readonly<KubeObject>;
  virtual?: boolean;
}

/** GraphSink receives what the graph finds worth a look. */
export interface GraphSink {
  /** attemptToDelete: check the node against the server (delete it if its owners are gone, verify a virtual node...). */
  attemptToDelete(node: GraphNode, rateLimited?: boolean): void;
  /** attemptToOrphan: the node is being deleted with the orphan finalizer. */
  attemptToOrphan(node: GraphNode): void;
  /** invalidNamespaceOwnerRef: dependent names an owner observed in another namespace. */
  invalidNamespaceOwnerRef(dependent: GraphNode, ownerUid: string): void;
}

/** ReferenceCache is a bounded LRU set of identities known to be absent (kube's absentOwnerCache). */
export class ReferenceCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly max = 500) {}
  has(id: ObjectIdentity): boolean {
    const key = identityKey(id);
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }
  add(id: ObjectIdentity): void {
    const key = identityKey(id);
    this.keys.delete(key);
    this.keys.set(key, true);
    while (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value!);
  }
}

/** OwnerGraph is the dependency graph of every object the collector watches. */
export class OwnerGraph {
  private readonly nodes = new Map<string, GraphNode>();
  /** absentOwners are owners the server said do not exist */
  readonly absentOwners = new ReferenceCache(500);

  constructor(private readonly sink: GraphSink) {}

  /** node answers the node of a uid. */
  node(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** size is the number of nodes, virtual ones included. */
  get size(): number {
    return this.nodes.size;
  }

  /** process applies one change to the graph and hands the nodes it concerns to the sink. */
  process(ev: GraphEvent): void {
    const meta = ev.object.metadata ?? {};
    const uid = meta.uid;
    if (!uid) return;
    const existing = this.nodes.get(uid);
    if (existing && !ev.virtual && existing.virtual) this.observe(existing, identityOf(ev));
    if (ev.type !== 'delete') {
      if (existing) this.update(existing, ev, meta);
      else this.add(ev, meta);
      return;
    }
    if (existing) this.remove(existing, ev);
  }

  // observe turns a virtual node into an observed one; dependents that named it by other
  // coordinates may hold a bad reference, so they are checked.
  private observe(node: GraphNode, observed: ObjectIdentity): void {
    if (!sameIdentity(observed, node.identity)) {
      const [, mismatched] = partitionDependents([...node.dependents], observed);
      for (const dep of mismatched) {
        if (observed.namespace && dep.identity.namespace !== observed.namespace) this.sink.invalidNamespaceOwnerRef(dep, observed.uid);
        this.sink.attemptToDelete(dep);
      }
      node.identity = observed;
    }
    node.virtual = false;
  }

  private add(ev: GraphEvent, meta: ObjectMeta): void {
    const beingDeleted = !!meta.deletionTimestamp;
    const node = new GraphNode(identityOf(ev), ownersOf(meta), beingDeleted, beingDeleted && hasFinalizer(meta, FOREGROUND_FINALIZER), false);
    this.nodes.set(node.identity.uid, node);
    this.addDependentToOwners(node, node.owners);
    // An informer may report a create and the deletion that followed as one add.
    this.processTransitions(ev.oldObject, meta, node);
  }

  private update(node: GraphNode, ev: GraphEvent, meta: ObjectMeta): void {
    if (!ev.virtual && (node.identity.apiVersion !== ev.apiVersion || node.identity.kind !== ev.kind)) {
      node.identity = { ...node.identity, apiVersion: ev.apiVersion, kind: ev.kind };
    }
    const owners = ownersOf(meta);
    const { added, removed, changed } = referencesDiffs(node.owners, owners);
    if (added.length || removed.length || changed.length) {
      // An owner waiting for its blocking dependents may just have lost one.
      this.addUnblockedOwnersToDeleteQueue(removed, changed);
      node.owners = owners;
      this.addDependentToOwners(node, added);
      this.removeDependentFromOwners(node, removed);
    }
    if (meta.deletionTimestamp) node.beingDeleted = true;
    this.processTransitions(ev.oldObject, meta, node);
  }

  private remove(node: GraphNode, ev: GraphEvent): void {
    let removeNode = true;
    if (ev.virtual) {
      const deleted = identityOf(ev);
      if (node.virtual) {
        // Not sure of a virtual node's coordinates: dependents naming it otherwise keep it.
        const [matching, nonmatching] = partitionDependents([...node.dependents], deleted);
        if (nonmatching.length) {
          removeNode = false;
          if (matching.length) {
            this.absentOwners.add(deleted);
            for (const dep of matching) this.sink.attemptToDelete(dep);
          }
          if (sameIdentity(node.identity, deleted)) {
            const alternate = alternateOwnerIdentity(nonmatching, deleted);
            if (alternate) {
              node.identity = alternate;
              this.sink.attemptToDelete(node, true);
            }
          }
        }
      } else if (!sameIdentity(node.identity, deleted)) {
        // An observed object stays: only the dependents naming the absent coordinates are checked.
        removeNode = false;
        const [matching] = partitionDependents([...node.dependents], deleted);
        if (matching.length) {
          this.absentOwners.add(deleted);
          for (const dep of matching) this.sink.attemptToDelete(dep);
        }
      }
    }
    if (!removeNode) return;
    this.nodes.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size) this.absentOwners.add(identityOf(ev));
    for (const dep of node.dependents) this.sink.attemptToDelete(dep);
    // An owner deleting its dependents in the foreground may now have none left.
    for (const owner of node.owners) {
      const ownerNode = this.nodes.get(owner.uid);
      if (ownerNode?.deletingDependents) this.sink.attemptToDelete(ownerNode);
    }
  }

  // addDependentToOwners links node under each owner, making virtual nodes for owners not seen
  // yet (the collector verifies them), and has node checked when a reference looks wrong.
  private addDependentToOwners(node: GraphNode, owners: OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const owner of owners) {
      let ownerNode = this.nodes.get(owner.uid);
      if (!ownerNode) {
        ownerNode = new GraphNode(
          { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, namespace: node.identity.namespace },
          [],
          false,
          false,
          true,
        );
        this.nodes.set(owner.uid, ownerNode);
        ownerNode.dependents.add(node);
        this.sink.attemptToDelete(ownerNode);
        continue;
      }
      ownerNode.dependents.add(node);
      if (potentiallyInvalid) continue;
      const ownerNamespaced = ownerNode.identity.namespace !== '';
      if (ownerNamespaced && ownerNode.identity.namespace !== node.identity.namespace) {
        // A namespaced owner can only own objects of its own namespace.
        if (!ownerNode.virtual) this.sink.invalidNamespaceOwnerRef(node, owner.uid);
        potentiallyInvalid = true;
      } else if (!matchesCoordinates(owner, ownerNode.identity)) {
        potentiallyInvalid = true;
      } else if (!ownerNamespaced && ownerNode.identity.namespace !== node.identity.namespace && ownerNode.virtual) {
        // A virtual cluster-scoped owner of another namespace's object may be a namespaced kind named wrongly.
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.sink.attemptToDelete(node);
  }

  private removeDependentFromOwners(node: GraphNode, owners: OwnerReference[]): void {
    for (const owner of owners) this.nodes.get(owner.uid)?.dependents.delete(node);
  }

  private addUnblockedOwnersToDeleteQueue(removed: OwnerReference[], changed: Array<{ old: OwnerReference; new: OwnerReference }>): void {
    for (const ref of removed) {
      const owner = ref.blockOwnerDeletion === true ? this.nodes.get(ref.uid) : undefined;
      if (owner) this.sink.attemptToDelete(owner);
    }
    for (const c of changed) {
      const owner = c.old.blockOwnerDeletion === true && c.new.blockOwnerDeletion !== true ? this.nodes.get(c.new.uid) : undefined;
      if (owner) this.sink.attemptToDelete(owner);
    }
  }

  // processTransitions starts the work a deletion asks for, once, when its finalizer first shows.
  private processTransitions(oldObject: Readonly<KubeObject> | undefined, meta: ObjectMeta, node: GraphNode): void {
    if (deletionStartsWithFinalizer(oldObject, meta, ORPHAN_FINALIZER)) {
      this.sink.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWithFinalizer(oldObject, meta, FOREGROUND_FINALIZER)) {
      // A node first made virtual never had this set: set it here in every case.
      node.deletingDependents = true;
      for (const dep of node.dependents) this.sink.attemptToDelete(dep);
      this.sink.attemptToDelete(node);
    }
  }
}

/** identityOf is the identity of an event's object, with the apiVersion and kind it was observed as. */
export function identityOf(ev: Pick<GraphEvent, 'apiVersion' | 'kind' | 'object'>): ObjectIdentity {
  const meta = ev.object.metadata ?? {};
  return { apiVersion: ev.apiVersion, kind: ev.kind, name: meta.name ?? '', uid: meta.uid ?? '', namespace: meta.namespace ?? '' };
}

function ownersOf(meta: ObjectMeta): OwnerReference[] {
  return ((meta.ownerReferences ?? []) as unknown as OwnerReference[]).filter((r) => r && typeof r.uid === 'string');
}

/** hasFinalizer is true when the metadata lists the finalizer. */
export function hasFinalizer(meta: ObjectMeta | undefined, finalizer: string): boolean {
  return (meta?.finalizers ?? []).includes(finalizer);
}

function deletionStartsWithFinalizer(oldObject: Readonly<KubeObject> | undefined, meta: ObjectMeta, finalizer: string): boolean {
  if (!meta.deletionTimestamp || !hasFinalizer(meta, finalizer)) return false;
  if (!oldObject) return true;
  return !oldObject.metadata?.deletionTimestamp || !hasFinalizer(oldObject.metadata, finalizer);
}

/** referencesDiffs compares two ownerReference lists by uid: added, removed, and changed in any field. */
export function referencesDiffs(
  old: OwnerReference[],
  next: OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<{ old: OwnerReference; new: OwnerReference }> } {
  const byUid = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: Array<{ old: OwnerReference; new: OwnerReference }> = [];
  for (const ref of next) {
    const before = byUid.get(ref.uid);
    if (!before) {
      added.push(ref);
      continue;
    }
    if (!jsonEqual(before, ref)) changed.push({ old: before, new: ref });
    byUid.delete(ref.uid);
  }
  return { added, removed: [...byUid.values()], changed };
}

/**
 * partitionDependents splits dependents into those with an ownerReference matching identity
 * exactly and those naming its uid otherwise (or living in another namespace than a namespaced
 * owner); one dependent may be in both.
 */
export function partitionDependents(dependents: GraphNode[], identity: ObjectIdentity): [GraphNode[], GraphNode[]] {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (identity.namespace && identity.namespace !== dep.identity.namespace) mismatch = true;
    else {
      for (const ref of dep.owners) {
        if (ref.uid !== identity.uid) continue;
        if (matchesCoordinates(ref, identity)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return [matching, nonmatching];
}

function referenceLessThan(a: ObjectIdentity, b: ObjectIdentity): boolean {
  for (const k of ['kind', 'apiVersion', 'namespace', 'name', 'uid'] as const) if (a[k] !== b[k]) return a[k] < b[k];
  return false;
}

/**
 * alternateOwnerIdentity finds another identity the dependents give the absent owner's uid (other
 * coordinates or namespace): the first that sorts after the absent one, else the first of all.
 */
export function alternateOwnerIdentity(dependents: GraphNode[], absent: ObjectIdentity): ObjectIdentity | undefined {
  const clusterScoped = absent.namespace === '';
  const seen = new Set([identityKey(absent)]);
  let first: ObjectIdentity | undefined;
  let firstFollowing: ObjectIdentity | undefined;
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (matchesCoordinates(ref, absent) && (clusterScoped || absent.namespace === dep.identity.namespace)) continue;
      const candidate: ObjectIdentity = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: dep.identity.namespace };
      // The absent identity proved this apiVersion/kind cluster-scoped.
      if (clusterScoped && candidate.apiVersion === absent.apiVersion && candidate.kind === absent.kind) candidate.namespace = '';
      const key = identityKey(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first || referenceLessThan(candidate, first)) first = candidate;
      if (referenceLessThan(absent, candidate) && (!firstFollowing || referenceLessThan(candidate, firstFollowing))) firstFollowing = candidate;
    }
  }
  return firstFollowing ?? first;
}
