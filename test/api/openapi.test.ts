/**
 * OpenAPI documents: v2 and v3 publish the built-in definitions with their list and patch
 * extensions, the group-version-kind of each kind, and the write parameters kubectl looks for.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('/openapi/v2 and /openapi/v3', () => {
  it('publishes strategic-merge and list metadata on built-in definitions', async () => {
    const v2 = (await t.api.get('/openapi/v2').expect(200)).body;
    const podSpec = v2.definitions['io.k8s.api.core.v1.PodSpec'];
    expect(podSpec.properties.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    expect(podSpec.properties.volumes['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type']).toBe('atomic');
    expect(v2.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  });

  it('lists a document per group-version and serves each with components and write parameters', async () => {
    const root = (await t.api.get('/openapi/v3').expect(200)).body;
    expect(Object.keys(root.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1']));
    const url = root.paths['apis/apps/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = (await t.api.get(url).expect(200)).body;
    expect(doc.openapi).toBe('3.0.0');
    expect(doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toBeDefined();
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation']);
  });
});

/** ProtoField is one field of a decoded protobuf message: varints as numbers, the rest as bytes. */
type ProtoField = { field: number; value: number | Buffer };

/** readMessage splits protobuf bytes into fields (wire types 0, 1 and 2, which gnostic uses). */
function readMessage(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 1) {
      out.push({ field, value: buf.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 2) {
      const n = varint();
      out.push({ field, value: buf.subarray(i, i + n) });
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

const all = (m: ProtoField[], field: number) => m.filter((f) => f.field === field).map((f) => f.value as Buffer);
const one = (m: ProtoField[], field: number) => all(m, field)[0];
const text = (m: ProtoField[], field: number) => one(m, field)?.toString('utf8');
/** named finds the Named* entry {1: name, 2: value} called name among the entries of field. */
const named = (m: ProtoField[], field: number, name: string) => {
  const entry = all(m, field).map(readMessage).find((e) => text(e, 1) === name);
  return entry && readMessage(one(entry, 2));
};
/** vendorExtension reads the YAML (here JSON) of a NamedAny vendor extension. */
const vendorExtension = (m: ProtoField[], field: number, name: string) => {
  const any = named(m, field, name);
  return any && JSON.parse(text(any, 2)!);
};

describe('/openapi/v2 as protobuf', () => {
  const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

  it('should answer kubectl\'s protobuf Accept with the gnostic openapi_v2.Document message', async () => {
    const res = await t.api.get('/openapi/v2').set('Accept', PROTOBUF).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(res.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const doc = readMessage(res.body as Buffer);
    expect(text(doc, 1)).toBe('2.0');
    expect(text(readMessage(one(doc, 2)), 1)).toBe('Kubernetes');

    // definitions {9} -> NamedSchema {1: name, 2: Schema}
    const definitions = readMessage(one(doc, 9));
    const deployment = named(definitions, 1, 'io.k8s.api.apps.v1.Deployment')!;
    expect(text(deployment, 4)).toMatch(/^Deployment enables declarative updates/);
    expect(text(readMessage(one(deployment, 22)), 1)).toBe('object');
    expect(vendorExtension(deployment, 31, 'x-kubernetes-group-version-kind')).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const spec = named(readMessage(one(deployment, 25)), 1, 'spec')!;
    expect(text(spec, 1)).toBe('#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
    expect(text(spec, 4)).toMatch(/^Specification of the desired behavior of the Deployment/);
    const podSpec = named(definitions, 1, 'io.k8s.api.core.v1.PodSpec')!;
    const containers = named(readMessage(one(podSpec, 25)), 1, 'containers')!;
    expect(text(readMessage(one(containers, 22)), 1)).toBe('array');
    expect(text(readMessage(one(readMessage(one(containers, 23)), 1)), 1)).toBe('#/definitions/io.k8s.api.core.v1.Container');
    expect(vendorExtension(containers, 31, 'x-kubernetes-patch-merge-key')).toBe('name');
    expect(all(podSpec, 19).map((b) => b.toString())).toEqual(['containers']);

    // paths {8} -> NamedPathItem {2}; PATCH {8} carries the GVK and the fieldValidation query parameter.
    const paths = readMessage(one(doc, 8));
    const item = named(paths, 2, '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!;
    const patch = readMessage(one(item, 8));
    expect(vendorExtension(patch, 13, 'x-kubernetes-group-version-kind')).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    const queryNames = all(patch, 8).map((p) => {
      const parameter = readMessage(one(readMessage(p), 1));
      const nonBody = readMessage(one(parameter, 2));
      return text(readMessage(one(nonBody, 3)), 4);
    });
    expect(queryNames).toEqual(['dryRun', 'fieldManager', 'fieldValidation']);
  });

  it('should keep serving JSON by default and refuse other media types with 406', async () => {
    const json = await t.api.get('/openapi/v2').set('Accept', 'application/json').expect(200);
    expect(json.body.swagger).toBe('2.0');
    await t.api.get('/openapi/v2').set('Accept', '*/*').expect(200);
    await t.api.get('/openapi/v2').set('Accept', 'text/html').expect(406);
  });
});
