import { buckets, counter, family, gauge, histogram, summary } from 'src/core/exposition/testdata/factories';
import { Exemplar, MetricFamily, MetricType } from 'src/core/model/metric-family';
import {
  compileExemplarSelection,
  ExemplarCollector,
  exemplarsData,
  ExemplarSeries,
  exemplarSeriesNames,
  familyExemplars,
  familyMayMatch,
  selectExemplars,
} from 'src/core/promql/exemplars';
import { collectSelectors, parseExpr } from 'src/core/promql/parser';

const PUSHED_MS = 1_700_000_000_000;

function ex(value: number, labels: Record<string, string>, timestampMs?: number): Exemplar {
  return { label: Object.entries(labels).map(([name, value]) => ({ name, value })), value, ...(timestampMs === undefined ? {} : { timestampMs }) };
}

function withCounterExemplar(mf: MetricFamily, e: Exemplar): MetricFamily {
  mf.metric[0].counter!.exemplar = e;
  return mf;
}

function selection(query: string): ReturnType<typeof compileExemplarSelection> {
  return compileExemplarSelection(collectSelectors(parseExpr(query)).map((s) => s.matchers));
}

/** Sanitised families as the store holds them: grouping labels merged, instance="" added. */
const SANITISED = { instance: '', job: 'j' };

function fixture(): ExemplarSeries[] {
  const requests = withCounterExemplar(
    family('requests_total', MetricType.COUNTER, [counter(7, { ...SANITISED, code: '200' })]),
    ex(1, { trace_id: 'abc' }, 1_600_000_000_123),
  );
  const latency = family('latency_seconds', MetricType.HISTOGRAM, [
    histogram({ sampleCount: 3, sampleSum: 1, bucket: buckets([0.1, 1], [1, 2], [Infinity, 3]) }, { ...SANITISED, path: '/a' }),
  ]);
  const b = latency.metric[0].histogram!.bucket;
  b[0].exemplar = ex(0.05, { trace_id: 'b1' }, 1_600_000_001_000);
  b[2].exemplar = ex(7.5, { trace_id: 'b3' });
  const native = family('native_seconds', MetricType.HISTOGRAM, [
    histogram(
      {
        sampleCount: 2,
        sampleSum: 3,
        schema: 0,
        positiveSpan: [{ offset: 0, length: 1 }],
        positiveDelta: [2],
        exemplars: [ex(2, { trace_id: 'n2' }, 1_600_000_003_000), ex(1, { trace_id: 'n1' }, 1_600_000_002_000)],
      },
      SANITISED,
    ),
  ]);
  return [requests, latency, native].flatMap((mf) => familyExemplars(mf, PUSHED_MS));
}

describe('exemplarSeriesNames', () => {
  it.each([
    ['counter: its own name', MetricType.COUNTER, ['c_total']],
    ['histogram: _bucket and the native series', MetricType.HISTOGRAM, ['c_total_bucket', 'c_total']],
    ['gauge histogram: the same', MetricType.GAUGE_HISTOGRAM, ['c_total_bucket', 'c_total']],
    ['gauge: none', MetricType.GAUGE, []],
    ['summary: none', MetricType.SUMMARY, []],
    ['untyped: none', MetricType.UNTYPED, []],
  ])('%s', (_, type, names) => {
    expect(exemplarSeriesNames('c_total', type)).toEqual(names);
  });
});

describe('familyExemplars', () => {
  it('a counter exemplar belongs to the counter series; empty label values are dropped; labels sorted', () => {
    const mf = withCounterExemplar(family('c_total', MetricType.COUNTER, [counter(3, { job: 'j', instance: '', a: 'x' })]), ex(1, { z: '1', a: '2' }, 5_000));
    expect(familyExemplars(mf, PUSHED_MS)).toEqual([
      { seriesLabels: { __name__: 'c_total', a: 'x', job: 'j' }, exemplars: [{ labels: { a: '2', z: '1' }, value: 1, timestampMs: 5_000 }] },
    ]);
  });

  it('series without exemplars are left out, as are gauges and summaries', () => {
    expect(familyExemplars(family('c_total', MetricType.COUNTER, [counter(3)]), PUSHED_MS)).toEqual([]);
    expect(familyExemplars(family('g', MetricType.GAUGE, [gauge(3)]), PUSHED_MS)).toEqual([]);
    expect(familyExemplars(family('s', MetricType.SUMMARY, [summary({ sampleCount: 1 })]), PUSHED_MS)).toEqual([]);
  });

  it('bucket exemplars go to _bucket with le as the text scrape writes it; native exemplars to the bare name', () => {
    expect(familyExemplars(family('latency_seconds', MetricType.HISTOGRAM, []), PUSHED_MS)).toEqual([]);
    const series = fixture().filter((s) => s.seriesLabels.__name__ !== 'requests_total');
    expect(series.map((s) => [s.seriesLabels, s.exemplars.map((e) => e.labels.trace_id)])).toEqual([
      [{ __name__: 'latency_seconds_bucket', job: 'j', le: '0.1', path: '/a' }, ['b1']],
      [{ __name__: 'latency_seconds_bucket', job: 'j', le: '+Inf', path: '/a' }, ['b3']],
      [{ __name__: 'native_seconds', job: 'j' }, ['n2', 'n1']],
    ]);
  });

  it.each([
    ['no timestamp: the push time', undefined, PUSHED_MS],
    ['whole milliseconds kept', 1_234, 1_234],
    ['fractional milliseconds truncated like Go int64()', 1_234.9, 1_234],
  ])('%s', (_, ts, expected) => {
    const mf = withCounterExemplar(family('c_total', MetricType.COUNTER, [counter(1)]), ex(1, {}, ts));
    expect(familyExemplars(mf, PUSHED_MS)[0].exemplars[0].timestampMs).toBe(expected);
  });

  it('a counter label named le stays; only a bucket sets le', () => {
    const mf = withCounterExemplar(family('c_total', MetricType.COUNTER, [counter(1, { le: 'x' })]), ex(1, {}, 1));
    expect(familyExemplars(mf, PUSHED_MS)[0].seriesLabels).toEqual({ __name__: 'c_total', le: 'x' });
  });
});

describe('selectExemplars', () => {
  const ALL = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;
  const names = (query: string, start: number = ALL[0], end: number = ALL[1]): string[] =>
    selectExemplars(fixture(), selection(query), start, end).result.map(
      (s) => `${s.seriesLabels.__name__}${s.seriesLabels.le === undefined ? '' : `{le=${s.seriesLabels.le}}`}`,
    );

  it.each([
    ['by metric name', 'requests_total', ['requests_total']],
    ['the _bucket series by name', 'latency_seconds_bucket', ['latency_seconds_bucket{le=+Inf}', 'latency_seconds_bucket{le=0.1}']],
    ['a bucket by le', 'latency_seconds_bucket{le="0.1"}', ['latency_seconds_bucket{le=0.1}']],
    ['the bare histogram name picks the native series only', 'latency_seconds', []],
    ['native exemplars', 'native_seconds', ['native_seconds']],
    ['a regex over names, sorted by labels', '{__name__=~".+_(total|seconds)"}', ['native_seconds', 'requests_total']],
    ['every selector of an expression', 'rate(requests_total[5m]) / on() group_left sum(native_seconds)', ['native_seconds', 'requests_total']],
    ['a grouping label', '{job="j", __name__=~"req.*"}', ['requests_total']],
    ['a body label', '{path="/a"}', ['latency_seconds_bucket{le=+Inf}', 'latency_seconds_bucket{le=0.1}']],
    ['instance="" matches the dropped empty instance', '{instance="", __name__="requests_total"}', ['requests_total']],
    ['nothing', 'nope', []],
  ])('%s', (_, query, expected) => {
    expect(names(query)).toEqual(expected);
  });

  it.each([
    ['start and end are inclusive', 1_600_000_000_123, 1_600_000_001_000, ['latency_seconds_bucket{le=0.1}', 'requests_total']],
    ['a series without exemplars in range is dropped', 1_600_000_001_001, 1_600_000_002_000, ['native_seconds']],
    ['exemplars without timestamps have the push time', PUSHED_MS, PUSHED_MS, ['latency_seconds_bucket{le=+Inf}']],
  ])('time range: %s', (_, start, end, expected) => {
    expect(names('{job="j"}', start, end)).toEqual(expected);
  });

  it('exemplars of one series are in time order, and series with equal labels are pooled', () => {
    const [native] = fixture().filter((s) => s.seriesLabels.__name__ === 'native_seconds');
    const twin: ExemplarSeries = { seriesLabels: { ...native.seriesLabels }, exemplars: [{ labels: { trace_id: 'n0' }, value: 0, timestampMs: 1 }] };
    const { result } = selectExemplars([native, twin], selection('native_seconds'), 0, Number.MAX_SAFE_INTEGER);
    expect(result).toHaveLength(1);
    expect(result[0].exemplars.map((e) => e.labels.trace_id)).toEqual(['n0', 'n1', 'n2']);
  });

  it('stops at the limit and says so', () => {
    const collector = new ExemplarCollector(selection('{job="j"}'), 0, Number.MAX_SAFE_INTEGER, 3);
    fixture().forEach((s) => collector.add(s));
    expect(collector.full).toBe(true);
    const { result, truncated } = collector.finish();
    expect(truncated).toBe(true);
    expect(result.reduce((n, s) => n + s.exemplars.length, 0)).toBe(3);
    expect(selectExemplars(fixture(), selection('{job="j"}'), 0, Number.MAX_SAFE_INTEGER, 5).truncated).toBe(false);
  });
});

describe('familyMayMatch (the pre-filter never drops a family selectExemplars would use)', () => {
  it.each([
    ['counter by name', 'requests_total', 'requests_total', MetricType.COUNTER, {}, true],
    ['counter, other name', 'x', 'requests_total', MetricType.COUNTER, {}, false],
    ['histogram by its _bucket name', 'h_bucket', 'h', MetricType.HISTOGRAM, {}, true],
    ['histogram by its bare name (native)', 'h', 'h', MetricType.HISTOGRAM, {}, true],
    ['gauge never', 'g', 'g', MetricType.GAUGE, {}, false],
    ['grouping label decides', '{job="a"}', 'c', MetricType.COUNTER, { job: 'b' }, false],
    ['grouping label matches', '{job="a"}', 'c', MetricType.COUNTER, { job: 'a' }, true],
    ['a label outside the grouping key is left to the series', '{path="/x"}', 'c', MetricType.COUNTER, { job: 'a' }, true],
    ['any selector may match', 'x or {job="a"}', 'c', MetricType.COUNTER, { job: 'a' }, true],
  ])('%s', (_, query, name, type, grouping, expected) => {
    expect(familyMayMatch(selection(query), name, type, grouping)).toBe(expected);
  });
});

describe('exemplarsData', () => {
  it("has Prometheus' JSON shape: value a string, timestamp float seconds", () => {
    const { result } = selectExemplars(fixture(), selection('requests_total'), 0, Number.MAX_SAFE_INTEGER);
    expect(JSON.stringify(exemplarsData(result))).toBe(
      '[{"seriesLabels":{"__name__":"requests_total","code":"200","job":"j"},"exemplars":[{"labels":{"trace_id":"abc"},"value":"1","timestamp":1600000000.123}]}]',
    );
  });

  it.each([
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [1e-7, '1e-07'],
    [0.25, '0.25'],
  ])('value %p is written %p', (value, text) => {
    const data = exemplarsData([{ seriesLabels: { __name__: 'x' }, exemplars: [{ labels: {}, value, timestampMs: 1500 }] }]) as {
      exemplars: { value: string; timestamp: number }[];
    }[];
    expect(data[0].exemplars[0]).toEqual({ labels: {}, value: text, timestamp: 1.5 });
  });
});
