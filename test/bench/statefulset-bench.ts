/**
 * StatefulSet benchmark (issue 12): a StatefulSet of 100 replicas (BENCH_SCALE scales it) under
 * Parallel pod management, from create to every replica ready in status, with a FakeKubelet in
 * process marking pods Running and Ready. The baseline is a ReplicaSet of the same size on the
 * same server, timed the same way: the StatefulSet does more per pod (a fixed name, a revision
 * label, a status that tracks revisions), so it should stay within a small factor of it.
 */
import { performance } from 'node:perf_hooks';
import { NAMESPACES, REPLICA_SETS, SERVICE_ACCOUNTS, STATEFUL_SETS, isNotFound, type Client, type ResourceDescriptor } from '../../controllers/runtime/client';
import { createNodeless } from '../../server/server';
import { FakeKubelet } from '../helpers/fake-kubelet';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');

async function waitReady(client: Client, res: ResourceDescriptor, ns: string, name: string, n: number): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const obj = await client.get(res, ns, name);
    if (((obj.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) >= n) return;
    if (Date.now() > deadline) throw new Error(`${name} did not get ${n} ready replicas`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function namespace(client: Client, name: string): Promise<void> {
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (;;) {
    try {
      await client.get(SERVICE_ACCOUNTS, name, 'default');
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function workload(kind: 'StatefulSet' | 'ReplicaSet', name: string, replicas: number): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
  };
  if (kind === 'StatefulSet') Object.assign(spec, { serviceName: name, podManagementPolicy: 'Parallel' });
  return { apiVersion: 'apps/v1', kind, metadata: { name }, spec };
}

/** runStatefulSetBench prints the time for a Parallel StatefulSet's replicas to become ready, beside a ReplicaSet's. */
export async function runStatefulSetBench(): Promise<Figure[]> {
  const n = Math.max(10, Math.round(100 * scale));
  console.log(`\nstatefulset (${n} replicas, Parallel, in-process controllers and FakeKubelet, in-memory store)`);
  const nodeless = await createNodeless({ databasePath: ':memory:' });
  const client = nodeless.client.withFieldManager('bench');
  const kubelet = await new FakeKubelet(client).start();
  try {
    await namespace(client, 'bench-rs');
    await namespace(client, 'bench-sts');
    let t = performance.now();
    await client.create(REPLICA_SETS, 'bench-rs', workload('ReplicaSet', 'web', n));
    await waitReady(client, REPLICA_SETS, 'bench-rs', 'web', n);
    const rsMs = performance.now() - t;
    t = performance.now();
    await client.create(STATEFUL_SETS, 'bench-sts', workload('StatefulSet', 'web', n));
    await waitReady(client, STATEFUL_SETS, 'bench-sts', 'web', n);
    const stsMs = performance.now() - t;
    const figures: Figure[] = [{ name: `create to ${n} ready replicas`, value: stsMs, unit: 'ms', baselineName: 'ReplicaSet', baseline: rsMs, better: 'lower' }];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    kubelet.stop();
    await nodeless.close();
  }
}
