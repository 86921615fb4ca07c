/**
 * Turns pushed metric families into the series a Prometheus scrape of the gateway would ingest
 * (pure; no I/O). Kept next to the history writer, which is its only user.
 */
import { compareStrings, Labels } from 'src/core/model/labels';
import { Histogram, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';
import { formatFloat } from 'src/core/exposition/format-float';
import { PUSH_TIME_METRIC } from 'src/core/grouping/sanitize';
import { runAll, Steps } from 'src/core/model/steps';

/** One sample of one series of a push. */
export interface HistoryPoint {
  /** The metric name (`__name__`), e.g. `http_duration_seconds_bucket`. */
  name: string;
  /** The metric family it belongs to, e.g. `http_duration_seconds`. */
  family: string;
  /** Labels without `__name__`, empty values dropped, sorted by name. */
  labels: Labels;
  /** Canonical key of the full label set (see seriesKey). */
  key: string;
  value: number;
}

/**
 * The series of the families, as the text exposition of the same families is scraped: counter,
 * gauge and untyped → one series each; summary → `{quantile}` series, `_sum`, `_count`;
 * histogram and gauge histogram → `_bucket{le}` (plus `le="+Inf"` holding the count when no
 * bucket has that bound), `_sum`, `_count`. Labels with an empty value are dropped, as Prometheus
 * drops them when it ingests a scrape (the gateway's `instance=""` thus disappears). When two
 * series end up with the same key, the later one wins. Order: input order.
 */
export function flattenFamilies(families: readonly MetricFamily[]): HistoryPoint[] {
  return runAll(flattenSteps(families));
}

/** Metrics between two steps of flattenSteps. */
const FLATTEN_SLICE_METRICS = 2000;

/** flattenFamilies in steps of a few thousand metrics (see runPaused). */
export function* flattenSteps(families: readonly MetricFamily[]): Steps<HistoryPoint[]> {
  const byKey = new Map<string, HistoryPoint>();
  let done = 0;
  for (const mf of families) {
    for (const m of mf.metric) {
      if (++done % FLATTEN_SLICE_METRICS === 0) {
        yield;
      }
      const base = sortedPairs(m.label);
      flattenMetric(mf, m, (suffix, extra, value) => {
        const name = mf.name + suffix;
        const pairs = extra === undefined ? base : withPair(base, extra);
        const key = pairsKey(name, pairs);
        byKey.delete(key);
        byKey.set(key, { name, family: mf.name, labels: toLabels(pairs), key, value });
      });
    }
  }
  return [...byKey.values()];
}

/** A label pair, as a two-element tuple (name, value). */
type Pair = [string, string];

type Emit = (suffix: string, extra: Pair | undefined, value: number) => void;

function flattenMetric(mf: MetricFamily, m: Metric, emit: Emit): void {
  switch (mf.type) {
    case MetricType.COUNTER:
      return m.counter ? emit('', undefined, m.counter.value) : undefined;
    case MetricType.GAUGE:
      return m.gauge ? emit('', undefined, m.gauge.value) : undefined;
    case MetricType.UNTYPED:
      return m.untyped ? emit('', undefined, m.untyped.value) : undefined;
    case MetricType.SUMMARY: {
      const s = m.summary;
      if (s) {
        s.quantile.forEach((q) => emit('', ['quantile', labelFloat(q.quantile)], q.value));
        emit('_sum', undefined, s.sampleSum);
        emit('_count', undefined, s.sampleCount);
      }
      return;
    }
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return m.histogram ? flattenHistogram(m.histogram, emit) : undefined;
  }
}

function flattenHistogram(h: Histogram, emit: Emit): void {
  const count = h.sampleCountFloat ?? h.sampleCount;
  let infSeen = false;
  for (const b of h.bucket) {
    emit('_bucket', ['le', labelFloat(b.upperBound)], b.cumulativeCountFloat ?? b.cumulativeCount);
    infSeen ||= b.upperBound === Infinity;
  }
  if (!infSeen) {
    emit('_bucket', ['le', '+Inf'], count);
  }
  emit('_sum', undefined, h.sampleSum);
  emit('_count', undefined, count);
}

/** The group's `push_time_seconds` sample (value: the push time in Unix seconds). */
export function pushTimePoint(exposedLabels: Labels, nowSeconds: number): HistoryPoint {
  const pairs = sortedPairs(Object.entries(exposedLabels).map(([name, value]) => ({ name, value })));
  return { name: PUSH_TIME_METRIC, family: PUSH_TIME_METRIC, labels: toLabels(pairs), key: pairsKey(PUSH_TIME_METRIC, pairs), value: nowSeconds };
}

/**
 * Canonical key of a series: label names (with `__name__`) in byte order, each followed by
 * \x01 and its value, pairs separated by \x01; \x01 and \x02 inside values are escaped with \x02.
 * Injective, and for values without control characters the byte order of keys (COLLATE "C") is
 * Prometheus' label-set order (`labels.Compare`), so SQL can return series already sorted.
 */
export function seriesKey(name: string, labels: Labels): string {
  return pairsKey(
    name,
    Object.keys(labels)
      .sort(compareStrings)
      .map((n): Pair => [n, labels[n]]),
  );
}

/** seriesKey of `name` and pairs sorted by name (without `__name__`). */
function pairsKey(name: string, pairs: Pair[]): string {
  let key = '';
  let named = false;
  for (const [n, v] of pairs) {
    if (!named && n > '__name__') {
      key += `${key === '' ? '' : '\x01'}__name__\x01${escapeKeyValue(name)}`;
      named = true;
    }
    key += `${key === '' ? '' : '\x01'}${n}\x01${escapeKeyValue(v)}`;
  }
  return named ? key : `${key === '' ? '' : `${key}\x01`}__name__\x01${escapeKeyValue(name)}`;
}

function escapeKeyValue(v: string): string {
  return v.includes('\x01') || v.includes('\x02') ? v.replace(/[\x01\x02]/g, (c) => `\x02${c}`) : v;
}

/** Non-empty pairs sorted by name (the last of equal names kept). */
function sortedPairs(label: readonly LabelPair[]): Pair[] {
  const out: Pair[] = [];
  let sorted = true;
  for (const l of label) {
    if (out.length > 0 && !(out[out.length - 1][0] < l.name)) {
      sorted = false;
    }
    out.push([l.name, l.value]);
  }
  if (!sorted) {
    const last = new Map(out);
    out.length = 0;
    for (const n of [...last.keys()].sort(compareStrings)) {
      out.push([n, last.get(n) as string]);
    }
  }
  return out.filter((p) => p[1] !== '');
}

/** `pairs` plus one more (replacing a pair of the same name), still sorted; empty values dropped. */
function withPair(pairs: Pair[], extra: Pair): Pair[] {
  const out: Pair[] = [];
  let placed = extra[1] === '';
  for (const p of pairs) {
    if (!placed && p[0] >= extra[0]) {
      out.push(extra);
      placed = true;
      if (p[0] === extra[0]) {
        continue;
      }
    } else if (p[0] === extra[0]) {
      continue;
    }
    out.push(p);
  }
  if (!placed) {
    out.push(extra);
  }
  return out;
}

function toLabels(pairs: Pair[]): Labels {
  const labels: Labels = {};
  for (const [n, v] of pairs) {
    labels[n] = v;
  }
  return labels;
}

/** `le`/`quantile` values as Go's text encoder writes them (`0.5`, `+Inf`, `1e-05`). */
function labelFloat(v: number): string {
  return v === 0 ? '0' : formatFloat(v);
}
