/**
 * End-to-end kubectl fidelity: client-side and server-side apply, diff, dry-run, set, rollout,
 * edit, replace and field validation, with the real kubectl against the built server.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const fixture = (name: string) => path.join(__dirname, 'fixtures', 'apply', name);
let server: CliServer;

interface Result {
  stdout: string;
  stderr: string;
  code: number;
}

/** kubectl runs kubectl and returns its output and exit code, never throwing for a non-zero exit. */
async function kubectl(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig, ...env }, timeout: 30000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function live(kind: string, name: string): Promise<any> {
  return JSON.parse(await ok('get', kind, name, '-n', 'apply-test', '-o', 'json', '--show-managed-fields'));
}

beforeAll(async () => {
  server = await startCliServer();
  await ok('create', 'namespace', 'apply-test');
});
afterAll(async () => {
  await server?.stop();
});

describe('client-side apply', () => {
  it('applies, then applies an edited manifest: the live object matches and others\' fields survive', async () => {
    expect(await ok('apply', '-f', fixture('web-v1.yaml'))).toMatch(/deployment.apps\/web created/);
    // Changes made by others: an annotation and a scale.
    await ok('annotate', 'deployment', 'web', '-n', 'apply-test', 'team=payments');
    await ok('scale', 'deployment', 'web', '-n', 'apply-test', '--replicas=4');
    expect(await ok('apply', '-f', fixture('web-v2.yaml'))).toMatch(/deployment.apps\/web configured/);
    const d = await live('deployment', 'web');
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe('nginx:1.27');
    expect(c.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([80, 443]);
    expect(d.metadata.labels).toEqual({ app: 'web' });
    expect(d.metadata.annotations.team).toBe('payments');
    // replicas is in the manifest, so the three-way patch sets it back to 2 over the scale, as
    // on a real cluster (the annotation, which the manifest never named, survives).
    expect(d.spec.replicas).toBe(2);
    expect(await ok('apply', '-f', fixture('web-v2.yaml'))).toMatch(/deployment.apps\/web unchanged/);
  });

  it('kubectl diff shows the pending change and exits 1, and exits 0 when there is none', async () => {
    const none = await kubectl(['diff', '-f', fixture('web-v2.yaml')]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    const changed = fs.readFileSync(fixture('web-v2.yaml'), 'utf8').replace('nginx:1.27', 'nginx:1.28');
    const file = path.join(server.dataDir, 'web-v3.yaml');
    fs.writeFileSync(file, changed);
    const diff = await kubectl(['diff', '-f', file]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+- image: nginx:1\.27$|^-\s+image: nginx:1\.27$/m);
    expect(diff.stdout).toMatch(/^\+\s+(- )?image: nginx:1\.28$/m);
  });

  it('apply --dry-run=server changes nothing', async () => {
    const before = await live('deployment', 'web');
    const changed = fs.readFileSync(fixture('web-v2.yaml'), 'utf8').replace('nginx:1.27', 'nginx:1.29');
    const file = path.join(server.dataDir, 'web-dry.yaml');
    fs.writeFileSync(file, changed);
    expect(await ok('apply', '-f', file, '--dry-run=server')).toMatch(/configured \(server dry run\)/);
    const after = await live('deployment', 'web');
    // The Deployment controller may write status meanwhile; the spec, its generation and the
    // applied configuration are what a dry run must leave alone.
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(before.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(after.spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });
});

describe('kubectl commands that patch', () => {
  it('set image, set env, label --overwrite, rollout restart and a strategic patch', async () => {
    await ok('set', 'image', 'deployment/web', '-n', 'apply-test', 'web=nginx:1.30');
    await ok('set', 'env', 'deployment/web', '-n', 'apply-test', 'MODE=fast');
    await ok('label', 'deployment', 'web', '-n', 'apply-test', 'app=web2', '--overwrite');
    await ok('rollout', 'restart', 'deployment/web', '-n', 'apply-test');
    await ok('patch', 'deployment', 'web', '-n', 'apply-test', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"cpu":"500m"}}}]}}}}');
    const d = await live('deployment', 'web');
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe('nginx:1.30');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'MODE', value: 'fast' }, { name: 'LOG_LEVEL', value: 'info' }]));
    expect(c.resources.limits.cpu).toBe('500m');
    expect(c.ports).toHaveLength(2);
    expect(d.metadata.labels.app).toBe('web2');
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/);
  });

  it('edit with EDITOR set to a script, and replace', async () => {
    const editor = path.join(server.dataDir, 'editor.sh');
    fs.writeFileSync(editor, `#!/bin/sh\nsed -i -E 's/^(  )replicas: [0-9]+$/\\1replicas: 6/' "$1"\n`, { mode: 0o755 });
    const r = await kubectl(['edit', 'deployment', 'web', '-n', 'apply-test'], { EDITOR: editor, KUBE_EDITOR: editor });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deployment.apps\/web edited/);
    expect((await live('deployment', 'web')).spec.replicas).toBe(6);
    const d = await live('deployment', 'web');
    d.spec.replicas = 3;
    const file = path.join(server.dataDir, 'replace.json');
    fs.writeFileSync(file, JSON.stringify(d));
    expect(await ok('replace', '-f', file)).toMatch(/deployment.apps\/web replaced/);
    expect((await live('deployment', 'web')).spec.replicas).toBe(3);
  });
});

describe('server-side apply', () => {
  const manifest = (replicas: number, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  namespace: apply-test
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ssa}
  template:
    metadata:
      labels: {app: ssa}
    spec:
      containers:
      - name: app
        image: ${image}
`;
  const write = (name: string, text: string) => {
    const file = path.join(server.dataDir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('creates, records managedFields, and reports a conflict with another manager as kube does', async () => {
    expect(await ok('apply', '--server-side', '-f', write('ssa1.yaml', manifest(2, 'busybox:1.36')))).toMatch(/deployment.apps\/ssa serverside-applied/);
    const d = await live('deployment', 'ssa');
    expect(d.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toContain('kubectl/Apply');
    await ok('scale', 'deployment', 'ssa', '-n', 'apply-test', '--replicas=5');
    const conflict = await kubectl(['apply', '--server-side', '-f', write('ssa2.yaml', manifest(3, 'busybox:1.36'))]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    expect(conflict.stderr).toMatch(/--force-conflicts/);
    expect((await live('deployment', 'ssa')).spec.replicas).toBe(5);
  });

  it('takes ownership with --force-conflicts and removes fields no longer applied', async () => {
    expect(await ok('apply', '--server-side', '--force-conflicts', '-f', write('ssa3.yaml', manifest(3, 'busybox:1.37')))).toMatch(/serverside-applied/);
    const d = await live('deployment', 'ssa');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    // A label applied and then dropped from the configuration is removed.
    const withLabel = manifest(3, 'busybox:1.37').replace('  namespace: apply-test\n', '  namespace: apply-test\n  labels: {owner: me}\n');
    await ok('apply', '--server-side', '-f', write('ssa4.yaml', withLabel));
    expect((await live('deployment', 'ssa')).metadata.labels).toEqual({ owner: 'me' });
    await ok('apply', '--server-side', '-f', write('ssa5.yaml', manifest(3, 'busybox:1.37')));
    expect((await live('deployment', 'ssa')).metadata.labels).toBeUndefined();
  });

  it('keeps a field another manager set when the applier never owned it', async () => {
    await ok('annotate', 'deployment', 'ssa', '-n', 'apply-test', 'note=kept');
    await ok('apply', '--server-side', '-f', write('ssa6.yaml', manifest(3, 'busybox:1.38')));
    const d = await live('deployment', 'ssa');
    expect(d.metadata.annotations.note).toBe('kept');
    expect(d.spec.template.spec.containers[0].image).toBe('busybox:1.38');
  });
});

describe('field validation', () => {
  it('fails an unknown field by default, passes with --validate=false, warns with --validate=warn', async () => {
    const strict = await kubectl(['apply', '-f', fixture('unknown-field.yaml')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/strict decoding error: unknown field "dataa"/);
    const warn = await kubectl(['create', '-f', fixture('unknown-field.yaml'), '--validate=warn']);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toMatch(/Warning: unknown field "dataa"/);
    await ok('delete', 'configmap', 'strict', '-n', 'apply-test');
    const off = await kubectl(['create', '-f', fixture('unknown-field.yaml'), '--validate=false']);
    expect(off.code).toBe(0);
    expect((await live('configmap', 'strict')).dataa).toBeUndefined();
  });
});
