/**
 * Structural schemas at run time: pruning (schema/pruning), defaulting (schema/defaulting),
 * validation messages as kube-openapi words them, the published OpenAPI form, printer columns
 * and the JSONPath they use.
 */
import { printerColumns } from '../../schemas/crd';
import { compileCustomResourceSchema } from '../../schemas/crd-ajv';
import { publishedSchema } from '../../schemas/crd-openapi';
import { applySchemaDefaults, pruneCustomResource, validateStructure } from '../../schemas/crd-schema';
import { compileJSONPath, printJSONPathValue } from '../../schemas/jsonpath';
import { customResourceSchemaErrors } from '../../schemas/schema-validation';
import type { JSONSchema } from '../../schemas/types';

const OBJECT_META_FIELDS = new Set(['name', 'namespace', 'labels', 'annotations', 'generateName', 'uid', 'resourceVersion', 'finalizers']);
// A stand-in for the ObjectMeta pruner the registry passes (it walks the ObjectMeta definition).
const pruneMeta = (value: unknown, path: string, out: string[]) => {
  if (!value || typeof value !== 'object') return;
  for (const k of Object.keys(value)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      out.push(`${path}.${k}`);
      delete (value as Record<string, unknown>)[k];
    }
  }
};

describe('pruning', () => {
  const schema: JSONSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          a: { type: 'string' },
          list: { type: 'array', items: { type: 'object', properties: { x: { type: 'integer' } } } },
          map: { type: 'object', additionalProperties: { type: 'object', properties: { n: { type: 'integer' } } } },
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: { type: 'object', properties: { k: { type: 'string' } } } } },
          empty: { type: 'object' },
          nothing: { type: 'string' },
          withDefault: { type: 'string', default: 'd' },
          nullable: { type: 'string', nullable: true },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { s: { type: 'string' } } } },
          },
        },
      },
    },
  };

  it('drops undeclared fields at every level and reports their paths', () => {
    const obj: Record<string, unknown> = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', unknownMeta: 1 },
      extra: true,
      spec: {
        a: 'x',
        b: 'y',
        list: [{ x: 1, y: 2 }],
        map: { k1: { n: 1, m: 2 } },
        raw: { anything: { goes: true }, typed: { k: 'v', z: 1 } },
        empty: { gone: 1 },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 't', unknownSubMeta: 'u' }, spec: { s: 'ok', t: 'no' }, other: 1 },
      },
    };
    const pruned = pruneCustomResource(schema, obj, pruneMeta);
    expect(pruned).toEqual([
      'extra',
      'metadata.unknownMeta',
      'spec.b',
      'spec.empty.gone',
      'spec.list[0].y',
      'spec.map.k1.m',
      'spec.raw.typed.z',
      'spec.template.metadata.unknownSubMeta',
      'spec.template.other',
      'spec.template.spec.t',
    ]);
    expect(obj).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: {
        a: 'x',
        list: [{ x: 1 }],
        map: { k1: { n: 1 } },
        raw: { anything: { goes: true }, typed: { k: 'v' } },
        empty: {},
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 't' }, spec: { s: 'ok' } },
      },
    });
  });

  it('drops nulls of non-nullable fields, keeps nullable ones, and defaults a null that has a default', () => {
    const obj: Record<string, unknown> = { spec: { nothing: null, nullable: null, withDefault: null } };
    pruneCustomResource(schema, obj, pruneMeta);
    expect(obj.spec).toEqual({ nullable: null, withDefault: 'd' });
  });

  it('keeps everything under a root that preserves unknown fields', () => {
    const obj = { metadata: { name: 'a' }, spec: { anything: [1, { b: 2 }] }, top: 1 };
    expect(pruneCustomResource({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, obj, pruneMeta)).toEqual([]);
    expect(obj).toEqual({ metadata: { name: 'a' }, spec: { anything: [1, { b: 2 }] }, top: 1 });
  });
});

describe('defaulting', () => {
  it('fills absent fields, recursing into objects, items and additionalProperties', () => {
    const schema: JSONSchema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          default: {},
          properties: {
            replicas: { type: 'integer', default: 1 },
            list: { type: 'array', items: { type: 'object', properties: { p: { type: 'string', default: 'TCP' } } } },
            map: { type: 'object', additionalProperties: { type: 'object', properties: { w: { type: 'integer', default: 5 } } } },
          },
        },
      },
    };
    const empty: Record<string, unknown> = {};
    applySchemaDefaults(empty, schema);
    expect(empty).toEqual({ spec: { replicas: 1 } });
    const obj = { spec: { replicas: 3, list: [{}, { p: 'UDP' }], map: { a: {} } } };
    applySchemaDefaults(obj, schema);
    expect(obj).toEqual({ spec: { replicas: 3, list: [{ p: 'TCP' }, { p: 'UDP' }], map: { a: { w: 5 } } } });
  });
});

describe('validation messages', () => {
  const schema: JSONSchema = {
    type: 'object',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
          replicas: { type: 'integer', minimum: 1, maximum: 10 },
          ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
          tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
          when: { type: 'string', format: 'date-time' },
          port: { 'x-kubernetes-int-or-string': true },
          color: { type: 'string', enum: ['red', 'blue'] },
          note: { type: 'string', nullable: true },
        },
      },
    },
  };
  const fn = compileCustomResourceSchema(schema);
  const errors = (value: unknown) => customResourceSchemaErrors(fn, value, '').map((e) => `${e.field}: ${e.message}`);

  it('accepts a valid object, nulls where nullable and both forms of int-or-string', () => {
    expect(errors({ spec: { name: 'abc', replicas: 2, port: 80, note: null } })).toEqual([]);
    expect(errors({ spec: { name: 'abc', port: 'http', when: '2026-01-02T03:04:05Z' } })).toEqual([]);
  });

  it('words every failed rule as kube-openapi does', () => {
    expect(errors({ spec: { name: 'ABCDEFG', replicas: 20, ratio: 0, tags: ['a', 'b', 'c'], when: 'yesterday', port: true, color: 'green' } })).toEqual(
      expect.arrayContaining([
        'spec.name: Too long: may not be more than 5 bytes',
        "spec.name: Invalid value: \"ABCDEFG\": spec.name in body should match '^[a-z]+$'",
        'spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10',
        'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
        'spec.tags: Too many: 3: must have at most 2 items',
        'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
        'spec.color: Unsupported value: "green": supported values: "red", "blue"',
      ]),
    );
    expect(errors({ spec: { name: 'a' } })).toEqual(['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long']);
    expect(errors({ spec: { replicas: 'three', name: 'ab' } })).toEqual(['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    expect(errors({ spec: { name: 'ab', replicas: 1.5 } })).toEqual(['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
    expect(errors({})).toEqual(['spec: Required value']);
  });
});

describe('embedded resources and list types', () => {
  it('requires apiVersion and kind in embedded resources and finds duplicates in sets and maps', () => {
    const schema: JSONSchema = {
      type: 'object',
      properties: {
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
          items: { type: 'object', properties: { containerPort: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
        },
      },
    };
    const errs = validateStructure(
      { template: { kind: 'pod!' }, set: ['a', 'b', 'a'], ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }, { containerPort: 80, protocol: 'UDP' }] },
      schema,
    ).map((e) => `${e.field}: ${e.message}`);
    expect(errs).toEqual([
      'template.apiVersion: Required value',
      expect.stringMatching(/^template\.kind: Invalid value: "pod!": may have mixed case, but should otherwise match: a DNS-1035 label/),
      'set[2]: Duplicate value: "a"',
      'ports[1]: Duplicate value: map[string]interface {}{"containerPort":80, "protocol":"TCP"}',
    ]);
  });
});

describe('published schema', () => {
  const schema: JSONSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer', default: 1, minimum: 0 },
          note: { type: 'string', nullable: true },
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        },
        anyOf: [{ required: ['replicas'] }],
      },
    },
  };

  it('publishes OpenAPI v3 with value validations, ObjectMeta and embedded resource meta', () => {
    const v3 = publishedSchema(schema, '#/components/schemas/', false) as any;
    expect(v3.properties.metadata).toEqual({ description: expect.any(String), allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] });
    expect(v3.properties.apiVersion.type).toBe('string');
    expect(v3.properties.spec.properties.replicas).toEqual({ type: 'integer', default: 1, minimum: 0 });
    expect(v3.properties.spec.anyOf).toEqual([{ required: ['replicas'] }]);
    expect(v3.properties.spec.properties.template.required).toEqual(['kind', 'apiVersion']);
  });

  it('publishes OpenAPI v2 without value validations, nullable types, defaults or preserved insides', () => {
    const v2 = publishedSchema(schema, '#/definitions/', true) as any;
    expect(v2.properties.metadata).toEqual({ $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: expect.any(String) });
    expect(v2.properties.spec.anyOf).toBeUndefined();
    expect(v2.properties.spec.properties.replicas).toEqual({ type: 'integer', minimum: 0 });
    expect(v2.properties.spec.properties.note).toEqual({});
    expect(v2.properties.spec.properties.raw).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(publishedSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, '#/definitions/', true)).toEqual({ type: 'object' });
  });
});

describe('printer columns', () => {
  const now = new Date('2026-01-01T01:00:00Z');
  const obj = {
    metadata: { name: 'w1', creationTimestamp: '2026-01-01T00:55:00Z' },
    spec: { replicas: 3, ratio: 0.5, enabled: true, tags: ['a', 'b'], labels: { b: '2', a: '1' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }] },
  };

  it('prints Name and Age when a version declares no columns', () => {
    const cols = printerColumns({ name: 'v1' });
    expect(cols.map((c) => [c.name, c.type, c.priority])).toEqual([['Name', 'string', 0], ['Age', 'date', 0]]);
    expect(cols.map((c) => c.cell(obj, now))).toEqual(['w1', '5m']);
  });

  it('evaluates JSONPath columns with the type of each column', () => {
    const cols = printerColumns({
      name: 'v1',
      additionalPrinterColumns: [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
        { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Tags', type: 'string', jsonPath: '.spec.tags', priority: 1 },
        { name: 'Labels', type: 'string', jsonPath: '.spec.labels' },
        { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
        { name: 'Wrong', type: 'integer', jsonPath: '.spec.tags' },
        { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    });
    expect(cols.map((c) => c.name)).toEqual(['Name', 'Replicas', 'Ratio', 'Enabled', 'Ready', 'Tags', 'Labels', 'Missing', 'Wrong', 'Created']);
    expect(cols[5].priority).toBe(1);
    expect(cols.map((c) => c.cell(obj, now))).toEqual(['w1', 3, 0.5, true, 'True', '["a","b"]', '{"a":"1","b":"2"}', null, null, '5m']);
  });

  it('follows client-go JSONPath for indexes, slices, wildcards and recursive descent', () => {
    const find = (p: string) => compileJSONPath(p).find(obj);
    expect(find('{.status.conditions[0].type}')).toEqual(['Ready']);
    expect(find('.status.conditions[-1].type')).toEqual(['Synced']);
    expect(find('.status.conditions[*].status')).toEqual(['True', 'False']);
    expect(find('.spec.tags[0:1]')).toEqual(['a']);
    expect(find('..type')).toEqual(['Ready', 'Synced']);
    expect(find('.metadata.missing.deeper')).toEqual([]);
    expect(printJSONPathValue(1e21)).toBe('1e+21');
  });
});
