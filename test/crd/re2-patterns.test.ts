/**
 * Schema patterns mean what they mean in Kubernetes: RE2 (Go's regexp), linear time, with RE2's
 * syntax and its refusals.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';
import { CRDS, createEstablished, crdManifest } from './helpers';
import { compileCustomResourceSchema } from '../../schemas/crd-ajv';

const schemaWithPattern = (pattern: string) => ({
  type: 'object',
  properties: { spec: { type: 'object', properties: { name: { type: 'string', pattern } } } },
});

describe('RE2 patterns', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a CRD whose pattern uses RE2 inline flags, and enforces it', async () => {
    const crd = crdManifest({ group: 'flags.example.com', kind: 'Matcher', schema: schemaWithPattern('^(?i)(critical|warning)$') });
    await createEstablished(t.api, crd);
    const path = '/apis/flags.example.com/v1/namespaces/default/matchers';
    const obj = (name: string, value: string) => ({ apiVersion: 'flags.example.com/v1', kind: 'Matcher', metadata: { name }, spec: { name: value } });
    await t.api.post(path).send(obj('upper', 'CRITICAL')).expect(201);
    await t.api.post(path).send(obj('mixed', 'Warning')).expect(201);
    const res = await t.api.post(path).send(obj('bad', 'info')).expect(422);
    expect(res.body.details.causes[0]).toEqual({ reason: 'FieldValueInvalid', field: 'spec.name', message: `Invalid value: "info": spec.name in body should match '^(?i)(critical|warning)$'` });
  });

  it('refuses a CRD whose pattern is not valid RE2 with kube\'s message', async () => {
    const crd = crdManifest({ group: 'lookahead.example.com', kind: 'Ahead', schema: schemaWithPattern('^a(?=b)') });
    const res = await t.api.post(CRDS).send(crd).expect(422);
    expect(res.body.details.causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[name].pattern',
      message: 'Invalid value: "^a(?=b)": must be a valid regular expression, but isn\'t: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    });
  });

  it('validates a pattern that makes a backtracking engine explode in linear time', () => {
    // With JavaScript's RegExp this match takes about 2^50 steps and never finishes.
    const validate = compileCustomResourceSchema({ type: 'object', properties: { v: { type: 'string', pattern: '^(a+)+$' } } });
    expect(validate({ v: 'a'.repeat(50) + '!' })).toBe(false);
    expect(validate({ v: 'a'.repeat(5000) })).toBe(true);
  });
});
