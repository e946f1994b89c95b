/**
 * The provider conformance suite, written once over a harness so every provider (simulated now,
 * process next) is held to the same contract of providers/provider.ts.
 */
import { defaultCatalog } from '../../controllers/instances/catalog';
import type { Pod } from '../../controllers/instances/pod';
import { ContainerLogError, InstanceNotFoundError, type InstanceStatus, type LogLine, type Provider } from '../../controllers/instances/providers/provider';
import { decideSize, type Placement } from '../../controllers/instances/sizing';
import { container, pod } from './fixtures';

/** ProviderHarness is a fresh provider plus the means to let time pass and to script containers. */
export interface ProviderHarness {
  provider: Provider;
  /** advance lets ms of time pass (a fake clock moves; a real provider waits), then lets callbacks run. */
  advance(ms: number): Promise<void>;
  /** longRunning makes pod's app containers run until deleted and its init containers exit 0 within a second. */
  longRunning(pod: Pod): Pod;
  /** exitsAfter makes every container of pod exit with exitCode about ms after it starts. */
  exitsAfter(pod: Pod, ms: number, exitCode: number): Pod;
  /** loseInstance makes the instance fail now, where the provider can be made to. */
  loseInstance?(instanceId: string): void;
  cleanup(): Promise<void>;
}

/** ProviderFactory makes a harness; startMs is the longest an instance may take to come up. */
export type ProviderFactory = () => Promise<ProviderHarness>;

const placement: Placement = (() => {
  const d = decideSize(pod('x'), defaultCatalog());
  if (!d.schedulable) throw new Error(d.message);
  return d.placement;
})();

async function collect(it: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}

/** describeProviderConformance runs the provider contract against providers made by factory. */
export function describeProviderConformance(name: string, factory: ProviderFactory, startMs = 5_000): void {
  describe(`provider conformance: ${name}`, () => {
    let h: ProviderHarness;
    let seen: InstanceStatus[];
    beforeEach(async () => {
      h = await factory();
      seen = [];
      h.provider.onStatus((s) => seen.push(s));
    });
    afterEach(async () => {
      await h.cleanup();
    });
    it('creates an instance for a pod and reports it Running with a host IP once it is up', async () => {
      const inst = await h.provider.create(h.longRunning(pod('web')), placement);
      expect(inst.provider).toBe(h.provider.name);
      expect(inst.status).toMatchObject({ instanceId: inst.id, podUID: 'uid-web', podKey: 'default/web', phase: 'Pending' });
      await h.advance(startMs);
      const s = h.provider.status(inst.id)!;
      expect(s.phase).toBe('Running');
      expect(s.hostIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(Date.parse(s.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
      expect(s.containers).toHaveLength(1);
      expect(s.containers[0]).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0 });
      expect(s.containers[0].state.running).toBeDefined();
      expect(seen.some((x) => x.instanceId === inst.id && x.phase === 'Running')).toBe(true);
    });

    it('returns the same instance when asked twice for the same pod', async () => {
      const a = await h.provider.create(h.longRunning(pod('web')), placement);
      const b = await h.provider.create(h.longRunning(pod('web')), placement);
      expect(b.id).toBe(a.id);
      expect(h.provider.instances().map((i) => i.instanceId)).toEqual([a.id]);
    });

    it('keeps a restartPolicy Always container running', async () => {
      const inst = await h.provider.create(h.longRunning(pod('web')), placement);
      await h.advance(startMs);
      await h.advance(startMs);
      const s = h.provider.status(inst.id)!;
      expect(s.phase).toBe('Running');
      expect(s.containers[0].state.running).toBeDefined();
      expect(s.containers[0].restartCount).toBe(0);
    });

    it('reports a restartPolicy Never container that exits 0 as Completed, and the instance Terminated', async () => {
      const inst = await h.provider.create(h.exitsAfter(pod('job', { restartPolicy: 'Never' }), 100, 0), placement);
      await h.advance(startMs + 1_000);
      const s = h.provider.status(inst.id)!;
      expect(s.containers[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(s.containers[0].ready).toBe(false);
      expect(s.phase).toBe('Terminated');
      expect(s.stoppedAt).toBeDefined();
    });

    it('reports a failing container with its exit code and reason Error', async () => {
      const inst = await h.provider.create(h.exitsAfter(pod('job', { restartPolicy: 'Never' }), 100, 3), placement);
      await h.advance(startMs + 1_000);
      expect(h.provider.status(inst.id)!.containers[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    });

    it('restarts a failing container under restartPolicy OnFailure, keeping the last state', async () => {
      const inst = await h.provider.create(h.exitsAfter(pod('job', { restartPolicy: 'OnFailure' }), 100, 2), placement);
      await h.advance(startMs + 1_000);
      const c = h.provider.status(inst.id)!.containers[0];
      expect(c.restartCount).toBeGreaterThanOrEqual(1);
      expect(c.lastState.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    });

    it('runs init containers in order before the app containers', async () => {
      const spec = pod('init', { initContainers: [container('first'), container('second')], containers: [container('app')] });
      const inst = await h.provider.create(h.longRunning(spec), placement);
      const order: string[] = [];
      h.provider.onStatus((s) => {
        for (const c of [...s.initContainers, ...s.containers]) if (c.state.running && !order.includes(c.name)) order.push(c.name);
      });
      await h.advance(startMs);
      await h.advance(5_000);
      expect(order).toEqual(['first', 'second', 'app']);
      const s = h.provider.status(inst.id)!;
      expect(s.initContainers.map((c) => [c.name, c.state.terminated?.reason, c.ready])).toEqual([['first', 'Completed', true], ['second', 'Completed', true]]);
    });

    it('deletes an instance within its grace period, reports it Terminated, then forgets it', async () => {
      const inst = await h.provider.create(h.longRunning(pod('web')), placement);
      await h.advance(startMs);
      await h.provider.delete(inst.id, 30);
      await h.advance(30_000);
      const last = seen.filter((s) => s.instanceId === inst.id).pop()!;
      expect(last.phase).toBe('Terminated');
      expect(last.stoppedAt).toBeDefined();
      expect(last.containers[0].state.terminated).toBeDefined();
      expect(h.provider.status(inst.id)).toBeUndefined();
      await expect(h.provider.delete(inst.id)).rejects.toBeInstanceOf(InstanceNotFoundError);
    });

    it('stops notifying a listener that was removed', async () => {
      const mine: InstanceStatus[] = [];
      const off = h.provider.onStatus((s) => mine.push(s));
      off();
      await h.provider.create(h.longRunning(pod('web')), placement);
      await h.advance(startMs);
      expect(mine).toEqual([]);
      expect(seen.length).toBeGreaterThan(0);
    });

    it('serves a container log with timestamps, refusing unknown and ambiguous containers', async () => {
      const two = pod('two', { containers: [container('a'), container('b')] });
      const inst = await h.provider.create(h.longRunning(two), placement);
      await h.advance(startMs);
      const lines = await collect(h.provider.logs(inst.id, { container: 'a' }));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(Number.isNaN(Date.parse(l.time))).toBe(false);
      expect(() => h.provider.logs(inst.id, { container: 'zzz' })).toThrow(ContainerLogError);
      expect(() => h.provider.logs(inst.id)).toThrow('a container name must be specified for pod two, choose one of: [a b]');
      expect(() => h.provider.logs(inst.id, { container: 'a', previous: true })).toThrow('previous terminated container "a" in pod "two" not found');
      expect(() => h.provider.logs('i-nope', { container: 'a' })).toThrow(InstanceNotFoundError);
    });

    it('serves the previous run of a restarted container', async () => {
      const inst = await h.provider.create(h.exitsAfter(pod('job', { restartPolicy: 'OnFailure' }), 100, 1), placement);
      await h.advance(startMs + 1_000);
      const previous = await collect(h.provider.logs(inst.id, { previous: true }));
      expect(previous.length).toBeGreaterThan(0);
    });

    it('follows a log until the container exits', async () => {
      const inst = await h.provider.create(h.exitsAfter(pod('job', { restartPolicy: 'Never' }), 2 * startMs, 0), placement);
      await h.advance(startMs);
      const followed = collect(h.provider.logs(inst.id, { follow: true }));
      let done = false;
      void followed.then(() => (done = true));
      await h.advance(0);
      expect(done).toBe(false);
      await h.advance(2 * startMs);
      const lines = await followed;
      expect(done).toBe(true);
      const now = await collect(h.provider.logs(inst.id));
      expect(lines.map((l) => l.text)).toEqual(now.map((l) => l.text));
    });

    it('notifies a lost instance with a reason and stops it', async () => {
      if (!h.loseInstance) return;
      const inst = await h.provider.create(h.longRunning(pod('web')), placement);
      await h.advance(startMs);
      h.loseInstance(inst.id);
      await h.advance(0);
      const last = seen.filter((s) => s.instanceId === inst.id).pop()!;
      expect(last.phase).toBe('Lost');
      expect(last.lost?.reason).toBeTruthy();
      expect(last.stoppedAt).toBeDefined();
    });
  });
}

