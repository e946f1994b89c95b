/**
 * Informer benchmark (issue 11): an informer's cache of 10,000 pods (BENCH_SCALE scales it):
 * the time to list and sync it through the in-process Client, and its memory, both the
 * cache's own estimate (Informer.approximateBytes) and the heap it added, beside the pods' JSON size.
 * The informer is the shared factory's, which strips managedFields as kube-controller-manager's do.
 */
import { performance } from 'node:perf_hooks';
import { NAMESPACES, PODS, SERVICE_ACCOUNTS } from '../../controllers/runtime/client';
import { Informer, SharedInformerFactory } from '../../controllers/runtime/informer';
import { createNodeless } from '../../server/server';
import { formatFigure, podObject, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** runInformerBench prints the sync time and memory of an informer over n pods. */
export async function runInformerBench(): Promise<Figure[]> {
  const n = Math.max(100, Math.round(10_000 * scale));
  console.log(`\ninformer cache (${n.toLocaleString('en-US')} pods of ~2 KB, in-process Client, in-memory store)`);
  const nodeless = await createNodeless({ databasePath: ':memory:', controllers: false });
  try {
    const client = nodeless.client;
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    // No service-account controller runs here: the account pods are admitted under is made by hand.
    await client.create(SERVICE_ACCOUNTS, 'bench', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    const podsDef = nodeless.resources.lookup('', 'v1', 'pods')!;
    let jsonBytes = 0;
    for (let i = 0; i < n; i++) {
      const stored = await nodeless.registry.create(podsDef, 'bench', podObject(`pod-${i}`) as never, { fieldManager: 'bench' });
      jsonBytes += Buffer.byteLength(stored.raw);
    }
    const before = heapUsed();
    const t = performance.now();
    // What a controller gets: the factory's informer, which strips managedFields.
    const informer = new SharedInformerFactory(client).informerFor(PODS);
    informer.run();
    await informer.waitForSync();
    const syncMs = performance.now() - t;
    const heap = heapUsed() - before;
    const estimate = informer.approximateBytes();
    informer.stop();
    const full = new Informer(client, PODS);
    full.run();
    await full.waitForSync();
    const fullEstimate = full.approximateBytes();
    full.stop();
    const figures: Figure[] = [
      { name: `list + sync ${n} pods`, value: syncMs, unit: 'ms', better: 'lower' },
      { name: 'cache memory, approximateBytes()', value: estimate / 2 ** 20, unit: 'MiB', baselineName: 'pods JSON', baseline: jsonBytes / 2 ** 20, better: 'lower' },
      {
        name: `heap added by the cache${(globalThis as { gc?: unknown }).gc ? '' : ' (run node --expose-gc for a steadier figure)'}`,
        value: heap / 2 ** 20,
        unit: 'MiB',
        baselineName: 'pods JSON',
        baseline: jsonBytes / 2 ** 20,
        better: 'lower',
      },
      { name: 'cache memory per pod', value: estimate / n, unit: 'bytes', baselineName: 'managedFields kept', baseline: fullEstimate / n, better: 'lower' },
    ];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    await nodeless.close();
  }
}
