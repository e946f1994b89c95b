import { checkMergePatchBody, jsonMergePatch } from '../../server/patch/merge-patch';
import { PatchError } from '../../server/patch/patch-error';

describe('jsonMergePatch (RFC 7386)', () => {
  // The test vectors of RFC 7386 Appendix A.
  const rfcExamples: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(rfcExamples)('merges %j with %j into %j', (target, patch, expected) => {
    expect(jsonMergePatch(target, patch)).toEqual(expected);
  });

  it('replaces lists wholesale, as JSON merge patch has no list merge', () => {
    const target = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } };
    const patch = { spec: { containers: [{ name: 'a', image: 'z' }] } };
    expect(jsonMergePatch(target, patch)).toEqual({ spec: { containers: [{ name: 'a', image: 'z' }] } });
  });

  it('keeps the target key order and appends new keys in patch order', () => {
    const result = jsonMergePatch({ b: 1, a: 2 }, { c: 3, a: 4 }) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['b', 'a', 'c']);
  });

  it('changes neither input and shares nothing with them', () => {
    const target = { metadata: { labels: { app: 'web' } }, spec: { replicas: 1, ports: [{ port: 80 }] } };
    const patch = { metadata: { labels: { tier: 'front' } }, spec: { template: { x: [1] } } };
    const before = JSON.stringify([target, patch]);
    const result = jsonMergePatch(target, patch) as { spec: { ports: unknown[]; template: { x: unknown[] } } };
    expect(JSON.stringify([target, patch])).toBe(before);
    expect(result.spec.ports).not.toBe(target.spec.ports);
    expect(result.spec.template.x).not.toBe(patch.spec.template.x);
  });

  it('answers the same, key order included, when it may patch a target the caller drops in place', () => {
    // (No "__proto__": the copying path's cloneJson drops that key where the patch leaves it alone.)
    const keys = ['a', 'b', '10', '2', 'é'];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 2 || r < 0.3) return [null, 'x', 1, true, [1, { a: 2 }]][Math.floor(next() * 5)];
      const out: Record<string, unknown> = {};
      for (const k of keys) if (next() < 0.5) out[k] = value(depth + 1);
      return out;
    };
    for (let i = 0; i < 500; i++) {
      const target = value(0);
      const patch = value(0);
      if (patch === null || typeof patch !== 'object') continue;
      const copied = JSON.stringify(jsonMergePatch(target, patch));
      const inPlace = JSON.stringify(jsonMergePatch(structuredClone(target), patch, true));
      expect({ i, target, patch, inPlace }).toEqual({ i, target, patch, inPlace: copied });
    }
  });
});

describe('checkMergePatchBody', () => {
  it('rejects null and scalars with 400 "Invalid JSON Patch", as kube-apiserver does', () => {
    for (const body of [null, 1, 'x', true]) {
      let caught: unknown;
      try {
        checkMergePatchBody(body);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PatchError);
      expect((caught as PatchError).code).toBe(400);
      expect((caught as PatchError).statusMessage).toBe('Invalid JSON Patch');
    }
  });

  it('accepts objects and arrays', () => {
    expect(() => checkMergePatchBody({})).not.toThrow();
    expect(() => checkMergePatchBody([])).not.toThrow();
  });
});
