/**
 * Hostile input: what a client can send to crash the server, exhaust its memory or store what
 * kube-apiserver would refuse. Every case answers a 4xx Status as kube-apiserver does; the
 * server keeps answering and keeps its data. The last part throws a generated corpus of
 * malformed requests (fixed seed) at it while a second client checks /healthz stays responsive.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createNodeless, type Nodeless } from '../../server/server';
import { DecodedObjectCache } from '../../store/object-cache';
import { loadOrCreateCertificates } from '../../server/auth/tls';
import { restrictDataDir } from '../../server/kubeconfig';
import { warningHeaders } from '../../server/http/respond';
import { MAX_NESTING_DEPTH } from '../../server/http/body-limits';
import { seededRandom } from '../../controllers/instances/clock';
import forge from 'node-forge';

let nodeless: Nodeless;
let server: http.Server;
let port: number;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

beforeAll(async () => {
  nodeless = await createNodeless({ databasePath: ':memory:', scheduler: false });
  server = await nodeless.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
  await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { k: 'v' } }));
});
afterAll(async () => {
  agent.destroy();
  await nodeless.close();
});

const CM = '/api/v1/namespaces/default/configmaps';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: http.IncomingHttpHeaders;
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

function call(method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method, path: urlPath, agent, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: left empty
        }
        resolve({ status: res.statusCode!, body: parsed, text, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectStatus(res: Answer, code: number, reason?: string): void {
  expect({ code: res.status, kind: res.body.kind }).toEqual({ code, kind: 'Status' });
  expect(res.body.code).toBe(code);
  if (reason) expect(res.body.reason).toBe(reason);
}

async function expectAlive(): Promise<void> {
  const res = await call('GET', `${CM}/keep`);
  expect(res.status).toBe(200);
  expect((res.body.data as Record<string, string>).k).toBe('v');
}

const nestedJson = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('crashes: nesting and amplification are refused before any recursive work', () => {
  it('should answer 400 to YAML nested 5,000 deep, every time, and keep serving', async () => {
    const flow = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  k: ' + '['.repeat(5000) + ']'.repeat(5000);
    const dashes = '- '.repeat(5000) + 'x\n';
    for (let i = 0; i < 3; i++) {
      for (const body of [flow, dashes]) {
        const res = await call('POST', CM, body, { 'Content-Type': 'application/yaml' });
        expectStatus(res, 400, 'BadRequest');
        // kube's decoder wraps what the YAML conversion says in "the object provided is unrecognized".
        expect(res.body.message).toContain(`: error converting YAML to JSON: yaml: exceeded max depth of ${MAX_NESTING_DEPTH} (`);
      }
    }
    await expectAlive();
  });

  it('should answer 400 to JSON nested past the limit in data, labels, merge and strategic patches', async () => {
    const inData = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"k":${nestedJson(2000)}}}`;
    const inLabels = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","labels":{"k":${nestedJson(2000)}}}}`;
    for (const body of [inData, inLabels]) {
      const res = await call('POST', CM, body);
      expectStatus(res, 400, 'BadRequest');
      expect(res.body.message).toBe('the request body could not be decoded: exceeded max depth');
    }
    for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json']) {
      const res = await call('PATCH', `${CM}/keep`, `{"data":${nestedJson(5000)}}`, { 'Content-Type': type });
      expectStatus(res, 400, 'BadRequest');
    }
    await expectAlive();
  });

  it('should answer 4xx, not 500, to nesting just inside the limit', async () => {
    const inData = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"k":${nestedJson(990)}}}`;
    expectStatus(await call('POST', CM, inData), 400, 'BadRequest');
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  k: ' + '['.repeat(990) + ']'.repeat(990);
    expectStatus(await call('POST', CM, yaml, { 'Content-Type': 'application/yaml' }), 400, 'BadRequest');
    for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      expectStatus(await call('PATCH', `${CM}/keep`, `{"data":${nestedJson(990)}}`, { 'Content-Type': type }), 400, 'BadRequest');
    }
    await expectAlive();
  });

  it('should bound JSON patch copies as kube-apiserver (3 MiB) and refuse 10,000 copies of a 1 MiB value', async () => {
    const res = await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mib' }, data: { x: 'a'.repeat(1000 * 1024) } }));
    expect(res.status).toBe(201);
    const ops = Array.from({ length: 10_000 }, (_, i) => ({ op: 'copy', from: '/data/x', path: `/data/c${i}` }));
    const patch = await call('PATCH', `${CM}/mib`, json(ops), { 'Content-Type': 'application/json-patch+json' });
    expectStatus(patch, 422, 'Invalid');
    // A few hundred bytes of self-doubling copies: also stopped by the copy budget.
    const doubling = Array.from({ length: 100 }, (_, i) => ({ op: 'copy', from: '/data', path: `/data/d${i}` }));
    expectStatus(await call('PATCH', `${CM}/keep`, json([{ op: 'add', path: '/data/big', value: 'b'.repeat(50_000) }, ...doubling]), { 'Content-Type': 'application/json-patch+json' }), 422, 'Invalid');
    expectStatus(await call('PATCH', `${CM}/keep`, json(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/k', value: 'v' }))), { 'Content-Type': 'application/json-patch+json' }), 413, 'RequestEntityTooLarge');
    await call('DELETE', `${CM}/mib`);
    await expectAlive();
  });

  it('should not let YAML aliases expand past the body limit', async () => {
    const big = 'x'.repeat(100_000);
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: alias', `  annotations: &a {k: "${big}"}`, 'data:'];
    for (let i = 0; i < 90; i++) lines.push(`  k${i}: *a`);
    const res = await call('POST', CM, lines.join('\n') + '\n', { 'Content-Type': 'application/yaml' });
    expectStatus(res, 400, 'BadRequest');
    expect(res.body.message).toContain(': error converting YAML to JSON: document contains excessive aliasing (');
  });
});

describe('object size limits as kube-apiserver and etcd', () => {
  it('should refuse ConfigMap data over 1 MiB with 422 and kube\'s message', async () => {
    for (const size of [1_200_000, 3_000_000]) {
      const res = await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(size) } }));
      expectStatus(res, 422, 'Invalid');
      expect(res.body.message).toBe('ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes');
      expect((res.body.details as { causes: unknown[] }).causes).toEqual([{ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1048576 bytes', field: '[]' }]);
    }
    const binary = await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(600_000) }, binaryData: { y: Buffer.alloc(600_000).toString('base64') } }));
    expectStatus(binary, 422, 'Invalid');
  });

  it('should refuse Secret data over 1 MiB with 422 on data', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/secrets', json({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big' }, data: { x: Buffer.alloc(2_000_000).toString('base64') } }));
    expectStatus(res, 422, 'Invalid');
    expect(res.body.message).toBe('Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes');
  });

  it('should refuse an object over etcd\'s 1.5 MiB with 413 "etcdserver: request is too large", also for dry runs of data', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wide', annotations: { a: 'x'.repeat(250_000) } }, data: { x: Buffer.alloc(1_000_000).toString('base64') } };
    const res = await call('POST', '/api/v1/namespaces/default/secrets', json(secret));
    expectStatus(res, 413, 'RequestEntityTooLarge');
    expect(res.body.message).toBe('etcdserver: request is too large');
    // Grown past the limit by a patch: refused before it is stored, the stored object kept.
    const SECRETS = '/api/v1/namespaces/default/secrets';
    const ok = await call('POST', SECRETS, json({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grow' }, data: { x: Buffer.alloc(1_000_000).toString('base64') } }));
    expect(ok.status).toBe(201);
    const grow = await call('PATCH', `${SECRETS}/grow`, json({ metadata: { annotations: { a: 'y'.repeat(250_000) } } }), { 'Content-Type': 'application/merge-patch+json' });
    expectStatus(grow, 413, 'RequestEntityTooLarge');
    const dry = await call('POST', `${CM}?dryRun=All`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { x: 'a'.repeat(1_100_000) } }));
    expectStatus(dry, 422, 'Invalid');
    const kept = await call('GET', `${SECRETS}/grow`);
    expect(kept.body.metadata).not.toHaveProperty('annotations');
    expect(Buffer.from((kept.body.data as Record<string, string>).x, 'base64').length).toBe(1_000_000);
  });

  it('should accept data of exactly 1 MiB', async () => {
    const res = await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'exact' }, data: { x: 'a'.repeat(1024 * 1024) } }));
    expect(res.status).toBe(201);
  });
});

describe('numbers kube-apiserver refuses or keeps exactly', () => {
  const body = (n: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"num","annotations":{}},"data":{},"extra":${n}}`;

  it('should refuse 1e400 instead of storing null', async () => {
    const res = await call('POST', CM, body('1e400'));
    expectStatus(res, 400, 'BadRequest');
    expect(res.body.message).toBe('the request body could not be decoded: strconv.ParseFloat: parsing "1e400": value out of range');
    const yaml = await call('POST', CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: num\n  generation: 1e400\n', { 'Content-Type': 'application/yaml' });
    expectStatus(yaml, 400, 'BadRequest');
  });

  it('should refuse integers a JS number would round (2^53 < |n| < 2^63)', async () => {
    for (const n of ['9007199254740993', '-9223372036854775807']) {
      const res = await call('POST', CM, body(n));
      expectStatus(res, 400, 'BadRequest');
      expect(res.body.message).toContain(`the integer ${n} cannot be kept exactly`);
    }
    const yaml = await call('POST', CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: num\n  generation: 9007199254740993\n', { 'Content-Type': 'application/yaml' });
    expectStatus(yaml, 400, 'BadRequest');
  });

  it('should keep safe integers and ordinary floats', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/pods?dryRun=All', json({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }], terminationGracePeriodSeconds: 9007199254740991 },
    }));
    expect(res.status).toBe(201);
    expect((res.body.spec as Record<string, number>).terminationGracePeriodSeconds).toBe(9007199254740991);
  });
});

describe('the smaller holes', () => {
  it('should answer 400 to list and watch in a namespace that cannot be stored', async () => {
    for (const ns of ['a%20b', '%00']) {
      expectStatus(await call('GET', `/api/v1/namespaces/${ns}/configmaps`), 400, 'BadRequest');
      expectStatus(await call('GET', `/api/v1/namespaces/${ns}/configmaps?watch=1`), 400, 'BadRequest');
      expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/x`)).status).toBe(404);
    }
  });

  it('should answer 413 to an oversized chunked body and close that connection, not hang it', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let received = '';
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(`POST ${CM} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let sent = 0; sent < 4 * 1024 * 1024 && !socket.destroyed; sent += chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n');
      await new Promise((r) => setImmediate(r));
    }
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`connection left open; got ${received.slice(0, 200)}`)), 10_000))]);
    expect(received.startsWith('HTTP/1.1 413')).toBe(true);
    expect(received).toContain('"reason":"RequestEntityTooLarge"');
    await expectAlive();
  });

  it('should read a body sent in 1-byte chunks', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const body = json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trickle' }, data: { k: 'v'.repeat(2000) } });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.setNoDelay(true);
    socket.write(`POST ${CM} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    for (let i = 0; i < body.length; i++) {
      socket.write(body[i]);
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => socket.once('close', r));
    expect(received.startsWith('HTTP/1.1 201')).toBe(true);
  });

  it('should truncate duplicate-key warnings as kube-apiserver (4 Ki runes, 256 per warning)', async () => {
    const data = Array.from({ length: 3000 }, (_, i) => `"k${i}":"1","k${i}":"2"`).join(',');
    const res = await call('POST', CM, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{${data}}}`);
    expect(res.status).toBe(201);
    const warning = String(res.headers.warning ?? '');
    expect(warning.length).toBeGreaterThan(0);
    expect(warning.length).toBeLessThanOrEqual(4 * 1024 + 3000 * 2);
    const long = warningHeaders(Array.from({ length: 40 }, (_, i) => `${i}:` + 'w'.repeat(1000)));
    expect(long.Warning.split(', 299').every((w) => w.length <= 256 + 20)).toBe(true);
    expect(warningHeaders(['a', 'a', 'b']).Warning).toBe('299 - "a", 299 - "b"');
  });

  it('should keep a watch with timeoutSeconds=999999999 open', async () => {
    const events: string[] = [];
    const req = http.get({ port, host: '127.0.0.1', path: `${CM}?watch=1&timeoutSeconds=999999999&fieldSelector=metadata.name%3Dwatched` });
    const response = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
    expect(response.statusCode).toBe(200);
    let ended = false;
    response.on('data', (d: Buffer) => events.push(d.toString()));
    response.on('end', () => (ended = true));
    await new Promise((r) => setTimeout(r, 100));
    await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' } }));
    const deadline = Date.now() + 5000;
    while (!events.join('').includes('"ADDED"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ended).toBe(false);
    expect(events.join('')).toContain('"ADDED"');
    req.destroy();
  });

  it('should answer 431 with a Status body, and 400 to a request that does not parse', async () => {
    const res = await call('GET', '/api/v1/namespaces', undefined, { 'X-Big': 'a'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 431 });
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.write('GARBAGE / HTTP/1.1\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    expect(received.startsWith('HTTP/1.1 400')).toBe(true);
    expect(received).toContain('"kind":"Status"');
  });

  it('should bound the decoded-object cache by bytes', () => {
    const cache = new DecodedObjectCache(20_000, 8 * 1024 * 1024);
    const value = JSON.stringify({ data: { x: 'a'.repeat(1000 * 1024) } });
    for (let revision = 1; revision <= 100; revision++) cache.decode({ revision, value });
    expect(cache.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(cache.size).toBeLessThanOrEqual(4);
  });
});

describe('the data directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-hostile-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should make an existing data dir private: 0700, files 0600', () => {
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'state.db'), 'x', { mode: 0o644 });
    restrictDataDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'state.db')).mode & 0o777).toBe(0o600);
  });

  it('should keep the CA when the addresses change and re-issue only the serving certificate', () => {
    const first = loadOrCreateCertificates(dir, ['127.0.0.1', 'localhost']);
    const second = loadOrCreateCertificates(dir, ['127.0.0.1', 'localhost', '10.1.2.3']);
    expect(second.caCert).toBe(first.caCert);
    expect(second.cert).not.toBe(first.cert);
    const ca = forge.pki.certificateFromPem(second.caCert);
    expect(ca.verify(forge.pki.certificateFromPem(second.cert))).toBe(true);
    const again = loadOrCreateCertificates(dir, ['127.0.0.1', 'localhost', '10.1.2.3']);
    expect(again.cert).toBe(second.cert);
    expect(fs.statSync(path.join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
  });
});

describe('writes without a precondition retry conflicts inside the server', () => {
  it('should apply 200 concurrent merge patches and applies to one object, each change present', async () => {
    await call('POST', CM, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'contended' }, data: {} }));
    const writes = Array.from({ length: 200 }, (_, i) =>
      i % 2
        ? call('PATCH', `${CM}/contended`, json({ data: { [`m${i}`]: String(i) } }), { 'Content-Type': 'application/merge-patch+json' })
        : call('PATCH', `${CM}/contended?fieldManager=m${i}`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'contended' }, data: { [`a${i}`]: String(i) } }), { 'Content-Type': 'application/apply-patch+yaml' }),
    );
    const answers = await Promise.all(writes);
    expect(answers.filter((a) => a.status !== 200).map((a) => a.text)).toEqual([]);
    const final = await call('GET', `${CM}/contended`);
    const data = final.body.data as Record<string, string>;
    for (let i = 0; i < 200; i++) expect(data[i % 2 ? `m${i}` : `a${i}`]).toBe(String(i));
  });
});

// ---- generated corpus ----------------------------------------------------------------------


const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
  '',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const TARGETS = [
  CM,
  `${CM}/keep`,
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/default/pods/p0',
  '/api/v1/namespaces/default/pods/p0/status',
  '/apis/apps/v1/namespaces/default/deployments',
  '/apis/apps/v1/namespaces/default/deployments/d0/scale',
  '/api/v1/namespaces',
  '/api/v1/namespaces/default',
  '/api/v1/namespaces/default/secrets?fieldSelector=%ZZ',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles',
];

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 6 || r < 0.3) {
    const scalars = [null, true, false, 0, -1, 1.5, 1e308, '', 'x', '\u0000', '\ud800', 'a'.repeat(Math.floor(rand() * 300)), '9007199254740993'];
    return scalars[Math.floor(rand() * scalars.length)];
  }
  if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const keys = ['apiVersion', 'kind', 'metadata', 'name', 'namespace', 'labels', 'annotations', 'spec', 'status', 'data', 'op', 'path', 'value', 'from', '$patch', '$retainKeys', 'containers', 'replicas', 'resourceVersion', 'managedFields', 'finalizers', 'ownerReferences'];
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) out[keys[Math.floor(rand() * keys.length)]] = randomValue(rand, depth + 1);
  return out;
}

function randomBody(rand: () => number): Buffer {
  const kind = Math.floor(rand() * 8);
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${Math.floor(rand() * 50)}` } };
  switch (kind) {
    case 0: // random bytes
      return Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
    case 1: // random structure
      return Buffer.from(JSON.stringify(randomValue(rand, 0)));
    case 2: // a plausible object with one random part
      return Buffer.from(JSON.stringify({ ...base, [['data', 'metadata', 'spec', 'status'][Math.floor(rand() * 4)]]: randomValue(rand, 1) }));
    case 3: {
      // truncated or corrupted JSON
      const text = Buffer.from(JSON.stringify({ ...base, data: { k: 'v' } }));
      const cut = text.subarray(0, Math.floor(rand() * text.length));
      if (cut.length) cut[Math.floor(rand() * cut.length)] = Math.floor(rand() * 256);
      return Buffer.from(cut);
    }
    case 4: // deep nesting around the limit
      return Buffer.from('['.repeat(900 + Math.floor(rand() * 300)) + ']'.repeat(900 + Math.floor(rand() * 300)));
    case 5: // random JSON patch operations
      return Buffer.from(JSON.stringify(Array.from({ length: Math.floor(rand() * 6) }, () => ({ op: ['add', 'remove', 'replace', 'move', 'copy', 'test', 'x'][Math.floor(rand() * 7)], path: ['/data/k', '/metadata', '', '/spec/containers/-', '/x/~2', '/data/~1a'][Math.floor(rand() * 6)], from: '/metadata', value: randomValue(rand, 3) }))));
    case 6: // YAML with odd constructs
      return Buffer.from(['a: &x [1, *x]', '!!binary "x"', '? [a]\n: b', 'k: !!int 99999999999999999999', '--- \n--- \n', 'a: *undefined', 'x: {a: [', `${'- '.repeat(Math.floor(rand() * 1500))}x`][Math.floor(rand() * 8)]);
    default: // protobuf-looking bytes
      return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), Buffer.from(Array.from({ length: Math.floor(rand() * 100) }, () => Math.floor(rand() * 256)))]);
  }
}

/**
 * startChildServer runs the built server in a child process of its own on a free port, so that
 * the latency a concurrent client sees is the server's, not the pauses of the test runner's
 * own heap (which holds every suite the jest worker has run before this one).
 */
async function startChildServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const dist = path.join(__dirname, '../../dist/server/server.js');
  if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
  const script = `
    const { createNodeless } = require(${JSON.stringify(dist)});
    (async () => {
      const n = await createNodeless({ databasePath: ':memory:', scheduler: false });
      const srv = await n.listen(0, '127.0.0.1');
      process.stdout.write('port ' + srv.address().port + '\\n');
      process.stdin.on('end', () => n.close().then(() => process.exit(0)));
      process.stdin.resume();
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
  `;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const childPort = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${err}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}: ${err}`));
    });
  });
  return {
    port: childPort,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('a generated corpus of malformed requests', () => {
  let child: { port: number; stop(): Promise<void> };
  let inProcessPort: number;
  beforeAll(async () => {
    child = await startChildServer();
    inProcessPort = port;
    port = child.port;
  });
  afterAll(async () => {
    port = inProcessPort;
    await child.stop();
  });

  it('should answer 5,000 malformed requests (twice) without a 5xx, keep /healthz answering and the data intact', async () => {
    const SENTINEL = '/api/v1/namespaces/kube-system/configmaps/sentinel';
    expect((await call('POST', '/api/v1/namespaces/kube-system/configmaps', json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sentinel' }, data: { k: 'v' } }))).status).toBe(201);
    // A seeded generator, so every run sends the same corpus.
    const rand = seededRandom(20240611);
    const requests: Array<{ method: string; path: string; type: string; body: Buffer }> = [];
    for (let i = 0; i < 5000; i++) {
      const method = METHODS[Math.floor(rand() * METHODS.length)];
      requests.push({ method, path: TARGETS[Math.floor(rand() * TARGETS.length)], type: CONTENT_TYPES[Math.floor(rand() * CONTENT_TYPES.length)], body: method === 'GET' ? Buffer.alloc(0) : randomBody(rand) });
    }
    const failures: string[] = [];
    const run = async () => {
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const r = requests[next++];
          const res = await call(r.method, r.path, r.body, r.type ? { 'Content-Type': r.type } : {});
          if (res.status >= 500 || (res.status >= 400 && res.body.kind !== 'Status')) failures.push(`${r.method} ${r.path} ${r.type} -> ${res.status} ${res.text.slice(0, 200)}`);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
    };
    // A first pass warms the fresh server up; /healthz is probed through the second.
    await run();
    const healthAnswers: number[] = [];
    let probing = true;
    const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const prober = (async () => {
      while (probing) {
        await new Promise<void>((resolve, reject) => {
          http.get({ port, host: '127.0.0.1', path: '/healthz', agent: healthAgent }, (res) => {
            healthAnswers.push(res.statusCode ?? 0);
            res.resume();
            res.on('end', () => resolve());
          }).on('error', reject);
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await run();
    probing = false;
    await prober;
    healthAgent.destroy();
    expect(failures).toEqual([]);
    // /healthz kept answering between the hostile requests (how fast is the freeze bench's business).
    expect(healthAnswers.length).toBeGreaterThan(0);
    expect(healthAnswers.every((code) => code === 200)).toBe(true);
    const sentinel = await call('GET', SENTINEL);
    expect(sentinel.status).toBe(200);
    expect(sentinel.body.data).toEqual({ k: 'v' });
  });
});

describe('memory stays bounded by bytes', () => {
  it('should keep the heap bounded through 300 PUTs and lists of a 1,000 KiB ConfigMap (child process with --expose-gc)', async () => {
    const dist = path.join(__dirname, '../../dist/server/server.js');
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
    // The child writes through the real HTTP front, forces GC and prints heap figures in MB.
    const script = `
      const { createNodeless } = require(${JSON.stringify(dist)});
      const http = require('http');
      const agent = new http.Agent({ keepAlive: true });
      const call = (port, method, p, body) => new Promise((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method, path: p, agent, headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
        req.on('error', reject); req.end(body);
      });
      const heap = () => { global.gc(); global.gc(); const m = process.memoryUsage(); return { heap: m.heapUsed / 1048576, external: m.external / 1048576 }; };
      (async () => {
        const n = await createNodeless({ databasePath: ':memory:', scheduler: false });
        const srv = await n.listen(0, '127.0.0.1');
        const port = srv.address().port;
        const cm = '/api/v1/namespaces/default/configmaps';
        const before = heap();
        for (let i = 0; i < 300; i++) {
          const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' + (i % 100) }, data: { x: String(i % 10).repeat(1000 * 1024) } });
          const code = await call(port, i < 100 ? 'POST' : 'PUT', i < 100 ? cm : cm + '/c' + (i % 100), body);
          if (code >= 300) throw new Error('write answered ' + code);
          if (i % 50 === 49) await call(port, 'GET', cm + '?labelSelector=a%21%3Db');
        }
        const after = heap();
        process.stdout.write(JSON.stringify({ before, after }) + '\\n');
        agent.destroy();
        await n.close();
      })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
    `;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--expose-gc', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, err: err.slice(0, 500) }).toEqual({ code: 0, err: '' });
    const { before, after } = JSON.parse(out) as { before: { heap: number; external: number }; after: { heap: number; external: number } };
    // 100 live objects of 1 MiB are ~100 MB of stored data; the caches hold at most 64 MiB
    // (decoded, estimated) and 64 MiB (values, outside the heap) of it.
    expect(after.heap - before.heap).toBeLessThan(160);
    expect(after.external - before.external).toBeLessThan(120);
  });
});
