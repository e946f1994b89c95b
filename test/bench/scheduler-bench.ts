/**
 * Scheduler benchmark (issue 13): 10,000 bare pods (BENCH_SCALE scales it) created through the
 * in-process Client, first on a server without the instance scheduler (the raw create rate),
 * then on one with it and the simulated provider at zero start latency: the time until every pod
 * is Running, as pods per second beside the raw create rate of the same run, and the time of the
 * scheduling decision (sizing against the catalog) per pod. The durable ledger
 * is on, as in `nodeless serve`, so each pod also costs an InstanceRun write.
 */
import { performance } from 'node:perf_hooks';
import { EVENTS, NAMESPACES, PODS, SERVICE_ACCOUNTS, type Client } from '../../controllers/runtime/client';
import { INSTANCE_RUNS } from '../../controllers/instances/run-store';
import { Informer } from '../../controllers/runtime/informer';
import type { KubeObject } from '../../schemas/types';
import { createNodeless, type NodelessOptions } from '../../server/server';
import { defaultCatalog } from '../../controllers/instances/catalog';
import type { Pod } from '../../controllers/instances/pod';
import { decideSize } from '../../controllers/instances/sizing';
import { Ledger, aggregate, type InstanceRun } from '../../controllers/instances/ledger';
import { formatFigure, percentile, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const CONCURRENCY = 64;

function barePod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '250m', memory: '512Mi' } } }] } };
}

async function createAll(client: Client, n: number): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await client.create(PODS, 'bench', barePod(`pod-${next++}`));
    }),
  );
  return performance.now() - t;
}

async function server(options: NodelessOptions) {
  const nodeless = await createNodeless({ databasePath: ':memory:', ...options });
  const client = nodeless.client.withFieldManager('bench');
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  // Admission waits for the namespace's default ServiceAccount; it is made here, not awaited from a controller.
  try {
    await client.create(SERVICE_ACCOUNTS, 'bench', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  } catch {
    // The service-account controller was quicker.
  }
  return { nodeless, client };
}

/** runSchedulerBench prints how fast pods reach Running beside the raw create rate. */
export async function runSchedulerBench(): Promise<Figure[]> {
  const n = Math.max(100, Math.round(10_000 * scale));
  console.log(`\ninstance scheduler (${n.toLocaleString('en-US')} bare pods, simulated provider with zero start latency, in-process Client)`);

  const raw = await server({ scheduler: false });
  let rawMs: number;
  try {
    rawMs = await createAll(raw.client, n);
  } finally {
    await raw.nodeless.close();
  }

  const scheduled = await server({ scheduler: { simulated: { startLatencyMs: 0 } } });
  let runningMs: number;
  let createMs: number;
  let writesToRunning: number;
  let writesInAll: number;
  try {
    const running = new Set<string>();
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const watch = new Informer(scheduled.client, PODS, { namespace: 'bench' });
    const seen = (p: Readonly<KubeObject>) => {
      if ((p.status as { phase?: string } | undefined)?.phase !== 'Running') return;
      running.add(p.metadata!.name!);
      if (running.size === n) done();
    };
    watch.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
    watch.run();
    await watch.waitForSync();
    const before = await revision(scheduled.client);
    const t = performance.now();
    createMs = await createAll(scheduled.client, n);
    await all;
    runningMs = performance.now() - t;
    writesToRunning = ((await revision(scheduled.client)) - before) / n;
    watch.stop();
    // The writes left off the path to Running (Events, the ledger) finish afterwards: the store's
    // revision stops moving once the five events and the run of every pod are written.
    await settled(scheduled.client, n);
    writesInAll = ((await revision(scheduled.client)) - before) / n;
  } finally {
    await scheduled.nodeless.close();
  }
  // The decision alone: sizing a pod against the default catalog.
  const catalog = defaultCatalog();
  const decisions: number[] = [];
  for (let i = 0; i < n; i++) {
    const pod = barePod(`pod-${i}`) as unknown as Pod;
    const t = performance.now();
    decideSize(pod, catalog);
    decisions.push(performance.now() - t);
  }
  decisions.sort((a, b) => a - b);
  const rawRate = n / (rawMs / 1000);
  const runningRate = n / (runningMs / 1000);
  const figures: Figure[] = [
    { name: 'raw create rate (no scheduler)', value: rawRate, unit: 'pods/s', better: 'higher' },
    { name: 'create rate with the scheduler running', value: n / (createMs / 1000), unit: 'pods/s', baselineName: 'raw', baseline: rawRate, better: 'higher' },
    { name: `created to all ${n} Running`, value: runningRate, unit: 'pods/s', baselineName: 'raw', baseline: rawRate, better: 'higher', target: '>= 1,000 pods/s and >= 50% of raw', met: runningRate >= 1000 && runningRate >= rawRate / 2 },
    { name: 'store writes per pod until all Running (the create included)', value: writesToRunning, unit: 'writes', better: 'lower' },
    { name: 'store writes per pod in all (events and ledger included)', value: writesInAll, unit: 'writes', better: 'lower' },
    { name: 'scheduling decision per pod, p50', value: percentile(decisions, 50) * 1000, unit: 'µs', better: 'lower' },
    { name: 'scheduling decision per pod, p99', value: percentile(decisions, 99) * 1000, unit: 'µs', better: 'lower' },
  ];
  figures.push(...ledgerQueryFigures());
  for (const f of figures) console.log(formatFigure(f));
  return figures;
}

// revision is the store's current resourceVersion, which every write moves by one.
async function revision(client: Client): Promise<number> {
  return Number((await client.list(PODS, 'bench', { limit: 1 })).metadata?.resourceVersion ?? 0);
}

// settled waits (up to a minute) until every pod's five kubelet/scheduler events and its run are written.
async function settled(client: Client, n: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const events = (await client.list(EVENTS, 'bench')).items.length;
    const runs = (await client.list(INSTANCE_RUNS, 'bench')).items.length;
    if (events >= 5 * n && runs >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ledgerQueryFigures time the ledger's usage query for one namespace over 100,000 runs (scaled),
// beside the plain aggregation of the same runs, the best of five of each.
function ledgerQueryFigures(): Figure[] {
  const count = Math.max(1000, Math.round(100_000 * scale));
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const ledger = new Ledger();
  const all: InstanceRun[] = [];
  for (let i = 0; i < count; i++) {
    const run: InstanceRun = {
      instanceId: `i-${i}`, podUID: `u-${i}`, podName: `p-${i}`, namespace: i % 10 === 0 ? 'other' : 'big', workload: { kind: 'Deployment', name: `d-${i % 50}` },
      size: 's', family: 'f', capacityType: 'on-demand', zone: 'z', pricePerSecond: 0.0001, start: new Date(t0 + i * 1000).toISOString(),
      ...(i % 2 ? {} : { stop: new Date(t0 + i * 1000 + 120_000).toISOString() }),
    };
    ledger.put(run);
    all.push(run);
  }
  const range = { from: t0, to: t0 + count * 1000, now: t0 + count * 1000 };
  const best = (fn: () => unknown) => {
    let ms = Infinity;
    for (let k = 0; k < 5; k++) {
      const started = performance.now();
      fn();
      ms = Math.min(ms, performance.now() - started);
    }
    return ms;
  };
  const indexed = best(() => ledger.usage('namespace', range, 'big'));
  const plain = best(() => aggregate(all.filter((r) => r.namespace === 'big'), 'namespace', range));
  return [{ name: `ledger query, one namespace of ${count.toLocaleString('en-US')} runs`, value: indexed, unit: 'ms', baselineName: 'plain aggregation', baseline: plain, better: 'lower', target: '< 50 ms', met: indexed < 50 }];
}
