/**
 * A big CRD (a synthetic one shaped like prometheus-operator's Prometheus CRD, see
 * test/bench/big-crd.ts) applies, its custom resources validate right after it is Established,
 * and the server keeps answering other requests while the CRD's validators are compiled.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/api-server';
import { bigCRD, bigCustomResource } from '../bench/big-crd';
import { CRDS, deleteAndWait } from './helpers';

let t: TestServer;
let server: http.Server;
let base: string;

beforeAll(async () => {
  t = await startTestServer();
  server = await t.nodeless.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => t.close());

describe('a big CRD', () => {
  const crd = bigCRD(3, 400_000);
  const name = (crd.metadata as { name: string }).name;
  const plural = (crd.spec as { names: { plural: string } }).names.plural;
  const path = `/apis/big3.monitoring.example.com/v1/namespaces/default/${plural}`;
  afterAll(() => deleteAndWait(t.api, name));

  it('applies while /healthz keeps answering, and serves custom resources validated against it as soon as it is Established', async () => {
    let applied = false;
    let created = false;
    let answeredDuringCreate = 0;
    const apply = (async () => {
      const res = await fetch(`${base}${CRDS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(crd) });
      created = true;
      expect(res.status).toBe(201);
      await res.arrayBuffer();
      // Established, then at once a custom resource: the validators are compiled by then.
      for (;;) {
        const got = (await (await fetch(`${base}${CRDS}/${name}`)).json()) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const first = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bigCustomResource(3, 'first')) });
      expect(first.status).toBe(201);
      applied = true;
    })();
    // /healthz requests, one after another, for as long as the apply runs.
    const probe = (async () => {
      while (!applied) {
        const res = await fetch(`${base}/healthz`);
        expect(res.status).toBe(200);
        await res.text();
        if (!created) answeredDuringCreate++;
      }
    })();
    await apply;
    await probe;
    // /healthz requests issued while the CRD's create was being handled were answered before
    // its response: compiling the schema in one piece held them until the create was done.
    expect(answeredDuringCreate).toBeGreaterThanOrEqual(3);
  });

  it('refuses an invalid custom resource with the schema field path, and defaults it', async () => {
    const bad = bigCustomResource(3, 'bad') as { spec: Record<string, unknown> };
    bad.spec.replicas = 'three';
    const refused = await t.api.post(path).send(bad).expect(422);
    expect(refused.body.message).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"');
    const ok = (await t.api.post(path).send(bigCustomResource(3, 'second')).expect(201)).body;
    expect(ok.spec.replicas).toBe(1);
  });
});
