/**
 * CustomResourceDefinition validation (apiextensions-apiserver's validation.go and the
 * structural-schema rules of pkg/apiserver/schema), checked on the pure functions.
 */
import { customResourceDefinitionStrategy, defaultCustomResourceDefinition } from '../../schemas/crd';
import { validateSchema } from '../../schemas/crd-structural';
import { validateCustomResourceDefinition } from '../../schemas/crd-validation';
import type { KubeObject } from '../../schemas/types';
import { crdManifest } from './helpers';

function valid(overrides: (crd: KubeObject) => void = () => undefined): KubeObject {
  const crd = crdManifest() as KubeObject;
  overrides(crd);
  defaultCustomResourceDefinition(crd);
  return crd;
}

const fields = (crd: KubeObject, old?: KubeObject) => validateCustomResourceDefinition(crd, old).map((e) => `${e.field}: ${e.message}`);
const spec = (crd: KubeObject) => crd.spec as Record<string, any>;

describe('CRD validation', () => {
  it('accepts a well-formed CRD once defaulted (singular, listKind, conversion, storedVersions)', () => {
    const crd = valid();
    expect(spec(crd).names).toMatchObject({ singular: 'widget', listKind: 'WidgetList' });
    expect(spec(crd).conversion).toEqual({ strategy: 'None' });
    expect((crd.status as { storedVersions: string[] }).storedVersions).toEqual(['v1']);
    expect(fields(crd)).toEqual([]);
  });

  it('requires the name to be plural.group', () => {
    const crd = valid((c) => (c.metadata!.name = 'gadgets.example.com'));
    expect(fields(crd)).toContain('metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group');
  });

  it('requires a group with a dot and a known scope', () => {
    const crd = valid((c) => {
      spec(c).group = 'example';
      spec(c).scope = 'Everywhere';
      c.metadata!.name = 'widgets.example';
    });
    expect(fields(crd)).toEqual(
      expect.arrayContaining([
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
        'spec.scope: Unsupported value: "Everywhere": supported values: "Cluster", "Namespaced"',
      ]),
    );
  });

  it('requires exactly one storage version and unique version names', () => {
    const none = valid((c) => (spec(c).versions[0].storage = false));
    expect(fields(none).some((f) => f.includes('must have exactly one version marked as storage version'))).toBe(true);
    const twice = valid((c) => spec(c).versions.push({ ...spec(c).versions[0] }));
    expect(fields(twice).some((f) => f.includes('must contain unique version names'))).toBe(true);
    expect(fields(twice).some((f) => f.includes('must have exactly one version marked as storage version'))).toBe(true);
  });

  it('checks names: DNS-1035 labels, kind distinct from listKind', () => {
    const crd = valid((c) => {
      spec(c).names.shortNames = ['Bad_Name'];
      spec(c).names.listKind = 'Widget';
    });
    const out = fields(crd);
    expect(out.some((f) => f.startsWith('spec.names.shortNames[0]: Invalid value: "Bad_Name"'))).toBe(true);
    expect(out).toContain('spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same');
  });

  it('requires a schema for every version', () => {
    const crd = valid((c) => delete spec(c).versions[0].schema);
    expect(fields(crd)).toContain('spec.versions[0].schema.openAPIV3Schema: Required value');
  });

  it('refuses spec.preserveUnknownFields: true', () => {
    const crd = valid((c) => (spec(c).preserveUnknownFields = true));
    expect(fields(crd)).toContain('spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead');
  });

  it('checks printer columns and scale paths', () => {
    const crd = valid((c) => {
      spec(c).versions[0].additionalPrinterColumns = [{ name: 'X', type: 'float', jsonPath: 'spec.x' }];
      spec(c).versions[0].subresources = { scale: { specReplicasPath: '.status.replicas', statusReplicasPath: '.status.replicas' } };
    });
    expect(fields(crd)).toEqual(
      expect.arrayContaining([
        'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "float": must be one of boolean,date,integer,number,string',
        'spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "spec.x": must be a simple json path starting with .',
        'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
      ]),
    );
  });

  it('requires API approval for groups under k8s.io', () => {
    const crd = valid((c) => {
      spec(c).group = 'things.k8s.io';
      c.metadata!.name = 'widgets.things.k8s.io';
    });
    expect(fields(crd)).toContain(
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    );
    crd.metadata!.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/1' };
    expect(fields(crd)).toEqual([]);
  });

  it('keeps the group and plural immutable, and scope and kind once established', () => {
    const old = valid();
    (old.status as Record<string, unknown>).conditions = [{ type: 'Established', status: 'True' }];
    const changed = valid((c) => {
      spec(c).scope = 'Cluster';
      spec(c).names.kind = 'Gadget';
      spec(c).names.listKind = 'GadgetList';
    });
    expect(fields(changed, old)).toEqual(
      expect.arrayContaining(['spec.scope: Invalid value: "Cluster": field is immutable', 'spec.names.kind: Invalid value: "Gadget": field is immutable']),
    );
  });

  it('keeps every stored version in spec.versions', () => {
    const crd = valid();
    (crd.status as Record<string, unknown>).storedVersions = ['v1', 'v1alpha1'];
    expect(fields(crd).some((f) => f.startsWith('status.storedVersions[1]: Invalid value: "v1alpha1": missing from spec.versions'))).toBe(true);
  });

  it('records a new storage version in storedVersions on update', () => {
    const crd = valid();
    spec(crd).versions = [
      { ...spec(crd).versions[0], storage: false },
      { ...spec(crd).versions[0], name: 'v2', storage: true },
    ];
    defaultCustomResourceDefinition(crd);
    expect((crd.status as { storedVersions: string[] }).storedVersions).toEqual(['v1', 'v2']);
  });

  it('holds a deleted CRD with Terminating until the cleanup is done', () => {
    const strategy = customResourceDefinitionStrategy(() => new Date('2026-01-02T03:04:05Z'));
    const crd = valid();
    expect(strategy.deleteStrategy.prepareForDelete!(crd)).toBe(true);
    expect((crd.status as { conditions: unknown[] }).conditions).toContainEqual({
      type: 'Terminating',
      status: 'True',
      lastTransitionTime: '2026-01-02T03:04:05Z',
      reason: 'InstanceDeletionPending',
      message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    });
    expect(strategy.deleteStrategy.finalized!({ ...crd, metadata: { ...crd.metadata, finalizers: [] } })).toBe(false);
    (crd.status as { conditions: Array<{ status: string }> }).conditions[0].status = 'False';
    expect(strategy.deleteStrategy.finalized!({ ...crd, metadata: { ...crd.metadata, finalizers: [] } })).toBe(true);
    expect(strategy.deleteStrategy.finalized!({ ...crd, metadata: { ...crd.metadata, finalizers: ['customresourcecleanup.apiextensions.k8s.io'] } })).toBe(false);
  });
});

describe('structural schema rules', () => {
  const check = (schema: Record<string, unknown>, status = false) => validateSchema(schema, 'schema', status).map((e) => `${e.field}: ${e.message}`);

  it('accepts int-or-string, nullable, preserve-unknown-fields and embedded resources', () => {
    expect(
      check({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
              note: { type: 'string', nullable: true },
              raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      }),
    ).toEqual([]);
  });

  it('requires types for fields and items, items for arrays, object at the root', () => {
    expect(check({ type: 'object', properties: { spec: { properties: { list: { type: 'array' } } } } })).toEqual(
      expect.arrayContaining([
        'schema.properties[spec].type: Required value: must not be empty for specified object fields',
        'schema.properties[spec].properties[list].items: Required value: must be specified',
      ]),
    );
    expect(check({ type: 'string' })).toContain('schema.type: Invalid value: "string": must be object at the root');
  });

  it('refuses what is not structural inside value validations', () => {
    const out = check({ type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ type: 'object', description: 'x', properties: { b: { type: 'string' } } }] });
    expect(out).toEqual(
      expect.arrayContaining([
        'schema.anyOf[0].type: Forbidden: must be empty to be structural',
        'schema.anyOf[0].description: Forbidden: must be empty to be structural',
        'schema.anyOf[0].properties[b].type: Forbidden: must be empty to be structural',
        'schema.properties[b]: Required value: because it is defined in schema.anyOf[0].properties[b]',
      ]),
    );
  });

  it('refuses unsupported keywords and restricted root metadata', () => {
    const out = check({
      type: 'object',
      additionalProperties: { type: 'string' },
      properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } }, list: { type: 'array', items: { type: 'string' }, uniqueItems: true }, r: { $ref: '#/x' } },
    });
    expect(out).toEqual(
      expect.arrayContaining([
        'schema.additionalProperties: Forbidden: must not be used at the root',
        'schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
        'schema.properties[list].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
        'schema.properties[r].$ref: Forbidden: $ref is not supported',
      ]),
    );
  });

  it('checks defaults against their schema and forbids them in metadata', () => {
    const out = check({
      type: 'object',
      properties: {
        metadata: { type: 'object', default: { name: 'x' } },
        spec: { type: 'object', properties: { replicas: { type: 'integer', default: 'three' }, obj: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } } } },
      },
    });
    expect(out).toEqual(
      expect.arrayContaining([
        'schema.properties[metadata].default: Forbidden: must not be set in top-level metadata',
        'schema.properties[spec].properties[obj].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields',
      ]),
    );
    const onlyDefaults = check({ type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', default: 'three' } } } } });
    expect(onlyDefaults).toEqual([
      'schema.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string"',
    ]);
  });

  it('checks list-type map keys', () => {
    const out = check({
      type: 'object',
      properties: { ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'], items: { type: 'object', properties: { port: { type: 'integer' } } } } },
    });
    expect(out).toContain('schema.properties[ports].items.properties[port].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property');
  });

  it('allows only a restricted root with the status subresource', () => {
    expect(check({ type: 'object', properties: {}, 'x-kubernetes-embedded-resource': true }, true)[0]).toMatch(/^schema: Invalid value: "": only \[Description Type/);
  });
});
