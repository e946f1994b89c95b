/**
 * /healthz, /livez and /readyz as kube-apiserver's healthz package serves them: each endpoint
 * runs its checks; `ok` when all pass (with `?verbose` one `[+]name ok` line per check and
 * `<endpoint> check passed`), and on any failure a 500 listing `[-]name failed: reason withheld`
 * and ending `<endpoint> check failed`. `/<endpoint>/<check>` runs one check. `?exclude=<check>`
 * skips a check. The storage checks carry kube's names (etcd, etcd-readiness) because clients and
 * probes look for those names; here they report the SQLite store.
 */
import type { ServerResponse } from 'node:http';
import type { StoreHealth } from '../../store';

/** HealthCheck is one named check; check answers the reason it fails, or undefined when it passes. */
export interface HealthCheck {
  name: string;
  check(): string | undefined;
}

/** HealthEndpoint is one of the three health paths. */
export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';

/** healthChecks lists each endpoint's checks in kube-apiserver's order, over the store's health. */
export function healthChecks(storage: () => StoreHealth): Record<HealthEndpoint, HealthCheck[]> {
  const ok = () => undefined;
  const ping: HealthCheck = { name: 'ping', check: ok };
  const log: HealthCheck = { name: 'log', check: ok };
  const etcd: HealthCheck = {
    name: 'etcd',
    check: () => {
      const h = storage();
      return h.ok ? undefined : h.reason ?? 'storage refuses writes';
    },
  };
  const etcdReadiness: HealthCheck = { name: 'etcd-readiness', check: etcd.check };
  return {
    healthz: [ping, log, etcd],
    livez: [ping, log, etcd],
    readyz: [ping, log, etcd, etcdReadiness, { name: 'informer-sync', check: ok }, { name: 'shutdown', check: ok }],
  };
}

// HEALTH_PATH matches /healthz, /livez, /readyz and one check under them.
const HEALTH_PATH = /^\/(healthz|livez|readyz)(?:\/([a-z0-9-]+))?\/?$/;

/**
 * serveHealth answers a health path and returns true; it returns false for any other path, and
 * for a check name the endpoint does not have (a 404 like any unserved path).
 */
export function serveHealth(path: string, rawQuery: string, res: ServerResponse, checks: Record<HealthEndpoint, HealthCheck[]>): boolean {
  const m = HEALTH_PATH.exec(path);
  if (!m) return false;
  const endpoint = m[1] as HealthEndpoint;
  const list = checks[endpoint];
  if (m[2] !== undefined) {
    const one = list.find((c) => c.name === m[2]);
    if (!one) return false;
    const failed = one.check();
    if (failed === undefined) plain(res, 200, 'ok');
    else plain(res, 500, `internal server error: ${failed}\n`);
    return true;
  }
  const query = new URLSearchParams(rawQuery);
  const excluded = new Set(query.getAll('exclude'));
  let lines = '';
  let failed = false;
  for (const c of list) {
    if (excluded.delete(c.name)) {
      lines += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    // The reason stays out of the answer, which anyone may read; the check's own path gives it.
    if (c.check() === undefined) lines += `[+]${c.name} ok\n`;
    else {
      lines += `[-]${c.name} failed: reason withheld\n`;
      failed = true;
    }
  }
  if (excluded.size) lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((n) => `"${n}"`).join(',')}\n`;
  if (failed) plain(res, 500, `${lines}${endpoint} check failed\n`);
  else if (query.has('verbose')) plain(res, 200, `${lines}${endpoint} check passed\n`);
  else plain(res, 200, 'ok');
  return true;
}

function plain(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
