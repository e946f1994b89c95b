/**
 * bench-server: the servers the HTTP benchmark measures, each in its own process so the load
 * generator never shares a core with them. Kinds: `nodeless` (the real API server, plain HTTP,
 * token auth, SQLite file store), `static [bytes]` (baseline a: bare express, one catch-all
 * handler, a static body: one pod, padded to that many bytes, or a list of pods of about that
 * many bytes) and `sqlite-post` (baseline b: express POST, JSON body parsed, one SQLite insert
 * with one commit). Prints the port on stdout, serves until killed; SIGUSR2 runs a full garbage
 * collection.
 */
import Database from 'better-sqlite3';
import express from 'express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNodeless } from '../../server/server';
import { podObject } from './fixtures';

// staticBody is one pod, padded to size bytes when that is more, or for sizes of many pods a
// list of about that size.
function staticBody(size: number): string {
  const pod = podObject('static-pod');
  const json = JSON.stringify(pod);
  if (size > 2 * json.length) return `{"kind":"PodList","items":[${Array(Math.round(size / (json.length + 1))).fill(json).join(',')}]}`;
  const pad = size - JSON.stringify({ ...pod, padding: '' }).length;
  return pad > 0 ? JSON.stringify({ ...pod, padding: 'x'.repeat(pad) }) : json;
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-bench-http-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  process.on('SIGTERM', () => process.exit(0));
  // The soak asks for a full collection (the server runs with --expose-gc) to read the heap that is really held.
  process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
  let listen: (port: number) => Promise<number>;
  if (kind === 'nodeless') {
    const nodeless = await createNodeless({ databasePath: path.join(dir, 'state.db'), tokens: ['bench-token'], processMetrics: true, scheduler: false });
    listen = async (port) => {
      const server = await nodeless.listen(port, '127.0.0.1');
      return (server.address() as { port: number }).port;
    };
  } else if (kind === 'static') {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    const body = Buffer.from(staticBody(Number(process.argv[3] ?? 0)));
    app.use((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
    listen = (port) => new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r((s.address() as { port: number }).port)); });
  } else if (kind === 'sqlite-post') {
    const db = new Database(path.join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(express.json({ limit: '3mb' }));
    app.post(/.*/, (req, res) => {
      const obj = req.body as { metadata?: { name?: string } };
      const value = JSON.stringify(obj);
      insert.run(obj.metadata?.name ?? '', value);
      res.status(201).type('application/json').send(value);
    });
    listen = (port) => new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r((s.address() as { port: number }).port)); });
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  const port = await listen(0);
  process.stdout.write(`${port}\n`);
}

main().catch((err) => {
  process.stderr.write(String(err) + '\n');
  process.exit(1);
});
