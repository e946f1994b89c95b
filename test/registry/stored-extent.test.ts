import { jsonExtent } from '../../schemas/meta/json';
import { MAX_STORED_DEPTH, MAX_STORED_OBJECT_BYTES, storedExtent } from '../../server/registry/size-limits';

// exact is the answer of the full measurement, which storedExtent must always give.
const exact = (v: unknown) => {
  const e = jsonExtent(v, MAX_STORED_OBJECT_BYTES, MAX_STORED_DEPTH);
  return { tooDeep: e.tooDeep, tooLarge: e.tooLarge };
};

function nested(depth: number, leaf: unknown = 'x'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const MIB = 1024 * 1024;
const cases: [string, unknown][] = [
  ['a small Pod-like object', { metadata: { name: 'p', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], x: null, y: true, z: 1.5, n: NaN } }],
  ['an object exactly at the depth limit', nested(MAX_STORED_DEPTH)],
  ['an object one level too deep', nested(MAX_STORED_DEPTH + 1)],
  ['ASCII text whose bound passes the limit but whose bytes do not', { data: { a: 'x'.repeat(MIB) } }],
  ['ASCII text over the limit', { data: { a: 'x'.repeat(1.6 * MIB) } }],
  ['multi-byte text over the limit though its length is not', { data: { a: 'é'.repeat(0.8 * MIB) } }],
  ['many keys over the limit', { data: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`key-${i}`, 'v'])) }],
  ['many short keys just under the limit', { data: Object.fromEntries(Array.from({ length: 118_000 }, (_, i) => [`k${i}`, 'v'])) }],
  ['many short multi-byte keys and values over the limit', { data: Object.fromEntries(Array.from({ length: 80_000 }, (_, i) => [`é${i}😀`, 'ü\ud800'])) }],
  ['many short multi-byte keys and values under the limit', { data: Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`é${i}😀`, 'ü\ud800'])) }],
  ['a deep branch after a large one (the size is met first)', { a: 'x'.repeat(1.6 * MIB), b: nested(MAX_STORED_DEPTH + 5) }],
  ['a large branch after a deep one (the nesting is met first)', { b: nested(MAX_STORED_DEPTH + 5), a: 'x'.repeat(1.6 * MIB) }],
  ['a deep branch after text whose bound alone passes the limit', { b: 'y'.repeat(0.6 * MIB), c: nested(MAX_STORED_DEPTH + 5) }],
];

describe('storedExtent', () => {
  it.each(cases)('%s: answers as the full measurement does', (_what, value) => {
    expect(storedExtent(value)).toEqual(exact(value));
  });

  it('tells the three outcomes apart', () => {
    expect(storedExtent(cases[0][1])).toEqual({ tooDeep: false, tooLarge: false });
    expect(storedExtent(cases[2][1])).toEqual({ tooDeep: true, tooLarge: false });
    expect(storedExtent(cases[4][1])).toEqual({ tooDeep: false, tooLarge: true });
    expect(storedExtent(cases[5][1])).toEqual({ tooDeep: false, tooLarge: true });
  });
});
