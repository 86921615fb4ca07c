/**
 * `/api/v1/query_exemplars` over the exemplars kept in pushed families (pure; no I/O).
 *
 * Prometheus (web/api/v1/api.go `queryExemplars`, tsdb/exemplar.go `Select`) picks the series of
 * every vector selector of the query (`parser.ExtractSelectors`; a series matches when it satisfies
 * all matchers of any one selector), keeps the exemplars whose timestamp lies in [start, end], drops
 * series left without any and sorts the rest by series labels (`labels.Compare`). The gateway keeps
 * no exemplar history: what a series carries is what its current group holds, which is what a
 * protobuf scrape of the gateway hands to Prometheus.
 *
 * Series labels are those a scrape shows, as the query API's series are: the sample's own name in
 * `__name__` (`x_total`, `h_bucket`), the series' labels with the grouping labels merged in, and
 * empty values dropped (so the gateway's `instance=""` is absent, as Prometheus drops it).
 */
import { labelValue } from 'src/core/model/labels';
import { formatFloat } from 'src/core/exposition/format-float';
import { Exemplar, LabelPair, MetricFamily, MetricType } from 'src/core/model/metric-family';
import { compileMatchers, matchesAll, ValuePredicate } from 'src/core/promql/matchers';
import { formatPromValue } from 'src/core/promql/go-format';
import { compareLabels, compareStrings, METRIC_NAME, type Labels } from 'src/core/promql/labels';
import type { LabelMatcher } from 'src/core/promql/series-source';

/** One exemplar as the API reports it; `timestampMs` is whole milliseconds. */
export interface ExemplarPoint {
  labels: Labels;
  value: number;
  timestampMs: number;
}

/** The exemplars of one series (Prometheus' `exemplar.QueryResult`). */
export interface ExemplarSeries {
  seriesLabels: Labels;
  exemplars: ExemplarPoint[];
}

/**
 * Prometheus' default exemplar storage size (`storage.exemplars.max_exemplars`): a Prometheus never
 * answers with more, and this endpoint stops collecting there too.
 */
export const MAX_EXEMPLARS = 100_000;

/**
 * The sample names of a family that can carry an exemplar in metrics.proto: a counter's own name;
 * a (gauge) histogram's `_bucket` (classic bucket exemplars) and its bare name (native histogram
 * exemplars). Other types have no exemplar field.
 */
export function exemplarSeriesNames(name: string, type: MetricType): string[] {
  switch (type) {
    case MetricType.COUNTER:
      return [name];
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return [`${name}_bucket`, name];
    case MetricType.GAUGE:
    case MetricType.SUMMARY:
    case MetricType.UNTYPED:
      return [];
  }
}

/**
 * Every series of a stored (sanitised) family that carries exemplars, in input order. Counter
 * exemplars belong to the counter's series; a classic bucket's exemplar to `<name>_bucket` with
 * its `le` written as the text scrape writes it; a native histogram's `exemplars` to `<name>`, the
 * series Prometheus 3 stores them on when it scrapes native histograms. An exemplar without a
 * timestamp gets `defaultTimestampMs` (the family's push time), as Prometheus gives it the scrape's.
 */
export function familyExemplars(mf: MetricFamily, defaultTimestampMs: number): ExemplarSeries[] {
  const out: ExemplarSeries[] = [];
  const add = (name: string, label: readonly LabelPair[], exemplars: readonly Exemplar[], le?: string): void => {
    if (exemplars.length > 0) {
      out.push({ seriesLabels: seriesLabels(name, label, le), exemplars: exemplars.map((e) => exemplarPoint(e, defaultTimestampMs)) });
    }
  };
  for (const m of mf.metric) {
    if (mf.type === MetricType.COUNTER && m.counter?.exemplar !== undefined) {
      add(mf.name, m.label, [m.counter.exemplar]);
    }
    const h = m.histogram;
    if (h !== undefined && (mf.type === MetricType.HISTOGRAM || mf.type === MetricType.GAUGE_HISTOGRAM)) {
      for (const b of h.bucket) {
        add(`${mf.name}_bucket`, m.label, b.exemplar === undefined ? [] : [b.exemplar], b.upperBound === 0 ? '0' : formatFloat(b.upperBound));
      }
      add(mf.name, m.label, h.exemplars ?? []);
    }
  }
  return out;
}

/** The vector selectors of an exemplar query, compiled once. */
export interface ExemplarSelection {
  /** Per selector: its `__name__` matchers and its other matchers. */
  selectors: { name: [string, ValuePredicate][]; rest: [string, ValuePredicate][] }[];
}

/**
 * Compiles the matcher lists of a query's vector selectors (Prometheus' `ExtractSelectors`).
 * Throws RegexSyntaxError as the parser would already have.
 */
export function compileExemplarSelection(selectors: readonly (readonly LabelMatcher[])[]): ExemplarSelection {
  return {
    selectors: selectors.map((matchers) => ({
      name: compileMatchers(matchers.filter((m) => m.name === METRIC_NAME)),
      rest: compileMatchers(matchers.filter((m) => m.name !== METRIC_NAME)),
    })),
  };
}

/**
 * Whether a family of this name and type, in a group whose series all carry `groupingLabels`
 * (grouping labels win over body labels, so their values are certain), can hold a series that a
 * selector picks: a cheap test before the family is loaded and decoded. Never false for a family
 * that selectExemplars would take something from.
 */
export function familyMayMatch(selection: ExemplarSelection, name: string, type: MetricType, groupingLabels: Readonly<Record<string, string>>): boolean {
  const names = exemplarSeriesNames(name, type);
  if (names.length === 0) {
    return false;
  }
  return selection.selectors.some(
    (s) =>
      names.some((n) => s.name.every(([, test]) => test(n))) &&
      s.rest.every(([label, test]) => {
        const v = labelValue(groupingLabels, label);
        return v === undefined || test(v);
      }),
  );
}

/** The answer of selectExemplars; `truncated` when MAX_EXEMPLARS (or `limit`) cut it short. */
export interface ExemplarAnswer {
  result: ExemplarSeries[];
  truncated: boolean;
}

/**
 * Prometheus' exemplar `Select`, fed one series at a time so a caller can load data in batches and
 * stop early: keeps the series any selector matches, with their exemplars whose timestamps are
 * within [startMs, endMs] (both inclusive). `finish` drops series left without any, orders each
 * series' exemplars by time and the series by labels. Exemplars of series with equal labels
 * (possible only with the consistency check off) are pooled. Holds at most `limit` exemplars.
 */
export class ExemplarCollector {
  private readonly byKey = new Map<string, ExemplarSeries>();
  private total = 0;
  private truncated = false;

  constructor(
    private readonly selection: ExemplarSelection,
    private readonly startMs: number,
    private readonly endMs: number,
    private readonly limit = MAX_EXEMPLARS,
  ) {}

  /** True once `limit` exemplars are held: anything added later is dropped. */
  get full(): boolean {
    return this.truncated;
  }

  /** Takes what `series` contributes. */
  add(series: ExemplarSeries): void {
    if (this.truncated || !this.selection.selectors.some((sel) => matchesAll(series.seriesLabels, sel.name) && matchesAll(series.seriesLabels, sel.rest))) {
      return;
    }
    const inRange = series.exemplars.filter((e) => e.timestampMs >= this.startMs && e.timestampMs <= this.endMs);
    if (inRange.length === 0) {
      return;
    }
    if (this.total + inRange.length > this.limit) {
      this.truncated = true;
      inRange.length = this.limit - this.total;
    }
    this.total += inRange.length;
    const key = JSON.stringify(series.seriesLabels);
    const found = this.byKey.get(key);
    if (found === undefined) {
      this.byKey.set(key, { seriesLabels: series.seriesLabels, exemplars: inRange });
    } else {
      found.exemplars.push(...inRange);
    }
  }

  /** The selected series, sorted; `truncated` when the limit cut the answer short. */
  finish(): ExemplarAnswer {
    const result = [...this.byKey.values()].filter((s) => s.exemplars.length > 0);
    for (const s of result) {
      s.exemplars.sort((a, b) => a.timestampMs - b.timestampMs);
    }
    result.sort((a, b) => compareLabels(a.seriesLabels, b.seriesLabels));
    return { result, truncated: this.truncated };
  }
}

/** ExemplarCollector over a list of series. */
export function selectExemplars(
  series: Iterable<ExemplarSeries>,
  selection: ExemplarSelection,
  startMs: number,
  endMs: number,
  limit = MAX_EXEMPLARS,
): ExemplarAnswer {
  const collector = new ExemplarCollector(selection, startMs, endMs, limit);
  for (const s of series) {
    collector.add(s);
  }
  return collector.finish();
}

/**
 * The `data` of the answer in Prometheus' JSON shape (web/api/v1/json_codec.go
 * `marshalExemplarJSON`): `[{seriesLabels, exemplars: [{labels, value: "<string>", timestamp:
 * <float seconds>}]}]`.
 */
export function exemplarsData(result: readonly ExemplarSeries[]): unknown[] {
  return result.map((s) => ({
    seriesLabels: s.seriesLabels,
    exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: formatPromValue(e.value), timestamp: e.timestampMs / 1000 })),
  }));
}

function exemplarPoint(e: Exemplar, defaultTimestampMs: number): ExemplarPoint {
  return {
    labels: sortedRecord(e.label.map((l) => [l.name, l.value])),
    value: e.value,
    // Prometheus keeps int64 milliseconds (Go's int64() conversion truncates toward zero).
    timestampMs: Math.trunc(e.timestampMs ?? defaultTimestampMs),
  };
}

/** `__name__`, the non-empty labels and `le` (when given), sorted by name. */
function seriesLabels(name: string, label: readonly LabelPair[], le?: string): Labels {
  const pairs: [string, string][] = label
    .filter((l) => l.value !== '' && l.name !== METRIC_NAME && !(le !== undefined && l.name === 'le'))
    .map((l) => [l.name, l.value]);
  pairs.push([METRIC_NAME, name]);
  if (le !== undefined) {
    pairs.push(['le', le]);
  }
  return sortedRecord(pairs);
}

function sortedRecord(pairs: [string, string][]): Labels {
  const out: Record<string, string> = {};
  for (const [n, v] of [...pairs].sort((a, b) => compareStrings(a[0], b[0]))) {
    out[n] = v;
  }
  return out;
}
