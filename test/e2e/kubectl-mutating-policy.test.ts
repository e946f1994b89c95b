/**
 * End-to-end with the real kubectl against the built server started with
 * --feature-gates=MutatingAdmissionPolicy=true: a MutatingAdmissionPolicy and its binding
 * (admissionregistration.k8s.io/v1alpha1) add a label to every Deployment created, and
 * `kubectl get deploy -o yaml` shows it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;
let dir: string;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-map-e2e-'));
  server = await startCliServer(['--feature-gates=MutatingAdmissionPolicy=true']);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kubectl with a MutatingAdmissionPolicy', () => {
  it('adds a label to Deployments', async () => {
    const file = path.join(dir, 'policy.json');
    fs.writeFileSync(file, JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'admissionregistration.k8s.io/v1alpha1',
          kind: 'MutatingAdmissionPolicy',
          metadata: { name: 'add-team-label' },
          spec: {
            matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
            mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"team": "platform"}}}' } }],
          },
        },
        { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'add-team-label' }, spec: { policyName: 'add-team-label' } },
      ],
    }));
    expect((await kubectl('apply', '-f', file)).stdout).toBe(
      'mutatingadmissionpolicy.admissionregistration.k8s.io/add-team-label created\nmutatingadmissionpolicybinding.admissionregistration.k8s.io/add-team-label created\n',
    );
    // The binding reaches admission through the server's watch: create until the label shows.
    const yaml = await waitFor(async () => {
      await kubectl('create', 'deployment', 'web', '--image=nginx:1.27');
      const out = (await kubectl('get', 'deploy', 'web', '-o', 'yaml')).stdout;
      if (out.includes('team: platform')) return out;
      await kubectl('delete', 'deployment', 'web', '--wait=true');
      return undefined;
    }, 'the policy to label a new Deployment', 60000);
    expect(yaml).toMatch(/labels:\n\s+app: web\n\s+team: platform\n/);
  }, 120000);
});
