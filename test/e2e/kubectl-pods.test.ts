/**
 * End-to-end: the real kubectl on a pod's lifecycle beyond create and get: `kubectl debug` adding
 * an ephemeral container through pods/ephemeralcontainers, binding and eviction posted with
 * `kubectl create --raw`, and graceful deletion, where a pod bound to a node terminates until a
 * forced delete with grace period 0.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

function writeJSON(name: string, value: unknown): string {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

// These tests play kubelet themselves (pods stay Pending, a bound pod terminates until forced):
// the instance scheduler is off. test/e2e/kubectl-scheduler.test.ts runs pods with it.
beforeAll(async () => {
  server = await startCliServer(['--scheduler=false']);
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl on pod subresources', () => {
  it('[sig-cli] kubectl debug should add an ephemeral container to a running pod', async () => {
    await kubectl('run', 'debuggee', '--image=nginx:1.27');
    const out = await kubectl('debug', 'debuggee', '--image=busybox:1.36');
    expect(out.stderr + out.stdout).toMatch(/Defaulting debug container name to debugger-[a-z0-9]{5}\./);
    await kubectl('debug', 'debuggee', '--image=busybox:1.36', '-c', 'second');
    const names = (await kubectl('get', 'pod', 'debuggee', '-o', 'jsonpath={.spec.ephemeralContainers[*].name}')).stdout.split(' ');
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^debugger-/);
    expect(names[1]).toBe('second');
    const image = (await kubectl('get', 'pod', 'debuggee', '-o', 'jsonpath={.spec.ephemeralContainers[1].image}')).stdout;
    expect(image).toBe('busybox:1.36');
  });

  it('binds a pod with kubectl create --raw, and a bound pod terminates until it is force deleted', async () => {
    await kubectl('run', 'bound', '--image=nginx:1.27');
    const binding = writeJSON('binding.json', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-a' } });
    const created = JSON.parse((await kubectl('create', '--raw', '/api/v1/namespaces/default/pods/bound/binding', '-f', binding)).stdout);
    expect(created).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    expect((await kubectl('get', 'pod', 'bound', '-o', 'jsonpath={.spec.nodeName}')).stdout).toBe('node-a');

    const deleted = await kubectl('delete', 'pod', 'bound', '--wait=false');
    expect(deleted.stdout).toBe('pod "bound" deleted\n');
    expect((await kubectl('get', 'pod', 'bound', '-o', 'jsonpath={.metadata.deletionGracePeriodSeconds}')).stdout).toBe('30');
    expect((await kubectl('get', 'pod', 'bound')).stdout).toMatch(/bound\s+0\/1\s+Terminating/);

    const forced = await kubectl('delete', 'pod', 'bound', '--grace-period=0', '--force');
    expect(forced.stderr).toContain('Immediate deletion does not wait for confirmation that the running resource has been terminated');
    expect(forced.stdout).toBe('pod "bound" force deleted\n');
    await expect(kubectl('get', 'pod', 'bound')).rejects.toMatchObject({ stderr: expect.stringContaining('pods "bound" not found') });
  });

  it('evicts a pod with kubectl create --raw, and refuses one its disruption budget protects', async () => {
    await kubectl('run', 'evictee', '--image=nginx:1.27', '--labels=app=evictee');
    const eviction = writeJSON('eviction.json', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictee', namespace: 'default' } });
    // Pending, the pod is evicted whatever a budget says.
    await kubectl('create', 'pdb', 'evictee', '--selector=app=evictee', '--min-available=1');
    const out = JSON.parse((await kubectl('create', '--raw', '/api/v1/namespaces/default/pods/evictee/eviction', '-f', eviction)).stdout);
    expect(out.status).toBe('Success');
    await expect(kubectl('get', 'pod', 'evictee')).rejects.toMatchObject({ stderr: expect.stringContaining('not found') });

    // Running, it is protected until the disruption controller has observed the budget.
    await kubectl('run', 'evictee', '--image=nginx:1.27', '--labels=app=evictee');
    await kubectl('patch', 'pod', 'evictee', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}');
    await expect(kubectl('create', '--raw', '/api/v1/namespaces/default/pods/evictee/eviction', '-f', eviction)).rejects.toMatchObject({
      stderr: expect.stringContaining("Cannot evict pod as it would violate the pod's disruption budget."),
    });
  });
});
