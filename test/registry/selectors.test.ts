import {
  SelectorError,
  everythingSelector,
  exactFieldValue,
  escapeFieldValue,
  fieldSelectorFields,
  fieldSelectorMatches,
  fieldSelectorToString,
  formatLabelSelector,
  labelSelectorFromObject,
  labelSelectorToString,
  matches,
  nothingSelector,
  parseFieldSelector,
  parseLabelSelector,
  unsupportedFieldLabelMessage,
  validateLabelSelector,
  validateLabels,
  type LabelSelectorObject,
} from '../../schemas/meta/selectors';
import { labelValueErrors, qualifiedNameErrors } from '../../schemas/meta/object-meta';

function parseError(s: string): SelectorError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return e as SelectorError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

const valueRegexMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end " +
  "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is " +
  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const nameRegexMsg =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " +
  "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('parseLabelSelector accepts the query-string grammar of labels.Parse', () => {
  // [input, canonical String() of the parsed selector]
  it.each([
    ['', ''],
    ['   ', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x=,z= ', 'x=,z='],
    ['x= ,z= ', 'x=,z='],
    ['!x', '!x'],
    ['! x', '!x'],
    ['  !  x  ', '!x'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['x==a', 'x==a'],
    ['x = a', 'x=a'],
    ['x=a,a=x', 'a=x,x=a'],
    ['a=x,x=a', 'a=x,x=a'],
    ['\rx', 'x'],
    ['a ', 'a'],
    ['x,y', 'x,y'],
    ['this-is-a-dns.domain.com/key-with-dash', 'this-is-a-dns.domain.com/key-with-dash'],
    ['this-is-another-dns.domain.com/key-with-dash in (so,what)', 'this-is-another-dns.domain.com/key-with-dash in (so,what)'],
    ['0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)', '0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)'],
    ['foo  in\t (abc)', 'foo in (abc)'],
    ['x notin\n (abc)', 'x notin (abc)'],
    ['x  notin\t\t\t(abc,def)', 'x notin (abc,def)'],
    ['x in (def,abc)', 'x in (abc,def)'],
    ['x in (abc,abc)', 'x in (abc)'],
    ['x in (abc,)', 'x in (,abc)'],
    ['x in ()', 'x in ()'],
    ['x notin ( )', 'x notin ()'],
    ['x notin (, a)', 'x notin (,a)'],
    ['x in (,,)', 'x in ()'],
    ['x notin (abc,def),bar,z in (),w', 'bar,w,x notin (abc,def),z in ()'],
    ['x,y in (a)', 'x,y in (a)'],
    ['a in (x,y,notin, z,in)', 'a in (in,notin,x,y,z)'],
    ['notin=in', 'notin=in'],
    ['in in (in)', 'in in (in)'],
    ['app.kubernetes.io/name=my-app.v1_2', 'app.kubernetes.io/name=my-app.v1_2'],
    ['environment in (production, qa),tier notin (frontend, backend),!partition', 'environment in (production,qa),!partition,tier notin (backend,frontend)'],
    ['A_b.c-D=Some.Value-1_x', 'A_b.c-D=Some.Value-1_x'],
    ['x=a,x!=b', 'x=a,x!=b'],
  ])('%j -> %j', (input, canonical) => {
    expect(labelSelectorToString(parseLabelSelector(input))).toBe(canonical);
  });

  it('marks only the selector with no requirements as empty', () => {
    expect(parseLabelSelector('').empty).toBe(true);
    expect(parseLabelSelector(' \t').empty).toBe(true);
    expect(parseLabelSelector('a').empty).toBe(false);
    expect(parseLabelSelector('a').nothing).toBe(false);
  });

  it('keeps in/notin values sorted and unique, and "()" as the empty value', () => {
    expect(parseLabelSelector('x in (b,a,b)').requirements).toEqual([{ key: 'x', operator: 'in', values: ['a', 'b'] }]);
    expect(parseLabelSelector('x in ()').requirements).toEqual([{ key: 'x', operator: 'in', values: [''] }]);
    expect(parseLabelSelector('x=').requirements).toEqual([{ key: 'x', operator: '=', values: [''] }]);
    expect(parseLabelSelector('!x').requirements).toEqual([{ key: 'x', operator: '!', values: [] }]);
    expect(parseLabelSelector('x').requirements).toEqual([{ key: 'x', operator: 'exists', values: [] }]);
  });
});

describe('parseLabelSelector rejects what kube-apiserver rejects, with its message', () => {
  it.each([
    ['a===b', "unable to parse requirement: found '=', expected: identifier"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['a in (', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a notin(', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a in (xyz abc)', "unable to parse requirement: found 'abc', expected: ',' or ')'"],
    ['a in (xyz', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (x,', "unable to parse requirement: found '', expected: ',', or identifier"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a (', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['x nott in (y)', "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"],
    ['a!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    [',x,y', "found ',', expected: !, identifier, or 'end of string'"],
    ['x,,y', "found ',', expected: identifier after ','"],
    ['a,', "found '', expected: identifier after ','"],
    ['a in (xyz),', "found '', expected: identifier after ','"],
    ['a in (xyz)b notin ()', "found 'b', expected: ',' or 'end of string'"],
    ['x=a||y=b', "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " + valueRegexMsg],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!!x', "unable to parse requirement: found '!', expected: identifier"],
    ['x<a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['x>', "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['x=-a', `unable to parse requirement: values[0][x]: Invalid value: "-a": ${valueRegexMsg}`],
    ['x=a.', `unable to parse requirement: values[0][x]: Invalid value: "a.": ${valueRegexMsg}`],
    ['x=' + 'a'.repeat(64), `unable to parse requirement: values[0][x]: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
    ['x in (-a,-b)', `unable to parse requirement: [values[0][x]: Invalid value: "-a": ${valueRegexMsg}, values[1][x]: Invalid value: "-b": ${valueRegexMsg}]`],
    ['-x', `unable to parse requirement: <nil>: Invalid value: "-x": ${nameRegexMsg}`],
    ['a/b/c=d', "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
    ['/a', 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'],
    ['a/', 'unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ' + nameRegexMsg],
  ])('%j', (input, message) => {
    expect(parseError(input).message).toBe(message);
  });

  it.each([
    ['Example.com/a', 'prefix part a lowercase RFC 1123 subdomain'],
    ['ex_ample.com/a', 'prefix part a lowercase RFC 1123 subdomain'],
    [`${'a'.repeat(64)}`, 'name part must be no more than 63 characters'],
    [`${'a'.repeat(254)}/b`, 'prefix part must be no more than 253 characters'],
    ['a b=c', "found 'b', expected: in, notin"],
  ])('rejects key %j', (input, fragment) => {
    expect(parseError(input).message).toContain(fragment);
  });

  it('attaches the field cause of an invalid key', () => {
    expect(parseError('-x').causes).toEqual([
      { reason: 'FieldValueInvalid', field: '<nil>', message: `Invalid value: "-x": ${nameRegexMsg}` },
    ]);
  });
});

describe('matches', () => {
  const set = { foo: 'bar', baz: 'blah', 'app.kubernetes.io/name': 'web' };
  it.each([
    ['', {}, true],
    ['', { x: 'y' }, true],
    ['x=y', { x: 'y' }, true],
    ['x==y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['notin=in', { notin: 'in' }, true],
    ['x', { x: 'z' }, true],
    ['x', { x: '' }, true],
    ['!x', { y: 'z' }, true],
    ['x>1', { x: '2' }, true],
    ['x<1', { x: '0' }, true],
    ['x<1', { x: '-5' }, true],
    ['x>1', { x: '+2' }, true],
    ['x=z', {}, false],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['x', { y: 'z' }, false],
    ['!x', { x: 'z' }, false],
    ['x>1', { x: '0' }, false],
    ['x<1', { x: '2' }, false],
    ['x>1', { x: 'v2' }, false],
    ['x>1', {}, false],
    ['x>1', { x: '99999999999999999999' }, false], // does not fit an int64
    ['x!=y', {}, true],
    ['x notin (a)', {}, true],
    ['x notin ()', { y: '' }, true],
    ['x notin ()', { x: '' }, false],
    ['x in ()', { x: '' }, true],
    ['x in ()', { y: 'baz' }, false],
    ['x=', { x: '' }, true],
    ['x=', {}, false],
    ['x in (foo)', { x: 'foo', y: 'baz' }, true],
    ['x in (foo),y notin (alpha)', { x: 'foo', y: 'baz' }, true],
    ['x in (foo),y in (alpha)', { x: 'foo', y: 'baz' }, false],
    ['!x,y', { y: '' }, true],
    ['x notin (),!y', { y: '' }, false],
    ['foo=bar', set, true],
    ['baz=blah', set, true],
    ['foo=bar,baz=blah', set, true],
    ['foo=blah', set, false],
    ['baz=bar', set, false],
    ['foo=bar,foobar=bar,baz=blah', set, false],
    ['app.kubernetes.io/name in (web,api)', set, true],
    ['app.kubernetes.io/name notin (web)', set, false],
    ['constructor', {}, false], // never reads Object.prototype
    ['!toString', {}, true],
  ] as const)('%j against %j -> %s', (selector, labels, want) => {
    expect(matches(parseLabelSelector(selector), labels)).toBe(want);
  });

  it('treats undefined labels as the empty set', () => {
    expect(matches(parseLabelSelector(''), undefined)).toBe(true);
    expect(matches(parseLabelSelector('!a'), undefined)).toBe(true);
    expect(matches(parseLabelSelector('a'), undefined)).toBe(false);
  });

  it('distinguishes everything from nothing', () => {
    expect(matches(everythingSelector, { a: 'b' })).toBe(true);
    expect(everythingSelector.empty).toBe(true);
    expect(matches(nothingSelector, { a: 'b' })).toBe(false);
    expect(matches(nothingSelector, {})).toBe(false);
    expect(nothingSelector.empty).toBe(false);
    expect(labelSelectorToString(nothingSelector)).toBe('');
  });
});

describe('label key and value validation', () => {
  it.each(['a', 'A', '1', 'a-b', 'a_b', 'a.b', 'app.kubernetes.io/name', 'example.com/MyName', '1foo', '1234', 'k8s.io/a.b_c-d', 'a'.repeat(63)])(
    'accepts key %j', (key) => expect(qualifiedNameErrors(key)).toEqual([]));
  it.each(['', '-a', 'a-', '_a', 'a b', 'a/b/c', '/a', 'a/', 'A.com/a', 'a'.repeat(64), `${'a'.repeat(254)}/a`])(
    'rejects key %j', (key) => expect(qualifiedNameErrors(key).length).toBeGreaterThan(0));
  it.each(['', 'a', 'A-b_c.d', '1.2.3', 'a'.repeat(63)])('accepts value %j', (v) => expect(labelValueErrors(v)).toEqual([]));
  it.each(['-a', 'a-', 'a b', 'a/b', 'a'.repeat(64), 'ä'])('rejects value %j', (v) => expect(labelValueErrors(v).length).toBeGreaterThan(0));

  it('reports both the length and the pattern for a long malformed value', () => {
    expect(labelValueErrors(`-${'a'.repeat(63)}`)).toEqual(['must be no more than 63 characters', valueRegexMsg]);
  });

  it('validateLabels names the labels map as the field', () => {
    expect(validateLabels({ ok: 'yes', '-bad': 'v', k: 'bad value' })).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: "-bad": ${nameRegexMsg}` },
      { reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: "bad value": ${valueRegexMsg}` },
    ]);
  });
});

describe('labelSelectorFromObject (metav1.LabelSelector)', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, 'app=web'],
    [{ matchLabels: { tier: 'fe', app: 'web' } }, 'app=web,tier=fe'],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, 'env in (dev,prod)'],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, 'env notin (prod)'],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, 'env'],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist', values: [] }] }, '!env'],
    [
      { matchLabels: { 'app.kubernetes.io/name': 'web' }, matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'Exists' }] },
      'app.kubernetes.io/name=web,app.kubernetes.io/name',
    ],
    [{}, ''],
    [{ matchLabels: {}, matchExpressions: [] }, ''],
    [{ matchLabels: null, matchExpressions: null }, ''],
  ] as [LabelSelectorObject, string][])('%j -> %j', (obj, canonical) => {
    const sel = labelSelectorFromObject(obj);
    expect(labelSelectorToString(sel)).toBe(canonical);
    expect(sel.empty).toBe(canonical === '');
  });

  it('selects nothing for an absent selector and everything for {}', () => {
    expect(labelSelectorFromObject(undefined)).toBe(nothingSelector);
    expect(labelSelectorFromObject(null).nothing).toBe(true);
    expect(matches(labelSelectorFromObject({}), { a: 'b' })).toBe(true);
  });

  it('matches with the expression semantics', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(matches(sel, { app: 'web', env: 'prod' })).toBe(true);
    expect(matches(sel, { app: 'web', env: 'dev' })).toBe(false);
    expect(matches(sel, { app: 'web', env: 'prod', canary: 'true' })).toBe(false);
    expect(matches(sel, { env: 'prod' })).toBe(false);
  });

  it.each([
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      'spec.selector.matchExpressions[0].values',
      'FieldValueRequired',
      "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'NotIn' }] },
      'spec.selector.matchExpressions[0].values',
      'FieldValueRequired',
      "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'spec.selector.matchExpressions[0].values',
      'FieldValueForbidden',
      "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] },
      'spec.selector.matchExpressions[0].operator',
      'FieldValueInvalid',
      'Invalid value: "Equals": not a valid selector operator',
    ],
    [
      { matchExpressions: [{ key: '-a', operator: 'Exists' }] },
      'spec.selector.matchExpressions[0].key',
      'FieldValueInvalid',
      `Invalid value: "-a": ${nameRegexMsg}`,
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] },
      'spec.selector.matchExpressions[0].values[1]',
      'FieldValueInvalid',
      `Invalid value: "not ok": ${valueRegexMsg}`,
    ],
    [{ matchLabels: { a: 'not ok' } }, 'spec.selector.matchLabels', 'FieldValueInvalid', `Invalid value: "not ok": ${valueRegexMsg}`],
  ] as [LabelSelectorObject, string, string, string][])('reports %j at %s', (obj, field, reason, message) => {
    expect(validateLabelSelector(obj, 'spec.selector')).toEqual([{ field, reason, message }]);
    let thrown: unknown;
    try {
      labelSelectorFromObject(obj, 'spec.selector');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SelectorError);
    expect((thrown as SelectorError).message).toBe(`${field}: ${message}`);
    expect((thrown as SelectorError).causes).toEqual([{ field, reason, message }]);
  });

  it('aggregates several problems in brackets', () => {
    const obj = { matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Bogus' }] };
    expect(() => labelSelectorFromObject(obj)).toThrow(
      "[matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn', " +
      'matchExpressions[1].operator: Invalid value: "Bogus": not a valid selector operator]');
  });

  it('does not crash on malformed JSON shapes', () => {
    const bad = { matchExpressions: [null, { key: 3, operator: 'In', values: [1] }] } as unknown as LabelSelectorObject;
    expect(validateLabelSelector(bad).length).toBeGreaterThan(0);
    expect(() => labelSelectorFromObject(bad)).toThrow(SelectorError);
  });

  it('formats the SELECTOR column like metav1.FormatLabelSelector', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Nope' }] })).toBe('<error>');
  });

  it('round-trips the canonical string through the query parser', () => {
    const obj = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['b', 'a'] }] };
    const text = labelSelectorToString(labelSelectorFromObject(obj));
    expect(text).toBe('app=web,env notin (a,b)');
    expect(labelSelectorToString(parseLabelSelector(text))).toBe(text);
  });
});

describe('parseFieldSelector', () => {
  // [input, canonical String(), fields]
  it.each([
    ['', '', []],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c', ['x', 'y', 'z']],
    ['x!=a,y=b', 'x!=a,y=b', ['x', 'y']],
    ['x=a||y\\=b', 'x=a||y\\=b', ['x']],
    ['x=a\\=\\=b', 'x=a\\=\\=b', ['x']],
    ['x=a,a=x', 'a=x,x=a', ['a', 'x']],
    ['metadata.name==foo', 'metadata.name=foo', ['metadata.name']],
    ['metadata.name=', 'metadata.name=', ['metadata.name']],
    ['a=a,', 'a=a', ['a']],
    [',a=a', 'a=a', ['a']],
    ['k=\\,,k2=v2', 'k2=v2,k=\\,', ['k2', 'k']], // raw terms sort before unescaping
    ['k=\\\\,k2=v2', 'k2=v2,k=\\\\', ['k2', 'k']],
    ['k=\\\\\\,,k2=v2', 'k2=v2,k=\\\\\\,', ['k2', 'k']],
    ['함=수,목=록', '목=록,함=수', ['목', '함']],
    ['status.phase!=Running,status.phase!=Succeeded', 'status.phase!=Running,status.phase!=Succeeded', ['status.phase']],
    ['spec.nodeName=', 'spec.nodeName=', ['spec.nodeName']],
    ['metadata.name = foo', 'metadata.name = foo', ['metadata.name ']],
  ])('%j -> %j', (input, canonical, fields) => {
    const sel = parseFieldSelector(input);
    expect(fieldSelectorToString(sel)).toBe(canonical);
    expect(fieldSelectorFields(sel)).toEqual(fields);
    expect(sel.empty).toBe(fields.length === 0);
  });

  it('unescapes values', () => {
    expect(parseFieldSelector('k=\\,').requirements).toEqual([{ field: 'k', operator: '=', value: ',' }]);
    expect(parseFieldSelector('k=\\=').requirements).toEqual([{ field: 'k', operator: '=', value: '=' }]);
    expect(parseFieldSelector('k=a\\\\b').requirements).toEqual([{ field: 'k', operator: '=', value: 'a\\b' }]);
    expect(parseFieldSelector('k==\\\\\\,').requirements).toEqual([{ field: 'k', operator: '=', value: '\\,' }]);
  });

  it.each([
    ['x', "invalid selector: 'x'; can't understand 'x'"],
    ['x=a,b', "invalid selector: 'x=a,b'; can't understand 'b'"],
    ['x in (a)', "invalid selector: 'x in (a)'; can't understand 'x in (a)'"],
    ['x in (a,b,c)', "invalid selector: 'x in (a,b,c)'; can't understand 'b'"], // terms are sorted first
    ['x=a||y=b', 'invalid field selector: unescaped character in value: 61'],
    ['x==a==b', 'invalid field selector: unescaped character in value: 61'],
    ['a===b', 'invalid field selector: unescaped character in value: 61'],
    ['k=\\', 'invalid field selector: invalid escape sequence: \\'],
    ['k=\\\\\\', 'invalid field selector: invalid escape sequence: \\'],
    ['k=\\a', 'invalid field selector: invalid escape sequence: \\a'],
  ])('rejects %j', (input, message) => {
    expect(() => parseFieldSelector(input)).toThrow(new SelectorError(message));
  });

  it('matches with missing fields read as ""', () => {
    const fields: Record<string, string> = { foo: 'bar', baz: 'blah', complex: '=value\\,\\' };
    const get = (f: string) => fields[f];
    const cases: [string, boolean][] = [
      ['', true],
      ['foo=bar', true],
      ['baz=blah', true],
      ['foo=bar,baz=blah', true],
      ['foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\', true],
      ['foo=blah', false],
      ['baz=bar', false],
      ['foo=bar,foobar=bar,baz=blah', false],
      ['foobar=', true],
      ['foobar!=', false],
      ['foo!=', true],
      ['foo!=bar', false],
    ];
    for (const [s, want] of cases) expect([s, fieldSelectorMatches(parseFieldSelector(s), get)]).toEqual([s, want]);
  });

  it('reports the value a selector pins a field to', () => {
    expect(exactFieldValue(parseFieldSelector('metadata.name=foo'), 'metadata.name')).toBe('foo');
    expect(exactFieldValue(parseFieldSelector('metadata.name==foo,metadata.namespace=ns'), 'metadata.namespace')).toBe('ns');
    expect(exactFieldValue(parseFieldSelector('metadata.name='), 'metadata.name')).toBe('');
    expect(exactFieldValue(parseFieldSelector('metadata.name!=foo'), 'metadata.name')).toBeUndefined();
    expect(exactFieldValue(parseFieldSelector('a=b'), 'metadata.name')).toBeUndefined();
    expect(exactFieldValue(parseFieldSelector(''), 'metadata.name')).toBeUndefined();
  });

  it('escapes and round-trips arbitrary values', () => {
    for (const [raw, escaped] of [['', ''], ['a', 'a'], ['=', '\\='], [',', '\\,'], ['\\', '\\\\'], ['\\=\\,\\', '\\\\\\=\\\\\\,\\\\']]) {
      expect(escapeFieldValue(raw)).toBe(escaped);
      expect(parseFieldSelector(`f=${escaped}`).requirements[0].value).toBe(raw);
    }
  });

  it('words the unsupported-field error like kube-apiserver', () => {
    expect(unsupportedFieldLabelMessage('spec.foo')).toBe('field label not supported: spec.foo');
  });
});
