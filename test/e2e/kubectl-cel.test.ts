/**
 * End-to-end: the real kubectl against a CRD whose schema carries x-kubernetes-validations
 * rules (a messageExpression, a transition rule, an RE2 matches()): what Kubernetes refuses is
 * refused, and kubectl prints kube's message.
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

// kubectlFails runs kubectl expecting it to fail, and returns what it printed on stderr.
async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

function writeJSON(name: string, value: unknown): string {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.cel.example.com' },
  spec: {
    group: 'cel.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [{
      name: 'v1',
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              'x-kubernetes-validations': [
                { rule: 'self.replicas <= self.maxReplicas', messageExpression: "'replicas must not exceed maxReplicas (got ' + string(self.replicas) + ')'" },
                { rule: "self.owner.matches('^(?i)team-[a-z]+$')", message: 'owner must be a team', fieldPath: '.owner' },
              ],
              properties: {
                replicas: { type: 'integer' },
                maxReplicas: { type: 'integer' },
                owner: { type: 'string', maxLength: 63 },
                mode: { type: 'string', maxLength: 16, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'mode is immutable' }] },
              },
            },
          },
        },
      },
    }],
  },
};

const gadget = (spec: Record<string, unknown>) => ({ apiVersion: 'cel.example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'default' }, spec });

beforeAll(async () => {
  server = await startCliServer(['--scheduler=false']);
  await kubectl('apply', '-f', writeJSON('crd.json', CRD));
  await kubectl('wait', '--for=condition=Established', 'crd/gadgets.cel.example.com', '--timeout=60s');
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl and x-kubernetes-validations', () => {
  it('refuses a custom resource that breaks a rule with the messageExpression text', async () => {
    const err = await kubectlFails('apply', '-f', writeJSON('bad.json', gadget({ replicas: 12, maxReplicas: 10, owner: 'team-a', mode: 'fast' })));
    expect(err).toContain('The Gadget "g1" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas (got 12)');
  });

  it('applies RE2 matches() and reports the rule at its fieldPath', async () => {
    const err = await kubectlFails('apply', '-f', writeJSON('owner.json', gadget({ replicas: 1, maxReplicas: 10, owner: 'alice', mode: 'fast' })));
    expect(err).toContain('The Gadget "g1" is invalid: spec.owner: Invalid value: "object": owner must be a team');
  });

  it('accepts a valid object, then refuses a change the transition rule forbids', async () => {
    await kubectl('apply', '-f', writeJSON('good.json', gadget({ replicas: 3, maxReplicas: 10, owner: 'TEAM-Blue', mode: 'fast' })));
    // Transition rules are not evaluated on create, and pass when the value is unchanged.
    await kubectl('apply', '-f', writeJSON('scale.json', gadget({ replicas: 4, maxReplicas: 10, owner: 'TEAM-Blue', mode: 'fast' })));
    const err = await kubectlFails('apply', '-f', writeJSON('mode.json', gadget({ replicas: 4, maxReplicas: 10, owner: 'TEAM-Blue', mode: 'slow' })));
    expect(err).toContain('The Gadget "g1" is invalid: spec.mode: Invalid value: "string": mode is immutable');
    expect((await kubectl('get', 'gadget', 'g1', '-o', 'jsonpath={.spec.mode}/{.spec.replicas}')).stdout).toBe('fast/4');
  });

  it('refuses a CRD whose rule does not compile', async () => {
    const bad = structuredClone(CRD) as any;
    bad.metadata.name = 'broken.cel.example.com';
    bad.spec.names = { plural: 'broken', singular: 'broken', kind: 'Broken' };
    bad.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{ rule: 'self.nope > 1' }];
    const err = await kubectlFails('apply', '-f', writeJSON('broken.json', bad));
    expect(err).toContain('The CustomResourceDefinition "broken.cel.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value:');
    expect(err).toContain("compilation failed: ERROR: <input>:1:5: undefined field 'nope'");
  });
});
