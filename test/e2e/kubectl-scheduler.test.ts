/**
 * End-to-end with the real kubectl on `nodeless serve` with its default instance scheduler and
 * simulated provider: pods run with no nodes, kubectl shows the instance where it shows a node,
 * describe shows the kubelet's events, logs are served from the provider, and deletion completes.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { restartCliServer, startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 60000 })).stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 60000 });
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

function apply(name: string, manifest: unknown): Promise<string> {
  const file = path.join(server.dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return kubectl('apply', '-f', file);
}

const phase = (name: string) => kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}');

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl with the instance scheduler', () => {
  it('runs a pod (`kubectl run`) to Running and `kubectl wait --for=condition=Ready` returns', async () => {
    expect(await kubectl('run', 'web', '--image=nginx:1.27')).toBe('pod/web created\n');
    expect(await kubectl('wait', '--for=condition=Ready', 'pod/web', '--timeout=60s')).toBe('pod/web condition met\n');
    expect(await kubectl('get', 'pod', 'web')).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1\/1\s+Running\s+0\s+\S+\n$/);
  });

  it('shows the instance in the NODE column of -o wide while spec.nodeName stays empty', async () => {
    const instance = await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.metadata.annotations.nodeless\\.dev/instance-id}');
    expect(instance).toMatch(/^i-[0-9a-f]{16}$/);
    const ip = await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}');
    expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    const wide = await kubectl('get', 'pods', 'web', '-o', 'wide');
    expect(wide).toMatch(new RegExp(`^web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+${instance}\\s+<none>\\s+<none>$`, 'm'));
    expect(await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}')).toBe('');
  });

  it('has no nodes', async () => {
    const out = await run('kubectl', ['get', 'nodes'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('No resources found\n');
    expect(JSON.parse(await kubectl('get', '--raw', '/api/v1/nodes')).items).toEqual([]);
  });

  it('describes the pod with its instance annotations and the lifecycle events', async () => {
    const out = await kubectl('describe', 'pod', 'web');
    expect(out).toMatch(/^Status:\s+Running$/m);
    expect(out).toMatch(/nodeless\.dev\/instance-id: i-[0-9a-f]{16}/);
    expect(out).toMatch(/nodeless\.dev\/provider: simulated/);
    expect(out).toMatch(/^QoS Class:\s+BestEffort$/m);
    expect(out).toMatch(/Normal\s+Scheduled\s+\S+\s+instance-scheduler\s+Successfully assigned default\/web to i-[0-9a-f]{16}/);
    for (const line of [/Normal\s+Pulling\s+\S+\s+kubelet\s+Pulling image "nginx:1\.27"/, /Normal\s+Pulled\s+\S+\s+kubelet\s+Successfully pulled image "nginx:1\.27"/, /Normal\s+Created\s+\S+\s+kubelet\s+Created container web/, /Normal\s+Started\s+\S+\s+kubelet\s+Started container web/]) {
      expect(out).toMatch(line);
    }
  });

  it('shows an unschedulable pod Pending with FailedScheduling', async () => {
    await apply('huge', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge' }, spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '500' } } }] } });
    await waitFor(async () => /FailedScheduling/.test(await kubectl('describe', 'pod', 'huge')), 'FailedScheduling', 30000);
    const out = await kubectl('describe', 'pod', 'huge');
    expect(out).toMatch(/^Status:\s+Pending$/m);
    expect(out).toMatch(/Warning\s+FailedScheduling\s+\S+\s+instance-scheduler\s+0\/\d+ instance sizes are available: .*Insufficient cpu/);
    expect(await kubectl('get', 'pod', 'huge')).toMatch(/huge\s+0\/1\s+Pending/);
  });

  it('serves kubectl logs: plain, --timestamps, --tail, -c, --all-containers, -l, deploy/x, and errors', async () => {
    expect(await kubectl('logs', 'web')).toBe('[simulated] started container web (image docker.io/library/nginx:1.27, attempt 1)\n');
    expect(await kubectl('logs', 'web', '--timestamps')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \[simulated\] started container web /);

    await apply('two', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two', labels: { app: 'two' } },
      spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }] },
    });
    await kubectl('wait', '--for=condition=Ready', 'pod/two', '--timeout=60s');
    expect(await kubectl('logs', 'two', '-c', 'b')).toBe('[simulated] started container b (image docker.io/library/busybox:latest, attempt 1)\n');
    expect(await kubectl('logs', 'two', '-c', 'init', '--tail=1')).toBe('[simulated] container init exited with code 0 (Completed)\n');
    // kubectl fetches the containers' logs in no fixed order: each container's lines stay together.
    const all = (await kubectl('logs', 'two', '--all-containers')).split('\n').filter(Boolean);
    expect([...all].sort()).toEqual(
      [
        '[simulated] started container init (image docker.io/library/busybox:latest, attempt 1)',
        '[simulated] container init exited with code 0 (Completed)',
        '[simulated] started container a (image docker.io/library/nginx:latest, attempt 1)',
        '[simulated] started container b (image docker.io/library/busybox:latest, attempt 1)',
      ].sort(),
    );
    expect(all.indexOf('[simulated] container init exited with code 0 (Completed)')).toBe(all.indexOf('[simulated] started container init (image docker.io/library/busybox:latest, attempt 1)') + 1);
    expect(await kubectl('logs', '-l', 'app=two', '-c', 'a', '--prefix')).toBe('[pod/two/a] [simulated] started container a (image docker.io/library/nginx:latest, attempt 1)\n');
    expect(await kubectlFails('get', '--raw', '/api/v1/namespaces/default/pods/two/log')).toContain('a container name must be specified for pod two, choose one of: [init a b]');
    expect(await kubectlFails('logs', 'two', '-c', 'nope')).toContain('container nope is not valid for pod two');

    // kubectl logs deploy/x reads a pod of the Deployment, made by its ReplicaSet and run on an instance.
    await kubectl('create', 'deployment', 'shop', '--image=nginx');
    await kubectl('rollout', 'status', 'deployment/shop', '--timeout=60s');
    expect(await kubectl('logs', 'deploy/shop')).toBe('[simulated] started container nginx (image docker.io/library/nginx:latest, attempt 1)\n');
  });

  it('follows a log with -f until the pod is deleted, and `kubectl delete pod` completes', async () => {
    const follower = spawn('kubectl', ['logs', '-f', 'web'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    let out = '';
    follower.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    try {
      await waitFor(() => out.includes('started container web'), 'the first line', 30000);
      expect(await kubectl('delete', 'pod', 'web')).toBe('pod "web" deleted\n');
      expect(await exited).toBe(0);
      expect(out).toContain('received SIGTERM, stopping (grace period 30s)');
    } finally {
      if (follower.exitCode === null) follower.kill();
    }
    expect(await kubectlFails('get', 'pod', 'web')).toContain('pods "web" not found');
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=web,reason=Killing', '-o', 'jsonpath={.items[*].message}');
    expect(events).toBe('Stopping container web');
  });

  it('completes a restartPolicy Never pod', async () => {
    await kubectl('run', 'once', '--image=busybox', '--restart=Never');
    await waitFor(async () => (await phase('once')) === 'Succeeded', 'Succeeded', 60000);
    expect(await kubectl('get', 'pod', 'once')).toMatch(/once\s+0\/1\s+Completed\s+0/);
    expect(await kubectl('logs', 'once')).toMatch(/container once exited with code 0 \(Completed\)\n$/);
  });

  it('keeps the ledger through kill -9: the open run is closed on restart and the pod runs again on a new instance', async () => {
    await kubectl('run', 'durable', '--image=nginx');
    await kubectl('wait', '--for=condition=Ready', 'pod/durable', '--timeout=60s');
    const uid = await kubectl('get', 'pod', 'durable', '-o', 'jsonpath={.metadata.uid}');
    const runOf = async () => JSON.parse(await kubectl('get', 'instanceruns', '-l', `nodeless.dev/pod-uid=${uid}`, '-o', 'json')).items as Array<{ spec: { instanceId: string; start: string; stop?: string; stopReason?: string; cost?: number } }>;
    const instanceOf = () => kubectl('get', 'pod', 'durable', '-o', 'jsonpath={.metadata.annotations.nodeless\\.dev/instance-id}');
    const first = await instanceOf();
    await waitFor(async () => (await runOf()).length === 1, 'the run stored', 30000);
    expect((await runOf())[0].spec.stop).toBeUndefined();
    expect(await kubectl('get', 'instanceruns')).toMatch(/^NAME\s+POD\s+INSTANCE\s+SIZE\s+START\s+STOP\s+COST\n/);

    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGKILL');
    await exited;
    server = await restartCliServer(server);

    const run = await waitFor(async () => (await runOf()).find((r) => r.spec.stop), 'the run closed after the restart', 30000);
    expect(run.spec).toMatchObject({ instanceId: first, stopReason: 'InstanceLost' });
    expect(run.spec.cost).toBeGreaterThan(0);
    // The simulated instances died with the process: the pod is placed again and its new run is open.
    await waitFor(async () => (await instanceOf()) !== first && (await phase('durable')) === 'Running', 'the pod Running on a new instance', 30000);
    const second = await instanceOf();
    await waitFor(async () => (await runOf()).some((r) => r.spec.instanceId === second && !r.spec.stop), 'the new run', 30000);
    expect(await kubectl('describe', 'pod', 'durable')).toMatch(new RegExp(`Warning\\s+InstanceLost\\s+\\S+\\s+instance-scheduler\\s+Instance ${first} is gone`));
  });
});

describe('nodeless serve scheduler flags', () => {
  const main = path.join(__dirname, '../../dist/server/main.js');
  const serve = (...args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [main, 'serve', '--port', '0', '--data-dir', path.join(server?.dataDir ?? '/tmp', 'never-used'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.once('exit', (code) => resolve({ code, stderr }));
    });

  it('refuses an unknown provider, a bad --scheduler value and a bad pod CIDR with exit code 2', async () => {
    const provider = await serve('--provider=bogus');
    expect(provider.code).toBe(2);
    expect(provider.stderr).toMatch(/^unknown --provider "bogus": want one of simulated, process\n/);
    const scheduler = await serve('--scheduler=maybe');
    expect(scheduler.code).toBe(2);
    expect(scheduler.stderr).toMatch(/^invalid --scheduler maybe: want true or false\n/);
    const cidr = await serve('--pod-cidr=10.0.0.1/8');
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toMatch(/^invalid --pod-cidr: invalid pod CIDR "10\.0\.0\.1\/8": host bits are set/);
  });
});
