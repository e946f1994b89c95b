/**
 * End-to-end with the real kubectl against the built server: a CRD with two versions whose
 * conversion strategy is Webhook (an HTTPS server this test runs). kubectl creates a custom
 * resource in one version and reads it in both, each through the webhook; a webhook that fails
 * makes kubectl print kube's conversion error.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { startWebhookServer, type WebhookServer } from '../helpers/webhook-server';

const run = promisify(execFile);
let server: CliServer;
let hooks: WebhookServer;
let dir: string;

const GROUP = 'conv.example.com';
type Obj = Record<string, any>;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

async function failing(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    await kubectl(...args);
  } catch (err) {
    return err as { stdout: string; stderr: string };
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

function manifest(name: string, value: unknown): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

// The test webhook's conversion: v1 spec.hostPort "h:p" <-> v2 spec.host and spec.port.
function convert(obj: Obj, desired: string): Obj {
  const out = structuredClone(obj);
  out.apiVersion = desired;
  const spec = out.spec ?? {};
  if (desired.endsWith('/v2') && typeof spec.hostPort === 'string') {
    const [host, port] = spec.hostPort.split(':');
    out.spec = { host, port };
  } else if (desired.endsWith('/v1') && spec.host !== undefined) {
    out.spec = { hostPort: `${spec.host}:${spec.port}` };
  }
  return out;
}

let failWith: string | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-conversion-e2e-'));
  server = await startCliServer(['--scheduler=false']);
  hooks = await startWebhookServer();
  hooks.handle('/convert', (review) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'ConversionReview',
    response: failWith
      ? { uid: review.request.uid, result: { status: 'Failure', message: failWith } }
      : { uid: review.request.uid, convertedObjects: review.request.objects.map((o: Obj) => convert(o, review.request.desiredAPIVersion)), result: { status: 'Success' } },
  }));
});

afterAll(async () => {
  await server?.stop();
  await hooks?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const schema = (props: Record<string, unknown>) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: props } } } });

describe('kubectl and a CRD conversion webhook', () => {
  it('creates a custom resource in v1 and gets it in both versions through the webhook', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `ports.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { plural: 'ports', singular: 'port', kind: 'Port' },
        versions: [
          { name: 'v1', served: true, storage: false, schema: schema({ hostPort: { type: 'string' } }) },
          { name: 'v2', served: true, storage: true, schema: schema({ host: { type: 'string' }, port: { type: 'string' } }) },
        ],
        conversion: { strategy: 'Webhook', webhook: { clientConfig: { url: `${hooks.url}/convert`, caBundle: hooks.caBundle }, conversionReviewVersions: ['v1'] } },
      },
    };
    expect((await kubectl('apply', '-f', manifest('crd', crd))).stdout).toBe(`customresourcedefinition.apiextensions.k8s.io/ports.${GROUP} created\n`);
    await kubectl('wait', '--for=condition=Established', `crd/ports.${GROUP}`, '--timeout=60s');
    const cr = { apiVersion: `${GROUP}/v1`, kind: 'Port', metadata: { name: 'web' }, spec: { hostPort: 'localhost:8080' } };
    // Discovery may lag the CRD by a moment in kubectl's cache; retry the create until it is known.
    await waitFor(async () => (await kubectl('create', '-f', manifest('cr', cr)).then(() => true, () => false)), 'kubectl to create the custom resource', 60_000);
    hooks.received.length = 0;
    const v2 = JSON.parse((await kubectl('get', `ports.v2.${GROUP}`, 'web', '-o', 'json')).stdout);
    expect(v2).toMatchObject({ apiVersion: `${GROUP}/v2`, kind: 'Port', spec: { host: 'localhost', port: '8080' } });
    // v2 is the storage version: that read needed no review.
    expect(hooks.received).toHaveLength(0);
    const v1 = JSON.parse((await kubectl('get', `ports.v1.${GROUP}`, 'web', '-o', 'json')).stdout);
    expect(v1).toMatchObject({ apiVersion: `${GROUP}/v1`, kind: 'Port', spec: { hostPort: 'localhost:8080' } });
    expect(v1.metadata.uid).toBe(v2.metadata.uid);
    expect(hooks.received.map((r) => r.body.request.desiredAPIVersion)).toEqual([`${GROUP}/v1`]);
    const table = (await kubectl('get', `ports.v1.${GROUP}`)).stdout;
    expect(table).toMatch(/^NAME\s+AGE\nweb\s+\S+\n$/);
  });

  it('prints kube\'s conversion error when the webhook fails', async () => {
    failWith = 'this webhook is broken';
    try {
      const out = await failing('get', `ports.v1.${GROUP}`, 'web');
      expect(out.stderr).toContain(`Error from server: conversion webhook for ${GROUP}/v2, Kind=Port failed: this webhook is broken`);
      // The storage version is served as stored, without the webhook.
      expect((await kubectl('get', `ports.v2.${GROUP}`, 'web', '-o', 'jsonpath={.spec.host}')).stdout).toBe('localhost');
    } finally {
      failWith = undefined;
    }
  });
});
