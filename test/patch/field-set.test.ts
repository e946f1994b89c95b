/**
 * FieldSet: paths from objects by schema, set algebra, and the FieldsV1 encoding kube-apiserver
 * writes into metadata.managedFields (key order, "." self markers).
 */
import { builtinPatchSchema, openAPIPatchSchema, type PatchSchema } from '../../schemas/patch-metadata';
import {
  FieldSet,
  FieldSetError,
  FieldsV1Error,
  listShape,
  parsePathElement,
  pathString,
  serializePathElement,
  type FieldPath,
  type PathElement,
} from '../../server/patch/field-set';
import { compareObjects } from '../../server/patch/field-compare';

const deploymentSchema = builtinPatchSchema('io.k8s.api.apps.v1.Deployment');
const podSchema = builtinPatchSchema('io.k8s.api.core.v1.Pod');
const CONTAINERS = ['spec', 'template', 'spec', 'containers'];

/** paths renders a set as kube prints it, one path per line. */
function paths(set: FieldSet): string[] {
  return set.paths().map(pathString);
}

describe('path elements', () => {
  const cases: Array<[string, PathElement, string]> = [
    ['a field name', 'spec', 'f:spec'],
    ['a field name with dots and slashes', 'app.kubernetes.io/name', 'f:app.kubernetes.io/name'],
    ['a one-field key', { k: { name: 'web' } }, 'k:{"name":"web"}'],
    ['a key with fields sorted by name', { k: { protocol: 'TCP', containerPort: 80 } }, 'k:{"containerPort":80,"protocol":"TCP"}'],
    ['a string set value', { v: 'example.com/finalizer' }, 'v:"example.com/finalizer"'],
    ['a number set value', { v: 8080 }, 'v:8080'],
    ['a boolean set value', { v: true }, 'v:true'],
    ['an index', { i: 3 }, 'i:3'],
    ['a key with HTML characters escaped as Go does', { k: { name: 'a<b>&c' } }, 'k:{"name":"a\\u003cb\\u003e\\u0026c"}'],
  ];
  it.each(cases)('serializes %s', (_name, pe, key) => {
    expect(serializePathElement(pe)).toBe(key);
    expect(serializePathElement(parsePathElement(key)!)).toBe(key);
  });

  it('normalizes a key element written with spaces or out of order', () => {
    expect(serializePathElement(parsePathElement('k:{ "protocol":"UDP","port":53}')!)).toBe('k:{"port":53,"protocol":"UDP"}');
    expect(serializePathElement(parsePathElement('v: 3')!)).toBe('v:3');
  });

  it('ignores element types it does not know and rejects malformed ones', () => {
    expect(parsePathElement('x:whatever')).toBeUndefined();
    expect(() => parsePathElement('f')).toThrow(FieldsV1Error);
    expect(() => parsePathElement('fspec')).toThrow(FieldsV1Error);
    expect(() => parsePathElement('k:{"name":')).toThrow(FieldsV1Error);
    expect(() => parsePathElement('i:one')).toThrow(FieldsV1Error);
  });

  const strings: Array<[FieldPath, string]> = [
    [['spec', 'replicas'], '.spec.replicas'],
    [[...CONTAINERS, { k: { name: 'web' } }, 'image'], '.spec.template.spec.containers[name="web"].image'],
    [[...CONTAINERS, { k: { name: 'web' } }, 'ports', { k: { containerPort: 80, protocol: 'TCP' } }], '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]'],
    [['metadata', 'finalizers', { v: 'a' }], '.metadata.finalizers[="a"]'],
    [['spec', 'args', { i: 0 }], '.spec.args[0]'],
  ];
  it.each(strings)('renders %j as %s, as conflict causes name fields', (path, text) => {
    expect(pathString(path)).toBe(text);
  });
});

describe('FieldsV1 encoding', () => {
  it('orders field names, then keys, then values, then indexes, and marks a path that is both member and parent with "."', () => {
    const set = FieldSet.of(
      ['i', { i: 2 }],
      ['i', { v: 'b' }],
      ['i', { v: 1 }],
      ['i', { k: { name: 'second' } }],
      ['i', { k: { name: 'first' } }, 'x'],
      ['i', { k: { name: 'first' } }],
      ['i', 'zz'],
      ['i', 'aa'],
      ['i'],
    );
    expect(JSON.stringify(set.toFieldsV1())).toBe(
      '{"f:i":{".":{},"f:aa":{},"f:zz":{},"k:{\\"name\\":\\"first\\"}":{".":{},"f:x":{}},"k:{\\"name\\":\\"second\\"}":{},"v:1":{},"v:\\"b\\"":{},"i:2":{}}}',
    );
  });

  it('sorts numbers before strings before booleans, and keys field by field', () => {
    const set = FieldSet.of(
      ['s', { v: true }],
      ['s', { v: 'aa' }],
      ['s', { v: 10 }],
      ['s', { v: 2 }],
      ['p', { k: { port: 443, protocol: 'UDP' } }],
      ['p', { k: { port: 443, protocol: 'TCP' } }],
      ['p', { k: { port: 80, protocol: 'UDP' } }],
    );
    expect(Object.keys(set.toFieldsV1()['f:s'] as object)).toEqual(['v:2', 'v:10', 'v:"aa"', 'v:true']);
    expect(Object.keys(set.toFieldsV1()['f:p'] as object)).toEqual([
      'k:{"port":80,"protocol":"UDP"}',
      'k:{"port":443,"protocol":"TCP"}',
      'k:{"port":443,"protocol":"UDP"}',
    ]);
  });

  const roundTrips: Array<[string, string]> = [
    ['flat members', '{"f:a":{},"f:b":{},"k:{\\"name\\":\\"one\\"}":{},"v:1":{},"v:\\"x\\"":{},"i:0":{}}'],
    ['nested with self markers', '{"f:spec":{".":{},"f:items":{".":{},"k:{\\"name\\":\\" web-💻\\"}":{".":{},"f:name":{},"f:ports":{"k:{\\"name\\":\\"p ✅\\"}":{".":{},"f:port":{}}}}}}}'],
    ['children without markers', '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{"f:image":{}}}}}}}'],
  ];
  it.each(roundTrips)('decodes and re-encodes %s byte for byte', (_name, json) => {
    expect(JSON.stringify(FieldSet.fromFieldsV1(JSON.parse(json)).toFieldsV1())).toBe(json);
  });

  it('normalizes a trie written in another order', () => {
    const written = { 'f:b': {}, 'v:"x"': {}, 'f:a': { 'f:y': {}, '.': {}, 'f:x': {} }, 'k:{ "b":1, "a":2}': {} };
    expect(JSON.stringify(FieldSet.fromFieldsV1(written).toFieldsV1())).toBe(
      '{"f:a":{".":{},"f:x":{},"f:y":{}},"f:b":{},"k:{\\"a\\":2,\\"b\\":1}":{},"v:\\"x\\"":{}}',
    );
  });

  it('reads {} as a member and a node with children but no "." as a parent only', () => {
    const set = FieldSet.fromFieldsV1({ 'f:a': {}, 'f:b': { 'f:c': {} }, 'f:d': { '.': {}, 'f:e': {} } });
    expect(paths(set)).toEqual(['.a', '.d', '.b.c', '.d.e']);
    expect(set.has(['b'])).toBe(false);
    expect(set.has(['d'])).toBe(true);
  });

  it('rejects values that are not objects', () => {
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 1 })).toThrow(FieldsV1Error);
    expect(() => FieldSet.fromFieldsV1([])).toThrow(FieldsV1Error);
    expect(FieldSet.fromFieldsV1(undefined).empty).toBe(true);
  });
});

describe('set operations', () => {
  const a = FieldSet.of(['spec', 'replicas'], ['spec', 'template'], ['spec', 'template', 'x'], ['metadata', 'labels', 'app']);
  const b = FieldSet.of(['spec', 'replicas'], ['spec', 'template', 'y'], ['metadata', 'labels']);

  const cases: Array<[string, FieldSet, string[]]> = [
    ['union', a.union(b), ['.metadata.labels', '.metadata.labels.app', '.spec.replicas', '.spec.template', '.spec.template.x', '.spec.template.y']],
    ['intersection', a.intersection(b), ['.spec.replicas']],
    ['difference keeps paths below the other set\'s members', a.difference(b), ['.spec.template', '.spec.template.x', '.metadata.labels.app']],
    ['recursive difference removes them', a.recursiveDifference(b), ['.spec.template', '.spec.template.x']],
  ];
  it.each(cases)('%s', (_name, set, expected) => {
    expect([...paths(set)].sort()).toEqual([...expected].sort());
  });

  it('iterates a level\'s members before its children', () => {
    expect(paths(a)).toEqual(['.metadata.labels.app', '.spec.replicas', '.spec.template', '.spec.template.x']);
  });

  it('compares, counts and leaves operands unchanged', () => {
    expect(a.union(b).equals(b.union(a))).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(a.size).toBe(4);
    expect(a.union(b).size).toBe(6);
    expect(paths(a)).toHaveLength(4);
    expect(new FieldSet().empty).toBe(true);
    expect(a.difference(a).empty).toBe(true);
  });

  it('makes struct fields with owned children members, but not list items', () => {
    const set = FieldSet.of([...CONTAINERS, { k: { name: 'web' } }, 'image']);
    expect(paths(set.ensureNamedFieldsAreMembers(deploymentSchema))).toEqual([
      '.spec',
      '.spec.template',
      '.spec.template.spec',
      '.spec.template.spec.containers',
      '.spec.template.spec.containers[name="web"].image',
    ]);
  });
});

describe('list shapes', () => {
  it.each([
    ['no metadata', undefined, { type: 'atomic' }],
    ['list-type atomic', { listType: 'atomic' as const }, { type: 'atomic' }],
    ['list-type set', { listType: 'set' as const }, { type: 'set' }],
    ['list-type map with keys', { listType: 'map' as const, listMapKeys: ['a', 'b'] }, { type: 'map', keys: ['a', 'b'] }],
    ['merge strategy with a key', { patchStrategy: 'merge', patchMergeKey: 'name' }, { type: 'map', keys: ['name'] }],
    ['merge strategy of scalars', { patchStrategy: 'merge' }, { type: 'set' }],
  ])('%s', (_name, meta, shape) => {
    expect(listShape(meta)).toEqual(shape);
  });
});

describe('FieldSet.fromObject', () => {
  const appliedDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['example.com/a'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          nodeSelector: { disk: 'ssd' },
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              args: ['--port', '80'],
              ports: [{ containerPort: 80 }],
              env: [{ name: 'MODE', value: 'prod' }],
              resources: {},
            },
          ],
          volumes: [{ name: 'cache', emptyDir: {} }],
        },
      },
    },
  };

  it('writes a Deployment apply configuration as kube-apiserver does', () => {
    const fields = FieldSet.fromObject(appliedDeployment, deploymentSchema).toFieldsV1();
    expect(JSON.stringify(fields)).toBe(JSON.stringify({
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': {
        'f:finalizers': { 'v:"example.com/a"': {} },
        'f:labels': { 'f:app': {} },
        'f:name': {},
      },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': { 'f:type': {} },
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {},
                'f:args': {},
                'f:env': { 'k:{"name":"MODE"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                'f:resources': {},
              },
            },
            'f:nodeSelector': {},
            'f:volumes': { 'k:{"name":"cache"}': { '.': {}, 'f:emptyDir': {}, 'f:name': {} } },
          },
        },
      },
    }));
  });

  it('round-trips through FieldsV1', () => {
    const set = FieldSet.fromObject(appliedDeployment, deploymentSchema);
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true);
  });

  it('owns a field applied as null or {} itself', () => {
    const set = FieldSet.fromObject({ spec: { replicas: null, strategy: {} } }, deploymentSchema);
    expect(paths(set)).toEqual(['.spec.replicas', '.spec.strategy']);
  });

  it('keeps atomic lists, atomic maps and atomic structs as leaves', () => {
    const set = FieldSet.fromObject(
      { spec: { tolerations: [{ key: 'a' }], nodeSelector: { a: 'b' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } } },
      podSchema,
    );
    expect(paths(set)).toEqual(['.spec.nodeSelector', '.spec.tolerations', '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution']);
  });

  it('marks map keys of maps of objects as members', () => {
    const crd = builtinPatchSchema('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps');
    const set = FieldSet.fromObject({ properties: { spec: { type: 'object' } } }, crd);
    expect(set.toFieldsV1()).toEqual({ 'f:properties': { 'f:spec': { '.': {}, 'f:type': {} } } });
  });

  it('counts a duplicated item as the item alone, unless duplicates are rejected', () => {
    const obj = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] } };
    expect(paths(FieldSet.fromObject(obj, podSchema))).toEqual(['.spec.containers[name="a"]']);
    expect(() => FieldSet.fromObject(obj, podSchema, { rejectDuplicates: true })).toThrow('.spec.containers: duplicate entries for key [name="a"]');
  });

  it.each([
    ['a keyed item without its key', { spec: { containers: [{ image: 'x' }] } }, '.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)'],
    ['a scalar in a keyed list', { spec: { containers: ['x'] } }, '.spec.containers: element 0: associative list with keys may not have non-map elements'],
    ['a map in a set', { metadata: { finalizers: [{}] } }, ".metadata.finalizers: element 0: associative list without keys has an element that's a map type"],
  ])('rejects %s', (_name, obj, message) => {
    expect(() => FieldSet.fromObject(obj, podSchema)).toThrow(FieldSetError);
    expect(() => FieldSet.fromObject(obj, podSchema)).toThrow(message);
  });

  it('follows a CRD structural schema: lists without a list type are atomic', () => {
    const schema: PatchSchema = openAPIPatchSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            hosts: { type: 'array', items: { type: 'string' } },
            rules: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['host'], items: { type: 'object', properties: { host: { type: 'string' } } } },
          },
        },
      },
    });
    const set = FieldSet.fromObject({ spec: { hosts: ['a'], rules: [{ host: 'h', path: '/' }] } }, schema);
    expect(set.toFieldsV1()).toEqual({ 'f:spec': { 'f:hosts': {}, 'f:rules': { 'k:{"host":"h"}': { '.': {}, 'f:host': {}, 'f:path': {} } } } });
  });
});

describe('compareObjects', () => {
  const schema = podSchema;
  const base = {
    metadata: { labels: { a: '1' }, finalizers: ['x'] },
    spec: { containers: [{ name: 'web', image: 'v1' }], tolerations: [{ key: 'k' }] },
  };
  const cases: Array<[string, object, { added?: string[]; removed?: string[]; modified?: string[] }]> = [
    ['nothing changed', base, {}],
    ['a scalar changed', { ...base, spec: { ...base.spec, containers: [{ name: 'web', image: 'v2' }] } }, { modified: ['.spec.containers[name="web"].image'] }],
    ['a label added and the map kept', { ...base, metadata: { ...base.metadata, labels: { a: '1', b: '2' } } }, { added: ['.metadata.labels.b'] }],
    ['a map removed with its keys', { ...base, metadata: { finalizers: ['x'] } }, { removed: ['.metadata.labels', '.metadata.labels.a'] }],
    ['a list item added with its fields', { ...base, spec: { ...base.spec, containers: [{ name: 'web', image: 'v1' }, { name: 'side', image: 's' }] } }, {
      added: ['.spec.containers[name="side"]', '.spec.containers[name="side"].image', '.spec.containers[name="side"].name'],
    }],
    ['a set value replaced', { ...base, metadata: { ...base.metadata, finalizers: ['y'] } }, { added: ['.metadata.finalizers[="y"]'], removed: ['.metadata.finalizers[="x"]'] }],
    ['an atomic list changed as a whole', { ...base, spec: { ...base.spec, tolerations: [{ key: 'k', effect: 'NoSchedule' }] } }, { modified: ['.spec.tolerations'] }],
  ];
  it.each(cases)('%s', (_name, after, expected) => {
    const cmp = compareObjects(base, after, schema);
    expect(paths(cmp.added).sort()).toEqual([...(expected.added ?? [])].sort());
    expect(paths(cmp.removed).sort()).toEqual([...(expected.removed ?? [])].sort());
    expect(paths(cmp.modified).sort()).toEqual([...(expected.modified ?? [])].sort());
  });

  it('never reports a struct held by value as added: only what it holds', () => {
    const cmp = compareObjects({ spec: {} }, { spec: { strategy: { type: 'Recreate' } } }, deploymentSchema);
    expect(paths(cmp.added)).toEqual(['.spec.strategy.type']);
  });

  it('reports a pointer struct that appears, as kube does', () => {
    const cmp = compareObjects({ spec: { strategy: {} } }, { spec: { strategy: { rollingUpdate: { maxSurge: 1 } } } }, deploymentSchema);
    expect(paths(cmp.added)).toEqual(['.spec.strategy.rollingUpdate', '.spec.strategy.rollingUpdate.maxSurge']);
  });
});
