import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerLog } from '../../controllers/instances/providers/process-logs';

describe('process provider container log', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes CRI records, keeps partial lines until their end, and flushes them on close', async () => {
    const log = new ContainerLog(path.join(dir, '0.log'), () => Date.UTC(2026, 0, 1));
    log.write('stdout', 'hello wor');
    log.write('stderr', 'oops\n');
    log.write('stdout', 'ld\nand a tail');
    expect(fs.readFileSync(log.file, 'utf8')).toBe('2026-01-01T00:00:00.000000000Z stderr F oops\n2026-01-01T00:00:00.000000000Z stdout F hello world\n');
    log.close();
    expect((await log.read()).map((l) => [l.stream, l.text])).toEqual([['stderr', 'oops'], ['stdout', 'hello world'], ['stdout', 'and a tail']]);
  });

  it('rotates a file past its bound once, so a run keeps at most twice the bound on disk', async () => {
    const log = new ContainerLog(path.join(dir, '0.log'), () => Date.now(), 1_000);
    for (let i = 0; i < 200; i++) log.write('stdout', `line ${i}\n`);
    log.close();
    const sizes = [log.file, `${log.file}.1`].map((f) => fs.statSync(f).size);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(1_000);
    const texts = (await log.read()).map((l) => l.text);
    expect(texts[texts.length - 1]).toBe('line 199');
    expect(texts).not.toContain('line 0');
    // What is kept is a contiguous tail.
    const first = Number(texts[0].split(' ')[1]);
    expect(texts).toEqual(Array.from({ length: 200 - first }, (_, i) => `line ${first + i}`));
  });

  it('lets a follower read across a rotation without losing lines', async () => {
    const log = new ContainerLog(path.join(dir, '0.log'), () => Date.now(), 500);
    for (let i = 0; i < 5; i++) log.write('stdout', `a${i}\n`);
    let r = await log.readFrom(log.start());
    const got = r.lines.map((l) => l.text);
    for (let i = 0; i < 10; i++) log.write('stdout', `b${i}\n`);
    expect(log.rotations).toBe(1);
    r = await log.readFrom(r.cursor);
    got.push(...r.lines.map((l) => l.text));
    expect(got).toEqual([...Array.from({ length: 5 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
  });
});
