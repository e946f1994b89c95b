/**
 * The benchmark runner behind `npm run bench`. It prints figures, each beside a baseline
 * measured in the same run; pass section names (e.g. `npm run bench -- store`) to run some.
 * BENCH_SCALE (default 1) shrinks or grows the workloads.
 */
import { runCelBench } from './cel-bench';
import { runCrdBench } from './crd-bench';
import { runCrdStallBench } from './crd-stall-bench';
import { runDeploymentBench } from './deployment-bench';
import { runEndpointsBench } from './endpoints-bench';
import { runFreezeBench } from './freeze-bench';
import { runHttpBench } from './http-bench';
import { runSoakBench } from './soak-bench';
import { runStatefulSetBench } from './statefulset-bench';
import { runInformerBench } from './informer-bench';
import { runSchedulerBench } from './scheduler-bench';
import { runJobBench } from './job-bench';
import { runProcessBench } from './process-bench';
import { runServiceBench } from './service-bench';
import { runStoreBench } from './store-bench';

const sections: Record<string, () => Promise<unknown>> = {
  store: runStoreBench,
  http: runHttpBench,
  crd: runCrdBench,
  cel: runCelBench,
  'crd-stall': runCrdStallBench,
  freeze: runFreezeBench,
  soak: runSoakBench,
  informer: runInformerBench,
  statefulset: runStatefulSetBench,
  scheduler: runSchedulerBench,
  process: runProcessBench,
  jobs: runJobBench,
  deployment: runDeploymentBench,
  endpoints: runEndpointsBench,
  services: runServiceBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(sections);
  console.log(`nodeless benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  for (const name of names) {
    const run = sections[name];
    if (!run) throw new Error(`unknown benchmark section ${name}; known: ${Object.keys(sections).join(', ')}`);
    await run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
