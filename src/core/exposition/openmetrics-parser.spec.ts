import { ExpositionParseError } from 'src/core/exposition/errors';
import { parseOmNumber, parseOpenMetrics } from 'src/core/exposition/openmetrics-parser';
import { buckets, counter, family, gauge, histogram, summary, untyped } from 'src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

const { COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM, GAUGE_HISTOGRAM } = MetricType;

/** Rules from the OpenMetrics 1.0 specification (OpenObservability/OpenMetrics specification/OpenMetrics.md). */
describe('parseOpenMetrics: valid expositions', () => {
  it.each<[string, string, () => MetricFamily[]]>([
    ['only # EOF', '# EOF\n', () => []],
    ['# EOF without the final newline', '# EOF', () => []],
    [
      'counter: _total and _created, TYPE name without suffix (the issue #12 example)',
      '# TYPE om_a counter\n# HELP om_a Done.\nom_a_total 3\nom_a_created 1700000000.5\n# EOF\n',
      () => [{ ...family('om_a_total', COUNTER, [{ label: [], counter: { value: 3, createdTimestampMs: 1700000000500 } }], 'Done.') }],
    ],
    [
      'counter without _created',
      '# TYPE c counter\nc_total{a="1"} 1\nc_total{a="2"} 2\n# EOF\n',
      () => [family('c_total', COUNTER, [counter(1, { a: '1' }), counter(2, { a: '2' })])],
    ],
    [
      'counter exemplar with and without timestamp',
      '# TYPE c counter\nc_total{a="1"} 1 # {trace_id="x"} 0.5 1700000000.25\nc_total{a="2"} 2 # {} 1\n# EOF\n',
      () => [
        family('c_total', COUNTER, [
          {
            label: [{ name: 'a', value: '1' }],
            counter: { value: 1, exemplar: { label: [{ name: 'trace_id', value: 'x' }], value: 0.5, timestampMs: 1700000000250 } },
          },
          { label: [{ name: 'a', value: '2' }], counter: { value: 2, exemplar: { label: [], value: 1 } } },
        ]),
      ],
    ],
    [
      'gauge with UNIT',
      '# TYPE t_seconds gauge\n# UNIT t_seconds seconds\nt_seconds -1.5\n# EOF\n',
      () => [{ ...family('t_seconds', GAUGE, [gauge(-1.5)]), unit: 'seconds' }],
    ],
    ['no TYPE means unknown', 'x 1\n# EOF\n', () => [family('x', UNTYPED, [untyped(1)])]],
    ['explicit unknown', '# TYPE x unknown\nx{a="b"} 1\n# EOF\n', () => [family('x', UNTYPED, [untyped(1, { a: 'b' })])]],
    [
      'info becomes a gauge named _info',
      '# TYPE build info\nbuild_info{version="1"} 1\n# EOF\n',
      () => [family('build_info', GAUGE, [gauge(1, { version: '1' })])],
    ],
    [
      'stateset becomes a gauge with the state label',
      '# TYPE st stateset\nst{st="a"} 1\nst{st="b"} 0\n# EOF\n',
      () => [family('st', GAUGE, [gauge(1, { st: 'a' }), gauge(0, { st: 'b' })])],
    ],
    [
      'histogram with exemplar on a bucket and _created',
      '# TYPE h histogram\nh_bucket{le="0.5"} 1 # {id="e"} 0.25\nh_bucket{le="+Inf"} 3\nh_count 3\nh_sum 4.5\nh_created 10\n# EOF\n',
      () => [
        family('h', HISTOGRAM, [
          histogram({
            sampleCount: 3,
            sampleSum: 4.5,
            createdTimestampMs: 10000,
            bucket: [
              { upperBound: 0.5, cumulativeCount: 1, exemplar: { label: [{ name: 'id', value: 'e' }], value: 0.25 } },
              { upperBound: Infinity, cumulativeCount: 3 },
            ],
          }),
        ]),
      ],
    ],
    [
      'histogram without _count/_sum takes its count from +Inf',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\n# EOF\n',
      () => [family('h', HISTOGRAM, [histogram({ sampleCount: 2, bucket: buckets([Infinity, 2]) })])],
    ],
    [
      'histogram with negative buckets and no _sum',
      '# TYPE h histogram\nh_bucket{le="-1"} 1\nh_bucket{le="+Inf"} 2\n# EOF\n',
      () => [family('h', HISTOGRAM, [histogram({ sampleCount: 2, bucket: buckets([-1, 1], [Infinity, 2]) })])],
    ],
    [
      'gaugehistogram with _gcount/_gsum (negative sum allowed)',
      '# TYPE g gaugehistogram\ng_bucket{le="1"} 1\ng_bucket{le="+Inf"} 2\ng_gcount 2\ng_gsum -3\n# EOF\n',
      () => [family('g', GAUGE_HISTOGRAM, [histogram({ sampleCount: 2, sampleSum: -3, bucket: buckets([1, 1], [Infinity, 2]) })])],
    ],
    [
      'summary with quantiles, _count, _sum, _created',
      '# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="0.9"} 2\ns_count 5\ns_sum 10\ns_created 2\n# EOF\n',
      () => [
        family('s', SUMMARY, [
          summary({
            sampleCount: 5,
            sampleSum: 10,
            createdTimestampMs: 2000,
            quantile: [
              { quantile: 0.5, value: 1 },
              { quantile: 0.9, value: 2 },
            ],
          }),
        ]),
      ],
    ],
    [
      'HELP and label escapes',
      '# HELP x a\\\\b\\nc\\"d\nx{l="q\\"\\\\\\n"} 1\n# EOF\n',
      () => [family('x', UNTYPED, [untyped(1, { l: 'q"\\\n' })], 'a\\b\nc"d')],
    ],
    ['HELP with an empty text', '# HELP x \nx 1\n# EOF\n', () => [family('x', UNTYPED, [untyped(1)])]],
    [
      'special numbers in any case',
      'a +Inf\nb -infinity\nc NaN\n# EOF\n',
      () => [family('a', UNTYPED, [untyped(Infinity)]), family('b', UNTYPED, [untyped(-Infinity)]), family('c', UNTYPED, [untyped(NaN)])],
    ],
    ['descriptors without samples are dropped', '# TYPE e gauge\n# HELP e nothing\nx 1\n# EOF\n', () => [family('x', UNTYPED, [untyped(1)])]],
    ['float timestamp kept in ms for the caller to refuse', 'x 1 1520879607.789\n# EOF\n', () => [family('x', UNTYPED, [untyped(1, {}, 1520879607789)])]],
    [
      'several timestamped points of one metric (valid; refused later for the timestamps)',
      'x 1 1\nx 2 2\n# EOF\n',
      () => [family('x', UNTYPED, [untyped(2, {}, 2000)])],
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseOpenMetrics(input)).toEqual(expected());
  });
});

describe('parseOpenMetrics: invalid expositions answer the line and the reason', () => {
  it.each<[string, string, number, string]>([
    ['empty body', '', 1, 'expected "# EOF"'],
    ['no # EOF', 'x 1\n', 2, 'expected "# EOF"'],
    ['content after # EOF', 'x 1\n# EOF\ny 1\n', 3, 'after "# EOF"'],
    ['blank line after # EOF', '# EOF\n\n', 2, 'after "# EOF"'],
    ['blank line', 'x 1\n\n# EOF\n', 2, 'invalid metric name'],
    ['free comment', '# a comment\n# EOF\n', 1, 'expected "# TYPE"'],
    ['untyped is not an OpenMetrics type', '# TYPE x untyped\nx 1\n# EOF\n', 1, 'unknown metric type "untyped"'],
    ['unknown type', '# TYPE x foo\n# EOF\n', 1, 'unknown metric type "foo"'],
    ['second TYPE', '# TYPE x gauge\n# TYPE x gauge\n# EOF\n', 2, 'second TYPE'],
    ['second HELP', '# HELP x a\n# HELP x b\n# EOF\n', 2, 'second HELP'],
    ['TYPE after samples', 'x 1\n# TYPE x gauge\n# EOF\n', 2, 'after its samples'],
    ['UNIT not a suffix of the name', '# TYPE x gauge\n# UNIT x seconds\nx 1\n# EOF\n', 2, 'does not end with its unit'],
    ['UNIT on an info', '# TYPE x_s info\n# UNIT x_s s\n# EOF\n', 2, 'may not have a unit'],
    ['family repeated after another', 'a 1\nb 1\na 2\n# EOF\n', 3, 'after another family'],
    ['descriptor of a family repeated after another', '# HELP a x\na 1\nb 1\n# HELP a y\n# EOF\n', 4, 'appears twice'],
    ['histogram samples interleaved with another family', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nx 1\nh_count 1\n# EOF\n', 4, 'after another family'],
    ['metric points interleaved', 'x{a="1"} 1\nx{a="2"} 1\nx{a="1"} 2\n# EOF\n', 3, 'not contiguous'],
    ['a series twice without timestamps', 'x 1\nx 2\n# EOF\n', 2, 'second "x" sample'],
    ['counter sample without _total', '# TYPE c counter\nc 1\n# EOF\n', 2, 'does not fit the counter family'],
    ['counter with _created only', '# TYPE c counter\nc_created 1\n# EOF\n', 3, 'has no _total'],
    ['negative counter', '# TYPE c counter\nc_total -1\n# EOF\n', 2, 'negative or NaN'],
    ['NaN counter', '# TYPE c counter\nc_total NaN\n# EOF\n', 2, 'negative or NaN'],
    [
      'a family whose name is the series name of a counter',
      '# TYPE c counter\nc_total 1\n# TYPE c_total gauge\n# EOF\n',
      3,
      'exposes the series name "c_total" of family "c"',
    ],
    ['info value other than 1', '# TYPE i info\ni_info 2\n# EOF\n', 2, 'must be 1'],
    ['stateset without its label', '# TYPE s stateset\ns{x="a"} 1\n# EOF\n', 2, 'without its "s" label'],
    ['stateset value 2', '# TYPE s stateset\ns{s="a"} 2\n# EOF\n', 2, '0 or 1'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\n# EOF\n', 3, 'no +Inf'],
    ['histogram buckets unsorted', '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\n# EOF\n', 3, 'not above'],
    ['histogram buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n# EOF\n', 3, 'not cumulative'],
    ['histogram bucket count not an integer', '# TYPE h histogram\nh_bucket{le="+Inf"} 1.5\n# EOF\n', 2, 'non-negative integer'],
    ['histogram _count without _sum', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n# EOF\n', 4, '_count without _sum'],
    [
      'histogram _sum with negative buckets',
      '# TYPE h histogram\nh_bucket{le="-1"} 0\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n# EOF\n',
      6,
      'negative buckets and a _sum',
    ],
    ['histogram _count differs from +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 2\nh_sum 1\n# EOF\n', 5, 'count of 2'],
    ['summary quantile above 1', '# TYPE s summary\ns{quantile="2"} 1\n# EOF\n', 2, 'between 0 and 1'],
    ['summary _sum without _count', '# TYPE s summary\ns_sum 1\n# EOF\n', 3, '_sum without _count'],
    ['exemplar on a gauge', '# TYPE g gauge\ng 1 # {a="b"} 1\n# EOF\n', 2, 'exemplar on "g"'],
    ['exemplar on _created', '# TYPE c counter\nc_total 1\nc_created 1 # {a="b"} 1\n# EOF\n', 3, 'exemplar on "c_created"'],
    ['exemplar labels over 128 characters', `# TYPE c counter\nc_total 1 # {a="${'x'.repeat(128)}"} 1\n# EOF\n`, 2, 'more than 128'],
    ['two spaces before the value', 'x  1\n# EOF\n', 1, 'expected a number'],
    ['leading space', ' x 1\n# EOF\n', 1, 'invalid metric name'],
    ['Go hex float', 'x 0x1p3\n# EOF\n', 1, 'expected a number'],
    ['integer timestamp in ms is still a number (then refused as a timestamp), garbage timestamp is not', 'x 1 abc\n# EOF\n', 1, 'expected a timestamp'],
    ['trailing comma in labels', 'x{a="1",} 1\n# EOF\n', 1, 'invalid sample label name ""'],
    ['duplicate label', 'x{a="1",a="2"} 1\n# EOF\n', 1, 'duplicate label name'],
    ['unterminated label value', 'x{a="1} 1\n# EOF\n', 1, 'unterminated'],
    ['invalid label name', 'x{a-b="1"} 1\n# EOF\n', 1, 'invalid sample label name "a-b"'],
  ])('%s', (_name, input, line, reason) => {
    let error: unknown;
    try {
      parseOpenMetrics(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpositionParseError);
    expect((error as ExpositionParseError).message).toMatch(new RegExp(`^openmetrics parsing error in line ${line}: `));
    expect((error as ExpositionParseError).message).toContain(reason);
    expect((error as ExpositionParseError).line).toBe(line);
  });
});

describe('parseOmNumber', () => {
  it.each<[string, number | undefined]>([
    ['1', 1],
    ['-1.5e3', -1500],
    ['.5', 0.5],
    ['5.', 5],
    ['+Inf', Infinity],
    ['-INFINITY', -Infinity],
    ['nAn', NaN],
    ['0x10', undefined],
    ['1_000', undefined],
    ['', undefined],
    ['Inf1', undefined],
  ])('%s', (token, expected) => {
    expect(parseOmNumber(token)).toEqual(expected);
  });
});

describe('parseOpenMetrics duplicate label names beyond a handful of labels', () => {
  const labels = (n: number): string => Array.from({ length: n }, (_, i) => `l${i}="v"`).join(',');

  it('finds a duplicate wherever it sits, and takes many distinct labels', () => {
    for (const n of [3, 16, 17, 40, 5000]) {
      expect(parseOpenMetrics(`m{${labels(n)}} 1\n# EOF\n`)[0].metric[0].label).toHaveLength(n);
      for (const dup of [0, n - 1]) {
        expect(() => parseOpenMetrics(`m{${labels(n)},l${dup}="w"} 1\n# EOF\n`)).toThrow('duplicate label name "l');
      }
    }
  });
});
