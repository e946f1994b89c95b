/**
 * One write path for every writer: patch and server-side apply, unknown-field pruning and field
 * validation live in the registry, so an in-process write stores exactly what the same write
 * over HTTP stores; generateName retries a taken name; the clock is injected everywhere.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';
import type { ResourceDefinition } from '../../schemas/types';

const NOW = new Date('2026-03-04T05:06:07Z');

let t: TestServer;
let configMaps: ResourceDefinition;
let deployments: ResourceDefinition;
// The ids generateName draws from: each test queues the draws it wants, then random falls back.
// No controllers run: a ReplicaSet's pods would take the queued draws for their own generated names.
const draws: number[] = [];
let fallback = 0;
beforeAll(async () => {
  t = await startTestServer({ controllers: false, registry: { now: () => NOW, random: () => (draws.length ? draws.shift()! : (fallback = (fallback + 0.137) % 1)) } });
  configMaps = t.nodeless.resources.lookup('', 'v1', 'configmaps')!;
  deployments = t.nodeless.resources.lookup('apps', 'v1', 'deployments')!;
  await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'wp' } }).expect(201);
});
afterAll(() => t.close());

const stored = async (name: string) => (await t.api.get(`/api/v1/namespaces/wp/configmaps/${name}`).expect(200)).body;
// strip drops what differs between two writes of the same content.
const strip = (o: Record<string, unknown>) => {
  const meta = { ...(o.metadata as Record<string, unknown>) };
  for (const k of ['name', 'uid', 'resourceVersion', 'managedFields']) delete meta[k];
  return { ...o, metadata: meta };
};

describe('Registry.patch', () => {
  it.each([
    ['merge', 'application/merge-patch+json', { data: { b: '2' }, metadata: { labels: { x: 'y' } } }],
    ['strategic', 'application/strategic-merge-patch+json', { data: { b: '2' }, metadata: { labels: { x: 'y' } } }],
    ['json', 'application/json-patch+json', [{ op: 'add', path: '/data/b', value: '2' }, { op: 'add', path: '/metadata/labels', value: { x: 'y' } }]],
  ] as const)('stores for a %s patch in-process exactly what the same patch over HTTP stores', async (type, contentType, body) => {
    for (const n of [`${type}-http`, `${type}-inproc`]) await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: n }, data: { a: '1' } }).expect(201);
    await t.api.patch(`/api/v1/namespaces/wp/configmaps/${type}-http`).set('Content-Type', contentType).set('User-Agent', 'writer/1.0').send(body as object).expect(200);
    const { created } = await t.nodeless.registry.patch(configMaps, 'wp', `${type}-inproc`, { type, body }, { userAgent: 'writer/1.0' });
    expect(created).toBe(false);
    const viaHttp = await stored(`${type}-http`);
    const inProcess = await stored(`${type}-inproc`);
    expect(strip(inProcess)).toEqual(strip(viaHttp));
    expect(inProcess.data).toEqual({ a: '1', b: '2' });
    expect(inProcess.metadata.managedFields.map((e: { manager: string; operation: string }) => [e.manager, e.operation])).toContainEqual(['writer', 'Update']);
    expect(inProcess.metadata.managedFields).toEqual(viaHttp.metadata.managedFields);
  });

  it('prunes and warns about unknown fields in-process as over HTTP, and refuses them under Strict', async () => {
    await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: 'prune' }, data: { a: '1' } }).expect(201);
    const warnings: string[] = [];
    await t.nodeless.registry.patch(configMaps, 'wp', 'prune', { type: 'merge', body: { data: { b: '2' }, bogus: true } }, { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual(['unknown field "bogus"']);
    expect((await stored('prune')).bogus).toBeUndefined();
    await expect(t.nodeless.registry.patch(configMaps, 'wp', 'prune', { type: 'merge', body: { bogus: true } }, { fieldValidation: 'Strict' })).rejects.toMatchObject({
      code: 400,
      status: { message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"' },
    });
    const created = await t.nodeless.registry.create(configMaps, 'wp', { metadata: { name: 'prune-create' }, data: {}, extra: 1 } as never);
    expect(JSON.parse(created.raw).extra).toBeUndefined();
  });

  it('creates on apply and updates on the next apply, with the injected clock in managedFields', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } };
    const first = await t.nodeless.registry.patch(configMaps, 'wp', 'applied', { type: 'apply', body: applied }, { fieldManager: 'mgr' });
    expect(first.created).toBe(true);
    const second = await t.nodeless.registry.patch(configMaps, 'wp', 'applied', { type: 'apply', body: { ...applied, data: { a: '2' } } }, { fieldManager: 'mgr' });
    expect(second.created).toBe(false);
    const obj = JSON.parse(second.object.raw);
    expect(obj.data).toEqual({ a: '2' });
    expect(obj.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'mgr', operation: 'Apply', time: '2026-03-04T05:06:07Z' })]);
  });

  it('lets concurrent applies of an object that does not exist yet all succeed: one creates, the others update', async () => {
    const applies = Array.from({ length: 12 }, (_, i) =>
      t.api
        .patch('/api/v1/namespaces/wp/configmaps/raced')
        .query({ fieldManager: `m${i}` })
        .set('Content-Type', 'application/apply-patch+yaml')
        .send(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raced' }, data: { [`k${i}`]: String(i) } })),
    );
    const answers = await Promise.all(applies);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const data = (await stored('raced')).data;
    for (let i = 0; i < 12; i++) expect(data[`k${i}`]).toBe(String(i));
  });

  it('refuses a strategic merge patch of a kind without strategic-merge metadata with 415', async () => {
    const crdLike = { ...configMaps, definitionName: undefined } as ResourceDefinition;
    await expect(t.nodeless.registry.patch(crdLike, 'wp', 'prune', { type: 'strategic', body: {} })).rejects.toMatchObject({ code: 415 });
  });

  it('bumps a Deployment generation through an in-process patch as through HTTP', async () => {
    const d = {
      metadata: { name: 'gen' },
      spec: { selector: { matchLabels: { app: 'g' } }, template: { metadata: { labels: { app: 'g' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    };
    await t.api.post('/apis/apps/v1/namespaces/wp/deployments').send(d).expect(201);
    const { object } = await t.nodeless.registry.patch(deployments, 'wp', 'gen', { type: 'strategic', body: { spec: { replicas: 3 } } }, { fieldManager: 'deployment-controller' });
    const obj = JSON.parse(object.raw);
    expect(obj.metadata.generation).toBe(2);
    expect(obj.spec.replicas).toBe(3);
  });
});

describe('generateName', () => {
  it('tries another name when the generated one is taken, as kube-apiserver does', async () => {
    draws.push(0, 0, 0, 0, 0);
    const first = await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { generateName: 'gen-' } }).expect(201);
    expect(first.body.metadata.name).toBe('gen-bbbbb');
    draws.push(0, 0, 0, 0, 0);
    const second = await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { generateName: 'gen-' } }).expect(201);
    expect(second.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(second.body.metadata.name).not.toBe('gen-bbbbb');
  });

  it('still answers 409 for a taken name the client chose', async () => {
    await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: 'chosen' } }).expect(201);
    await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: 'chosen' } }).expect(409);
  });
});

describe('selectors as data', () => {
  it('lists in-process with the label and field selector strings a client sends', async () => {
    await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: 'sel-a', labels: { tier: 'web' } } }).expect(201);
    await t.api.post('/api/v1/namespaces/wp/configmaps').send({ metadata: { name: 'sel-b', labels: { tier: 'db' } } }).expect(201);
    const page = await t.nodeless.registry.list(configMaps, 'wp', { labelSelector: 'tier in (web,db),tier!=db' });
    expect(page.items.map((i) => JSON.parse(i.raw).metadata.name)).toEqual(['sel-a']);
    const byName = await t.nodeless.registry.list(configMaps, 'wp', { fieldSelector: 'metadata.name=sel-b' });
    expect(byName.items.map((i) => JSON.parse(i.raw).metadata.name)).toEqual(['sel-b']);
    await expect(t.nodeless.registry.list(configMaps, 'wp', { fieldSelector: 'spec.nope=1' })).rejects.toMatchObject({ code: 400 });
  });
});
