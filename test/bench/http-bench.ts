/**
 * HTTP benchmarks (issue: API machinery). The API server, each baseline and the load generator
 * run in separate processes; keep-alive, 32 concurrent clients. Figures are printed beside
 * baselines measured in the same run; nothing here asserts a timing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatFigure, podObject, type Figure } from './fixtures';
import type { LoadResult, LoadSpec } from './load-generator';

const execFileAsync = promisify(execFile);
const scale = Number(process.env.BENCH_SCALE ?? '1');
const TOKEN = 'bench-token';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const LIST_RUNS = { concurrency: 1, requests: 7, warmup: 3 };
const GET_ROUNDS = 3;

/** medianByRate is the round with the median throughput. */
function medianByRate(rounds: LoadResult[]): LoadResult {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
}

/** startServer runs a bench-server of kind in its own process and resolves once it listens. */
export async function startServer(kind: string, ...args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'bench-server.js'), kind, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** stop ends a server started by startServer. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await execFileAsync(process.execPath, [path.join(__dirname, 'load-generator.js'), JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout) as LoadResult;
  if (result.errors) throw new Error(`${spec.method} ${spec.path}: ${result.errors} errors, first: ${result.firstError}`);
  return result;
}

const podBody = (prefix: string) => {
  const pod = podObject('NAME', 'default');
  delete (pod as { status?: unknown }).status;
  const meta = pod.metadata as Record<string, unknown>;
  delete meta.uid;
  delete meta.creationTimestamp;
  delete meta.ownerReferences;
  return JSON.stringify(pod).replace('"NAME"', `"${prefix}-{i}"`);
};

/** runHttpBench runs every HTTP benchmark and prints its figures. */
export async function runHttpBench(): Promise<Figure[]> {
  const n = Math.max(500, Math.round(10_000 * scale));
  const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const figures: Figure[] = [];
  console.log('http (keep-alive, 32 concurrent clients, load generator in its own process)');

  const postServer = await startServer('sqlite-post');
  let basePost: LoadResult;
  try {
    await load({ url: postServer.url, method: 'POST', path: '/warmup', body: podBody('warm'), headers: auth, concurrency: 32, requests: 500 });
    basePost = await load({ url: postServer.url, method: 'POST', path: '/api/v1/namespaces/default/pods', body: podBody('pod'), headers: auth, concurrency: 32, requests: n / 2 });
  } finally {
    await stop(postServer.child);
  }

  const api = await startServer('nodeless');
  let listJson: LoadResult;
  let listTable: LoadResult;
  try {
    const pods = '/api/v1/namespaces/default/pods';
    await load({ url: api.url, method: 'POST', path: pods, body: podBody('warm'), headers: auth, concurrency: 32, requests: 500 });
    const creates = await load({ url: api.url, method: 'POST', path: pods, body: podBody('pod'), headers: auth, concurrency: 32, requests: n / 2 });
    // Fill up to 10,000 pods in the namespace for the list figures.
    await load({ url: api.url, method: 'POST', path: pods, body: podBody('fill'), headers: auth, concurrency: 32, requests: Math.max(0, 10_000 - 500 - n / 2) });
    const { gets, baseGet, paced, basePaced } = await measureGets(api.url, n, auth);
    // Lists: the median of 7 after 3 warm-up requests on the same connection (the first Table
    // list after a start decodes every pod, and a fresh client process reads its first large
    // bodies slowly), each beside a static body of the same size read the same way.
    listJson = await load({ url: api.url, method: 'GET', path: pods, headers: auth, ...LIST_RUNS });
    listTable = await load({ url: api.url, method: 'GET', path: pods, headers: { ...auth, Accept: TABLE }, ...LIST_RUNS });
    figures.push(
      { name: 'pod creates/s', value: creates.rps, unit: 'req/s', baselineName: '(b) express POST + JSON parse + SQLite insert', baseline: basePost.rps, better: 'higher', target: '>= 40% of (b)', met: creates.rps >= 0.4 * basePost.rps },
      { name: `single pod GETs/s (median of ${GET_ROUNDS} rounds)`, value: gets.rps, unit: 'req/s', baselineName: '(a) bare express, static body of a pod\'s size', baseline: baseGet.rps, better: 'higher', target: '>= 70% of (a)', met: gets.rps >= 0.7 * baseGet.rps },
      { name: 'single pod GET p50 at full load', value: gets.p50, unit: 'ms', baselineName: '(a)', baseline: baseGet.p50, better: 'lower' },
      { name: 'single pod GET p99 at full load', value: gets.p99, unit: 'ms', baselineName: '(a)', baseline: baseGet.p99, better: 'lower' },
      { name: `single pod GET p99 paced at 1,000 req/s, 4 connections (achieved ${paced.rps.toFixed(0)})`, value: paced.p99, unit: 'ms', baselineName: '(a) paced the same way', baseline: basePaced.p99, better: 'lower', target: '< 10 ms', met: paced.p99 < 10 },
      { name: 'create p50 / p99', value: creates.p50, unit: 'ms', baselineName: '(b) p50', baseline: basePost.p50, better: 'lower' },
    );
  } finally {
    await stop(api.child);
  }
  for (const [what, list] of [['JSON', listJson!], ['Table', listTable!]] as const) {
    const same = await startServer('static', String(list.bytes));
    try {
      const base = await load({ url: same.url, method: 'GET', path: '/', ...LIST_RUNS });
      const mb = (list.bytes / 1e6).toFixed(0);
      figures.push({ name: `list of 10,000 pods, ${what} (${mb} MB, median of 7)`, value: list.p50, unit: 'ms', baselineName: '(a) static body of the same size', baseline: base.p50, better: 'lower', target: '< 100 ms', met: list.p50 < 100 });
    } finally {
      await stop(same.child);
    }
  }
  for (const f of figures) console.log(formatFigure(f));
  return figures;
}

/**
 * measureGets measures single pod GETs against the API server and baseline (a), which answers
 * a static body the size of one pod as the API server serves it. GETs run in rounds that
 * alternate between the two servers, so a slow spell of the machine falls on both; the round of
 * median throughput is reported for each.
 */
async function measureGets(apiUrl: string, n: number, auth: Record<string, string>) {
  const pods = '/api/v1/namespaces/default/pods';
  const onePod = await load({ url: apiUrl, method: 'GET', path: `${pods}/pod-0`, headers: auth, concurrency: 1, requests: 1 });
  const staticServer = await startServer('static', String(onePod.bytes));
  try {
    await load({ url: staticServer.url, method: 'GET', path: '/warmup', concurrency: 32, requests: 2000 });
    const getRounds: LoadResult[] = [];
    const baseRounds: LoadResult[] = [];
    for (let round = 0; round < GET_ROUNDS; round++) {
      baseRounds.push(await load({ url: staticServer.url, method: 'GET', path: `${pods}/pod-{i}`, concurrency: 32, requests: 2 * n }));
      getRounds.push(await load({ url: apiUrl, method: 'GET', path: `${pods}/pod-{i}`, pathModulo: n / 2, headers: auth, concurrency: 32, requests: 2 * n }));
    }
    // Latency at a fixed 1,000 req/s, over 4 connections: with 32 the generator's own timers
    // dominate the tail (the static baseline shows the same), which is not the server's latency.
    const pacedRequests = Math.round(5000 * Math.min(1, scale * 2));
    const basePaced = await load({ url: staticServer.url, method: 'GET', path: `${pods}/pod-{i}`, concurrency: 4, requests: pacedRequests, rate: 1000 });
    const paced = await load({ url: apiUrl, method: 'GET', path: `${pods}/pod-{i}`, pathModulo: n / 2, headers: auth, concurrency: 4, requests: pacedRequests, rate: 1000 });
    return { gets: medianByRate(getRounds), baseGet: medianByRate(baseRounds), paced, basePaced };
  } finally {
    await stop(staticServer.child);
  }
}
