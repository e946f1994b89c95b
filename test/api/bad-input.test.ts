/**
 * Bad input: every malformed request gets a 4xx Kubernetes Status, never a 500, and the server
 * keeps serving and keeps its data.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { k: 'v' } }).expect(201);
});
afterAll(() => t.close());

function expectStatus(res: { status: number; body: Record<string, unknown> }, code: number, reason?: string) {
  expect(res.status).toBe(code);
  expect(res.body.kind).toBe('Status');
  expect(res.body.apiVersion).toBe('v1');
  expect(res.body.status).toBe('Failure');
  expect(res.body.code).toBe(code);
  if (reason) expect(res.body.reason).toBe(reason);
}

describe('bad input is answered with a 4xx Status', () => {
  const cmPath = '/api/v1/namespaces/default/configmaps';

  it('malformed JSON is 400 BadRequest', async () => {
    const res = await t.api.post(cmPath).set('Content-Type', 'application/json').send('{"apiVersion": "v1", "kind": ');
    expectStatus(res, 400, 'BadRequest');
  });

  it('malformed YAML is 400 BadRequest', async () => {
    const res = await t.api.post(cmPath).set('Content-Type', 'application/yaml').send('apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n');
    expectStatus(res, 400, 'BadRequest');
  });

  it('a JSON array or scalar body is 400', async () => {
    expectStatus(await t.api.post(cmPath).set('Content-Type', 'application/json').send('[1,2]'), 400);
    expectStatus(await t.api.post(cmPath).set('Content-Type', 'application/json').send('"x"'), 400);
    expectStatus(await t.api.post(cmPath).set('Content-Type', 'application/json').send(''), 400);
  });

  it('an unsupported content type is 415', async () => {
    expectStatus(await t.api.post(cmPath).set('Content-Type', 'text/plain').send('hello'), 415, 'UnsupportedMediaType');
  });

  it('an unsupported patch type is 415', async () => {
    const res = await t.api.patch(`${cmPath}/keep`).set('Content-Type', 'application/xml').send('<x/>');
    expectStatus(res, 415, 'UnsupportedMediaType');
  });

  it('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } });
    const res = await t.api.post(cmPath).set('Content-Type', 'application/json').send(big);
    expectStatus(res, 413, 'RequestEntityTooLarge');
  });

  it('a kind that does not match the path is 400', async () => {
    const res = await t.api.post(cmPath).send({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    expectStatus(res, 400, 'BadRequest');
    const res2 = await t.api.post(cmPath).send({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expectStatus(res2, 400, 'BadRequest');
    expect(res2.body.message).toBe('the API version in the data (apps/v1) does not match the expected API version (v1)');
  });

  it('an invalid name is 422 Invalid with a cause', async () => {
    const res = await t.api.post(cmPath).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    expectStatus(res, 422, 'Invalid');
    expect(res.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
    expect(res.body.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it('a missing name is 422 Invalid', async () => {
    const res = await t.api.post(cmPath).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
    expectStatus(res, 422, 'Invalid');
    expect(res.body.details.causes[0]).toMatchObject({ reason: 'FieldValueRequired', field: 'metadata.name' });
  });

  it('a wrong type for a built-in field is 400 like the decoder', async () => {
    const res = await t.api.post('/apis/apps/v1/namespaces/default/deployments').send({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    expectStatus(res, 400, 'BadRequest');
    expect(res.body.message).toMatch(/cannot unmarshal string into Go struct field .*spec\.replicas/);
  });

  it('a missing namespace is 404 NotFound', async () => {
    const res = await t.api.post('/api/v1/namespaces/nope/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expectStatus(res, 404, 'NotFound');
    expect(res.body.message).toBe('namespaces "nope" not found');
  });

  it('invalid label and field selectors are 400', async () => {
    expectStatus(await t.api.get(`${cmPath}?labelSelector=${encodeURIComponent('a in (')}`), 400, 'BadRequest');
    expectStatus(await t.api.get(`${cmPath}?labelSelector=${encodeURIComponent('a===b')}`), 400, 'BadRequest');
    expectStatus(await t.api.get(`${cmPath}?fieldSelector=${encodeURIComponent('spec.nothing=1')}`), 400, 'BadRequest');
    expectStatus(await t.api.get(`${cmPath}?fieldSelector=${encodeURIComponent('metadata.name')}`), 400, 'BadRequest');
  });

  it('malformed query values are 400 and unsupported option values 422', async () => {
    expectStatus(await t.api.get(`${cmPath}?limit=abc`), 400);
    expectStatus(await t.api.get(`${cmPath}?resourceVersion=abc`), 400);
    expectStatus(await t.api.get(`${cmPath}?continue=not-a-token`), 400);
    expectStatus(await t.api.get(`${cmPath}?resourceVersionMatch=Sometimes&resourceVersion=1`), 422, 'Invalid');
    expectStatus(await t.api.post(`${cmPath}?dryRun=Some`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), 422, 'Invalid');
    expectStatus(await t.api.post(`${cmPath}?fieldValidation=Loose`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), 422, 'Invalid');
    expectStatus(await t.api.delete(`${cmPath}/keep?propagationPolicy=Sideways`), 422, 'Invalid');
  });

  it('unknown paths, resources and subresources are 404', async () => {
    expectStatus(await t.api.get('/api/v1/namespaces/default/widgets'), 404, 'NotFound');
    expectStatus(await t.api.get('/apis/nope.example.com/v1'), 404);
    expectStatus(await t.api.get(`${cmPath}/keep/status`), 404);
    expectStatus(await t.api.get('/api/v1/namespaces/default/configmaps/keep/a/b'), 404);
    expectStatus(await t.api.get('/nothing-here'), 404);
  });

  it('an unsupported verb is 405', async () => {
    expectStatus(await t.api.post('/api/v1/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), 405, 'MethodNotAllowed');
    expectStatus(await t.api.delete('/api/v1/namespaces'), 405, 'MethodNotAllowed');
  });

  it('the server still serves and kept its data', async () => {
    const res = await t.api.get(`${cmPath}/keep`).expect(200);
    expect(res.body.data).toEqual({ k: 'v' });
    const list = await t.api.get(cmPath).expect(200);
    // kube-root-ca.crt is the root-CA ConfigMap every namespace holds.
    expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt')).toEqual(['keep']);
  });
});
