/**
 * CEL benchmark (issue 16): custom resource creates/s for a CRD whose schema carries 20
 * x-kubernetes-validations rules, beside the same CRD without rules, measured in the same run
 * through the in-process registry (as crd-bench.ts does). The rules are compiled once per CRD
 * version, so each create pays only their evaluation (and its runtime cost check).
 * Target: at least 70% of the rate without rules.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNodeless, type Nodeless } from '../../server/server';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');

// RULES are twenty rules of the kinds real CRDs (Gateway API, cert-manager, prometheus-operator) use.
const RULES = [
  'self.replicas <= self.maxReplicas',
  'self.replicas >= 0',
  "self.image.matches('^[a-z0-9./:-]+$')",
  "self.tier in ['frontend', 'backend', 'batch']",
  'size(self.env) <= 32',
  'self.env.all(e, size(e.name) > 0)',
  "self.env.all(e, !e.name.startsWith('KUBE_'))",
  'self.env.exists_one(e, e.name == self.env[0].name)',
  'has(self.port)',
  "!has(self.resources) || self.resources.all(k, k in ['cpu', 'memory'])",
  "!has(self.resources) || !has(self.resources.cpu) || quantity(self.resources.cpu).isLessThan(quantity('8'))",
  "!has(self.resources) || !has(self.resources.memory) || quantity(self.resources.memory).compareTo(quantity('64Gi')) <= 0",
  'self.features.all(f, f.lowerAscii() == f)',
  'self.features.size() == self.features.filter(f, f != "").size()',
  "self.upstream == '' || isURL(self.upstream)",
  "self.upstream == '' || url(self.upstream).getScheme() in ['http', 'https']",
  "self.address == '' || isIP(self.address)",
  "self.address == '' || ip(self.address).family() == 4",
  "self.image.split(':').size() <= 3",
  "self.tier != 'batch' || self.replicas <= 1",
];

function crd(group: string, withRules: boolean): KubeObject {
  const spec: Record<string, unknown> = {
    type: 'object',
    required: ['image'],
    properties: {
      image: { type: 'string', maxLength: 256 },
      replicas: { type: 'integer', minimum: 0, default: 1 },
      maxReplicas: { type: 'integer' },
      port: { 'x-kubernetes-int-or-string': true },
      tier: { type: 'string', enum: ['frontend', 'backend', 'batch'] },
      env: { type: 'array', maxItems: 64, items: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 }, value: { type: 'string', maxLength: 1024 } } } },
      resources: { type: 'object', maxProperties: 8, additionalProperties: { type: 'string', maxLength: 32 } },
      features: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 }, 'x-kubernetes-list-type': 'set' },
      upstream: { type: 'string', maxLength: 256, default: '' },
      address: { type: 'string', maxLength: 64, default: '' },
    },
  };
  if (withRules) spec['x-kubernetes-validations'] = RULES.map((rule) => ({ rule }));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `webapps.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'webapps', kind: 'WebApp' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec } } } }],
    },
  };
}

function webApp(group: string) {
  return (name: string): KubeObject => ({
    apiVersion: `${group}/v1`,
    kind: 'WebApp',
    metadata: { name, labels: { app: 'web' } },
    spec: {
      image: 'registry.example.com/team/web-frontend:1.24.3',
      replicas: 3,
      maxReplicas: 10,
      port: 'http',
      tier: 'frontend',
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'UPSTREAM_URL', value: 'http://api.default.svc.cluster.local:8080' },
        { name: 'FEATURE_FLAGS', value: 'checkout-v2,search-suggest,dark-mode' },
      ],
      resources: { cpu: '250m', memory: '256Mi' },
      features: ['checkout-v2', 'search-suggest', 'dark-mode'],
      upstream: 'https://api.example.com/v1',
      address: '10.0.0.12',
    },
  });
}

async function createAll(nodeless: Nodeless, def: ResourceDefinition, make: (name: string) => KubeObject, prefix: string, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await nodeless.registry.create(def, 'default', make(`${prefix}-${i}`));
  return n / ((performance.now() - t) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function waitForServed(nodeless: Nodeless, group: string): Promise<ResourceDefinition> {
  for (let i = 0; i < 400; i++) {
    const def = nodeless.resources.lookup(group, 'v1', 'webapps');
    if (def) return def;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the benchmark CRD of ${group} was not served`);
}

/** runCelBench prints creates/s with 20 CEL rules beside creates/s of the same CRD without rules. */
export async function runCelBench(): Promise<Figure[]> {
  console.log('\nCEL validation rules (in-process registry, SQLite file store)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-cel-bench-'));
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), scheduler: false });
  try {
    const crds = nodeless.resources.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    await nodeless.registry.create(crds, undefined, crd('plain.bench.example.com', false));
    await nodeless.registry.create(crds, undefined, crd('cel.bench.example.com', true));
    const plainDef = await waitForServed(nodeless, 'plain.bench.example.com');
    const celDef = await waitForServed(nodeless, 'cel.bench.example.com');
    const plain = webApp('plain.bench.example.com');
    const cel = webApp('cel.bench.example.com');
    const n = Math.max(200, Math.round(2000 * scale));
    await createAll(nodeless, plainDef, plain, 'warm', 200);
    await createAll(nodeless, celDef, cel, 'warm', 200);
    const without: number[] = [];
    const withRules: number[] = [];
    // Rounds alternate so that both CRDs see the same store size and machine state.
    for (let round = 0; round < 3; round++) {
      without.push(await createAll(nodeless, plainDef, plain, `r${round}`, n));
      withRules.push(await createAll(nodeless, celDef, cel, `r${round}`, n));
    }
    const value = median(withRules);
    const baseline = median(without);
    const figures: Figure[] = [{
      name: 'custom resource creates/s with 20 CEL rules (median of 3 rounds)',
      value,
      unit: 'creates/s',
      baselineName: 'the same CRD without rules',
      baseline,
      better: 'higher',
      target: '>= 70% of without rules',
      met: value >= 0.7 * baseline,
    }];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runCelBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
