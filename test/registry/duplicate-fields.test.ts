import { duplicateFields, duplicateJsonFields } from '../../server/registry/field-validation';

describe('duplicate field detection', () => {
  it.each([
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['a']],
    ['{"spec":{"replicas":1,"template":{},"replicas":2}}', ['spec.replicas']],
    ['{"spec":{"containers":[{"name":"a","name":"b"},{"name":"c"}]}}', ['spec.containers[0].name']],
    ['{"l":[[{"x":1}],[{"x":1,"x":2}]]}', ['l[1][0].x']],
    ['{"s":"a,\\"b\\":1","s2":"}{"}', []],
    ['{"a\\u0062":1,"ab":2}', ['ab']],
    ['  {\n "metadata" : {"name":"x", "name" : "y"}\n}', ['metadata.name']],
  ])('finds the repeated keys of %s', (body, expected) => {
    expect(duplicateJsonFields(body)).toEqual(expected);
    expect(duplicateFields(body)).toEqual(expected);
  });

  it('agrees with the YAML reader on a YAML body', () => {
    expect(duplicateFields('a: 1\nb:\n  c: 2\n  c: 3\n')).toEqual(['b.c']);
  });

  it('answers undefined for malformed JSON so the YAML reader decides', () => {
    expect(duplicateJsonFields('{"a":')).toBeUndefined();
    expect(duplicateJsonFields('{"a":"unterminated')).toBeUndefined();
  });
});
