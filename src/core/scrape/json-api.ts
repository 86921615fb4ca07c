import { Labels } from 'src/core/model/labels';
import { Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';
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

/** RFC 3339 with fractional seconds, UTC (upstream uses the process's zone; UTC is unambiguous). */
export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function sortKeys(o: Record<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
