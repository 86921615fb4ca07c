/** Fixture factories for the exposition specs: every call returns fresh objects. */
import { Histogram, LabelPair, Metric, MetricFamily, MetricType, Summary } from 'src/core/model/metric-family';

/** `{ a: '1' }` → label pairs in key order as written. */
export function labels(record: Record<string, string> = {}): LabelPair[] {
  return Object.entries(record).map(([name, value]) => ({ name, value }));
}

/** A family with the given metrics; help defaults to '' (no HELP line). */
export function family(name: string, type: MetricType, metric: Metric[], help = ''): MetricFamily {
  return { name, help, type, metric };
}

/** An untyped sample. */
export function untyped(value: number, l: Record<string, string> = {}, timestampMs?: number): Metric {
  return withTimestamp({ label: labels(l), untyped: { value } }, timestampMs);
}

/** A counter sample. */
export function counter(value: number, l: Record<string, string> = {}, timestampMs?: number): Metric {
  return withTimestamp({ label: labels(l), counter: { value } }, timestampMs);
}

/** A gauge sample. */
export function gauge(value: number, l: Record<string, string> = {}, timestampMs?: number): Metric {
  return withTimestamp({ label: labels(l), gauge: { value } }, timestampMs);
}

/** A summary metric; unspecified fields are 0 / []. */
export function summary(s: Partial<Summary>, l: Record<string, string> = {}): Metric {
  return { label: labels(l), summary: { sampleCount: 0, sampleSum: 0, quantile: [], ...s } };
}

/** A histogram metric; unspecified fields are 0 / []. */
export function histogram(h: Partial<Histogram>, l: Record<string, string> = {}): Metric {
  return { label: labels(l), histogram: { sampleCount: 0, sampleSum: 0, bucket: [], ...h } };
}

/** Classic buckets from `[upperBound, cumulativeCount]` pairs. */
export function buckets(...pairs: Array<[number, number]>): Histogram['bucket'] {
  return pairs.map(([upperBound, cumulativeCount]) => ({ upperBound, cumulativeCount }));
}

function withTimestamp(metric: Metric, timestampMs?: number): Metric {
  if (timestampMs !== undefined) {
    metric.timestampMs = timestampMs;
  }
  return metric;
}
