/**
 * End-to-end with the real kubectl on `nodeless serve --provider=process`: pods run as local
 * processes. A Job computes pi and its log is the process's stdout; a Deployment of python's
 * http.server becomes Ready through an httpGet probe and answers on its (loopback) pod IP; a failing
 * liveness probe restarts its container; a crashing container backs off with growing restarts and
 * `logs --previous`; `kubectl delete` sends SIGTERM; `logs -f` streams; env from a ConfigMap, a
 * Secret and the downward API and a ConfigMap volume reach the process; and after kill -9 of the
 * server and a restart, no process is left over and the Pods are restarted or failed per policy.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { restartCliServer, startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const PY = '/usr/bin/python3';
let server: CliServer;

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 60000 })).stdout;
}

function apply(name: string, manifest: unknown): Promise<string> {
  const file = path.join(server.dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return kubectl('apply', '-f', file);
}

const pod = (name: string, spec: Record<string, unknown>, container: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { terminationGracePeriodSeconds: 2, ...spec, containers: [{ name: 'app', image: 'busybox', ...container }] },
});
const jsonpath = (name: string, expr: string) => kubectl('get', 'pod', name, '-o', `jsonpath={${expr}}`);
// A process that is gone, or a zombie no one has reaped yet, is not alive.
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};
const statePids = (): number[] => {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'pods', 'process-provider-state.json'), 'utf8'));
    return state.instances.flatMap((i: { children: Array<{ pid: number }> }) => i.children.map((c) => c.pid));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  server = await startCliServer(['--provider=process']);
  // These two take their time (back-off, probe failures): they run while the other tests do.
  await apply('crash', pod('crash', {}, { command: ['/bin/sh', '-c', 'echo attempt at $(date +%s%N); exit 1'] }));
  await apply('live', pod('live', { terminationGracePeriodSeconds: 1 }, { command: ['sleep', 'infinity'], livenessProbe: { exec: { command: ['/bin/sh', '-c', 'echo not alive; exit 1'] }, periodSeconds: 1, failureThreshold: 2 } }));
});

afterAll(async () => {
  const pids = statePids();
  await server?.stop();
  // A clean stop leaves nothing running either.
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe('kubectl with --provider=process', () => {
  it('runs a Job to completion and serves its output as the log', async () => {
    await kubectl('create', 'job', 'pi', '--image=perl', '--', 'perl', '-Mbignum=bpi', '-wle', 'print bpi(50)');
    await kubectl('wait', '--for=condition=complete', 'job/pi', '--timeout=60s');
    expect(await kubectl('logs', 'job/pi')).toBe('3.1415926535897932384626433832795028841971693993751\n');
  });

  it('makes a Deployment of python http.server Ready through an httpGet probe, reachable on its pod IP', async () => {
    const port = 21_000 + Math.floor(Math.random() * 20_000);
    await apply('web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'web', image: 'python:3', command: [PY, '-m', 'http.server', String(port)], ports: [{ containerPort: port, name: 'http' }], readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 } }],
          },
        },
      },
    });
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const name = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    const ip = await jsonpath(name, '.status.podIP');
    expect(ip).toMatch(/^127\.244\.\d+\.\d+$/);
    expect(await jsonpath(name, '.status.hostIP')).toBe('127.0.0.1');
    const status = await new Promise<number>((resolve, reject) => http.get(`http://${ip}:${port}/`, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
    expect(status).toBe(200);
  });

  it('streams a log with logs -f while the process writes', async () => {
    await apply('ticker', pod('ticker', { restartPolicy: 'Never' }, { command: ['/bin/sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 1; done'] }));
    await waitFor(async () => (await jsonpath('ticker', '.status.phase')) === 'Running', 'ticker running', 30_000);
    const child = spawn('kubectl', ['logs', '-f', 'ticker'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    let out = '';
    let phaseAtFirstLine = '';
    child.stdout.on('data', (d) => {
      if (!out) void jsonpath('ticker', '.status.phase').then((p) => (phaseAtFirstLine = p));
      out += d;
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toBe('tick 1\ntick 2\ntick 3\n');
    expect(phaseAtFirstLine).toBe('Running');
  });

  it('sends SIGTERM on kubectl delete and the process exits within its grace period', async () => {
    const marker = path.join(server.dataDir, 'got-term');
    await apply('term', pod('term', { terminationGracePeriodSeconds: 120 }, { command: ['/bin/sh', '-c', `trap 'echo TERM > ${marker}; exit 0' TERM; while :; do sleep 0.2; done`] }));
    await waitFor(async () => (await jsonpath('term', '.status.phase')) === 'Running', 'term running', 30_000);
    // kubectl waits for the pod to go; with a 120 s grace period, it returns only because the process exited.
    await kubectl('delete', 'pod', 'term', '--timeout=60s');
    expect(fs.readFileSync(marker, 'utf8')).toBe('TERM\n');
  });

  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    await waitFor(async () => Number(await jsonpath('live', '.status.containerStatuses[0].restartCount')) >= 1, 'a liveness restart', 60_000);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=live', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}');
    expect(events).toContain('Unhealthy: Liveness probe failed: not alive');
    expect(events).toContain('Killing: Container app failed liveness probe, will be restarted');
  });

  it('shows CrashLoopBackOff with growing restarts and serves the previous run', async () => {
    await waitFor(async () => Number(await jsonpath('crash', '.status.containerStatuses[0].restartCount')) >= 2, 'two restarts', 60_000);
    await waitFor(async () => /crash\s+0\/1\s+CrashLoopBackOff\s+[2-9]/.test(await kubectl('get', 'pod', 'crash')), 'CrashLoopBackOff', 30_000);
    expect(await jsonpath('crash', '.status.containerStatuses[0].lastState.terminated.exitCode')).toBe('1');
    expect(await kubectl('logs', 'crash', '--previous')).toMatch(/^attempt at \d+\n$/);
  });

  it('gives the process env from a ConfigMap, a Secret and the downward API, a ConfigMap volume as files, and the kubelet reasons for what is missing', async () => {
    await kubectl('create', 'configmap', 'settings', '--from-literal=color=blue', '--from-literal=greeting=hello from a file');
    await kubectl('create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret');
    await apply('envy', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'envy', labels: { tier: 'back' } },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'config', configMap: { name: 'settings' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['/bin/sh', '-c', 'echo "color=$COLOR password=$PASSWORD pod=$POD_NAME ns=$POD_NS ip=$POD_IP tier=$TIER"; cat /etc/settings/greeting; echo; echo "kube=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT host=$HOSTNAME"'],
            env: [
              { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
            ],
            volumeMounts: [{ name: 'config', mountPath: '/etc/settings', readOnly: true }],
          },
        ],
      },
    });
    await waitFor(async () => (await jsonpath('envy', '.status.phase')) === 'Succeeded', 'envy to succeed', 60_000);
    const ip = await jsonpath('envy', '.status.podIP');
    expect(ip).toMatch(/^127\.244\./);
    expect(await kubectl('logs', 'envy')).toBe(`color=blue password=s3cret pod=envy ns=default ip=${ip} tier=back\nhello from a file\nkube=10.96.0.1:443 host=envy\n`);
    // Nothing was made on the host for the mount point.
    expect(fs.existsSync('/etc/settings')).toBe(false);

    // What cannot be set up leaves the pod waiting (or failed) with the reason a kubelet shows.
    await apply('no-key', pod('no-key', {}, { command: ['sleep', '1'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'missing' } } }] }));
    await apply('no-command', pod('no-command', {}, {}));
    await apply('not-on-path', pod('not-on-path', { restartPolicy: 'Never' }, { command: ['no-such-program-anywhere'] }));
    const waiting = (name: string) => jsonpath(name, '.status.containerStatuses[0].state.waiting.reason');
    await waitFor(async () => (await waiting('no-key')) === 'CreateContainerConfigError', 'no-key: CreateContainerConfigError', 30_000);
    expect(await jsonpath('no-key', '.status.containerStatuses[0].state.waiting.message')).toBe("couldn't find key missing in ConfigMap default/settings");
    await waitFor(async () => (await waiting('no-command')) === 'CreateContainerError', 'no-command: CreateContainerError', 30_000);
    await waitFor(async () => (await jsonpath('not-on-path', '.status.phase')) === 'Failed', 'not-on-path to fail', 30_000);
    expect(await jsonpath('not-on-path', '.status.containerStatuses[0].state.terminated.message')).toContain('exec: "no-such-program-anywhere": executable file not found in $PATH');
    await kubectl('delete', 'pod', 'no-key', 'no-command', 'not-on-path', '--wait=false');
  });

  it('leaves no process behind after kill -9 of the server, and restarts or fails the pods per policy', async () => {
    await apply('forever', pod('forever', {}, { command: ['sleep', 'infinity'] }));
    await apply('once', pod('once', { restartPolicy: 'Never' }, { command: ['sleep', 'infinity'] }));
    for (const name of ['forever', 'once']) await waitFor(async () => (await jsonpath(name, '.status.phase')) === 'Running', `${name} running`, 30_000);
    const before = await jsonpath('forever', '.metadata.annotations.nodeless\\.dev/instance-id');
    const pids = statePids();
    expect(pids.length).toBeGreaterThanOrEqual(3);
    server.process.kill('SIGKILL');
    await new Promise((r) => server.process.once('exit', r));
    // The children were started in groups of their own: they outlive the killed server, for now.
    expect(pids.filter(alive).length).toBeGreaterThan(0);
    server = await restartCliServer(server, ['--provider=process']);
    await waitFor(() => pids.every((pid) => !alive(pid)), 'no orphan left', 30_000);
    await waitFor(async () => (await jsonpath('once', '.status.phase')) === 'Failed', 'the Never pod failed', 60_000);
    await waitFor(async () => {
      const id = await jsonpath('forever', '.metadata.annotations.nodeless\\.dev/instance-id');
      return id !== before && (await jsonpath('forever', '.status.phase')) === 'Running';
    }, 'the Always pod running again on a new instance', 60_000);
  });
});
