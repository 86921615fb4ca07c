import { goCharOfByte, goQuote, goQuoteByte, parseGoFloat, parseGoInt64 } from 'src/core/exposition/go-syntax';

describe('goQuote', () => {
  it.each<[string, string, string]>([
    ['plain', 'abc', '"abc"'],
    ['empty', '', '""'],
    ['carriage return', '1\r', '"1\\r"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['control characters', '\x00\x07\x1b\x7f', '"\\x00\\a\\x1b\\x7f"'],
    ['printable Unicode kept', '北京 ❄ 𝄞', '"北京 ❄ 𝄞"'],
    ['non-printable Unicode escaped', '\u00a0\u200b', '"\\u00a0\\u200b"'],
    ['C1 control', '\u0085', '"\\u0085"'],
    ['astral non-printable', '\u{e0001}', '"\\U000e0001"'],
  ])('%s', (_name, input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });
});

describe('goQuoteByte / goCharOfByte', () => {
  it.each<[string, string, string, string]>([
    ['dash', '-', "'-'", '-'],
    ['newline', '\n', "'\\n'", '\n'],
    ['single quote', "'", "'\\''", "'"],
    ['double quote', '"', `'"'`, '"'],
    ['backslash', '\\', "'\\\\'", '\\'],
    ['two-byte character shows its lead byte', 'é', "'Ã'", 'Ã'],
    ['three-byte character shows its lead byte', '中', "'ä'", 'ä'],
    ['astral character shows its lead byte', '𝄞', "'ð'", 'ð'],
  ])('%s', (_name, ch, quoted, char) => {
    expect(goQuoteByte(ch.charCodeAt(0))).toBe(quoted);
    expect(goCharOfByte(ch.charCodeAt(0))).toBe(char);
  });
});

describe('parseGoFloat', () => {
  it.each<[string, string, number | undefined]>([
    ['integer', '42', 42],
    ['signed', '+1.5', 1.5],
    ['negative exponent', '-2.5e-3', -0.0025],
    ['upper-case exponent', '1E3', 1000],
    ['leading dot', '.5', 0.5],
    ['trailing dot', '5.', 5],
    ['dot before exponent', '1.e2', 100],
    ['NaN any case', 'nAn', NaN],
    ['Inf', 'Inf', Infinity],
    ['+Inf', '+Inf', Infinity],
    ['-inf', '-inf', -Infinity],
    ['Infinity', '+Infinity', Infinity],
    ['underflow is zero', '1e-400', 0],
    ['overflow is an error', '1e400', undefined],
    ['negative overflow is an error', '-1e309', undefined],
    ['signed NaN', '-NaN', undefined],
    ['partial infinity', 'infin', undefined],
    ['hex', '0x10', undefined],
    ['hex float', '0x1p4', undefined],
    ['underscore', '1_0', undefined],
    ['empty', '', undefined],
    ['lone dot', '.', undefined],
    ['dangling exponent', '1e', undefined],
    ['whitespace', ' 1', undefined],
    ['carriage return', '1\r', undefined],
  ])('%s', (_name, input, expected) => {
    expect(parseGoFloat(input)).toBe(expected);
  });
});

describe('parseGoInt64', () => {
  it.each<[string, string, number | undefined]>([
    ['positive', '1700000000000', 1700000000000],
    ['negative', '-5', -5],
    ['plus sign', '+7', 7],
    ['int64 max (rounded)', '9223372036854775807', 2 ** 63],
    ['int64 min (rounded)', '-9223372036854775808', -(2 ** 63)],
    ['above int64', '9223372036854775808', undefined],
    ['below int64', '-9223372036854775809', undefined],
    ['float', '1.5', undefined],
    ['exponent', '1e3', undefined],
    ['empty', '', undefined],
    ['hash', '#', undefined],
  ])('%s', (_name, input, expected) => {
    expect(parseGoInt64(input)).toBe(expected);
  });
});
