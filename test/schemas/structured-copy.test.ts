/**
 * structuredCopy against structuredClone on varied values: the same result (compared as V8's
 * serializer writes them, which records key order, holes, -0 and back-references), shared
 * references and cycles kept, nothing shared with the original, and structuredClone's own
 * behaviour (including its errors) for values that are not plain data.
 */
import { serialize } from 'node:v8';
import { structuredCopy } from '../../schemas/meta/structured-copy';

const shared = { s: 1 };
const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;
const withProto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
let deep: unknown = 'leaf';
for (let i = 0; i < 500; i++) deep = { d: deep };

const values: Array<[string, unknown]> = [
  ['a scalar', 5],
  ['null', null],
  ['a string', 'x'],
  ['a bigint', 10n],
  ['a pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] }, status: { phase: 'Pending' } }],
  ['undefined members', { a: undefined, b: [undefined, 1] }],
  ['-0 and unicode keys', { '-0': -0, 'ключ': ['ü', '\u2028'], '': '' }],
  ['shared references', { a: shared, b: shared, list: [shared, shared] }],
  ['a cycle', cyclic],
  ['an own __proto__ member', withProto],
  ['empty containers', { a: {}, b: [], c: [[], [{}]] }],
  ['500 levels deep', deep],
  ['a Buffer inside', { data: Buffer.from('abc') }],
  ['a Date inside', { at: new Date(0) }],
  ['a sparse array', { list: [1, , 3] }],
  ['an array with a property', { list: Object.assign([1, 2], { extra: true }) }],
  ['a class instance', { m: new Map([[1, 2]]) }],
  ['a null-prototype object', { o: Object.assign(Object.create(null), { k: 1 }) }],
];

describe('structuredCopy', () => {
  it.each(values)('%s: equal to structuredClone, sharing nothing with the original', (_name, value) => {
    const copy = structuredCopy(value);
    expect(serialize(copy).equals(serialize(structuredClone(value)))).toBe(true);
    if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
    expect(Object.keys((copy ?? {}) as object)).toEqual(Object.keys((value ?? {}) as object));
  });

  it('keeps shared references shared and cycles cyclic, as structuredClone does', () => {
    const copy = structuredCopy({ a: shared, b: shared, c: cyclic }) as { a: object; b: object; c: Record<string, unknown> };
    expect(copy.a).toBe(copy.b);
    // Plain data is copied here, not by structuredClone: in jest its objects have another realm's prototype.
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.a).not.toBe(shared);
    expect(copy.c.self).toBe(copy.c);
  });

  it('keeps an own __proto__ member a member, without changing the prototype', () => {
    const copy = structuredCopy(withProto) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  // structuredClone itself runs out of stack at a few thousand levels (fewer under jest).
  it('copies 1,000,000 levels without running out of stack', () => {
    let v: unknown = 'leaf';
    for (let i = 0; i < 1_000_000; i++) v = [v];
    let copy = structuredCopy(v);
    let depth = 0;
    while (Array.isArray(copy)) [copy, depth] = [copy[0], depth + 1];
    expect([copy, depth]).toEqual(['leaf', 1_000_000]);
  });

  it('fails as structuredClone fails for what it cannot clone', () => {
    for (const value of [{ f: () => 1 }, () => 1, { s: Symbol('s') }]) {
      expect(() => structuredClone(value)).toThrow();
      expect(() => structuredCopy(value)).toThrow();
    }
  });
});
