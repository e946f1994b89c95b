import { BucketRateLimiter, ItemExponentialRateLimiter, TerminalError, WorkQueue, defaultRateLimiter } from '../../controllers/runtime/work-queue';
import { FakeClock, settle } from '../helpers/fake-clock';
import { waitFor } from '../helpers/api-server';

describe('WorkQueue', () => {
  it('never runs one key concurrently with itself and runs a key queued while running once more', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await gate;
        running--;
        return false;
      },
      { failure: 'test', retryMs: 5 },
    );
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await waitFor(() => runs === 2 && running === 0, 'the second run');
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    q.stop();
  });

  it('retries after a failure or when asked, and stops retrying when stopped', async () => {
    const seen: string[] = [];
    const logs: unknown[] = [];
    const q = new WorkQueue(
      async (key) => {
        seen.push(key);
        if (seen.length === 1) throw new Error('boom');
        return seen.length < 3;
      },
      { failure: 'test failed', retryMs: 5, log: (r) => logs.push(r) },
    );
    q.add('k');
    await waitFor(() => seen.length === 3, 'three runs');
    expect(logs).toEqual([expect.objectContaining({ msg: 'test failed', key: 'k', error: 'Error: boom' })]);
    q.stop();
    q.add('k');
    expect(q.stopped).toBe(true);
    expect(seen).toHaveLength(3);
  });
});

describe('WorkQueue rate limiting, on an injected clock', () => {
  it('backs a key off exponentially from 5 ms to a cap of 1000 s, per key', () => {
    const limiter = new ItemExponentialRateLimiter();
    const delays = Array.from({ length: 20 }, () => limiter.when('a'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays[17]).toBe(5 * 2 ** 17);
    expect(delays[18]).toBe(1000_000);
    expect(delays[19]).toBe(1000_000);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.failures('a')).toBe(20);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });

  it('lets a burst of 100 retries through, then 10 a second (the overall token bucket)', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(10, 100, clock);
    const delays = Array.from({ length: 102 }, () => bucket.when());
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays[100]).toBe(100);
    expect(delays[101]).toBe(200);
    const limiter = defaultRateLimiter(clock);
    expect(limiter.when('k')).toBe(5);
  });

  it('retries a failing key with growing delays and forgets its failures after a success', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    let fail = 3;
    const q = new WorkQueue(
      async () => {
        runs.push(clock.now());
        if (fail-- > 0) throw new Error('not yet');
      },
      { failure: 'test', clock },
    );
    q.add('k');
    await clock.advance(1000);
    const start = runs[0];
    expect(runs.map((t) => t - start)).toEqual([0, 5, 15, 35]);
    expect(q.rateLimiter.failures('k')).toBe(0);
    q.stop();
  });

  it('runs { requeueAfter } again after that delay and does not retry a TerminalError', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const q = new WorkQueue(
      async (key) => {
        runs.push(`${key}@${clock.now() % 1_000_000}`);
        if (key === 'poll' && runs.length < 3) return { requeueAfter: 250 };
        if (key === 'bad') throw new TerminalError('cannot ever work');
      },
      { failure: 'test', clock, log: (r) => logs.push(r) },
    );
    q.add('poll');
    await clock.advance(1000);
    expect(runs).toEqual(['poll@0', 'poll@250', 'poll@500']);
    q.add('bad');
    await clock.advance(10_000);
    expect(runs.filter((r) => r.startsWith('bad'))).toHaveLength(1);
    expect(logs).toContainEqual(expect.objectContaining({ key: 'bad', terminal: true }));
    expect(clock.pending()).toEqual([]);
    q.stop();
  });

  it('addAfter keeps the earliest of several delays for one key, and stop cancels it', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    const q = new WorkQueue(async () => void runs.push(clock.now() % 1_000_000), { failure: 'test', clock });
    q.addAfter('k', 500);
    q.addAfter('k', 100);
    q.addAfter('k', 300);
    await clock.advance(1000);
    expect(runs).toEqual([100]);
    q.addAfter('k', 100);
    q.stop();
    await clock.advance(1000);
    expect(runs).toEqual([100]);
  });

  it('runs at most `workers` keys at once, and each key never alongside itself', async () => {
    let running = 0;
    let most = 0;
    const active = new Set<string>();
    let overlap = false;
    const q = new WorkQueue(
      async (key) => {
        if (active.has(key)) overlap = true;
        active.add(key);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        active.delete(key);
      },
      { failure: 'test', workers: 3 },
    );
    for (let i = 0; i < 20; i++) q.add(`k${i % 7}`);
    for (let i = 0; i < 7; i++) q.add(`k${i}`);
    await waitFor(async () => {
      await q.idle();
      return true;
    }, 'the queue to drain');
    expect(most).toBe(3);
    expect(overlap).toBe(false);
    q.stop();
  });

  it('holds keys until start() when autoStart is false, as controllers wait for their informers to sync', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => void runs.push(key), { failure: 'test', autoStart: false });
    q.add('a');
    q.add('b');
    q.add('a');
    await settle();
    expect(runs).toEqual([]);
    q.start();
    await q.idle();
    expect(runs).toEqual(['a', 'b']);
    q.stop();
  });
});
