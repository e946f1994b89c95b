/**
 * Access: every API request needs the admin bearer token; health endpoints do not.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ tokens: ['secret-token'] });
});
afterAll(() => t.close());

describe('bearer token authentication', () => {
  it('answers 401 Unauthorized as a Status without a token', async () => {
    for (const path of ['/api', '/apis', '/api/v1/namespaces', '/version', '/openapi/v2', '/openapi/v3']) {
      const res = await t.api.get(path);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  it('answers 401 for a wrong token or a malformed header', async () => {
    expect((await t.api.get('/api').set('Authorization', 'Bearer wrong')).status).toBe(401);
    expect((await t.api.get('/api').set('Authorization', 'Basic c2VjcmV0LXRva2Vu')).status).toBe(401);
    expect((await t.api.get('/api').set('Authorization', 'Bearer')).status).toBe(401);
  });

  it('serves requests that carry the token', async () => {
    const res = await t.api.get('/api/v1/namespaces').set('Authorization', 'Bearer secret-token');
    expect(res.status).toBe(200);
    expect(res.body.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  it('serves /healthz, /livez and /readyz without a token', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/readyz/ping']) {
      const res = await t.api.get(path);
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
    }
  });
});
