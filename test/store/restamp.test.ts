import { restamp } from '../../store/sqlite-store';

// What stamp would write: the object parsed, its metadata.resourceVersion replaced, serialised again.
function reference(json: string, revision: number): string {
  const obj = JSON.parse(json);
  return JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } });
}

describe('restamp', () => {
  const shapes: Record<string, object> = {
    'metadata first': { metadata: { name: 'a', resourceVersion: '7' }, data: { resourceVersion: 'x' } },
    'metadata after decoys': {
      apiVersion: 'v1',
      data: { metadata: { resourceVersion: 'decoy' }, 'q"uote': 'a \\" b \\\\', resourceVersion: '"metadata":{"resourceVersion":"1"}' },
      list: [{ metadata: { resourceVersion: '9' } }, '"}]'],
      metadata: { labels: { resourceVersion: 'no' }, name: 'b', resourceVersion: '12', uid: 'u' },
      kind: 'ConfigMap',
    },
    'big value': { kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '3' }, data: { v: 'x'.repeat(100_000) } },
  };
  for (const [name, obj] of Object.entries(shapes)) {
    test(`replaces only the top-level metadata.resourceVersion: ${name}`, () => {
      const json = JSON.stringify(obj);
      expect(restamp(json, 12345)).toBe(reference(json, 12345));
    });
  }

  test('answers undefined for text without a metadata.resourceVersion string', () => {
    expect(restamp('{"metadata":{"name":"a"}}', 2)).toBeUndefined();
    expect(restamp('{"data":{"metadata":{"resourceVersion":"1"}}}', 2)).toBeUndefined();
    expect(restamp('{"metadata":{"resourceVersion":5}}', 2)).toBeUndefined();
    expect(restamp('[1,2]', 2)).toBeUndefined();
    expect(restamp('{"metadata":{"resourceVersion":"1', 2)).toBeUndefined();
  });
});
