/**
 * Kubernetes' CEL extension libraries (k8s.io/apiserver/pkg/cel/library) and the parts of
 * cel-go's ext packages that Kubernetes enables, registered on a @marcbachmann/cel-js
 * Environment. cel-js already provides CEL's standard library, the macros, optional types and
 * most of ext/strings (lowerAscii, upperAscii, trim, indexOf, lastIndexOf, substring, split,
 * join, startsWith, endsWith, contains); what is added here is what it lacks: RE2 matching
 * (matches, find, findAll), the rest of ext/strings, lists, sets, url, ip/cidr, quantity and
 * format.
 */
import { Environment, EvaluationError, Optional } from '@marcbachmann/cel-js';
import { Quantity, compareQuantity, parseQuantity } from '../meta/quantity';
import { re2Find, re2FindAll, re2Test } from './re2';
import { IpValue, CidrValue, parseIp, parseCidr } from './net';
import { KubeUrl, parseKubeUrl } from './url';
import { FORMATS, FormatValue } from './format';

/** RE2_MATCHES is the name matches() calls are rewritten to so they use RE2 rather than JavaScript's RegExp. */
export const RE2_MATCHES = 'matchesRe2';

function fail(message: string): never {
  throw new EvaluationError(message);
}

function compareCel(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (a instanceof Quantity && b instanceof Quantity) return compareQuantity(a, b);
  return fail('no such overload');
}

function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'bigint') return a === Number(b);
  return JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Namespace is the value of a library namespace identifier (sets, strings, format, ip), whose functions CEL spells like methods. */
class Namespace {
  constructor(readonly name: string) {}
}
class SetsNamespace extends Namespace {}
class StringsNamespace extends Namespace {}
class FormatNamespace extends Namespace {}
class IpNamespace extends Namespace {}
class JsonpatchNamespace extends Namespace {}

function registerNamespaces(env: Environment): void {
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerType('FormatNamespace', FormatNamespace);
  env.registerType('IpNamespace', IpNamespace);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace('sets'));
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace('strings'));
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace('format'));
  env.registerConstant('ip', 'IpNamespace', new IpNamespace('ip'));
  env.registerType('JsonpatchNamespace', JsonpatchNamespace);
  env.registerConstant('jsonpatch', 'JsonpatchNamespace', new JsonpatchNamespace('jsonpatch'));
  // jsonpatch.escapeKey escapes a map key for a JSON Pointer path (~ as ~0, / as ~1), as kube's JSONPatch library does.
  env.registerFunction('JsonpatchNamespace.escapeKey(string): string', (_ns: Namespace, k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function registerLists(env: Environment): void {
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => {
    for (let i = 1; i < l.length; i++) if (compareCel(l[i - 1], l[i]) > 0) return false;
    return true;
  });
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => {
    if (l.length === 0) return 0n;
    let acc: any = l[0];
    for (let i = 1; i < l.length; i++) {
      const v: any = l[i];
      if (typeof acc !== typeof v) fail('no such overload');
      acc = acc + v;
    }
    return acc;
  });
  const extreme = (name: string, sign: number) => (l: unknown[]) => {
    if (l.length === 0) fail(`${name} called on empty list`);
    let best = l[0];
    for (const v of l) if (compareCel(v, best) * sign > 0) best = v;
    return best;
  };
  env.registerFunction('list.min(): dyn', extreme('min', -1));
  env.registerFunction('list.max(): dyn', extreme('max', 1));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.findIndex((v) => celEquals(v, x))));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], x)) return BigInt(i);
    return -1n;
  });
  env.registerFunction('list.reverse(): list', (l: unknown[]) => [...l].reverse());
  env.registerFunction('list.distinct(): list', (l: unknown[]) => {
    const out: unknown[] = [];
    for (const v of l) if (!out.some((o) => celEquals(o, v))) out.push(v);
    return out;
  });
  env.registerFunction('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
    if (a < 0n || b < a || b > BigInt(l.length)) fail(`cannot slice(${a}, ${b}), invalid indexes`);
    return l.slice(Number(a), Number(b));
  });
  env.registerFunction('list.flatten(): list', (l: unknown[]) => l.flatMap((v) => (Array.isArray(v) ? v : [v])));
  env.registerFunction('SetsNamespace.contains(list, list): bool', (_ns: Namespace, a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => celEquals(x, y))));
  env.registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: Namespace, a: unknown[], b: unknown[]) =>
    b.every((x) => a.some((y) => celEquals(x, y))) && a.every((x) => b.some((y) => celEquals(x, y))));
  env.registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: Namespace, a: unknown[], b: unknown[]) => b.some((x) => a.some((y) => celEquals(x, y))));
}

function codePoints(s: string): string[] {
  return Array.from(s);
}

function registerStrings(env: Environment): void {
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = codePoints(s);
    if (i < 0n || i > BigInt(cps.length)) fail(`index out of range: ${i}`);
    return cps[Number(i)] ?? '';
  });
  const replace = (s: string, from: string, to: string, n: bigint) => {
    if (n < 0n) return s.split(from).join(to);
    let out = '';
    let rest = s;
    for (let k = 0n; k < n; k++) {
      const at = rest.indexOf(from);
      if (at < 0) break;
      out += rest.slice(0, at) + to;
      rest = rest.slice(at + from.length);
      if (from === '') {
        out += rest.slice(0, 1);
        rest = rest.slice(1);
      }
    }
    return out + rest;
  };
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => replace(s, a, b, -1n));
  env.registerFunction('string.replace(string, string, int): string', replace);
  env.registerFunction('string.reverse(): string', (s: string) => codePoints(s).reverse().join(''));
  env.registerFunction('StringsNamespace.quote(string): string', (_ns: Namespace, s: string) => JSON.stringify(s));
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, (s: string, re: string) => re2TestOrFail(re, s));
  env.registerFunction(`${RE2_MATCHES}(string, string): bool`, (s: string, re: string) => re2TestOrFail(re, s));
  env.registerFunction('string.find(string): string', (s: string, re: string) => withRe2(() => re2Find(re, s)));
  env.registerFunction('string.findAll(string): list<string>', (s: string, re: string) => withRe2(() => re2FindAll(re, s)));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) => withRe2(() => re2FindAll(re, s, Number(n))));
  env.registerFunction('string.format(list): string', (s: string, args: unknown[]) => formatString(s, args));
}

function withRe2<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    return fail((e as Error).message);
  }
}

function re2TestOrFail(re: string, s: string): boolean {
  return withRe2(() => re2Test(re, s));
}

// formatString implements the common verbs of ext/strings' format(): %s %d %f %e %x %X %o %b %%.
function formatString(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(\.(\d+))?([sdfeExXob%])/g, (_m, _p, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) fail(`index ${i} out of range`);
    const v = args[i++];
    switch (verb) {
      case 's':
        return celToString(v);
      case 'd':
        if (typeof v !== 'bigint') fail('error during formatting: decimal clause can only be used on integers');
        return v.toString();
      case 'f':
        return Number(v).toFixed(prec === undefined ? 6 : Number(prec));
      case 'e':
      case 'E': {
        const out = Number(v).toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2');
        return verb === 'E' ? out.toUpperCase() : out;
      }
      case 'x':
      case 'X': {
        const out = typeof v === 'string' ? Buffer.from(v).toString('hex') : (v as bigint).toString(16);
        return verb === 'X' ? out.toUpperCase() : out;
      }
      case 'o':
        return (v as bigint).toString(8);
      default:
        return (v as bigint).toString(2);
    }
  });
}

function celToString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(celToString).join(', ')}]`;
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  if (typeof v === 'object') {
    if (v instanceof Quantity || v instanceof KubeUrl || v instanceof IpValue || v instanceof CidrValue) return String(v);
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${celToString(x)}`).join(', ')}}`;
  }
  return String(v);
}

function registerUrl(env: Environment): void {
  env.registerType('URL', KubeUrl);
  env.registerFunction('url(string): URL', (s: string) => parseKubeUrl(s) ?? fail(`URL parse error during conversion from string: ${s}`));
  env.registerFunction('isURL(string): bool', (s: string) => parseKubeUrl(s) !== undefined);
  env.registerFunction('URL.getScheme(): string', (u: KubeUrl) => u.scheme);
  env.registerFunction('URL.getHost(): string', (u: KubeUrl) => u.host);
  env.registerFunction('URL.getHostname(): string', (u: KubeUrl) => u.hostname);
  env.registerFunction('URL.getPort(): string', (u: KubeUrl) => u.port);
  env.registerFunction('URL.getEscapedPath(): string', (u: KubeUrl) => u.escapedPath);
  env.registerFunction('URL.getQuery(): map<string, list<string>>', (u: KubeUrl) => u.query());
}

function registerNet(env: Environment): void {
  env.registerType('IP', IpValue);
  env.registerType('CIDR', CidrValue);
  env.registerFunction('ip(string): IP', (s: string) => parseIp(s) ?? fail('IP Address parse error during conversion from string'));
  env.registerFunction('isIP(string): bool', (s: string) => parseIp(s) !== undefined);
  env.registerFunction('IpNamespace.isCanonical(string): bool', (_ns: Namespace, s: string) => {
    const ip = parseIp(s);
    if (!ip) fail('IP Address parse error during conversion from string');
    return ip.toString() === s;
  });
  env.registerFunction('IP.family(): int', (ip: IpValue) => BigInt(ip.family));
  env.registerFunction('IP.isUnspecified(): bool', (ip: IpValue) => ip.isUnspecified());
  env.registerFunction('IP.isLoopback(): bool', (ip: IpValue) => ip.isLoopback());
  env.registerFunction('IP.isLinkLocalMulticast(): bool', (ip: IpValue) => ip.isLinkLocalMulticast());
  env.registerFunction('IP.isLinkLocalUnicast(): bool', (ip: IpValue) => ip.isLinkLocalUnicast());
  env.registerFunction('IP.isGlobalUnicast(): bool', (ip: IpValue) => ip.isGlobalUnicast());
  env.registerFunction('string(IP): string', (ip: IpValue) => ip.toString());
  env.registerFunction('cidr(string): CIDR', (s: string) => parseCidr(s) ?? fail('network address parse error during conversion from string'));
  env.registerFunction('isCIDR(string): bool', (s: string) => parseCidr(s) !== undefined);
  env.registerFunction('CIDR.containsIP(string): bool', (c: CidrValue, s: string) => {
    const ip = parseIp(s);
    if (!ip) fail('IP Address parse error during conversion from string');
    return c.containsIP(ip);
  });
  env.registerFunction('CIDR.containsIP(IP): bool', (c: CidrValue, ip: IpValue) => c.containsIP(ip));
  env.registerFunction('CIDR.containsCIDR(string): bool', (c: CidrValue, s: string) => {
    const other = parseCidr(s);
    if (!other) fail('network address parse error during conversion from string');
    return c.containsCIDR(other);
  });
  env.registerFunction('CIDR.containsCIDR(CIDR): bool', (c: CidrValue, o: CidrValue) => c.containsCIDR(o));
  env.registerFunction('CIDR.ip(): IP', (c: CidrValue) => c.ip);
  env.registerFunction('CIDR.masked(): CIDR', (c: CidrValue) => c.masked());
  env.registerFunction('CIDR.prefixLength(): int', (c: CidrValue) => BigInt(c.prefixLength));
  env.registerFunction('string(CIDR): string', (c: CidrValue) => c.toString());
}

function quantityOf(s: string): Quantity {
  try {
    return parseQuantity(s);
  } catch {
    return fail('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
  }
}

function quantityNumber(q: Quantity): number {
  return Number(q.unscaled) * 10 ** q.scale;
}

function quantityInteger(q: Quantity): bigint | undefined {
  if (q.scale >= 0) return q.unscaled * 10n ** BigInt(q.scale);
  const d = 10n ** BigInt(-q.scale);
  return q.unscaled % d === 0n ? q.unscaled / d : undefined;
}

function addQuantity(a: Quantity, b: Quantity, sign: bigint): Quantity {
  const scale = Math.min(a.scale, b.scale);
  const ua = a.unscaled * 10n ** BigInt(a.scale - scale);
  const ub = b.unscaled * 10n ** BigInt(b.scale - scale);
  return new Quantity(ua + sign * ub, scale, a.format);
}

function registerQuantity(env: Environment): void {
  env.registerType('Quantity', Quantity);
  env.registerFunction('quantity(string): Quantity', quantityOf);
  env.registerFunction('isQuantity(string): bool', (s: string) => {
    try {
      parseQuantity(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(q.sign));
  env.registerFunction('Quantity.isInteger(): bool', (q: Quantity) => {
    const i = quantityInteger(q);
    return i !== undefined && i <= 2n ** 63n - 1n && i >= -(2n ** 63n);
  });
  env.registerFunction('Quantity.asInteger(): int', (q: Quantity) => {
    const i = quantityInteger(q);
    if (i === undefined || i > 2n ** 63n - 1n || i < -(2n ** 63n)) fail('cannot convert value to integer');
    return i;
  });
  env.registerFunction('Quantity.asApproximateFloat(): double', quantityNumber);
  env.registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => addQuantity(a, b, 1n));
  env.registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => addQuantity(a, new Quantity(b, 0, a.format), 1n));
  env.registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => addQuantity(a, b, -1n));
  env.registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => addQuantity(a, new Quantity(b, 0, a.format), -1n));
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(compareQuantity(a, b)));
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => compareQuantity(a, b) > 0);
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => compareQuantity(a, b) < 0);
  env.registerOperator('Quantity == Quantity', (a: Quantity, b: Quantity) => compareQuantity(a, b) === 0);
}

function registerFormat(env: Environment): void {
  env.registerType('Format', FormatValue);
  env.registerFunction('FormatNamespace.named(string): optional<Format>', (_ns: Namespace, name: string) => {
    const f = FORMATS[name];
    return f ? Optional.of(new FormatValue(name, f)) : Optional.none();
  });
  for (const name of Object.keys(FORMATS)) {
    env.registerFunction(`FormatNamespace.${name}(): Format`, () => new FormatValue(name, FORMATS[name]));
  }
  env.registerFunction('Format.validate(string): optional<list<string>>', (f: FormatValue, s: string) => {
    const errs = f.check(s);
    return errs.length ? Optional.of(errs) : Optional.none();
  });
}

/** registerKubernetesLibraries adds every Kubernetes CEL library to env (once, before it is cloned or used). */
export function registerKubernetesLibraries(env: Environment): Environment {
  registerNamespaces(env);
  registerLists(env);
  registerStrings(env);
  registerUrl(env);
  registerNet(env);
  registerQuantity(env);
  registerFormat(env);
  return env;
}
