/**
 * End-to-end: the real kubectl on StatefulSets and DaemonSets served by the built server, with
 * a FakeKubelet in this process (over HTTP) running the pods: apply, rollout status, set image,
 * rollout history and undo, describe with the controller's events, and the get columns.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { HttpClient, loadKubeconfig } from '../../controllers/runtime/http-client';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

const run = promisify(execFile);
let server: CliServer;
let client: HttpClient;
let kubelet: FakeKubelet;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90000 });
  return stdout;
}

function writeJSON(name: string, value: unknown): string {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

beforeAll(async () => {
  // The test plays the kubelet (a FakeKubelet decides how each pod ends), so the instance scheduler is off.
  server = await startCliServer(['--scheduler=false']);
  client = new HttpClient(loadKubeconfig(server.kubeconfig), 'fake-kubelet');
  kubelet = await new FakeKubelet(client).start();
});

afterAll(async () => {
  kubelet?.stop();
  client?.close();
  await server?.stop();
});

const webSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
  },
};

describe('kubectl on StatefulSets', () => {
  it('[sig-cli] applies a StatefulSet, waits for its rollout, updates the image and rolls it back', async () => {
    expect(await kubectl('apply', '-f', writeJSON('web.json', webSet))).toBe('statefulset.apps/web created\n');
    // The defaulted partition (0) sends kubectl down its partitioned branch, as against kube.
    const status = await kubectl('rollout', 'status', 'sts/web', '--timeout=80s');
    expect(status).toMatch(/partitioned roll out complete: 3 new pods have been updated\.\.\.\n$/);
    const first = (await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.status.currentRevision}'));
    expect(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).toBe('web-0 web-1 web-2');

    // The set's annotations are copied onto each new revision: the change-cause shows in the history.
    await kubectl('annotate', 'sts', 'web', 'kubernetes.io/change-cause=nginx 1.28');
    expect(await kubectl('set', 'image', 'sts/web', 'nginx=nginx:1.28')).toBe('statefulset.apps/web image updated\n');
    await kubectl('rollout', 'status', 'sts/web', '--timeout=80s');
    const second = await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.status.currentRevision}');
    expect(second).not.toBe(first);
    expect(await kubectl('get', 'pod', 'web-0', '-o', 'jsonpath={.spec.containers[0].image}')).toBe('nginx:1.28');

    const history = await kubectl('rollout', 'history', 'sts/web');
    expect(history).toMatch(/^statefulset\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+nginx 1\.28\n\n$/);
    const revision1 = await kubectl('rollout', 'history', 'sts/web', '--revision=1');
    expect(revision1).toMatch(/Image:\s+nginx:1\.27/);

    expect(await kubectl('rollout', 'undo', 'sts/web')).toBe('statefulset.apps/web rolled back\n');
    await kubectl('rollout', 'status', 'sts/web', '--timeout=80s');
    expect(await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.status.currentRevision}')).toBe(first);
    await waitFor(async () => (await kubectl('get', 'pod', 'web-0', '-o', 'jsonpath={.spec.containers[0].image}')) === 'nginx:1.27', 'web-0 back on nginx:1.27', 60000);
    expect(await kubectl('rollout', 'history', 'sts/web')).toMatch(/^statefulset\.apps\/web \nREVISION\s+CHANGE-CAUSE\n2\s+nginx 1\.28\n3\s+<none>\n\n$/);
    expect(await kubectl('get', 'controllerrevisions')).toMatch(/^NAME\s+CONTROLLER\s+REVISION\s+AGE\n(web-[a-z0-9]+\s+statefulset\.apps\/web\s+[23]\s+\d+s\n){2}$/);

    // A restart is a template change like any other: every pod is replaced, highest first.
    expect(await kubectl('rollout', 'restart', 'sts/web')).toBe('statefulset.apps/web restarted\n');
    await kubectl('rollout', 'status', 'sts/web', '--timeout=80s');
    await waitFor(async () => (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}')).split(' ').filter(Boolean).length === 3, 'three restarted pods', 60000);
    expect(await kubectl('scale', 'sts/web', '--replicas=2')).toBe('statefulset.apps/web scaled\n');
    await waitFor(async () => (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')) === 'web-0 web-1', 'web-2 removed', 60000);
    await kubectl('scale', 'sts/web', '--replicas=3');
    await kubectl('rollout', 'status', 'sts/web', '--timeout=80s');
  });

  it('[sig-cli] kubectl get sts prints the columns of kubectl 1.32, and describe shows the events', async () => {
    const table = await kubectl('get', 'sts');
    expect(table).toMatch(/^NAME\s+READY\s+AGE\nweb\s+3\/3\s+\d+[sm]\n$/);
    const wide = await kubectl('get', 'sts', '-o', 'wide');
    expect(wide).toMatch(/^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\nweb\s+3\/3\s+\d+[sm]\s+nginx\s+nginx:1\.27\n$/);
    const described = await kubectl('describe', 'statefulset', 'web');
    expect(described).toMatch(/Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*statefulset-controller\s+create Pod web-0 in StatefulSet web successful/);
    expect(described).toMatch(/Normal\s+SuccessfulDelete\s+.*statefulset-controller\s+delete Pod web-2 in StatefulSet web successful/);
  });

  it('[sig-cli] kubectl rollout status ds returns on a cluster without nodes', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'logs', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'logs' } }, template: { metadata: { labels: { app: 'logs' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:1' }] } } },
    };
    expect(await kubectl('apply', '-f', writeJSON('ds.json', ds))).toBe('daemonset.apps/logs created\n');
    expect(await kubectl('rollout', 'status', 'ds/logs', '--timeout=60s')).toBe('daemon set "logs" successfully rolled out\n');
    expect(await kubectl('get', 'ds', 'logs')).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\nlogs\s+0\s+0\s+0\s+0\s+0\s+<none>\s+\d+s\n$/);
    expect(await kubectl('rollout', 'history', 'ds/logs')).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n/);
    await kubectl('set', 'image', 'ds/logs', 'fluentd=fluentd:2');
    expect(await kubectl('rollout', 'status', 'ds/logs', '--timeout=60s')).toBe('daemon set "logs" successfully rolled out\n');
    await waitFor(async () => /\n2\s+<none>\n/.test(await kubectl('rollout', 'history', 'ds/logs')), 'a second DaemonSet revision', 30000);
    expect(await kubectl('rollout', 'undo', 'ds/logs')).toBe('daemonset.apps/logs rolled back\n');
    expect(await kubectl('get', 'ds', 'logs', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('fluentd:1');
    expect(await kubectl('describe', 'ds', 'logs')).toMatch(/Normal\s+NoNodes\s+.*daemonset-controller\s+nodeless runs no nodes, so DaemonSet logs schedules no pods/);
  });
});
