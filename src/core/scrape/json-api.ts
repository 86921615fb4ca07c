import { Labels } from 'src/core/model/labels';
import { Histogram, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';
import { formatFloat } from 'src/core/exposition/format-float';
import { typeName } from 'src/core/consistency/family-names';
import { PUSH_FAILURE_TIME_HELP, PUSH_TIME_HELP } from 'src/core/scrape/render';
import { PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC } from 'src/core/grouping/sanitize';

/** One group as `GET /api/v1/metrics` needs it; families already decoded. */
export interface JsonGroupInput {
  labels: Labels;
  exposedLabels: Labels;
  pushTime: number;
  pushFailureTime: number;
  families: { family: MetricFamily; pushedAt: number }[];
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Upstream's JSON shape for one group: `labels`, `last_push_successful`, and one key per family
 * (push_time_seconds and push_failure_time_seconds included) holding time_stamp, type, help
 * (omitted when empty) and metrics. Every number is a string formatted like Go's %v.
 */
export function groupToJson(g: JsonGroupInput): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const lastPush = g.families.reduce((t, f) => Math.max(t, f.pushedAt), g.pushTime);
  for (const { family, pushedAt } of g.families) {
    out[family.name] = familyToJson(family, pushedAt);
  }
  out[PUSH_TIME_METRIC] = gauge(PUSH_TIME_HELP, g.exposedLabels, g.pushTime, lastPush);
  out[PUSH_FAILURE_TIME_METRIC] = gauge(PUSH_FAILURE_TIME_HELP, g.exposedLabels, g.pushFailureTime, Math.max(lastPush, g.pushFailureTime));
  out.labels = { ...g.labels };
  out.last_push_successful = g.pushFailureTime <= g.pushTime;
  return sortKeys(out);
}

function gauge(help: string, labels: Labels, value: number, at: number): JsonValue {
  return { time_stamp: rfc3339(at), type: 'GAUGE', help, metrics: [{ labels: { ...labels }, value: formatFloat(value) }] };
}

function familyToJson(mf: MetricFamily, pushedAt: number): JsonValue {
  const out: Record<string, JsonValue> = { time_stamp: rfc3339(pushedAt), type: typeName(mf.type) };
  if (mf.help !== '') {
    out.help = mf.help;
  }
  out.metrics = mf.metric.map((m) => metricToJson(mf.type, m));
  return sortKeys(out);
}

function metricToJson(type: MetricType, m: Metric): JsonValue {
  const labels = Object.fromEntries(m.label.map((l) => [l.name, l.value]));
  if (m.summary !== undefined) {
    const quantiles = Object.fromEntries(m.summary.quantile.map((q) => [formatFloat(q.quantile), formatFloat(q.value)]));
    return { labels, quantiles, count: String(m.summary.sampleCount), sum: formatFloat(m.summary.sampleSum) };
  }
  if (m.histogram !== undefined && hasNativeSpans(m.histogram)) {
    const h = m.histogram;
    const count = isFloatHistogram(h) ? (h.sampleCountFloat ?? 0) : h.sampleCount;
    return { labels, count: formatFloat(count), sum: formatFloat(h.sampleSum), buckets: nativeBuckets(h) };
  }
  if (m.histogram !== undefined) {
    const h = m.histogram;
    const buckets = Object.fromEntries(
      h.bucket.map((b) => [formatFloat(b.upperBound), b.cumulativeCountFloat !== undefined ? formatFloat(b.cumulativeCountFloat) : String(b.cumulativeCount)]),
    );
    const count = h.sampleCountFloat !== undefined && h.sampleCount === 0 ? formatFloat(h.sampleCountFloat) : String(h.sampleCount);
    return { labels, buckets, count, sum: formatFloat(h.sampleSum) };
  }
  const value = m.counter?.value ?? m.gauge?.value ?? m.untyped?.value ?? NaN;
  void type;
  return { labels, value: formatFloat(value) };
}

/**
 * Upstream 1.10's rule (pushgateway api/v1/api.go, #668): a histogram is shown as native if and only
 * if it has at least one span, even a no-op `{0,0}` one (then with `"buckets":[]`).
 */
function hasNativeSpans(h: Histogram): boolean {
  return (h.positiveSpan?.length ?? 0) > 0 || (h.negativeSpan?.length ?? 0) > 0;
}

/** A float histogram carries absolute float counts; an integer one delta-coded integer counts. */
function isFloatHistogram(h: Histogram): boolean {
  return (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0;
}

/** Bucket boundary rules of the Prometheus query API: 0 `(l,u]`, 1 `[l,u)`, 3 `[l,u]`. */
const OPEN_LEFT = 0;
const OPEN_RIGHT = 1;
const CLOSED = 3;

/**
 * Native buckets as `[rule, lower, upper, count]`, in the Prometheus query API's layout: negative
 * buckets from the most negative, the zero bucket, then positive buckets ascending; empty buckets
 * are left out. Numbers formatted like Go's %v.
 */
export function nativeBuckets(h: Histogram): JsonValue[] {
  const schema = h.schema ?? 0;
  const float = isFloatHistogram(h);
  const out: JsonValue[] = [];
  const negative = spanBuckets(h.negativeSpan ?? [], float ? (h.negativeCount ?? []) : undefined, h.negativeDelta ?? []);
  for (const [idx, count] of negative.reverse()) {
    out.push([OPEN_RIGHT, formatFloat(-bucketBound(idx, schema)), formatFloat(-bucketBound(idx - 1, schema)), formatFloat(count)]);
  }
  const zero = float ? (h.zeroCountFloat ?? 0) : (h.zeroCount ?? 0);
  if (zero > 0) {
    const zt = h.zeroThreshold ?? 0;
    out.push([CLOSED, formatFloat(-zt), formatFloat(zt), formatFloat(zero)]);
  }
  for (const [idx, count] of spanBuckets(h.positiveSpan ?? [], float ? (h.positiveCount ?? []) : undefined, h.positiveDelta ?? [])) {
    out.push([OPEN_LEFT, formatFloat(bucketBound(idx - 1, schema)), formatFloat(bucketBound(idx, schema)), formatFloat(count)]);
  }
  return out;
}

/** (bucket index, count) of every non-empty bucket the spans describe, by ascending index. */
function spanBuckets(spans: { offset: number; length: number }[], absolute: number[] | undefined, deltas: number[]): [number, number][] {
  const out: [number, number][] = [];
  let idx = 0;
  let i = 0;
  let current = 0;
  for (const span of spans) {
    idx += span.offset;
    for (let k = 0; k < span.length; k++, i++, idx++) {
      current = absolute !== undefined ? (absolute[i] ?? 0) : current + (deltas[i] ?? 0);
      if (current !== 0) {
        out.push([idx, current]);
      }
    }
  }
  return out;
}

/**
 * Upper bound of native bucket `idx` at `schema`: 2^(idx·2^-schema). Exact powers of two for
 * schema ≤ 0 and for every 2^schema-th index; in between, computed here, while Prometheus reads a
 * precomputed table, so those bounds can differ from upstream's in the last digit. The bucket
 * just below the overflow bucket ends at the largest float, as in Prometheus.
 */
export function bucketBound(idx: number, schema: number): number {
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp;
  }
  const perOctave = 2 ** schema;
  const fracIdx = ((idx % perOctave) + perOctave) % perOctave;
  const exp = Math.floor(idx / perOctave) + 1;
  if (fracIdx === 0 && exp === 1025) {
    return Number.MAX_VALUE;
  }
  return (2 ** (fracIdx / perOctave) / 2) * 2 ** exp;
}

/** RFC 3339 with fractional seconds, UTC (upstream uses the process's zone; UTC is unambiguous). */
export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function sortKeys(o: Record<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}
