/**
 * Custom resource benchmark (issue: custom resources served like built-ins): custom resource
 * creates/s beside built-in ConfigMap creates/s, measured in the same run on the same kind of
 * store. The load goes through the in-process registry, not HTTP: each create runs what the
 * create handler runs after decoding the body (unknown-field pruning, then the registry's full
 * pipeline: schema validation, defaulting, admission, validation, storage), so the figure shows
 * what serving a kind from a CRD costs over a built-in, without the HTTP stack in both numbers.
 * Target: at least 80% of the built-in rate (the CRD's schema is compiled once per version).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNodeless, type Nodeless } from '../../server/server';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');

const CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'webapps.bench.example.com' },
  spec: {
    group: 'bench.example.com',
    scope: 'Namespaced',
    names: { plural: 'webapps', kind: 'WebApp', shortNames: ['wa'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['image'],
                properties: {
                  image: { type: 'string', pattern: '^[a-z0-9./:-]+$' },
                  replicas: { type: 'integer', minimum: 0, default: 1 },
                  port: { 'x-kubernetes-int-or-string': true },
                  tier: { type: 'string', enum: ['frontend', 'backend', 'batch'] },
                  env: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, value: { type: 'string' } } } },
                  resources: { type: 'object', additionalProperties: { type: 'string' } },
                  features: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                },
              },
              status: { type: 'object', properties: { readyReplicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

function webApp(name: string): KubeObject {
  return {
    apiVersion: 'bench.example.com/v1',
    kind: 'WebApp',
    metadata: { name, labels: { app: 'web', tier: 'frontend' }, annotations: { 'bench.example.com/owner': 'team-a' } },
    spec: {
      image: 'registry.example.com/team/web-frontend:1.24.3',
      replicas: 3,
      port: 'http',
      tier: 'frontend',
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'UPSTREAM_URL', value: 'http://api.default.svc.cluster.local:8080' },
        { name: 'FEATURE_FLAGS', value: 'checkout-v2,search-suggest,dark-mode' },
      ],
      resources: { cpu: '250m', memory: '256Mi' },
      features: ['checkout-v2', 'search-suggest', 'dark-mode'],
    },
  };
}

function configMap(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'web', tier: 'frontend' }, annotations: { 'bench.example.com/owner': 'team-a' } },
    data: {
      image: 'registry.example.com/team/web-frontend:1.24.3',
      replicas: '3',
      port: 'http',
      LOG_LEVEL: 'info',
      UPSTREAM_URL: 'http://api.default.svc.cluster.local:8080',
      FEATURE_FLAGS: 'checkout-v2,search-suggest,dark-mode',
      resources: 'cpu=250m,memory=256Mi',
    },
  };
}

// createAll creates n objects one after another, as the create handler does after decoding (the
// registry prunes unknown fields itself).
async function createAll(nodeless: Nodeless, def: ResourceDefinition, make: (name: string) => KubeObject, prefix: string, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await nodeless.registry.create(def, 'default', make(`${prefix}-${i}`));
  }
  return n / ((performance.now() - t) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function waitForServed(nodeless: Nodeless): Promise<ResourceDefinition> {
  for (let i = 0; i < 400; i++) {
    const def = nodeless.resources.lookup('bench.example.com', 'v1', 'webapps');
    if (def) return def;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the benchmark CRD was not served');
}

/** runCrdBench prints custom resource creates/s beside ConfigMap creates/s and returns the figures. */
export async function runCrdBench(): Promise<Figure[]> {
  console.log('\ncustom resources (in-process registry: field pruning + create pipeline, SQLite file store)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-crd-bench-'));
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), scheduler: false });
  try {
    await nodeless.registry.create(nodeless.resources.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!, undefined, CRD);
    const crDef = await waitForServed(nodeless);
    const cmDef = nodeless.resources.lookup('', 'v1', 'configmaps')!;
    const n = Math.max(200, Math.round(3000 * scale));
    await createAll(nodeless, cmDef, configMap, 'warm-cm', 300);
    await createAll(nodeless, crDef, webApp, 'warm-cr', 300);
    const cm: number[] = [];
    const cr: number[] = [];
    // Rounds alternate so that both kinds see the same store size and machine state.
    for (let round = 0; round < 3; round++) {
      cm.push(await createAll(nodeless, cmDef, configMap, `cm-${round}`, n));
      cr.push(await createAll(nodeless, crDef, webApp, `cr-${round}`, n));
    }
    const value = median(cr);
    const baseline = median(cm);
    const figures: Figure[] = [
      {
        name: 'custom resource creates/s (median of 3 rounds)',
        value,
        unit: 'creates/s',
        baselineName: 'ConfigMap creates/s',
        baseline,
        better: 'higher',
        target: '>= 80% of ConfigMap',
        met: value >= 0.8 * baseline,
      },
    ];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runCrdBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
