/**
 * Process provider benchmark (issue 14): 100 pods (BENCH_SCALE scales it) running `sleep
 * infinity` as real processes, created through the in-process Client: the time until every pod is
 * Ready, then the server's RSS and CPU over a quiet window while they run, each beside the same run
 * on the simulated provider (zero start latency) in the same process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NAMESPACES, PODS, SERVICE_ACCOUNTS, type Client } from '../../controllers/runtime/client';
import { Informer } from '../../controllers/runtime/informer';
import { PROCESS_POD_CIDR } from '../../controllers/builtin-controllers';
import { ProcessProvider } from '../../controllers/instances/providers/process';
import { groupResidentBytes } from '../../controllers/instances/providers/process-children';
import type { InstanceSchedulerOptions } from '../../controllers/instances/scheduler';
import type { KubeObject } from '../../schemas/types';
import { createNodeless } from '../../server/server';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const QUIET_MS = 5_000;

function sleepPod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'infinity'] }] } };
}

const ready = (p: Readonly<KubeObject>) => ((p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

interface Measured {
  readyMs: number;
  rssBytes: number;
  cpuPercent: number;
  childRssBytes: number;
}

async function measure(n: number, scheduler: InstanceSchedulerOptions, provider?: () => ProcessProvider | undefined): Promise<Measured> {
  const nodeless = await createNodeless({ databasePath: ':memory:', scheduler });
  const client: Client = nodeless.client.withFieldManager('bench');
  try {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    try {
      await client.create(SERVICE_ACCOUNTS, 'bench', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    } catch {
      // The service-account controller was quicker.
    }
    const readyPods = new Set<string>();
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const watch = new Informer(client, PODS, { namespace: 'bench' });
    const seen = (p: Readonly<KubeObject>) => {
      if (!ready(p)) return;
      readyPods.add(p.metadata!.name!);
      if (readyPods.size === n) done();
    };
    watch.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
    watch.run();
    await watch.waitForSync();
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => client.create(PODS, 'bench', sleepPod(`sleep-${i}`))));
    await all;
    const readyMs = performance.now() - t;
    watch.stop();
    // A quiet window with everything running: what the server costs while pods merely run.
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const cpu = process.cpuUsage(cpu0);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100;
    const rssBytes = process.memoryUsage().rss;
    let childRssBytes = 0;
    const p = provider?.();
    if (p) {
      const pgids = new Set(p.livePids());
      for (const b of groupResidentBytes(pgids).values()) childRssBytes += b;
    }
    return { readyMs, rssBytes, cpuPercent, childRssBytes };
  } finally {
    await nodeless.close();
  }
}

/** runProcessBench prints time to all Ready, RSS and CPU for pods on the process provider beside the simulated one. */
export async function runProcessBench(): Promise<Figure[]> {
  const n = Math.max(10, Math.round(100 * scale));
  console.log(`\nprocess provider (${n} pods running \`sleep infinity\`, beside the simulated provider; RSS and CPU over ${QUIET_MS / 1000} s while they run)`);
  // A first small run takes the start-up costs (code loaded and compiled) off both figures.
  await measure(5, { simulated: { startLatencyMs: 0 }, ledger: false });
  if (global.gc) global.gc();
  const simulated = await measure(n, { simulated: { startLatencyMs: 0 }, ledger: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-bench-process-'));
  let made: ProcessProvider | undefined;
  let processed: Measured;
  try {
    if (global.gc) global.gc();
    processed = await measure(n, { podCIDR: PROCESS_POD_CIDR, ledger: false, providerFactory: ({ clock }) => (made = new ProcessProvider({ dataDir: dir, clock })) }, () => made);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const mib = (b: number) => b / (1024 * 1024);
  const figures: Figure[] = [
    { name: `created to all ${n} Ready, process`, value: processed.readyMs, unit: 'ms', baselineName: 'simulated', baseline: simulated.readyMs, better: 'lower' },
    { name: 'server RSS while they run, process', value: mib(processed.rssBytes), unit: 'MiB', baselineName: 'simulated', baseline: mib(simulated.rssBytes), better: 'lower' },
    { name: 'server CPU while they run, process', value: processed.cpuPercent, unit: '% of a core', baselineName: 'simulated', baseline: simulated.cpuPercent, better: 'lower' },
    { name: `RSS of the ${n} sleep processes together`, value: mib(processed.childRssBytes), unit: 'MiB', better: 'lower' },
  ];
  for (const f of figures) console.log(formatFigure(f));
  return figures;
}
