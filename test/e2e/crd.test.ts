/**
 * End-to-end: CustomResourceDefinitions and custom resources driven by the real kubectl against
 * the built server. Each test states the kubectl behaviour it checks; the CustomResourcePublishOpenAPI
 * conformance rows that need kubectl (explain, create and apply with validation) are here too.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

let server: CliServer;

/** kubectl runs kubectl against the test server and returns stdout, or throws with stderr. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
  return stdout;
}

/** kubectlWith runs kubectl with extra environment (EDITOR) or stdin, returning stdout and stderr. */
function kubectlWith(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(options.input ?? '');
  });
}

/** kubectlFails runs kubectl expecting failure and returns its stderr. */
async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded but was expected to fail`);
}

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl with CustomResourceDefinitions', () => {
  it('applies a CRD and waits for condition=established', async () => {
    expect(await kubectl('apply', '-f', fixture('crd-crontab.yaml'))).toBe('customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n');
    expect(await kubectl('wait', '--for', 'condition=established', '--timeout=20s', 'crd/crontabs.stable.example.com')).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met\n',
    );
  });

  it('lists the custom resource in api-resources with its short name', async () => {
    const out = await kubectl('api-resources', '--api-group=stable.example.com');
    expect(out).toMatch(/^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/m);
  });

  it('applies a custom resource and gets it with the printer columns, wide and as YAML', async () => {
    expect(await kubectl('apply', '-f', fixture('crd-crontab-cr.yaml'))).toBe('crontab.stable.example.com/my-cron created\n');
    const table = (await kubectl('get', 'crontabs')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+AGE$/);
    expect(table[1]).toMatch(/^my-cron\s+\* \* \* \* \*\/5\s+1\s+\d+s$/);
    const wide = (await kubectl('get', 'ct', '-o', 'wide')).split('\n');
    expect(wide[0]).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+IMAGE\s+AGE$/);
    expect(wide[1]).toMatch(/^my-cron\s+.*\s+1\s+my-cron-image\s+\d+s$/);
    const yaml = await kubectl('get', 'crontab', 'my-cron', '-o', 'yaml');
    expect(yaml).toMatch(/^apiVersion: stable\.example\.com\/v1$/m);
    expect(yaml).toMatch(/^kind: CronTab$/m);
    expect(yaml).toMatch(/^ {2}generation: 1$/m);
    // The schema's default for replicas was applied.
    expect(yaml).toMatch(/^ {2}replicas: 1$/m);
  });

  it('explains the custom resource from its schema', async () => {
    const out = await kubectl('explain', 'crontab.spec');
    expect(out).toMatch(/KIND:\s+CronTab/);
    expect(out).toMatch(/FIELD: spec <Object>/);
    expect(out).toMatch(/The desired state of the CronTab\./);
    expect(out).toMatch(/cronSpec\s+<string> -required-/);
    expect(out).toMatch(/replicas\s+<integer>/);
  });

  it('patches with --type=merge, edits, and scales through the scale subresource', async () => {
    expect(await kubectl('patch', 'ct', 'my-cron', '--type=merge', '-p', '{"spec":{"image":"patched-image"}}')).toBe('crontab.stable.example.com/my-cron patched\n');
    expect(await kubectl('get', 'ct', 'my-cron', '-o', 'jsonpath={.spec.image}')).toBe('patched-image');
    const edit = await kubectlWith(['edit', 'ct', 'my-cron'], { env: { EDITOR: 'sed -i s/patched-image/edited-image/' } });
    expect(edit.stdout).toBe('crontab.stable.example.com/my-cron edited\n');
    expect(await kubectl('get', 'ct', 'my-cron', '-o', 'jsonpath={.spec.image}')).toBe('edited-image');
    expect(await kubectl('scale', 'ct', 'my-cron', '--replicas=3')).toBe('crontab.stable.example.com/my-cron scaled\n');
    expect(await kubectl('get', 'ct', 'my-cron', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}')).toBe('3 4');
  });

  it('refuses a custom resource violating the schema, naming each field path', async () => {
    const stderr = await kubectlFails('apply', '-f', fixture('crd-crontab-invalid.yaml'));
    expect(stderr).toContain('The CronTab "bad-cron" is invalid');
    expect(stderr).toContain(`spec.cronSpec: Invalid value: "every minute": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`);
    expect(stderr).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"');
  });

  it('refuses unknown fields under kubectl\'s strict validation, and prunes them with --validate=false', async () => {
    const stderr = await kubectlFails('apply', '-f', fixture('crd-crontab-unknown.yaml'));
    expect(stderr).toContain('strict decoding error: unknown field "spec.bogus"');
    const warn = await kubectlWith(['apply', '--validate=warn', '-f', fixture('crd-crontab-unknown.yaml')]);
    expect(warn.stderr).toContain('unknown field "spec.bogus"');
    expect(await kubectl('get', 'ct', 'unknown-cron', '-o', 'jsonpath={.spec}')).toBe('{"cronSpec":"* * * * *","replicas":1}');
    await kubectl('delete', 'ct', 'unknown-cron');
    await kubectl('apply', '--validate=false', '-f', fixture('crd-crontab-unknown.yaml'));
    expect(await kubectl('get', 'ct', 'unknown-cron', '-o', 'jsonpath={.spec}')).toBe('{"cronSpec":"* * * * *","replicas":1}');
  });

  it('watches custom resources with get -w', async () => {
    const child = spawn('kubectl', ['get', 'ct', '-w', '--output-watch-events', '--no-headers'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('my-cron'), 'the initial state');
      await kubectl('delete', 'ct', 'unknown-cron');
      await waitFor(() => /^DELETED\s+unknown-cron/m.test(out), 'the DELETED event');
    } finally {
      child.kill();
    }
  });

  it('deletes a custom resource', async () => {
    expect(await kubectl('delete', 'ct', 'my-cron')).toBe('crontab.stable.example.com "my-cron" deleted\n');
    expect(await kubectl('get', 'ct', '--ignore-not-found')).toBe('');
  });

  it('serves several versions of one CRD with conversion None', async () => {
    await kubectl('apply', '-f', fixture('crd-multiversion.yaml'));
    await kubectl('wait', '--for', 'condition=established', '--timeout=20s', 'crd/gadgets.multi.example.com');
    await kubectl('apply', '-f', fixture('crd-gadget-v1beta1.yaml'));
    expect(await kubectl('get', 'gadgets.v1beta1.multi.example.com', 'old-gadget', '-o', 'jsonpath={.apiVersion} {.spec.size}')).toBe('multi.example.com/v1beta1 small');
    expect(await kubectl('get', 'gadgets.v1.multi.example.com', 'old-gadget', '-o', 'jsonpath={.apiVersion} {.spec.size}')).toBe('multi.example.com/v1 small');
    expect(await kubectl('get', 'crd', 'gadgets.multi.example.com', '-o', 'jsonpath={.status.storedVersions}')).toBe('["v1"]');
  });

  it('deletes the custom resources of a deleted CRD and stops serving them', async () => {
    await kubectl('apply', '-f', fixture('crd-crontab-cr.yaml'));
    expect(await kubectl('delete', 'crd', 'crontabs.stable.example.com')).toBe('customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted\n');
    expect(await kubectl('get', 'crd', '-o', 'name')).not.toContain('crontabs.stable.example.com');
    const stderr = await kubectlFails('get', 'crontabs.stable.example.com');
    expect(stderr).toMatch(/the server doesn't have a resource type "crontabs"|could not find the requested resource/);
    expect(await kubectl('api-resources', '--api-group=stable.example.com', '--no-headers')).toBe('');
  });
});

// The schemas of test/e2e/apimachinery/crd_publish_openapi.go.
const SCHEMA_FOO = {
  description: 'Foo CRD for Testing',
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      description: 'Specification of Foo',
      properties: {
        bars: {
          description: 'List of Bars and their specs.',
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { description: 'Name of Bar.', type: 'string' },
              age: { description: 'Age of Bar.', type: 'string' },
              feeling: { description: 'Whether Bar is feeling great.', type: 'string', enum: ['Great', 'Down'] },
              bazs: { description: 'List of Bazs.', items: { type: 'string' }, type: 'array' },
            },
          },
        },
      },
    },
    status: {
      description: 'Status of Foo',
      type: 'object',
      properties: {
        bars: {
          description: 'List of Bars and their statuses.',
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { description: 'Name of Bar.', type: 'string' },
              available: { description: 'Whether the Bar is installed.', type: 'boolean' },
              quxType: { description: 'Indicates to external qux type.', pattern: 'in-tree|out-of-tree', type: 'string' },
            },
          },
        },
      },
    },
  },
};
const WALDO_PARTS = {
  spec: { description: 'Specification of Waldo', type: 'object', properties: { dummy: { description: 'Dummy property.', type: 'object' } } },
  status: { description: 'Status of Waldo', type: 'object', properties: { bars: { description: 'List of Bars and their statuses.', type: 'array', items: { type: 'object' } } } },
};
const SCHEMA_PRESERVE_ROOT = { description: 'preserve-unknown-properties at root for Testing', 'x-kubernetes-preserve-unknown-fields': true, type: 'object', properties: WALDO_PARTS };
const SCHEMA_PRESERVE_NESTED = {
  description: 'preserve-unknown-properties in nested field for Testing',
  type: 'object',
  properties: { ...WALDO_PARTS, spec: { ...WALDO_PARTS.spec, 'x-kubernetes-preserve-unknown-fields': true } },
};

let seq = 0;
/** setupCRD creates a namespaced CRD with the given schema and waits until kubectl can use it. */
async function setupCRD(schema: Record<string, unknown>): Promise<{ plural: string; kind: string; group: string }> {
  seq++;
  const group = `crd-publish-openapi-test-${seq}.example.com`;
  const kind = `E2e-test-crd-publish-openapi-${seq}-crd`;
  const plural = `e2e-test-crd-publish-openapi-${seq}-crds`;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, scope: 'Namespaced', names: { plural, kind, singular: `e2e-test-crd-publish-openapi-${seq}-crd`, listKind: `${kind}List` }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
  };
  const res = await kubectlWith(['create', '-f', '-'], { input: JSON.stringify(crd) });
  if (res.code !== 0) throw new Error(res.stderr);
  await kubectl('wait', '--for', 'condition=established', '--timeout=20s', `crd/${plural}.${group}`);
  return { plural, kind, group };
}

/** createAndApply creates, deletes, applies and deletes one CR through kubectl, as upstream does. */
async function createAndApply(crd: { plural: string; kind: string; group: string }, body: Record<string, unknown>): Promise<void> {
  const cr = JSON.stringify({ kind: crd.kind, apiVersion: `${crd.group}/v1`, metadata: { name: 'test-cr' }, ...body });
  for (const verb of ['create', 'apply']) {
    const res = await kubectlWith(['--namespace=default', verb, '-f', '-'], { input: cr });
    if (res.code !== 0) throw new Error(`kubectl ${verb}: ${res.stderr}`);
    await kubectl('--namespace=default', 'delete', crd.plural, 'test-cr');
  }
}

describe('[sig-api-machinery] CustomResourcePublishOpenAPI [Privileged:ClusterAdmin]', () => {
  it('works for CRD with validation schema [Conformance]', async () => {
    const crd = await setupCRD(SCHEMA_FOO);
    await createAndApply(crd, { spec: { bars: [{ name: 'test-bar' }] } });
    expect(await kubectl('explain', crd.plural)).toMatch(/DESCRIPTION:[\s\S]*Foo CRD for Testing[\s\S]*FIELDS:[\s\S]*apiVersion[\s\S]*<string>[\s\S]*APIVersion defines[\s\S]*spec[\s\S]*<Object>[\s\S]*Specification of Foo/);
    expect(await kubectl('explain', `${crd.plural}.metadata`)).toMatch(/DESCRIPTION:[\s\S]*Standard object's metadata[\s\S]*FIELDS:[\s\S]*creationTimestamp[\s\S]*<string>[\s\S]*CreationTimestamp is a timestamp/);
    expect(await kubectl('explain', `${crd.plural}.spec`)).toMatch(/DESCRIPTION:[\s\S]*Specification of Foo[\s\S]*FIELDS:[\s\S]*bars[\s\S]*<\[\]Object>[\s\S]*List of Bars and their specs/);
    expect(await kubectl('explain', `${crd.plural}.spec.bars`)).toMatch(/FIELD:[\s\S]*bars[\s\S]*<\[\]Object>[\s\S]*DESCRIPTION:[\s\S]*List of Bars and their specs[\s\S]*FIELDS:[\s\S]*bazs[\s\S]*<\[\]string>[\s\S]*List of Bazs[\s\S]*name[\s\S]*<string>[\s\S]*Name of Bar/);
    expect(await kubectlFails('explain', `${crd.plural}.spec.bars2`)).toContain('field "bars2" does not exist');
  });

  it('works for CRD without validation schema [Conformance]', async () => {
    const crd = await setupCRD({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    await createAndApply(crd, { a: { b: [{ c: 'd' }] } });
    expect(await kubectl('explain', crd.plural)).toMatch(/DESCRIPTION:[\s\S]*<empty>/);
  });

  it('works for CRD preserving unknown fields at the schema root [Conformance]', async () => {
    const crd = await setupCRD(SCHEMA_PRESERVE_ROOT);
    await createAndApply(crd, { a: { b: [{ c: 'd' }] } });
    expect(await kubectl('explain', crd.plural)).toMatch(new RegExp(`KIND:[\\s\\S]*${crd.kind}`));
  });

  it('works for CRD preserving unknown fields in an embedded object [Conformance]', async () => {
    const crd = await setupCRD(SCHEMA_PRESERVE_NESTED);
    await createAndApply(crd, { spec: { a: null, b: [{ c: 'd' }] } });
    expect(await kubectl('explain', crd.plural)).toMatch(/DESCRIPTION:[\s\S]*preserve-unknown-properties in nested field for Testing/);
  });
});
