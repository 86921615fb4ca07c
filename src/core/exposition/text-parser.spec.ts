import { ExpositionParseError } from 'src/core/exposition/errors';
import { parseText } from 'src/core/exposition/text-parser';
import { buckets, counter, family, gauge, histogram, summary, untyped } from 'src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

const { COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM } = MetricType;

describe('parseText', () => {
  it.each<[string, string, () => MetricFamily[]]>([
    ['empty body', '', () => []],
    ['blank lines and comments only', '\n  \n\t\n# just a comment\n#\n#x\n', () => []],
    ['trailing blanks without newline end the input cleanly', 'x 1\n  \t', () => [family('x', UNTYPED, [untyped(1)])]],
    ['single untyped sample', 'x 1\n', () => [family('x', UNTYPED, [untyped(1)])]],
    // Kept, as Go's TextParser keeps them; the consistency check refuses the push and records its
    // failure (pushgateway storage/diskmetricstore.go checkWriteRequest, research note §6).
    ['a repeated series is kept twice', 'x{a="1"} 1\nx{a="1"} 2\n', () => [family('x', UNTYPED, [untyped(1, { a: '1' }), untyped(2, { a: '1' })])]],
    [
      'a repeated series with reordered labels is kept twice',
      '# TYPE x gauge\nx{a="1",b="2"} 1\nx{b="2",a="1"} 2\n',
      () => [family('x', GAUGE, [gauge(1, { a: '1', b: '2' }), gauge(2, { b: '2', a: '1' })])],
    ],
    [
      'pushgateway README example',
      '# TYPE some_metric counter\nsome_metric{label="val1"} 42\n# TYPE another_metric gauge\n# HELP another_metric Just an example.\nanother_metric 2398.283\n',
      () => [family('some_metric', COUNTER, [counter(42, { label: 'val1' })]), family('another_metric', GAUGE, [gauge(2398.283)], 'Just an example.')],
    ],
    ['blanks and tabs everywhere Go allows them', ' \t x { a = "1" ,\tb="2" , } \t 3\n', () => [family('x', UNTYPED, [untyped(3, { a: '1', b: '2' })])]],
    ['no blank between labels and value', 'x{a="1"}3\n', () => [family('x', UNTYPED, [untyped(3, { a: '1' })])]],
    ['empty label set', 'x{} 1\n', () => [family('x', UNTYPED, [untyped(1)])]],
    ['trailing comma in label list', 'x{a="1",} 1\n', () => [family('x', UNTYPED, [untyped(1, { a: '1' })])]],
    ['label value escapes', 'x{a="q\\"b\\\\s\\nn"} 1\n', () => [family('x', UNTYPED, [untyped(1, { a: 'q"b\\s\nn' })])]],
    ['label value with hash and braces', 'x{a="# {}=,"} 1\n', () => [family('x', UNTYPED, [untyped(1, { a: '# {}=,' })])]],
    ['help escapes', '# HELP x a\\\\b\\nc"d\nx 1\n', () => [family('x', UNTYPED, [untyped(1)], 'a\\b\nc"d')]],
    ['help keeps trailing blanks', '# HELP x  spaced out \t\nx 1\n', () => [family('x', UNTYPED, [untyped(1)], 'spaced out \t')]],
    ['HELP with name only is ignored', '# HELP x\nx 1\n', () => [family('x', UNTYPED, [untyped(1)])]],
    ['keyword without space after hash', '#TYPE x gauge\nx 1\n', () => [family('x', GAUGE, [gauge(1)])]],
    ['TYPE is case-insensitive', '# TYPE x COUNTER\nx 1\n', () => [family('x', COUNTER, [counter(1)])]],
    ['explicit untyped', '# TYPE x untyped\nx 1\n', () => [family('x', UNTYPED, [untyped(1)])]],
    ['lower-case help keyword is a comment', '# help x foo\nx 1\n', () => [family('x', UNTYPED, [untyped(1)])]],
    [
      'Chinese help and label values',
      '# HELP temp 温度（摄氏）\n# 注释 comment\ntemp{city="北京",note="零下 ❄ 𝄞"} 21.5\n',
      () => [family('temp', UNTYPED, [untyped(21.5, { city: '北京', note: '零下 ❄ 𝄞' })], '温度（摄氏）')],
    ],
    [
      'timestamps',
      'x 1 1700000000000\ny -1 -5\nz 2 +7\n',
      () => [family('x', UNTYPED, [untyped(1, {}, 1700000000000)]), family('y', UNTYPED, [untyped(-1, {}, -5)]), family('z', UNTYPED, [untyped(2, {}, 7)])],
    ],
    [
      'Go float syntax',
      'a NaN\nb +Inf\nc -Inf\nd Inf\ne inf\nf 1e3\ng .5\nh -0.25E-2\ni 5.\nj +Infinity\nk nan\n',
      () => [
        family('a', UNTYPED, [untyped(NaN)]),
        family('b', UNTYPED, [untyped(Infinity)]),
        family('c', UNTYPED, [untyped(-Infinity)]),
        family('d', UNTYPED, [untyped(Infinity)]),
        family('e', UNTYPED, [untyped(Infinity)]),
        family('f', UNTYPED, [untyped(1000)]),
        family('g', UNTYPED, [untyped(0.5)]),
        family('h', UNTYPED, [untyped(-0.0025)]),
        family('i', UNTYPED, [untyped(5)]),
        family('j', UNTYPED, [untyped(Infinity)]),
        family('k', UNTYPED, [untyped(NaN)]),
      ],
    ],
    [
      'families keep first-appearance order, HELP lines included',
      '# HELP b B\na 1\nb 2\na{x="y"} 3\n',
      () => [family('b', UNTYPED, [untyped(2)], 'B'), family('a', UNTYPED, [untyped(1), untyped(3, { x: 'y' })])],
    ],
    ['families without samples are dropped', '# TYPE a counter\n# HELP b B\n# HELP c \nd 1\n', () => [family('d', UNTYPED, [untyped(1)])]],
    [
      'summary folds quantiles, _sum and _count per label set',
      '# HELP s A summary.\n# TYPE s summary\ns{a="1",quantile="0.5"} 10\ns{quantile="0.9",a="1"} 20\ns_sum{a="1"} 100\ns_count{a="1"} 7\ns{a="2",quantile="0.5"} 1\n',
      () => [
        family(
          's',
          SUMMARY,
          [
            summary(
              {
                sampleCount: 7,
                sampleSum: 100,
                quantile: [
                  { quantile: 0.5, value: 10 },
                  { quantile: 0.9, value: 20 },
                ],
              },
              { a: '1' },
            ),
            summary({ quantile: [{ quantile: 0.5, value: 1 }] }, { a: '2' }),
          ],
          'A summary.',
        ),
      ],
    ],
    [
      'summary label order does not split series',
      '# TYPE s summary\ns_count{a="1",b="2"} 3\ns_sum{b="2",a="1"} 4\n',
      () => [family('s', SUMMARY, [summary({ sampleCount: 3, sampleSum: 4 }, { a: '1', b: '2' })])],
    ],
    [
      'summary lines without quantile or with NaN quantile are ignored like Go',
      '# TYPE s summary\ns 5\ns{quantile="NaN"} 6\ns_count 2\n',
      () => [family('s', SUMMARY, [summary({ sampleCount: 2 })])],
    ],
    ['summary _count is truncated to an integer', '# TYPE s summary\ns_count 2.9\n', () => [family('s', SUMMARY, [summary({ sampleCount: 2 })])]],
    [
      'histogram with +Inf bucket',
      '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 3\nh_sum 2.5\nh_count 3\n',
      () => [family('h', HISTOGRAM, [histogram({ sampleCount: 3, sampleSum: 2.5, bucket: buckets([0.5, 1], [Infinity, 3]) })])],
    ],
    [
      'histogram gets a synthetic +Inf bucket from _count',
      '# TYPE h histogram\nh_bucket{le="1",path="/"} 1\nh_count{path="/"} 4\nh_sum{path="/"} 9\n',
      () => [family('h', HISTOGRAM, [histogram({ sampleCount: 4, sampleSum: 9, bucket: buckets([1, 1], [Infinity, 4]) }, { path: '/' })])],
    ],
    [
      'histogram _count defaults to 0',
      '# TYPE h histogram\nh_bucket{le="1"} 1\n',
      () => [family('h', HISTOGRAM, [histogram({ bucket: buckets([1, 1], [Infinity, 0]) })])],
    ],
    [
      'histogram le without _bucket suffix still counts as bucket (Go)',
      '# TYPE h histogram\nh{le="2"} 1\nh_count 1\n',
      () => [family('h', HISTOGRAM, [histogram({ sampleCount: 1, bucket: buckets([2, 1], [Infinity, 1]) })])],
    ],
    [
      'quantile label on a histogram and le on a summary are plain labels',
      '# TYPE h histogram\nh_count{quantile="x"} 1\n# TYPE s summary\ns_count{le="y"} 2\n',
      () => [
        family('h', HISTOGRAM, [histogram({ sampleCount: 1, bucket: buckets([Infinity, 1]) }, { quantile: 'x' })]),
        family('s', SUMMARY, [summary({ sampleCount: 2 }, { le: 'y' })]),
      ],
    ],
    [
      'suffixed names of untyped families are families of their own',
      'x 1\nx_count 2\nx_sum 3\n',
      () => [family('x', UNTYPED, [untyped(1)]), family('x_count', UNTYPED, [untyped(2)]), family('x_sum', UNTYPED, [untyped(3)])],
    ],
    ['_bucket of a summary is a family of its own', '# TYPE s summary\ns_bucket{le="1"} 1\n', () => [family('s_bucket', UNTYPED, [untyped(1, { le: '1' })])]],
    [
      'HELP for x_count of a summary documents the summary',
      '# TYPE s summary\n# HELP s_count the summary\ns_count 1\n',
      () => [family('s', SUMMARY, [summary({ sampleCount: 1 })], 'the summary')],
    ],
    [
      'OpenMetrics-style body degrades like upstream',
      '# TYPE om counter\n# UNIT om seconds\nom_total 1\nom_created 123\n# EOF\n',
      () => [family('om_total', UNTYPED, [untyped(1)]), family('om_created', UNTYPED, [untyped(123)])],
    ],
    [
      'label named like a metric with colon is not allowed but metric names with colon are',
      'a:b:c{x_1="v"} 1\n',
      () => [family('a:b:c', UNTYPED, [untyped(1, { x_1: 'v' })])],
    ],
    ['carriage return inside HELP is kept', '# HELP x a\rb\nx 1\n', () => [family('x', UNTYPED, [untyped(1)], 'a\rb')]],
    [
      'timestamp on summary lines: the last one wins (Go)',
      '# TYPE s summary\ns_sum 1 10\ns_count 1 20\n',
      () => [family('s', SUMMARY, [{ ...summary({ sampleCount: 1, sampleSum: 1 }), timestampMs: 20 }])],
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseText(input)).toEqual(expected());
  });

  it('keeps negative zero values', () => {
    expect(Object.is(parseText('x -0\n')[0].metric[0].untyped?.value, -0)).toBe(true);
  });
});

describe('parseText errors', () => {
  it.each<[string, string, number, string]>([
    ['missing final newline', 'x 1', 1, 'unexpected end of input stream'],
    ['missing final newline on a later line', 'x 1\ny 2', 2, 'unexpected end of input stream'],
    ['CRLF line ending', 'x 1\r\n', 1, 'expected float as value, got "1\\r"'],
    ['invalid metric name', '1x 1\n', 1, 'invalid metric name'],
    ['invalid metric name on line 3', 'a 1\nb 2\n{x="y"} 3\n', 3, 'invalid metric name'],
    ['protobuf body sent as text', '\u0005\n\u0003abc', 1, 'invalid metric name'],
    ['dash in label name', 'ok{a-b="c"} 1\n', 1, "expected '=' after label name, found '-'"],
    ['non-ASCII in label name prints its first UTF-8 byte like Go', 'x{a中="b"} 1\n', 1, "expected '=' after label name, found 'ä'"],
    ['newline after label name', 'x{a\n', 1, "expected '=' after label name, found '\\n'"],
    ['duplicate label names', 'ok{a="1",a="2"} 1\n', 1, 'duplicate label names for metric "ok"'],
    ['invalid label name', 'x{1a="b"} 1\n', 1, 'invalid label name for metric "x"'],
    ['leading comma in label list', 'x{,a="b"} 1\n', 1, 'invalid label name for metric "x"'],
    ['reserved __name__ label', 'x{__name__="y"} 1\n', 1, 'label name "__name__" is reserved'],
    ['unquoted label value', 'x{a=b} 1\n', 1, `expected '"' at start of label value, found 'b'`],
    ['missing comma between labels', 'x{a="b" c="d"} 1\n', 1, 'unexpected end of label value "b"'],
    ['unescaped newline in label value', 'x{a="b\nc"} 1\n', 1, 'label value "b" contains unescaped new-line'],
    ['invalid escape in label value', 'x{a="\\t"} 1\n', 1, "invalid escape sequence '\\t'"],
    ['invalid escape in help', '# HELP x a\\tb\n', 1, "invalid escape sequence '\\t'"],
    ['escaped quote in help', '# HELP x a\\"b\n', 1, `invalid escape sequence '\\"'`],
    ['backslash at end of help line', '# HELP x a\\\nx 1\n', 1, "invalid escape sequence '\\\n'"],
    ['unknown metric type', '# TYPE x foo\n', 1, 'unknown metric type "foo"'],
    ['trailing blank after type', '# TYPE x counter \n', 1, 'unknown metric type "counter "'],
    ['TYPE after samples', 'x 1\n# TYPE x counter\n', 2, 'second TYPE line for metric name "x", or TYPE reported after samples'],
    ['second TYPE line', '# TYPE x counter\n# TYPE x gauge\n', 2, 'second TYPE line for metric name "x", or TYPE reported after samples'],
    ['second HELP line', '# HELP x a\n# HELP x b\n', 2, 'second HELP line for metric name "x"'],
    ['invalid metric name in comment', '# HELP 1x foo\n', 1, 'invalid metric name in comment'],
    ['Chinese metric name in comment', '# HELP 温度 foo\n', 1, 'invalid metric name in comment'],
    ['Chinese label name', 'x{城市="b"} 1\n', 1, 'invalid label name for metric "x"'],
    ['invalid quantile', '# TYPE x summary\nx{quantile="x"} 1\n', 2, `expected float as value for 'quantile' label, got "x"`],
    ['invalid le', '# TYPE h histogram\nh_bucket{le="a"} 1\n', 2, `expected float as value for 'le' label, got "a"`],
    ['exemplar', 'x 1 # {a="b"} 1\n', 1, 'expected integer as timestamp, got "#"'],
    ['missing value', 'x\n', 1, 'expected float as value, got ""'],
    ['missing value after labels', 'x{a="b"}\n', 1, 'expected float as value, got ""'],
    ['blank after value', 'x 1 \n', 1, 'expected integer as timestamp, got ""'],
    ['float timestamp', 'x 1 1.5\n', 1, 'expected integer as timestamp, got "1.5"'],
    ['timestamp beyond int64', 'x 1 9223372036854775808\n', 1, 'expected integer as timestamp, got "9223372036854775808"'],
    ['text after timestamp', 'x 1 2 3\n', 1, 'spurious string after timestamp: " 3"'],
    ['overflowing value', 'x 1e400\n', 1, 'expected float as value, got "1e400"'],
    ['hex float', 'x 0x1p3\n', 1, 'expected float as value, got "0x1p3"'],
    ['digit separators', 'x 1_000\n', 1, 'expected float as value, got "1_000"'],
    ['signed NaN', 'x +NaN\n', 1, 'expected float as value, got "+NaN"'],
    ['Chinese value', 'x 中\n', 1, 'expected float as value, got "中"'],
    ['EOF inside label value', 'x{a="b', 1, 'unexpected end of input stream'],
    ['EOF after metric name', 'x', 1, 'unexpected end of input stream'],
    ['EOF inside comment', '# hi', 1, 'unexpected end of input stream'],
    ['EOF inside help', '# HELP x y', 1, 'unexpected end of input stream'],
    ['duplicate summary _sum', '# TYPE s summary\ns_sum 1\ns_sum 2\n', 3, 'second sample for metric "s_sum" with labels {}'],
    ['duplicate summary _count', '# TYPE s summary\ns_count 1\ns_count 2\n', 3, 'second sample for metric "s_count" with labels {}'],
    ['duplicate quantile', '# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="0.50"} 2\n', 3, 'second sample for metric "s" with labels {quantile="0.5"}'],
    [
      'duplicate bucket',
      '# TYPE h histogram\nh_bucket{a="x",le="1"} 1\nh_bucket{le="1.0",a="x"} 2\n',
      3,
      'second sample for metric "h_bucket" with labels {a="x",le="1"}',
    ],
    ['negative count', '# TYPE s summary\ns_count -1\n', 2, 'expected non-negative finite count for metric "s_count", got "-1"'],
    ['negative bucket count (prometheus/common 0.67)', '# TYPE h histogram\nh_bucket{le="1"} -1\n', 2, 'negative bucket population for histogram "h"'],
    ['negative fractional histogram _count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count{a="b"} -0.5\n', 3, 'negative count for histogram "h"'],
  ])('%s', (_name, input, line, message) => {
    let caught: unknown;
    try {
      parseText(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ExpositionParseError);
    expect((caught as ExpositionParseError).message).toBe(`text format parsing error in line ${line}: ${message}`);
    expect((caught as ExpositionParseError).line).toBe(line);
  });
});

describe('parseText at scale', () => {
  function body(series: number): string {
    const lines = ['# HELP big_metric A big one.', '# TYPE big_metric gauge'];
    for (let i = 0; i < series; i++) {
      lines.push(`big_metric{instance="host-${i % 100}",shard="${i}",zone="区域${i % 7}"} ${i * 0.5}`);
    }
    return `${lines.join('\n')}\n`;
  }

  it('parses a 10k-series body', () => {
    const [mf, ...rest] = parseText(body(10_000));
    expect(rest).toHaveLength(0);
    expect(mf.metric).toHaveLength(10_000);
    expect(mf.metric[9_999]).toEqual(gauge(4999.5, { instance: 'host-99', shard: '9999', zone: '区域3' }));
  });
});

/**
 * Quoted (UTF-8) names: prometheus/common 0.67 `expfmt/text_parse.go` as used by pushgateway 1.11.3
 * `handler/push.go` (`expfmt.NewTextParser(handler.ValidationScheme)`); research note §1 table.
 */
/**
 * Float histogram counts in text (prometheus/common 0.67 expfmt/text_parse.go, pushgateway 1.11.2+):
 * `value == float64(uint64(value))` keeps an integer count, anything else a float count, and
 * `normalizeHistogram` then makes every count of that histogram float. 1.5.1 truncated them
 * (upstream-differential.spec.ts has both sides).
 */
describe('parseText: float histogram counts', () => {
  const floatBuckets = (...pairs: Array<[number, number]>) =>
    pairs.map(([upperBound, cumulativeCountFloat]) => ({ upperBound, cumulativeCount: 0, cumulativeCountFloat }));
  it.each([
    [
      'a fractional bucket makes every count float',
      '# TYPE x histogram\nx_bucket{le="1"} 1.5\nx_bucket{le="+Inf"} 2\nx_sum 3\nx_count 2\n',
      histogram({ sampleCount: 0, sampleCountFloat: 2, sampleSum: 3, bucket: floatBuckets([1, 1.5], [Infinity, 2]) }),
    ],
    [
      'a fractional _count alone, with the synthesised +Inf bucket holding it',
      '# TYPE y histogram\ny_bucket{le="1"} 1\ny_sum 3\ny_count 2.5\n',
      histogram({ sampleCount: 0, sampleCountFloat: 2.5, sampleSum: 3, bucket: floatBuckets([1, 1], [Infinity, 2.5]) }),
    ],
    [
      'NaN and +Inf counts are float counts',
      '# TYPE z histogram\nz_bucket{le="1"} NaN\nz_bucket{le="+Inf"} +Inf\nz_count +Inf\n',
      histogram({ sampleCount: 0, sampleCountFloat: Infinity, sampleSum: 0, bucket: floatBuckets([1, NaN], [Infinity, Infinity]) }),
    ],
    [
      'whole numbers written as floats stay integers',
      '# TYPE w histogram\nw_bucket{le="1"} 1e3\nw_bucket{le="+Inf"} 2000.0\nw_count -0\n',
      histogram({ sampleCount: 0, sampleSum: 0, bucket: buckets([1, 1000], [Infinity, 2000]) }),
    ],
    [
      '2^64 and above is no uint64: a float count',
      '# TYPE v histogram\nv_bucket{le="+Inf"} 18446744073709551616\nv_count 1\n',
      histogram({ sampleCount: 0, sampleCountFloat: 1, sampleSum: 0, bucket: floatBuckets([Infinity, 2 ** 64]) }),
    ],
  ])('%s', (_name, input, metric) => {
    const [mf] = parseText(input);
    expect(mf.metric).toEqual([metric]);
  });

  it('one float histogram does not make the other label sets float', () => {
    const [mf] = parseText('# TYPE h histogram\nh_bucket{a="1",le="+Inf"} 1.5\nh_bucket{a="2",le="+Inf"} 2\n');
    expect(mf.metric.map((m) => [m.histogram!.sampleCountFloat, m.histogram!.bucket[0].cumulativeCountFloat])).toEqual([
      [0, 1.5],
      [undefined, undefined],
    ]);
  });

  it('gauge histograms follow the same rule; summary counts are still truncated', () => {
    const [g, s] = parseText('# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 0.5\n# TYPE s summary\ns_count 2.5\n');
    expect(g.metric[0].histogram!.bucket).toEqual(floatBuckets([Infinity, 0.5]));
    expect(s.metric[0].summary!.sampleCount).toBe(2);
  });
});

/**
 * Gauge histograms: prometheus/common 0.67 (pushgateway 1.11.2+) takes `# TYPE x gaugehistogram`
 * and reads `_bucket`/`_sum`/`_count` as for histograms; OpenMetrics' `_gcount`/`_gsum` stay
 * untyped families of their own (research note §3 table).
 */
describe('parseText: gauge histograms', () => {
  it.each<[string, string, () => MetricFamily[]]>([
    [
      'gaugehistogram with OpenMetrics _gcount/_gsum',
      '# TYPE g gaugehistogram\ng_bucket{le="1"} 1\ng_bucket{le="+Inf"} 2\ng_gcount 2\ng_gsum 3\n',
      () => [
        family('g', MetricType.GAUGE_HISTOGRAM, [histogram({ sampleCount: 0, sampleSum: 0, bucket: buckets([1, 1], [Infinity, 2]) })]),
        family('g_gcount', UNTYPED, [untyped(2)]),
        family('g_gsum', UNTYPED, [untyped(3)]),
      ],
    ],
    [
      'gauge_histogram with _sum/_count and a synthesised +Inf bucket',
      '# TYPE g gauge_histogram\ng_bucket{le="1"} 1\ng_sum 3\ng_count 2\n',
      () => [family('g', MetricType.GAUGE_HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: 3, bucket: buckets([1, 1], [Infinity, 2]) })])],
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseText(input)).toEqual(expected());
  });
});

describe('parseText: quoted names', () => {
  it.each<[string, string, () => MetricFamily[]]>([
    ['quoted metric name with quoted label', '{"my.metric","my.label"="v"} 1\n', () => [family('my.metric', UNTYPED, [untyped(1, { 'my.label': 'v' })])]],
    ['quoted metric name alone', '{"my.metric"} 1\n', () => [family('my.metric', UNTYPED, [untyped(1)])]],
    ['quoted name, blanks and a plain label', '{ "my.metric" , job="x" } 2\n', () => [family('my.metric', UNTYPED, [untyped(2, { job: 'x' })])]],
    ['quoted label after a plain name', 'm{"my.label"="v",a="b"} 1\n', () => [family('m', UNTYPED, [untyped(1, { 'my.label': 'v', a: 'b' })])]],
    [
      'quoted names in HELP and TYPE, and a histogram',
      '# HELP "h.x" Help.\n# TYPE "h.x" histogram\n{"h.x_bucket",le="1"} 1\n{"h.x_bucket",le="+Inf"} 2\n{"h.x_sum"} 3\n{"h.x_count"} 2\n',
      () => [family('h.x', MetricType.HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: 3, bucket: buckets([1, 1], [Infinity, 2]) })], 'Help.')],
    ],
    ['escapes and Chinese in a quoted name', '{"温度\\"x\\\\"} 1\n', () => [family('温度"x\\', UNTYPED, [untyped(1)])]],
  ])('%s', (_name, input, expected) => {
    expect(parseText(input)).toEqual(expected());
    expect(parseText(input, { nameValidation: 'utf8' })).toEqual(expected());
  });

  it.each<[string, string, () => MetricFamily[]]>([
    ['a quoted legacy name is fine', '{"m"} 1\n', () => [family('m', UNTYPED, [untyped(1)])]],
    ['a quoted legacy label name is fine', 'm{"l"="v"} 1\n', () => [family('m', UNTYPED, [untyped(1, { l: 'v' })])]],
  ])('legacy validation: %s', (_name, input, expected) => {
    expect(parseText(input, { nameValidation: 'legacy' })).toEqual(expected());
  });

  it.each<[string, string, 'legacy' | 'utf8', string]>([
    ['quoted metric name under legacy validation', '{"my.metric"} 1\n', 'legacy', 'text format parsing error in line 1: invalid metric name "my.metric"'],
    ['quoted label name under legacy validation', 'm{"my.label"="v"} 1\n', 'legacy', 'text format parsing error in line 1: invalid label name "my.label"'],
    ['quoted HELP name under legacy validation', '# HELP "my.metric" x\n', 'legacy', 'text format parsing error in line 1: invalid metric name "my.metric"'],
    ['an unquoted dotted name is never a name', 'my.metric 1\n', 'utf8', 'text format parsing error in line 1: expected float as value, got ".metric"'],
    ['an empty quoted name', '{""} 1\n', 'utf8', 'text format parsing error in line 1: invalid metric name ""'],
    ['an unquoted name inside braces', '{m} 1\n', 'utf8', 'text format parsing error in line 1: invalid metric name'],
    ['a metric name given twice', 'm{"n"} 1\n', 'utf8', "text format parsing error in line 1: expected '=' after label name, found '}'"],
    ['a close brace after a bare name', 'm} 1\n', 'utf8', 'text format parsing error in line 1: expected float as value, got "}"'],
  ])('rejects %s', (_name, input, scheme, message) => {
    expect(() => parseText(input, { nameValidation: scheme })).toThrow(message);
  });
});

describe('parseText duplicate label names beyond a handful of labels', () => {
  const labels = (n: number): string => Array.from({ length: n }, (_, i) => `l${i}="v"`).join(',');

  it('finds a duplicate wherever it sits, and takes many distinct labels', () => {
    for (const n of [3, 16, 17, 40, 5000]) {
      expect(parseText(`m{${labels(n)}} 1\n`)[0].metric[0].label).toHaveLength(n);
      for (const dup of [0, n - 1]) {
        expect(() => parseText(`m{${labels(n)},l${dup}="w"} 1\n`)).toThrow('duplicate label names for metric "m"');
      }
    }
  });
});
