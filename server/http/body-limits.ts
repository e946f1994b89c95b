/**
 * Limits on the shape of a decoded request body, checked before anything recursive touches it:
 * how deeply objects and arrays nest, and which numbers survive decoding unchanged.
 *
 * kube-apiserver decodes JSON with Go's encoding/json rules, which refuse nesting past 10,000
 * levels ("exceeded max depth"), and YAML with go-yaml, which refuses past 10,000 levels
 * ("exceeded max depth of 10000"). Node cannot go that far: JSON.stringify and structuredClone
 * overflow their native stacks between 2,000 and 5,000 levels, and every recursive step of the
 * write path (defaults, validation, managedFields, patches) costs further frames per level. So
 * nodeless refuses nesting past MAX_NESTING_DEPTH with the same 400, a limit no real manifest
 * comes near (the deepest built-in schemas nest about 30 levels).
 */
import { jsonExtent } from '../../schemas/meta/json';

/** MAX_BODY_BYTES is kube-apiserver's request size limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * MAX_NESTING_DEPTH is how deeply objects and arrays may nest in a request body or a stored
 * object. At 1,000 the recursive steps of a write (patches, managedFields, validation) came close
 * enough to Node's stack limit that V8 sometimes died compiling a regular expression there
 * ("RegExpCompiler Allocation failed"); 500 leaves room.
 */
export const MAX_NESTING_DEPTH = 500;

/** BodyShapeError is a body that decodes, but not into something nodeless keeps faithfully. */
export class BodyShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyShapeError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;

// 2^63: Go decodes integers below it in magnitude exactly (int64) and larger ones as float64.
const INT64_LIMIT = 2n ** 63n;
const SAFE_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * scanJson walks JSON text once, without recursion and without allocating per value, and throws
 * BodyShapeError for nesting past maxDepth and for numbers that JSON.parse would change: a float
 * beyond float64 (1e400 would become Infinity, then null), which Go refuses with "value out of
 * range", and an integer between 2^53 and 2^63, which Go keeps exactly as int64 but a JS number
 * cannot (beyond 2^63 Go falls back to float64 too, so those pass). Malformed JSON is left to
 * JSON.parse to report. It answers the number of object member names in the text (see
 * memberCount).
 */
export function scanJson(buf: Buffer, maxDepth = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let members = 0;
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const c = buf[i];
    if (c === QUOTE) {
      // Find the closing quote. Most strings are short (keys, names): a byte loop finds their
      // end; each indexOf call costs more than a short string does (a CRD's 700 KB took 45 ms
      // that way). A long string is searched with indexOf for a quote not preceded by an odd
      // run of backslashes.
      let j = i + 1;
      const short = Math.min(n, j + 64);
      while (j < short && buf[j] !== QUOTE) j += buf[j] === BACKSLASH ? 2 : 1;
      if (j >= short) {
        j = Math.min(j, n) - 1;
        for (;;) {
          j = buf.indexOf(QUOTE, j + 1);
          if (j < 0) return members;
          let k = j - 1;
          while (buf[k] === BACKSLASH) k--;
          if ((j - 1 - k) % 2 === 0) break;
        }
      }
      i = j + 1;
      // A string followed by a colon is an object member's name.
      while (i < n && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
      if (buf[i] === COLON) members++;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) throw new BodyShapeError('exceeded max depth');
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let j = i + 1;
      let integer = true;
      while (j < n) {
        const d = buf[j];
        if (d >= ZERO && d <= NINE) j++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === MINUS) {
          integer = false;
          j++;
        } else break;
      }
      // Numbers of up to 15 digits are exact; only longer ones need a look.
      if (j - i > 15) checkNumber(buf.toString('latin1', i, j), integer);
      else if (!integer) checkNumber(buf.toString('latin1', i, j), false);
      i = j;
      continue;
    }
    i++;
  }
  return members;
}

/**
 * memberCount counts the members of every object in a decoded JSON value, without recursion.
 * Beside scanJson's count of member names in the text it tells whether the text repeats a key:
 * JSON.parse keeps one member per name (the last), so the counts are equal exactly when no
 * object of the text names a member twice.
 */
export function memberCount(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const k in v) {
      count++;
      const child = (v as Record<string, unknown>)[k];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return count;
}

function checkNumber(text: string, integer: boolean): void {
  if (integer) {
    let big: bigint;
    try {
      big = BigInt(text);
    } catch {
      return; // malformed: JSON.parse reports it
    }
    const abs = big < 0n ? -big : big;
    if (abs > SAFE_LIMIT && abs < INT64_LIMIT) throw new BodyShapeError(unsafeInteger(text));
    return;
  }
  const value = Number(text);
  if (!Number.isFinite(value) && !Number.isNaN(value)) throw new BodyShapeError(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: value out of range`);
}

function unsafeInteger(text: string): string {
  return `the integer ${text} cannot be kept exactly: integers between 2^53 and 2^63 in magnitude are not supported`;
}

/**
 * checkDecodedValue checks a value decoded by something other than JSON.parse (YAML, JSON
 * embedded in protobuf) the way scanJson checks JSON text: nesting past maxDepth, non-finite
 * numbers, and integers between 2^53 and 2^63 (as bigint, from a decoder asked to keep them).
 * It also bounds the value's serialised size by maxBytes, which catches YAML aliases that
 * expand a small document into a huge one. It returns the value with safe bigints turned into
 * numbers, iteratively.
 */
export function checkDecodedValue(value: unknown, maxBytes: number, maxDepth = MAX_NESTING_DEPTH): unknown {
  // Measured first: it stops early, so the walk below is bounded by maxBytes.
  const extent = jsonExtent(value, maxBytes, maxDepth);
  if (extent.tooDeep) throw new BodyShapeError(`exceeded max depth of ${maxDepth}`);
  if (extent.tooLarge) throw new BodyShapeError('document contains excessive aliasing');
  const root = { v: value };
  const stack: Array<[Record<string, unknown> | unknown[], string | number]> = [[root as Record<string, unknown>, 'v']];
  while (stack.length) {
    const [container, key] = stack.pop()!;
    const v = (container as Record<string | number, unknown>)[key];
    if (typeof v === 'bigint') {
      const abs = v < 0n ? -v : v;
      if (abs > SAFE_LIMIT && abs < INT64_LIMIT) throw new BodyShapeError(unsafeInteger(v.toString()));
      (container as Record<string | number, unknown>)[key] = Number(v);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new BodyShapeError(`json: unsupported value: ${v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'}`);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v, i]);
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) stack.push([v as Record<string, unknown>, k]);
    }
  }
  return root.v;
}
