/**
 * Service benchmark (issue 15): Service creates/s beside ConfigMap creates/s, measured in the
 * same run on the same in-process registry and SQLite file store, at the same concurrency and
 * in rounds of the same size. A Service create costs what a ConfigMap's does plus its defaults,
 * its validation, the cluster IP allocation in the write path, and a larger object to record
 * managedFields for and store; the target is 70% of the ConfigMap rate. BENCH_SCALE scales the
 * number of creates.
 *
 * Both kinds are warmed up with as many creates as a round makes, twice, before anything is
 * measured: the Service path runs more code than the ConfigMap one, and a short warm-up measured
 * it half-compiled (0.44-0.48 of the ConfigMap rate at BENCH_SCALE=0.2, against about 0.7 once
 * both are compiled). Then come five rounds, in each of which the kinds take turns a hundred
 * creates at a time; the figure is the ratio of the medians, printed beside the range of the
 * per-round ratios.
 *
 * A second, controllers-on part counts the store writes a selector Service with no pods costs
 * once the controllers are done with it: the Service, its Endpoints and its EndpointSlice, as
 * kube writes them.
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
const ROUNDS = 5;
const WARM_ROUNDS = 2;
// Within a round the kinds take turns, CHUNK creates at a time and each going first every other
// turn: the load of a shared machine changes over tens of milliseconds, and both kinds then see
// the same share of it.
const CHUNK = 100;

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

interface Kind {
  def: ResourceDefinition;
  make: (name: string) => KubeObject;
  prefix: string;
}

// createAll makes n objects, IN_FLIGHT at a time, and answers the milliseconds it took.
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
  return performance.now() - t;
}

/** Rates are one kind's creates per second of wall time and per second of this process's CPU time. */
interface Rates {
  wall: number;
  cpu: number;
}

// round makes n objects of each kind, taking turns, and answers each kind's rates. The CPU rate
// is what other processes on a shared machine disturb least.
async function round(nodeless: Nodeless, kinds: Kind[], name: string, n: number): Promise<Rates[]> {
  const ms = kinds.map(() => 0);
  const cpuUs = kinds.map(() => 0);
  for (let done = 0, turn = 0; done < n; done += CHUNK, turn++) {
    const size = Math.min(CHUNK, n - done);
    const order = turn % 2 === 0 ? kinds.map((_, k) => k) : kinds.map((_, k) => kinds.length - 1 - k);
    for (const k of order) {
      const cpu = process.cpuUsage();
      ms[k] += await createAll(nodeless, kinds[k].def, kinds[k].make, `${kinds[k].prefix}-${name}-${done}`, size);
      const used = process.cpuUsage(cpu);
      cpuUs[k] += used.user + used.system;
    }
  }
  return kinds.map((_, k) => ({ wall: n / (ms[k] / 1000), cpu: n / (cpuUs[k] / 1e6) }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// settled waits until the store's revision has not moved for a while: the controllers are done.
async function settled(nodeless: Nodeless, deadlineMs: number): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  let last = -1;
  for (;;) {
    const now = await nodeless.store.currentRevision();
    if (now === last) return now;
    if (Date.now() > deadline) throw new Error('service bench: the controllers kept writing past the deadline');
    last = now;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * writesPerService creates n selector Services with no pods on a server running its controllers
 * and answers the store writes per Service once the controllers have settled.
 */
async function writesPerService(n: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-service-bench-'));
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), scheduler: false });
  try {
    const svcDef = nodeless.resources.lookup('', 'v1', 'services')!;
    const before = await settled(nodeless, 30_000);
    await createAll(nodeless, svcDef, service, 'count-svc', n);
    return ((await settled(nodeless, 60_000)) - before) / n;
  } finally {
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** runServiceBench prints Service creates/s beside ConfigMap creates/s and returns the figures. */
export async function runServiceBench(): Promise<Figure[]> {
  const n = Math.max(200, Math.round(3000 * scale));
  console.log(`\nservices (${n.toLocaleString('en-US')} creates per round, in-process registry with cluster IP allocation, SQLite file store)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-service-bench-'));
  // No controllers: the figure is the create path, not the controllers watching it.
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), controllers: false });
  const figures: Figure[] = [];
  try {
    const kinds: Kind[] = [
      { def: nodeless.resources.lookup('', 'v1', 'configmaps')!, make: configMap, prefix: 'cm' },
      { def: nodeless.resources.lookup('', 'v1', 'services')!, make: service, prefix: 'svc' },
    ];
    for (let r = 0; r < WARM_ROUNDS; r++) await round(nodeless, kinds, `warm-${r}`, n);
    const cm: Rates[] = [];
    const svc: Rates[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const [cmRates, svcRates] = await round(nodeless, kinds, String(r), n);
      cm.push(cmRates);
      svc.push(svcRates);
    }
    const value = median(svc.map((x) => x.wall));
    const baseline = median(cm.map((x) => x.wall));
    figures.push({
      name: `Service creates/s (median of ${ROUNDS} rounds)`,
      value,
      unit: 'creates/s',
      baselineName: 'ConfigMap creates/s',
      baseline,
      better: 'higher',
      target: '>= 70% of ConfigMap',
      met: value >= 0.7 * baseline,
    });
    for (const f of figures) console.log(formatFigure(f));
    const ratios = svc.map((v, i) => v.wall / cm[i].wall).sort((a, b) => a - b);
    console.log(`  per-round ratios: ${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)} (median ${median(ratios).toFixed(2)})`);
    const cpuUs = (rates: Rates[]) => 1e6 / median(rates.map((x) => x.cpu));
    console.log(`  CPU per create (median of rounds): ConfigMap ${cpuUs(cm).toFixed(1)} µs, Service ${cpuUs(svc).toFixed(1)} µs, ratio ${(cpuUs(cm) / cpuUs(svc)).toFixed(2)}`);
    console.log(`  cluster IPs held: ${nodeless.serviceIPs.allocated.toLocaleString('en-US')} of ${nodeless.serviceIPs.cidr}`);
  } finally {
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const counted = Math.max(50, Math.round(500 * scale));
  const writes = await writesPerService(counted);
  console.log(`  store writes per selector Service with no pods, controllers on (${counted} Services): ${writes.toFixed(2)} (kube: 3, the Service, its Endpoints and its EndpointSlice)`);
  return figures;
}

if (require.main === module) {
  runServiceBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
