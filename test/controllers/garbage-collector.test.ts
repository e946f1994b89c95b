/**
 * The garbage collector as a controller: it finishes after a restart what the objects say is
 * under way, records events on failures and retries, reports an owner reference to another
 * namespace, and watches metadata only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { GarbageCollector, metadataOnly } from '../../controllers/gc/garbage-collector';
import { ControllerManager } from '../../controllers/runtime/manager';
import { ApiError, CONFIG_MAPS, EVENTS, isNotFound, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';

const ns = (t: TestServer, name: string) => t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
const configMap = (name: string, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta } });
const refTo = (owner: KubeObject, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata!.name, uid: owner.metadata!.uid, ...extra });

async function absent(client: Client, namespace: string, name: string): Promise<boolean> {
  try {
    await client.get(CONFIG_MAPS, namespace, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

describe('after a restart', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-gc-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finishes the foreground, orphan and background deletions the objects record', async () => {
    const databasePath = path.join(dir, 'state.db');
    // First, a server with no collector: deletions are recorded and nothing carries them out.
    const before = await startTestServer({ databasePath, controllers: false });
    await ns(before, 'restart');
    const c = before.nodeless.client;
    const fg = await c.create<KubeObject>(CONFIG_MAPS, 'restart', configMap('fg-owner'));
    await c.create(CONFIG_MAPS, 'restart', configMap('fg-dependent', { ownerReferences: [refTo(fg, { blockOwnerDeletion: true })] }));
    const orphan = await c.create<KubeObject>(CONFIG_MAPS, 'restart', configMap('orphan-owner'));
    await c.create(CONFIG_MAPS, 'restart', configMap('orphan-dependent', { ownerReferences: [refTo(orphan)] }));
    const bg = await c.create<KubeObject>(CONFIG_MAPS, 'restart', configMap('bg-owner'));
    await c.create(CONFIG_MAPS, 'restart', configMap('bg-dependent', { ownerReferences: [refTo(bg)] }));
    await c.delete(CONFIG_MAPS, 'restart', 'fg-owner', { propagationPolicy: 'Foreground' });
    await c.delete(CONFIG_MAPS, 'restart', 'orphan-owner', { propagationPolicy: 'Orphan' });
    await c.delete(CONFIG_MAPS, 'restart', 'bg-owner', { propagationPolicy: 'Background' });
    expect((await c.get(CONFIG_MAPS, 'restart', 'fg-owner')).metadata?.finalizers).toEqual(['foregroundDeletion']);
    await before.close();

    // Then the same data with the controllers running.
    const after = await startTestServer({ databasePath });
    try {
      const client = after.nodeless.client;
      await waitFor(async () => (await absent(client, 'restart', 'fg-dependent')) && (await absent(client, 'restart', 'fg-owner')), 'the foreground deletion to finish', 30_000);
      await waitFor(() => absent(client, 'restart', 'orphan-owner'), 'the orphan deletion to finish', 30_000);
      expect((await client.get(CONFIG_MAPS, 'restart', 'orphan-dependent')).metadata?.ownerReferences).toBeUndefined();
      await waitFor(() => absent(client, 'restart', 'bg-dependent'), 'the dependent of the deleted owner to go', 30_000);
    } finally {
      await after.close();
    }
  });
});

describe('with a collector of its own', () => {
  let t: TestServer;
  let manager: ControllerManager;
  let gc: GarbageCollector;
  let failures = 0;

  // failingDeletes is the server's client, except that deleting "stubborn" fails three times.
  function failingDeletes(inner: Client): Client {
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === 'withFieldManager') return (fm: string, ua?: string) => failingDeletes(target.withFieldManager(fm, ua));
        if (prop === 'delete') {
          return (...args: Parameters<Client['delete']>) => {
            if (args[2] === 'stubborn' && failures < 3) {
              failures++;
              return Promise.reject(new ApiError({ kind: 'Status', status: 'Failure', code: 500, reason: 'InternalError', message: 'Internal error occurred: injected failure' }));
            }
            return target.delete(...args);
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  beforeAll(async () => {
    t = await startTestServer({ controllers: false });
    gc = new GarbageCollector({ workers: 4 });
    manager = new ControllerManager(failingDeletes(t.nodeless.client)).add(gc);
    await manager.start();
    await ns(t, 'own');
    await ns(t, 'other');
  });
  afterAll(async () => {
    manager.stop();
    await t.close();
  });

  it('records a Warning when a collection fails, and retries until it succeeds', async () => {
    const client = t.nodeless.client;
    const owner = await client.create<KubeObject>(CONFIG_MAPS, 'own', configMap('owner'));
    await client.create(CONFIG_MAPS, 'own', configMap('stubborn', { ownerReferences: [refTo(owner)] }));
    await client.delete(CONFIG_MAPS, 'own', 'owner');
    await waitFor(() => absent(client, 'own', 'stubborn'), 'the dependent to be deleted after the failures', 30_000);
    expect(failures).toBe(3);
    const events = (await client.list(EVENTS, 'own')).items.filter((e) => (e.involvedObject as { name?: string }).name === 'stubborn');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedGarbageCollection',
      message: 'Internal error occurred: injected failure',
      source: { component: 'garbage-collector-controller' },
      involvedObject: { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'own', name: 'stubborn' },
    });
  });

  it('reports an ownerReference to an owner of another namespace and collects the dependent', async () => {
    const client = t.nodeless.client;
    const owner = await client.create<KubeObject>(CONFIG_MAPS, 'other', configMap('elsewhere'));
    // Let the collector see the owner before the dependent, as kube's check needs an observed owner.
    await waitFor(() => gc.graph.node(owner.metadata!.uid!) && !gc.graph.node(owner.metadata!.uid!)!.virtual, 'the owner in the graph', 30_000);
    await client.create(CONFIG_MAPS, 'own', configMap('misplaced', { ownerReferences: [refTo(owner)] }));
    const event = await waitFor(
      async () => (await client.list(EVENTS, 'own')).items.find((e) => e.reason === 'OwnerRefInvalidNamespace'),
      'the OwnerRefInvalidNamespace event',
      30_000,
    );
    expect(event).toMatchObject({
      type: 'Warning',
      message: `ownerRef [v1/ConfigMap, namespace: own, name: elsewhere, uid: ${owner.metadata!.uid}] does not exist in namespace "own"`,
      involvedObject: { name: 'misplaced', namespace: 'own' },
    });
    // No such owner exists in its own namespace: the dependent is garbage.
    await waitFor(() => absent(client, 'own', 'misplaced'), 'the misplaced dependent to be deleted', 30_000);
    expect(await absent(client, 'other', 'elsewhere')).toBe(false);
  });

  it('watches every deletable resource but events', () => {
    const watched = gc.monitoredResources();
    expect(watched).toEqual(expect.arrayContaining(['/v1/pods', '/v1/configmaps', 'apps/v1/replicasets', '/v1/namespaces', 'apiextensions.k8s.io/v1/customresourcedefinitions']));
    expect(watched).not.toContain('/v1/events');
    expect(watched.some((r) => r.endsWith('/events'))).toBe(false);
  });
});

describe('metadataOnly', () => {
  it('keeps only what the graph reads', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'n',
        uid: 'u',
        resourceVersion: '7',
        labels: { a: 'b' },
        annotations: { big: 'x'.repeat(1000) },
        managedFields: [{ manager: 'm' }],
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'o', uid: 'o' }],
        finalizers: ['f'],
        deletionTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Pending' },
    };
    expect(metadataOnly(structuredClone(pod))).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', uid: 'u', resourceVersion: '7', ownerReferences: pod.metadata.ownerReferences, finalizers: ['f'], deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
  });
});
