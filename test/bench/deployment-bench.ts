/**
 * Deployment benchmark (issue 11): the built-in controllers in process on an in-memory store,
 * with a FakeKubelet marking every pod Running and Ready as soon as it is created.
 * - A Deployment scaled from 0 to 1,000 replicas: seconds until status.readyReplicas is 1,000,
 *   and pods created per second, beside the raw pod create rate of the same in-process Client
 *   measured in the same run (target: the controllers reach at least 50% of it).
 * - 100 Deployments of 10 replicas rolled to a new image at once: seconds until every one is
 *   fully updated and available.
 * BENCH_SCALE scales the replica and Deployment counts.
 */
import { performance } from 'node:perf_hooks';
import { DEPLOYMENTS, NAMESPACES, PODS, SERVICE_ACCOUNTS, type Client } from '../../controllers/runtime/client';
import { createNodeless } from '../../server/server';
import { FakeKubelet } from '../helpers/fake-kubelet';
import { formatFigure, podObject, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');

// Test objects are read loosely, as JSON.
type Obj = Record<string, any>;

function deployment(name: string, replicas: number, image = 'nginx'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

async function until(what: string, check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`deployment bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function namespace(client: Client, name: string): Promise<void> {
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await until(`the default ServiceAccount of ${name}`, async () => (await client.list(SERVICE_ACCOUNTS, name)).items.some((s) => s.metadata?.name === 'default'), 30000);
}

// rawCreateRate creates n pods through the Client, 50 at a time (the controller's slow start
// reaches far larger batches), and answers pods per second.
async function rawCreateRate(client: Client, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => client.create(PODS, 'raw', podObject(`raw-${i + j}`, 'raw') as never)));
  }
  return n / ((performance.now() - t) / 1000);
}

function complete(d: Obj, replicas: number): boolean {
  const s = d.status ?? {};
  return s.observedGeneration >= d.metadata.generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas;
}

/** runDeploymentBench prints the scale-up and mass-rollout figures. */
export async function runDeploymentBench(): Promise<Figure[]> {
  const replicas = Math.max(50, Math.round(1000 * scale));
  const many = Math.max(5, Math.round(100 * scale));
  console.log(`\ndeployments (in-process controllers, in-memory store, pods Ready as created; ${replicas.toLocaleString('en-US')} replicas; ${many} × 10 rolled)`);
  const nodeless = await createNodeless({ databasePath: ':memory:' });
  const client = nodeless.client.withFieldManager('bench');
  const kubelet = await new FakeKubelet(nodeless.client, { namespace: 'bench' }).start();
  try {
    await namespace(client, 'raw');
    await namespace(client, 'bench');
    const raw = await rawCreateRate(client, replicas);

    await client.create(DEPLOYMENTS, 'bench', deployment('big', 0));
    await until('the empty rollout', async () => complete(await client.get(DEPLOYMENTS, 'bench', 'big'), 0), 30000);
    const t0 = performance.now();
    await client.updateScale(DEPLOYMENTS, 'bench', 'big', { spec: { replicas } });
    await until(`${replicas} ready replicas`, async () => ((await client.get(DEPLOYMENTS, 'bench', 'big')).status as Obj | undefined)?.readyReplicas === replicas, 600_000);
    const scaleSeconds = (performance.now() - t0) / 1000;
    const rate = replicas / scaleSeconds;
    await client.updateScale(DEPLOYMENTS, 'bench', 'big', { spec: { replicas: 0 } });
    await until('the scale-down', async () => (await client.list(PODS, 'bench', { labelSelector: 'app=big' })).items.length === 0, 600_000);

    const names = Array.from({ length: many }, (_, i) => `roll-${i}`);
    await Promise.all(names.map((n) => client.create(DEPLOYMENTS, 'bench', deployment(n, 10))));
    const allDone = async () => (await client.list(DEPLOYMENTS, 'bench')).items.filter((d) => names.includes(d.metadata!.name!)).every((d) => complete(d, 10));
    await until(`${many} Deployments available`, allDone, 600_000);
    const t1 = performance.now();
    await Promise.all(names.map((n) => client.patch(DEPLOYMENTS, 'bench', n, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } } })));
    await until(`${many} rollouts`, async () => {
      const items = (await client.list(DEPLOYMENTS, 'bench')).items.filter((d) => names.includes(d.metadata!.name!));
      return items.every((d) => complete(d, 10) && (d.metadata?.annotations as Obj)?.['deployment.kubernetes.io/revision'] === '2');
    }, 600_000);
    const rollSeconds = (performance.now() - t1) / 1000;

    const figures: Figure[] = [
      { name: `Deployment 0 → ${replicas} replicas, until all ready`, value: scaleSeconds, unit: 's', better: 'lower' },
      { name: 'pods created and made ready per second by the controllers', value: rate, unit: 'pods/s', baselineName: 'raw pod creates', baseline: raw, better: 'higher', target: '≥ 50% of raw', met: rate >= raw / 2 },
      { name: `${many} Deployments × 10 replicas rolled at once, until all updated`, value: rollSeconds, unit: 's', better: 'lower' },
    ];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    kubelet.stop();
    await nodeless.close();
  }
}
