/**
 * End-to-end with the real kubectl against the built server: a ValidatingAdmissionPolicy with a
 * binding refuses a Deployment with too many replicas (kubectl prints kube's message), and a
 * validating and a mutating webhook (an HTTPS server this test runs) are called: one denies,
 * the other patches and warns, as `kubectl create` shows.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { allow, deny, startWebhookServer, type WebhookServer } from '../helpers/webhook-server';

const run = promisify(execFile);
let server: CliServer;
let hooks: WebhookServer;
let dir: string;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

async function failing(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    await kubectl(...args);
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

async function applyManifest(name: string, objects: unknown[]): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  return (await kubectl('apply', '-f', file)).stdout;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-admission-e2e-'));
  server = await startCliServer();
  hooks = await startWebhookServer();
});

afterAll(async () => {
  await server?.stop();
  await hooks?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kubectl with admission policies and webhooks', () => {
  it('a ValidatingAdmissionPolicy with a binding denies a Deployment with too many replicas', async () => {
    await kubectl('create', 'namespace', 'vap-e2e');
    const applied = await applyManifest('policy', [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'demo-policy.example.com' },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
          validations: [{ expression: 'object.spec.replicas <= 5' }],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'demo-binding-test.example.com' },
        spec: { policyName: 'demo-policy.example.com', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vap-e2e' } } } },
      },
    ]);
    expect(applied).toBe('validatingadmissionpolicy.admissionregistration.k8s.io/demo-policy.example.com created\nvalidatingadmissionpolicybinding.admissionregistration.k8s.io/demo-binding-test.example.com created\n');
    expect((await kubectl('get', 'validatingadmissionpolicies')).stdout).toMatch(/^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\ndemo-policy.example.com\s+1\s+<unset>\s+\S+\n$/);
    // The binding reaches admission through the server's watch of bindings: wait until it refuses.
    const refused = await waitFor(async () => {
      const r = await failing('create', 'deployment', 'nginx', '--image=nginx:1.27', '--replicas=10', '-n', 'vap-e2e').catch(async () => {
        await kubectl('delete', 'deployment', 'nginx', '-n', 'vap-e2e');
        return undefined;
      });
      return r;
    }, 'the policy to refuse', 20_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: failed to create deployment: deployments.apps "nginx" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5\n`,
    );
    // From a manifest, kubectl words the 422 Invalid with its cause, as with a real cluster.
    const file = path.join(dir, 'deployment.json');
    const labels = { app: 'big' };
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'vap-e2e' }, spec: { replicas: 10, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } }));
    const fromFile = await failing('create', '-f', file);
    expect(fromFile.stderr).toBe(
      `The deployments "big" is invalid: : ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5\n`,
    );
    expect((await kubectl('create', 'deployment', 'nginx', '--image=nginx:1.27', '--replicas=3', '-n', 'vap-e2e')).stdout).toBe('deployment.apps/nginx created\n');
    // An update of the deployment itself is refused; `kubectl scale` writes deployments/scale,
    // which a rule for "deployments" does not cover (as in kube).
    const patched = await failing('patch', 'deployment', 'nginx', '-n', 'vap-e2e', '--type=merge', '-p', '{"spec":{"replicas":8}}');
    expect(patched.stderr).toContain('denied request: failed expression: object.spec.replicas <= 5');
    expect((await kubectl('scale', 'deployment', 'nginx', '--replicas=8', '-n', 'vap-e2e')).stdout).toBe('deployment.apps/nginx scaled\n');
  });

  it('a validating webhook denies and a mutating webhook patches and warns', async () => {
    await kubectl('create', 'namespace', 'webhook-e2e');
    hooks.handle('/validate', (r) => (r.request.object?.data?.forbidden ? deny(r, 'the configmap has a "forbidden" key') : allow(r)));
    hooks.handle('/mutate', (r) => allow(r, [{ op: 'add', path: '/metadata/labels', value: { ...(r.request.object?.metadata?.labels ?? {}), mutated: 'true' } }], ['labelled by the mutating webhook']));
    const common = (name: string, p: string) => ({
      name,
      clientConfig: { url: `${hooks.url}${p}`, caBundle: hooks.caBundle },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'webhook-e2e' } },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    });
    await applyManifest('webhooks', [
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'deny-forbidden' }, webhooks: [common('deny-forbidden.example.com', '/validate')] },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'add-label' }, webhooks: [common('add-label.example.com', '/mutate')] },
    ]);
    const created = await waitFor(async () => {
      const r = await kubectl('create', 'configmap', 'probe', '--from-literal=a=b', '-n', 'webhook-e2e');
      const labels = (await kubectl('get', 'configmap', 'probe', '-n', 'webhook-e2e', '-o', 'jsonpath={.metadata.labels.mutated}')).stdout;
      if (labels === 'true') return r;
      await kubectl('delete', 'configmap', 'probe', '-n', 'webhook-e2e');
      return undefined;
    }, 'the mutating webhook to take effect', 20_000);
    expect(created.stdout).toBe('configmap/probe created\n');
    expect(created.stderr).toBe('Warning: labelled by the mutating webhook\n');
    const denied = await failing('create', 'configmap', 'bad', '--from-literal=forbidden=yes', '-n', 'webhook-e2e');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('admission webhook "deny-forbidden.example.com" denied the request: the configmap has a "forbidden" key\n');
    const reviews = hooks.received.filter((x) => x.path.startsWith('/validate') && x.body.request.name === 'bad');
    expect(reviews[0].body.request.userInfo.username).toBeTruthy();
    expect(reviews[0].body.request.object.metadata.labels).toEqual({ mutated: 'true' });
  });
});
