import { annotation } from '../../controllers/instances/annotations';
import { defaultCatalog } from '../../controllers/instances/catalog';
import { FakeClock } from '../../controllers/instances/clock';
import type { Pod } from '../../controllers/instances/pod';
import type { InstanceStatus, LogLine } from '../../controllers/instances/providers/provider';
import { SimulatedProvider, type SimulatedProviderOptions } from '../../controllers/instances/providers/simulated';
import { decideSize, type Placement } from '../../controllers/instances/sizing';
import { container, pod } from './fixtures';
import { describeProviderConformance } from './provider-suite';

const flush = () => new Promise<void>((r) => setImmediate(r));

describeProviderConformance('simulated', async () => {
  const clock = new FakeClock();
  const provider = new SimulatedProvider({ clock, seed: 7, startLatencyMs: 1_000, startJitterMs: 500 });
  return {
    provider,
    async advance(ms) {
      await flush();
      clock.advance(ms);
      await flush();
    },
    longRunning: (p) => p,
    exitsAfter: (p, ms, exitCode) => ({ ...p, metadata: { ...p.metadata, annotations: { [annotation.runDuration]: `${ms}ms`, [annotation.exitCode]: String(exitCode) } } }),
    loseInstance: (id) => provider.injectLoss(id),
    cleanup: () => provider.close(),
  };
});

function placementFor(p: Pod, capacity: 'spot' | 'on-demand' = 'on-demand'): Placement {
  const d = decideSize(capacity === 'spot' ? { ...p, spec: { ...p.spec, nodeSelector: { 'nodeless.dev/capacity-type': 'spot' } } } : p, defaultCatalog());
  if (!d.schedulable) throw new Error(d.message);
  return d.placement;
}

function setup(options: SimulatedProviderOptions = {}) {
  const clock = new FakeClock();
  const provider = new SimulatedProvider({ clock, startLatencyMs: 1_000, ...options });
  const seen: InstanceStatus[] = [];
  provider.onStatus((s) => seen.push(s));
  return { clock, provider, seen };
}

const annotated = (p: Pod, annotations: Record<string, string>): Pod => ({ ...p, metadata: { ...p.metadata, annotations } });

describe('simulated provider', () => {
  it('starts after the configured latency plus seeded jitter, the same for the same seed', async () => {
    const run = async (seed: number) => {
      const { clock, provider } = setup({ seed, startJitterMs: 1_000 });
      const ids: string[] = [];
      const starts: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await provider.create(pod(`p${i}`), placementFor(pod('x')))).id);
      clock.advance(3_000);
      for (const id of ids) starts.push(Date.parse(provider.status(id)!.startedAt!) - Date.UTC(2024, 0, 1));
      return { ids, starts };
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect((await run(43)).ids).not.toEqual(a.ids);
    for (const s of a.starts) {
      expect(s).toBeGreaterThanOrEqual(1_000);
      expect(s).toBeLessThan(2_000);
    }
  });

  it('runs restartPolicy Never containers for the default 1 s, then exits 0', async () => {
    const { clock, provider } = setup();
    const inst = await provider.create(pod('job', { restartPolicy: 'Never' }), placementFor(pod('x')));
    clock.advance(1_999);
    expect(provider.status(inst.id)!.containers[0].state.running).toBeDefined();
    clock.advance(1);
    expect(provider.status(inst.id)!.containers[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', startedAt: '2024-01-01T00:00:01Z', finishedAt: '2024-01-01T00:00:02Z' });
    expect(provider.status(inst.id)!.stoppedAt).toBe('2024-01-01T00:00:02.000Z');
  });

  it('scripts run duration and exit code per container', async () => {
    const { clock, provider } = setup();
    const p = annotated(pod('job', { restartPolicy: 'Never', containers: [container('a'), container('b')] }), {
      [annotation.runDuration]: 'a=5s,b=1m',
      [annotation.exitCode]: 'b=4',
    });
    const inst = await provider.create(p, placementFor(pod('x')));
    clock.advance(6_000);
    const [a, b] = provider.status(inst.id)!.containers;
    expect(a.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(b.state.running).toBeDefined();
    clock.advance(60_000);
    expect(provider.status(inst.id)!.containers[1].state.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
    expect(provider.status(inst.id)!.phase).toBe('Terminated');
  });

  it("crash-loops with kubelet's backoff: immediate, then 10 s doubling to 5 min", async () => {
    const { clock, provider } = setup({ runTimeMs: 1_000 });
    const inst = await provider.create(annotated(pod('crash'), { [annotation.crashLoop]: 'true' }), placementFor(pod('x')));
    const restarts: number[] = [];
    let last = 0;
    provider.onStatus((s) => {
      const c = s.containers[0];
      if (c && c.restartCount > last) {
        last = c.restartCount;
        restarts.push(clock.now() - Date.UTC(2024, 0, 1));
      }
    });
    clock.advance(2_500);
    const first = provider.status(inst.id)!.containers[0];
    expect(first).toMatchObject({ restartCount: 1 }); // the first restart is immediate
    expect(first.state.running).toBeDefined();
    clock.advance(1_000);
    const backoff = provider.status(inst.id)!.containers[0];
    expect(backoff.state.waiting).toEqual({ reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=crash_default(uid-crash)' });
    expect(backoff.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    clock.advance(40 * 60_000);
    // Each start runs 1 s, so restart k happens after the previous start + 1 s + backoff.
    const gaps = restarts.slice(1).map((t, i) => t - restarts[i] - 1_000);
    expect(gaps.slice(0, 7)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    const five = (await collectAll(provider.logs(inst.id, { previous: true }))).map((l) => l.text);
    expect(five.join('\n')).toMatch(/exited with code 1/);
  });

  it('forgets the backoff after a container ran 10 minutes', async () => {
    const { clock, provider } = setup();
    const inst = await provider.create(annotated(pod('slow'), { [annotation.runDuration]: '11m', [annotation.exitCode]: '1' }), placementFor(pod('x')));
    clock.advance(1_000 + 11 * 60_000);
    expect(provider.status(inst.id)!.containers[0]).toMatchObject({ restartCount: 1 });
    clock.advance(11 * 60_000);
    // Ran 11 minutes again, so the restart is immediate rather than backing off 10 s.
    expect(provider.status(inst.id)!.containers[0].restartCount).toBe(2);
    expect(provider.status(inst.id)!.containers[0].state.running).toBeDefined();
  });

  it('OOM-kills a container on request and delays readiness', async () => {
    const { clock, provider } = setup();
    const p = annotated(pod('p', { containers: [container('big'), container('web')] }), {
      [annotation.oomKill]: 'big',
      [annotation.runDuration]: 'big=2s',
      [annotation.readinessDelay]: 'web=5s',
    });
    const inst = await provider.create(p, placementFor(pod('x')));
    clock.advance(1_000);
    expect(provider.status(inst.id)!.containers[1]).toMatchObject({ name: 'web', ready: false, started: true });
    clock.advance(2_000);
    expect(provider.status(inst.id)!.containers[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    clock.advance(3_000);
    expect(provider.status(inst.id)!.containers[1].ready).toBe(true);
  });

  it('keeps sidecars running through init and app containers, and stops them when the pod completes', async () => {
    const { clock, provider } = setup();
    const p = pod('job', {
      restartPolicy: 'Never',
      initContainers: [container('proxy', undefined, undefined, { restartPolicy: 'Always' }), container('setup')],
      containers: [container('main')],
    });
    const inst = await provider.create(p, placementFor(pod('x')));
    clock.advance(1_000);
    let s = provider.status(inst.id)!;
    expect(s.initContainers.map((c) => [c.name, !!c.state.running])).toEqual([['proxy', true], ['setup', true]]);
    expect(s.containers).toEqual([]);
    clock.advance(1_000);
    s = provider.status(inst.id)!;
    expect(s.initContainers[0].state.running).toBeDefined();
    expect(s.containers[0].state.running).toBeDefined();
    clock.advance(1_000);
    s = provider.status(inst.id)!;
    expect(s.phase).toBe('Terminated');
    expect(s.initContainers[0].state.terminated).toBeDefined();
  });

  it('fails the pod at a failed init container under restartPolicy Never', async () => {
    const { clock, provider } = setup();
    const p = annotated(pod('p', { restartPolicy: 'Never', initContainers: [container('migrate')] }), { [annotation.exitCode]: 'migrate=1' });
    const inst = await provider.create(p, placementFor(pod('x')));
    clock.advance(5_000);
    const s = provider.status(inst.id)!;
    expect(s.initContainers[0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(s.containers).toEqual([]);
    expect(s.phase).toBe('Terminated');
  });

  it('kills containers that outlive the grace period', async () => {
    const { clock, provider, seen } = setup({ stopDelayMs: 10_000 });
    const inst = await provider.create(pod('web'), placementFor(pod('x')));
    clock.advance(1_000);
    await provider.delete(inst.id, 2);
    expect(seen[seen.length - 1].phase).toBe('Terminating');
    clock.advance(2_000);
    expect(seen[seen.length - 1].phase).toBe('Terminated');
    expect(seen[seen.length - 1].containers[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('reports the instance lost on request by annotation, as a spot reclaim on spot', async () => {
    const { clock, provider, seen } = setup();
    const lostPod = annotated(pod('doomed'), { [annotation.instanceLostAfter]: '30s' });
    const a = await provider.create(lostPod, placementFor(pod('x')));
    const b = await provider.create({ ...lostPod, metadata: { ...lostPod.metadata, name: 'spot', uid: 'uid-spot' } }, placementFor(pod('x'), 'spot'));
    clock.advance(31_000);
    expect(provider.status(a.id)!.lost).toEqual({ reason: 'InstanceLost', message: `instance ${a.id} stopped responding` });
    expect(provider.status(b.id)!.lost).toEqual({ reason: 'SpotInterruption', message: `spot instance ${b.id} was reclaimed` });
    expect(provider.status(a.id)!.stoppedAt).toBe('2024-01-01T00:00:31.000Z');
    expect(provider.status(a.id)!.containers[0].state.terminated).toMatchObject({ reason: 'ContainerStatusUnknown', exitCode: 137 });
    expect(seen.filter((s) => s.phase === 'Lost')).toHaveLength(2);
  });

  it('loses instances at the chaos rate, deterministically for a seed', async () => {
    const lostAt = async (seed: number) => {
      const { clock, provider } = setup({ seed, lossRatePerHour: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await provider.create(pod(`p${i}`), placementFor(pod('x')))).id);
      clock.advance(3_600_000);
      return ids.filter((id) => provider.status(id)!.phase === 'Lost').length;
    };
    const n = await lostAt(5);
    // P(lost within an hour) = 1 - e^-1 ≈ 63%.
    expect(n).toBeGreaterThan(100);
    expect(n).toBeLessThan(160);
    expect(await lostAt(5)).toBe(n);
  });

  it('rejects an unreadable annotation with a message naming it', async () => {
    const { provider } = setup();
    await expect(provider.create(annotated(pod('p'), { [annotation.runDuration]: 'soon' }), placementFor(pod('x')))).rejects.toThrow(
      'annotation nodeless.dev/run-duration: invalid duration "soon"',
    );
    await expect(provider.create(annotated(pod('p'), { [annotation.exitCode]: '300' }), placementFor(pod('x')))).rejects.toThrow('exit code must be an integer from 0 to 255');
  });

  it('holds 100,000 running pods with nothing scheduled and a single timer at most', async () => {
    const clock = new FakeClock();
    const provider = new SimulatedProvider({ clock, startLatencyMs: 0 });
    const placement = placementFor(pod('x'));
    const base = pod('p');
    for (let i = 0; i < 100_000; i++) {
      await provider.create({ ...base, metadata: { ...base.metadata, name: `p${i}`, uid: `u${i}` } }, placement);
    }
    expect(clock.pendingTimers).toBe(1);
    clock.advance(0);
    expect(provider.pendingEvents).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    const all = provider.instances();
    expect(all).toHaveLength(100_000);
    expect(all.every((s) => s.phase === 'Running' && s.containers[0].state.running)).toBe(true);
    expect(new Set(all.map((s) => s.hostIP)).size).toBe(100_000);
  });
});

async function collectAll(it: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}
