/**
 * Large objects within the limits: answers stay bounded and the decoders stay linear. (How long
 * each holds the event loop is a figure of `npm run bench -- freeze`, not a timed test.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/api-server';
import { MAX_INVALID_CAUSES } from '../../schemas/meta/status-error';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const CM = '/api/v1/namespaces/default/configmaps';

describe('large objects', () => {
  it('bounds the 422 for 100,000 invalid label keys: the first causes and a count of the rest', async () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) labels[`bad key ${i}`] = 'v';
    const res = await t.api.post(CM).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad', labels } });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes).toHaveLength(MAX_INVALID_CAUSES);
    expect(res.body.details.causes[0]).toEqual({
      reason: 'FieldValueInvalid',
      message: expect.stringMatching(/^Invalid value: "bad key 0": name part must consist of alphanumeric characters/),
      field: 'metadata.labels',
    });
    expect(res.body.message).toMatch(/^ConfigMap "bad" is invalid: \[metadata\.labels: Invalid value: "bad key 0": /);
    expect(res.body.message).toMatch(/, and 99000 more errors\]$/);
    expect(res.text.length).toBeLessThan(1_000_000);
  });

  it('writes a message repeated word for word once, as kube\'s aggregate does, and keeps every cause', async () => {
    const res = await t.api.post(CM).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' }, data: { 'a b': 'x' } });
    expect(res.status).toBe(422);
    const rendered = res.body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
    expect(res.body.message).toBe(`ConfigMap "Bad_Name" is invalid: [${[...new Set(rendered)].join(', ')}]`);
  });

  it('applies a JSON configuration of 20,000 keys sent as YAML (as kubectl sends it)', async () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) data[`k${i}`] = 'v';
    const res = await t.api
      .patch(`${CM}/many?fieldManager=test`)
      .set('Content-Type', 'application/apply-patch+yaml')
      .send(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'many' }, data }));
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data)).toHaveLength(20_000);
  });

  it('refuses a repeated key in YAML, whether written as YAML or as JSON, as kube\'s YAML decoder does', async () => {
    for (const body of ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: "1"\n  a: "2"\n', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}']) {
      const res = await t.api.patch(`${CM}/dup?fieldManager=test`).set('Content-Type', 'application/apply-patch+yaml').send(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('error converting YAML to JSON: Map keys must be unique');
    }
  });

  it('keeps no listener behind for each event a slow watcher made it wait for', async () => {
    const server = await t.nodeless.listen(0, '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    let watchResponse: http.ServerResponse | undefined;
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url?.includes('watch=1')) watchResponse = res;
    });
    let events = 0;
    let reading = false;
    const req = http.get({ host: '127.0.0.1', port, path: `${CM}?watch=1&labelSelector=slow%3Dyes` }, (res) => {
      res.pause();
      // A slow reader once it starts: every chunk waits a little, so each large event meets back-pressure.
      res.on('data', (c: Buffer) => {
        for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) events++;
        res.pause();
        setTimeout(() => res.resume(), 1);
      });
      const start = setInterval(() => {
        if (reading) {
          clearInterval(start);
          res.resume();
        }
      }, 5);
    });
    req.on('error', () => undefined);
    try {
      const blob = 'x'.repeat(400_000);
      for (let i = 0; i < 15; i++) {
        await t.api.post(CM).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `slow-${i}`, labels: { slow: 'yes' } }, data: { blob } }).expect(201);
      }
      reading = true;
      const deadline = Date.now() + 20_000;
      while (events < 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(events).toBe(15);
      // The watch's own listener and the request metrics' one; none per event.
      expect(watchResponse!.listenerCount('close')).toBeLessThanOrEqual(4);
    } finally {
      req.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  describe('writers racing on one large ConfigMap (its write pauses between phases for other requests)', () => {
    // 20,000 keys: over the size at which a write lets other requests run between its steps.
    const data: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) data[`k${String(i).padStart(5, '0')}`] = 'v';
    const mergePatch = (name: string, manager: string, body: unknown) =>
      t.api.patch(`${CM}/${name}?fieldManager=${manager}`).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify(body));
    const ownerOf = (obj: { metadata: { managedFields: Array<{ manager: string; fieldsV1: { 'f:data'?: Record<string, unknown> } }> } }, key: string) =>
      obj.metadata.managedFields.filter((e) => e.fieldsV1['f:data']?.[`f:${key}`]).map((e) => e.manager);

    it('loses no write: two patches and an apply started together all land, each manager owning its key', async () => {
      await t.api.post(`${CM}?fieldManager=creator`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race' }, data }).expect(201);
      const applied = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race' }, data: { k00003: 'applied' } });
      const [a, b, c] = await Promise.all([
        mergePatch('race', 'first', { data: { k00001: 'first' } }),
        mergePatch('race', 'second', { data: { k00002: 'second' } }),
        t.api.patch(`${CM}/race?fieldManager=applier&force=true`).set('Content-Type', 'application/apply-patch+yaml').send(applied),
      ]);
      expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
      const stored = (await t.api.get(`${CM}/race`).expect(200)).body;
      expect([stored.data.k00001, stored.data.k00002, stored.data.k00003, Object.keys(stored.data).length]).toEqual(['first', 'second', 'applied', 20_000]);
      expect([ownerOf(stored, 'k00001'), ownerOf(stored, 'k00002'), ownerOf(stored, 'k00003')]).toEqual([['first'], ['second'], ['applier']]);
      // Three writes after the create, each on the one before.
      const versions = [a, b, c].map((r) => Number(r.body.metadata.resourceVersion)).sort((x, y) => x - y);
      expect(versions[2]).toBe(Number(stored.metadata.resourceVersion));
      expect(new Set(versions).size).toBe(3);
    });

    it('answers 409 to one of two patches made against the same resourceVersion', async () => {
      const created = await t.api.post(CM).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race-rv' }, data }).expect(201);
      const rv = created.body.metadata.resourceVersion;
      const results = await Promise.all(['x', 'y'].map((m) => mergePatch('race-rv', m, { metadata: { resourceVersion: rv }, data: { k00001: m } })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!;
      const stored = (await t.api.get(`${CM}/race-rv`).expect(200)).body;
      expect(stored.data.k00001).toBe(winner.body.data.k00001);
      expect(stored.metadata.resourceVersion).toBe(winner.body.metadata.resourceVersion);
    });
  });
});
