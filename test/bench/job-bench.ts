/**
 * Job benchmark (issue 12): 1,000 Jobs of one pod each (BENCH_SCALE scales it), run by the Job
 * controller with kube's defaults while a fake kubelet ends every pod Succeeded as soon as it
 * appears: Jobs completed per second, from the first create to the last Complete condition,
 * beside the raw API create rate of the same number of pods in the same run. A Job costs a Job
 * create, a pod create, two pod patches (status, finalizer) and two or three Job status writes,
 * so the target is a quarter of the raw rate.
 */
import { performance } from 'node:perf_hooks';
import { JOBS, NAMESPACES, PODS, SERVICE_ACCOUNTS, type Client } from '../../controllers/runtime/client';
import { Informer } from '../../controllers/runtime/informer';
import { ControllerManager } from '../../controllers/runtime/manager';
import { JobController } from '../../controllers/workloads/job';
import { createNodeless } from '../../server/server';
import { FakeKubelet } from '../helpers/fake-kubelet';
import { formatFigure, podObject, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const IN_FLIGHT = 16;

async function inParallel(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await fn(next++);
  }));
}

async function namespace(client: Client, name: string): Promise<void> {
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  // No service-account controller runs here: the account pods are admitted under is made by hand.
  await client.create(SERVICE_ACCOUNTS, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
}

/** runJobBench prints Jobs completed per second beside the raw pod create rate. */
export async function runJobBench(): Promise<Figure[]> {
  const n = Math.max(50, Math.round(1000 * scale));
  console.log(`\njobs (${n.toLocaleString('en-US')} one-pod Jobs, in-process Client, in-memory store, pods end Succeeded at once)`);
  const nodeless = await createNodeless({ databasePath: ':memory:', controllers: false });
  let syncFailures = 0;
  const manager = new ControllerManager(nodeless.client, { log: (r) => void (r.level === 'error' && syncFailures++) });
  let kubelet: FakeKubelet | undefined;
  try {
    const client = nodeless.client.withFieldManager('bench');
    await namespace(client, 'raw');
    let t = performance.now();
    await inParallel(n, (i) => client.create(PODS, 'raw', podObject(`pod-${i}`, 'raw') as never));
    const rawRate = n / ((performance.now() - t) / 1000);
    await client.deleteCollection(PODS, 'raw');

    await namespace(client, 'bench');
    manager.add(new JobController());
    await manager.start();
    kubelet = await new FakeKubelet(client, { namespace: 'bench', decide: () => ({ phase: 'Succeeded' }) }).start();
    const completed = new Set<string>();
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolveAll = r));
    const jobs = new Informer(client, JOBS, { namespace: 'bench' });
    const seen = (job: Readonly<{ metadata?: { name?: string }; status?: unknown }>) => {
      const conditions = (job.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) completed.add(job.metadata!.name!);
      if (completed.size >= n) resolveAll();
    };
    jobs.addEventHandler({ onAdd: seen, onUpdate: (_o, j) => seen(j) });
    jobs.run();
    await jobs.waitForSync();
    t = performance.now();
    await inParallel(n, (i) =>
      client.create(JOBS, 'bench', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: `job-${i}` },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      }),
    );
    const createdMs = performance.now() - t;
    await all;
    const elapsed = (performance.now() - t) / 1000;
    jobs.stop();
    const rate = n / elapsed;
    const figures: Figure[] = [
      { name: `Jobs completed per second (${n} Jobs)`, value: rate, unit: 'jobs/s', baselineName: 'raw pod creates', baseline: rawRate, better: 'higher', target: '>= 25% of raw', met: rate >= rawRate * 0.25 },
      { name: 'Job creates per second (while the controller runs)', value: n / (createdMs / 1000), unit: 'jobs/s', baselineName: 'raw pod creates', baseline: rawRate, better: 'higher' },
    ];
    for (const f of figures) console.log(formatFigure(f));
    // Conflicts on a stale cache are retried; they should be rare, and are printed.
    console.log(`  Job controller sync failures (retried): ${syncFailures}`);
    return figures;
  } finally {
    kubelet?.stop();
    manager.stop();
    await nodeless.close();
  }
}
