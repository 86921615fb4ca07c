import { formatDuration, parseDuration } from 'src/core/promql/duration';
import { formatFloat } from 'src/core/exposition/format-float';
import { formatGoFloatF, formatPromValue, goQuote, parseGoFloat, parseNumberToken } from 'src/core/promql/go-format';

describe('formatPromValue (Prometheus API value strings)', () => {
  it.each([
    ['integer', 1, '1'],
    ['fraction', 0.1, '0.1'],
    ['shortest round trip', 0.1 + 0.2, '0.30000000000000004'],
    ['negative', -2.5, '-2.5'],
    ['negative zero', -0, '-0'],
    ['large but plain', 1e20, '100000000000000000000'],
    ['1e21 switches to exponent form', 1e21, '1e+21'],
    ['huge', 2.55e300, '2.55e+300'],
    ['small but plain', 0.000001, '0.000001'],
    ['below 1e-6 switches to exponent form', 1e-7, '1e-07'],
    ['tiny negative', -1.5e-300, '-1.5e-300'],
    ['NaN', NaN, 'NaN'],
    ['+Inf', Infinity, '+Inf'],
    ['-Inf', -Infinity, '-Inf'],
  ])('%s', (_name, v, expected) => {
    expect(formatPromValue(v)).toBe(expected);
  });
});

describe('Go float formatting', () => {
  it.each([
    ['%v plain', 123456, '123456'],
    ['%v exponent from 1e6', 1e6, '1e+06'],
    ['%v long mantissa', 1234567, '1.234567e+06'],
    ['%v small plain', 0.0001, '0.0001'],
    ['%v small exponent', 0.00001, '1e-05'],
    ['%v Inf', Infinity, '+Inf'],
  ])('formatFloat (Go %%v) %s', (_name, v, expected) => {
    expect(formatFloat(v)).toBe(expected);
  });

  it.each([
    ['plain', 1e22, '10000000000000000000000'],
    ['small', 1e-7, '0.0000001'],
  ])("formatGoFloatF ('f', -1) %s", (_name, v, expected) => {
    expect(formatGoFloatF(v)).toBe(expected);
  });
});

describe('goQuote', () => {
  it.each([
    ['plain', 'abc', '"abc"'],
    ['quotes and backslashes', 'a"b\\c', '"a\\"b\\\\c"'],
    ['control characters', '\n\t\x01\x7f', '"\\n\\t\\x01\\x7f"'],
    ['printable Unicode is kept', 'é😀', '"é😀"'],
    ['non-printable Unicode', '\u200b', '"\\u200b"'],
  ])('%s', (_name, input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });
});

describe('parseGoFloat (strconv.ParseFloat)', () => {
  it.each([
    ['decimal', '0.25', 0.25],
    ['exponent', '1e-3', 0.001],
    ['+Inf', '+Inf', Infinity],
    ['inf in any case', 'INF', Infinity],
    ['infinity', '-Infinity', -Infinity],
    ['NaN', 'nan', NaN],
    ['hex float', '0x1p-2', 0.25],
    ['leading dot', '.5', 0.5],
    ['not a number', 'abc', undefined],
    ['empty', '', undefined],
    ['overflow is an error', '1e400', undefined],
    ['signed NaN is an error', '+NaN', undefined],
  ])('%s', (_name, input, expected) => {
    expect(parseGoFloat(input)).toBe(expected);
  });
});

describe('parseNumberToken (PromQL number literals)', () => {
  it.each([
    ['decimal', '42', 42],
    ['hex', '0x1F', 31],
    ['leading zero is octal', '010', 8],
    ['invalid octal falls back to decimal', '089', 89],
    ['float', '1.5e3', 1500],
    ['Inf', 'Inf', Infinity],
    ['bad exponent', '1e', undefined],
  ])('%s', (_name, input, expected) => {
    expect(parseNumberToken(input)).toBe(expected);
  });
});

describe('durations', () => {
  it.each([
    ['seconds', '15s', 15_000],
    ['milliseconds', '100ms', 100],
    ['compound', '1h30m', 5_400_000],
    ['zero seconds in compound', '1m0s', 60_000],
    ['all units', '1y2w3d4h5m6s7ms', 31_536_000_000 + 1_209_600_000 + 259_200_000 + 14_400_000 + 300_000 + 6_000 + 7],
    ['bare zero', '0', 0],
  ])('parseDuration %s', (_name, text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['fraction', '1.5h', 'not a valid duration string: "1.5h"'],
    ['wrong order', '30m1h', 'not a valid duration string: "30m1h"'],
    ['no unit', '15', 'not a valid duration string: "15"'],
    ['empty', '', 'empty duration string'],
    ['overflow', '300y', 'duration out of range'],
  ])('parseDuration rejects %s', (_name, text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  it.each([
    ['zero', 0, '0s'],
    ['minutes', 300_000, '5m'],
    ['compound', 5_400_000, '1h30m'],
    ['milliseconds', 1_500, '1s500ms'],
    ['days, not weeks, when inexact', 90 * 86_400_000, '90d'],
    ['exact weeks', 14 * 86_400_000, '2w'],
    ['exact years', 730 * 86_400_000, '2y'],
    ['negative', -60_000, '-1m'],
  ])('formatDuration %s', (_name, ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
