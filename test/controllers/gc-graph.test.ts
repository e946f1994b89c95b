/**
 * The garbage collector's owner graph on its own: what it records from informer events and what
 * it hands to the collector's queues, with no server.
 */
import { OwnerGraph, ReferenceCache, alternateOwnerIdentity, type GraphEvent, type GraphNode, type GraphSink } from '../../controllers/gc/graph';
import type { KubeObject } from '../../schemas/types';

interface Recorded {
  deletes: string[];
  rateLimited: string[];
  orphans: string[];
  invalid: Array<[string, string]>;
}

function recordingGraph(): { graph: OwnerGraph; seen: Recorded; reset(): void } {
  const seen: Recorded = { deletes: [], rateLimited: [], orphans: [], invalid: [] };
  const sink: GraphSink = {
    attemptToDelete: (n: GraphNode, rateLimited?: boolean) => (rateLimited ? seen.rateLimited : seen.deletes).push(n.identity.name),
    attemptToOrphan: (n) => seen.orphans.push(n.identity.name),
    invalidNamespaceOwnerRef: (dep, uid) => seen.invalid.push([dep.identity.name, uid]),
  };
  return {
    graph: new OwnerGraph(sink),
    seen,
    reset: () => {
      for (const list of Object.values(seen)) list.length = 0;
    },
  };
}

type Ref = { apiVersion: string; kind: string; name: string; uid: string; blockOwnerDeletion?: boolean; controller?: boolean };

function obj(kind: string, name: string, meta: Record<string, unknown> = {}, namespace = 'ns'): KubeObject {
  return { apiVersion: kind === 'ReplicaSet' ? 'apps/v1' : 'v1', kind, metadata: { name, namespace, uid: `uid-${name}`, ...meta } };
}

function ref(owner: KubeObject, extra: Partial<Ref> = {}): Ref {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid!, ...extra };
}

function ev(type: GraphEvent['type'], o: KubeObject, oldObject?: KubeObject): GraphEvent {
  return { type, apiVersion: o.apiVersion!, kind: o.kind!, object: o, oldObject };
}

const rs = obj('ReplicaSet', 'rs');

describe('OwnerGraph', () => {
  it('makes a virtual node for an owner not seen yet, has it verified, and marks it observed when its object shows', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [ref(rs)] })));
    const owner = graph.node('uid-rs')!;
    expect(owner.virtual).toBe(true);
    expect(owner.identity).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'uid-rs', namespace: 'ns' });
    expect([...owner.dependents].map((d) => d.identity.name)).toEqual(['p1']);
    expect(seen.deletes).toEqual(['rs']);
    reset();
    graph.process(ev('add', rs));
    expect(graph.node('uid-rs')!.virtual).toBe(false);
    // The dependent named it by its real coordinates: nothing to check.
    expect(seen.deletes).toEqual([]);
  });

  it('has dependents checked when the observed owner differs from how they named it', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [{ ...ref(rs), kind: 'Deployment' }] })));
    reset();
    graph.process(ev('add', rs));
    expect(seen.deletes).toEqual(['p1']);
    expect(graph.node('uid-rs')!.identity.kind).toBe('ReplicaSet');
  });

  it('hands every dependent of a deleted owner to attemptToDelete and remembers the owner as absent', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', rs));
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [ref(rs)] })));
    graph.process(ev('add', obj('Pod', 'p2', { ownerReferences: [ref(rs)] })));
    reset();
    graph.process(ev('delete', rs));
    expect(graph.node('uid-rs')).toBeUndefined();
    expect(seen.deletes.sort()).toEqual(['p1', 'p2']);
    expect(graph.absentOwners.has({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'uid-rs', namespace: 'ns' })).toBe(true);
  });

  it('starts foreground deletion once: the dependents and the owner are looked at when foregroundDeletion first shows', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', rs));
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [ref(rs, { blockOwnerDeletion: true })] })));
    reset();
    const deleting = obj('ReplicaSet', 'rs', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'], resourceVersion: '2' });
    graph.process(ev('update', deleting, rs));
    const node = graph.node('uid-rs')!;
    expect(node.beingDeleted && node.deletingDependents).toBe(true);
    expect(seen.deletes).toEqual(['p1', 'rs']);
    expect(node.blockingDependents().map((d) => d.identity.name)).toEqual(['p1']);
    reset();
    graph.process(ev('update', { ...deleting, metadata: { ...deleting.metadata, resourceVersion: '3' } }, deleting));
    expect(seen.deletes).toEqual([]);
  });

  it('starts orphaning when the orphan finalizer first shows, also for an object first seen already deleting (a restart)', () => {
    const { graph, seen } = recordingGraph();
    graph.process(ev('add', obj('ReplicaSet', 'rs', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] })));
    expect(seen.orphans).toEqual(['rs']);
    expect(graph.node('uid-rs')!.deletingDependents).toBe(false);
  });

  it('counts only references with blockOwnerDeletion as blocking, and looks at an owner again when one stops blocking', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', rs));
    const blocking = obj('Pod', 'p1', { ownerReferences: [ref(rs, { blockOwnerDeletion: true })] });
    graph.process(ev('add', blocking));
    graph.process(ev('add', obj('Pod', 'p2', { ownerReferences: [ref(rs)] })));
    expect(graph.node('uid-rs')!.blockingDependents().map((d) => d.identity.name)).toEqual(['p1']);
    reset();
    const unblocked = obj('Pod', 'p1', { ownerReferences: [ref(rs, { blockOwnerDeletion: false })] });
    graph.process(ev('update', unblocked, blocking));
    expect(seen.deletes).toEqual(['rs']);
    expect(graph.node('uid-rs')!.blockingDependents()).toEqual([]);
    reset();
    // A blocking reference removed altogether does the same.
    graph.process(ev('update', blocking, unblocked));
    graph.process(ev('update', obj('Pod', 'p1'), blocking));
    expect(seen.deletes).toEqual(['rs']);
    expect(graph.node('uid-rs')!.dependents.size).toBe(1);
  });

  it('looks at an owner deleting in the foreground again when one of its dependents goes', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', obj('ReplicaSet', 'rs', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] })));
    const pod = obj('Pod', 'p1', { ownerReferences: [ref(rs, { blockOwnerDeletion: true })] });
    graph.process(ev('add', pod));
    reset();
    graph.process(ev('delete', pod));
    expect(seen.deletes).toEqual(['rs']);
  });

  it('reports a dependent naming an owner observed in another namespace, and has it checked', () => {
    const { graph, seen } = recordingGraph();
    graph.process(ev('add', obj('ConfigMap', 'owner', {}, 'a')));
    graph.process(ev('add', obj('ConfigMap', 'dep', { ownerReferences: [ref(obj('ConfigMap', 'owner', {}, 'a'))] }, 'b')));
    expect(seen.invalid).toEqual([['dep', 'uid-owner']]);
    expect(seen.deletes).toEqual(['dep']);
  });

  it('lets a cluster-scoped owner own objects of any namespace', () => {
    const { graph, seen } = recordingGraph();
    const node = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owner-ns', uid: 'uid-owner-ns' } };
    graph.process(ev('add', node));
    graph.process(ev('add', obj('ConfigMap', 'dep', { ownerReferences: [ref(node)] }, 'b')));
    expect(seen.invalid).toEqual([]);
    expect(seen.deletes).toEqual([]);
  });

  it('keeps a virtual node that dependents name by other coordinates when one identity proves absent, and tries the other', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [ref(rs)] })));
    graph.process(ev('add', obj('Pod', 'p2', { ownerReferences: [{ ...ref(rs), name: 'rs-other' }] })));
    reset();
    graph.process({ type: 'delete', virtual: true, apiVersion: 'apps/v1', kind: 'ReplicaSet', object: obj('ReplicaSet', 'rs') });
    const node = graph.node('uid-rs')!;
    expect(node).toBeDefined();
    expect(node.identity.name).toBe('rs-other');
    expect(seen.deletes).toEqual(['p1']);
    expect(seen.rateLimited).toEqual(['rs-other']);
    // The second identity proves absent too: its dependent is checked, and the node stays for
    // as long as dependents disagree about it.
    reset();
    graph.process({ type: 'delete', virtual: true, apiVersion: 'apps/v1', kind: 'ReplicaSet', object: obj('ReplicaSet', 'rs-other', { uid: 'uid-rs' }) });
    expect(seen.deletes).toEqual(['p2']);
    expect(graph.node('uid-rs')!.identity.name).toBe('rs');
    // Once the dependents are gone (the collector deleted them), the next proof removes it.
    graph.process(ev('delete', obj('Pod', 'p1', { ownerReferences: [ref(rs)] })));
    graph.process(ev('delete', obj('Pod', 'p2', { ownerReferences: [{ ...ref(rs), name: 'rs-other' }] })));
    graph.process({ type: 'delete', virtual: true, apiVersion: 'apps/v1', kind: 'ReplicaSet', object: obj('ReplicaSet', 'rs') });
    expect(graph.node('uid-rs')).toBeUndefined();
    expect(graph.size).toBe(0);
  });

  it('does not remove an observed node on a virtual delete of other coordinates', () => {
    const { graph, seen, reset } = recordingGraph();
    graph.process(ev('add', rs));
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [{ ...ref(rs), name: 'stale' }] })));
    reset();
    graph.process({ type: 'delete', virtual: true, apiVersion: 'apps/v1', kind: 'ReplicaSet', object: obj('ReplicaSet', 'stale', { uid: 'uid-rs' }) });
    expect(graph.node('uid-rs')!.virtual).toBe(false);
    expect(seen.deletes).toEqual(['p1']);
  });

  it('forms cycles without trouble: each object of a circle is the dependent of the one before', () => {
    const { graph } = recordingGraph();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => obj('Pod', n));
    graph.process(ev('add', obj('Pod', 'a', { ownerReferences: [ref(c, { blockOwnerDeletion: true })] })));
    graph.process(ev('add', obj('Pod', 'b', { ownerReferences: [ref(a, { blockOwnerDeletion: true })] })));
    graph.process(ev('add', obj('Pod', 'c', { ownerReferences: [ref(b, { blockOwnerDeletion: true })] })));
    for (const [owner, dep] of [['a', 'b'], ['b', 'c'], ['c', 'a']]) {
      expect(graph.node(`uid-${owner}`)!.blockingDependents().map((d) => d.identity.name)).toEqual([dep]);
    }
    expect(graph.size).toBe(3);
  });
});

describe('alternateOwnerIdentity', () => {
  it('answers the first identity after the absent one, else the first of all', () => {
    const { graph } = recordingGraph();
    graph.process(ev('add', obj('Pod', 'p1', { ownerReferences: [{ ...ref(rs), name: 'a' }] })));
    graph.process(ev('add', obj('Pod', 'p2', { ownerReferences: [{ ...ref(rs), name: 'z' }] })));
    const deps = [...graph.node('uid-rs')!.dependents];
    const absent = { apiVersion: 'apps/v1', kind: 'ReplicaSet', uid: 'uid-rs', namespace: 'ns' };
    expect(alternateOwnerIdentity(deps, { ...absent, name: 'm' })?.name).toBe('z');
    expect(alternateOwnerIdentity(deps, { ...absent, name: 'z' })?.name).toBe('a');
  });
});

describe('ReferenceCache', () => {
  it('forgets the least recently used identity beyond its bound', () => {
    const cache = new ReferenceCache(2);
    const id = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', name, uid: name, namespace: 'ns' });
    cache.add(id('a'));
    cache.add(id('b'));
    expect(cache.has(id('a'))).toBe(true);
    cache.add(id('c'));
    expect(cache.has(id('b'))).toBe(false);
    expect(cache.has(id('a'))).toBe(true);
    expect(cache.has(id('c'))).toBe(true);
  });
});
