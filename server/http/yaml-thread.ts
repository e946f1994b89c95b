/**
 * A worker thread that decodes large YAML bodies (decodeYamlText), so that the yaml package's
 * slow parse of a big document (over a second for 650 KB) runs beside the event loop rather than
 * on it. The worker answers the decoded value as JSON text, which the event loop reads back with
 * JSON.parse in a few milliseconds (structured cloning the value costs several times more).
 *
 * One worker is started on first use and kept (unreferenced, so it never keeps the process
 * alive); requests queue on it in order. Its heap is bounded: a body that exhausts it, or any
 * other death of the worker, fails the requests it held with a 400-worded YamlDecodeError and
 * the next request starts a fresh worker.
 */
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type DecodedYaml, YamlDecodeError, decodeYamlText } from './yaml-decode';

/** OFF_THREAD_YAML_BYTES is the body size from which YAML is decoded in the worker (~30 ms of parsing on the loop). */
export const OFF_THREAD_YAML_BYTES = 16 * 1024;

// WORKER_HEAP_MB bounds the worker's heap: a 3 MiB document of short keys needs a few hundred MB
// of syntax tree while it is parsed.
const WORKER_HEAP_MB = 1024;

const ROLE = 'nodeless-yaml-decoder';

interface Answer {
  id: number;
  json?: string;
  duplicateFields?: string[];
  error?: string;
}

interface Pending {
  resolve: (decoded: DecodedYaml) => void;
  reject: (err: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

/** decodeYamlOffThread is decodeYamlText(text), computed in the worker thread. */
export function decodeYamlOffThread(text: string): Promise<DecodedYaml> {
  const w = (worker ??= startWorker());
  const id = nextId++;
  return new Promise<DecodedYaml>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, text });
  });
}

/**
 * stopYamlThread ends the worker (a server's close() calls it, so no thread outlives the server
 * that used it); the next large body starts a new one.
 */
export async function stopYamlThread(): Promise<void> {
  const w = worker;
  if (!w) return;
  abandon(w);
  await w.terminate();
}

function startWorker(): Worker {
  const options = { workerData: { role: ROLE, entry: __filename }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  // Compiled, the worker runs this file; from TypeScript source (the tests run under ts-jest),
  // a small boot script first teaches require to transpile .ts files.
  const w = __filename.endsWith('.ts') ? new Worker(TS_BOOT, { ...options, eval: true }) : new Worker(__filename, options);
  w.unref();
  w.on('message', (answer: Answer) => settle(answer));
  w.on('error', () => abandon(w));
  w.on('exit', () => abandon(w));
  return w;
}

function settle({ id, json, duplicateFields, error }: Answer): void {
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  if (error !== undefined) p.reject(new YamlDecodeError(error));
  else p.resolve({ value: JSON.parse(json!), duplicateFields: duplicateFields! });
}

// abandon forgets a worker that died and fails what it held.
function abandon(w: Worker): void {
  if (worker !== w) return;
  worker = undefined;
  const held = [...pending.values()];
  pending.clear();
  for (const p of held) p.reject(new YamlDecodeError('error converting YAML to JSON: the document could not be decoded within the memory allowed for it'));
}

const TS_BOOT = `
const fs = require('node:fs');
const ts = require(require.resolve('typescript', { paths: [${JSON.stringify(path.dirname(__filename))}] }));
require.extensions['.ts'] = (module, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  module._compile(out.outputText, file);
};
require(require('node:worker_threads').workerData.entry);
`;

// serve answers the main thread's requests, in the worker.
function serve(): void {
  parentPort!.on('message', ({ id, text }: { id: number; text: string }) => {
    let answer: Answer;
    try {
      const { value, duplicateFields } = decodeYamlText(text);
      answer = { id, json: JSON.stringify(value), duplicateFields };
    } catch (err) {
      answer = { id, error: err instanceof YamlDecodeError ? err.message : `error converting YAML to JSON: ${String((err as Error).message).split('\n')[0]}` };
    }
    parentPort!.postMessage(answer);
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) serve();
