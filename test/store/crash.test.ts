import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../store';

const writer = path.join(__dirname, '../../dist/test/store/crash-writer.js');

// The writer runs as compiled JavaScript; `npm test` builds first.
describe('store durability', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-crash-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write after the writer is killed with SIGKILL', async () => {
    expect(fs.existsSync(writer)).toBe(true);
    const dbPath = path.join(dir, 'state.db');
    const child = spawn(process.execPath, [writer, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Array<{ key: string; revision: number; payload: string }> = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const target = 500 + Math.floor(Math.random() * 1500);
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`writer acknowledged only ${acked.length} writes: ${stderr}`)), 60000);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [key, rev, payload] = line.split(' ');
          acked.push({ key, revision: Number(rev), payload });
        }
        if (acked.length >= target && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(deadline);
          resolve();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');

    const store = openSqliteStore({ path: dbPath });
    try {
      for (let i = 1; i < acked.length; i++) expect(acked[i].revision).toBeGreaterThan(acked[i - 1].revision);
      const latest = new Map<string, { revision: number; payload: string }>();
      for (const a of acked) latest.set(a.key, a);
      for (const [key, want] of latest) {
        const kv = await store.get(key);
        // The write in flight at the kill may have committed without being acknowledged.
        expect(kv.revision).toBeGreaterThanOrEqual(want.revision);
        if (kv.revision === want.revision) expect(JSON.parse(kv.value).data.payload).toBe(want.payload);
      }
      const current = await store.currentRevision();
      expect(current).toBeGreaterThanOrEqual(acked[acked.length - 1].revision);
      const next = await store.create('/core/configmaps/default/after-crash', { metadata: {} });
      expect(next.revision).toBe(current + 1);
      const list = await store.list('/core/configmaps/default/');
      const revs = list.items.map((i) => i.revision).sort((a, b) => a - b);
      expect(new Set(revs).size).toBe(revs.length);
    } finally {
      await store.close();
    }
  });
});
