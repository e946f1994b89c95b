import { WorkQueue } from '../../controllers/runtime/work-queue';
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
