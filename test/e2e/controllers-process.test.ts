/**
 * End-to-end: the controllers in their own process. `nodeless serve --controllers=false` runs
 * no controller, so a deleted namespace stays Terminating; a `nodeless controllers --kubeconfig`
 * process, talking to it over HTTPS only, then finalizes it and keeps every namespace's default
 * ServiceAccount and kube-root-ca.crt, exactly as the in-process controllers do.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { HttpClient, loadKubeconfig } from '../../controllers/runtime/http-client';
import { startCliServer, startControllersProcess, waitFor, type CliServer, type ControllersProcess } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

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

    controllers = await startControllersProcess(server.kubeconfig);
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

  it('rolls out a Deployment over HTTP: kubectl rollout status returns, set image rolls to a second ReplicaSet', async () => {
    const kubelet = await new FakeKubelet(new HttpClient(loadKubeconfig(server.kubeconfig), 'fake-kubelet'), { namespace: 'fresh' }).start();
    try {
      await kubectl('create', 'deployment', 'roll', '-n', 'fresh', '--image=nginx', '--replicas=2');
      expect(await kubectl('rollout', 'status', 'deployment/roll', '-n', 'fresh', '--timeout=60s')).toMatch(/deployment "roll" successfully rolled out\n$/);
      await kubectl('set', 'image', 'deployment/roll', '-n', 'fresh', 'nginx=nginx:1.27');
      expect(await kubectl('rollout', 'status', 'deployment/roll', '-n', 'fresh', '--timeout=60s')).toMatch(/deployment "roll" successfully rolled out\n$/);
      const rss = JSON.parse(await kubectl('get', 'rs', '-n', 'fresh', '-l', 'app=roll', '-o', 'json')).items;
      expect(rss.map((rs: { spec: { replicas: number } }) => rs.spec.replicas).sort()).toEqual([0, 2]);
      expect(await kubectl('describe', 'deployment', 'roll', '-n', 'fresh')).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled down replica set roll-\S+ from 1 to 0/);
    } finally {
      kubelet.stop();
    }
  }, 120000);
});
