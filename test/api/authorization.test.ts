/**
 * The authorizer seam: every resource request is put to the server's authorizer before the
 * resource is looked up, a refusal is kube's 403 Status, and the access reviews ask the same
 * authorizer, so `kubectl auth can-i` and a real request agree.
 */
import type { Authorizer, AuthorizationAttributes } from '../../server/auth/authorizer';
import { allowAll, authorizerChain } from '../../server/auth/authorizer';
import { startTestServer, type TestServer } from '../helpers/api-server';

// Secrets in namespace "vault" are refused; everything else is allowed. Every request seen is kept.
const seen: AuthorizationAttributes[] = [];
const noSecrets: Authorizer = {
  authorize(attrs) {
    seen.push(attrs);
    if (attrs.resource === 'secrets' && attrs.namespace === 'vault') return { decision: 'deny', reason: 'secrets in vault are off limits' };
    return { decision: 'noOpinion', reason: '' };
  },
};

let t: TestServer;
const auth = { Authorization: 'Bearer tok' };
beforeAll(async () => {
  t = await startTestServer({ tokens: ['tok'], authorizer: authorizerChain(noSecrets, allowAll) });
  await t.api.post('/api/v1/namespaces').set(auth).send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vault' } }).expect(201);
});
afterAll(() => t.close());

describe('authorization', () => {
  it('puts the request to the authorizer as kube describes it', async () => {
    seen.length = 0;
    await t.api.get('/api/v1/namespaces/vault/configmaps/kube-root-ca.crt').set(auth);
    expect(seen[0]).toMatchObject({ verb: 'get', group: '', version: 'v1', resource: 'configmaps', namespace: 'vault', name: 'kube-root-ca.crt', user: { username: 'nodeless-admin' } });
    seen.length = 0;
    await t.api.patch('/apis/apps/v1/namespaces/vault/deployments/web/scale').set(auth).set('Content-Type', 'application/merge-patch+json').send({});
    expect(seen[0]).toMatchObject({ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' });
  });

  it('refuses with kube 403 Status naming the user, verb, resource and scope, with the reason', async () => {
    const res = await t.api.get('/api/v1/namespaces/vault/secrets/token').set(auth);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "token" is forbidden: User "nodeless-admin" cannot get resource "secrets" in API group "" in the namespace "vault": secrets in vault are off limits',
      reason: 'Forbidden',
      details: { name: 'token', kind: 'secrets' },
      code: 403,
    });
    const list = await t.api.get('/api/v1/namespaces/vault/secrets').set(auth);
    expect(list.status).toBe(403);
    expect(list.body.message).toBe('secrets is forbidden: User "nodeless-admin" cannot list resource "secrets" in API group "" in the namespace "vault": secrets in vault are off limits');
    // Allowed elsewhere.
    expect((await t.api.get('/api/v1/namespaces/default/secrets').set(auth)).status).toBe(200);
  });

  it('decides before the resource is looked up, so a refused client learns nothing of what exists', async () => {
    const deny: Authorizer = { authorize: () => ({ decision: 'deny', reason: '' }) };
    const closed = await startTestServer({ tokens: ['tok'], authorizer: deny });
    try {
      const res = await closed.api.get('/apis/nosuch.example.com/v1/widgets').set(auth);
      expect(res.status).toBe(403);
      expect(res.body.message).toBe('widgets.nosuch.example.com is forbidden: User "nodeless-admin" cannot list resource "widgets" in API group "nosuch.example.com" at the cluster scope');
    } finally {
      await closed.close();
    }
  });

  it('a chain where nobody has an opinion denies', () => {
    const none: Authorizer = { authorize: () => ({ decision: 'noOpinion', reason: 'no rule' }) };
    expect(authorizerChain(none).authorize({ user: { username: 'u', uid: 'u', groups: [] }, verb: 'get', group: '', version: 'v1', resource: 'pods' })).toEqual({ decision: 'deny', reason: 'no rule' });
  });

  it('answers access reviews through the same authorizer', async () => {
    const review = async (kind: string, spec: Record<string, unknown>, path = kind.toLowerCase() + 's') =>
      (await t.api.post(`/apis/authorization.k8s.io/v1/${path}`).set(auth).send({ apiVersion: 'authorization.k8s.io/v1', kind, spec }).expect(201)).body.status;
    expect(await review('SelfSubjectAccessReview', { resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'vault' } })).toEqual({ allowed: false, denied: true, reason: 'secrets in vault are off limits' });
    expect(await review('SelfSubjectAccessReview', { resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'default' } })).toMatchObject({ allowed: true });
    seen.length = 0;
    expect(await review('SubjectAccessReview', { user: 'jane', groups: ['dev'], resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'vault' } })).toMatchObject({ allowed: false, denied: true });
    // The first request seen is the review's own create; the second is the question it asked.
    expect(seen.map((a) => a.user.username)).toEqual(['nodeless-admin', 'jane']);
    expect(seen[1].user).toEqual({ username: 'jane', uid: '', groups: ['dev'] });
    expect(await review('SelfSubjectAccessReview', { nonResourceAttributes: { verb: 'get', path: '/healthz' } })).toMatchObject({ allowed: true });
  });
});
