/**
 * [sig-api-machinery] CustomResourceValidationRules: the tests of kube's
 * test/e2e/apimachinery/crd_validation_rules.go, with the same schemas and objects:
 * - MUST NOT fail validation for create of a custom resource that satisfies the x-kubernetes-validations rules
 * - MUST fail validation for create of a custom resource that does not satisfy the x-kubernetes-validations rules
 * - MUST fail create of a custom resource definition that contains a x-kubernetes-validations rule that refers to a property that do not exist
 * - MUST fail create of a custom resource definition that contains an x-kubernetes-validations rule that contains a syntax error
 * - MUST fail create of a custom resource definition that contains an x-kubernetes-validations rule that exceeds the estimated cost limit
 * - MUST fail create of a custom resource that exceeds the runtime cost limit for x-kubernetes-validations rule execution
 * - MUST fail update of a custom resource that does not satisfy a x-kubernetes-validations transition rule
 */
import { startTestServer, type TestServer } from '../helpers/api-server';
import { CRDS, createEstablished, crdManifest } from '../crd/helpers';

const SCHEMA_WITH_RULES = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.x + self.y > 0' },
        { rule: 'self.firstArray.isSorted() && self.secondArray.isSorted() && ((self.firstArray.sum() + self.secondArray.sum()) % 2 == 0)' },
        { rule: 'self.largeArray.all(x, self.largeArray.all(y, y == x))' },
      ],
      properties: {
        x: { type: 'integer' },
        y: { type: 'integer' },
        firstArray: { type: 'array', maxItems: 1000, items: { type: 'integer' } },
        secondArray: { type: 'array', maxItems: 1000, items: { type: 'integer' } },
        largeArray: { type: 'array', maxItems: 725, items: { type: 'integer' } },
      },
    },
    status: {
      type: 'object',
      'x-kubernetes-validations': [{ rule: "self.health == 'ok' || self.health == 'unhealthy'" }],
      properties: { health: { type: 'string' } },
    },
  },
};

describe('[sig-api-machinery] CustomResourceValidationRules', () => {
  let t: TestServer;
  let n = 0;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  const crdWith = (schema: Record<string, unknown>) => crdManifest({ group: `rules${++n}.example.com`, kind: 'Noxu', schema });
  const crPath = (crd: Record<string, any>) => `/apis/${crd.spec.group}/v1/namespaces/default/noxus`;
  const cr = (crd: Record<string, any>, name: string, spec: Record<string, unknown>) => ({ apiVersion: `${crd.spec.group}/v1`, kind: 'Noxu', metadata: { name }, spec });

  it('MUST NOT fail validation for create of a custom resource that satisfies the x-kubernetes-validations rules', async () => {
    const crd = crdWith(SCHEMA_WITH_RULES);
    await createEstablished(t.api, crd);
    await t.api.post(crPath(crd)).send(cr(crd, 'cr-1', { x: 1, y: 0, firstArray: [3, 4], secondArray: [5, 10], largeArray: [2, 2] })).expect(201);
  });

  it('MUST fail validation for create of a custom resource that does not satisfy the x-kubernetes-validations rules', async () => {
    const crd = crdWith(SCHEMA_WITH_RULES);
    await createEstablished(t.api, crd);
    const res = await t.api.post(crPath(crd)).send(cr(crd, 'cr-1', { x: 0, y: 0 })).expect(422);
    expect(res.body.message).toContain('failed rule');
    expect(res.body.details.causes[0]).toEqual({ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": failed rule: self.x + self.y > 0' });
  });

  it('MUST fail create of a custom resource definition that contains a x-kubernetes-validations rule that refers to a property that do not exist', async () => {
    const crd = crdWith({ type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.z == 100' }], properties: { x: { type: 'integer' } } } } });
    const res = await t.api.post(CRDS).send(crd).expect(422);
    expect(res.body.message).toContain("undefined field 'z'");
  });

  it('MUST fail create of a custom resource definition that contains an x-kubernetes-validations rule that contains a syntax error', async () => {
    const crd = crdWith({ type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self = 42' }] } } });
    const res = await t.api.post(CRDS).send(crd).expect(422);
    expect(res.body.message).toContain('Syntax error');
  });

  it('MUST fail create of a custom resource definition that contains an x-kubernetes-validations rule that exceeds the estimated cost limit', async () => {
    const crd = crdWith({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            x: { type: 'array', items: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': [{ rule: "self.all(s, s == 'string constant')" }] } },
          },
        },
      },
    });
    const res = await t.api.post(CRDS).send(crd).expect(422);
    expect(res.body.message).toContain('exceeds budget');
  });

  it('MUST fail create of a custom resource that exceeds the runtime cost limit for x-kubernetes-validations rule execution', async () => {
    const crd = crdWith(SCHEMA_WITH_RULES);
    await createEstablished(t.api, crd);
    const res = await t.api.post(crPath(crd)).send(cr(crd, 'cr-1', { largeArray: Array(725).fill(20) })).expect(422);
    expect(res.body.message).toContain('call cost exceeds limit');
  });

  it('MUST fail update of a custom resource that does not satisfy a x-kubernetes-validations transition rule', async () => {
    const crd = crdWith({ type: 'object', properties: { spec: { type: 'object', properties: { num: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > oldSelf' }] } } } } });
    await createEstablished(t.api, crd);
    const created = (await t.api.post(crPath(crd)).send(cr(crd, 'cr-1', { num: 10 })).expect(201)).body;
    const update = { ...cr(crd, 'cr-1', { num: 9 }), metadata: { name: 'cr-1', resourceVersion: created.metadata.resourceVersion } };
    const res = await t.api.put(`${crPath(crd)}/cr-1`).send(update).expect(422);
    expect(res.body.message).toContain('failed rule');
    expect(res.body.details.causes[0]).toEqual({ reason: 'FieldValueInvalid', field: 'spec.num', message: 'Invalid value: "integer": failed rule: self > oldSelf' });
  });
});
