/**
 * Container logs of the process provider, on disk in the CRI log format a kubelet reads
 * ("<RFC 3339 nano time> <stream> F <text>"), one file per run of a container. A file that grows
 * past its bound is rotated once to "<file>.1" (the older rotation is dropped), so one run keeps at
 * most twice the bound on disk; the provider keeps the current and the previous run only.
 */
import * as fs from 'node:fs';
import type { LogLine } from './provider';

/** DEFAULT_LOG_BYTES bounds one log file (10 MiB, kubelet's containerLogMaxSize). */
export const DEFAULT_LOG_BYTES = 10 * 1024 * 1024;

// A line longer than this without a newline is written out as it stands, so memory stays bounded.
const MAX_PENDING = 16 * 1024;

const nanoTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** LogCursor is how far a follower has read: the rotation it reads and the byte offset in it. */
export interface LogCursor {
  rotation: number;
  offset: number;
}

function parse(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const a = raw.indexOf(' ');
    const b = raw.indexOf(' ', a + 1);
    const c = raw.indexOf(' ', b + 1);
    if (a < 0 || b < 0 || c < 0) continue;
    const stream = raw.slice(a + 1, b) === 'stderr' ? 'stderr' : 'stdout';
    out.push({ time: raw.slice(0, a), stream, text: raw.slice(c + 1) });
  }
  return out;
}

async function readRange(file: string, from: number, to?: number): Promise<{ text: string; end: number }> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    return { text: '', end: from };
  }
  try {
    const size = to ?? (await fh.stat()).size;
    if (size <= from) return { text: '', end: from };
    const buf = Buffer.alloc(size - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    // Only whole records are returned: a record is written in one call, but a reader may race it.
    const chunk = buf.subarray(0, bytesRead);
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline < 0) return { text: '', end: from };
    return { text: chunk.subarray(0, lastNewline + 1).toString('utf8'), end: from + lastNewline + 1 };
  } finally {
    await fh.close();
  }
}

/** ContainerLog is the log of one run of one container: written as the process writes, read by logs(). */
export class ContainerLog {
  private size = 0;
  /** rotations counts how often the file was rotated, so followers notice. */
  rotations = 0;
  private rotatedSize = 0;
  /** closed is set once the run ended and everything it wrote is on disk. */
  closed = false;
  private readonly pending = { stdout: '', stderr: '' };
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly file: string,
    private readonly now: () => number,
    private readonly maxBytes = DEFAULT_LOG_BYTES,
  ) {
    fs.writeFileSync(file, '', { mode: 0o600 });
  }

  /** write takes a chunk of a stream; whole lines go to disk now, a partial line waits for its end. */
  write(stream: 'stdout' | 'stderr', chunk: string): void {
    if (this.closed) return;
    let text = this.pending[stream] + chunk;
    const lines: string[] = [];
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      lines.push(text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_PENDING) {
      lines.push(text.slice(0, MAX_PENDING));
      text = text.slice(MAX_PENDING);
    }
    this.pending[stream] = text;
    this.append(stream, lines);
  }

  /** close writes out what is left of partial lines and ends followers of this run. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream]) this.append(stream, [this.pending[stream]]);
      this.pending[stream] = '';
    }
    this.closed = true;
    this.wake();
  }

  private append(stream: 'stdout' | 'stderr', lines: string[]): void {
    if (lines.length === 0) return;
    const time = nanoTime(this.now());
    const data = Buffer.from(lines.map((l) => `${time} ${stream} F ${l.replace(/\r$/, '')}\n`).join(''), 'utf8');
    try {
      if (this.size > 0 && this.size + data.length > this.maxBytes) {
        fs.renameSync(this.file, `${this.file}.1`);
        this.rotatedSize = this.size;
        this.size = 0;
        this.rotations++;
      }
      fs.appendFileSync(this.file, data);
      this.size += data.length;
    } catch {
      // A full or vanished disk loses log lines, never the container.
    }
    this.wake();
  }

  /** read returns every line of the run still on disk (the rotated file first). */
  async read(): Promise<LogLine[]> {
    const older = this.rotations > 0 ? (await readRange(`${this.file}.1`, 0)).text : '';
    const current = (await readRange(this.file, 0)).text;
    return parse(older + current);
  }

  /** start is a cursor at the beginning of what is on disk. */
  start(): LogCursor {
    return { rotation: this.rotations > 0 ? this.rotations - 1 : 0, offset: 0 };
  }

  /** readFrom returns the lines after cursor and the cursor after them. */
  async readFrom(cursor: LogCursor): Promise<{ lines: LogLine[]; cursor: LogCursor }> {
    let text = '';
    let next = cursor;
    if (next.rotation < this.rotations) {
      // Still in a file that was rotated since: finish it (if it is the one kept), then go on.
      if (next.rotation === this.rotations - 1) text += (await readRange(`${this.file}.1`, next.offset, this.rotatedSize)).text;
      next = { rotation: this.rotations, offset: 0 };
    }
    const r = await readRange(this.file, next.offset);
    text += r.text;
    return { lines: parse(text), cursor: { rotation: next.rotation, offset: r.end } };
  }

  /** changed resolves on the next write or close. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** wake resolves every pending changed(). */
  wake(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  /** remove deletes the run's files. */
  remove(): void {
    for (const f of [this.file, `${this.file}.1`]) fs.rm(f, { force: true }, () => undefined);
  }
}
