/**
 * Server-side apply through HTTP and the registry: field managers sharing and contesting
 * fields, as structured-merge-diff and kube-apiserver's field manager treat them.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ssa' } }).expect(201);
});
afterAll(() => t.close());

const configMap = (name: string, data: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

const applyAs = (name: string, manager: string, data: Record<string, string>, force = false) =>
  t.api
    .patch(`/api/v1/namespaces/ssa/configmaps/${name}?fieldManager=${manager}${force ? '&force=true' : ''}`)
    .set('Content-Type', 'application/apply-patch+yaml')
    .send(configMap(name, data));

type Entry = { manager: string; operation: string; fieldsV1: Record<string, unknown>; time?: string };
const managers = (obj: { metadata: { managedFields?: Entry[] } }) =>
  (obj.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}`).sort();

describe('server-side apply by several managers', () => {
  it('should make a second applier of the same value a co-owner and store that', async () => {
    const first = await applyAs('shared', 'team-a', { mode: 'on' }).expect(201);
    const second = await applyAs('shared', 'team-b', { mode: 'on' }).expect(200);
    expect(managers(second.body)).toEqual(['team-a/Apply', 'team-b/Apply']);
    // Ownership changed, so it is a write: a new resourceVersion, kept by a later read.
    expect(second.body.metadata.resourceVersion).not.toBe(first.body.metadata.resourceVersion);
    const read = await t.api.get('/api/v1/namespaces/ssa/configmaps/shared').expect(200);
    expect(managers(read.body)).toEqual(['team-a/Apply', 'team-b/Apply']);
    for (const e of read.body.metadata.managedFields as Entry[]) expect(e.fieldsV1).toEqual({ 'f:data': { 'f:mode': {} } });
  });

  it('should not write again when a co-owner re-applies the same configuration', async () => {
    const before = await t.api.get('/api/v1/namespaces/ssa/configmaps/shared').expect(200);
    const again = await applyAs('shared', 'team-b', { mode: 'on' }).expect(200);
    expect(again.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
  });

  it('should answer 409 to a second applier of a different value unless it forces', async () => {
    await applyAs('contested', 'team-a', { mode: 'on' }).expect(201);
    const res = await applyAs('contested', 'team-b', { mode: 'off' }).expect(409);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "team-a": .data.mode' });
    const forced = await applyAs('contested', 'team-b', { mode: 'off' }, true).expect(200);
    expect(forced.body.data).toEqual({ mode: 'off' });
    expect(managers(forced.body)).toEqual(['team-b/Apply']);
  });
});
