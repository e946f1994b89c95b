/**
 * `nodeless usage`: flags parsed with clear errors, the InstanceRun objects read through a Client
 * and billed per second from start to stop with the one-minute minimum, grouped by namespace,
 * workload or pod within a time range, and printed as a table, CSV or JSON.
 */
import { INSTANCE_RUNS, instanceRunsCRD, runName } from '../../controllers/instances/run-store';
import { parseTime, parseUsageFlags, usageReport } from '../../controllers/instances/usage-command';
import type { InstanceRun } from '../../controllers/instances/ledger';
import type { Client } from '../../controllers/runtime/client';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

const NOW = Date.parse('2026-12-03T12:00:00Z');
let t: TestServer;
let client: Client;

beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  client = t.nodeless.client.withFieldManager('usage-test');
  // The ledger's definitions are the server's to install: made in-process, as the scheduler does.
  await client.create({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' }, undefined, instanceRunsCRD());
  await waitFor(async () => (await t.api.get('/apis/usage.nodeless.dev/v1')).status === 200, 'the InstanceRun API');
  for (const ns of ['shop', 'batch']) await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
  const runs: InstanceRun[] = [
    // 10 minutes at $0.001/s: $0.60.
    run('i-1', 'shop', 'web-a', { kind: 'Deployment', name: 'web' }, '2026-12-03T10:00:00Z', '2026-12-03T10:10:00Z', 0.001),
    // Still running at NOW, two hours in: $7.20.
    run('i-2', 'shop', 'web-b', { kind: 'Deployment', name: 'web' }, '2026-12-03T10:00:00Z', undefined, 0.001),
    // Ran 5 seconds, billed the 60 s minimum at $0.0005/s: $0.03.
    run('i-3', 'batch', 'once-x', { kind: 'Job', name: 'once' }, '2026-12-03T11:00:00Z', '2026-12-03T11:00:05Z', 0.0005),
  ];
  for (const r of runs) await client.create(INSTANCE_RUNS, r.namespace, { apiVersion: 'usage.nodeless.dev/v1', kind: 'InstanceRun', metadata: { name: runName(r) }, spec: r as never });
});
afterAll(() => t.close());

function run(instanceId: string, namespace: string, podName: string, workload: { kind: string; name: string }, start: string, stop: string | undefined, pricePerSecond: number): InstanceRun {
  return { instanceId, podUID: `uid-${instanceId}`, podName, namespace, workload, size: '0.25-0.5', family: 'general', capacityType: 'on-demand', zone: 'zone-a', pricePerSecond, start, ...(stop ? { stop } : {}) };
}

describe('nodeless usage flags', () => {
  it('reads RFC 3339 times and durations back from now, and names the flag it cannot read', () => {
    expect(parseTime('since', '2026-12-01T00:00:00Z', NOW)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(parseTime('since', '24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseTime('since', '30m', NOW)).toBe(NOW - 1_800_000);
    expect(() => parseTime('since', 'yesterday', NOW)).toThrow('invalid --since "yesterday": want an RFC 3339 time');
    expect(() => parseUsageFlags({ by: 'team' }, NOW)).toThrow('invalid --by "team": want namespace, workload or pod');
    expect(() => parseUsageFlags({ output: 'yaml' }, NOW)).toThrow('invalid --output "yaml": want table, csv or json');
    expect(() => parseUsageFlags({ since: '1h', until: '2h' }, NOW)).toThrow('invalid --until: it must be later than --since');
    expect(parseUsageFlags({}, NOW)).toEqual({ by: 'namespace', namespace: undefined, range: { from: undefined, to: undefined, now: NOW }, output: 'table' });
  });
});

describe('nodeless usage reports', () => {
  it('bills per second from start to stop (or now) with the one-minute minimum, by namespace', async () => {
    const report = JSON.parse(await usageReport(client, parseUsageFlags({ output: 'json' }, NOW)));
    expect(report.items).toEqual([
      { namespace: 'batch', runs: 1, seconds: 60, cost: 0.03 },
      { namespace: 'shop', runs: 2, seconds: 600 + 7200, cost: 0.6 + 7.2 },
    ]);
    expect(report.totalCost).toBeCloseTo(7.83, 6);
  });

  it('groups by workload or pod, keeps to one namespace, and cuts runs at the range', async () => {
    const byWorkload = JSON.parse(await usageReport(client, parseUsageFlags({ by: 'workload', output: 'json' }, NOW)));
    expect(byWorkload.items.map((r: { kind: string; name: string; cost: number }) => [r.kind, r.name, r.cost])).toEqual([
      ['Job', 'once', 0.03],
      ['Deployment', 'web', 7.8],
    ]);
    const pods = JSON.parse(await usageReport(client, parseUsageFlags({ by: 'pod', namespace: 'shop', output: 'json' }, NOW)));
    expect(pods.items.map((r: { pod: string }) => r.pod)).toEqual(['web-a', 'web-b']);
    // The last hour only: web-b's hour at $0.001/s, the job's minute.
    const lastHour = JSON.parse(await usageReport(client, parseUsageFlags({ since: '1h', output: 'json' }, NOW)));
    expect(lastHour.items).toEqual([
      { namespace: 'batch', runs: 1, seconds: 60, cost: 0.03 },
      { namespace: 'shop', runs: 1, seconds: 3600, cost: 3.6 },
    ]);
  });

  it('prints a table with a total, CSV with a header, and says when there is nothing to bill', async () => {
    expect(await usageReport(client, parseUsageFlags({}, NOW))).toBe(
      ['NAMESPACE   RUNS   SECONDS   COST (USD)', 'batch       1      60        0.030000', 'shop        2      7800      7.800000', '', 'TOTAL 7.830000 USD', ''].join('\n'),
    );
    expect(await usageReport(client, parseUsageFlags({ by: 'workload', output: 'csv' }, NOW))).toBe(
      ['namespace,kind,name,runs,seconds,cost', 'batch,Job,once,1,60,0.030000', 'shop,Deployment,web,2,7800,7.800000', ''].join('\n'),
    );
    expect(await usageReport(client, parseUsageFlags({ namespace: 'nowhere' }, NOW))).toBe('No usage found.\n');
  });
});
