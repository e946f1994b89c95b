/**
 * Storage failures are honest: when the disk refuses writes, kube-apiserver answers each write
 * with a 500 Status carrying etcd's error ("etcdserver: mvcc: database space exceeded", no
 * reason) and its /readyz reports the etcd check failed. nodeless answers with SQLite's cause,
 * logs the failure once, reports not ready, and recovers by itself once the disk takes writes.
 *
 * The disk-full case mounts a small tmpfs of its own; where mounting is not allowed (not root,
 * no CAP_SYS_ADMIN) it is skipped with a message. The read-only case needs no mount: SQLite's
 * query_only makes the database refuse writes with SQLITE_READONLY, as a read-only disk does.
 * (A tmpfs cannot be remounted read-only while the database holds it open for writing.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createNodeless, type Nodeless } from '../../server/server';
import { openSqliteStore, type SqliteStore } from '../../store';

const CM = '/api/v1/namespaces/default/configmaps';

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

function call(port: number, method: string, urlPath: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text);
        } catch {
          // health answers are plain text
        }
        resolve({ status: res.statusCode!, text, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function configMap(name: string, bytes: number): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: 'x'.repeat(bytes) } };
}

async function waitFor(what: string, cond: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Served {
  nodeless: Nodeless;
  store: SqliteStore;
  port: number;
  logs: Array<Record<string, unknown>>;
}

async function serve(dbPath: string): Promise<Served> {
  const logs: Array<Record<string, unknown>> = [];
  const log = (r: Record<string, unknown>) => logs.push(r);
  const store = openSqliteStore({ path: dbPath, probeIntervalMs: 50, log });
  const nodeless = await createNodeless({ store, log, scheduler: false });
  const server = await nodeless.listen(0, '127.0.0.1');
  return { nodeless, store, port: (server.address() as AddressInfo).port, logs };
}

const refusals = (logs: Array<Record<string, unknown>>) => logs.filter((r) => r.level === 'error' && String(r.msg).startsWith('storage refuses writes'));

async function expectNotReady(port: number, cause: string): Promise<void> {
  const ready = await call(port, 'GET', '/readyz');
  expect(ready.status).toBe(500);
  expect(ready.text).toBe(
    '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[-]etcd-readiness failed: reason withheld\n[+]informer-sync ok\n[+]shutdown ok\nreadyz check failed\n',
  );
  const one = await call(port, 'GET', '/readyz/etcd');
  expect({ status: one.status, text: one.text }).toEqual({ status: 500, text: `internal server error: sqlite: ${cause}\n` });
  expect((await call(port, 'GET', '/livez')).text).toContain('[-]etcd failed: reason withheld\n');
}

function expectRefused(res: Answer, cause: string): void {
  expect(res.status).toBe(500);
  expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `sqlite: ${cause}`, code: 500 });
}

// canMount reports whether this process may mount a tmpfs (root with CAP_SYS_ADMIN).
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-mount-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status !== 0) return false;
    spawnSync('umount', [probe]);
    return true;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const mountable = canMount();
if (!mountable) console.warn('storage-failure: skipping the disk-full case: mounting a tmpfs is not allowed here (needs root with CAP_SYS_ADMIN)');

(mountable ? describe : describe.skip)('a full disk', () => {
  let dir: string;
  let served: Served | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-disk-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir]);
    if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
  });
  afterAll(async () => {
    await served?.nodeless.close();
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers writes with a 500 naming the cause, logs once, reports not ready, and recovers when space returns', async () => {
    served = await serve(path.join(dir, 'state.db'));
    const { port, logs } = served;
    expect((await call(port, 'POST', CM, configMap('before', 1000))).status).toBe(201);

    // Fill the file system to the last byte.
    const filler = path.join(dir, 'filler');
    const fd = fs.openSync(filler, 'w');
    for (const size of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
    fs.closeSync(fd);

    // SQLite may still reuse room in its WAL for a while; the disk refuses soon enough.
    let refused: Answer | undefined;
    for (let i = 0; i < 64 && !refused; i++) {
      const res = await call(port, 'POST', CM, configMap(`fill-${i}`, 256 * 1024));
      if (res.status !== 201) refused = res;
    }
    expect(refused).toBeDefined();
    expectRefused(refused!, 'database or disk is full');
    expectRefused(await call(port, 'POST', CM, configMap('again', 256 * 1024)), 'database or disk is full');
    expectRefused(await call(port, 'PUT', `${CM}/before`, configMap('before', 300 * 1024)), 'database or disk is full');
    expect(refusals(logs)).toHaveLength(1);
    expect(refusals(logs)[0]).toMatchObject({ code: 'SQLITE_FULL', error: 'sqlite: database or disk is full' });
    // No request failure is logged per request: the Status is the answer.
    expect(logs.filter((r) => r.msg === 'request failed')).toEqual([]);
    // Reads keep working.
    expect((await call(port, 'GET', `${CM}/before`)).status).toBe(200);
    await expectNotReady(port, 'database or disk is full');
    expect(refusals(logs)).toHaveLength(1);

    // Space returns; with no client writing, the store's probe notices.
    fs.rmSync(filler);
    await waitFor('/readyz to report ready', async () => (await call(port, 'GET', '/readyz')).status === 200);
    expect((await call(port, 'GET', '/readyz')).text).toBe('ok');
    expect(logs.some((r) => r.msg === 'storage takes writes again')).toBe(true);
    expect((await call(port, 'POST', CM, configMap('after', 256 * 1024))).status).toBe(201);
    expect((await call(port, 'GET', `${CM}/after`)).status).toBe(200);
  });
});

describe('a database that refuses writes (read-only)', () => {
  let dir: string;
  let served: Served | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-read-only-'));
  });
  afterAll(async () => {
    await served?.nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers writes with a 500 naming the cause, reports not ready, and recovers once writes succeed', async () => {
    served = await serve(path.join(dir, 'state.db'));
    const { port, logs, store } = served;
    store.db.pragma('query_only = ON');
    expectRefused(await call(port, 'POST', CM, configMap('ro', 10)), 'attempt to write a readonly database');
    expectRefused(await call(port, 'DELETE', `${CM}/kube-root-ca.crt`), 'attempt to write a readonly database');
    expect(refusals(logs)).toHaveLength(1);
    expect(refusals(logs)[0]).toMatchObject({ code: 'SQLITE_READONLY' });
    await expectNotReady(port, 'attempt to write a readonly database');
    store.db.pragma('query_only = OFF');
    await waitFor('/readyz to report ready', async () => (await call(port, 'GET', '/readyz')).status === 200);
    expect((await call(port, 'POST', CM, configMap('ro', 10))).status).toBe(201);
  });
});
