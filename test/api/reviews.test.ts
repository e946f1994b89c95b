/**
 * Review resources: authentication.k8s.io and authorization.k8s.io reviews answer a POST with
 * their status and store nothing; apiregistration.k8s.io APIServices are stored objects.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
const auth = { Authorization: 'Bearer tok' };
beforeAll(async () => {
  t = await startTestServer({ tokens: ['tok'] });
});
afterAll(() => t.close());

describe('review resources', () => {
  it('answers a SelfSubjectAccessReview with allowed and stores nothing', async () => {
    const res = await t.api
      .post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      .set(auth)
      .send({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
    expect((await t.api.get('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').set(auth)).status).toBe(405);
  });

  it('[sig-api-machinery] Servers with support for Table transformation should return a 406 for a backend which does not implement metadata [Conformance]', async () => {
    const res = await t.api
      .post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      .set(auth)
      .set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io')
      .send({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'list', resource: 'pods' } } });
    expect(res.status).toBe(406);
    expect(res.body).toMatchObject({ kind: 'Status', code: 406 });
  });

  it('authenticates a token through a TokenReview', async () => {
    const good = await t.api.post('/apis/authentication.k8s.io/v1/tokenreviews').set(auth).send({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'tok' } });
    expect(good.status).toBe(201);
    expect(good.body.status.authenticated).toBe(true);
    expect(good.body.status.user.groups).toContain('system:masters');
    const bad = await t.api.post('/apis/authentication.k8s.io/v1/tokenreviews').set(auth).send({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'nope' } });
    expect(bad.body.status.authenticated).toBe(false);
  });

  it('tells the caller who they are through a SelfSubjectReview', async () => {
    const res = await t.api.post('/apis/authentication.k8s.io/v1/selfsubjectreviews').set(auth).send({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(res.status).toBe(201);
    expect(res.body.status.userInfo.username).toBe('nodeless-admin');
  });

  it('stores APIServices and lists the review groups in discovery', async () => {
    await t.api
      .post('/apis/apiregistration.k8s.io/v1/apiservices')
      .set(auth)
      .send({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.example.com' }, spec: { group: 'example.com', version: 'v1', groupPriorityMinimum: 100, versionPriority: 10 } })
      .expect(201);
    await t.api.get('/apis/apiregistration.k8s.io/v1/apiservices/v1.example.com').set(auth).expect(200);
    const groups = (await t.api.get('/apis').set(auth)).body.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['apiregistration.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io']));
  });
});
