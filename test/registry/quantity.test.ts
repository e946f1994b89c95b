import {
  Quantity,
  QuantityError,
  canonicalQuantity,
  compareQuantity,
  milliValue,
  newMilliQuantity,
  newQuantity,
  parseQuantity,
  quantityFormatMessage,
  quantityNumericMessage,
  quantitySuffixMessage,
  quantityValue,
  scaledValue,
  value,
  type QuantityFormat,
} from '../../schemas/meta/quantity';

const DSI: QuantityFormat = 'DecimalSI';
const BSI: QuantityFormat = 'BinarySI';
const DE: QuantityFormat = 'DecimalExponent';
const maxInt64 = 2n ** 63n - 1n;
const minInt64 = -(2n ** 63n);

/** dec mirrors decQuantity in quantity_test.go: i × 10^exponent in format. */
const dec = (i: bigint | number, exponent: number, format: QuantityFormat) => new Quantity(BigInt(i), exponent, format);

describe('parseQuantity values and formats (TestQuantityParse)', () => {
  const table: [string, Quantity][] = [
    ['0', dec(0, 0, DSI)],
    ['0n', dec(0, 0, DSI)],
    ['0u', dec(0, 0, DSI)],
    ['0m', dec(0, 0, DSI)],
    ['0Ki', dec(0, 0, BSI)],
    ['0k', dec(0, 0, DSI)],
    ['0Mi', dec(0, 0, BSI)],
    ['0M', dec(0, 0, DSI)],
    ['0Gi', dec(0, 0, BSI)],
    ['0G', dec(0, 0, DSI)],
    ['0Ti', dec(0, 0, BSI)],
    ['0T', dec(0, 0, DSI)],
    ['1', dec(1, 0, DSI)],
    // binary suffixes
    ['1Ki', dec(1024, 0, BSI)],
    ['8Ki', dec(8 * 1024, 0, BSI)],
    ['7Mi', dec(7 * 2 ** 20, 0, BSI)],
    ['6Gi', dec(6 * 2 ** 30, 0, BSI)],
    ['5Ti', dec(5n * 2n ** 40n, 0, BSI)],
    ['4Pi', dec(4n * 2n ** 50n, 0, BSI)],
    ['3Ei', dec(3n * 2n ** 60n, 0, BSI)],
    ['10Ti', dec(10n * 2n ** 40n, 0, BSI)],
    ['100Ti', dec(100n * 2n ** 40n, 0, BSI)],
    // decimal suffixes
    ['5n', dec(5, -9, DSI)],
    ['4u', dec(4, -6, DSI)],
    ['3m', dec(3, -3, DSI)],
    ['9', dec(9, 0, DSI)],
    ['8k', dec(8, 3, DSI)],
    ['50k', dec(5, 4, DSI)],
    ['7M', dec(7, 6, DSI)],
    ['6G', dec(6, 9, DSI)],
    ['5T', dec(5, 12, DSI)],
    ['40T', dec(4, 13, DSI)],
    ['300T', dec(3, 14, DSI)],
    ['2P', dec(2, 15, DSI)],
    ['1E', dec(1, 18, DSI)],
    // decimal exponents
    ['1E-3', dec(1, -3, DE)],
    ['1e3', dec(1, 3, DE)],
    ['1E6', dec(1, 6, DE)],
    ['1e9', dec(1, 9, DE)],
    ['1E12', dec(1, 12, DE)],
    ['1e15', dec(1, 15, DE)],
    ['1E18', dec(1, 18, DE)],
    // nonstandard but still parsable
    ['1e14', dec(1, 14, DE)],
    ['1e13', dec(1, 13, DE)],
    ['100.035k', dec(100035, 0, DSI)],
    // things that look like floating point
    ['0.001', dec(1, -3, DSI)],
    ['0.0005k', dec(5, -1, DSI)],
    ['0.005', dec(5, -3, DSI)],
    ['0.05', dec(5, -2, DSI)],
    ['0.5', dec(5, -1, DSI)],
    ['0.00050k', dec(5, -1, DSI)],
    ['0.00500', dec(5, -3, DSI)],
    ['0.05000', dec(5, -2, DSI)],
    ['0.50000', dec(5, -1, DSI)],
    ['0.5e0', dec(5, -1, DE)],
    ['0.5e-1', dec(5, -2, DE)],
    ['0.5e-2', dec(5, -3, DE)],
    ['10.035M', dec(10035, 3, DSI)],
    ['1.2e3', dec(12, 2, DE)],
    ['1.3E+6', dec(13, 5, DE)],
    ['1.40e9', dec(14, 8, DE)],
    ['1.53E12', dec(153, 10, DE)],
    ['1.6e15', dec(16, 14, DE)],
    ['1.7E18', dec(17, 17, DE)],
    ['9.01', dec(901, -2, DSI)],
    ['8.1k', dec(81, 2, DSI)],
    ['7.123456M', dec(7123456, 0, DSI)],
    ['6.987654321G', dec(6987654321, 0, DSI)],
    ['5.444T', dec(5444, 9, DSI)],
    ['40.1T', dec(401, 11, DSI)],
    ['300.2T', dec(3002, 11, DSI)],
    ['2.5P', dec(25, 14, DSI)],
    ['1.01E', dec(101, 16, DSI)],
    // things that saturate or round
    ['3.001n', dec(4, -9, DSI)],
    ['1.1E-9', dec(2, -9, DE)],
    ['0.0000000001', dec(1, -9, DSI)],
    ['0.0000000005', dec(1, -9, DSI)],
    ['0.00000000050', dec(1, -9, DSI)],
    ['0.5e-9', dec(1, -9, DE)],
    ['0.9n', dec(1, -9, DSI)],
    ['0.00000012345', dec(124, -9, DSI)],
    ['0.00000012354', dec(124, -9, DSI)],
    ['9Ei', dec(maxInt64, 0, BSI)],
    ['9223372036854775807Ki', dec(maxInt64, 0, BSI)],
    ['12E', dec(12, 18, DSI)],
    // fractional binary
    ['100.035Ki', dec(10243584, -2, BSI)],
    ['0.5Mi', dec(0.5 * 1024 * 1024, 0, BSI)],
    ['0.05Gi', dec(536870912, -1, BSI)],
    ['0.025Ti', dec(274877906944, -1, BSI)],
    // things written by trolls
    ['0.000000000001Ki', dec(2, -9, DSI)], // rounds up, changes format
    ['.001', dec(1, -3, DSI)],
    ['.0001k', dec(100, -3, DSI)],
    ['1.', dec(1, 0, DSI)],
    ['1.G', dec(1, 9, DSI)],
  ];

  it.each(table)('%s', (input, want) => {
    const got = parseQuantity(input);
    expect(compareQuantity(got, want)).toBe(0);
    expect(got.format).toBe(want.format);
  });

  it.each(table)('-%s is the negation', (input, want) => {
    const got = parseQuantity(`-${input}`);
    expect(compareQuantity(got, new Quantity(-want.unscaled, want.scale, want.format))).toBe(0);
    expect(got.format).toBe(want.format);
  });

  it.each(table)('+%s is the same value', (input, want) => {
    const got = parseQuantity(`+${input}`);
    expect(compareQuantity(got, want)).toBe(0);
    expect(got.format).toBe(want.format);
  });
});

describe('parseQuantity rejects malformed input with the apimachinery messages', () => {
  it.each([
    ['', quantityFormatMessage],
    ['1.1.M', quantityFormatMessage],
    ['1+1.0M', quantityFormatMessage],
    ['aoeu', quantityFormatMessage],
    [' 1', quantityFormatMessage],
    ['1 ', quantityFormatMessage],
    ['1x', quantityFormatMessage],
    ['1Gi ', quantityFormatMessage],
    ['--1', quantitySuffixMessage], // the scanner reads "-1" as the suffix
    ['1,5', quantityFormatMessage],
    ['0.1mi', quantitySuffixMessage],
    ['0.1am', quantityFormatMessage],
    ['.5i', quantitySuffixMessage],
    ['1i', quantitySuffixMessage],
    ['-3.01i', quantitySuffixMessage],
    ['-3.01e-', quantitySuffixMessage],
    ['1K', quantitySuffixMessage],
    ['1gi', quantityFormatMessage],
    ['1e', quantitySuffixMessage],
    ['1Ee3', quantitySuffixMessage],
    ['1Mi3', quantitySuffixMessage],
    ['1e4294967297', quantitySuffixMessage], // exponent outside int32 is rejected, not truncated
    ['1E2147483648', quantitySuffixMessage],
    ['1E-2147483648', quantitySuffixMessage],
    ['Pi', quantityNumericMessage],
    ['.Ei', quantityNumericMessage],
  ])('%j', (input, message) => {
    expect(() => parseQuantity(input)).toThrow(new QuantityError(message));
  });

  it('names the regular expression kube-apiserver quotes', () => {
    expect(quantityFormatMessage).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it.each([NaN, Infinity, -Infinity])('rejects the number %p', (n) => {
    expect(() => parseQuantity(n)).toThrow(QuantityError);
  });
});

describe('canonical form (TestQuantityString, alternate spellings canonicalize)', () => {
  const table: [Quantity, string, string][] = [
    [dec(1024 * 1024 * 1024, 0, BSI), '1Gi', '1024Mi'],
    [dec(300 * 1024 * 1024, 0, BSI), '300Mi', '307200Ki'],
    [dec(6 * 1024, 0, BSI), '6Ki', ''],
    [dec(1001n * 2n ** 30n, 0, BSI), '1001Gi', '1025024Mi'],
    [dec(2n ** 40n, 0, BSI), '1Ti', '1024Gi'],
    [dec(5, 0, BSI), '5', '5000m'],
    [dec(500, -3, BSI), '500m', '0.5'],
    [dec(1, 9, DSI), '1G', '1000M'],
    [dec(1000, 6, DSI), '1G', '0.001T'],
    [dec(1000000, 3, DSI), '1G', ''],
    [dec(1000000000, 0, DSI), '1G', ''],
    [dec(1, -3, DSI), '1m', '1000u'],
    [dec(80, -3, DSI), '80m', ''],
    [dec(1080, -3, DSI), '1080m', '1.08'],
    [dec(108, -2, DSI), '1080m', '1080000000n'],
    [dec(10800, -4, DSI), '1080m', ''],
    [dec(300, 6, DSI), '300M', ''],
    [dec(1, 12, DSI), '1T', ''],
    [dec(1, 18, DSI), '1E', ''],
    [dec(1, 21, DSI), '1e21', '1000E'],
    [dec(5, 21, DSI), '5e21', '5000E'],
    [dec(1, 24, DSI), '1e24', '1000000E'],
    [dec(1, 70, BSI), '10e69', ''],
    [dec(2, 70, BSI), '20e69', ''],
    [dec(1, 72, BSI), '1e72', ''],
    [dec(1234567, 6, DSI), '1234567M', ''],
    [dec(1234567, -3, BSI), '1234567m', ''],
    [dec(3, 3, DSI), '3k', ''],
    [dec(1025, 0, BSI), '1025', ''],
    [dec(0, 0, DSI), '0', ''],
    [dec(0, 0, BSI), '0', ''],
    [dec(1, 9, DE), '1e9', '.001e12'],
    [dec(1, -3, DE), '1e-3', '0.001e0'],
    [dec(1, -9, DE), '1e-9', '1000e-12'],
    [dec(80, -3, DE), '80e-3', ''],
    [dec(300, 6, DE), '300e6', ''],
    [dec(1, 12, DE), '1e12', ''],
    [dec(1, 3, DE), '1e3', ''],
    [dec(3, 3, DE), '3e3', ''],
    [dec(0, 0, DE), '0', '00'],
    [dec(1, -9, DSI), '1n', ''],
    [dec(80, -9, DSI), '80n', ''],
    [dec(1080, -9, DSI), '1080n', ''],
    [dec(108, -8, DSI), '1080n', ''],
    [dec(10800, -10, DSI), '1080n', ''],
    [dec(1, -6, DSI), '1u', ''],
    [dec(80, -6, DSI), '80u', ''],
    [dec(1080, -6, DSI), '1080u', ''],
  ];

  it.each(table)('%s prints as %s', (q, expect_, alternate) => {
    expect(q.toString()).toBe(expect_);
    expect(parseQuantity(expect_).toString()).toBe(expect_);
    if (alternate) expect(parseQuantity(alternate).toString()).toBe(expect_);
    if (q.sign !== 0) expect(new Quantity(-q.unscaled, q.scale, q.format).toString()).toBe(`-${expect_}`);
  });

  it('prints below-nano values in exponent notation', () => {
    expect(dec(1, -12, DSI).toString()).toBe('1e-12');
    expect(dec(1, -10, DSI).toString()).toBe('100e-12');
  });

  it('prints BinarySI values that are not a multiple of 1024 as plain integers', () => {
    expect(dec(2000, 0, BSI).toString()).toBe('2000');
    expect(dec(-2000, 0, BSI).toString()).toBe('-2000');
  });

  it('prints 2^70 in BinarySI as its exact digits', () => {
    expect(dec(2n ** 70n, 0, BSI).toString()).toBe('1180591620717411303424');
  });
});

describe('round trips (TestQuantityParseEmit, golden serialization corpus)', () => {
  it.each([
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
  ])('%s -> %s (and negated)', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
    expect(canonicalQuantity(`-${input}`)).toBe(`-${want}`);
  });

  it.each([
    // the examples nodeless relies on
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1e3', '1e3'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['100M', '100M'],
    ['0.1', '100m'],
    ['100m', '100m'],
    ['250m', '250m'],
    ['1', '1'],
    ['2', '2'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['129M', '129M'],
    ['123Mi', '123Mi'],
    ['1.5', '1500m'],
    ['1.25', '1250m'],
    ['2048Ki', '2Mi'],
    ['1536Ki', '1536Ki'],
    ['0.5Gi', '512Mi'],
    ['1.1Gi', '1181116006400m'],
    ['0.000000000000001', '1n'],
    ['9223372036854775807', '9223372036854775807'],
    ['9223372036854775808', '9223372036854775808'],
    ['18446744073709551616', '18446744073709551616'],
    ['1E', '1E'],
    ['100E', '100E'],
    ['1000E', '1e21'],
    ['1e100', '10e99'],
    ['8Ei', '9223372036854775807'],
    ['-20Ei', '-9223372036854775807'],
    ['-9.5Gi', '-9728Mi'],
    ['-9.5000000001Gi', '-10200547328107374183n'],
    ['-1', '-1'],
    ['-0', '0'],
    ['0.0', '0'],
    ['00', '0'],
    ['0Gi', '0'],
    ['-', '0'],
    ['.', '0'],
    ['1e2147483647', '10e2147483646'],
    ['1e-2147483647', '1e-9'],
    ['1.5e-10', '1e-9'],
    ['3.2e-7', '320e-9'],
    ['0.32u', '320n'],
  ])('%s -> %s', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
    // A no-op update must not rewrite the stored value: the output parses back to itself.
    expect(canonicalQuantity(want)).toBe(want);
  });

  it.each([
    // ParseQuantity keeps an input it deems canonical verbatim (kubernetes#138165), as kube-apiserver does.
    ['1.441', '1.441'],
    ['1.000001', '1.000001'],
    ['1.000000001', '1.000000001'],
    ['1.441k', '1.441k'],
    ['+1', '+1'],
    ['01', '01'],
    ['1.', '1.'],
    ['1.G', '1.G'],
    ['+1Ki', '+1Ki'],
    ['1e+3', '1e+3'],
  ])('%s is echoed as %s', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });

  it('trims whitespace the way JSON decoding does, and accepts JSON numbers', () => {
    expect(canonicalQuantity(' 1')).toBe('1');
    expect(canonicalQuantity('1 ')).toBe('1');
    expect(canonicalQuantity(' -1')).toBe('-1');
    expect(canonicalQuantity(2)).toBe('2');
    expect(canonicalQuantity(10)).toBe('10');
    expect(canonicalQuantity(-1)).toBe('-1');
    expect(canonicalQuantity(0.5)).toBe('500m');
    expect(canonicalQuantity(0.1)).toBe('100m');
    expect(canonicalQuantity(1000)).toBe('1k');
    expect(canonicalQuantity(1e21)).toBe('1e+21');
  });

  it('serializes through JSON.stringify as its string', () => {
    expect(JSON.stringify({ cpu: parseQuantity('1000m'), memory: parseQuantity('1024Mi') })).toBe('{"cpu":"1","memory":"1Gi"}');
  });
});

describe('constructed quantities (TestNewSet, TestMilliNewSet)', () => {
  it.each([
    [1, DSI, '1'],
    [1000, DSI, '1k'],
    [1234000, DSI, '1234k'],
    [1024, BSI, '1Ki'],
    [1000000, DE, '1e6'],
    [1024 * 1024, BSI, '1Mi'],
    [minInt64, DSI, '-9223372036854775808'],
  ] as [bigint | number, QuantityFormat, string][])('newQuantity(%p, %s) = %s', (v, format, want) => {
    const q = newQuantity(v, format);
    expect(q.toString()).toBe(want);
    expect(scaledValue(parseQuantity(want), 0)).toBe(BigInt(v));
  });

  it.each([
    [1, DSI, '1m', true],
    [1000, DSI, '1', true],
    [1234000, DSI, '1234', true],
    [1024, BSI, '1024m', false],
    [1000000, DE, '1e3', true],
    [1024 * 1024, BSI, '1048576m', false],
    [1441, DSI, '1441m', true],
  ] as [number, QuantityFormat, string, boolean][])('newMilliQuantity(%p, %s) = %s', (v, format, want, exact) => {
    expect(newMilliQuantity(v, format).toString()).toBe(want);
    if (exact) expect(milliValue(want)).toBe(v);
  });

  it('refuses non-integer input', () => {
    expect(() => newQuantity(1.5)).toThrow(RangeError);
    expect(() => newMilliQuantity(2 ** 60)).toThrow(RangeError);
  });
});

describe('compareQuantity', () => {
  it.each([
    ['0', '0', 0],
    ['100m', '50m', 1],
    ['50m', '100m', -1],
    ['10000T', '100Gi', 1],
    ['1', '1000m', 0],
    ['1Gi', '1073741824', 0],
    ['1G', '1Gi', -1],
    ['-1', '0', -1],
    ['-2', '-1', -1],
    ['-1Ki', '-1k', -1],
    ['1e2147483647', '1e2147483646', 1],
    ['-1e2147483647', '-1e2147483646', -1],
    ['1e-2147483647', '1n', 0],
    ['12E', '9223372036854775807', 1],
  ] as [string, string, number][])('%s vs %s = %p', (a, b, want) => {
    expect(compareQuantity(a, b)).toBe(want);
    expect(compareQuantity(b, a)).toBe(-want || 0);
  });

  // TestQuantityCmpInt64AndDec
  it.each([
    [dec(901, -2, DSI), dec(901, -2, DSI), 0],
    [dec(90, -1, DSI), dec(901, -2, DSI), -1],
    [dec(901, -2, DSI), dec(900, -2, DSI), 1],
    [dec(0, 1, DSI), dec(0, -1, DSI), 0],
    [dec(800, -3, DSI), dec(1, 0, DSI), -1],
    [dec(800, -3, DSI), dec(79, -2, DSI), 1],
    [dec(maxInt64, 0, DSI), dec(1, -1, DSI), 1],
    [dec(maxInt64, 1, DSI), dec(1, 0, DSI), 1],
    [dec(maxInt64, 1, DSI), dec(1, 1, DSI), 1],
    [dec(maxInt64, 1, DSI), dec(0, 1, DSI), 1],
    [dec(maxInt64, -16, DSI), dec(1, 3, DSI), -1],
    [dec(minInt64, 0, DSI), dec(0, 0, DSI), -1],
    [dec(minInt64, -18, DSI), dec(-1, 0, DSI), -1],
    [dec(minInt64, -19, DSI), dec(-1, 0, DSI), 1],
    [dec(10n ** 18n, -17, DSI), dec(1, 1, DSI), 0],
    [dec(10n ** 18n, -17, DSI), dec(-10, 0, DSI), 1],
    [dec(-(10n ** 18n), -17, DSI), dec(-10, 0, DSI), 0],
    [dec(10n ** 18n, -17, DSI), dec(1, 0, DSI), 1],
    [dec(10n ** 18n + 1n, -17, DSI), dec(1, 1, DSI), 1],
    [dec(10n ** 18n - 1n, -17, DSI), dec(1, 1, DSI), -1],
  ] as [Quantity, Quantity, number][])('%s vs %s = %p', (a, b, want) => {
    expect(compareQuantity(a, b)).toBe(want);
    expect(compareQuantity(b, a)).toBe(-want || 0);
  });
});

describe('value accessors', () => {
  // TestNegativeValueRoundsAwayFromZero
  it.each([
    ['-.484785E-7466', -1, -1],
    ['.484785E-7466', 1, 1],
    ['-.484785E-1', -1, -49],
    ['.484785E-1', 1, 49],
    ['-0.0005', -1, -1],
    ['0.0005', 1, 1],
    ['-1500m', -2, -1500],
    ['1500m', 2, 1500],
    ['-9.5000000001Gi', -10200547329, -10200547328108],
    ['9.5000000001Gi', 10200547329, 10200547328108],
    ['-1', -1, -1000],
    ['1', 1, 1000],
    ['0', 0, 0],
    ['100m', 1, 100],
    ['250m', 1, 250],
    ['2', 2, 2000],
    ['1Gi', 1073741824, 1073741824000],
    ['512Mi', 536870912, 536870912000],
    ['1.5', 2, 1500],
  ] as [string, number, number][])('%s: value %p, milliValue %p', (input, v, milli) => {
    expect(value(input)).toBe(v);
    expect(milliValue(input)).toBe(milli);
    expect(value(parseQuantity(input))).toBe(v);
  });

  // TestScaledValue: NewScaledQuantity(1, from).ScaledValue(to)
  it.each([
    [-9, -9, 1n], [-9, -6, 1n], [-9, -3, 1n], [-9, 0, 1n],
    [-6, -9, 1000n], [-6, -6, 1n], [-6, -3, 1n], [-6, 0, 1n],
    [-3, -9, 1000000n], [-3, -6, 1000n], [-3, -3, 1n], [-3, 0, 1n],
    [0, -9, 1000000000n], [0, -6, 1000000n], [0, -3, 1000n], [0, 0, 1n],
    [2, -2, 10000n],
  ])('1e%p scaled to 1e%p = %p', (from, to, want) => {
    expect(scaledValue(dec(1, from, DSI), to)).toBe(want);
  });

  it('saturates at the int64 bounds instead of overflowing', () => {
    expect(scaledValue('1e2147483647', 0)).toBe(maxInt64);
    expect(scaledValue('-1e2147483647', 0)).toBe(minInt64);
    expect(scaledValue('12E', 0)).toBe(maxInt64);
    expect(scaledValue('9223372036854775807', -3)).toBe(maxInt64);
    expect(scaledValue('9223372036854775807', 0)).toBe(maxInt64);
  });

  it.each([
    ['2Ki', 2048],
    ['1.1Ki', 1126.4],
    ['1Mi', 1.048576e6],
    ['2Gi', 2.147483648e9],
    ['500m', 0.5],
    ['-1500m', -1.5],
    ['12E', 1.2e19],
    ['1e400', Infinity],
    ['0', 0],
  ] as [string, number][])('quantityValue(%s) = %p', (input, want) => {
    expect(quantityValue(input)).toBe(want);
  });
});
