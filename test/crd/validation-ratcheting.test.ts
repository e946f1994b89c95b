/**
 * CRD validation ratcheting (kube's CRDValidationRatcheting): on an update, schema and CEL errors
 * on values unchanged from the old object are not reported (CEL rule failures become Warning
 * headers), so objects stored under an older schema can still be updated elsewhere; values that change, and transition rules, are still
 * checked. Old and new values pair up by object key and by list-map keys; set and atomic lists
 * are compared as a whole.
 */
import { Correlation, ratchetSchemaProblems } from '../../schemas/crd-ratcheting';
import { compileSchemaRules, validateRules } from '../../schemas/cel/crd-rules';
import type { FieldError, JSONSchema } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { CRDS, createEstablished, crdManifest } from './helpers';

const PORTS: JSONSchema = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
  items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self < 1000' }] } } },
};

const LIST_SCHEMA: JSONSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        ports: PORTS,
        tags: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'bad'" }] } },
        name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() < 4' }, { rule: 'self == oldSelf', message: 'immutable' }] },
      },
    },
  },
};

describe('Correlation', () => {
  it('pairs list-map items by key, so a reordered map list is unchanged, but an atomic list is compared in order', () => {
    const spec = (LIST_SCHEMA.properties as Record<string, JSONSchema>).spec;
    const reordered = new Correlation({ ports: [{ name: 'b', port: 2 }, { name: 'a', port: 1 }] }, { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] }, spec);
    expect(reordered.equal()).toBe(true);
    expect(reordered.key('ports')!.index(0)!.old).toEqual({ name: 'b', port: 2 });
    const atomic = new Correlation({ tags: ['y', 'x'] }, { tags: ['x', 'y'] }, spec);
    expect(atomic.equal()).toBe(false);
    expect(atomic.key('tags')!.index(0)).toBeUndefined();
    expect(new Correlation({ tags: ['x'] }, { tags: ['x'] }, spec).equal()).toBe(true);
  });
});

describe('CEL rules ratchet on update', () => {
  const tree = compileSchemaRules(LIST_SCHEMA)!;
  const fields = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.message}`);

  it('reports a failing rule on create, and on update only where the value changed', () => {
    const old = { spec: { ports: [{ name: 'a', port: 5000 }], name: 'long' } };
    expect(fields(validateRules(tree, old))).toEqual(['spec.ports[0].port: Invalid value: "integer": failed rule: self < 1000', 'spec.name: Invalid value: "string": failed rule: self.size() < 4']);
    // Adding a port before the unchanged one: the old item is found by its name, not its index.
    const added = { spec: { ports: [{ name: 'b', port: 80 }, { name: 'a', port: 5000 }], name: 'long' } };
    expect(validateRules(tree, added, old)).toEqual([]);
    const changed = { spec: { ports: [{ name: 'a', port: 6000 }], name: 'long' } };
    expect(fields(validateRules(tree, changed, old))).toEqual(['spec.ports[0].port: Invalid value: "integer": failed rule: self < 1000']);
  });

  it('passes each ratcheted failure to warn as kube words the field error (the root path is "<nil>", as kube prints a nil path)', () => {
    const rooted = compileSchemaRules({ ...LIST_SCHEMA, 'x-kubernetes-validations': [{ rule: "has(self.spec.tags)", messageExpression: "'needs tags'" }] })!;
    const old = { spec: { ports: [{ name: 'a', port: 5000 }] } };
    const warnings: string[] = [];
    expect(validateRules(rooted, structuredClone(old), old, (w) => warnings.push(w))).toEqual([]);
    expect(warnings).toEqual(['<nil>: Invalid value: "object": needs tags', 'spec.ports[0].port: Invalid value: "integer": failed rule: self < 1000']);
    warnings.length = 0;
    // A changed root is not ratcheted: its failure is an error, and only the unchanged port warns.
    expect(fields(validateRules(rooted, { spec: { ports: [{ name: 'a', port: 5000 }], name: 'ab' } }, old, (w) => warnings.push(w)))).toEqual(['<nil>: Invalid value: "object": needs tags']);
    expect(warnings).toEqual(['spec.ports[0].port: Invalid value: "integer": failed rule: self < 1000']);
  });

  it('never ratchets a transition rule, and judges items of an atomic list by the whole list', () => {
    const old = { spec: { name: 'abc', tags: ['bad', 'ok'] } };
    expect(fields(validateRules(tree, { spec: { name: 'xyz', tags: ['bad', 'ok'] } }, old))).toEqual(['spec.name: Invalid value: "string": immutable']);
    // The list is unchanged as a whole: its failing item is ratcheted.
    expect(validateRules(tree, { spec: { name: 'abc', tags: ['bad', 'ok'] } }, old)).toEqual([]);
    // Any change to an atomic list makes every item count as new.
    expect(fields(validateRules(tree, { spec: { name: 'abc', tags: ['bad', 'ok', 'new'] } }, old))).toEqual(['spec.tags[0]: Invalid value: "string": failed rule: self != \'bad\'']);
  });
});

describe('schema errors ratchet on update', () => {
  const err = (field: string) => ({ error: { type: 'FieldValueInvalid', field, message: 'Invalid value' } });

  it('drops errors on unchanged values, and a required error when the object lacking the field is unchanged', () => {
    const old = { spec: { name: 'toolong', ports: [{ name: 'a', port: 1 }] } };
    const obj = { spec: { name: 'toolong', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] } };
    const kept = ratchetSchemaProblems(LIST_SCHEMA, [err('spec.name'), err('spec.ports[0].port'), err('spec.ports[1].port'), err('spec.ports[0].protocol')], obj, old);
    expect(kept.map((p) => p.error.field)).toEqual(['spec.ports[1].port']);
    expect(ratchetSchemaProblems(LIST_SCHEMA, [err('spec.name')], { spec: { name: 'other' } }, old).length).toBe(1);
  });
});

describe('ratcheting through the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  const path = '/apis/ratchet.example.com/v1/namespaces/default/gadgets';
  const loose = {
    type: 'object',
    properties: { spec: { type: 'object', properties: { code: { type: 'string' }, replicas: { type: 'integer' }, ports: { ...PORTS, items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } } } } } },
  };
  const strict = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          code: { type: 'string', maxLength: 3, 'x-kubernetes-validations': [{ rule: "self.startsWith('x')", message: 'must start with x' }] },
          replicas: { type: 'integer' },
          ports: PORTS,
        },
      },
    },
  };

  it('lets an object stored under a looser schema be updated, but checks what changes', async () => {
    const crd = crdManifest({ group: 'ratchet.example.com', kind: 'Gadget', schema: loose });
    const created = await createEstablished(t.api, crd);
    await t.api.post(path).send({ apiVersion: 'ratchet.example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { code: 'abcdef', replicas: 1, ports: [{ name: 'a', port: 5000 }] } }).expect(201);

    const versions = (created.spec as { versions: Array<Record<string, unknown>> }).versions;
    versions[0].schema = { openAPIV3Schema: strict };
    await t.api.put(`${CRDS}/${crd.metadata && (crd.metadata as { name: string }).name}`).send(created).expect(200);
    // The new schema serves once a new object breaking it is refused.
    await waitFor(async () => (await t.api.post(path).send({ apiVersion: 'ratchet.example.com/v1', kind: 'Gadget', metadata: { name: 'probe' }, spec: { code: 'abcdef' } })).status === 422, 'the stricter schema to serve', 30000);

    const got = (await t.api.get(`${path}/g`).expect(200)).body;
    got.spec.replicas = 2;
    got.spec.ports.push({ name: 'b', port: 80 });
    const updated = await t.api.put(`${path}/g`).send(got);
    expect(updated.status).toBe(200);
    expect(updated.body.spec.replicas).toBe(2);
    // Ratcheted CEL rule failures come back as warnings worded as the errors would be (kube's
    // warning.AddWarning of the field error); ratcheted schema errors (maxLength) are dropped silently.
    expect(updated.headers.warning).toBe(
      '299 - "spec.code: Invalid value: \\"string\\": must start with x", 299 - "spec.ports[0].port: Invalid value: \\"integer\\": failed rule: self < 1000"',
    );
    // A patch warns the same way.
    const patched = await t.api.patch(`${path}/g`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 3 } }).expect(200);
    expect(patched.headers.warning).toContain('299 - "spec.code: Invalid value: \\"string\\": must start with x"');

    const bad = patched.body;
    bad.spec.code = 'abcdefg';
    bad.spec.ports[0].port = 6000;
    const refused = await t.api.put(`${path}/g`).send(bad).expect(422);
    // What is refused is not ratcheted, so nothing is said twice.
    expect(refused.headers.warning).toBeUndefined();
    expect(refused.body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`).sort()).toEqual([
      'spec.code: Invalid value: "string": must start with x',
      'spec.code: Too long: may not be more than 3 bytes',
      'spec.ports[0].port: Invalid value: "integer": failed rule: self < 1000',
    ]);
  }, 60000);
});
