/**
 * Service benchmark (issue 15): Service creates/s beside ConfigMap creates/s, measured in the
 * same run on the same in-process registry and SQLite file store. A Service create costs what a
 * ConfigMap's does plus its defaults, its validation and the cluster IP allocation in the write
 * path; the target is 70% of the ConfigMap rate. BENCH_SCALE scales the number of creates.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { createNodeless, type Nodeless } from '../../server/server';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
// Creates in flight at once, as a client with several connections would send them.
const IN_FLIGHT = 16;

function configMap(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: name, tier: 'frontend' } },
    data: { UPSTREAM_URL: 'http://api.default.svc.cluster.local:8080', LOG_LEVEL: 'info', port: '8080' },
  };
}

// service is what `kubectl expose deployment --port=80 --target-port=8080` sends, with a name per Service.
function service(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: name, tier: 'frontend' } },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: name } },
  };
}

async function createAll(nodeless: Nodeless, def: ResourceDefinition, make: (name: string) => KubeObject, prefix: string, n: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) {
        const i = next++;
        await nodeless.registry.create(def, 'default', make(`${prefix}-${i}`));
      }
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** runServiceBench prints Service creates/s beside ConfigMap creates/s and returns the figures. */
export async function runServiceBench(): Promise<Figure[]> {
  const n = Math.max(200, Math.round(3000 * scale));
  console.log(`\nservices (${n.toLocaleString('en-US')} creates per round, in-process registry with cluster IP allocation, SQLite file store)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-service-bench-'));
  // No controllers: the figure is the create path, not the controllers watching it.
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), controllers: false });
  try {
    const cmDef = nodeless.resources.lookup('', 'v1', 'configmaps')!;
    const svcDef = nodeless.resources.lookup('', 'v1', 'services')!;
    await createAll(nodeless, cmDef, configMap, 'warm-cm', 300);
    await createAll(nodeless, svcDef, service, 'warm-svc', 300);
    const cm: number[] = [];
    const svc: number[] = [];
    // Rounds alternate so that both kinds see the same store size and machine state.
    for (let round = 0; round < 3; round++) {
      cm.push(await createAll(nodeless, cmDef, configMap, `cm-${round}`, n));
      svc.push(await createAll(nodeless, svcDef, service, `svc-${round}`, n));
    }
    const value = median(svc);
    const baseline = median(cm);
    const figures: Figure[] = [
      {
        name: 'Service creates/s (median of 3 rounds)',
        value,
        unit: 'creates/s',
        baselineName: 'ConfigMap creates/s',
        baseline,
        better: 'higher',
        target: '>= 70% of ConfigMap',
        met: value >= 0.7 * baseline,
      },
    ];
    for (const f of figures) console.log(formatFigure(f));
    console.log(`  cluster IPs held: ${nodeless.serviceIPs.allocated.toLocaleString('en-US')} of ${nodeless.serviceIPs.cidr}`);
    return figures;
  } finally {
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runServiceBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
