/**
 * A watcher's queue must not keep the events its consumer has already taken: with 1 MiB objects
 * each such event holds about 2 MiB (its value and the previous one). The heap is measured in a
 * child process started with --expose-gc, on the built store (npm run build first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { WatchHub } from '../../store/watch-hub';
import { WatcherTooSlowError } from '../../store/errors';

describe('watch queue memory', () => {
  it('should drop a watcher whose queue holds more value bytes than its bound', async () => {
    const hub = new WatchHub();
    const slow = hub.register('/core/configmaps/', 0, 0, () => [], () => 0, { maxPendingBytes: 3 * 2 ** 20 });
    const fast = hub.register('/core/configmaps/', 0, 0, () => [], () => 0, {});
    const value = 'x'.repeat(2 ** 20);
    for (let i = 1; i <= 2; i++) {
      hub.publish({ type: 'MODIFIED', key: '/core/configmaps/default/big', revision: i, value, prevValue: value });
      // The fast one takes each event; the slow one takes none, and 4 MiB is past its 3 MiB.
      expect((await fast.next())?.revision).toBe(i);
    }
    const err = await slow.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatcherTooSlowError);
    expect((err as Error).message).toBe('watcher dropped: it fell 2 events (4.0 MiB) behind');
    expect(hub.queued()).toEqual({ events: 0, bytes: 0, longest: 0 });
    fast.close();
    expect(hub.size).toBe(0);
  });

  it('should not keep taken events reachable (child process with --expose-gc)', async () => {
    const dist = path.join(__dirname, '../../dist/store/watch-hub.js');
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
    const script = `
      const { WatchHub } = require(${JSON.stringify(dist)});
      const heap = () => { global.gc(); global.gc(); return process.memoryUsage().heapUsed / 1048576; };
      (async () => {
        const hub = new WatchHub();
        const watcher = hub.register('/core/configmaps/', 0, 0, () => [], () => 0, {});
        const before = heap();
        // 300 events of 1 MiB values, each queued (nobody is waiting) and then taken.
        for (let i = 1; i <= 300; i++) {
          const value = String(i % 10).repeat(1 << 20);
          hub.publish({ type: 'MODIFIED', key: '/core/configmaps/default/big', revision: i, value, prevValue: value.slice(1) + '!' });
          const ev = await watcher.next();
          if (ev.revision !== i) throw new Error('took revision ' + ev.revision + ', wanted ' + i);
        }
        const after = heap();
        watcher.close();
        process.stdout.write(JSON.stringify({ before, after }) + '\\n');
      })().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
    `;
    const child = spawn(process.execPath, ['--expose-gc', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, err: err.slice(0, 500) }).toEqual({ code: 0, err: '' });
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    // Kept, the taken events would hold ~600 MB; none of them may stay.
    expect(after - before).toBeLessThan(50);
  });
});
