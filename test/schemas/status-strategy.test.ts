/**
 * The status strategy's prepared object is the stored object with the client's status (and
 * metadata, for built-in kinds): built without copying the parts it replaces, it must equal,
 * key order included, the object made by copying the whole stored object and then replacing them.
 */
import { statusStrategy, type StatusStrategyOptions } from '../../schemas/kinds/strategy';
import type { KubeObject } from '../../schemas/types';

// reference is the strategy as first written: a copy of the whole stored object, then the client's parts.
function reference(options: StatusStrategyOptions, obj: KubeObject, old: KubeObject): KubeObject {
  const next = structuredClone(old);
  if (options.metadata === 'client') {
    next.metadata = obj.metadata;
    if (options.keepLabels) {
      if (old.metadata?.labels === undefined) delete next.metadata!.labels;
      else next.metadata!.labels = structuredClone(old.metadata.labels);
    }
  }
  if (obj.status === undefined) delete next.status;
  else next.status = obj.status;
  options.prepareForUpdate?.(next, old);
  return next;
}

const olds: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' }, managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }] }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Pending' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } },
  { kind: 'Thing', spec: { n: 1 }, apiVersion: 'x/v1', status: { s: [1, { t: null }] }, metadata: { name: 't', annotations: { k: 'v' } }, extra: { deep: { list: [1, 2] } } },
  { metadata: { name: 'only-meta' } },
  { apiVersion: 'v1', kind: 'Secret', data: { k: 'dg==' }, status: { x: 1 } },
];
// The registry gives every body metadata before the strategy sees it.
const bodies: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { b: '2' }, annotations: { n: 'x' } }, spec: { changed: true }, status: { phase: 'Running', podIP: '10.0.0.1' } },
  { metadata: { name: 'p' } },
  { metadata: { name: 'p', labels: {} }, status: { only: 'status' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['f'] }, spec: { containers: [{ name: 'other' }] } },
];
const optionSets: StatusStrategyOptions[] = [
  { metadata: 'client' },
  { metadata: 'client', keepLabels: true },
  { metadata: 'stored' },
  { metadata: 'client', prepareForUpdate: (o, old) => (o.spec = structuredClone(old.spec ?? {})) },
];

describe('statusStrategy prepareForUpdate', () => {
  it.each(optionSets.flatMap((options, o) => olds.flatMap((old, i) => bodies.map((obj, j) => [`options ${o}, stored ${i}, body ${j}`, options, old, obj] as const))))(
    '%s: the same object as copying the whole stored object',
    (_name, options, old, obj) => {
      const want = reference(options, structuredClone(obj), structuredClone(old));
      const stored = structuredClone(old);
      const got = statusStrategy(options).prepareForUpdate(structuredClone(obj), stored);
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
      // What is kept of the stored object is a copy: changing it leaves the stored object as it was.
      for (const [k, v] of Object.entries(got)) if (v && typeof v === 'object' && k !== 'status' && !(k === 'metadata' && options.metadata === 'client')) expect(v).not.toBe(stored[k]);
      expect(stored).toEqual(old);
    },
  );
});
