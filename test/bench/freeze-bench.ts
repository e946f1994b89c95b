/**
 * Freezes (issue 10): how long one large request holds the server's event loop, seen from
 * outside: while it runs, a second client asks for /healthz back to back on its own connection,
 * and the longest of those answers is how long every other client was kept waiting. Beside it,
 * the same probe while the server is idle. Target: no request within the limits holds it over
 * ~100 ms.
 */
import { BenchClient } from './bench-client';
import { formatFigure, type Figure } from './fixtures';
import { startServer, stop } from './http-bench';

const TOKEN = 'bench-token';
const CM = '/api/v1/namespaces/default/configmaps';

// probeWhile runs work while a second client probes /healthz; resolves to the longest probe (ms).
async function probeWhile(base: string, work: () => Promise<unknown>): Promise<{ longest: number; status: unknown }> {
  const probe = new BenchClient(base, TOKEN);
  let running = true;
  let longest = 0;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await probe.request('GET', '/healthz');
      longest = Math.max(longest, performance.now() - t);
    }
  })();
  // Let the probe connect before the work starts.
  await new Promise((r) => setTimeout(r, 50));
  const status = await work();
  running = false;
  await loop;
  probe.close();
  return { longest, status };
}

function keys(n: number, keyLength: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`k${String(i).padStart(keyLength - 1, '0')}`] = 'v';
  return out;
}

/** runFreezeBench measures the longest wait of a concurrent client during each large request. */
export async function runFreezeBench(): Promise<Figure[]> {
  console.log('freeze (longest /healthz answer of a concurrent client while one large request runs; server in its own process)');
  const server = await startServer('nodeless');
  const client = new BenchClient(server.url, TOKEN);
  const figures: Figure[] = [];
  try {
    const cm = (name: string, data: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
    const keys50k = cm('keys-50k', keys(50_000, 7));
    const keys100k = cm('keys-100k', keys(100_000, 8));
    const oneValue = cm('one-value', { v: 'x'.repeat(1_000_000) });
    const labels: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) labels[`bad key ${i}`] = 'v';
    const badLabels = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad', labels } });
    const idle = await probeWhile(server.url, () => new Promise((r) => setTimeout(r, 500)));
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['create, 50,000 keys (1.1 MB with managedFields)', () => client.request('POST', CM, keys50k)],
      ['get, 50,000 keys', () => client.request('GET', `${CM}/keys-50k`)],
      ['merge patch of one key, 50,000 keys', () => client.request('PATCH', `${CM}/keys-50k`, '{"data":{"k000001":"w"}}', 'application/merge-patch+json')],
      ['delete, 50,000 keys', () => client.request('DELETE', `${CM}/keys-50k`)],
      ['server-side apply, 50,000 keys', () => client.request('PATCH', `${CM}/keys-50k?fieldManager=bench`, keys50k, 'application/apply-patch+yaml')],
      ['delete the applied one', () => client.request('DELETE', `${CM}/keys-50k`)],
      ['create, 100,000 keys (413: over 1.5 MiB with managedFields, as in kube)', () => client.request('POST', CM, keys100k)],
      ['create, one 1 MB value', () => client.request('POST', CM, oneValue)],
      ['get, one 1 MB value', () => client.request('GET', `${CM}/one-value`)],
      ['delete, one 1 MB value', () => client.request('DELETE', `${CM}/one-value`)],
      ['422 for 100,000 invalid label keys', () => client.request('POST', CM, badLabels)],
    ];
    for (const [name, work] of cases) {
      const { longest, status } = await probeWhile(server.url, work);
      const code = (status as { status: number }).status;
      figures.push({ name: `${name} → ${code}`, value: longest, unit: 'ms', baselineName: 'idle server', baseline: idle.longest, better: 'lower', target: '< 100 ms', met: longest < 100 });
    }
  } finally {
    client.close();
    await stop(server.child);
  }
  for (const f of figures) console.log(formatFigure(f));
  return figures;
}
