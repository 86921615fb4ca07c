import { bucketBound, groupToJson } from 'src/core/scrape/json-api';
import { Histogram, MetricType } from 'src/core/model/metric-family';

/**
 * Native histograms in GET /api/v1/metrics in upstream 1.10's shape (pushgateway api/v1/api.go
 * makeEncodableMetrics, histogram/prometheus_model.go; #668; research note §4): native if and only
 * if a span exists; buckets `[rule, lower, upper, count]` negative → zero → positive, empty ones
 * left out; "type" stays "HISTOGRAM".
 */
function metricJson(h: Histogram): unknown {
  const json = groupToJson({
    labels: { job: 'j' },
    exposedLabels: { job: 'j', instance: 'i' },
    pushTime: 1,
    pushFailureTime: 0,
    families: [
      {
        family: {
          name: 'h',
          help: '',
          type: MetricType.HISTOGRAM,
          metric: [
            {
              label: [
                { name: 'instance', value: 'i' },
                { name: 'job', value: 'j' },
              ],
              histogram: h,
            },
          ],
        },
        pushedAt: 1,
      },
    ],
  });
  const fam = json.h as { type: string; metrics: unknown[] };
  expect(fam.type).toBe('HISTOGRAM');
  return fam.metrics[0];
}

describe('GET /api/v1/metrics: histograms', () => {
  it.each<[string, Histogram, unknown]>([
    [
      'integer native histogram, schema 0: delta-coded counts, negative/zero/positive order',
      {
        sampleCount: 7,
        sampleSum: 99.23,
        bucket: [],
        schema: 0,
        zeroThreshold: 0.001,
        zeroCount: 1,
        negativeSpan: [{ offset: 1, length: 2 }],
        negativeDelta: [3, -2],
        positiveSpan: [
          { offset: 0, length: 2 },
          { offset: 2, length: 1 },
        ],
        positiveDelta: [2, -2, 1],
      },
      {
        labels: { instance: 'i', job: 'j' },
        count: '7',
        sum: '99.23',
        buckets: [
          [1, '-4', '-2', '1'],
          [1, '-2', '-1', '3'],
          [3, '-0.001', '0.001', '1'],
          [0, '0.5', '1', '2'],
          [0, '8', '16', '1'],
        ],
      },
    ],
    [
      'float native histogram: absolute counts, empty buckets left out',
      { sampleCount: 0, sampleCountFloat: 7.5, sampleSum: 3, bucket: [], schema: 0, positiveSpan: [{ offset: 0, length: 3 }], positiveCount: [2.5, 0, 5] },
      {
        labels: { instance: 'i', job: 'j' },
        count: '7.5',
        sum: '3',
        buckets: [
          [0, '0.5', '1', '2.5'],
          [0, '2', '4', '5'],
        ],
      },
    ],
    [
      'a no-op span makes it native with no buckets',
      { sampleCount: 3, sampleSum: 1, bucket: [{ upperBound: 1, cumulativeCount: 3 }], schema: 3, positiveSpan: [{ offset: 0, length: 0 }] },
      { labels: { instance: 'i', job: 'j' }, count: '3', sum: '1', buckets: [] },
    ],
    [
      'no span: classic, even with a native zero bucket (1.10 rule)',
      {
        sampleCount: 3,
        sampleSum: 1,
        bucket: [
          { upperBound: 1, cumulativeCount: 2 },
          { upperBound: Infinity, cumulativeCount: 3 },
        ],
        schema: 3,
        zeroThreshold: 1e-128,
        zeroCount: 1,
      },
      { labels: { instance: 'i', job: 'j' }, buckets: { '1': '2', '+Inf': '3' }, count: '3', sum: '1' },
    ],
    [
      'Go %v formatting of large bounds (schema -4)',
      { sampleCount: 1, sampleSum: 5e9, bucket: [], schema: -4, positiveSpan: [{ offset: 2, length: 1 }], positiveDelta: [1] },
      { labels: { instance: 'i', job: 'j' }, count: '1', sum: '5e+09', buckets: [[0, '65536', '4.294967296e+09', '1']] },
    ],
  ])('%s', (_name, h, expected) => {
    expect(metricJson(h)).toEqual(expected);
  });
});

describe('bucketBound', () => {
  it.each<[number, number, number]>([
    [0, 0, 1],
    [1, 0, 2],
    [-1, 0, 0.5],
    [2, 1, 2],
    [-3, 2, 2 ** -0.75],
    [1, -2, 16],
    [256, -2, Number.MAX_VALUE],
    [1024 * 8, 3, Number.MAX_VALUE],
  ])('idx %d at schema %d', (idx, schema, expected) => {
    expect(bucketBound(idx, schema)).toBeCloseTo(expected, 15);
  });

  // Research note §4's example prints 1.414213562373095 (Prometheus' table); computed here it is
  // the nearest double to √2, one unit in the last place away (README, differences).
  it('schema 1 bounds are within one ulp of the table upstream uses', () => {
    expect(Math.abs(bucketBound(1, 1) - 1.414213562373095)).toBeLessThanOrEqual(2.3e-16);
  });
});
