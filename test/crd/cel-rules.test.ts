/**
 * x-kubernetes-validations rules and Kubernetes' CEL libraries: the engine on its own, then the
 * rules of a schema evaluated on objects (create and update), with kube's field paths and messages.
 */
import { compileCel, isCelCompileError, toCelValue, type CelType } from '../../schemas/cel/engine';
import { compileSchemaRules, schemaRuleErrors, validateRules } from '../../schemas/cel/crd-rules';
import type { JSONSchema } from '../../schemas/types';

function cel(expr: string, self: unknown = null, selfType: CelType = { kind: 'dyn' }): unknown {
  const c = compileCel(expr, { variables: { self: selfType } });
  if (isCelCompileError(c)) throw new Error(c.message);
  return c.evaluate({ self: toCelValue(self, selfType) });
}

describe('Kubernetes CEL libraries', () => {
  it('lists', () => {
    expect(cel('[1, 2, 3].isSorted() && ![2, 1].isSorted()')).toBe(true);
    expect(cel('[1, 2, 3].sum()')).toBe(6n);
    expect(cel('[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3')).toBe(true);
    expect(cel("['a', 'b', 'a'].indexOf('a') == 0 && ['a', 'b', 'a'].lastIndexOf('a') == 2 && [1].indexOf(5) == -1")).toBe(true);
  });

  it('strings', () => {
    expect(cel("'hello'.charAt(1)")).toBe('e');
    expect(cel("'a-b-c'.replace('-', '+')")).toBe('a+b+c');
    expect(cel("'a-b-c'.replace('-', '+', 1)")).toBe('a+b-c');
    expect(cel("'a,b'.split(',')")).toEqual(['a', 'b']);
    expect(cel("['a', 'b'].join('/')")).toBe('a/b');
    expect(cel("'  x '.trim() + 'AbC'.lowerAscii() + 'q'.upperAscii()")).toBe('xabcQ');
    expect(cel("'hello'.substring(1, 3) + string('hello'.indexOf('l')) + string('hello'.lastIndexOf('l'))")).toBe('el23');
    expect(cel("'%s has %d items'.format(['cart', 3])")).toBe('cart has 3 items');
  });

  it('regex with RE2 semantics', () => {
    expect(cel("'Alert'.matches('^(?i)alert$')")).toBe(true);
    expect(cel("'abc 123 def 456'.findAll('[0-9]+', 1)")).toEqual(['123']);
    const bad = compileCel("'a'.matches(self)", { variables: { self: { kind: 'string' } } });
    if (isCelCompileError(bad)) throw new Error(bad.message);
    expect(() => bad.evaluate({ self: '(?=x)' })).toThrow(/invalid or unsupported Perl syntax/);
  });

  it('url, ip and cidr', () => {
    expect(cel("url('https://user@example.com:8443/a%20b?x=1&x=2').getHost()")).toBe('example.com:8443');
    expect(cel("url('https://example.com:8443/p').getPort() + url('https://[::1]:80/').getHostname()")).toBe('8443::1');
    expect(cel("url('https://example.com/p?x=1&x=2').getQuery()")).toEqual(new Map([['x', ['1', '2']]]));
    expect(cel("isURL('https://example.com') && !isURL('not a url')")).toBe(true);
    expect(cel("isIP('10.0.0.1') && !isIP('10.0.0.01') && ip('::1').isLoopback() && ip('fe80::1').isLinkLocalUnicast()")).toBe(true);
    expect(cel("cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))")).toBe(true);
    expect(cel("string(cidr('10.1.2.3/8').masked()) + ' ' + string(cidr('10.0.0.0/8').prefixLength())")).toBe('10.0.0.0/8 8');
    expect(cel("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')")).toBe(true);
  });

  it('quantity', () => {
    expect(cel("quantity('1Gi').isGreaterThan(quantity('1G'))")).toBe(true);
    expect(cel("quantity('500m').add(quantity('1500m')).asInteger()")).toBe(2n);
    expect(cel("isQuantity('10Mi') && !isQuantity('ten')")).toBe(true);
    expect(cel("quantity('1.5').isInteger()")).toBe(false);
  });

  it('named formats and sets', () => {
    expect(cel("format.dns1123Label().validate('my-name').hasValue()")).toBe(false);
    expect(cel("format.dns1123Label().validate('My_Name').value().size() > 0")).toBe(true);
    expect(cel("format.named('uuid').hasValue()")).toBe(true);
    expect(cel('sets.contains([1, 2, 3], [2]) && sets.intersects([1], [1, 4]) && sets.equivalent([1, 2], [2, 1])')).toBe(true);
  });
});

const spec = (properties: Record<string, JSONSchema>, rules?: unknown[], extra: JSONSchema = {}): JSONSchema => ({
  type: 'object',
  properties: { spec: { type: 'object', properties, ...(rules ? { 'x-kubernetes-validations': rules } : {}), ...extra } },
});

function errorsOf(schema: JSONSchema, obj: unknown, old?: unknown) {
  expect(schemaRuleErrors(schema, 'spec.versions[0].schema.openAPIV3Schema')).toEqual([]);
  return validateRules(compileSchemaRules(schema)!, obj, old);
}

describe('x-kubernetes-validations on objects', () => {
  it('reports a failed rule without a message as "failed rule: <rule>", with the node type', () => {
    const schema = spec({ a: { type: 'integer' } }, [{ rule: 'self.a > 1' }]);
    expect(errorsOf(schema, { spec: { a: 1 } })).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": failed rule: self.a > 1' }]);
    expect(errorsOf(schema, { spec: { a: 2 } })).toEqual([]);
  });

  it('uses message, messageExpression, reason and fieldPath', () => {
    const schema = spec({ min: { type: 'integer' }, max: { type: 'integer' } }, [
      { rule: 'self.min <= self.max', messageExpression: "'min ' + string(self.min) + ' is above max ' + string(self.max)", fieldPath: '.min' },
      { rule: 'self.max < 100', message: 'max too large', reason: 'FieldValueForbidden', fieldPath: '.max' },
      { rule: 'has(self.max)', message: 'max is required', reason: 'FieldValueRequired' },
    ]);
    expect(errorsOf(schema, { spec: { min: 200, max: 150 } })).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.min', message: 'Invalid value: "object": min 200 is above max 150' },
      { type: 'FieldValueForbidden', field: 'spec.max', message: 'Forbidden: max too large' },
    ]);
    expect(errorsOf(schema, { spec: { min: 1 } })).toContainEqual({ type: 'FieldValueRequired', field: 'spec', message: 'Required value: max is required' });
  });

  it('refuses a messageExpression that does not compile, and falls back to message when one fails at run time', () => {
    const bad = spec({ a: { type: 'integer' } }, [{ rule: 'self.a > 1', message: 'a too small', messageExpression: 'self.missing' }]);
    expect(schemaRuleErrors(bad, 'p')[0].message).toContain("messageExpression compilation failed: ERROR: <input>:1:5: undefined field 'missing'");
    const failing = spec({ port: { 'x-kubernetes-int-or-string': true } }, [{ rule: 'false', message: 'port refused', messageExpression: "'port ' + string(self.port + 1)" }]);
    expect(errorsOf(failing, { spec: { port: 'http' } })).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": port refused' }]);
    expect(errorsOf(failing, { spec: { port: 80 } })).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": port 81' }]);
  });

  it('binds self at nested nodes: list items, map values, and reports their paths', () => {
    const schema = spec({
      items: { type: 'array', maxItems: 10, items: { type: 'object', properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.n >= 0', message: 'n must be non-negative' }] } },
      labels: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 10, 'x-kubernetes-validations': [{ rule: "self != ''", message: 'empty' }] } },
    });
    expect(errorsOf(schema, { spec: { items: [{ n: 1 }, { n: -1 }], labels: { a: 'x', b: '' } } })).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.items[1]', message: 'Invalid value: "object": n must be non-negative' },
      { type: 'FieldValueInvalid', field: 'spec.labels[b]', message: 'Invalid value: "string": empty' },
    ]);
  });

  it('evaluates transition rules only on update, correlating list-type=map items by key', () => {
    const schema = spec({
      ports: {
        type: 'array',
        maxItems: 10,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 10 }, port: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'port is immutable' }] } } },
      },
    });
    const old = { spec: { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } };
    expect(errorsOf(schema, old)).toEqual([]);
    // Reordered, one port changed, one new item: only the changed one (matched by name) fails.
    const updated = { spec: { ports: [{ name: 'https', port: 8443 }, { name: 'http', port: 80 }, { name: 'admin', port: 9000 }] } };
    expect(errorsOf(schema, updated, old)).toEqual([{ type: 'FieldValueInvalid', field: 'spec.ports[0].port', message: 'Invalid value: "integer": port is immutable' }]);
  });

  it('evaluates optionalOldSelf rules on create too, with oldSelf an optional', () => {
    const schema = spec({ v: { type: 'string', maxLength: 10 } }, [{ rule: "oldSelf.hasValue() || self.v == 'initial'", optionalOldSelf: true, message: 'must start as initial' }]);
    expect(errorsOf(schema, { spec: { v: 'other' } })).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": must start as initial' }]);
    expect(errorsOf(schema, { spec: { v: 'other' } }, { spec: { v: 'initial' } })).toEqual([]);
  });

  it('reports a runtime error with the rule', () => {
    const schema = spec({ a: { type: 'integer' } }, [{ rule: 'self.a > 1' }]);
    expect(errorsOf(schema, { spec: {} })).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": no such key: a evaluating rule: self.a > 1' }]);
  });

  it('types int-or-string and preserve-unknown-fields values as dyn', () => {
    const schema = spec({ port: { 'x-kubernetes-int-or-string': true }, extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, [
      { rule: "type(self.port) == int ? self.port > 0 : self.port.matches('^[a-z]+$')" },
      { rule: '!has(self.extra) || !has(self.extra.anything) || self.extra.anything == 1' },
    ]);
    expect(errorsOf(schema, { spec: { port: 80, extra: { anything: 1 } } })).toEqual([]);
    expect(errorsOf(schema, { spec: { port: 'HTTP' } })).toHaveLength(1);
  });
});

describe('timestamps and durations', () => {
  it('types date-time and duration strings as timestamp and duration', () => {
    const schema = spec({ start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' }, timeout: { type: 'string', format: 'duration' } }, [
      { rule: 'self.end > self.start', message: 'end must be after start' },
      { rule: "self.timeout <= duration('1h')", message: 'timeout at most 1h' },
      { rule: "self.start + self.timeout >= timestamp('2024-01-01T00:00:00Z')" },
    ]);
    expect(errorsOf(schema, { spec: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z', timeout: '30m' } })).toEqual([]);
    expect(errorsOf(schema, { spec: { start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z', timeout: '2h' } }).map((e) => e.message)).toEqual([
      'Invalid value: "object": end must be after start',
      'Invalid value: "object": timeout at most 1h',
    ]);
  });
});

describe("Gateway API's rules", () => {
  it('refuse what Kubernetes refuses: tls on HTTP listeners, duplicate listeners, bad hostnames, a changed gatewayClassName', () => {
    const listener = { type: 'object', required: ['name', 'protocol'], properties: { name: { type: 'string', maxLength: 253 }, protocol: { type: 'string', maxLength: 255 }, hostname: { type: 'string', maxLength: 253 }, port: { type: 'integer' }, tls: { type: 'object', properties: { mode: { type: 'string', enum: ['Terminate', 'Passthrough'] } } } } };
    const schema: JSONSchema = { type: 'object', properties: { spec: { type: 'object', properties: {
      gatewayClassName: { type: 'string', maxLength: 253, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }] },
      listeners: { type: 'array', maxItems: 64, items: listener, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-validations': [
        { message: 'tls must not be specified for protocols [\'HTTP\', \'TCP\', \'UDP\']', rule: "self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)" },
        { message: 'tls mode must be Terminate for protocol HTTPS', rule: "self.all(l, (l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate') : true)" },
        { message: 'hostname must not be specified for protocols [\'TCP\', \'UDP\']', rule: "self.all(l, l.protocol in ['TCP', 'UDP']  ? (!has(l.hostname) || l.hostname == '') : true)" },
        { message: 'Listener name must be unique within the Gateway', rule: 'self.all(l1, self.exists_one(l2, l1.name == l2.name))' },
        { message: 'Combination of port, protocol and hostname must be unique for each listener', rule: "self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))" },
      ] },
      addresses: { type: 'array', maxItems: 16, items: { type: 'object', properties: { type: { type: 'string', maxLength: 253, pattern: '^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&\'()*+,;=:]+$' }, value: { type: 'string', maxLength: 253 } }, 'x-kubernetes-validations': [{ message: 'Hostname value must only contain valid characters (matching ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)', rule: "self.type == 'Hostname' ? self.value.matches(r\"\"\"^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$\"\"\"): true" }, { rule: "self.type == 'IPAddress' ? isIP(self.value) : true", message: 'IPAddress value must be an IP address' }] } },
    } } } };
    expect(schemaRuleErrors(schema, 'p')).toEqual([]);
    const tree = compileSchemaRules(schema)!;
    const obj = { spec: { gatewayClassName: 'a', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, tls: { mode: 'Terminate' } }, { name: 'http', protocol: 'HTTP', port: 80 }], addresses: [{ type: 'Hostname', value: 'Bad_Host' }, { type: 'IPAddress', value: '1.2.3.4' }] } };
    expect(validateRules(tree, obj, { spec: { gatewayClassName: 'b' } }).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.gatewayClassName: Invalid value: "string": Value is immutable',
      `spec.listeners: Invalid value: "array": tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`,
      'spec.listeners: Invalid value: "array": Listener name must be unique within the Gateway',
      'spec.listeners: Invalid value: "array": Combination of port, protocol and hostname must be unique for each listener',
      expect.stringMatching(/^spec\.addresses\[0\]: Invalid value: "object": Hostname value must only contain valid characters/),
    ]);
    const good = { spec: { gatewayClassName: 'b', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }, { name: 'https', protocol: 'HTTPS', port: 443, hostname: 'example.com', tls: { mode: 'Terminate' } }], addresses: [{ type: 'Hostname', value: '*.example.com' }] } };
    expect(validateRules(tree, good, { spec: { gatewayClassName: 'b' } })).toEqual([]);
  });
});

describe('CRD-time checks of rules', () => {
  it('refuses a rule that does not compile with the ValidationRule and cel-go\'s error', () => {
    const errs = schemaRuleErrors(spec({ x: { type: 'integer' } }, [{ rule: 'self.z == 100' }]), 'spec.versions[0].schema.openAPIV3Schema');
    expect(errs).toEqual([{
      type: 'FieldValueInvalid',
      field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
      message: 'Invalid value: apiextensions.ValidationRule{Rule:"self.z == 100", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field \'z\'',
    }]);
  });

  it('refuses a rule too expensive for an unbounded list, and accepts it once the list is bounded', () => {
    const rule = [{ rule: 'self.all(x, self.all(y, x == y))' }];
    const unbounded = schemaRuleErrors(spec({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': rule } }), 'p');
    expect(unbounded[0]).toEqual({
      type: 'FieldValueForbidden',
      field: 'p.properties[spec].properties[l].x-kubernetes-validations[0].rule',
      message: 'Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
    });
    expect(schemaRuleErrors(spec({ l: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 20 }, 'x-kubernetes-validations': rule } }), 'p')).toEqual([]);
  });
});
