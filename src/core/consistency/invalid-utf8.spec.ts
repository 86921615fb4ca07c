import { encodeProtobufDelimited, isWellFormedText, parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { family, gauge } from 'src/core/exposition/testdata/factories';
import { validatePushedFamilies } from 'src/core/consistency/validate-push';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

/**
 * Protobuf strings that are not UTF-8 (issue 12 point 6): upstream does not refuse them while
 * parsing but in its consistency check (client_golang registry.go checkMetricConsistency, "whose
 * value is not utf8"), so the group's failure time is recorded (storage/diskmetricstore.go
 * checkWriteRequest; research note §6). The parser marks them; validatePushedFamilies refuses them.
 */
function withBytes(mf: MetricFamily, marker: string, bytes: number[]): Buffer {
  const buf = encodeProtobufDelimited([mf]);
  const at = buf.indexOf(Buffer.from(marker));
  bytes.forEach((b, i) => (buf[at + i] = b));
  return buf;
}

describe('protobuf strings that are not UTF-8', () => {
  it.each<[string, () => Buffer, string]>([
    [
      'a label value',
      () => withBytes(family('okname', MetricType.GAUGE, [gauge(1, { p: 'ZQ' })], 'h'), 'ZQ', [0xff, 0xef]),
      'has a label named "p" whose value is not utf8: "\\xff\\xef"',
    ],
    ['a label name', () => withBytes(family('okname', MetricType.GAUGE, [gauge(1, { ZQ: 'v' })], 'h'), 'ZQ', [0xc3, 0x28]), 'has a label with an invalid name'],
    ['a metric name', () => withBytes(family('okZQ', MetricType.GAUGE, [gauge(1)], 'h'), 'ZQ', [0xff, 0xff]), 'invalid metric name'],
    ['a HELP text', () => withBytes(family('okname', MetricType.GAUGE, [gauge(1)], 'hZQ'), 'ZQ', [0xed, 0xa0]), 'has a HELP text that is not valid UTF-8'],
  ])('%s: parsed, then refused by the check (legacy and UTF-8 names)', (_name, body, message) => {
    const families = parseProtobufDelimited(body());
    expect(families).toHaveLength(1);
    expect(() => validatePushedFamilies(families)).toThrow(message);
    expect(() => validatePushedFamilies(families, { utf8Names: true })).toThrow(/not (valid UTF-8|utf8)|invalid (metric )?name/);
  });

  it.each<[string, number[], string]>([
    ['invalid bytes alone', [0xff, 0xef], '"\\xff\\xef"'],
    ['valid text around an invalid byte', [0x61, 0xc3, 0xa9, 0xff, 0x62], '"aé\\xffb"'],
    ['a truncated sequence, then ASCII (one byte at a time, as Go resynchronises)', [0xe2, 0x82, 0x41], '"\\xe2\\x82A"'],
    ['an encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80], '"\\xed\\xa0\\x80"'],
    ['an overlong slash', [0xc0, 0xaf], '"\\xc0\\xaf"'],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '"\\xf4\\x90\\x80\\x80"'],
    ['a character outside the BMP before an invalid byte', [0xf0, 0x9f, 0x98, 0x80, 0x80], '"😀\\x80"'],
  ])('a label value of %s: refused, with its bytes in the message as upstream prints them', (_name, bytes, quoted) => {
    const body = withBytes(family('okname', MetricType.GAUGE, [gauge(1, { p: 'Z'.repeat(bytes.length) })], 'h'), 'Z'.repeat(bytes.length), bytes);
    const [mf] = parseProtobufDelimited(body);
    expect(isWellFormedText(mf.metric[0].label[0].value)).toBe(false);
    expect(() => validatePushedFamilies([mf])).toThrow(`has a label named "p" whose value is not utf8: ${quoted}`);
  });

  it.each<[string, string, boolean]>([
    ['ASCII', 'abc', true],
    ['a character outside the BMP (its low surrogate is U+DC00)', '\u{10000}x', true],
    ['Chinese', '中文', true],
    ['a lone low surrogate', '\uDC00abc', false],
    ['a lone high surrogate at the end', 'abc\uD800', false],
  ])('isWellFormedText: %s', (_name, s, expected) => {
    expect(isWellFormedText(s)).toBe(expected);
  });
});
