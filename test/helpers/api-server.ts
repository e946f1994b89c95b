/**
 * Test servers: an in-process nodeless on an in-memory store for supertest suites, and the
 * built CLI started as a child process on a free port for end-to-end suites with kubectl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { createNodeless, type Nodeless, type NodelessOptions } from '../../server/server';

/** TestServer is an in-process server with a supertest agent bound to its app. */
export interface TestServer {
  nodeless: Nodeless;
  api: supertest.Agent;
  close(): Promise<void>;
}

/**
 * startTestServer creates an in-process server on an in-memory store. The instance scheduler is
 * off unless asked for (`{ scheduler: true }` or its options): suites that play kubelet themselves
 * (fake-kubelet.ts) expect pods to change only as they say.
 */
export async function startTestServer(options: NodelessOptions = {}): Promise<TestServer> {
  const nodeless = await createNodeless({ databasePath: ':memory:', scheduler: false, ...options });
  const api = supertest.agent(nodeless.app);
  return { nodeless, api, close: () => nodeless.close() };
}

/** CliServer is the built server running as a child process, with its kubeconfig. */
export interface CliServer {
  url: string;
  kubeconfig: string;
  dataDir: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** startCliServer runs `node dist/server/main.js serve --port 0` (plus args) in a temp data dir and waits until it serves. */
export async function startCliServer(args: string[] = []): Promise<CliServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-e2e-'));
  return serveOn(dataDir, args);
}

/**
 * restartCliServer starts `nodeless serve` again on the data directory of a server that stopped
 * or was killed (kill -9), as a user restarting it would; the kubeconfig is rewritten for the new port.
 */
export async function restartCliServer(old: CliServer, args: string[] = []): Promise<CliServer> {
  if (old.process.exitCode === null && old.process.signalCode === null) throw new Error('the old server still runs: stop or kill it first');
  return serveOn(old.dataDir, args);
}

async function serveOn(dataDir: string, args: string[]): Promise<CliServer> {
  const main = path.join(__dirname, '../../dist/server/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const child = spawn(process.execPath, [main, 'serve', '--port', '0', '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving the Kubernetes API at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    kubeconfig: path.join(dataDir, 'kubeconfig'),
    dataDir,
    token: fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** waitFor polls check until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, deadlineMs = 10000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** listenURL serves an in-process test server on a free port and answers its base URL. */
export async function listenURL(t: TestServer): Promise<string> {
  const server = await t.nodeless.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/**
 * namespaceMaker returns a function creating namespaces prefix-1, prefix-2, ... on a test
 * server; with waitForDefaultServiceAccount it waits, as the upstream e2e framework does, until
 * the namespace's default ServiceAccount exists.
 */
export function namespaceMaker(server: () => TestServer, options: { waitForDefaultServiceAccount?: boolean } = {}): (prefix: string) => Promise<string> {
  let count = 0;
  return async (prefix) => {
    const t = server();
    const name = `${prefix}-${++count}`;
    await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
    if (options.waitForDefaultServiceAccount) {
      await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200, 'the default ServiceAccount');
    }
    return name;
  };
}

/** ControllersProcess is `nodeless controllers` running as a child process. */
export interface ControllersProcess {
  process: ChildProcess;
  /** output is what the process wrote to stderr (its structured log) so far */
  output(): string;
  stop(): Promise<void>;
}

/**
 * startControllersProcess runs `node dist/server/main.js controllers --kubeconfig FILE` and waits
 * until its controllers run, or until it prints `until` (e.g. that it waits for the lease).
 */
export async function startControllersProcess(kubeconfig: string, options: { until?: string; args?: string[] } = {}): Promise<ControllersProcess & { stdout(): string }> {
  const main = path.join(__dirname, '../../dist/server/main.js');
  const until = options.until ?? 'controllers are running';
  const child = spawn(process.execPath, [main, 'controllers', '--kubeconfig', kubeconfig, ...(options.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`controllers did not start: ${err}`)), 20000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(until)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controllers exited with ${code}: ${err}`));
    });
  });
  return {
    process: child,
    output: () => err,
    stdout: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
