// resource.Quantity from k8s.io/apimachinery/pkg/api/resource: parsing, the
// canonical string Kubernetes writes back, comparison and integer accessors.
// Values are exact (bigint mantissa × 10^scale); no float ever holds one.
//
// The canonical form reproduces kube-apiserver byte for byte, including its
// parse-time shortcut: an input the parser deems already canonical is echoed
// verbatim (so "1.441", "+1" and "100M" come back as written; see
// kubernetes#138165). Two corrections from newer apimachinery are included:
// a DecimalSI value above 10^18 or a BinarySI value above 2^70 falls back to
// exponent notation instead of silently losing its magnitude ("1000E" -> "1e21"),
// and Value()/MilliValue() round away from zero and saturate at the int64 bounds.

/** QuantityFormat is the suffix family a quantity prints with, as in resource.Format. */
export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** quantityFormatMessage is ErrFormatWrong's text, what kube-apiserver answers for a malformed quantity. */
export const quantityFormatMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** quantitySuffixMessage is ErrSuffix's text: the number is fine but the suffix is unknown ("1K", "5i"). */
export const quantitySuffixMessage = "unable to parse quantity's suffix";
/** quantityNumericMessage is ErrNumeric's text: a suffix with no digits at all ("Pi"). */
export const quantityNumericMessage = 'unable to parse numeric part of quantity';

/** QuantityError is thrown for an unparsable quantity; its message is one of the three apimachinery texts. */
export class QuantityError extends Error {
  constructor(message: string = quantityFormatMessage) {
    super(message);
    this.name = 'QuantityError';
  }
}

const int64Max = 2n ** 63n - 1n;
const int64Min = -(2n ** 63n);

/** Quantity is an exact decimal value unscaled × 10^scale that remembers its format (and its input, if canonical). */
export class Quantity {
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
    readonly format: QuantityFormat,
    /** cached is the parser's input when it was already canonical; String() returns it verbatim. */
    private readonly cached?: string,
  ) {}

  /** sign is -1, 0 or 1. */
  get sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** toString is the serialized form kube-apiserver writes (Quantity.String / MarshalJSON). */
  toString(): string {
    return this.cached ?? canonicalize(this);
  }

  /** toJSON makes JSON.stringify write the serialized string. */
  toJSON(): string {
    return this.toString();
  }
}

// ---------------------------------------------------------------------------
// Parsing.

interface Scanned {
  positive: boolean;
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

const isDigit = (c: string) => c >= '0' && c <= '9';

/** scan splits str into sign, integer digits (leading zeros stripped), fraction digits and suffix. */
function scan(str: string): Scanned {
  const end = str.length;
  let positive = true;
  let pos = 0;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };

  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' };
  const num = str.slice(pos, i) || '0';
  pos = i;

  let denom = '';
  if (str[pos] === '.') {
    pos++;
    let j = pos;
    while (j < end && isDigit(str[j])) j++;
    if (j >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' };
    denom = str.slice(pos, j);
    pos = j;
  }
  const value = str.slice(0, pos);

  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(quantityFormatMessage);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

const decimalSuffixes = new Map<string, number>([
  ['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18],
]);
const binarySuffixes = new Map<string, number>([['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60]]);
const decimalSuffixByExponent = new Map([...decimalSuffixes].map(([s, e]) => [e, s]));
const binarySuffixByExponent = new Map([...binarySuffixes].map(([s, e]) => [e / 10, s]));
const maxExponent = 2147483647; // the exponent is an int32 that gets negated, so MinInt32 is out too

interface Suffix { base: 2 | 10; exponent: number; format: QuantityFormat }

function interpretSuffix(suffix: string): Suffix {
  const dec = decimalSuffixes.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = binarySuffixes.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = BigInt(suffix.slice(1));
    if (exponent >= -maxExponent && exponent <= maxExponent) return { base: 10, exponent: Number(exponent), format: 'DecimalExponent' };
  }
  throw new QuantityError(quantitySuffixMessage);
}

function digitCount(mag: bigint): number {
  return mag.toString().length;
}

/**
 * parseQuantity parses a quantity exactly as resource.ParseQuantity does (no surrounding whitespace);
 * a number is parsed from its JavaScript string form. Throws QuantityError.
 */
export function parseQuantity(input: string | number): Quantity {
  let str: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(quantityFormatMessage);
    str = String(input);
  } else if (typeof input === 'string') {
    str = input;
  } else {
    throw new QuantityError(quantityFormatMessage);
  }
  if (str.length === 0) throw new QuantityError(quantityFormatMessage);
  if (str === '0') return new Quantity(0n, 0, 'DecimalSI', '0');

  const { positive, value, num, denom, suffix } = scan(str);
  const { base, exponent, format } = interpretSuffix(suffix);

  // The int64 fast path of ParseQuantity. Besides speed it decides whether the
  // input string is kept as the serialized form, so it is reproduced faithfully.
  let precision: number;
  let scale = 0;
  let multiplier = 1n;
  if (format === 'BinarySI') {
    if (exponent >= 0 && denom.length === 0) {
      multiplier = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const parsed = BigInt(shifted);
      const result = parsed * multiplier;
      if (result <= int64Max) {
        const unscaled = positive ? result : -result;
        const canonical = format === 'BinarySI'
          ? exponent % 10 === 0 && (parsed & 7n) !== 0n
          : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        return new Quantity(unscaled, scale, format, canonical ? str : undefined);
      }
    }
  }

  // The exact path: value × base^exponent, magnitude rounded up to a whole nano.
  if (!/[0-9]/.test(value)) throw new QuantityError(quantityNumericMessage);
  const dot = value.indexOf('.');
  const fraction = dot >= 0 ? value.slice(dot + 1) : '';
  let mag = BigInt(value.replace(/^[+-]/, '').replace('.', '') || '0');
  scale = -fraction.length;
  if (base === 10) scale += exponent;
  else mag <<= BigInt(exponent);

  let outFormat = format;
  if (mag !== 0n && scale < -9) {
    const k = -9 - scale;
    if (digitCount(mag) <= k) {
      mag = 1n;
    } else {
      const divisor = 10n ** BigInt(k);
      mag = mag % divisor === 0n ? mag / divisor : mag / divisor + 1n;
    }
    scale = -9;
  }
  if (format === 'BinarySI') {
    // scale is within [-9, 0] here: binary suffixes only shift bits.
    const unit = 10n ** BigInt(-scale);
    if (mag > int64Max * unit) {
      mag = int64Max;
      scale = 0;
    } else if (mag > 0n && mag < unit) {
      outFormat = 'DecimalSI';
    }
  }
  return new Quantity(positive ? mag : -mag, scale, outFormat);
}

// ---------------------------------------------------------------------------
// Canonical form.

/** decimalString writes unscaled×10^scale with the exponent lowered to a multiple of 3, then its suffix. */
function decimalString(unscaled: bigint, scale: number, format: QuantityFormat): string {
  // Trailing zeros move into the exponent; working on the digits keeps huge mantissas linear.
  const digits = unscaled.toString();
  const kept = digits.replace(/0+$/, '');
  let exponent = scale + (digits.length - kept.length);
  let amount = kept;
  while (exponent % 3 !== 0) {
    amount += '0';
    exponent--;
  }
  let suffix: string | undefined = format === 'DecimalSI' ? decimalSuffixByExponent.get(exponent) : undefined;
  if (suffix === undefined) suffix = exponent === 0 ? '' : `e${exponent}`;
  return `${amount}${suffix}`;
}

function canonicalize(q: Quantity): string {
  if (q.unscaled === 0n) return '0';
  if (q.format !== 'BinarySI' || compareMagnitude(q.unscaled, q.scale, 1024n, 0) < 0) {
    return decimalString(q.unscaled, q.scale, q.format === 'BinarySI' ? 'DecimalSI' : q.format);
  }
  // 10^70 and beyond has at least seven factors of 1024: past "Ei", so exponent notation.
  if (q.scale >= 70) return decimalString(q.unscaled, q.scale, 'DecimalExponent');
  let integer: bigint;
  if (q.scale >= 0) {
    integer = q.unscaled * 10n ** BigInt(q.scale);
  } else {
    const divisor = 10n ** BigInt(-q.scale);
    if (q.unscaled % divisor !== 0n) return decimalString(q.unscaled, q.scale, 'DecimalSI'); // never round: show exactly
    integer = q.unscaled / divisor;
  }
  let power = 0;
  let amount = integer;
  while (amount % 1024n === 0n) {
    amount /= 1024n;
    power++;
  }
  const suffix = power === 0 ? '' : binarySuffixByExponent.get(power);
  return suffix === undefined ? decimalString(integer, 0, 'DecimalExponent') : `${amount}${suffix}`;
}

/** readQuantity reads a stored quantity (a Quantity, a string or a number); one that does not parse is undefined, left to validation to refuse. */
export function readQuantity(v: unknown): Quantity | undefined {
  if (v instanceof Quantity) return v;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(typeof v === 'string' ? v.trim() : v);
  } catch {
    return undefined;
  }
}

/**
 * canonicalQuantity is what kube-apiserver stores for a quantity field it decodes and re-encodes:
 * surrounding whitespace is trimmed (as UnmarshalJSON does), then the serialized form is returned.
 */
export function canonicalQuantity(input: string | number): string {
  return parseQuantity(typeof input === 'string' ? input.trim() : input).toString();
}

// ---------------------------------------------------------------------------
// Comparison and accessors.

/** compareMagnitude compares |a|·10^as with |b|·10^bs without materializing huge powers of ten. */
function compareMagnitude(a: bigint, as: number, b: bigint, bs: number): -1 | 0 | 1 {
  const ma = a < 0n ? -a : a;
  const mb = b < 0n ? -b : b;
  if (ma === 0n || mb === 0n) return ma === mb ? 0 : ma === 0n ? -1 : 1;
  const ea = digitCount(ma) + as;
  const eb = digitCount(mb) + bs;
  if (ea !== eb) return ea > eb ? 1 : -1;
  // Same order of magnitude, so the scale difference is at most the digit count difference.
  const x = as > bs ? ma * 10n ** BigInt(as - bs) : ma;
  const y = bs > as ? mb * 10n ** BigInt(bs - as) : mb;
  return x === y ? 0 : x > y ? 1 : -1;
}

function toQuantity(q: Quantity | string | number): Quantity {
  return q instanceof Quantity ? q : parseQuantity(q);
}

/** compareQuantity returns -1, 0 or 1 as a is less than, equal to or greater than b (Quantity.Cmp). */
export function compareQuantity(a: Quantity | string | number, b: Quantity | string | number): -1 | 0 | 1 {
  const x = toQuantity(a);
  const y = toQuantity(b);
  if (x.sign !== y.sign) return x.sign > y.sign ? 1 : -1;
  const m = compareMagnitude(x.unscaled, x.scale, y.unscaled, y.scale);
  return x.sign < 0 && m !== 0 ? (-m as -1 | 1) : m;
}

function clampInt64(v: bigint): bigint {
  return v > int64Max ? int64Max : v < int64Min ? int64Min : v;
}

/**
 * scaledValue is Quantity.ScaledValue: q / 10^scale rounded to an integer away from zero,
 * saturated at the int64 bounds. scaledValue(q, -3) is the milli-value.
 */
export function scaledValue(q: Quantity | string | number, scale: number): bigint {
  const { unscaled, scale: from } = toQuantity(q);
  if (unscaled === 0n) return 0n;
  const negative = unscaled < 0n;
  const mag = negative ? -unscaled : unscaled;
  const shift = from - scale;
  let result: bigint;
  if (shift >= 0) {
    if (digitCount(mag) + shift > 19) return negative ? int64Min : int64Max;
    result = mag * 10n ** BigInt(shift);
  } else if (digitCount(mag) <= -shift) {
    result = 1n;
  } else {
    const divisor = 10n ** BigInt(-shift);
    result = mag % divisor === 0n ? mag / divisor : mag / divisor + 1n;
  }
  return clampInt64(negative ? -result : result);
}

/** value is Quantity.Value(): the integer value rounded away from zero (bytes of "1Gi", 1 for "100m"). */
export function value(q: Quantity | string | number): number {
  return Number(scaledValue(q, 0));
}

/** milliValue is Quantity.MilliValue(): ceil(q × 1000) away from zero (millicores of "1.5" = 1500). */
export function milliValue(q: Quantity | string | number): number {
  return Number(scaledValue(q, -3));
}

/** quantityValue is the value as the nearest float64 (AsApproximateFloat64), e.g. 0.5 for "500m". */
export function quantityValue(q: Quantity | string | number): number {
  const { unscaled, scale } = toQuantity(q);
  return Number.parseFloat(`${unscaled}e${scale}`);
}

function toBigInt(v: bigint | number): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
  return BigInt(v);
}

/** newQuantity is resource.NewQuantity: an integer value printed in format (1024 BinarySI -> "1Ki"). */
export function newQuantity(v: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(toBigInt(v), 0, format);
}

/** newMilliQuantity is resource.NewMilliQuantity: v/1000 printed in format (1500 -> "1500m", 2000 -> "2"). */
export function newMilliQuantity(v: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(toBigInt(v), -3, format);
}
