/**
 * End-to-end with the real kubectl: `kubectl create quota`, `kubectl describe quota` showing
 * used and hard once the resourcequota controller has counted, `kubectl run` over a quota
 * failing with kube-apiserver's message as kubectl prints it (exceeded quota, and the
 * must-specify rule of a compute quota), and `kubectl get pdb` showing the ALLOWED
 * DISRUPTIONS the disruption controller computed from ready pods.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

/** failing runs kubectl expecting it to fail and answers what it printed. */
async function failing(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    await kubectl(...args);
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

async function newNamespace(name: string): Promise<void> {
  await kubectl('create', 'namespace', name);
  await waitFor(async () => (await kubectl('get', 'serviceaccount', 'default', '-n', name)).stdout.includes('default'), `the default ServiceAccount of ${name}`, 20_000);
}

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl with quotas and disruption budgets', () => {
  it('creates a quota, describes its usage, and refuses a kubectl run over it with the exceeded-quota message', async () => {
    await newNamespace('quota-e2e');
    const created = await kubectl('create', 'quota', 'pod-quota', '--hard=pods=1,configmaps=5,services=3', '-n', 'quota-e2e');
    expect(created.stdout).toBe('resourcequota/pod-quota created\n');
    // The controller counts what is there: the namespace's root CA ConfigMap.
    await waitFor(async () => (await kubectl('get', 'quota', 'pod-quota', '-n', 'quota-e2e', '-o', 'jsonpath={.status.used.configmaps}')).stdout === '1', 'the quota to be counted', 20_000);
    const described = (await kubectl('describe', 'quota', 'pod-quota', '-n', 'quota-e2e')).stdout;
    expect(described).toMatch(/^Name:\s+pod-quota\nNamespace:\s+quota-e2e\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\n/);
    expect(described).toMatch(/\nconfigmaps\s+1\s+5\n/);
    expect(described).toMatch(/\npods\s+0\s+1\n/);
    expect(described).toMatch(/\nservices\s+0\s+3\n/);

    await kubectl('run', 'first', '--image=nginx:1.27', '-n', 'quota-e2e');
    const refused = await failing('run', 'second', '--image=nginx:1.27', '-n', 'quota-e2e');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('Error from server (Forbidden): pods "second" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=1, limited: pods=1\n');
    expect((await kubectl('describe', 'quota', 'pod-quota', '-n', 'quota-e2e')).stdout).toMatch(/\npods\s+1\s+1\n/);
    // kubectl get shows the same through the server's table
    expect((await kubectl('get', 'quota', '-n', 'quota-e2e')).stdout).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT\npod-quota\s+\S+\s+configmaps: 1\/5, pods: 1\/1, services: 0\/3\s*\n$/);

    // Deleting the pod gives the slot back.
    await kubectl('delete', 'pod', 'first', '-n', 'quota-e2e');
    await waitFor(async () => (await kubectl('get', 'quota', 'pod-quota', '-n', 'quota-e2e', '-o', 'jsonpath={.status.used.pods}')).stdout === '0', 'the pod to be released', 20_000);
    await kubectl('run', 'second', '--image=nginx:1.27', '-n', 'quota-e2e');
  });

  it('refuses a kubectl run without the limits a compute quota requires', async () => {
    await newNamespace('compute-e2e');
    await kubectl('create', 'quota', 'compute', '--hard=limits.cpu=2,limits.memory=2Gi', '-n', 'compute-e2e');
    await waitFor(async () => (await kubectl('get', 'quota', 'compute', '-n', 'compute-e2e', '-o', 'jsonpath={.status.used.limits\\.cpu}')).stdout === '0', 'the quota to be counted', 20_000);
    const refused = await failing('run', 'nolimits', '--image=nginx:1.27', '-n', 'compute-e2e');
    expect(refused.stderr).toBe('Error from server (Forbidden): pods "nolimits" is forbidden: failed quota: compute: must specify limits.cpu for: nolimits; limits.memory for: nolimits\n');
    const overrides = JSON.stringify({ spec: { containers: [{ name: 'sized', image: 'nginx:1.27', resources: { limits: { cpu: '1500m', memory: '1Gi' } } }] } });
    await kubectl('run', 'sized', '--image=nginx:1.27', '-n', 'compute-e2e', `--overrides=${overrides}`);
    await waitFor(async () => (await kubectl('describe', 'quota', 'compute', '-n', 'compute-e2e')).stdout.match(/\nlimits\.cpu\s+1500m\s+2\n/), 'the pod to be charged', 20_000);
    const over = await failing('run', 'big', '--image=nginx:1.27', '-n', 'compute-e2e', `--overrides=${overrides.replace('sized', 'big')}`);
    expect(over.stderr).toBe(
      'Error from server (Forbidden): pods "big" is forbidden: exceeded quota: compute, requested: limits.cpu=1500m, used: limits.cpu=1500m, limited: limits.cpu=2\n',
    );
  });

  it('shows ALLOWED DISRUPTIONS in kubectl get pdb once pods are ready', async () => {
    await newNamespace('pdb-e2e');
    const created = await kubectl('create', 'pdb', 'web', '--selector=app=web', '--min-available=1', '-n', 'pdb-e2e');
    expect(created.stdout).toBe('poddisruptionbudget.policy/web created\n');
    for (const name of ['web-1', 'web-2']) {
      await kubectl('run', name, '--image=nginx:1.27', '--labels=app=web', '-n', 'pdb-e2e');
      // No kubelet runs here: the pods are reported running and ready as one would.
      await kubectl('patch', 'pod', name, '-n', 'pdb-e2e', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}');
    }
    const table = await waitFor(
      async () => {
        const out = (await kubectl('get', 'pdb', '-n', 'pdb-e2e')).stdout;
        return /\nweb\s+1\s+N\/A\s+1\s+\S+\n$/.test(out) && out;
      },
      'one allowed disruption',
      20_000,
    );
    expect(table).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    // One eviction takes the disruption; the budget then allows none.
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'pdb-e2e' } });
    const file = path.join(server.dataDir, 'eviction.json');
    fs.writeFileSync(file, eviction);
    await kubectl('create', '--raw', '/api/v1/namespaces/pdb-e2e/pods/web-1/eviction', '-f', file);
    await waitFor(async () => /\nweb\s+1\s+N\/A\s+0\s+\S+\n$/.test((await kubectl('get', 'pdb', '-n', 'pdb-e2e')).stdout), 'no allowed disruption', 20_000);
    const described = (await kubectl('describe', 'pdb', 'web', '-n', 'pdb-e2e')).stdout;
    expect(described).toMatch(/Min available:\s+1\n/);
    expect(described).toMatch(/Allowed disruptions:\s+0\n/);
    expect(described).toMatch(/Current:\s+1\n/);
    expect(described).toMatch(/Desired:\s+1\n/);
    expect(described).toMatch(/Total:\s+1\n/);
  });
});
