import { encodeOpenMetricsFamily, OPENMETRICS_EOF, omFloat } from 'src/core/exposition/openmetrics-encoder';
import { parseOpenMetrics } from 'src/core/exposition/openmetrics-parser';
import { buckets, counter, family, gauge, histogram, summary, untyped } from 'src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

/** OpenMetrics 1.0 text (OpenMetrics specification), as written for SCRAPE_OPENMETRICS scrapes. */
describe('encodeOpenMetricsFamily', () => {
  it.each<[string, MetricFamily, string]>([
    [
      'counter named _total: TYPE without the suffix',
      family('c_total', MetricType.COUNTER, [counter(3, { a: 'b' })], 'Done.'),
      '# HELP c Done.\n# TYPE c counter\nc_total{a="b"} 3.0\n',
    ],
    ['counter without _total: the series gains it', family('c', MetricType.COUNTER, [counter(1)]), '# TYPE c counter\nc_total 1.0\n'],
    [
      'counter exemplar',
      family('c_total', MetricType.COUNTER, [
        { label: [], counter: { value: 1, exemplar: { label: [{ name: 'id', value: 'x' }], value: 0.5, timestampMs: 1700000000500 } } },
      ]),
      '# TYPE c counter\nc_total 1.0 # {id="x"} 0.5 1.7000000005e+09\n',
    ],
    [
      'untyped is unknown; special floats',
      family('u', MetricType.UNTYPED, [untyped(NaN), untyped(-Infinity, { a: '1' })]),
      '# TYPE u unknown\nu NaN\nu{a="1"} -Inf\n',
    ],
    [
      'gauge with UNIT and escapes',
      { ...family('t_seconds', MetricType.GAUGE, [gauge(1.5, { l: 'q"\\\n' })], 'a\\b\n"'), unit: 'seconds' },
      '# HELP t_seconds a\\\\b\\n\\"\n# TYPE t_seconds gauge\n# UNIT t_seconds seconds\nt_seconds{l="q\\"\\\\\\n"} 1.5\n',
    ],
    [
      'summary',
      family('s', MetricType.SUMMARY, [summary({ sampleCount: 2, sampleSum: 3, quantile: [{ quantile: 0.5, value: 1 }] })]),
      '# TYPE s summary\ns{quantile="0.5"} 1.0\ns_sum 3.0\ns_count 2\n',
    ],
    [
      'histogram without a +Inf bucket gets one',
      family('h', MetricType.HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: 3, bucket: buckets([1, 1]) })]),
      '# TYPE h histogram\nh_bucket{le="1.0"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3.0\nh_count 2\n',
    ],
    [
      'gauge histogram',
      family('g', MetricType.GAUGE_HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: -1, bucket: buckets([Infinity, 2]) })]),
      '# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 2\ng_gsum -1.0\ng_gcount 2\n',
    ],
    [
      'a UTF-8 name is quoted',
      family('my.metric', MetricType.GAUGE, [gauge(1, { 'my.label': 'v' })]),
      '# TYPE "my.metric" gauge\n{"my.metric","my.label"="v"} 1.0\n',
    ],
  ])('%s', (_name, mf, expected) => {
    expect(encodeOpenMetricsFamily(mf)).toBe(expected);
  });

  it('parses back with the OpenMetrics parser (counters come back named _total)', () => {
    const families = [
      family('c', MetricType.COUNTER, [counter(1, { a: 'b' })], 'h'),
      family('g', MetricType.GAUGE, [gauge(-2)]),
      family('h', MetricType.HISTOGRAM, [histogram({ sampleCount: 3, sampleSum: 1, bucket: buckets([0.5, 1], [Infinity, 3]) })]),
      family('s', MetricType.SUMMARY, [summary({ sampleCount: 2, sampleSum: 3, quantile: [{ quantile: 0.9, value: 4 }] })]),
    ];
    const text = families.map(encodeOpenMetricsFamily).join('') + OPENMETRICS_EOF;
    expect(parseOpenMetrics(text)).toEqual([{ ...families[0], name: 'c_total' }, ...families.slice(1)]);
  });

  it.each<[number, string]>([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '0.0'],
    [1.5, '1.5'],
    [1e6, '1e+06'],
    [Infinity, '+Inf'],
  ])('omFloat(%d) = %s', (v, expected) => {
    expect(omFloat(v)).toBe(expected);
  });
});
