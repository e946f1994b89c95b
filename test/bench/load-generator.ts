/**
 * load-generator: the HTTP load generator of the benchmarks, run in its own process. It keeps
 * `concurrency` keep-alive connections busy (or paces requests to `rate` per second) and prints
 * throughput and latency percentiles as JSON. `{i}` in path or body is replaced by a counter.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** LoadSpec is the JSON argument of the generator. */
export interface LoadSpec {
  url: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  concurrency: number;
  requests: number;
  /** requests per second across all connections; 0 or absent: as fast as possible */
  rate?: number;
  /** the counter in the path wraps at this value (to GET a fixed set of objects) */
  pathModulo?: number;
  /** requests sent first, one at a time on the same connections, and not counted */
  warmup?: number;
}

/** LoadResult is what the generator prints. */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** the body size of the last response */
  bytes: number;
  firstError?: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  const url = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let bytes = 0;
  let next = 0;
  const interval = spec.rate ? 1000 / spec.rate : 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const path = spec.path.replace('{i}', String(spec.pathModulo ? i % spec.pathModulo : i));
      const body = spec.body?.replace('{i}', String(i));
      const t = performance.now();
      const req = http.request(
        { host: url.hostname, port: url.port, method: spec.method, path, agent, headers: { ...spec.headers, ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) } },
        (res) => {
          let size = 0;
          res.on('data', (chunk: Buffer) => (size += chunk.length));
          res.on('end', () => {
            bytes = size;
            latencies.push(performance.now() - t);
            if ((res.statusCode ?? 500) >= 300) {
              errors++;
              firstError ??= `HTTP ${res.statusCode}`;
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        errors++;
        firstError ??= String(err);
        resolve();
      });
      if (body) req.write(body);
      req.end();
    });
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= spec.requests) return;
      if (interval) {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await one(i);
    }
  };
  for (let i = 0; i < (spec.warmup ?? 0); i++) await one(i);
  latencies.length = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  const result: LoadResult = { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: pct(50), p99: pct(99), bytes, firstError };
  process.stdout.write(JSON.stringify(result));
  agent.destroy();
}

void main();
