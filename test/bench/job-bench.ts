/**
 * Job benchmark (issue 12): 1,000 Jobs of one pod each (BENCH_SCALE scales it), run by the Job
 * controller with kube's defaults while a fake kubelet ends every pod Succeeded as soon as it
 * appears: Jobs completed per second, from the first create to the last Complete condition,
 * beside the raw API create rate of the same number of pods in the same run. A Job costs a Job
 * create, a pod create, two pod writes (the kubelet's status, the finalizer removal), two Job
 * status writes (the interim SuccessCriteriaMet with the pod uncounted, then Complete) and two
 * Events (SuccessfulCreate, Completed), so the target is a quarter of the raw rate. The writes
 * and syncs per Job and the CPU time of both phases are printed too: on a busy machine the CPU
 * ratio is the steadier of the two.
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

const WRITE_VERBS = new Set(['create', 'update', 'updateStatus', 'patch', 'apply', 'delete', 'deleteCollection']);

// countingClient counts the writes a client makes, by verb and resource (e.g. "updateStatus jobs"),
// so the benchmark can say what one Job costs; withFieldManager answers a counting client too.
function countingClient(client: Client, counts: Map<string, number>): Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'withFieldManager') return (...args: unknown[]) => countingClient((value as (...a: unknown[]) => Client).apply(target, args), counts);
      if (typeof prop !== 'string' || !WRITE_VERBS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const res = (args[0] as { resource?: string } | undefined)?.resource ?? '?';
        const name = `${prop} ${res}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
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
  const controllerWrites = new Map<string, number>();
  const kubeletWrites = new Map<string, number>();
  const manager = new ControllerManager(countingClient(nodeless.client, controllerWrites), { log: (r) => void (r.level === 'error' && syncFailures++) });
  let kubelet: FakeKubelet | undefined;
  try {
    const client = nodeless.client.withFieldManager('bench');
    await namespace(client, 'raw');
    let t = performance.now();
    let cpu = process.cpuUsage();
    await inParallel(n, (i) => client.create(PODS, 'raw', podObject(`pod-${i}`, 'raw') as never));
    const rawRate = n / ((performance.now() - t) / 1000);
    const rawCpuMs = cpuMs(cpu) / n;
    await client.deleteCollection(PODS, 'raw');

    await namespace(client, 'bench');
    const controller = new JobController();
    let reconciles = 0;
    const reconcile = controller.reconcile.bind(controller);
    controller.reconcile = (key) => {
      reconciles++;
      return reconcile(key);
    };
    manager.add(controller);
    await manager.start();
    kubelet = await new FakeKubelet(countingClient(client, kubeletWrites), { namespace: 'bench', decide: () => ({ phase: 'Succeeded' }) }).start();
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
    cpu = process.cpuUsage();
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
    const jobCpuMs = cpuMs(cpu) / n;
    jobs.stop();
    const rate = n / elapsed;
    const figures: Figure[] = [
      { name: `Jobs completed per second (${n} Jobs)`, value: rate, unit: 'jobs/s', baselineName: 'raw pod creates', baseline: rawRate, better: 'higher', target: '>= 25% of raw', met: rate >= rawRate * 0.25 },
      { name: 'Job creates per second (while the controller runs)', value: n / (createdMs / 1000), unit: 'jobs/s', baselineName: 'raw pod creates', baseline: rawRate, better: 'higher' },
    ];
    for (const f of figures) console.log(formatFigure(f));
    // Conflicts on a stale cache are retried; they should be rare, and are printed.
    console.log(`  Job controller sync failures (retried): ${syncFailures}`);
    // CPU time does not depend on what else the machine runs, so it compares the two phases
    // more steadily than their rates when the machine is busy.
    console.log(`  CPU per Job ${jobCpuMs.toFixed(2)} ms (the whole process: API, controller, kubelet) beside ${rawCpuMs.toFixed(2)} ms per raw pod create: ratio ${(rawCpuMs / jobCpuMs).toFixed(2)}`);
    // What one Job costs: the controller's writes (events included) and syncs, and the kubelet's.
    const perJob = (counts: Map<string, number>) =>
      [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ');
    const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0) / n;
    console.log(`  Job controller writes per Job: ${total(controllerWrites).toFixed(2)} (${perJob(controllerWrites)}); syncs per Job: ${(reconciles / n).toFixed(2)}`);
    console.log(`  kubelet writes per Job: ${total(kubeletWrites).toFixed(2)} (${perJob(kubeletWrites)})`);
    return figures;
  } finally {
    kubelet?.stop();
    manager.stop();
    await nodeless.close();
  }
}
