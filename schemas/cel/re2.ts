/**
 * RE2 regular expressions, as Kubernetes has them: Go's regexp package (RE2 syntax, linear
 * time) validates OpenAPI `pattern`s and backs CEL's matches(), find() and findAll(). re2js is a
 * port of that engine, so inline flags such as `(?i)` work, look-arounds and back-references
 * are refused as Go refuses them, and no pattern can take exponential time on hostile input.
 */
import { RE2JS } from 're2js';

// Compiled patterns are kept because CRD schemas and CEL rules use a handful of patterns over
// and over; the bound keeps a stream of distinct patterns from CEL string arguments in check.
const CACHE_LIMIT = 2000;
const cache = new Map<string, RE2JS>();

/** Re2SyntaxError is thrown for a pattern that is not valid RE2; its message is Go's wording. */
export class Re2SyntaxError extends Error {
  override readonly name = 'Re2SyntaxError';
}

/** compileRe2 compiles pattern with RE2 semantics (cached), throwing Re2SyntaxError if it is not valid RE2. */
export function compileRe2(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (re) return re;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new Re2SyntaxError(e instanceof Error ? e.message : String(e));
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}

/** re2SyntaxError returns Go's error text for a pattern that is not valid RE2, or undefined when it is. */
export function re2SyntaxError(pattern: string): string | undefined {
  try {
    compileRe2(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** re2Test reports whether pattern matches anywhere in s (Go's MatchString). */
export function re2Test(pattern: string, s: string): boolean {
  return compileRe2(pattern).test(s);
}

/** re2Find returns the first match of pattern in s, or '' when there is none (cel-go's find()). */
export function re2Find(pattern: string, s: string): string {
  const m = compileRe2(pattern).matcher(s);
  return m.find() ? (m.group() ?? '') : '';
}

/** re2FindAll returns up to limit (all when limit < 0) non-overlapping matches of pattern in s. */
export function re2FindAll(pattern: string, s: string, limit = -1): string[] {
  const out: string[] = [];
  if (limit === 0) return out;
  const m = compileRe2(pattern).matcher(s);
  while (m.find()) {
    out.push(m.group() ?? '');
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/**
 * re2RegExpEngine adapts RE2 to the RegExp-like shape ajv's `code.regExp` option expects, so
 * schema `pattern`s compile with RE2 rather than JavaScript's backtracking engine.
 */
export function re2RegExpEngine(pattern: string, _flags?: string): { test(s: string): boolean } {
  const re = compileRe2(pattern);
  return { test: (s: string) => re.test(s) };
}
