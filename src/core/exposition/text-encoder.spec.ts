import { encodeFamily, encodeHeader, encodeSamples } from 'src/core/exposition/text-encoder';
import { parseText } from 'src/core/exposition/text-parser';
import { buckets, counter, family, gauge, histogram, summary, untyped } from 'src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

const { COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM, GAUGE_HISTOGRAM } = MetricType;

describe('encodeHeader', () => {
  it.each<[string, string, string, MetricType, string]>([
    ['help and type', 'x', 'Some help.', COUNTER, '# HELP x Some help.\n# TYPE x counter\n'],
    ['empty help omits the HELP line', 'x', '', GAUGE, '# TYPE x gauge\n'],
    ['help escapes backslash and newline only', 'x', 'a\\b\nc"d', SUMMARY, '# HELP x a\\\\b\\nc"d\n# TYPE x summary\n'],
    ['Chinese help', 'x', '温度（摄氏）', UNTYPED, '# HELP x 温度（摄氏）\n# TYPE x untyped\n'],
    ['histogram', 'h', '', HISTOGRAM, '# TYPE h histogram\n'],
    ['gauge histogram is declared a histogram', 'gh', '', GAUGE_HISTOGRAM, '# TYPE gh histogram\n'],
    ['non-legacy name is quoted', 'my.metric', 'h', GAUGE, '# HELP "my.metric" h\n# TYPE "my.metric" gauge\n'],
  ])('%s', (_name, name, help, type, expected) => {
    expect(encodeHeader(name, help, type)).toBe(expected);
  });

  it('rejects an unknown type number', () => {
    expect(() => encodeHeader('x', '', 9 as MetricType)).toThrow('unknown metric type 9');
  });
});

describe('encodeSamples', () => {
  it.each<[string, () => MetricFamily, string]>([
    ['counter without labels', () => family('c', COUNTER, [counter(42)]), 'c 42\n'],
    [
      'gauge with labels in the given order',
      () => family('g', GAUGE, [gauge(2398.283, { z: '1', a: '2' }), gauge(-1, { a: 'b' })]),
      'g{z="1",a="2"} 2398.283\ng{a="b"} -1\n',
    ],
    [
      'untyped special values',
      () => family('u', UNTYPED, [untyped(NaN), untyped(Infinity, { a: '1' }), untyped(-Infinity, { a: '2' })]),
      'u NaN\nu{a="1"} +Inf\nu{a="2"} -Inf\n',
    ],
    ['negative zero is written 0 like Go', () => family('u', UNTYPED, [untyped(-0)]), 'u 0\n'],
    [
      'large values use exponent form',
      () => family('g', GAUGE, [gauge(1795660281.0200646), gauge(1e6, { a: '1' })]),
      'g 1.7956602810200646e+09\ng{a="1"} 1e+06\n',
    ],
    ['timestamps', () => family('g', GAUGE, [gauge(1, {}, 1700000000000), gauge(2, { a: 'b' }, -5)]), 'g 1 1700000000000\ng{a="b"} 2 -5\n'],
    ['label value escaping', () => family('g', GAUGE, [gauge(1, { a: 'q"b\\s\nn' })]), 'g{a="q\\"b\\\\s\\nn"} 1\n'],
    ['Chinese label values', () => family('g', GAUGE, [gauge(1, { city: '北京' })]), 'g{city="北京"} 1\n'],
    [
      'summary: quantiles, then _sum and _count',
      () =>
        family('s', SUMMARY, [
          summary(
            {
              sampleCount: 1000000,
              sampleSum: 1234567,
              quantile: [
                { quantile: 0.5, value: 1.5 },
                { quantile: 0.99, value: 1e-7 },
              ],
            },
            { a: 'x' },
          ),
        ]),
      's{a="x",quantile="0.5"} 1.5\ns{a="x",quantile="0.99"} 1e-07\ns_sum{a="x"} 1.234567e+06\ns_count{a="x"} 1e+06\n',
    ],
    ['summary without quantiles', () => family('s', SUMMARY, [summary({ sampleCount: 3, sampleSum: 4 })]), 's_sum 4\ns_count 3\n'],
    [
      'histogram with +Inf bucket',
      () => family('h', HISTOGRAM, [histogram({ sampleCount: 3, sampleSum: 2.5, bucket: buckets([0.005, 1], [Infinity, 3]) }, { p: '/' })]),
      'h_bucket{p="/",le="0.005"} 1\nh_bucket{p="/",le="+Inf"} 3\nh_sum{p="/"} 2.5\nh_count{p="/"} 3\n',
    ],
    [
      'histogram without +Inf bucket gets one from the sample count',
      () => family('h', HISTOGRAM, [histogram({ sampleCount: 7, sampleSum: 3.5, bucket: buckets([1e6, 2]) })]),
      'h_bucket{le="1e+06"} 2\nh_bucket{le="+Inf"} 7\nh_sum 3.5\nh_count 7\n',
    ],
    [
      'native-only histogram shows only +Inf bucket, _sum and _count',
      () =>
        family('n', HISTOGRAM, [
          histogram(
            {
              sampleCount: 10,
              sampleSum: 12.5,
              schema: 3,
              zeroThreshold: 1e-128,
              zeroCount: 1,
              positiveSpan: [{ offset: 0, length: 2 }],
              positiveDelta: [1, 2],
            },
            { k: 'v' },
          ),
        ]),
      'n_bucket{k="v",le="+Inf"} 10\nn_sum{k="v"} 12.5\nn_count{k="v"} 10\n',
    ],
    [
      'float histogram uses the float counts',
      () =>
        family('f', HISTOGRAM, [
          histogram({ sampleCount: 0, sampleCountFloat: 2.5, sampleSum: 1, bucket: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 1.5 }] }),
        ]),
      'f_bucket{le="1"} 1.5\nf_bucket{le="+Inf"} 2.5\nf_sum 1\nf_count 2.5\n',
    ],
    [
      'gauge histogram is written like a histogram',
      () => family('gh', GAUGE_HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: 1, bucket: buckets([1, 2]) })]),
      'gh_bucket{le="1"} 2\ngh_bucket{le="+Inf"} 2\ngh_sum 1\ngh_count 2\n',
    ],
    [
      'timestamp repeats on every line of a summary',
      () => family('s', SUMMARY, [{ ...summary({ sampleCount: 1, sampleSum: 2 }), timestampMs: 5 }]),
      's_sum 2 5\ns_count 1 5\n',
    ],
    [
      'non-legacy metric and label names are quoted inside the braces',
      () => family('my.metric', HISTOGRAM, [histogram({ sampleCount: 1, bucket: buckets([Infinity, 1]) }, { 'a-b': 'c' })]),
      '{"my.metric_bucket","a-b"="c",le="+Inf"} 1\n{"my.metric_sum","a-b"="c"} 0\n{"my.metric_count","a-b"="c"} 1\n',
    ],
    ['non-legacy metric name without labels', () => family('my.metric', GAUGE, [gauge(1)]), '{"my.metric"} 1\n'],
    ['family without metrics', () => family('e', GAUGE, []), ''],
  ])('%s', (_name, mf, expected) => {
    expect(encodeSamples(mf())).toBe(expected);
  });

  it.each<[string, () => MetricFamily, string]>([
    ['counter family holding a gauge', () => family('c', COUNTER, [gauge(1, { a: 'b' })]), 'expected counter in metric c {a="b"}'],
    ['summary family holding an untyped value', () => family('s', SUMMARY, [untyped(1)]), 'expected summary in metric s {}'],
    ['histogram family without histogram', () => family('h', HISTOGRAM, [counter(1)]), 'expected histogram in metric h {}'],
  ])('rejects %s', (_name, mf, message) => {
    expect(() => encodeSamples(mf())).toThrow(message);
  });
});

describe('encodeFamily', () => {
  it('writes header then samples', () => {
    expect(encodeFamily(family('x', GAUGE, [gauge(1)], 'help'))).toBe('# HELP x help\n# TYPE x gauge\nx 1\n');
  });
});

describe('text round trip parse(encode(x))', () => {
  it.each<[string, () => MetricFamily]>([
    ['counter with help', () => family('c', COUNTER, [counter(1, { a: '1' }), counter(2.5, { a: '2' })], 'A counter.')],
    ['gauge with timestamps', () => family('g', GAUGE, [gauge(-3.25, { z: 'z', a: 'a' }, 1700000000000)])],
    ['untyped specials', () => family('u', UNTYPED, [untyped(NaN), untyped(Infinity, { s: '+' }), untyped(-Infinity, { s: '-' })])],
    ['escapes everywhere', () => family('e', GAUGE, [gauge(1, { v: 'q"b\\s\nn', w: '' })], 'multi\nline \\ help')],
    ['Chinese help and labels', () => family('temp', GAUGE, [gauge(21.5, { city: '北京', note: '零下 ❄ 𝄞' })], '温度（摄氏）')],
    [
      'summary',
      () =>
        family(
          's',
          SUMMARY,
          [
            summary(
              {
                sampleCount: 1000000,
                sampleSum: 1234567.5,
                quantile: [
                  { quantile: 0.5, value: 1 },
                  { quantile: 0.99, value: 1e-7 },
                ],
              },
              { a: 'x' },
            ),
            summary({ sampleCount: 0, sampleSum: 0 }, { a: 'y' }),
          ],
          'Latency.',
        ),
    ],
    [
      'histogram',
      () =>
        family('h', HISTOGRAM, [
          histogram({ sampleCount: 12, sampleSum: 99.5, bucket: buckets([0.005, 1], [0.5, 4], [1e6, 11], [Infinity, 12]) }, { path: '/api' }),
          histogram({ sampleCount: 0, sampleSum: 0, bucket: buckets([Infinity, 0]) }, { path: '/' }),
        ]),
    ],
  ])('%s', (_name, make) => {
    expect(parseText(encodeFamily(make()))).toEqual([make()]);
  });

  it('round-trips many families in order', () => {
    const families = [
      family('b', GAUGE, [gauge(1)]),
      family('a', COUNTER, [counter(2)], 'x'),
      family('s', SUMMARY, [summary({ sampleCount: 1, sampleSum: 2, quantile: [{ quantile: 0.9, value: 3 }] })]),
    ];
    expect(parseText(families.map(encodeFamily).join(''))).toEqual(families);
  });
});
