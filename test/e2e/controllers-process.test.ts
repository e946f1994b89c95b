/**
 * End-to-end: the controllers in their own process. `nodeless serve --controllers=false` runs
 * no controller, so a deleted namespace stays Terminating; a `nodeless controllers --kubeconfig`
 * process, talking to it over HTTPS only, then finalizes it and keeps every namespace's default
 * ServiceAccount and kube-root-ca.crt, exactly as the in-process controllers do, and runs pods
 * with its instance scheduler.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, startControllersProcess, waitFor, type CliServer, type ControllersProcess } from '../helpers/api-server';

const run = promisify(execFile);

let server: CliServer;
let controllers: ControllersProcess | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
  return stdout;
}

async function phaseOf(ns: string): Promise<string | undefined> {
  try {
    return JSON.parse(await kubectl('get', 'namespace', ns, '-o', 'json')).status.phase;
  } catch (err) {
    if (String((err as { stderr?: string }).stderr).includes('NotFound')) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  server = await startCliServer(['--controllers=false']);
});

afterAll(async () => {
  await controllers?.stop();
  await server?.stop();
});

describe('nodeless controllers --kubeconfig', () => {
  it('finalizes a namespace deletion that a server without controllers leaves Terminating', async () => {
    await kubectl('create', 'namespace', 'doomed');
    await kubectl('create', 'configmap', 'cm', '-n', 'doomed', '--from-literal=a=b');
    await kubectl('delete', 'namespace', 'doomed', '--wait=false');
    // No controller runs: the namespace holds its finalizer and its ConfigMap.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await phaseOf('doomed')).toBe('Terminating');
    expect(await kubectl('get', 'configmap', 'cm', '-n', 'doomed', '-o', 'name')).toContain('configmap/cm');

    controllers = await startControllersProcess(server.kubeconfig, { args: ['--volumes-dir', path.join(server.dataDir, 'http-volumes')] });
    await waitFor(async () => (await phaseOf('doomed')) === undefined, 'the namespace to be finalized and deleted', 20000);
    expect(controllers.output()).toContain('controllers running');
  });

  it('keeps a new namespace\'s default ServiceAccount and kube-root-ca.crt over HTTP', async () => {
    await kubectl('create', 'namespace', 'fresh');
    await waitFor(async () => (await kubectl('get', 'serviceaccount', 'default', '-n', 'fresh', '-o', 'name').catch(() => '')).includes('serviceaccount/default'), 'the default ServiceAccount');
    const cm = JSON.parse(await kubectl('get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'json', '--show-managed-fields'));
    expect(cm.data['ca.crt']).toContain('BEGIN CERTIFICATE');
    expect(cm.metadata.managedFields[0].manager).toBe('service-account-controller');
    await kubectl('delete', 'configmap', 'kube-root-ca.crt', '-n', 'fresh');
    await waitFor(async () => (await kubectl('get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'name').catch(() => '')).includes('kube-root-ca.crt'), 'the ConfigMap to come back');
  });

  it('binds a claim over HTTP to a volume under the controllers\' --volumes-dir', async () => {
    const manifest = path.join(server.dataDir, 'pvc.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'fresh' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }),
    );
    await kubectl('apply', '-f', manifest);
    await waitFor(async () => (await kubectl('get', 'pvc', 'data', '-n', 'fresh', '-o', 'jsonpath={.status.phase}')) === 'Bound', 'the claim to be Bound', 20000);
    const pv = await kubectl('get', 'pvc', 'data', '-n', 'fresh', '-o', 'jsonpath={.spec.volumeName}');
    const dir = await kubectl('get', 'pv', pv, '-o', 'jsonpath={.spec.hostPath.path}');
    expect(dir).toBe(path.join(fs.realpathSync(server.dataDir), 'http-volumes', pv));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  it('converges a ReplicaSet over HTTP: its pods made, scaled with kubectl scale, counted in status', async () => {
    const labels = { app: 'web', 'pod-template-hash': '6c9d8b7f5' };
    const manifest = path.join(server.dataDir, 'rs.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web', namespace: 'fresh' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }),
    );
    await kubectl('apply', '-f', manifest);
    const podNames = async () => (await kubectl('get', 'pods', '-n', 'fresh', '-l', 'app=web', '-o', 'name')).split('\n').filter(Boolean);
    await waitFor(async () => (await podNames()).length === 2, 'two pods', 20000);
    await kubectl('scale', 'replicaset', 'web', '-n', 'fresh', '--replicas=3');
    await waitFor(async () => (await podNames()).length === 3, 'three pods', 20000);
    await waitFor(async () => JSON.parse(await kubectl('get', 'replicaset', 'web', '-n', 'fresh', '-o', 'json')).status?.replicas === 3, 'status.replicas 3', 20000);
    const pod = JSON.parse(await kubectl('get', (await podNames())[0], '-n', 'fresh', '-o', 'json'));
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: 'web', controller: true });
    const described = await kubectl('describe', 'replicaset', 'web', '-n', 'fresh');
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*replicaset-controller\s+Created pod: web-/);
  });

  it('collects garbage over HTTP: foreground and orphan deletion of ReplicaSets, and the dependents of a custom resource', async () => {
    const podsOf = async (app: string) => JSON.parse(await kubectl('get', 'pods', '-n', 'fresh', '-l', `app=${app}`, '-o', 'json')).items as Array<{ metadata: { ownerReferences?: unknown[] } }>;
    // The ReplicaSet of the test before: kubectl returns once it is gone, its pods first.
    expect(await kubectl('delete', 'replicaset', 'web', '-n', 'fresh', '--cascade=foreground')).toBe('replicaset.apps "web" deleted\n');
    expect(await podsOf('web')).toHaveLength(0);

    const labels = { app: 'kept' };
    const manifest = path.join(server.dataDir, 'kept.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'kept', namespace: 'fresh' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }),
    );
    await kubectl('apply', '-f', manifest);
    await waitFor(async () => (await podsOf('kept')).length === 2, 'two pods of kept', 20000);
    await kubectl('delete', 'replicaset', 'kept', '-n', 'fresh', '--cascade=orphan');
    const orphans = await podsOf('kept');
    expect(orphans).toHaveLength(2);
    for (const p of orphans) expect(p.metadata.ownerReferences).toBeUndefined();

    // A kind that did not exist when the controllers started.
    const crd = path.join(server.dataDir, 'crd.json');
    fs.writeFileSync(
      crd,
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'sites.http.example.com' },
        spec: {
          group: 'http.example.com',
          scope: 'Namespaced',
          names: { plural: 'sites', singular: 'site', kind: 'Site' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }),
    );
    await kubectl('apply', '-f', crd);
    await kubectl('wait', '--for=condition=Established', 'crd/sites.http.example.com', '--timeout=30s');
    const site = path.join(server.dataDir, 'site.json');
    fs.writeFileSync(site, JSON.stringify({ apiVersion: 'http.example.com/v1', kind: 'Site', metadata: { name: 'home', namespace: 'fresh' } }));
    await kubectl('apply', '-f', site);
    const uid = (await kubectl('get', 'site', 'home', '-n', 'fresh', '-o', 'jsonpath={.metadata.uid}')).trim();
    const owned = path.join(server.dataDir, 'owned.json');
    const ref = { apiVersion: 'http.example.com/v1', kind: 'Site', name: 'home', uid };
    fs.writeFileSync(owned, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site-config', namespace: 'fresh', ownerReferences: [ref] }, data: { a: 'b' } }));
    await kubectl('apply', '-f', owned);
    await kubectl('delete', 'site', 'home', '-n', 'fresh');
    await waitFor(async () => !(await kubectl('get', 'configmaps', '-n', 'fresh', '-o', 'name')).includes('configmap/site-config'), 'the ConfigMap the Site owned to be collected', 30000);
  });

  it('runs pods with the instance scheduler over HTTP, while pods/log answers as for an unreachable kubelet', async () => {
    await kubectl('run', 'remote', '-n', 'fresh', '--image=nginx');
    await kubectl('wait', '--for=condition=Ready', 'pod/remote', '-n', 'fresh', '--timeout=60s');
    const instance = await kubectl('get', 'pod', 'remote', '-n', 'fresh', '-o', 'jsonpath={.metadata.annotations.nodeless\\.dev/instance-id}');
    expect(instance).toMatch(/^i-[0-9a-f]{16}$/);
    // The provider runs in the controllers process: this API server cannot reach the logs.
    const err = await kubectl('logs', 'remote', '-n', 'fresh').then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    expect(err).toMatch(/^Error from server: Get "https:\/\/[\d.]+:10250\/containerLogs\/fresh\/remote\/remote": no instance scheduler runs in this API server/);
    await kubectl('delete', 'pod', 'remote', '-n', 'fresh');
    await expect(kubectl('get', 'pod', 'remote', '-n', 'fresh')).rejects.toMatchObject({ stderr: expect.stringContaining('not found') });
  });

  it('rolls out a Deployment over HTTP: kubectl rollout status returns, set image rolls to a second ReplicaSet', async () => {
    // The instance scheduler in the controllers process runs the pods.
    await kubectl('create', 'deployment', 'roll', '-n', 'fresh', '--image=nginx', '--replicas=2');
    expect(await kubectl('rollout', 'status', 'deployment/roll', '-n', 'fresh', '--timeout=60s')).toMatch(/deployment "roll" successfully rolled out\n$/);
    await kubectl('set', 'image', 'deployment/roll', '-n', 'fresh', 'nginx=nginx:1.27');
    expect(await kubectl('rollout', 'status', 'deployment/roll', '-n', 'fresh', '--timeout=60s')).toMatch(/deployment "roll" successfully rolled out\n$/);
    const rss = JSON.parse(await kubectl('get', 'rs', '-n', 'fresh', '-l', 'app=roll', '-o', 'json')).items;
    expect(rss.map((rs: { spec: { replicas: number } }) => rs.spec.replicas).sort()).toEqual([0, 2]);
    expect(await kubectl('describe', 'deployment', 'roll', '-n', 'fresh')).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled down replica set roll-\S+ from 1 to 0/);
  }, 120000);

  it('keeps a second process on standby behind the Lease, and hands over at once when the leader stops', async () => {
    const lease = async () => JSON.parse(await kubectl('get', 'lease', 'nodeless-controllers', '-n', 'kube-system', '-o', 'json')).spec;
    const leader = (await lease()).holderIdentity;
    expect(controllers!.output()).toContain(leader);
    const labels = { app: 'standby' };
    const manifest = path.join(server.dataDir, 'standby.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'standby', namespace: 'fresh' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }),
    );
    await kubectl('apply', '-f', manifest);
    const standbyPods = async () => (await kubectl('get', 'pods', '-n', 'fresh', '-l', 'app=standby', '-o', 'name')).split('\n').filter(Boolean).length;
    await waitFor(async () => (await standbyPods()) === 2, 'two pods', 20000);
    const standby = await startControllersProcess(server.kubeconfig, { until: 'waiting for the lease' });
    try {
      // The standby prints its identity; the Lease still names the first process.
      const identity = /as (\S+)/.exec(standby.stdout())![1];
      expect(identity).not.toBe(leader);
      expect((await lease()).holderIdentity).toBe(leader);
      expect(standby.stdout()).not.toContain('controllers are running');

      // The leader stops cleanly and releases the Lease: the standby takes it well before the 15 s lease runs out.
      await controllers!.stop();
      controllers = undefined;
      await waitFor(() => standby.stdout().includes('controllers are running'), 'the standby to lead', 12000);
      // No transition counted: the standby took a released Lease, not one it waited out.
      expect(await lease()).toMatchObject({ holderIdentity: identity, leaseTransitions: 0 });
      // And it controls: a scale-down of the ReplicaSet is carried out by the new leader.
      await kubectl('scale', 'replicaset', 'standby', '-n', 'fresh', '--replicas=1');
      await waitFor(async () => (await standbyPods()) === 1, 'one pod', 20000);
    } finally {
      await standby.stop();
    }
  });
});
