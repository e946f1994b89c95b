import { defaultCatalog } from '../../controllers/instances/catalog';
import { type InstanceRun, Ledger, aggregate, billedSeconds, renderCSV, renderJSON, resolveWorkload, runCost, startRun, stopRun } from '../../controllers/instances/ledger';
import { decideSize } from '../../controllers/instances/sizing';
import { container, pod } from './fixtures';

const t0 = Date.UTC(2024, 0, 1);
const catalog = defaultCatalog();

function placementOf(p: ReturnType<typeof pod>) {
  const d = decideSize(p, catalog);
  if (!d.schedulable) throw new Error(d.message);
  return d.placement;
}

const rsPod = pod('web-5d8f7c9b4-x2x7q', {}, {
  labels: { app: 'web', 'pod-template-hash': '5d8f7c9b4' },
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c9b4', controller: true }],
});

describe('workload resolution', () => {
  it('bills a bare pod to itself', () => {
    expect(resolveWorkload(pod('solo'))).toEqual({ kind: 'Pod', name: 'solo' });
  });

  it("climbs a ReplicaSet to its Deployment when told the ReplicaSet's owner", () => {
    const lookup = (ns: string, kind: string, name: string) =>
      kind === 'ReplicaSet' && name === 'web-5d8f7c9b4' && ns === 'default' ? [{ kind: 'Deployment', name: 'frontend', controller: true }] : [];
    expect(resolveWorkload(rsPod, lookup)).toEqual({ kind: 'Deployment', name: 'frontend' });
  });

  it('falls back to the pod-template-hash naming rule when the ReplicaSet is unknown', () => {
    expect(resolveWorkload(rsPod)).toEqual({ kind: 'Deployment', name: 'web' });
    expect(resolveWorkload(rsPod, () => undefined)).toEqual({ kind: 'Deployment', name: 'web' });
    // A ReplicaSet known to have no owner is the workload itself.
    expect(resolveWorkload(rsPod, () => [])).toEqual({ kind: 'ReplicaSet', name: 'web-5d8f7c9b4' });
  });

  it('climbs a Job to its CronJob', () => {
    const jobPod = pod('backup-28000000-abcde', {}, { ownerReferences: [{ kind: 'Job', name: 'backup-28000000', controller: true }] });
    const lookup = (_: string, kind: string) => (kind === 'Job' ? [{ kind: 'CronJob', name: 'backup', controller: true }] : undefined);
    expect(resolveWorkload(jobPod, lookup)).toEqual({ kind: 'CronJob', name: 'backup' });
    expect(resolveWorkload(jobPod)).toEqual({ kind: 'Job', name: 'backup-28000000' });
  });
});

describe('billing math', () => {
  const p = pod('p', { containers: [container('a', { cpu: '1', memory: '2Gi' })] });
  const placement = placementOf(p);
  const run = startRun(p, placement, 'i-1', t0);

  it('records a JSON-serialisable run', () => {
    expect(JSON.parse(JSON.stringify(run))).toEqual(run);
    expect(run).toMatchObject({ instanceId: 'i-1', podUID: 'uid-p', namespace: 'default', size: 'standard-1vcpu-2gb', family: 'standard', capacityType: 'on-demand', start: '2024-01-01T00:00:00.000Z' });
    expect(run.stop).toBeUndefined();
  });

  it('charges whole seconds from start to stop at the catalog price', () => {
    const stopped = stopRun(run, t0 + 3_600_000 + 400, 'Deleted');
    expect(billedSeconds(stopped, t0 + 10 * 3_600_000)).toBe(3601);
    expect(stopped.cost).toBeCloseTo(placement.pricePerSecond * 3601, 12);
    expect(stopped.cost! / 3601 * 3600).toBeCloseTo(0.04048 + 2 * 0.004445, 9);
    expect(stopped.stopReason).toBe('Deleted');
    expect(stopRun(stopped, t0 + 99_999_999, 'again')).toBe(stopped);
  });

  it('charges the minimum for a short run (default 60 s, configurable)', () => {
    const short = stopRun(run, t0 + 5_000, 'Completed');
    expect(billedSeconds(short, t0)).toBe(60);
    expect(billedSeconds(short, t0, { minimumSeconds: 0 })).toBe(5);
    expect(stopRun(run, t0 + 5_000, 'Completed', { minimumSeconds: 10 }).cost).toBeCloseTo(placement.pricePerSecond * 10, 12);
  });

  it('accrues cost for a run still running up to now', () => {
    expect(runCost(run, t0 + 120_000)).toBeCloseTo(placement.pricePerSecond * 120, 12);
    expect(runCost(run, t0 + 10_000)).toBeCloseTo(placement.pricePerSecond * 60, 12);
  });
});

function makeRun(i: number, namespace: string, startMs: number, stopMs: number | undefined, workload = { kind: 'Deployment', name: 'web' }): InstanceRun {
  const r: InstanceRun = {
    instanceId: `i-${i}`,
    podUID: `uid-${i}`,
    podName: `pod-${i}`,
    namespace,
    workload,
    size: 'standard-1vcpu-2gb',
    family: 'standard',
    capacityType: 'on-demand',
    zone: 'nodeless-1a',
    pricePerSecond: 0.001,
    start: new Date(startMs).toISOString(),
  };
  return stopMs === undefined ? r : stopRun(r, stopMs, 'Deleted');
}

describe('usage aggregation', () => {
  const runs = [
    makeRun(1, 'team-a', t0, t0 + 100_000),
    makeRun(2, 'team-a', t0, t0 + 200_000, { kind: 'Job', name: 'etl' }),
    makeRun(3, 'team-b', t0 + 50_000, undefined),
  ];
  const range = { now: t0 + 300_000 };

  it('groups per namespace, per workload and per pod', () => {
    expect(aggregate(runs, 'namespace', range)).toEqual([
      { namespace: 'team-a', kind: '', name: '', runs: 2, seconds: 300, cost: expect.closeTo(0.3, 9) },
      { namespace: 'team-b', kind: '', name: '', runs: 1, seconds: 250, cost: expect.closeTo(0.25, 9) },
    ]);
    expect(aggregate(runs, 'workload', range).map((r) => [r.namespace, r.kind, r.name, r.seconds])).toEqual([
      ['team-a', 'Deployment', 'web', 100],
      ['team-a', 'Job', 'etl', 200],
      ['team-b', 'Deployment', 'web', 250],
    ]);
    expect(aggregate(runs, 'pod', range).map((r) => [r.name, r.podUID])).toEqual([['pod-1', 'uid-1'], ['pod-2', 'uid-2'], ['pod-3', 'uid-3']]);
  });

  it('counts only the part of each run inside the time range', () => {
    const rows = aggregate(runs, 'namespace', { from: t0 + 150_000, to: t0 + 250_000, now: t0 + 300_000 });
    expect(rows.map((r) => [r.namespace, r.runs, r.seconds])).toEqual([['team-a', 1, 50], ['team-b', 1, 100]]);
  });

  it('renders CSV and JSON for `nodeless usage`', () => {
    const rows = aggregate(runs, 'workload', range);
    expect(renderCSV(rows, 'workload')).toBe(
      'namespace,kind,name,runs,seconds,cost\nteam-a,Deployment,web,1,100,0.100000\nteam-a,Job,etl,1,200,0.200000\nteam-b,Deployment,web,1,250,0.250000\n',
    );
    const quoted = aggregate([makeRun(9, 'ns', t0, t0 + 60_000, { kind: 'Pod', name: 'a,"b"' })], 'workload', range);
    expect(renderCSV(quoted, 'workload').split('\n')[1]).toBe('ns,Pod,"a,""b""",1,60,0.060000');
    const json = JSON.parse(renderJSON(rows, 'workload', { from: t0, now: t0 }));
    expect(json).toMatchObject({ by: 'workload', from: '2024-01-01T00:00:00.000Z', to: null, totalCost: 0.55 });
    expect(json.items[0]).toEqual({ namespace: 'team-a', kind: 'Deployment', name: 'web', runs: 1, seconds: 100, cost: 0.1 });
  });
});

describe('ledger index', () => {
  it('replaces a run by instance id when it stops', () => {
    const ledger = new Ledger();
    ledger.put(makeRun(1, 'a', t0, undefined));
    ledger.put(makeRun(1, 'a', t0, t0 + 90_000));
    expect(ledger.size).toBe(1);
    expect(ledger.get('i-1')!.stop).toBe('2024-01-01T00:01:30.000Z');
    expect(ledger.usage('namespace', { now: t0 + 999_999 }, 'a')[0].seconds).toBe(90);
  });

  it('answers one namespace among 110,000 runs with only its own runs (the query time is a bench figure)', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 10_000; i++) ledger.put(makeRun(i, `ns-${i % 10}`, t0 + i * 1000, t0 + i * 1000 + 120_000, { kind: 'Deployment', name: `d-${i % 7}` }));
    for (let i = 0; i < 100_000; i++) ledger.put(makeRun(100_000 + i, 'big', t0 + i * 1000, i % 2 ? undefined : t0 + i * 1000 + 120_000));
    const range = { from: t0, to: t0 + 200_000_000, now: t0 + 200_000_000 };
    const rows = ledger.usage('workload', range, 'big');
    expect(rows).toHaveLength(1);
    expect(rows[0].runs).toBe(100_000);
    expect(ledger.runs('ns-3', { from: t0, to: t0 + 10_000 })).toHaveLength(1);
  });
});
