/**
 * Custom resources served like built-ins: each test states the kube-apiserver behaviour it
 * checks for CRDs and their custom resources, through the in-process HTTP API.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { WatchStream } from '../helpers/watch-stream';
import { CRDS, TABLE, WIDGET_SCHEMA, createEstablished, crdManifest, deleteAndWait } from './helpers';

let t: TestServer;
let server: http.Server;
let port: number;

beforeAll(async () => {
  t = await startTestServer();
  server = await t.nodeless.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => t.close());

/** storageVersionHash is kube's discovery hash: base64 of the first 8 bytes of sha256(group/version/kind). */
const storageVersionHash = (gvk: string) => createHash('sha256').update(gvk).digest().subarray(0, 8).toString('base64');

const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';
const widget = (name: string, spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec: { replicas: 1, ...spec },
  ...extra,
});

describe('a CRD and its custom resources', () => {
  beforeAll(async () => {
    await createEstablished(
      t.api,
      crdManifest({
        shortNames: ['wd'],
        categories: ['all', 'gadgets'],
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        columns: [
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Color', type: 'string', jsonPath: '.spec.color', priority: 1 },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ],
      }),
    );
  });

  it('reports NamesAccepted and Established with the accepted names and the stored version', async () => {
    const crd = (await t.api.get(`${CRDS}/widgets.example.com`).expect(200)).body;
    expect(crd.status.acceptedNames).toEqual({ plural: 'widgets', singular: 'widget', shortNames: ['wd'], kind: 'Widget', listKind: 'WidgetList', categories: ['all', 'gadgets'] });
    expect(crd.status.storedVersions).toEqual(['v1']);
    expect(crd.status.conditions).toEqual([
      expect.objectContaining({ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }),
      expect.objectContaining({ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }),
    ]);
    expect(crd.spec.names).toMatchObject({ singular: 'widget', listKind: 'WidgetList' });
    expect(crd.spec.conversion).toEqual({ strategy: 'None' });
  });

  it('lists the resource in discovery with its verbs, short names, categories, singular and subresources', async () => {
    const list = (await t.api.get('/apis/example.com/v1').expect(200)).body;
    expect(list.resources).toEqual([
      { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'], shortNames: ['wd'], categories: ['all', 'gadgets'], storageVersionHash: storageVersionHash('example.com/v1/Widget') },
      expect.objectContaining({ name: 'widgets/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' }),
      expect.objectContaining({ name: 'widgets/status', kind: 'Widget' }),
    ]);
    const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; preferredVersion: { version: string } }>;
    expect(groups.find((g) => g.name === 'example.com')?.preferredVersion.version).toBe('v1');
  });

  it('creates, reads, lists, updates, patches and deletes custom resources', async () => {
    const created = (await t.api.post(WIDGETS).send(widget('crud', { color: 'red' })).expect(201)).body;
    expect(created).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'crud', namespace: 'default', generation: 1 }, spec: { replicas: 1, color: 'red', size: 'M' } });
    expect(created.metadata.uid).toBeTruthy();
    const got = (await t.api.get(`${WIDGETS}/crud`).expect(200)).body;
    expect(got).toEqual(created);
    const list = (await t.api.get(WIDGETS).expect(200)).body;
    expect(list).toMatchObject({ kind: 'WidgetList', apiVersion: 'example.com/v1' });
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('crud');
    got.spec.color = 'blue';
    const updated = (await t.api.put(`${WIDGETS}/crud`).send(got).expect(200)).body;
    expect(updated.spec.color).toBe('blue');
    const merged = (await t.api.patch(`${WIDGETS}/crud`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 4 } }).expect(200)).body;
    expect(merged.spec).toMatchObject({ replicas: 4, color: 'blue' });
    const jsonPatched = (await t.api.patch(`${WIDGETS}/crud`).set('Content-Type', 'application/json-patch+json').send([{ op: 'replace', path: '/spec/color', value: 'green' }]).expect(200)).body;
    expect(jsonPatched.spec.color).toBe('green');
    await t.api.patch(`${WIDGETS}/crud`).set('Content-Type', 'application/strategic-merge-patch+json').send({ spec: { replicas: 1 } }).expect(415);
    const deleted = (await t.api.delete(`${WIDGETS}/crud`).expect(200)).body;
    expect(deleted).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'crud', group: 'example.com', kind: 'widgets' } });
    await t.api.get(`${WIDGETS}/crud`).expect(404);
  });

  it('sets generation 1 on create and bumps it only on spec changes when status is a subresource', async () => {
    await t.api.post(WIDGETS).send(widget('gen')).expect(201);
    const labelled = (await t.api.patch(`${WIDGETS}/gen`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { labels: { a: 'b' } } }).expect(200)).body;
    expect(labelled.metadata.generation).toBe(1);
    const status = (await t.api.patch(`${WIDGETS}/gen/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { phase: 'Running' } }).expect(200)).body;
    expect(status.metadata.generation).toBe(1);
    const spec = (await t.api.patch(`${WIDGETS}/gen`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 2 } }).expect(200)).body;
    expect(spec.metadata.generation).toBe(2);
  });

  it('ignores status on the main resource and everything but status on /status', async () => {
    const created = (await t.api.post(WIDGETS).send(widget('st', {}, { status: { phase: 'Lying' } })).expect(201)).body;
    expect(created.status).toBeUndefined();
    const put = (await t.api.put(`${WIDGETS}/st`).send({ ...created, status: { phase: 'Ignored' } }).expect(200)).body;
    expect(put.status).toBeUndefined();
    const viaStatus = (
      await t.api
        .put(`${WIDGETS}/st/status`)
        .send({ ...put, metadata: { ...put.metadata, labels: { sneaky: 'yes' } }, spec: { replicas: 9 }, status: { phase: 'Running', replicas: 1 } })
        .expect(200)
    ).body;
    expect(viaStatus.status).toEqual({ phase: 'Running', replicas: 1 });
    expect(viaStatus.spec.replicas).toBe(1);
    expect(viaStatus.metadata.labels).toBeUndefined();
    expect((await t.api.get(`${WIDGETS}/st/status`).expect(200)).body.status.phase).toBe('Running');
  });

  it('serves the scale subresource from the declared replica and selector paths', async () => {
    await t.api.post(WIDGETS).send(widget('sc', { replicas: 2 })).expect(201);
    await t.api.patch(`${WIDGETS}/sc/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { replicas: 2, selector: 'app=sc' } }).expect(200);
    const scale = (await t.api.get(`${WIDGETS}/sc/scale`).expect(200)).body;
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'sc', namespace: 'default' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=sc' } });
    const scaled = (await t.api.patch(`${WIDGETS}/sc/scale`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 5 } }).expect(200)).body;
    expect(scaled.spec.replicas).toBe(5);
    const after = (await t.api.get(`${WIDGETS}/sc`).expect(200)).body;
    expect(after.spec.replicas).toBe(5);
    expect(after.metadata.generation).toBe(2);
    await t.api.put(`${WIDGETS}/sc/scale`).send({ ...scale, metadata: { name: 'sc' }, spec: { replicas: -1 } }).expect(422);
  });

  it('refuses schema violations with 422 Invalid naming each field path', async () => {
    const res = await t.api.post(WIDGETS).send(widget('bad', { replicas: 'three', color: 'purple', port: true })).expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { name: 'bad', group: 'example.com', kind: 'Widget' } });
    expect(res.body.message).toContain('Widget.example.com "bad" is invalid: [');
    expect(res.body.details.causes).toEqual(
      expect.arrayContaining([
        { reason: 'FieldValueTypeInvalid', field: 'spec.replicas', message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"' },
        { reason: 'FieldValueNotSupported', field: 'spec.color', message: 'Unsupported value: "purple": supported values: "red", "green", "blue"' },
        { reason: 'FieldValueTypeInvalid', field: 'spec.port', message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"' },
      ]),
    );
    const negative = await t.api.post(WIDGETS).send(widget('neg', { replicas: -1 })).expect(422);
    // As customResourceValidator.Validate does, the scale subresource's check follows the schema's.
    expect(negative.body.message).toBe(
      'Widget.example.com "neg" is invalid: [spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0, .spec.replicas: Invalid value: -1: should be a non-negative integer]',
    );
    await t.api.post(WIDGETS).send(widget('okport', { port: 'http', note: null })).expect(201);
  });

  it('prunes unknown fields with a warning, refuses them under fieldValidation=Strict and drops them silently under Ignore', async () => {
    const warned = await t.api.post(WIDGETS).send({ ...widget('unk', { extra: 1 }), top: true }).expect(201);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"spec.extra\\"", 299 - "unknown field \\"top\\""');
    expect(warned.body.spec.extra).toBeUndefined();
    expect(warned.body.top).toBeUndefined();
    const strict = await t.api.post(`${WIDGETS}?fieldValidation=Strict`).send(widget('strict', { extra: 1 })).expect(400);
    expect(strict.body.message).toBe('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.extra"');
    const ignored = await t.api.post(`${WIDGETS}?fieldValidation=Ignore`).send({ ...widget('ign', { extra: 1 }), metadata: { name: 'ign', bogus: 1 } }).expect(201);
    expect(ignored.headers.warning).toBeUndefined();
    expect(ignored.body.metadata.bogus).toBeUndefined();
  });

  it('applies schema defaults on create and on update', async () => {
    const created = (await t.api.post(WIDGETS).send(widget('def')).expect(201)).body;
    expect(created.spec.size).toBe('M');
    const cleared = (await t.api.put(`${WIDGETS}/def`).send({ ...created, spec: { replicas: 1 } }).expect(200)).body;
    expect(cleared.spec.size).toBe('M');
  });

  it('prints NAME, the printer columns and wide columns in tables', async () => {
    await t.api.post(WIDGETS).send(widget('tab', { replicas: 3, color: 'red' })).expect(201);
    const table = (await t.api.get(`${WIDGETS}?fieldSelector=metadata.name=tab`).set('Accept', TABLE).expect(200)).body;
    expect(table.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Replicas', 0],
      ['Color', 1],
      ['Phase', 0],
    ]);
    expect(table.rows).toEqual([expect.objectContaining({ cells: ['tab', 3, 'red', null] })]);
  });

  it('selects by labels and by metadata fields, and pages with limit and continue', async () => {
    for (const n of ['p1', 'p2', 'p3']) await t.api.post(WIDGETS).send({ ...widget(n), metadata: { name: n, labels: { page: 'yes' } } }).expect(201);
    const first = (await t.api.get(`${WIDGETS}?labelSelector=page%3Dyes&limit=2`).expect(200)).body;
    expect(first.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p1', 'p2']);
    expect(first.metadata.continue).toBeTruthy();
    const second = (await t.api.get(`${WIDGETS}?labelSelector=page%3Dyes&limit=2&continue=${encodeURIComponent(first.metadata.continue)}`).expect(200)).body;
    expect(second.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p3']);
    const byName = (await t.api.get(`/apis/example.com/v1/widgets?fieldSelector=metadata.name%3Dp2`).expect(200)).body;
    expect(byName.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p2']);
    await t.api.get(`${WIDGETS}?fieldSelector=spec.color%3Dred`).expect(400);
  });

  it('watches custom resources from a resourceVersion: only later events arrive', async () => {
    const before = (await t.api.post(WIDGETS).send(widget('w-before')).expect(201)).body;
    const w = await WatchStream.open(`http://127.0.0.1:${port}`, WIDGETS, { resourceVersion: before.metadata.resourceVersion });
    try {
      await t.api.post(WIDGETS).send(widget('w-after')).expect(201);
      await t.api.patch(`${WIDGETS}/w-after`).set('Content-Type', 'application/merge-patch+json').send({ spec: { color: 'red' } }).expect(200);
      await t.api.delete(`${WIDGETS}/w-after`).expect(200);
      const any = () => w.next('a watch event', (e) => e.type !== 'BOOKMARK');
      const events = [await any(), await any(), await any()];
      expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'w-after'],
        ['MODIFIED', 'w-after'],
        ['DELETED', 'w-after'],
      ]);
      expect(events[1].object).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget', spec: { color: 'red' } });
    } finally {
      w.close();
    }
  });

  it('applies a changed schema to new writes, not to stored objects', async () => {
    await t.api.post(WIDGETS).send(widget('old-shape', { selector: 'kept' })).expect(201);
    const crd = (await t.api.get(`${CRDS}/widgets.example.com`).expect(200)).body;
    const schema = structuredClone(WIDGET_SCHEMA) as { properties: { spec: { properties: Record<string, unknown> } } };
    schema.properties.spec.properties.selector = { type: 'string', maxLength: 3 };
    crd.spec.versions[0].schema.openAPIV3Schema = schema;
    const updated = (await t.api.put(`${CRDS}/widgets.example.com`).send(crd).expect(200)).body;
    expect(updated.metadata.generation).toBe(2);
    await waitFor(async () => (await t.api.post(WIDGETS).send(widget('new-shape', { selector: 'toolong' }))).status === 422, 'the new schema to apply');
    expect((await t.api.get(`${WIDGETS}/old-shape`).expect(200)).body.spec.selector).toBe('kept');
  });
});

describe('several versions with conversion None', () => {
  const V1 = '/apis/multi.example.com/v1/namespaces/default/gizmos';
  const V1BETA1 = '/apis/multi.example.com/v1beta1/namespaces/default/gizmos';

  beforeAll(async () => {
    await createEstablished(t.api, crdManifest({ group: 'multi.example.com', kind: 'Gizmo', versions: [['v1beta1', true, false], ['v1', true, true]] }));
  });

  it('serves the same objects under every served version, each with its own apiVersion', async () => {
    const created = (await t.api.post(V1BETA1).send({ apiVersion: 'multi.example.com/v1beta1', kind: 'Gizmo', metadata: { name: 'g1' }, spec: { replicas: 2 } }).expect(201)).body;
    expect(created.apiVersion).toBe('multi.example.com/v1beta1');
    const v1 = (await t.api.get(`${V1}/g1`).expect(200)).body;
    expect(v1).toMatchObject({ apiVersion: 'multi.example.com/v1', kind: 'Gizmo', spec: { replicas: 2 } });
    const list = (await t.api.get(V1BETA1).expect(200)).body;
    expect(list.apiVersion).toBe('multi.example.com/v1beta1');
    expect(list.items[0].apiVersion).toBe('multi.example.com/v1beta1');
    await t.api.patch(`${V1}/g1`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 3 } }).expect(200);
    expect((await t.api.get(`${V1BETA1}/g1`).expect(200)).body.spec.replicas).toBe(3);
    await t.api.post(V1).send({ apiVersion: 'multi.example.com/v1beta1', kind: 'Gizmo', metadata: { name: 'g2' } }).expect(400);
  });

  it('lists every served version in discovery with the storage version preferred', async () => {
    const group = (await t.api.get('/apis/multi.example.com').expect(200)).body;
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group.preferredVersion.version).toBe('v1');
  });

  it('lists both versions in discovery with the storageVersionHash of the storage version', async () => {
    const hashOf = async (version: string) =>
      ((await t.api.get(`/apis/multi.example.com/${version}`).expect(200)).body.resources as Array<{ name: string; storageVersionHash?: string }>)
        .find((r) => r.name === 'gizmos')?.storageVersionHash;
    const expected = storageVersionHash('multi.example.com/v1/Gizmo');
    expect(await hashOf('v1')).toBe(expected);
    expect(await hashOf('v1beta1')).toBe(expected);
  });

  it('stops serving a version set to served: false, and records a new storage version in storedVersions', async () => {
    const crd = (await t.api.get(`${CRDS}/gizmos.multi.example.com`).expect(200)).body;
    crd.spec.versions[0].served = false;
    await t.api.put(`${CRDS}/gizmos.multi.example.com`).send(crd).expect(200);
    await waitFor(async () => (await t.api.get(V1BETA1)).status === 404, 'v1beta1 to stop being served');
    await t.api.get(`${V1}/g1`).expect(200);
    const again = (await t.api.get(`${CRDS}/gizmos.multi.example.com`).expect(200)).body;
    again.spec.versions = [{ ...again.spec.versions[0], served: true, storage: true }, { ...again.spec.versions[1], storage: false }];
    const updated = (await t.api.put(`${CRDS}/gizmos.multi.example.com`).send(again).expect(200)).body;
    expect(updated.status.storedVersions).toEqual(['v1', 'v1beta1']);
  });
});

describe('deprecated versions', () => {
  const base = '/apis/old.example.com';
  beforeAll(async () => {
    const crd = crdManifest({ group: 'old.example.com', kind: 'Relic', versions: [['v1alpha1', true, false], ['v1beta1', true, false], ['v1', true, true], ['v2alpha1', true, false]] });
    const versions = (crd.spec as { versions: Array<Record<string, unknown>> }).versions;
    versions[0].deprecated = true;
    versions[0].deprecationWarning = 'old.example.com/v1alpha1 Relic is going away; move to v1';
    versions[1].deprecated = true;
    await createEstablished(t.api, crd);
  });

  it('answers every request to a deprecated version with kube\'s default Warning, naming the newest served version', async () => {
    const list = await t.api.get(`${base}/v1beta1/namespaces/default/relics`).expect(200);
    // v2alpha1 ranks below v1 (GA before alpha), so v1 is the version to use.
    expect(list.headers.warning).toBe('299 - "old.example.com/v1beta1 Relic is deprecated; use old.example.com/v1 Relic"');
    const created = await t.api.post(`${base}/v1beta1/namespaces/default/relics`).send({ apiVersion: 'old.example.com/v1beta1', kind: 'Relic', metadata: { name: 'r1' } }).expect(201);
    expect(created.headers.warning).toBe(list.headers.warning);
    const missing = await t.api.get(`${base}/v1beta1/namespaces/default/relics/none`).expect(404);
    expect(missing.headers.warning).toBe(list.headers.warning);
    // This CRD has no status subresource: the 404 still warns, as kube adds the warning first.
    const status = await t.api.get(`${base}/v1beta1/namespaces/default/relics/r1/status`).expect(404);
    expect(status.headers.warning).toBe(list.headers.warning);
  });

  it('sends the CRD\'s own deprecationWarning when it sets one, before any other warning', async () => {
    const res = await t.api
      .post(`${base}/v1alpha1/namespaces/default/relics?fieldValidation=Warn`)
      .send({ apiVersion: 'old.example.com/v1alpha1', kind: 'Relic', metadata: { name: 'r2' }, spec: { bogus: 1 } })
      .expect(201);
    expect(res.headers.warning).toBe('299 - "old.example.com/v1alpha1 Relic is going away; move to v1", 299 - "unknown field \\"spec.bogus\\""');
  });

  it('sends no Warning for versions that are not deprecated', async () => {
    const res = await t.api.get(`${base}/v1/namespaces/default/relics`).expect(200);
    expect(res.headers.warning).toBeUndefined();
  });
});

describe('CRD deletion', () => {
  const THINGS = '/apis/del.example.com/v1/namespaces';

  it('deletes every custom resource of a deleted CRD, then the CRD, and stops serving its paths', async () => {
    await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'del-a' } }).expect(201);
    await createEstablished(t.api, crdManifest({ group: 'del.example.com', kind: 'Thing' }));
    for (const ns of ['default', 'del-a']) {
      await t.api.post(`${THINGS}/${ns}/things`).send({ apiVersion: 'del.example.com/v1', kind: 'Thing', metadata: { name: `t-${ns}` } }).expect(201);
    }
    await deleteAndWait(t.api, 'things.del.example.com');
    await t.api.get(`${THINGS}/default/things`).expect(404);
    await t.api.get('/apis/del.example.com/v1').expect(404);
    // Nothing of the old resources is left in storage: a new CRD of the same name starts empty.
    await createEstablished(t.api, crdManifest({ group: 'del.example.com', kind: 'Thing' }));
    expect((await t.api.get('/apis/del.example.com/v1/things').expect(200)).body.items).toEqual([]);
    await deleteAndWait(t.api, 'things.del.example.com');
  });

  it('ends open watches of the custom resources when their CRD is deleted, after their DELETED events', async () => {
    await createEstablished(t.api, crdManifest({ group: 'watched.example.com', kind: 'Thing' }));
    const path = '/apis/watched.example.com/v1/namespaces/default/things';
    await t.api.post(path).send({ apiVersion: 'watched.example.com/v1', kind: 'Thing', metadata: { name: 'seen' } }).expect(201);
    const w = await WatchStream.open(`http://127.0.0.1:${port}`, path, {});
    try {
      await w.next('the initial ADDED event', (e) => e.type === 'ADDED' && e.object.metadata.name === 'seen');
      await deleteAndWait(t.api, 'things.watched.example.com');
      await w.next('the DELETED event of the custom resource', (e) => e.type === 'DELETED' && e.object.metadata.name === 'seen');
      await waitFor(() => w.ended, 'the watch to end');
    } finally {
      w.close();
    }
  });

  it('keeps a deleted CRD Terminating while a finalizer holds one of its custom resources, and refuses new ones', async () => {
    await createEstablished(t.api, crdManifest({ group: 'fin.example.com', kind: 'Thing' }));
    const path = '/apis/fin.example.com/v1/namespaces/default/things';
    await t.api.post(path).send({ apiVersion: 'fin.example.com/v1', kind: 'Thing', metadata: { name: 'held', finalizers: ['example.com/hold'] } }).expect(201);
    await t.api.delete(`${CRDS}/things.fin.example.com`).expect(200);
    const terminating = await waitFor(async () => {
      const crd = (await t.api.get(`${CRDS}/things.fin.example.com`)).body;
      const c = (crd.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Terminating');
      return c?.reason === 'InstanceDeletionCheck' ? crd : undefined;
    }, 'the CRD to wait for its instances');
    expect(terminating.metadata.deletionTimestamp).toBeTruthy();
    const refused = await t.api.post(path).send({ apiVersion: 'fin.example.com/v1', kind: 'Thing', metadata: { name: 'late' } }).expect(405);
    expect(refused.body.message).toBe('create not allowed while custom resource definition is terminating');
    await t.api.patch(`${path}/held`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { finalizers: null } }).expect(200);
    await waitFor(async () => (await t.api.get(`${CRDS}/things.fin.example.com`)).status === 404, 'the CRD to go');
    await t.api.get(path).expect(404);
  });

  it('deletes custom resources of a namespace being deleted', async () => {
    await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'ns-crs' } }).expect(201);
    await createEstablished(t.api, crdManifest({ group: 'nsdel.example.com', kind: 'Thing' }));
    const path = '/apis/nsdel.example.com/v1/namespaces/ns-crs/things';
    await t.api.post(path).send({ apiVersion: 'nsdel.example.com/v1', kind: 'Thing', metadata: { name: 'in-ns' } }).expect(201);
    await t.api.delete('/api/v1/namespaces/ns-crs').expect(200);
    await waitFor(async () => (await t.api.get('/api/v1/namespaces/ns-crs')).status === 404, 'the namespace to go');
    expect((await t.api.get('/apis/nsdel.example.com/v1/things').expect(200)).body.items).toEqual([]);
  });
});

describe('names, scope and publication', () => {
  it('refuses names another CRD of the group holds: NamesAccepted False and not served', async () => {
    await createEstablished(t.api, crdManifest({ group: 'names.example.com', kind: 'Alpha', plural: 'alphas', shortNames: ['al'] }));
    await t.api.post(CRDS).send(crdManifest({ group: 'names.example.com', kind: 'Beta', plural: 'betas', shortNames: ['al'] })).expect(201);
    const crd = await waitFor(async () => {
      const got = (await t.api.get(`${CRDS}/betas.names.example.com`)).body;
      return (got.status?.conditions ?? []).some((c: { type: string }) => c.type === 'NamesAccepted') ? got : undefined;
    }, 'the naming decision');
    expect(crd.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'NamesAccepted', status: 'False', reason: 'ShortNamesConflict', message: '"al" is already in use' }),
        expect.objectContaining({ type: 'Established', status: 'False', reason: 'NotAccepted' }),
      ]),
    );
    await t.api.get('/apis/names.example.com/v1/betas').expect(404);
    // Once the other CRD goes, the names are free and the waiting CRD is established.
    await deleteAndWait(t.api, 'alphas.names.example.com');
    await waitFor(async () => (await t.api.get('/apis/names.example.com/v1/betas')).status === 200, 'the freed names to be accepted');
  });

  it('selects custom resources by the selectable fields a version declares', async () => {
    const crd = crdManifest({ group: 'select.example.com', kind: 'Pick' }) as { spec: { versions: Array<Record<string, unknown>> } };
    crd.spec.versions[0].selectableFields = [{ jsonPath: '.spec.color' }, { jsonPath: '.spec.replicas' }];
    await createEstablished(t.api, crd);
    const path = '/apis/select.example.com/v1/namespaces/default/picks';
    for (const [name, color] of [['red-one', 'red'], ['blue-one', 'blue'], ['no-color', undefined]] as const) {
      await t.api.post(path).send({ apiVersion: 'select.example.com/v1', kind: 'Pick', metadata: { name }, spec: { replicas: 1, ...(color ? { color } : {}) } }).expect(201);
    }
    const names = async (selector: string) => (await t.api.get(`${path}?fieldSelector=${encodeURIComponent(selector)}`).expect(200)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await names('spec.color=red')).toEqual(['red-one']);
    expect(await names('spec.color!=red')).toEqual(['blue-one', 'no-color']);
    expect(await names('spec.replicas=1,metadata.name=blue-one')).toEqual(['blue-one']);
    await t.api.get(`${path}?fieldSelector=spec.size%3DM`).expect(400);
  });

  it('serves cluster-scoped custom resources without a namespace', async () => {
    await createEstablished(t.api, crdManifest({ group: 'cluster.example.com', kind: 'Realm', scope: 'Cluster' }));
    const created = (await t.api.post('/apis/cluster.example.com/v1/realms').send({ apiVersion: 'cluster.example.com/v1', kind: 'Realm', metadata: { name: 'r1' } }).expect(201)).body;
    expect(created.metadata.namespace).toBeUndefined();
    await t.api.get('/apis/cluster.example.com/v1/namespaces/default/realms/r1').expect(404);
    await t.api.get('/apis/cluster.example.com/v1/realms/r1').expect(200);
  });

  it('publishes each served version in OpenAPI v2 and v3, and drops it when the CRD goes', async () => {
    await createEstablished(t.api, crdManifest({ group: 'pub.example.com', kind: 'Doc' }));
    const v2 = JSON.parse((await t.api.get('/openapi/v2').expect(200)).text);
    const def = v2.definitions['com.example.pub.v1.Doc'];
    expect(def['x-kubernetes-group-version-kind']).toEqual([{ group: 'pub.example.com', version: 'v1', kind: 'Doc' }]);
    expect(def.properties.spec.properties.replicas).toEqual({ type: 'integer', minimum: 0, description: 'How many widgets.' });
    expect(v2.paths['/apis/pub.example.com/v1/namespaces/{namespace}/docs']).toBeDefined();
    const v3 = JSON.parse((await t.api.get('/openapi/v3/apis/pub.example.com/v1').expect(200)).text);
    expect(v3.components.schemas['com.example.pub.v1.Doc'].properties.spec.properties.size).toEqual({ type: 'string', default: 'M' });
    await deleteAndWait(t.api, 'docs.pub.example.com');
    await waitFor(async () => !JSON.parse((await t.api.get('/openapi/v2')).text).definitions['com.example.pub.v1.Doc'], 'the definition to go');
    await t.api.get('/openapi/v3/apis/pub.example.com/v1').expect(404);
  });

  it('enforces x-kubernetes-validations rules on custom resources', async () => {
    const schema = structuredClone(WIDGET_SCHEMA) as Record<string, any>;
    schema.properties.spec['x-kubernetes-validations'] = [{ rule: 'self.replicas <= 10', message: 'too many' }];
    await createEstablished(t.api, crdManifest({ group: 'cel.example.com', kind: 'Rule', schema }));
    const res = await t.api.post('/apis/cel.example.com/v1/namespaces/default/rules').send({ apiVersion: 'cel.example.com/v1', kind: 'Rule', metadata: { name: 'r' }, spec: { replicas: 50 } }).expect(422);
    expect(res.body.message).toBe('Rule.cel.example.com "r" is invalid: spec: Invalid value: "object": too many');
    await t.api.post('/apis/cel.example.com/v1/namespaces/default/rules').send({ apiVersion: 'cel.example.com/v1', kind: 'Rule', metadata: { name: 'r' }, spec: { replicas: 5 } }).expect(201);
  });

  it('evaluates rules on status and scale subresource writes, with oldSelf from the stored object', async () => {
    const schema = structuredClone(WIDGET_SCHEMA) as Record<string, any>;
    schema.properties.spec['x-kubernetes-validations'] = [{ rule: 'self.replicas <= 5', message: 'at most 5 replicas' }];
    schema.properties.status.properties.phase['x-kubernetes-validations'] = [{ rule: "oldSelf != 'Done' || self == 'Done'", message: 'a Done widget stays Done' }];
    await createEstablished(t.api, crdManifest({
      group: 'celsub.example.com', kind: 'Gizmo', schema,
      subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    }));
    const base = '/apis/celsub.example.com/v1/namespaces/default/gizmos';
    await t.api.post(base).send({ apiVersion: 'celsub.example.com/v1', kind: 'Gizmo', metadata: { name: 'g' }, spec: { replicas: 1 } }).expect(201);
    const scaled = await t.api.patch(`${base}/g/scale`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 9 } }).expect(422);
    expect(scaled.body.details.causes).toContainEqual({ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": at most 5 replicas' });
    await t.api.patch(`${base}/g/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { phase: 'Done' } }).expect(200);
    const back = await t.api.patch(`${base}/g/status`).set('Content-Type', 'application/merge-patch+json').send({ status: { phase: 'Running' } }).expect(422);
    expect(back.body.details.causes).toContainEqual({ reason: 'FieldValueInvalid', field: 'status.phase', message: 'Invalid value: "string": a Done widget stays Done' });
  });

  it('refuses an invalid CRD with 422 and the field path', async () => {
    const bad = crdManifest({ group: 'bad.example.com', kind: 'Bad', schema: { type: 'object', properties: { spec: { properties: {} } } } });
    const res = await t.api.post(CRDS).send(bad).expect(422);
    expect(res.body.message).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "bads.bad.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    );
  });
});

describe('restart', () => {
  it('serves the custom resources of stored CRDs as soon as the server is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-crd-'));
    const db = path.join(dir, 'db.sqlite');
    try {
      const first = await startTestServer({ databasePath: db });
      await createEstablished(first.api, crdManifest({ group: 'keep.example.com', kind: 'Keeper' }));
      await first.api.post('/apis/keep.example.com/v1/namespaces/default/keepers').send({ apiVersion: 'keep.example.com/v1', kind: 'Keeper', metadata: { name: 'k' } }).expect(201);
      await first.close();
      const second = await startTestServer({ databasePath: db });
      try {
        await second.api.get('/apis/keep.example.com/v1/namespaces/default/keepers/k').expect(200);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
