/**
 * Create and update bodies decoded as kube-apiserver decodes them: no Content-Type means JSON,
 * a body whose type cannot be read is "the object provided is unrecognized", and a body of
 * another kind is refused the way kube's decoder (built-ins) or validation (custom resources)
 * refuses it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { goJSONSyntaxError, summarizeData } from '../../server/http/decode-errors';
import { startTestServer, type TestServer } from '../helpers/api-server';
import { createEstablished, crdManifest } from '../crd/helpers';

let t: TestServer;
let server: http.Server;
let port: number;
beforeAll(async () => {
  t = await startTestServer();
  server = await t.nodeless.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => t.close());

/** postRaw sends body with exactly the headers given: no Content-Type unless asked, as kubectl create --raw does. */
function postRaw(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const NAMESPACE_YAML = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n';

describe('a body without a Content-Type', () => {
  it('should be decoded as JSON', async () => {
    const res = await postRaw('/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'raw-json' } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'Namespace', metadata: { name: 'raw-json' } });
  });

  it('should answer YAML with kube\'s 400 "the object provided is unrecognized", quoting the body in hex', async () => {
    const res = await postRaw('/api/v1/namespaces', NAMESPACE_YAML);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
      message: `the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (${Buffer.from(NAMESPACE_YAML).subarray(0, 30).toString('hex')} ...)`,
    });
  });

  it('should decode the same YAML when it is labelled application/yaml', async () => {
    const res = await postRaw('/api/v1/namespaces', NAMESPACE_YAML, { 'Content-Type': 'application/yaml' });
    expect(res.status).toBe(201);
  });
});

describe('undecodable bodies', () => {
  it('should call an empty body unrecognized: <empty>', async () => {
    const res = await postRaw('/api/v1/namespaces/default/configmaps', '', { 'Content-Type': 'application/json' });
    expect(res.body.message).toBe("the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)");
  });

  it('should quote the start of a broken JSON object as text', async () => {
    const body = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": }}';
    const res = await postRaw('/api/v1/namespaces/default/configmaps', body, { 'Content-Type': 'application/json' });
    expect(res.body.message).toBe(`the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of value (${body.slice(0, 30)} ...)`);
  });

  it('should word a JSON array as Go fails to read a type from it', async () => {
    const res = await postRaw('/api/v1/namespaces/default/configmaps', '[1]', { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b315d)',
    );
  });
});

describe('a body of another kind', () => {
  it('should be refused for a built-in kind as kube\'s decoder refuses it: unknown conversion', async () => {
    const res = await postRaw('/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Pod in version "v1" cannot be handled as a Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion');
    const apps = await t.api.post('/apis/apps/v1/namespaces/default/deployments').send({ kind: 'StatefulSet', metadata: { name: 'd' } }).expect(400);
    expect(apps.body.message).toBe('StatefulSet in version "v1" cannot be handled as a Deployment: converting (v1.StatefulSet) to (apps.Deployment): unknown conversion');
  });

  it('should be refused for a custom resource by its validation: 422 on kind', async () => {
    await createEstablished(t.api, crdManifest({ group: 'decode.example.com', kind: 'Widget' }));
    const res = await t.api
      .post('/apis/decode.example.com/v1/namespaces/default/widgets')
      .send({ apiVersion: 'decode.example.com/v1', kind: 'Gadget', metadata: { name: 'w' } })
      .expect(422);
    expect(res.body).toMatchObject({
      reason: 'Invalid',
      message: 'Widget.decode.example.com "w" is invalid: kind: Invalid value: "Gadget": must be Widget',
      details: { name: 'w', group: 'decode.example.com', kind: 'Widget', causes: [{ reason: 'FieldValueInvalid', field: 'kind', message: 'Invalid value: "Gadget": must be Widget' }] },
    });
  });
});

describe('goJSONSyntaxError', () => {
  it.each([
    ['{"a": 1}', undefined],
    [' [1, -2.5e+3, true, null, "x\\u00e9"] ', undefined],
    ['', 'unexpected end of JSON input'],
    ['{"a": 1', 'unexpected end of JSON input'],
    ['kind: Pod', "invalid character 'k' looking for beginning of value"],
    ['{a: 1}', "invalid character 'a' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a": 1 "b": 2}', 'invalid character \'"\' after object key:value pair'],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a": 01}', "invalid character '1' after object key:value pair"],
    ['{"a": 1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a": -}', "invalid character '}' in numeric literal"],
    ['{"a": "\\q"}', "invalid character 'q' in string escape code"],
    ['{"a": "x\ny"}', "invalid character '\\n' in string literal"],
    ['{} x', "invalid character 'x' after top-level value"],
    ["'x'", "invalid character '\\'' looking for beginning of value"],
  ])('reads %j as Go does', (input, message) => {
    expect(goJSONSyntaxError(Buffer.from(input))).toBe(message);
  });

  it('summarizes bodies as kube does', () => {
    expect(summarizeData(Buffer.alloc(0), 30)).toBe('<empty>');
    expect(summarizeData(Buffer.from('{"a":1}'), 30)).toBe('{"a":1}');
    expect(summarizeData(Buffer.from('ab'), 30)).toBe('6162');
  });
});
