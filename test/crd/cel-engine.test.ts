import { compileCel, isCelCompileError, CelEvalError, toCelValue, type CelType } from '../../schemas/cel/engine';

const obj = (fields: Record<string, CelType>): CelType => ({ kind: 'object', fields });

function run(expr: string, self: unknown, selfType: CelType = { kind: 'dyn' }): unknown {
  const c = compileCel(expr, { variables: { self: selfType } });
  if (isCelCompileError(c)) throw new Error(c.message);
  return c.evaluate({ self: toCelValue(self, selfType) });
}

describe('CEL engine', () => {
  it('evaluates macros, has(), size() and optional types', () => {
    expect(run('self.all(x, x > 0) && self.exists(x, x == 2) && self.exists_one(x, x == 3)', [1, 2, 3])).toBe(true);
    expect(run('self.map(x, x * 2).filter(x, x > 2)', [1, 2, 3])).toEqual([4n, 6n]);
    expect(run('has(self.a) && !has(self.b) && size(self.a) == 3', { a: 'abc' })).toBe(true);
    expect(run('self.?b.orValue("none")', { a: 'abc' })).toBe('none');
  });

  it('reports syntax errors and undefined fields as cel-go does', () => {
    const syntax = compileCel('self = 42', { variables: { self: { kind: 'dyn' } } });
    expect(isCelCompileError(syntax) && syntax.message).toMatch(/^ERROR: <input>:1:6: Syntax error: /);
    const undef = compileCel('self.z == 100', { variables: { self: obj({ x: { kind: 'int' } }) } });
    expect(isCelCompileError(undef) && undef.message).toBe("ERROR: <input>:1:5: undefined field 'z'");
    const undeclared = compileCel('nope == 1', { variables: { self: { kind: 'dyn' } } });
    expect(isCelCompileError(undeclared) && undeclared.message).toContain("undeclared reference to 'nope'");
  });

  it('throws CelEvalError at run time', () => {
    expect(() => run('self.a == 1', {})).toThrow(CelEvalError);
  });

  it('matches() uses RE2, so inline flags work', () => {
    expect(run('self.matches("^(?i)abc$")', 'ABC', { kind: 'string' })).toBe(true);
    expect(run('self.find("[0-9]+")', 'ab123cd45', { kind: 'string' })).toBe('123');
    expect(run('self.findAll("[0-9]+")', 'ab123cd45', { kind: 'string' })).toEqual(['123', '45']);
  });

  it('estimates cost from maxItems and refuses nothing at compile for bounded lists', () => {
    const bounded: CelType = { kind: 'list', items: { kind: 'int' }, maxItems: 725 };
    const c = compileCel('self.all(x, self.all(y, y == x))', { variables: { self: bounded } });
    if (isCelCompileError(c)) throw new Error(c.message);
    expect(c.estimatedCost).toBeLessThan(10_000_000);
    expect(c.estimatedCost).toBeGreaterThan(1_000_000);
    const big = Array(725).fill(20n);
    expect(c.runtimeCost({ self: big }, 1_000_000)).toBeUndefined();
    expect(c.runtimeCost({ self: [2n, 2n] }, 1_000_000)).toBeLessThan(100);
    const unbounded = compileCel('self.all(x, self.all(y, y == x))', { variables: { self: { kind: 'list', items: { kind: 'int' } } } });
    if (isCelCompileError(unbounded)) throw new Error(unbounded.message);
    expect(unbounded.estimatedCost).toBeGreaterThan(1e12);
  });
});
