/**
 * End-to-end: cascading deletion with the real kubectl against the built server, its garbage
 * collector running in process. `kubectl delete` of a ReplicaSet removes its pods (background),
 * `--cascade=orphan` leaves them without the ownerReference, `--cascade=foreground` deletes the
 * pods before the ReplicaSet (checked by the resourceVersions of the deletions a watch sees),
 * and `kubectl delete namespace` removes everything in it, custom resources included.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { HttpClient } from '../../controllers/runtime/http-client';
import { PODS, REPLICA_SETS, type WatchEvent, type WatchStream } from '../../controllers/runtime/client';

const run = promisify(execFile);
let server: CliServer;
let client: HttpClient;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 60000 });
}

async function apply(name: string, value: unknown): Promise<void> {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  await kubectl('apply', '-f', file);
}

interface Meta {
  name: string;
  uid: string;
  resourceVersion: string;
  ownerReferences?: Array<{ uid: string }>;
  finalizers?: string[];
  deletionTimestamp?: string;
}

async function getJSON(...args: string[]): Promise<{ items: Array<{ metadata: Meta }> }> {
  return JSON.parse((await kubectl('get', ...args, '-o', 'json')).stdout);
}

function replicaSet(name: string, replicas: number) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  };
}

async function replicaSetWithPods(ns: string, name: string, replicas: number): Promise<void> {
  await kubectl('create', 'namespace', ns);
  await apply(`${ns}-${name}.json`, { ...replicaSet(name, replicas), metadata: { name, namespace: ns } });
  await waitFor(async () => (await getJSON('pods', '-n', ns)).items.length === replicas, `${replicas} pods of ${name}`, 30_000);
}

beforeAll(async () => {
  server = await startCliServer();
  client = HttpClient.fromKubeconfig(server.kubeconfig, 'e2e-watcher');
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

it('kubectl delete rs removes its pods', async () => {
  await replicaSetWithPods('cascade-background', 'web', 3);
  const out = await kubectl('delete', 'rs', 'web', '-n', 'cascade-background');
  expect(out.stdout).toBe('replicaset.apps "web" deleted\n');
  await waitFor(async () => (await getJSON('pods', '-n', 'cascade-background')).items.length === 0, 'the pods to be garbage collected', 30_000);
});

it('kubectl delete rs --cascade=orphan leaves its pods, their ownerReference removed', async () => {
  await replicaSetWithPods('cascade-orphan', 'web', 3);
  const rsUid = (await getJSON('rs', '-n', 'cascade-orphan')).items[0].metadata.uid;
  const out = await kubectl('delete', 'rs', 'web', '-n', 'cascade-orphan', '--cascade=orphan');
  expect(out.stdout).toBe('replicaset.apps "web" deleted\n');
  // kubectl waited for the ReplicaSet to go, which the collector allows only once the pods are orphaned.
  expect((await getJSON('rs', '-n', 'cascade-orphan')).items).toHaveLength(0);
  const pods = (await getJSON('pods', '-n', 'cascade-orphan')).items;
  expect(pods).toHaveLength(3);
  for (const p of pods) expect((p.metadata.ownerReferences ?? []).map((r) => r.uid)).not.toContain(rsUid);
  for (const p of pods) expect(p.metadata.ownerReferences).toBeUndefined();
});

it('kubectl delete rs --cascade=foreground deletes the pods first and then the ReplicaSet', async () => {
  const ns = 'cascade-foreground';
  await replicaSetWithPods(ns, 'web', 3);
  const from = (await client.list(PODS, ns)).metadata.resourceVersion;
  const seen: Array<{ resource: string; ev: WatchEvent }> = [];
  const watches: WatchStream[] = [];
  for (const [resource, res] of [['pods', PODS], ['replicasets', REPLICA_SETS]] as const) {
    const stream = await client.watch(res, ns, { resourceVersion: from });
    watches.push(stream);
    void (async () => {
      for await (const ev of stream) seen.push({ resource, ev });
    })();
  }
  try {
    const out = await kubectl('delete', 'rs', 'web', '-n', ns, '--cascade=foreground');
    expect(out.stdout).toBe('replicaset.apps "web" deleted\n');
    // kubectl waited for the ReplicaSet to go; its pods were gone before.
    expect((await getJSON('pods', '-n', ns)).items).toHaveLength(0);
    const deletions = (resource: string) => seen.filter((s) => s.resource === resource && s.ev.type === 'DELETED');
    await waitFor(() => deletions('pods').length === 3 && deletions('replicasets').length === 1, 'the watch to see every deletion', 30_000);
    const rv = (s: { ev: WatchEvent }) => Number((s.ev.object as { metadata: Meta }).metadata.resourceVersion);
    const rsDeleted = rv(deletions('replicasets')[0]);
    for (const p of deletions('pods')) expect(rv(p)).toBeLessThan(rsDeleted);
    // Meanwhile the ReplicaSet waited, marked deleted and held by foregroundDeletion.
    const waiting = seen.find((s) => s.resource === 'replicasets' && s.ev.type === 'MODIFIED' && (s.ev.object as { metadata: Meta }).metadata.deletionTimestamp);
    expect((waiting?.ev.object as { metadata: Meta }).metadata.finalizers).toEqual(['foregroundDeletion']);
  } finally {
    for (const w of watches) w.close();
  }
});

it('kubectl delete namespace removes everything in it, custom resources included', async () => {
  const ns = 'cascade-namespace';
  await replicaSetWithPods(ns, 'web', 2);
  await kubectl('create', 'configmap', 'settings', '-n', ns, '--from-literal=a=b');
  await apply('crd.json', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.cascade.example.com' },
    spec: {
      group: 'cascade.example.com',
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } } } }],
    },
  });
  await kubectl('wait', '--for=condition=Established', 'crd/gadgets.cascade.example.com', '--timeout=30s');
  await apply('gadget.json', { apiVersion: 'cascade.example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: ns }, spec: { size: 'L' } });
  await apply('gadget2.json', { apiVersion: 'cascade.example.com/v1', kind: 'Gadget', metadata: { name: 'g2', namespace: 'default' }, spec: { size: 'S' } });
  expect((await getJSON('gadgets', '-n', ns)).items).toHaveLength(1);

  const out = await kubectl('delete', 'namespace', ns);
  expect(out.stdout).toBe(`namespace "${ns}" deleted\n`);
  await expect(kubectl('get', 'namespace', ns)).rejects.toMatchObject({ stderr: expect.stringContaining(`namespaces "${ns}" not found`) });
  for (const kind of ['pods', 'replicasets', 'configmaps', 'gadgets']) {
    const left = (await getJSON(kind, '-A')).items.filter((o) => (o.metadata as Meta & { namespace?: string }).namespace === ns);
    expect({ kind, left: left.length }).toEqual({ kind, left: 0 });
  }
  // Other namespaces keep theirs.
  expect((await getJSON('gadgets', '-n', 'default')).items.map((g) => g.metadata.name)).toEqual(['g2']);
});
