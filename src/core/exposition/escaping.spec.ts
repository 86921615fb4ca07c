import { escapeFamily, escapeName, EscapingScheme } from 'src/core/exposition/escaping';
import { unescapeLabelName } from 'src/core/grouping/grouping-path';
import { family, gauge } from 'src/core/exposition/testdata/factories';
import { MetricType } from 'src/core/model/metric-family';

/** prometheus/common `model/metric.go` EscapeName / EscapeMetricFamily; research note §2 table. */
describe('escapeName', () => {
  it.each<[string, EscapingScheme, string]>([
    ['my.metric', 'allow-utf-8', 'my.metric'],
    ['my.metric', 'underscores', 'my_metric'],
    ['my.metric', 'dots', 'my_dot_metric'],
    ['my.metric', 'values', 'U__my_2e_metric'],
    ['a_b.c', 'dots', 'a__b_dot_c'],
    ['a-b', 'dots', 'a__b'],
    ['a_b.c', 'values', 'U__a__b_2e_c'],
    ['legacy_name:x', 'underscores', 'legacy_name:x'],
    ['legacy_name', 'values', 'legacy_name'],
    ['1abc', 'underscores', '_abc'],
    ['1abc', 'values', 'U___31_abc'],
    ['温度', 'underscores', '__'],
    ['温度', 'values', 'U___6e29__5ea6_'],
    ['x😀', 'values', 'U__x_1f600_'],
    ['', 'values', ''],
  ])('%s under %s → %s', (name, scheme, expected) => {
    expect(escapeName(name, scheme)).toBe(expected);
  });

  it.each(['my.metric', 'a_b.c', '温度', 'x😀y', '1abc', 'U__.x', 'a b'])(
    'values escaping of a non-legacy name round-trips through U__ decoding: %s',
    (name) => {
      expect(unescapeLabelName(escapeName(name, 'values'))).toBe(name);
    },
  );
});

describe('escapeFamily', () => {
  it('escapes the family name and non-legacy label names only, keeping label order', () => {
    const mf = family('my.metric', MetricType.GAUGE, [gauge(1, { 'z.z': 'v', a_b: 'w' })], 'h');
    expect(escapeFamily(mf, 'dots')).toEqual(family('my_dot_metric', MetricType.GAUGE, [gauge(1, { z_dot_z: 'v', a_b: 'w' })], 'h'));
    expect(mf.name).toBe('my.metric');
  });

  it('returns the family itself when nothing needs escaping or the scheme is allow-utf-8', () => {
    const legacy = family('m', MetricType.GAUGE, [gauge(1, { a: 'b' })]);
    expect(escapeFamily(legacy, 'underscores')).toBe(legacy);
    const utf8 = family('my.metric', MetricType.GAUGE, [gauge(1)]);
    expect(escapeFamily(utf8, 'allow-utf-8')).toBe(utf8);
  });
});
