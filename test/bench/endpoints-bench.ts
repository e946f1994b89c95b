/**
 * Endpoints benchmark (issue 15): the built-in controllers in process on an in-memory store,
 * 1,000 Services over 10,000 pods (ten a Service), nine of every ten Ready. Then the tenth pod of
 * each Service is made Ready, one at a time: the time from the pods/status write to its address
 * showing ready in the Service's EndpointSlice, seen by a watch on EndpointSlices (p50/p99). The
 * baseline, measured in the same run and interleaved with it, is the same watch latency for a
 * plain pod status update seen by a watch on pods, so the figure's excess over it is what the
 * EndpointSlice controller adds. BENCH_SCALE scales the Service and pod counts.
 */
import { performance } from 'node:perf_hooks';
import { ENDPOINT_SLICES, NAMESPACES, PODS, SERVICES, type Client, type WatchStream } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { createNodeless } from '../../server/server';
import { formatFigure, percentile, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const NS = 'bench';
const PODS_PER_SERVICE = 10;

type Obj = Record<string, any>;

function podStatus(index: number, ready: boolean): Obj {
  const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ip = `10.${64 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: t });
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    startTime: t,
    conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
  };
}

function pod(name: string, app: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } };
}

async function until(what: string, check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`endpoints bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function setReady(client: Client, name: string, index: number, ready: boolean): Promise<void> {
  const current = await client.get(PODS, NS, name);
  await client.updateStatus(PODS, { ...current, status: podStatus(index, ready) });
}

// Waiter resolves promises when a watch shows what they wait for.
class Waiters {
  private readonly waiting = new Map<string, () => void>();
  expect(name: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(name, () => resolve(performance.now())));
  }
  seen(name: string): void {
    const done = this.waiting.get(name);
    if (done) {
      this.waiting.delete(name);
      done();
    }
  }
}

async function consume(stream: WatchStream, onObject: (obj: Obj) => void): Promise<void> {
  for await (const ev of stream) if (ev.type === 'ADDED' || ev.type === 'MODIFIED') onObject(ev.object as Obj);
}

/** runEndpointsBench prints the ready-to-EndpointSlice latency beside the plain pod watch latency. */
export async function runEndpointsBench(): Promise<Figure[]> {
  const services = Math.max(20, Math.round(1000 * scale));
  const total = services * PODS_PER_SERVICE;
  console.log(`\nendpoints (in-process controllers, in-memory store; ${services.toLocaleString('en-US')} Services over ${total.toLocaleString('en-US')} pods)`);
  const nodeless = await createNodeless({ databasePath: ':memory:', scheduler: false });
  const client = nodeless.client.withFieldManager('bench');
  const streams: WatchStream[] = [];
  try {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const svcNames = Array.from({ length: services }, (_, i) => `svc-${i}`);
    await inBatches(svcNames, 50, (name) => client.create(SERVICES, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }));
    const pods = svcNames.flatMap((svc, s) => Array.from({ length: PODS_PER_SERVICE }, (_, j) => ({ name: `${svc}-${j}`, svc, index: s * PODS_PER_SERVICE + j + 1, last: j === PODS_PER_SERVICE - 1 })));
    const baselinePods = Array.from({ length: services }, (_, i) => ({ name: `plain-${i}`, index: total + i + 1 }));
    await inBatches(pods, 50, (p) => client.create(PODS, NS, pod(p.name, p.svc)));
    await inBatches(baselinePods, 50, (p) => client.create(PODS, NS, pod(p.name, 'plain')));
    // Every pod runs with an IP; all but the last of each Service are Ready.
    await inBatches(pods, 50, (p) => setReady(client, p.name, p.index, !p.last));
    await inBatches(baselinePods, 50, (p) => setReady(client, p.name, p.index, false));
    const readyEndpoints = async () => {
      let n = 0;
      for (const s of (await client.list(ENDPOINT_SLICES, NS)).items as Obj[]) for (const e of s.endpoints ?? []) if (e.conditions?.ready) n++;
      return n;
    };
    const settled = services * (PODS_PER_SERVICE - 1);
    await until(`${settled} ready endpoints`, async () => (await readyEndpoints()) === settled, 600_000);

    const sliceWaiters = new Waiters();
    const podWaiters = new Waiters();
    const sliceStream = await client.watch(ENDPOINT_SLICES, NS, { resourceVersion: (await client.list(ENDPOINT_SLICES, NS, { limit: 1 })).metadata.resourceVersion });
    const podStream = await client.watch(PODS, NS, { labelSelector: 'app=plain', resourceVersion: (await client.list(PODS, NS, { limit: 1 })).metadata.resourceVersion });
    streams.push(sliceStream, podStream);
    void consume(sliceStream, (s) => {
      for (const e of s.endpoints ?? []) if (e.conditions?.ready && e.targetRef?.name) sliceWaiters.seen(e.targetRef.name);
    });
    void consume(podStream, (p) => {
      if ((p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')) podWaiters.seen(p.metadata.name);
    });

    const latencies: number[] = [];
    const baseline: number[] = [];
    const last = pods.filter((p) => p.last);
    for (let i = 0; i < last.length; i++) {
      const p = last[i];
      const seen = sliceWaiters.expect(p.name);
      const t0 = performance.now();
      await setReady(client, p.name, p.index, true);
      latencies.push((await seen) - t0);
      const b = baselinePods[i];
      const bSeen = podWaiters.expect(b.name);
      const t1 = performance.now();
      await setReady(client, b.name, b.index, true);
      baseline.push((await bSeen) - t1);
    }
    latencies.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    const figures: Figure[] = [
      { name: 'pod Ready → address ready in its EndpointSlice, p50', value: percentile(latencies, 50), unit: 'ms', baselineName: 'pod status watch p50', baseline: percentile(baseline, 50), better: 'lower' },
      { name: 'pod Ready → address ready in its EndpointSlice, p99', value: percentile(latencies, 99), unit: 'ms', baselineName: 'pod status watch p99', baseline: percentile(baseline, 99), better: 'lower' },
    ];
    for (const f of figures) console.log(formatFigure(f));
    return figures;
  } finally {
    for (const s of streams) s.close();
    await nodeless.close();
  }
}
