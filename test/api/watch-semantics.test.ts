/**
 * Watch over HTTP: initial events, sendInitialEvents with its bookmark, 410 Expired as an ERROR
 * event, timeoutSeconds, Table events, and bookmarks when asked for.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let base: string;
let server: http.Server;
beforeAll(async () => {
  t = await startTestServer({ bookmarkIntervalMs: 50 });
  server = await t.nodeless.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => t.close());

interface Stream {
  events: Array<{ type: string; object: Record<string, any> }>;
  ended: boolean;
  close(): void;
}

function openWatch(path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const stream: Stream = { events: [], ended: false, close: () => req.destroy() };
    const req = http.get(`${base}${path}`, { headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          stream.events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', () => (stream.ended = true));
      resolve(stream);
    });
    req.on('error', (err) => (stream.ended ? undefined : reject(err)));
  });
}

const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels } });
const path = '/api/v1/namespaces/default/configmaps';

describe('watch', () => {
  it('starts with the current state as ADDED when no resourceVersion is given', async () => {
    await t.api.post(path).send(cm('w-initial')).expect(201);
    const w = await openWatch(`${path}?watch=true`);
    await waitFor(() => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w-initial'), 'the initial ADDED');
    await t.api.post(path).send(cm('w-after')).expect(201);
    await waitFor(() => w.events.some((e) => e.object.metadata?.name === 'w-after'), 'the live ADDED');
    w.close();
  });

  it('sends initial events then a bookmark marked initial-events-end with sendInitialEvents', async () => {
    const w = await openWatch(`${path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    const bookmark = await waitFor(() => w.events.find((e) => e.type === 'BOOKMARK'), 'the bookmark');
    expect(bookmark.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    const before = w.events.slice(0, w.events.indexOf(bookmark));
    expect(before.every((e) => e.type === 'ADDED')).toBe(true);
    expect(before.map((e) => e.object.metadata.name)).toEqual(expect.arrayContaining(['w-initial', 'w-after']));
    w.close();
  });

  it('refuses sendInitialEvents without resourceVersionMatch=NotOlderThan with 422 Invalid ListOptions', async () => {
    const res = await t.api.get(`${path}?watch=1&sendInitialEvents=true`);
    expect(res.status).toBe(422);
    expect(res.body.kind).toBe('Status');
  });

  it('ends with an ERROR event carrying 410 Expired for a compacted resourceVersion', async () => {
    const first = (await t.api.post(path).send(cm('w-old')).expect(201)).body.metadata.resourceVersion;
    await t.api.post(path).send(cm('w-new')).expect(201);
    await t.nodeless.store.compact(await t.nodeless.store.currentRevision());
    const w = await openWatch(`${path}?watch=1&resourceVersion=${first}`);
    const err = await waitFor(() => w.events.find((e) => e.type === 'ERROR'), 'the ERROR event');
    expect(err.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    await waitFor(() => w.ended, 'the stream to end');
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const w = await openWatch(`${path}?watch=1&timeoutSeconds=1&resourceVersion=${await t.nodeless.store.currentRevision()}`);
    await waitFor(() => w.ended, 'the stream to end', 5000);
  });

  it('sends BOOKMARK events with allowWatchBookmarks while nothing changes', async () => {
    const rv = await t.nodeless.store.currentRevision();
    const w = await openWatch(`${path}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`);
    const bookmark = await waitFor(() => w.events.find((e) => e.type === 'BOOKMARK'), 'a progress bookmark');
    expect(bookmark.object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(rv) } });
    w.close();
  });

  it('sends Table events with column definitions only in the first', async () => {
    const w = await openWatch(`${path}?watch=1`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await waitFor(() => w.events.length >= 2, 'two events');
    expect(w.events[0].object.kind).toBe('Table');
    expect(w.events[0].object.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(w.events[1].object.columnDefinitions).toBeNull();
    expect(w.events[1].object.rows[0].object.kind).toBe('PartialObjectMetadata');
    w.close();
  });
});
