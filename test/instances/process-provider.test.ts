import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock, realClock } from '../../controllers/instances/clock';
import type { Container, Pod } from '../../controllers/instances/pod';
import { ProcessProvider, type ProcessProviderOptions } from '../../controllers/instances/providers/process';
import { readStat } from '../../controllers/instances/providers/process-children';
import type { InstanceStatus, LogLine } from '../../controllers/instances/providers/provider';
import { defaultCatalog } from '../../controllers/instances/catalog';
import { decideSize, type Placement } from '../../controllers/instances/sizing';
import { waitFor } from '../helpers/api-server';
import { container, pod } from './fixtures';
import { describeProviderConformance } from './provider-suite';

jest.setTimeout(60_000);

const PY = '/usr/bin/python3';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const withCommand = (p: Pod, f: (c: Container, init: boolean) => string[]): Pod => ({
  ...p,
  spec: {
    ...p.spec,
    initContainers: p.spec.initContainers?.map((c) => ({ ...c, command: f(c, true) })),
    containers: p.spec.containers.map((c) => ({ ...c, command: f(c, false) })),
  },
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-process-'));
}

// Real processes take real time: the harness waits, but never longer than 3 s at a time, since
// nothing the suite scripts (exits after at most a few seconds, SIGTERM to sleep) takes longer.
describeProviderConformance(
  'process',
  async () => {
    const dir = tempDir();
    const provider = new ProcessProvider({ dataDir: dir, clock: realClock });
    return {
      provider,
      advance: (ms) => sleep(Math.min(ms, 3_000) + 50),
      longRunning: (p) => withCommand(p, (c, init) => (init ? ['/bin/sh', '-c', `echo ${c.name} done`] : ['/bin/sh', '-c', `echo ${c.name} started; exec sleep infinity`])),
      exitsAfter: (p, ms, code) => withCommand(p, (c) => ['/bin/sh', '-c', `echo ${c.name} running; sleep ${ms / 1000}; echo ${c.name} exiting; exit ${code}`]),
      async cleanup() {
        await provider.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  1_500,
);

const placement: Placement = (() => {
  const d = decideSize(pod('x'), defaultCatalog());
  if (!d.schedulable) throw new Error(d.message);
  return d.placement;
})();

async function collect(it: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l.text);
  return out;
}

describe('process provider', () => {
  let dir: string;
  let provider: ProcessProvider;
  let seen: InstanceStatus[];
  const open = (options: Partial<ProcessProviderOptions> = {}) => {
    provider = new ProcessProvider({ dataDir: dir, ...options });
    seen = [];
    provider.onStatus((s) => seen.push(s));
    return provider;
  };
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await provider?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const app = (extra: Partial<Container>) => pod('p', { restartPolicy: 'Never', containers: [container('app', undefined, undefined, extra)] });
  const state = (id: string) => provider.status(id)?.containers[0]?.state;

  it('refuses a container without a command with CreateContainerError, and keeps running', async () => {
    open();
    const inst = await provider.create(app({}), placement);
    await waitFor(() => state(inst.id)?.waiting?.reason === 'CreateContainerError', 'CreateContainerError', 10_000);
    expect(state(inst.id)!.waiting!.message).toContain('spec.containers[].command');
    expect(provider.status(inst.id)!.phase).toBe('Running');
  });

  it('reports a command that is not on PATH as a StartError with containerd\'s message', async () => {
    open();
    const inst = await provider.create(app({ command: ['no-such-command-here'] }), placement);
    await waitFor(() => state(inst.id)?.terminated?.reason === 'StartError', 'StartError', 10_000);
    expect(state(inst.id)!.terminated).toMatchObject({ exitCode: 128, message: expect.stringContaining('exec: "no-such-command-here": executable file not found in $PATH') });
    expect(provider.status(inst.id)!.phase).toBe('Terminated');
  });

  it('shows RunContainerError while a restartable container cannot start, with the cause in lastState', async () => {
    open();
    const p = pod('p', { containers: [container('app', undefined, undefined, { command: ['/bin/true'], workingDir: '/no/such/dir' })] });
    const inst = await provider.create(p, placement);
    await waitFor(() => state(inst.id)?.waiting?.reason === 'RunContainerError', 'RunContainerError', 10_000);
    const c = provider.status(inst.id)!.containers[0];
    expect(c.state.waiting!.message).toContain('chdir to cwd ("/no/such/dir")');
    expect(c.lastState.terminated).toMatchObject({ reason: 'StartError', exitCode: 128 });
  });

  it('passes env and working directory and captures stdout and stderr', async () => {
    open();
    const work = tempDir();
    const inst = await provider.create(app({ command: ['/bin/sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2'], env: [{ name: 'GREETING', value: 'hello' }], workingDir: work }), placement);
    await waitFor(() => state(inst.id)?.terminated?.reason === 'Completed', 'completed', 10_000);
    const lines: LogLine[] = [];
    for await (const l of provider.logs(inst.id)) lines.push(l);
    expect(lines.map((l) => [l.stream, l.text]).sort()).toEqual([['stderr', 'oops'], ['stdout', `hello from ${fs.realpathSync(work)}`]]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('kills a container over its memory limit and reports OOMKilled with exit code 137', async () => {
    open({ memoryPollMs: 200 });
    const hog = `import time\nx = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\ntime.sleep(60)`;
    const inst = await provider.create(app({ command: [PY, '-c', hog], resources: { limits: { memory: '64Mi' } } }), placement);
    await waitFor(() => state(inst.id)?.terminated !== undefined, 'the hog terminated', 30_000);
    expect(state(inst.id)!.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });

  it('backs off a crashing container 10 s, then 20 s, on the provider clock', async () => {
    const clock = new FakeClock(Date.now());
    open({ clock });
    const p = pod('crash', { containers: [container('app', undefined, undefined, { command: ['/bin/sh', '-c', 'echo boom; exit 2'] })] });
    const inst = await provider.create(p, placement);
    // The first restart is at once; the second failure waits 10 s.
    await waitFor(() => state(inst.id)?.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff', 10_000);
    let c = provider.status(inst.id)!.containers[0];
    expect(c.restartCount).toBe(1);
    expect(c.state.waiting!.message).toBe('back-off 10s restarting failed container=app pod=crash_default(uid-crash)');
    expect(c.lastState.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(await collect(provider.logs(inst.id, { previous: true }))).toEqual(['boom']);
    clock.advance(9_999);
    expect(provider.status(inst.id)!.containers[0].restartCount).toBe(1);
    clock.advance(1);
    await waitFor(() => provider.status(inst.id)!.containers[0].state.waiting?.message?.startsWith('back-off 20s') === true, 'back-off 20s', 10_000);
    c = provider.status(inst.id)!.containers[0];
    expect(c.restartCount).toBe(2);
  });

  it('restarts a container whose liveness probe fails, reporting Unhealthy and Killing', async () => {
    open();
    const probe = { exec: { command: ['/bin/sh', '-c', 'echo not alive; exit 1'] }, periodSeconds: 1, failureThreshold: 2 };
    const p = pod('live', { terminationGracePeriodSeconds: 1, containers: [container('app', undefined, undefined, { command: ['sleep', 'infinity'], livenessProbe: probe })] });
    const inst = await provider.create(p, placement);
    await waitFor(() => (provider.status(inst.id)?.containers[0]?.restartCount ?? 0) >= 1, 'a restart', 30_000);
    const s = provider.status(inst.id)!;
    expect(s.containers[0].lastState.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    const events = s.events!.map((e) => [e.reason, e.message]);
    expect(events).toContainEqual(['Unhealthy', 'Liveness probe failed: not alive']);
    expect(events).toContainEqual(['Killing', 'Container app failed liveness probe, will be restarted']);
  });

  it('is ready only once an httpGet readiness probe passes, and a startup probe gates started', async () => {
    open();
    const script = `import http.server, socketserver, sys, time\ntime.sleep(1.5)\nclass H(http.server.BaseHTTPRequestHandler):\n  def do_GET(self):\n    self.send_response(200 if self.path == '/ok' else 500); self.end_headers()\n  def log_message(self, *a): pass\nsocketserver.TCPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const p = pod('web', {
      containers: [
        container('app', undefined, undefined, {
          command: [PY, '-c', script, String(port)],
          ports: [{ name: 'http', containerPort: port }],
          startupProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1, failureThreshold: 30 },
          readinessProbe: { httpGet: { path: '/ok', port: 'http' }, periodSeconds: 1 },
        }),
      ],
    });
    const inst = await provider.create(p, placement);
    await waitFor(() => state(inst.id)?.running !== undefined, 'running', 10_000);
    expect(provider.status(inst.id)!.containers[0]).toMatchObject({ started: false, ready: false });
    await waitFor(() => provider.status(inst.id)!.containers[0].ready, 'ready', 30_000);
    expect(provider.status(inst.id)!.containers[0].started).toBe(true);
    expect(provider.status(inst.id)!.events?.some((e) => e.message.startsWith('Startup probe failed: dial tcp 127.0.0.1:'))).toBe(true);
  });

  it('sends SIGTERM to the process group on delete and SIGKILL after the grace period', async () => {
    open();
    const p = pod('stubborn', { containers: [container('app', undefined, undefined, { command: ['/bin/sh', '-c', "trap 'echo got TERM' TERM; while true; do sleep 0.1; done"] })] });
    const inst = await provider.create(p, placement);
    await waitFor(() => state(inst.id)?.running !== undefined, 'running', 10_000);
    await sleep(200);
    await provider.delete(inst.id, 1);
    await waitFor(() => seen.some((s) => s.instanceId === inst.id && s.phase === 'Terminated'), 'terminated', 15_000);
    const last = seen.filter((s) => s.instanceId === inst.id).pop()!;
    expect(last.containers[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('runs the preStop exec hook before SIGTERM on delete', async () => {
    open();
    const marker = path.join(dir, 'order');
    const p = pod('hooked', {
      containers: [
        container('app', undefined, undefined, {
          command: ['/bin/sh', '-c', `trap 'echo term >> ${marker}; exit 0' TERM; while true; do sleep 0.1; done`],
          lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `echo prestop >> ${marker}`] } } },
        }),
      ],
    });
    const inst = await provider.create(p, placement);
    await waitFor(() => state(inst.id)?.running !== undefined, 'running', 10_000);
    await sleep(200);
    await provider.delete(inst.id, 10);
    await waitFor(() => seen.some((s) => s.instanceId === inst.id && s.phase === 'Terminated'), 'terminated', 15_000);
    expect(fs.readFileSync(marker, 'utf8')).toBe('prestop\nterm\n');
    expect(seen.filter((s) => s.instanceId === inst.id).pop()!.containers[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('kills what a server that died without closing left running, and reports its Never pods lost', async () => {
    const first = new ProcessProvider({ dataDir: dir });
    const inst = await first.create(app({ command: ['sleep', 'infinity'] }), placement);
    await waitFor(() => first.status(inst.id)?.containers[0]?.state.running !== undefined, 'running', 10_000);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'process-provider-state.json'), 'utf8'));
    const pid: number = record.instances[0].children[0].pid;
    expect(readStat(pid)).toBeDefined();
    // A second provider on the same data dir is the server after a kill -9: the first never closed.
    open();
    await waitFor(() => readStat(pid) === undefined, 'the orphan killed', 10_000);
    const lost = provider.status(inst.id)!;
    expect(lost).toMatchObject({ phase: 'Lost', lost: { reason: 'InstanceLost' } });
    expect(lost.containers[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
    await first.close();
    await provider.delete(inst.id);
    expect(provider.status(inst.id)).toBeUndefined();
  });
});
