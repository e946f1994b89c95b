/**
 * Probes of the process provider, run for real as a kubelet runs them: exec (the command, with
 * the container's environment and working directory), httpGet (a status from 200 to 399 succeeds)
 * and tcpSocket (a connection succeeds). Processes share the host's network, so a probe without a
 * host dials 127.0.0.1, which reaches a process listening on any local address. A Prober keeps one
 * probe's schedule and thresholds; its failures are reported with kubelet's messages.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Clock, TimerHandle } from '../clock';

/** ProbeSpec is core/v1 Probe. */
export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

/** ProbeKind names the three probes as kubelet's events do. */
export type ProbeKind = 'Liveness' | 'Readiness' | 'Startup';

/** ProbeTarget is what a probe runs against: the container's ports, environment and directory. */
export interface ProbeTarget {
  ports: Array<{ name?: string; containerPort: number }>;
  env: Record<string, string>;
  cwd: string;
  /** execArgv wraps an exec probe's command to run inside the container (its mount namespace); default as is. */
  execArgv?: (command: string[]) => string[];
}

/** ProbeResult is one probe's outcome and, on failure, kubelet's message for it. */
export interface ProbeResult {
  ok: boolean;
  output: string;
}

function resolvePort(port: number | string, target: ProbeTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return target.ports.find((p) => p.name === port)?.containerPort;
}

function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${host}:${port}: connect: connection refused`;
  if (err.code === 'ETIMEDOUT') return `dial tcp ${host}:${port}: i/o timeout`;
  return `dial tcp ${host}:${port}: ${err.message}`;
}

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (command.length === 0) return resolve({ ok: false, output: 'exec probe has no command' });
    let output = '';
    let timedOut = false;
    const argv = target.execArgv ? target.execArgv(command) : command;
    const child = spawn(argv[0], argv.slice(1), { env: target.env, cwd: target.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const add = (d: Buffer) => {
      if (output.length < 10_240) output += d.toString('utf8');
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `exec: "${command[0]}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'executable file not found in $PATH' : err.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ ok: false, output: `command "${command.join(' ')}" timed out` });
      resolve({ ok: code === 0, output: output.trim() });
    });
  });
}

function httpProbe(spec: NonNullable<ProbeSpec['httpGet']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(spec.port, target);
  const host = spec.host || '127.0.0.1';
  const scheme = (spec.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
  const pathPart = spec.path ? (spec.path.startsWith('/') ? spec.path : `/${spec.path}`) : '/';
  const url = `${scheme}://${host}:${port}${pathPart}`;
  if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port "${spec.port}"` });
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
    for (const h of spec.httpHeaders ?? []) headers[h.name] = h.value;
    const mod = scheme === 'https' ? https : http;
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    // kubelet does not verify a probe's certificate.
    const req = mod.request(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(code >= 200 && code < 400 ? { ok: true, output: '' } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => {
      req.destroy();
      done({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (err) => done({ ok: false, output: `Get "${url}": ${dialError(err as NodeJS.ErrnoException, host, port)}` }));
    req.end();
  });
}

function tcpProbe(spec: NonNullable<ProbeSpec['tcpSocket']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(spec.port, target);
  const host = spec.host || '127.0.0.1';
  if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port "${spec.port}"` });
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, output: '' });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, output: dialError(err as NodeJS.ErrnoException, host, port) });
    });
  });
}

/** runProbe runs a probe once. */
export function runProbe(spec: ProbeSpec, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, spec.timeoutSeconds ?? 1) * 1000;
  if (spec.exec) return execProbe(spec.exec.command ?? [], target, timeoutMs);
  if (spec.httpGet) return httpProbe(spec.httpGet, target, timeoutMs);
  if (spec.tcpSocket) return tcpProbe(spec.tcpSocket, target, timeoutMs);
  return Promise.resolve({ ok: false, output: spec.grpc ? 'grpc probes are not supported by the process provider' : 'the probe has no handler' });
}

/** ProberEvents is what a Prober reports: each failed attempt, and each change of its result. */
export interface ProberEvents {
  failed(kind: ProbeKind, output: string): void;
  /** changed is called when the result crosses a threshold: true after successThreshold successes, false after failureThreshold failures. */
  changed(kind: ProbeKind, ok: boolean): void;
}

/**
 * Prober runs one probe of one container run: first after initialDelaySeconds, then every
 * periodSeconds (a slow probe delays the next), counting consecutive results against the
 * thresholds (kube's defaults: period 10 s, timeout 1 s, success 1, failure 3).
 */
export class Prober {
  private timer?: TimerHandle;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;

  constructor(
    readonly kind: ProbeKind,
    private readonly spec: ProbeSpec,
    private readonly target: ProbeTarget,
    private readonly clock: Clock,
    private readonly events: ProberEvents,
    private readonly run: (spec: ProbeSpec, target: ProbeTarget) => Promise<ProbeResult> = runProbe,
  ) {}

  /** start schedules the first attempt. */
  start(): void {
    this.schedule(Math.max(0, this.spec.initialDelaySeconds ?? 0) * 1000);
  }

  /** stop ends the schedule; an attempt in flight is ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(() => void this.attempt(), ms);
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    let r: ProbeResult;
    try {
      r = await this.run(this.spec, this.target);
    } catch (err) {
      r = { ok: false, output: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    const successThreshold = Math.max(1, this.spec.successThreshold ?? 1);
    const failureThreshold = Math.max(1, this.spec.failureThreshold ?? 3);
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= successThreshold && this.result !== true) {
        this.result = true;
        this.events.changed(this.kind, true);
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.events.failed(this.kind, r.output);
      if (this.failures >= failureThreshold && this.result !== false) {
        this.result = false;
        this.events.changed(this.kind, false);
      }
    }
    // A startup probe stops once it succeeded; the others run for the container's life.
    if (this.kind === 'Startup' && this.result === true) return;
    this.schedule(Math.max(1, this.spec.periodSeconds ?? 10) * 1000);
  }
}
