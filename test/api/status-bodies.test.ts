/**
 * Response bodies byte for byte as kube-apiserver writes them: Status fields in metav1.Status
 * order (kind, apiVersion, metadata, status, message, reason, details, code), empty optional
 * fields left out, and every JSON value ended by the newline Go's json.Encoder writes.
 * The fixtures are kube-apiserver's bodies for the same requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatusError, statusJSON } from '../../schemas/meta/status-error';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } }).expect(201);
});

afterAll(() => t.close());

const RFC1123 =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const KUBE = {
  notFound: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"missing\\" not found","reason":"NotFound","details":{"name":"missing","kind":"pods"},"code":404}\n',
  notFoundGroup:
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"missing\\" not found","reason":"NotFound","details":{"name":"missing","group":"apps","kind":"deployments"},"code":404}\n',
  alreadyExists:
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"dup\\" already exists","reason":"AlreadyExists","details":{"name":"dup","kind":"configmaps"},"code":409}\n',
  invalid:
    `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \\"Bad_Name\\" is invalid: metadata.name: Invalid value: \\"Bad_Name\\": ${RFC1123}","reason":"Invalid",` +
    `"details":{"name":"Bad_Name","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \\"Bad_Name\\": ${RFC1123}","field":"metadata.name"}]},"code":422}\n`,
  badRequest: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"strconv.ParseInt: parsing \\"abc\\": invalid syntax","reason":"BadRequest","code":400}\n',
  methodNotAllowed:
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}\n',
  noRoute: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n',
};

describe('Status bodies', () => {
  it('should write a 404 NotFound as kube-apiserver does', async () => {
    expect((await t.api.get('/api/v1/namespaces/default/pods/missing').expect(404)).text).toBe(KUBE.notFound);
    expect((await t.api.get('/apis/apps/v1/namespaces/default/deployments/missing').expect(404)).text).toBe(KUBE.notFoundGroup);
  });

  it('should write a 409 AlreadyExists as kube-apiserver does', async () => {
    const res = await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } });
    expect(res.status).toBe(409);
    expect(res.text).toBe(KUBE.alreadyExists);
  });

  it('should write a 422 Invalid with its causes as kube-apiserver does', async () => {
    const res = await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    expect(res.status).toBe(422);
    expect(res.text).toBe(KUBE.invalid);
  });

  it('should write a 400 BadRequest without details as kube-apiserver does', async () => {
    expect((await t.api.get('/api/v1/namespaces/default/configmaps?limit=abc').expect(400)).text).toBe(KUBE.badRequest);
  });

  it('should write the 405 of a method no route serves, with empty details, as kube-apiserver does', async () => {
    expect((await t.api.post('/api/v1/configmaps').send({}).expect(405)).text).toBe(KUBE.methodNotAllowed);
    expect((await t.api.delete('/api/v1/namespaces').expect(405)).text).toBe(KUBE.methodNotAllowed);
  });

  it('should write the 404 of a path no route serves with empty details', async () => {
    expect((await t.api.get('/api/v1/namespaces/default/widgets').expect(404)).text).toBe(KUBE.noRoute);
  });

  it('should order details and causes as metav1 does whatever order they were built in, and escape <, > and & as Go does', () => {
    const err = new StatusError(429, 'TooManyRequests', 'a < b && c > d', { retryAfterSeconds: 2, causes: [{ field: 'f', message: 'm', reason: 'r' }], kind: 'pods', name: 'p' });
    expect(statusJSON(err.status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"a \\u003c b \\u0026\\u0026 c \\u003e d","reason":"TooManyRequests","details":{"name":"p","kind":"pods","causes":[{"reason":"r","message":"m","field":"f"}],"retryAfterSeconds":2},"code":429}\n',
    );
  });

  it('should write the Success Status of a delete as kube-apiserver does', async () => {
    const created = (await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone' } }).expect(201)).body;
    const res = await t.api.delete('/api/v1/namespaces/default/configmaps/gone').expect(200);
    expect(res.text).toBe(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"gone","kind":"configmaps","uid":"${created.metadata.uid}"}}\n`);
  });
});

describe('every JSON body ends with a newline', () => {
  it.each([
    ['an object', '/api/v1/namespaces/default/configmaps/dup', undefined],
    ['a list', '/api/v1/namespaces/default/configmaps', undefined],
    ['a Table', '/api/v1/namespaces/default/configmaps', 'application/json;as=Table;v=v1;g=meta.k8s.io'],
    ['a PartialObjectMetadataList', '/api/v1/namespaces/default/configmaps', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'],
    ['discovery', '/api', undefined],
    ['a group resource list', '/apis/apps/v1', undefined],
    ['aggregated discovery', '/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'],
    ['the version', '/version', undefined],
  ])('should end %s with a newline', async (_what, path, accept) => {
    const req = t.api.get(path);
    if (accept) req.set('Accept', accept);
    const res = await req.expect(200);
    expect(res.text.endsWith('}\n')).toBe(true);
    expect(res.text.endsWith('\n\n')).toBe(false);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
  });

  it('should end a list of many items, written from stored bytes, with one newline', async () => {
    for (let i = 0; i < 300; i++) await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `many-${i}` } }).expect(201);
    const res = await t.api.get('/api/v1/namespaces/default/configmaps').expect(200);
    expect(res.text.endsWith(']}\n')).toBe(true);
    expect(JSON.parse(res.text).items.length).toBeGreaterThanOrEqual(300);
  });

  it('should end each watch event with one newline', async () => {
    const server = http.createServer(t.nodeless.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const text = await new Promise<string>((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Ddup&timeoutSeconds=1`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(text).toMatch(/^\{"type":"ADDED","object":\{.*\}\}\n$/);
  });
});
