/**
 * Soak (issue 10): minutes of mixed traffic (creates, updates, merge patches, lists, deletes)
 * on ConfigMaps of 1 MiB while watchers stream every change, and the same run with 2 KB
 * objects; the server's heap and RSS over time, side by side. The server runs in its own
 * process; its figures come from its /metrics. Five minutes per run, times BENCH_SCALE.
 *
 * What the server may hold, by design, beside its code and its small per-object maps: the
 * value cache (64 MiB of stored JSON as Buffers, outside the JS heap: `external`), the
 * decoded-object cache (64 MiB estimated at twice the JSON length; a 1 MiB ConfigMap of one
 * long string really costs about its length, so it holds ~32 MB of heap), each watcher's queue
 * (at most 10,000 events and 128 MiB of values and previous values; a watcher past either is
 * ended with 410 and re-lists) and each request body (3 MiB). Until the watch queues cleared
 * the slots of events already taken, up to 1,024 taken events per watcher stayed reachable:
 * ~150 MB of heap after a full GC that no cache accounted for.
 */
import { BenchClient } from './bench-client';
import { startServer, stop } from './http-bench';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const TOKEN = 'bench-token';
const NS = '/api/v1/namespaces/soak/configmaps';
const OBJECTS = 16;
const WRITERS = 4;
const WATCHERS = 4;
const SAMPLES = 10;

interface Sample {
  seconds: number;
  heapMB: number;
  rssMB: number;
}

interface SoakRun {
  label: string;
  samples: Sample[];
  ops: number;
  errors: Map<number, number>;
  events: number;
  end: Map<string, number>;
  /** heap and RSS after a full collection once the traffic stopped */
  afterGc: { heapMB: number; rssMB: number; externalMB: number };
}

// soakRun drives one server with objects of valueBytes for ms milliseconds.
async function soakRun(label: string, valueBytes: number, ms: number): Promise<SoakRun> {
  const server = await startServer('nodeless');
  const client = new BenchClient(server.url, TOKEN);
  const errors = new Map<number, number>();
  let ops = 0;
  try {
    await client.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'soak' } }));
    const watchers = Array.from({ length: WATCHERS }, () => client.watch(`${NS}?watch=1`));
    const value = 'x'.repeat(valueBytes);
    const body = (name: string, n: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { n: String(n % 7) } }, data: { value, n: String(n) } });
    const started = Date.now();
    const deadline = started + ms;
    const samples: Sample[] = [];
    const sample = async () => {
      const m = await client.metrics();
      samples.push({ seconds: (Date.now() - started) / 1000, heapMB: (m.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20, rssMB: (m.get('process_resident_memory_bytes') ?? 0) / 2 ** 20 });
    };
    await sample();
    const sampler = setInterval(() => void sample().catch(() => undefined), ms / SAMPLES);
    let n = 0;
    const writer = async (w: number) => {
      while (Date.now() < deadline) {
        const i = n++;
        const name = `obj-${(i * WRITERS + w) % OBJECTS}`;
        const pick = i % 10;
        let res;
        if (pick < 3) {
          res = await client.request('PUT', `${NS}/${name}`, body(name, i));
          if (res.status === 404) res = await client.request('POST', NS, body(name, i));
        } else if (pick < 6) {
          res = await client.request('PATCH', `${NS}/${name}`, JSON.stringify({ data: { n: String(i) } }), 'application/merge-patch+json');
          if (res.status === 404) res = await client.request('POST', NS, body(name, i));
        } else if (pick < 8) {
          res = await client.request('GET', `${NS}?limit=4&labelSelector=n%3D${i % 7}`);
        } else if (pick < 9) {
          res = await client.request('GET', `${NS}/${name}`);
          if (res.status === 404) res = { status: 200, bytes: 0 };
        } else {
          res = await client.request('DELETE', `${NS}/${name}`);
          if (res.status === 404) res = { status: 200, bytes: 0 };
        }
        ops++;
        if (res.status >= 300) errors.set(res.status, (errors.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    clearInterval(sampler);
    await sample();
    const end = await client.metrics();
    const events = watchers.reduce((s, w) => s + w.events(), 0);
    for (const w of watchers) w.stop();
    // What the server really holds once the traffic stops: the heap after a full collection.
    server.child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 1000));
    const collected = await client.metrics();
    const afterGc = { heapMB: (collected.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20, rssMB: (collected.get('process_resident_memory_bytes') ?? 0) / 2 ** 20, externalMB: (collected.get('nodejs_external_memory_bytes') ?? 0) / 2 ** 20 };
    return { label, samples, ops, errors, events, end, afterGc };
  } finally {
    client.close();
    await stop(server.child);
  }
}

/** runSoakBench runs the soak with 1 MiB objects and with 2 KB objects and prints both side by side. */
export async function runSoakBench(): Promise<SoakRun[]> {
  const ms = Math.max(10_000, Math.round(5 * 60_000 * scale));
  console.log(`soak (${(ms / 60_000).toFixed(1)} min per run: ${WRITERS} writers over ${OBJECTS} ConfigMaps, 30% PUT, 30% merge patch, 20% list, 10% get, 10% delete; ${WATCHERS} watchers)`);
  const big = await soakRun('1 MiB', 1_000_000, ms);
  const small = await soakRun('2 KB', 2_000, ms);
  const mb = (v: number) => v.toFixed(0).padStart(6);
  console.log(`   time | heap MB (1 MiB) | RSS MB (1 MiB) | heap MB (2 KB) | RSS MB (2 KB)`);
  for (let i = 0; i < Math.max(big.samples.length, small.samples.length); i++) {
    const a = big.samples[i];
    const b = small.samples[i];
    const t = (a ?? b).seconds.toFixed(0).padStart(5);
    console.log(`  ${t}s | ${a ? mb(a.heapMB) : '     -'}          | ${a ? mb(a.rssMB) : '     -'}         | ${b ? mb(b.heapMB) : '     -'}         | ${b ? mb(b.rssMB) : '     -'}`);
  }
  for (const r of [big, small]) {
    const peakHeap = Math.max(...r.samples.map((s) => s.heapMB));
    const peakRss = Math.max(...r.samples.map((s) => s.rssMB));
    const errs = [...r.errors].map(([code, count]) => `${count}×${code}`).join(', ') || 'none';
    const g = (name: string) => ((r.end.get(name) ?? 0) / 2 ** 20).toFixed(1);
    console.log(
      `  ${r.label}: ${r.ops} requests (${(r.ops / (ms / 1000)).toFixed(0)}/s), non-2xx: ${errs}, ${r.events} watch events; peak heap ${peakHeap.toFixed(0)} MB, peak RSS ${peakRss.toFixed(0)} MB, after a full GC at the end heap ${r.afterGc.heapMB.toFixed(0)} MB, external ${r.afterGc.externalMB.toFixed(0)} MB, RSS ${r.afterGc.rssMB.toFixed(0)} MB; ` +
        `at the end value cache ${g('nodeless_store_value_cache_bytes')}/${g('nodeless_store_value_cache_max_bytes')} MiB, decoded cache ${g('nodeless_decoded_object_cache_bytes')}/${g('nodeless_decoded_object_cache_max_bytes')} MiB, watch queues ${g('nodeless_watch_queue_bytes')} MiB`,
    );
  }
  return [big, small];
}
