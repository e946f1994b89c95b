/**
 * Conformance: the crd rows of CONFORMANCE.md, each named by its upstream codename
 * (test/e2e/apimachinery/custom_resource_definition.go, crd_watch.go, crd_publish_openapi.go,
 * discovery.go, field_validation.go), run against the in-process HTTP API. The rows that need
 * kubectl (explain, client-side validation) are in test/e2e/crd.test.ts. The FieldValidation
 * rows send their bodies with server-side apply upstream; here the accepted ones are sent both
 * ways, and the refused ones through POST with fieldValidation=Strict, whose strict decoding
 * errors name the same fields (upstream's apply wording, "field not declared in schema", is the
 * server-side apply engine's).
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { WatchStream } from '../helpers/watch-stream';
import { CRDS, createEstablished, crdManifest, deleteAndWait } from './helpers';

let t: TestServer;
let server: http.Server;
let port: number;
let seq = 0;

beforeAll(async () => {
  t = await startTestServer();
  server = await t.nodeless.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => t.close());

// randomCRD mirrors fixtures.NewRandomNameV1CustomResourceDefinition: a fresh group and kind.
function randomCRD(scope: 'Namespaced' | 'Cluster' = 'Cluster', schema: Record<string, unknown> = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) {
  seq++;
  return crdManifest({ group: `mygroup${seq}.example.com`, kind: `Noxu${seq}`, plural: `noxus${seq}`, scope, schema });
}

const crdName = (crd: Record<string, unknown>) => (crd.metadata as { name: string }).name;
const groupOf = (crd: Record<string, any>) => crd.spec.group as string;
const pluralOf = (crd: Record<string, any>) => crd.spec.names.plural as string;
const kindOf = (crd: Record<string, any>) => crd.spec.names.kind as string;

describe('[sig-api-machinery] CustomResourceDefinition resources [Privileged:ClusterAdmin]', () => {
  it('Simple CustomResourceDefinition creating/deleting custom resource definition objects works [Conformance]', async () => {
    const crd = randomCRD();
    await createEstablished(t.api, crd);
    await t.api.delete(`${CRDS}/${crdName(crd)}`).expect((r) => expect([200, 202]).toContain(r.status));
    await waitFor(async () => (await t.api.get(`${CRDS}/${crdName(crd)}`)).status === 404, 'the CRD to be deleted');
  });

  it('Simple CustomResourceDefinition getting/updating/patching custom resource definition status sub-resource works [Conformance]', async () => {
    const crd = randomCRD();
    const created = await createEstablished(t.api, crd);
    const status = (await t.api.get(`${CRDS}/${crdName(crd)}/status`).expect(200)).body;
    expect(status.spec).toEqual((created as { spec: unknown }).spec);
    // Upstream appends a condition carrying only a message; the built-in schema of
    // CustomResourceDefinitionCondition requires type and status here, so this one sets them.
    const updateCondition = { type: 'E2EUpdated', status: 'True', message: 'updated' };
    status.status.conditions = [...status.status.conditions, updateCondition];
    const updated = (await t.api.put(`${CRDS}/${crdName(crd)}/status`).send(status).expect(200)).body;
    expect(updated.status.conditions).toContainEqual(updateCondition);
    const patchCondition = { type: 'E2EPatched', status: 'True', message: 'patched' };
    const patched = (
      await t.api
        .patch(`${CRDS}/${crdName(crd)}/status`)
        .set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'add', path: '/status/conditions', value: [patchCondition] }])
        .expect(200)
    ).body;
    expect(patched.status.conditions).toContainEqual(patchCondition);
    await deleteAndWait(t.api, crdName(crd));
  });

  it('Simple CustomResourceDefinition listing custom resource definition objects works [Conformance]', async () => {
    const uuid = `list-${Date.now()}`;
    const labelled = Array.from({ length: 10 }, () => {
      const crd = randomCRD();
      (crd.metadata as { labels?: Record<string, string> }).labels = { 'e2e-list-test-uuid': uuid };
      return crd;
    });
    for (const crd of labelled) await t.api.post(CRDS).send(crd).expect(201);
    const other = randomCRD();
    await t.api.post(CRDS).send(other).expect(201);
    const list = (await t.api.get(`${CRDS}?labelSelector=e2e-list-test-uuid%3D${uuid}`).expect(200)).body;
    expect(list.items).toHaveLength(10);
    for (const item of list.items) {
      const expected = labelled.find((c) => crdName(c) === item.metadata.name) as { spec: { names: object } } | undefined;
      expect(expected).toBeDefined();
      expect(item.spec.names).toMatchObject(expected!.spec.names);
    }
    await t.api.delete(`${CRDS}?labelSelector=e2e-list-test-uuid%3D${uuid}`).expect(200);
    await waitFor(async () => (await t.api.get(`${CRDS}?labelSelector=e2e-list-test-uuid%3D${uuid}`)).body.items.length === 0, 'the labelled CRDs to go');
    await t.api.get(`${CRDS}/${crdName(other)}`).expect(200);
    await deleteAndWait(t.api, crdName(other));
  });

  it('custom resource defaulting for requests and from storage works [Conformance]', async () => {
    const crd = randomCRD('Cluster', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } });
    await createEstablished(t.api, crd);
    const path = `/apis/${groupOf(crd)}/v1/${pluralOf(crd)}`;
    const cr = (name: string) => ({ apiVersion: `${groupOf(crd)}/v1`, kind: kindOf(crd), metadata: { name } });
    await t.api.post(path).send(cr('cr-1')).expect(201);
    await t.api
      .patch(`${CRDS}/${crdName(crd)}`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'add', path: '/spec/versions/0/schema/openAPIV3Schema/properties/a/default', value: 'A' }])
      .expect(200);
    await waitFor(async () => (await t.api.get(`${path}/cr-1`)).body.a === 'A', 'cr-1 to be defaulted on read');
    const second = (await t.api.post(path).send(cr('cr-2')).expect(201)).body;
    expect(second.a).toBe('A');
    await t.api
      .patch(`${CRDS}/${crdName(crd)}`)
      .set('Content-Type', 'application/json-patch+json')
      .send([
        { op: 'remove', path: '/spec/versions/0/schema/openAPIV3Schema/properties/a/default' },
        { op: 'add', path: '/spec/versions/0/schema/openAPIV3Schema/properties/b/default', value: 'B' },
      ])
      .expect(200);
    const read = await waitFor(async () => {
      const got = (await t.api.get(`${path}/cr-2`)).body;
      return got.b === 'B' ? got : undefined;
    }, 'cr-2 to be defaulted on read for b');
    expect(read.a).toBe('A');
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should include custom resource definition resources in discovery documents [Conformance]', async () => {
    const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; versions: Array<{ version: string }> }>;
    expect(groups.find((g) => g.name === 'apiextensions.k8s.io')?.versions.map((v) => v.version)).toContain('v1');
    const group = (await t.api.get('/apis/apiextensions.k8s.io').expect(200)).body;
    expect(group.name).toBe('apiextensions.k8s.io');
    expect(group.versions.map((v: { version: string }) => v.version)).toContain('v1');
    const resources = (await t.api.get('/apis/apiextensions.k8s.io/v1').expect(200)).body;
    expect(resources.groupVersion).toBe('apiextensions.k8s.io/v1');
    expect(resources.resources.map((r: { name: string }) => r.name)).toContain('customresourcedefinitions');
  });
});

describe('[sig-api-machinery] CustomResourceDefinition Watch [Privileged:ClusterAdmin]', () => {
  it('CustomResourceDefinition Watch watch on custom resource definition objects [Conformance]', async () => {
    const crd = randomCRD();
    await createEstablished(t.api, crd);
    const path = `/apis/${groupOf(crd)}/v1/${pluralOf(crd)}`;
    const w = await WatchStream.open(`http://127.0.0.1:${port}`, path, {});
    const cr = (name: string) => ({ apiVersion: `${groupOf(crd)}/v1`, kind: kindOf(crd), metadata: { name }, content: { key: 'value' } });
    const expectEvent = async (type: string, name: string) => {
      const e = await w.next(`${type} ${name}`, (x) => x.type !== 'BOOKMARK');
      expect([e.type, e.object.metadata.name]).toEqual([type, name]);
      return e;
    };
    try {
      await t.api.post(path).send(cr('name1')).expect(201);
      await expectEvent('ADDED', 'name1');
      await t.api.post(path).send(cr('name2')).expect(201);
      await expectEvent('ADDED', 'name2');
      await t.api.patch(`${path}/name1`).set('Content-Type', 'application/merge-patch+json').send({ dummy: 'test' }).expect(200);
      expect((await expectEvent('MODIFIED', 'name1')).object.dummy).toBe('test');
      await t.api.patch(`${path}/name2`).set('Content-Type', 'application/merge-patch+json').send({ dummy: 'test' }).expect(200);
      await expectEvent('MODIFIED', 'name2');
      await t.api.delete(`${path}/name1`).expect(200);
      await expectEvent('DELETED', 'name1');
      await t.api.delete(`${path}/name2`).expect(200);
      await expectEvent('DELETED', 'name2');
    } finally {
      w.close();
    }
    await deleteAndWait(t.api, crdName(crd));
  });
});

describe('[sig-api-machinery] AggregatedDiscovery', () => {
  const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

  it('should support raw aggregated discovery request for CRDs [Conformance]', async () => {
    const crd = randomCRD('Namespaced');
    await createEstablished(t.api, crd);
    const res = await t.api.get('/apis').set('Accept', AGGREGATED).expect(200);
    expect(res.headers['content-type']).toContain('as=APIGroupDiscoveryList');
    const body = JSON.parse(res.text);
    const group = body.items.find((i: { metadata: { name: string } }) => i.metadata.name === groupOf(crd));
    expect(group.versions[0].version).toBe('v1');
    expect(group.versions[0].resources).toEqual([
      expect.objectContaining({ resource: pluralOf(crd), responseKind: { group: groupOf(crd), version: 'v1', kind: kindOf(crd) }, scope: 'Namespaced' }),
    ]);
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should support aggregated discovery interface for CRDs [Conformance]', async () => {
    const crd = randomCRD('Cluster');
    await createEstablished(t.api, crd);
    const found = await waitFor(async () => {
      const body = JSON.parse((await t.api.get('/apis').set('Accept', AGGREGATED)).text);
      const group = body.items.find((i: { metadata: { name: string } }) => i.metadata.name === groupOf(crd));
      return group?.versions.flatMap((v: { resources: Array<{ resource: string; scope: string }> }) => v.resources).find((r: { resource: string }) => r.resource === pluralOf(crd));
    }, 'the CRD in aggregated discovery');
    expect(found.scope).toBe('Cluster');
    await deleteAndWait(t.api, crdName(crd));
    const after = JSON.parse((await t.api.get('/apis').set('Accept', AGGREGATED)).text);
    expect(after.items.some((i: { metadata: { name: string } }) => i.metadata.name === groupOf(crd))).toBe(false);
  });
});

describe('[sig-api-machinery] CustomResourcePublishOpenAPI [Privileged:ClusterAdmin]', () => {
  const definitions = async () => JSON.parse((await t.api.get('/openapi/v2').expect(200)).text).definitions as Record<string, any>;
  const modelName = (group: string, version: string, kind: string) => `${group.split('.').reverse().join('.')}.${version}.${kind}`;

  // The Waldo schema of crd_publish_openapi.go; upstream compares the published definition with it.
  const WALDO = {
    description: 'Waldo CRD for Testing',
    type: 'object',
    properties: {
      spec: { description: 'Specification of Waldo', type: 'object', properties: { dummy: { description: 'Dummy property.', type: 'object' } } },
      status: { description: 'Status of Waldo', type: 'object', properties: { bars: { description: 'List of Bars and their statuses.', type: 'array', items: { type: 'object' } } } },
    },
  };
  // dropDefaults removes what the server adds to a published CRD schema, as upstream's helper does.
  const dropDefaults = (d: Record<string, any>) => {
    const { apiVersion: _a, kind: _k, metadata: _m, ...properties } = d.properties;
    const { 'x-kubernetes-group-version-kind': _gvk, ...rest } = d;
    return { ...rest, properties };
  };

  it('works for multiple CRDs of different groups [Conformance]', async () => {
    const a = randomCRD('Namespaced', WALDO);
    const b = randomCRD('Namespaced', WALDO);
    await createEstablished(t.api, a);
    await createEstablished(t.api, b);
    const defs = await definitions();
    expect(dropDefaults(defs[modelName(groupOf(a), 'v1', kindOf(a))])).toEqual(WALDO);
    expect(dropDefaults(defs[modelName(groupOf(b), 'v1', kindOf(b))])).toEqual(WALDO);
    await deleteAndWait(t.api, crdName(a));
    await deleteAndWait(t.api, crdName(b));
  });

  it('works for multiple CRDs of same group but different versions [Conformance]', async () => {
    const a = crdManifest({ group: 'multiver.example.com', kind: 'Foo', versions: [['v2', true, true]] });
    const b = crdManifest({ group: 'multiver.example.com', kind: 'Bar', versions: [['v3', true, true]] });
    await createEstablished(t.api, a);
    await createEstablished(t.api, b);
    const defs = await definitions();
    expect(defs[modelName('multiver.example.com', 'v2', 'Foo')]).toBeDefined();
    expect(defs[modelName('multiver.example.com', 'v3', 'Bar')]).toBeDefined();
    const both = crdManifest({ group: 'twover.example.com', kind: 'Baz', versions: [['v4', true, true], ['v5', true, false]] });
    await createEstablished(t.api, both);
    const again = await definitions();
    expect(again[modelName('twover.example.com', 'v4', 'Baz')]).toBeDefined();
    expect(again[modelName('twover.example.com', 'v5', 'Baz')]).toBeDefined();
    for (const c of [a, b, both]) await deleteAndWait(t.api, crdName(c));
  });

  it('works for multiple CRDs of same group and version but different kinds [Conformance]', async () => {
    const a = crdManifest({ group: 'samegv.example.com', kind: 'Foo' });
    const b = crdManifest({ group: 'samegv.example.com', kind: 'Bar' });
    await createEstablished(t.api, a);
    await createEstablished(t.api, b);
    const defs = await definitions();
    expect(defs[modelName('samegv.example.com', 'v1', 'Foo')]).toBeDefined();
    expect(defs[modelName('samegv.example.com', 'v1', 'Bar')]).toBeDefined();
    for (const c of [a, b]) await deleteAndWait(t.api, crdName(c));
  });

  it('updates the published spec when one version gets renamed [Conformance]', async () => {
    const crd = crdManifest({ group: 'rename.example.com', kind: 'Foo', versions: [['v2', true, true], ['v3', true, false]] });
    await createEstablished(t.api, crd);
    await t.api
      .patch(`${CRDS}/${crdName(crd)}`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'test', path: '/spec/versions/1/name', value: 'v3' }, { op: 'replace', path: '/spec/versions/1/name', value: 'v4' }])
      .expect(200);
    await waitFor(async () => (await definitions())[modelName('rename.example.com', 'v4', 'Foo')], 'the renamed version to be published');
    const defs = await definitions();
    expect(defs[modelName('rename.example.com', 'v3', 'Foo')]).toBeUndefined();
    expect(defs[modelName('rename.example.com', 'v2', 'Foo')]).toBeDefined();
    await deleteAndWait(t.api, crdName(crd));
  });

  it('removes definition from spec when one version gets changed to not be served [Conformance]', async () => {
    const crd = crdManifest({ group: 'unserve.example.com', kind: 'Foo', versions: [['v2', true, true], ['v3', true, false]] });
    await createEstablished(t.api, crd);
    await t.api
      .patch(`${CRDS}/${crdName(crd)}`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'replace', path: '/spec/versions/1/served', value: false }])
      .expect(200);
    await waitFor(async () => !(await definitions())[modelName('unserve.example.com', 'v3', 'Foo')], 'the unserved version to be removed');
    expect((await definitions())[modelName('unserve.example.com', 'v2', 'Foo')]).toBeDefined();
    await deleteAndWait(t.api, crdName(crd));
  });
});

describe('[sig-api-machinery] FieldValidation', () => {
  const SCHEMA = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          foo: { type: 'string' },
          cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
          ports: {
            type: 'array',
            'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
            'x-kubernetes-list-type': 'map',
            items: {
              type: 'object',
              required: ['containerPort', 'protocol'],
              properties: { containerPort: { type: 'integer', format: 'int32' }, hostIP: { type: 'string' }, hostPort: { type: 'integer', format: 'int32' }, name: { type: 'string' }, protocol: { type: 'string' } },
            },
          },
        },
      },
    },
  };
  const yamlCR = (crd: Record<string, unknown>, extra = '', specExtra = '') => `
apiVersion: ${groupOf(crd)}/v1
kind: ${kindOf(crd)}
metadata:
  name: mytest${extra}
spec:
  foo: foo1${specExtra}
  cronSpec: "* * * * */5"
  ports:
  - name: x
    containerPort: 80
    protocol: TCP`;
  const post = (crd: Record<string, unknown>, body: string) =>
    t.api.post(`/apis/${groupOf(crd)}/v1/${pluralOf(crd)}?fieldValidation=Strict&fieldManager=field_validation_mgr`).set('Content-Type', 'application/yaml').send(body);
  const apply = (crd: Record<string, unknown>, name: string, body: string) =>
    t.api
      .patch(`/apis/${groupOf(crd)}/v1/${pluralOf(crd)}/${name}?fieldValidation=Strict&fieldManager=field_validation_mgr`)
      .set('Content-Type', 'application/apply-patch+yaml')
      .send(body);

  it('should create/apply a valid CR for CRD with validation schema [Conformance]', async () => {
    const crd = randomCRD('Cluster', SCHEMA);
    await createEstablished(t.api, crd);
    await post(crd, yamlCR(crd)).expect(201);
    await apply(crd, 'mytest-applied', yamlCR(crd, '-applied')).expect(201);
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should create/apply a CR with unknown fields for CRD with no validation schema [Conformance]', async () => {
    const crd = randomCRD('Cluster');
    await createEstablished(t.api, crd);
    const created = (await post(crd, yamlCR(crd, '', '\n  unknown: uk1')).expect(201)).body;
    expect(created.spec.unknown).toBe('uk1');
    const applied = (await apply(crd, 'mytest-applied', yamlCR(crd, '-applied', '\n  unknown: uk1')).expect(201)).body;
    expect(applied.spec.unknown).toBe('uk1');
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should create/apply an invalid CR with extra properties for CRD with validation schema [Conformance]', async () => {
    const crd = randomCRD('Cluster', SCHEMA);
    await createEstablished(t.api, crd);
    const res = await post(crd, yamlCR(crd).replace('spec:', 'unknownField: unknown\nspec:')).expect(400);
    expect(res.body.message).toContain('strict decoding error: unknown field "unknownField"');
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should detect unknown metadata fields in both the root and embedded object of a CR [Conformance]', async () => {
    const schema = structuredClone(SCHEMA) as Record<string, any>;
    schema.properties.spec['x-kubernetes-preserve-unknown-fields'] = true;
    schema.properties.spec.properties.template = {
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      properties: { metadata: { type: 'object', properties: { name: { type: 'string' } } }, spec: { type: 'object' } },
    };
    const crd = randomCRD('Cluster', schema);
    await createEstablished(t.api, crd);
    const body = `
apiVersion: ${groupOf(crd)}/v1
kind: ${kindOf(crd)}
metadata:
  name: mytest
  unknownMeta: unknown
spec:
  template:
    apiversion: foo/v1
    kind: Sub
    metadata:
        unknownSubMeta: unknown
        name: subobject
        namespace: default
  foo: foo1
  cronSpec: "* * * * */5"
  ports:
  - name: x
    containerPort: 80
    protocol: TCP`;
    const res = await post(crd, body).expect(400);
    expect(res.body.message).toContain('unknown field "metadata.unknownMeta"');
    expect(res.body.message).toContain('unknown field "spec.template.metadata.unknownSubMeta"');
    await deleteAndWait(t.api, crdName(crd));
  });

  it('should detect duplicates in a CR when preserving unknown fields [Conformance]', async () => {
    const schema = structuredClone(SCHEMA) as Record<string, any>;
    schema.properties.spec['x-kubernetes-preserve-unknown-fields'] = true;
    const crd = randomCRD('Cluster', schema);
    await createEstablished(t.api, crd);
    // YAML with a repeated key is refused while decoding, as kube-apiserver's YAML decoder does.
    await post(crd, yamlCR(crd, '', '\n  foo: foo2')).expect(400);
    const json = `{"apiVersion":"${groupOf(crd)}/v1","kind":"${kindOf(crd)}","metadata":{"name":"dup"},"spec":{"foo":"foo1","foo":"foo2"}}`;
    const res = await t.api
      .post(`/apis/${groupOf(crd)}/v1/${pluralOf(crd)}?fieldValidation=Strict`)
      .set('Content-Type', 'application/json')
      .send(json)
      .expect(400);
    expect(res.body.message).toContain('strict decoding error: duplicate field "spec.foo"');
    await deleteAndWait(t.api, crdName(crd));
  });
});
