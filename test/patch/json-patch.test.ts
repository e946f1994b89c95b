import { applyJsonPatch } from '../../server/patch/json-patch';
import { PatchError, REJECTED_MESSAGE } from '../../server/patch/patch-error';

/** patchError runs fn and returns the PatchError it throws. */
function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  throw new Error('expected a PatchError');
}

describe('applyJsonPatch: RFC 6902 Appendix A', () => {
  const ok: Array<[string, unknown, unknown[], unknown]> = [
    ['A.1 adds an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2 adds an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3 removes an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4 removes an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5 replaces a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'A.6 moves a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 moves an array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 passes tests that hold',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['A.10 adds a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    ['A.11 ignores unrecognized operation members', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14 decodes ~01 as ~1, not /', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16 adds an array value with -', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  ];
  it.each(ok)('%s', (_name, doc, ops, expected) => {
    expect(applyJsonPatch(doc, ops)).toEqual(expected);
  });

  it('A.9 fails a test that does not hold', () => {
    const err = patchError(() => applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]));
    expect(err.message).toBe('testing value /baz failed: test failed');
    expect(err.code).toBe(422);
  });

  it('A.12 fails to add to a nonexistent target', () => {
    const err = patchError(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]));
    expect(err.message).toBe('add operation does not apply: doc is missing path: "/baz/bat": missing value');
  });

  it('A.15 does not equate a string with a number', () => {
    const err = patchError(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]));
    expect(err.message).toBe('testing value /~01 failed: test failed');
  });
});

describe('applyJsonPatch: kube-apiserver behaviour and messages', () => {
  const pod = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };

  it('patches a pod: replace an image, add a label with an escaped key, remove a label', () => {
    const result = applyJsonPatch(pod, [
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27' },
      { op: 'add', path: '/metadata/labels/example.com~1tier', value: 'front' },
      { op: 'remove', path: '/metadata/labels/app' },
    ]);
    expect(result).toEqual({
      metadata: { name: 'web', labels: { 'example.com/tier': 'front' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
  });

  it('does not change its input', () => {
    const before = JSON.stringify(pod);
    applyJsonPatch(pod, [{ op: 'add', path: '/spec/containers/-', value: { name: 'side' } }, { op: 'remove', path: '/metadata/labels' }]);
    expect(JSON.stringify(pod)).toBe(before);
  });

  it('replace of a missing parent fails with the message kube logs, and a generic 422 Status message', () => {
    const err = patchError(() => applyJsonPatch(pod, [{ op: 'replace', path: '/spec/foo/bar', value: 1 }]));
    expect(err.message).toBe('replace operation does not apply: doc is missing path: /spec/foo/bar: missing value');
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.statusMessage).toBe(REJECTED_MESSAGE);
  });

  it('replace of a missing array index fails with "doc is missing key"', () => {
    const err = patchError(() => applyJsonPatch(pod, [{ op: 'replace', path: '/spec/containers/3', value: {} }]));
    expect(err.message).toBe('replace operation does not apply: doc is missing key: /spec/containers/3: missing value');
  });

  it('replace of a missing object member sets it, as evanphx/json-patch v4 does', () => {
    expect(applyJsonPatch({ spec: {} }, [{ op: 'replace', path: '/spec/replicas', value: 3 }])).toEqual({ spec: { replicas: 3 } });
  });

  it('remove of a missing member fails', () => {
    const err = patchError(() => applyJsonPatch(pod, [{ op: 'remove', path: '/metadata/annotations' }]));
    expect(err.message).toBe("error in remove for path: '/metadata/annotations': Unable to remove nonexistent key: annotations: missing value");
  });

  it('rejects an index past the end and a non-numeric index', () => {
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }])).message)
      .toBe("error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced");
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/x', value: 2 }])).message)
      .toBe("error in add for path: '/a/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax");
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/1' }])).message)
      .toBe("error in remove for path: '/a/1': Unable to access invalid index: 1: invalid index referenced");
  });

  it('counts negative indices from the end', () => {
    expect(applyJsonPatch({ a: [1, 2, 3] }, [{ op: 'remove', path: '/a/-1' }])).toEqual({ a: [1, 2] });
  });

  it('copies a value deeply', () => {
    const result = applyJsonPatch({ a: { b: [1] } }, [
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'add', path: '/c/b/-', value: 2 },
    ]);
    expect(result).toEqual({ a: { b: [1] }, c: { b: [1, 2] } });
  });

  it('replaces the whole document at path ""', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 });
  });

  it('tests an absent member against null', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/b', value: null }])).toEqual({ a: 1 });
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/b', value: 1 }])).message).toBe('testing value /b failed: test failed');
  });

  it('stops at the first failing operation without a partial result', () => {
    const doc = { a: 1 };
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 2 }])).toThrow(PatchError);
    expect(doc).toEqual({ a: 1 });
  });

  it('names an unknown or missing op', () => {
    expect(patchError(() => applyJsonPatch({}, [{ op: 'frob', path: '/a' }])).message).toBe('Unexpected kind: frob');
    expect(patchError(() => applyJsonPatch({}, [{ path: '/a' }])).message).toBe('Unexpected kind: unknown');
  });

  it('reports missing path and from fields', () => {
    expect(patchError(() => applyJsonPatch({}, [{ op: 'add', value: 1 }])).message).toBe('add operation failed to decode path: missing value');
    expect(patchError(() => applyJsonPatch({}, [{ op: 'replace', value: 1 }])).message)
      .toBe('replace operation failed to decode path: operation missing path field: missing value');
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: 'move', path: '/b' }])).message)
      .toBe('move operation failed to decode from: operation, missing from field: missing value');
  });

  it('answers 400 for an operation that is not an object', () => {
    const err = patchError(() => applyJsonPatch({}, ['add']));
    expect(err.code).toBe(400);
    expect(err.statusMessage).toBe('json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });
});
