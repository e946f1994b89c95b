import {
  NO_PATCH_METADATA,
  builtinPatchSchema,
  childDefinition,
  customPatchSchema,
  definitionMapType,
  openAPIExtensions,
  openAPIPatchSchema,
  patchMetaFor,
  type FieldPatchMeta,
  type PatchField,
  type PatchSchema,
} from '../../schemas/patch-metadata';
import { PatchError } from '../../server/patch/patch-error';
import { strategicMergePatch } from '../../server/patch/strategic-merge-patch';

type Obj = Record<string, unknown>;

/**
 * itemSchema is a self-referential test type in the spirit of the one apimachinery's own table
 * uses: every field name says how it patches, and list items are again of this type.
 */
const itemFields: Record<string, FieldPatchMeta | undefined> = {
  mergingList: { patchStrategy: 'merge', patchMergeKey: 'name' },
  mergingIntList: { patchStrategy: 'merge' },
  nonMergingList: undefined,
  nonMergingIntList: undefined,
  retainKeysMap: { patchStrategy: 'retainKeys' },
  retainKeysMergingList: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  replacingMap: { patchStrategy: 'replace' },
  simpleMap: undefined,
};
const itemSchema: PatchSchema = {
  name: 'item',
  field(name: string): PatchField {
    const meta = itemFields[name];
    return meta ? { meta, schema: itemSchema } : { schema: itemSchema };
  },
};

/** smp applies patch to original with the test schema (or another). */
function smp(original: Obj, patch: Obj, schema: PatchSchema = itemSchema): Obj {
  return strategicMergePatch(original, patch, schema);
}

/** patchError returns the PatchError that applying patch throws. */
function patchError(original: Obj, patch: Obj, schema: PatchSchema = itemSchema): PatchError {
  try {
    smp(original, patch, schema);
  } catch (err) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  throw new Error('expected a PatchError');
}

interface Case {
  name: string;
  original: Obj;
  patch: Obj;
  expected: Obj;
}

const mapCases: Case[] = [
  { name: 'adds a field', original: { a: 1 }, patch: { b: 2 }, expected: { a: 1, b: 2 } },
  { name: 'changes a field', original: { a: 1, b: 2 }, patch: { b: 3 }, expected: { a: 1, b: 3 } },
  { name: 'deletes a field given null', original: { a: 1, b: 2 }, patch: { b: null }, expected: { a: 1 } },
  { name: 'ignores null for a field that is not there', original: { a: 1 }, patch: { z: null }, expected: { a: 1 } },
  {
    name: 'merges nested maps',
    original: { simpleMap: { k1: 'a', k2: 'b' } },
    patch: { simpleMap: { k2: null, k3: 'c' } },
    expected: { simpleMap: { k1: 'a', k3: 'c' } },
  },
  {
    name: 'drops nulls inside a map the object did not have',
    original: {},
    patch: { simpleMap: { k1: 'a', k2: null, inner: { x: null } } },
    expected: { simpleMap: { k1: 'a', inner: {} } },
  },
  {
    name: '$patch: replace swaps a nested map for the patch',
    original: { simpleMap: { k1: 'a', k2: 'b' } },
    patch: { simpleMap: { $patch: 'replace', k3: 'c' } },
    expected: { simpleMap: { k3: 'c' } },
  },
  {
    name: '$patch: replace at the top replaces the whole object',
    original: { a: 1, b: 2 },
    patch: { $patch: 'replace', c: 3 },
    expected: { c: 3 },
  },
  {
    name: '$patch: delete empties a nested map',
    original: { simpleMap: { k1: 'a' }, a: 1 },
    patch: { simpleMap: { $patch: 'delete' } },
    expected: { simpleMap: {}, a: 1 },
  },
  {
    name: 'a field with patchStrategy replace is replaced, not merged',
    original: { replacingMap: { matchLabels: { a: '1' } } },
    patch: { replacingMap: { matchExpressions: [] } },
    expected: { replacingMap: { matchExpressions: [] } },
  },
  {
    name: 'a value of another type replaces the original',
    original: { simpleMap: { k: 'v' }, n: 1 },
    patch: { simpleMap: 'flat', n: [1] },
    expected: { simpleMap: 'flat', n: [1] },
  },
];

const listCases: Case[] = [
  {
    name: 'merges items with the same merge key and keeps the others',
    original: { mergingList: [{ name: 'a', value: 1 }, { name: 'b', value: 2 }] },
    patch: { mergingList: [{ name: 'b', value: 3, other: 'x' }] },
    expected: { mergingList: [{ name: 'a', value: 1 }, { name: 'b', value: 3, other: 'x' }] },
  },
  {
    name: 'puts a new item first, before the items only the server has (kube order)',
    original: { mergingList: [{ name: 'a' }, { name: 'b' }] },
    patch: { mergingList: [{ name: 'c', value: 3 }] },
    expected: { mergingList: [{ name: 'c', value: 3 }, { name: 'a' }, { name: 'b' }] },
  },
  {
    name: 'keeps the patch order of the patched items and slots server-only items in by position',
    original: { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] },
    patch: { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }] },
    expected: { mergingList: [{ name: '2', value: 'b' }, { name: '3', value: 'c' }, { name: '1', value: 'a' }] },
  },
  {
    name: 'deletes a field of a merged item given null',
    original: { mergingList: [{ name: 'a', value: 1, other: 2 }] },
    patch: { mergingList: [{ name: 'a', other: null }] },
    expected: { mergingList: [{ name: 'a', value: 1 }] },
  },
  {
    name: '$patch: delete removes every item with that key',
    original: { mergingList: [{ name: '1' }, { name: '1' }, { name: '2', value: 'a' }, { name: '3' }] },
    patch: { mergingList: [{ name: '1', $patch: 'delete' }, { name: '3', $patch: 'delete' }] },
    expected: { mergingList: [{ name: '2', value: 'a' }] },
  },
  {
    name: '$patch: delete of an item that is not there changes nothing',
    original: { mergingList: [{ name: 'a' }] },
    patch: { mergingList: [{ name: 'z', $patch: 'delete' }] },
    expected: { mergingList: [{ name: 'a' }] },
  },
  {
    name: 'adds one item and deletes another in one patch',
    original: { mergingList: [{ name: 'a' }, { name: 'b' }] },
    patch: { mergingList: [{ name: 'a', $patch: 'delete' }, { name: 'c' }] },
    expected: { mergingList: [{ name: 'c' }, { name: 'b' }] },
  },
  {
    name: '$patch: replace makes the other patch items the whole list',
    original: { mergingList: [{ name: 'a', value: 1 }, { name: 'b' }] },
    patch: { mergingList: [{ $patch: 'replace' }, { name: 'c' }, { name: 'a' }] },
    expected: { mergingList: [{ name: 'c' }, { name: 'a' }] },
  },
  {
    name: '$patch: replace alone empties the list',
    original: { mergingList: [{ name: 'a' }, { name: 'b' }] },
    patch: { mergingList: [{ $patch: 'replace' }] },
    expected: { mergingList: [] },
  },
  {
    name: 'directive items of a list the object did not have are dropped',
    original: {},
    patch: { mergingList: [{ name: 'x', $patch: 'delete' }, { name: 'y', value: null }] },
    expected: { mergingList: [{ name: 'y' }] },
  },
  {
    name: 'an empty patch list leaves a merging list alone',
    original: { mergingList: [{ name: 'a' }] },
    patch: { mergingList: [] },
    expected: { mergingList: [{ name: 'a' }] },
  },
  {
    name: 'a list without merge strategy is replaced',
    original: { nonMergingList: [{ name: 'a' }, { name: 'b' }], nonMergingIntList: [1, 2] },
    patch: { nonMergingList: [{ name: 'c' }], nonMergingIntList: [3] },
    expected: { nonMergingList: [{ name: 'c' }], nonMergingIntList: [3] },
  },
  {
    name: 'merges a list of scalars as a set, without duplicates',
    original: { mergingIntList: [1, 2] },
    patch: { mergingIntList: [2, 3] },
    expected: { mergingIntList: [1, 2, 3] },
  },
  {
    name: 'orders a merged scalar list by the patch, server-only values slotted in',
    original: { mergingIntList: [1, 2, 3] },
    patch: { mergingIntList: [3, 1] },
    expected: { mergingIntList: [2, 3, 1] },
  },
  {
    name: 'merges nested merging lists inside merged items',
    original: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', value: 1 }, { name: 'y' }] }] },
    patch: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', value: 2 }] }] },
    expected: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', value: 2 }, { name: 'y' }] }] },
  },
  {
    name: 'replaces a non-merging list nested in a merged item',
    original: { mergingList: [{ name: 'a', nonMergingIntList: [1, 2] }, { name: 'b' }] },
    patch: { mergingList: [{ name: 'a', nonMergingIntList: [3] }] },
    expected: { mergingList: [{ name: 'a', nonMergingIntList: [3] }, { name: 'b' }] },
  },
];

const deleteFromPrimitiveListCases: Case[] = [
  {
    name: 'deletes values from a merging scalar list',
    original: { mergingIntList: [1, 2, 3] },
    patch: { '$deleteFromPrimitiveList/mergingIntList': [2] },
    expected: { mergingIntList: [1, 3] },
  },
  {
    name: 'deletes values from a non-merging scalar list too',
    original: { nonMergingIntList: [1, 2, 3] },
    patch: { '$deleteFromPrimitiveList/nonMergingIntList': [2] },
    expected: { nonMergingIntList: [1, 3] },
  },
  {
    name: 'does not add a value it was asked to delete',
    original: { mergingIntList: [1, 2] },
    patch: { '$deleteFromPrimitiveList/mergingIntList': [3] },
    expected: { mergingIntList: [1, 2] },
  },
  {
    name: 'does not create a list that is not there',
    original: { other: ['x'] },
    patch: { '$deleteFromPrimitiveList/mergingIntList': [3] },
    expected: { other: ['x'] },
  },
  {
    name: 'adds and deletes in one patch',
    original: { mergingIntList: [1, 2, 3] },
    patch: { mergingIntList: [4], '$deleteFromPrimitiveList/mergingIntList': [1] },
    expected: { mergingIntList: [4, 2, 3] },
  },
];

const setElementOrderCases: Case[] = [
  {
    name: 'reorders a merging list without changing its items',
    original: { mergingList: [{ name: '1' }, { name: '3', value: 3 }, { name: '4', value: 4 }, { name: '2', value: 2 }] },
    patch: { '$setElementOrder/mergingList': [{ name: '4' }, { name: '2' }, { name: '3' }, { name: '1' }] },
    expected: { mergingList: [{ name: '4', value: 4 }, { name: '2', value: 2 }, { name: '3', value: 3 }, { name: '1' }] },
  },
  {
    name: 'places a new item where the order says, not first',
    original: { mergingList: [{ name: '1', other: 'a' }, { name: '2', value: 2, other: 'b' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: '1' }, { name: '4' }, { name: '2' }, { name: '3' }],
      mergingList: [{ name: '4', value: 4 }, { name: '3', value: 3 }],
    },
    expected: {
      mergingList: [{ name: '1', other: 'a' }, { name: '4', value: 4 }, { name: '2', value: 2, other: 'b' }, { name: '3', value: 3 }],
    },
  },
  {
    name: 'keeps server-only items next to their original neighbours',
    original: { mergingList: [{ name: '1' }, { name: '2' }, { name: '7' }, { name: '9' }, { name: '8' }, { name: '3' }, { name: '4' }] },
    patch: { '$setElementOrder/mergingList': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] },
    expected: {
      mergingList: [{ name: '2' }, { name: '1' }, { name: '7' }, { name: '9' }, { name: '8' }, { name: '4' }, { name: '3' }],
    },
  },
  {
    name: 'ignores order entries that match no item',
    original: { mergingList: [{ name: '1' }, { name: '3' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: '3' }, { name: '2' }, { name: '1' }],
      mergingList: [{ name: '3', value: 3 }, { name: '1', value: 1 }],
    },
    expected: { mergingList: [{ name: '3', value: 3 }, { name: '1', value: 1 }] },
  },
  {
    name: 'reorders a scalar list',
    original: { mergingIntList: [1, 2, 3] },
    patch: { '$setElementOrder/mergingIntList': [3, 1, 2] },
    expected: { mergingIntList: [3, 1, 2] },
  },
  {
    name: 'orders a scalar list after a deletion',
    original: { mergingIntList: [1, 2, 3] },
    patch: { '$setElementOrder/mergingIntList': [3, 1], '$deleteFromPrimitiveList/mergingIntList': [2] },
    expected: { mergingIntList: [3, 1] },
  },
  {
    name: 'orders, adds and deletes scalars in one patch, as kubectl sends it',
    original: { mergingIntList: [1, 2, 3] },
    patch: {
      '$setElementOrder/mergingIntList': [1, 2, 4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
      mergingIntList: [4],
    },
    expected: { mergingIntList: [1, 2, 4] },
  },
  {
    name: 'orders, adds and deletes items in one patch, keeping fields set by others',
    original: { mergingList: [{ name: '1', other: 'a' }, { name: '2', value: 2, other: 'b' }, { name: '3', value: 3 }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: '4' }, { name: '2' }, { name: '1' }],
      mergingList: [{ name: '4', value: 4 }, { name: '3', $patch: 'delete' }],
    },
    expected: { mergingList: [{ name: '4', value: 4 }, { name: '2', value: 2, other: 'b' }, { name: '1', other: 'a' }] },
  },
  {
    name: 'groups duplicates of a merge key as kube does',
    original: { mergingList: [{ name: '1' }, { name: '2', value: 'dup1' }, { name: '3' }, { name: '2', value: 'dup2' }, { name: '4' }] },
    patch: { '$setElementOrder/mergingList': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }, { name: '2' }] },
    expected: {
      mergingList: [{ name: '2', value: 'dup1' }, { name: '2', value: 'dup2' }, { name: '1' }, { name: '4' }, { name: '3' }],
    },
  },
];

const retainKeysCases: Case[] = [
  {
    name: 'clears the fields not listed',
    original: { retainKeysMap: { name: 'foo', value: 'a', other: 'b' } },
    patch: { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'c' } },
    expected: { retainKeysMap: { name: 'foo', value: 'c' } },
  },
  {
    name: 'lets a listed field be deleted with null',
    original: { retainKeysMap: { name: 'foo', value: 'a' } },
    patch: { retainKeysMap: { $retainKeys: ['name'], value: null } },
    expected: { retainKeysMap: { name: 'foo' } },
  },
  {
    name: 'merges as usual without the directive',
    original: { retainKeysMap: { name: 'foo', value: 'a' } },
    patch: { retainKeysMap: { other: 'b' } },
    expected: { retainKeysMap: { name: 'foo', value: 'a', other: 'b' } },
  },
  {
    name: 'applies to items of a merge,retainKeys list',
    original: { retainKeysMergingList: [{ name: 'a', value: 1, other: 2 }, { name: 'b' }] },
    patch: { retainKeysMergingList: [{ name: 'a', $retainKeys: ['name', 'value'], value: 3 }] },
    expected: { retainKeysMergingList: [{ name: 'a', value: 3 }, { name: 'b' }] },
  },
  {
    name: 'is not stored when the map is new',
    original: {},
    patch: { retainKeysMap: { $retainKeys: ['name'], name: 'x' } },
    expected: { retainKeysMap: { name: 'x' } },
  },
];

describe('strategicMergePatch', () => {
  describe.each([
    ['maps', mapCases],
    ['merging lists', listCases],
    ['$deleteFromPrimitiveList', deleteFromPrimitiveListCases],
    ['$setElementOrder', setElementOrderCases],
    ['$retainKeys', retainKeysCases],
  ])('%s', (_group, cases) => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      expect(smp(c.original, c.patch)).toEqual(c.expected);
    });
  });

  it('changes neither input and shares nothing with them', () => {
    const original = { mergingList: [{ name: 'a', simpleMap: { k: 'v' } }], simpleMap: { x: [1] } };
    const patch = { mergingList: [{ name: 'b', simpleMap: { k: 'w' } }], simpleMap: { y: [2] } };
    const before = JSON.stringify([original, patch]);
    const result = smp(original, patch) as { mergingList: Obj[]; simpleMap: { x: unknown[]; y: unknown[] } };
    expect(JSON.stringify([original, patch])).toBe(before);
    expect(result.mergingList[1]).not.toBe(original.mergingList[0]);
    expect(result.mergingList[0]).not.toBe(patch.mergingList[0]);
    expect(result.simpleMap.x).not.toBe(original.simpleMap.x);
  });

  describe('malformed patches', () => {
    const errors: Array<[string, Obj, Obj, RegExp, 400 | 422]> = [
      ['an item without its merge key', { mergingList: [{ name: 'a' }] }, { mergingList: [{ value: 'b' }] }, /^map: map\[value:b\] does not contain declared merge key: name$/, 400],
      ['$patch: delete without the merge key', { mergingList: [{ name: 'a' }] }, { mergingList: [{ $patch: 'delete' }] }, /does not contain declared merge key: name/, 400],
      ['$patch: merge in a list', { mergingList: [{ name: 'a' }] }, { mergingList: [{ $patch: 'merge' }] }, /^merging lists cannot yet be specified in the patch$/, 400],
      ['$patch: merge on a map', { simpleMap: { a: 1 } }, { simpleMap: { $patch: 'merge', b: 2 } }, /^unknown patch type: merge in map: map\[\$patch:merge b:2\]$/, 400],
      ['an unknown $patch in a list', { mergingList: [{ name: 'a' }] }, { mergingList: [{ name: 'a', $patch: 'frob' }] }, /^unknown patch type: frob in map:/, 400],
      ['$setElementOrder disagreeing with the patch list', { mergingList: [{ name: '1' }, { name: '3' }, { name: '2' }] }, { '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }, { name: '3' }], mergingList: [{ name: '3', value: 3 }, { name: '1', value: 1 }] }, /doesn't match \$setElementOrder list/, 400],
      ['$setElementOrder that is not a list', { mergingList: [] }, { '$setElementOrder/mergingList': 'x' }, /^expected a \[\]interface \{\}, but received a string$/, 400],
      ['$setElementOrder without a field', {}, { $setElementOrder: [] }, /^invalid patch format of setElementOrder list$/, 400],
      ['$deleteFromPrimitiveList without a field', { mergingIntList: [1] }, { $deleteFromPrimitiveList: [1] }, /^invalid patch format of primitive list$/, 400],
      ['$retainKeys that is not a list', { retainKeysMap: { a: 1 } }, { retainKeysMap: { $retainKeys: 'a' } }, /^invalid patch format of retainKeys$/, 400],
      ['a field set outside $retainKeys', { retainKeysMap: { a: 1 } }, { retainKeysMap: { $retainKeys: ['a'], b: 2 } }, /^invalid patch format of retainKeys$/, 400],
      ['items of different types', { mergingIntList: [1] }, { mergingIntList: ['x'] }, /^list element types are not identical/, 400],
      ['lists of lists', { mergingIntList: [[1]] }, { mergingIntList: [[2]] }, /^lists of lists are not supported$/, 422],
    ];
    it.each(errors)('rejects %s', (_name, original, patch, message, code) => {
      const err = patchError(original, patch);
      expect(err.message).toMatch(message);
      expect(err.code).toBe(code);
    });

    it('rejects a merge strategy on a list of objects that declares no merge key', () => {
      const schema = openAPIPatchSchema({
        type: 'object',
        properties: { items: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', items: { type: 'object' } } },
      });
      const err = patchError({ items: [{ a: 1 }] }, { items: [{ a: 2 }] }, schema);
      expect(err.message).toBe('cannot merge lists without merge key for object');
    });
  });
});

/** A Deployment as kubectl apply would have created it, then scaled by someone else. */
function liveDeployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', tier: 'front' },
      annotations: { note: 'keep' },
      finalizers: ['example.com/a', 'example.com/b'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u1' }],
    },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          imagePullSecrets: [{ name: 'registry' }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
    status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] },
  };
}

/** at reads a nested value by path segments. */
function at(obj: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], obj);
}

describe('strategicMergePatch on a Deployment (built-in metadata)', () => {
  const deployment = builtinPatchSchema('io.k8s.api.apps.v1.Deployment');

  it('kubectl set image: changes one container, leaves the other and every list alone', () => {
    const result = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } } }, deployment);
    const containers = at(result, 'spec', 'template', 'spec', 'containers') as Obj[];
    expect(containers.map((c) => [c.name, c.image])).toEqual([['app', 'nginx:1.27'], ['sidecar', 'busybox']]);
    expect(containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(at(result, 'spec', 'replicas')).toBe(5);
  });

  it('merges env by name, ports by containerPort, volumeMounts by mountPath and volumes by name', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [{
              name: 'app',
              env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }, { name: 'A', $patch: 'delete' }],
              ports: [{ containerPort: 8080, name: 'metrics' }],
              volumeMounts: [{ mountPath: '/data', readOnly: true }, { name: 'cache', mountPath: '/cache' }],
            }],
            volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }],
          },
        },
      },
    };
    const result = smp(liveDeployment(), patch, deployment);
    const app = at(result, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    expect(app.env).toEqual([{ name: 'B', value: '3' }, { name: 'C', value: '4' }]);
    expect(app.ports).toEqual([{ containerPort: 8080, name: 'metrics' }, { containerPort: 80, protocol: 'TCP' }]);
    expect(app.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }, { name: 'cache', mountPath: '/cache' }]);
    expect(at(result, 'spec', 'template', 'spec', 'volumes')).toEqual([{ name: 'cache', emptyDir: { medium: 'Memory' } }, { name: 'data', emptyDir: {} }]);
  });

  it('deletes a container with $patch: delete', () => {
    const result = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } }, deployment);
    expect((at(result, 'spec', 'template', 'spec', 'containers') as Obj[]).map((c) => c.name)).toEqual(['app']);
  });

  it('adds a container first without $setElementOrder, and where kubectl orders it with one', () => {
    const added = { name: 'log', image: 'fluent' };
    const plain = smp(liveDeployment(), { spec: { template: { spec: { containers: [added] } } } }, deployment);
    expect((at(plain, 'spec', 'template', 'spec', 'containers') as Obj[]).map((c) => c.name)).toEqual(['log', 'app', 'sidecar']);
    const ordered = smp(liveDeployment(), {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }, { name: 'log' }], containers: [added] } } },
    }, deployment);
    expect((at(ordered, 'spec', 'template', 'spec', 'containers') as Obj[]).map((c) => c.name)).toEqual(['app', 'sidecar', 'log']);
  });

  it('applies the patch kubectl apply computes for an edited manifest', () => {
    // The manifest changed the image, dropped env B, added port 8080 and dropped label tier;
    // replicas came from kubectl scale and stay.
    const patch = {
      metadata: { labels: { tier: null } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [{
              '$setElementOrder/env': [{ name: 'A' }],
              '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 8080 }],
              env: [{ $patch: 'delete', name: 'B' }],
              image: 'nginx:1.27',
              name: 'app',
              ports: [{ containerPort: 8080 }],
            }],
          },
        },
      },
    };
    const result = smp(liveDeployment(), patch, deployment);
    const app = at(result, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    expect(app.image).toBe('nginx:1.27');
    expect(app.env).toEqual([{ name: 'A', value: '1' }]);
    expect(app.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080 }]);
    expect(at(result, 'metadata', 'labels')).toEqual({ app: 'web' });
    expect(at(result, 'spec', 'replicas')).toBe(5);
    expect(Object.keys(app).some((k) => k.startsWith('$'))).toBe(false);
  });

  it('switches the strategy from RollingUpdate to Recreate with $retainKeys', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };
    expect(at(smp(liveDeployment(), patch, deployment), 'spec', 'strategy')).toEqual({ type: 'Recreate' });
    // Without rollingUpdate: null, $retainKeys alone clears it.
    const bare = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    expect(at(smp(liveDeployment(), bare, deployment), 'spec', 'strategy')).toEqual({ type: 'Recreate' });
  });

  it('merges finalizers as a set and deletes them with $deleteFromPrimitiveList', () => {
    const added = smp(liveDeployment(), { metadata: { finalizers: ['example.com/b', 'example.com/c'] } }, deployment);
    expect(at(added, 'metadata', 'finalizers')).toEqual(['example.com/a', 'example.com/b', 'example.com/c']);
    const removed = smp(liveDeployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] } }, deployment);
    expect(at(removed, 'metadata', 'finalizers')).toEqual(['example.com/b']);
  });

  it('merges ownerReferences by uid, imagePullSecrets by name and replaces atomic tolerations', () => {
    const result = smp(liveDeployment(), {
      metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'other', uid: 'u2' }] },
      spec: { template: { spec: { imagePullSecrets: [{ name: 'mirror' }], tolerations: [{ key: 'b', operator: 'Exists' }] } } },
    }, deployment);
    expect((at(result, 'metadata', 'ownerReferences') as Obj[]).map((o) => o.uid)).toEqual(['u2', 'u1']);
    expect(at(result, 'spec', 'template', 'spec', 'imagePullSecrets')).toEqual([{ name: 'mirror' }, { name: 'registry' }]);
    expect(at(result, 'spec', 'template', 'spec', 'tolerations')).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('kubectl rollout restart: adds a template annotation and keeps the rest', () => {
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } } };
    const result = smp(liveDeployment(), patch, deployment);
    expect(at(result, 'spec', 'template', 'metadata')).toEqual({
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
    });
  });

  it('merges status conditions by type', () => {
    const result = smp(liveDeployment(), { status: { conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] } }, deployment);
    expect(at(result, 'status', 'conditions')).toEqual([
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
      { type: 'Progressing', status: 'True' },
    ]);
  });

  it('merges Service ports by port', () => {
    const service = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }], selector: { app: 'web' } } };
    const result = smp(service, { spec: { ports: [{ port: 80, targetPort: 9090 }], selector: { app: 'api' } } }, builtinPatchSchema('io.k8s.api.core.v1.Service'));
    expect(result).toEqual({
      spec: { ports: [{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443 }], selector: { app: 'api' } },
    });
  });
});

describe('patch metadata of the built-in types', () => {
  const CORE = 'io.k8s.api.core.v1';
  const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

  it('knows the merge keys and strategies kube-apiserver publishes', () => {
    expect(patchMetaFor(`${CORE}.PodSpec`, 'containers')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map' });
    expect(patchMetaFor(`${CORE}.Container`, 'ports')).toMatchObject({ patchMergeKey: 'containerPort', listMapKeys: ['containerPort', 'protocol'] });
    expect(patchMetaFor(`${CORE}.Container`, 'env')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
    expect(patchMetaFor(`${CORE}.Container`, 'volumeMounts')).toMatchObject({ patchMergeKey: 'mountPath' });
    expect(patchMetaFor(`${CORE}.PodSpec`, 'volumes')).toMatchObject({ patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' });
    expect(patchMetaFor(`${CORE}.PodSpec`, 'tolerations')).toEqual({ listType: 'atomic' });
    expect(patchMetaFor(`${META}.ObjectMeta`, 'finalizers')).toEqual({ patchStrategy: 'merge', listType: 'set' });
    expect(patchMetaFor(`${META}.ObjectMeta`, 'ownerReferences')).toMatchObject({ patchMergeKey: 'uid' });
    expect(patchMetaFor(`${CORE}.ServiceSpec`, 'ports')).toMatchObject({ patchMergeKey: 'port', listMapKeys: ['port', 'protocol'] });
    expect(patchMetaFor('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')).toEqual({ patchStrategy: 'retainKeys' });
    expect(patchMetaFor('io.k8s.api.batch.v1.JobStatus', 'conditions')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' });
    expect(patchMetaFor(`${CORE}.PodSpec`, 'nodeName')).toBeUndefined();
    expect(patchMetaFor('io.k8s.api.nope.v1.Nothing', 'x')).toBeUndefined();
  });

  it('walks from a kind down to its lists', () => {
    expect(childDefinition('io.k8s.api.apps.v1.Deployment', 'spec')).toBe('io.k8s.api.apps.v1.DeploymentSpec');
    expect(childDefinition('io.k8s.api.apps.v1.DeploymentSpec', 'template')).toBe(`${CORE}.PodTemplateSpec`);
    expect(childDefinition(`${CORE}.PodTemplateSpec`, 'spec')).toBe(`${CORE}.PodSpec`);
    expect(childDefinition(`${CORE}.PodSpec`, 'containers')).toBe(`${CORE}.Container`);
    expect(childDefinition('io.k8s.api.batch.v1.CronJobSpec', 'jobTemplate')).toBe('io.k8s.api.batch.v1.JobTemplateSpec');
    expect(childDefinition(`${CORE}.Container`, 'name')).toBeUndefined();
  });

  it('marks atomic structs', () => {
    expect(definitionMapType(`${META}.LabelSelector`)).toBe('atomic');
    expect(definitionMapType(`${CORE}.PodSpec`)).toBeUndefined();
  });

  it('renders OpenAPI extensions', () => {
    expect(openAPIExtensions(patchMetaFor(`${CORE}.PodSpec`, 'containers')!)).toEqual({
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
  });

  it('gives unknown fields no metadata, so their lists are replaced', () => {
    const result = smp({ spec: { extra: [1, 2] } }, { spec: { extra: [3] } }, builtinPatchSchema('io.k8s.api.apps.v1.Deployment'));
    expect(result).toEqual({ spec: { extra: [3] } });
    expect(NO_PATCH_METADATA.field('anything').meta).toBeUndefined();
  });
});

describe('patch schemas of custom resources', () => {
  const crdSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          plain: { type: 'array', items: { type: 'object' } },
          keyed: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object' } },
          declared: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'id', items: { type: 'object' } },
        },
      },
    },
  };
  const original = { metadata: { finalizers: ['a'] }, spec: { plain: [{ id: 1 }], keyed: [{ id: 1 }], declared: [{ id: 1 }] } };
  const patch = { metadata: { finalizers: ['b'] }, spec: { plain: [{ id: 2 }], keyed: [{ id: 2 }], declared: [{ id: 2 }] } };

  it('customPatchSchema replaces lists (JSON merge semantics) unless the schema declares a patch strategy', () => {
    expect(smp(original, patch, customPatchSchema({ schema: crdSchema }))).toEqual({
      metadata: { finalizers: ['b', 'a'] },
      spec: { plain: [{ id: 2 }], keyed: [{ id: 2 }], declared: [{ id: 2 }, { id: 1 }] },
    });
  });

  it('openAPIPatchSchema with listTypes merges map lists by their key', () => {
    const result = smp(original, patch, openAPIPatchSchema(crdSchema, { listTypes: true }));
    expect(at(result, 'spec', 'keyed')).toEqual([{ id: 2 }, { id: 1 }]);
    expect(at(result, 'spec', 'plain')).toEqual([{ id: 2 }]);
  });
});
