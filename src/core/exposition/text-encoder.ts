/**
 * Text format 0.0.4 encoder, byte-for-byte like Go's `expfmt.MetricFamilyToText` (prometheus/common),
 * which is what Pushgateway's `/metrics` writes for text scrapes.
 */
import { formatFloat } from 'src/core/exposition/format-float';
import { isValidMetricName } from 'src/core/model/labels';
import { Histogram, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';

/**
 * `# HELP name help\n# TYPE name type\n`. The HELP line is omitted when `help` is '' (Go writes it
 * only when set); `\` and newline in help are escaped. A name that is not a legacy metric name is
 * written double-quoted, as current Go does. GAUGE_HISTOGRAM, which 0.0.4 cannot express (Go's
 * encoder fails on it), is declared `histogram` so scrapes keep working.
 * Throws Error for a type number outside MetricType.
 */
export function encodeHeader(name: string, help: string, type: MetricType): string {
  const written = writeName(name);
  const helpLine = help === '' ? '' : `# HELP ${written} ${escapeHelp(help)}\n`;
  return `${helpLine}# TYPE ${written} ${typeKeyword(type)}\n`;
}

/**
 * The sample lines of `mf` (no HELP/TYPE), one or more per Metric in the family's metric order,
 * exactly as Go's text encoder writes them:
 * - `name{labels} value[ timestampMs]\n`, labels in the given order, values escaped (`\\`, `\"`, `\n`),
 *   floats via Go's formatting (`-0` written as `0`, like Go's writeFloat);
 * - summary: one line per quantile (`quantile="q"` appended to the labels), then `_sum`, `_count`;
 * - histogram and gauge histogram: `_bucket` lines (`le` appended), plus a `le="+Inf"` bucket holding the
 *   sample count if no bucket has that bound, then `_sum`, `_count`. Native-only histograms thus show
 *   just the `+Inf` bucket, `_sum` and `_count`. Float counts (`*CountFloat`) are used when present.
 * Throws Error when a metric lacks the value field its family type requires (Go: "expected counter in metric").
 */
export function encodeSamples(mf: MetricFamily): string {
  const names = seriesNames(mf.name);
  let out = '';
  for (const metric of mf.metric) {
    out += encodeMetric(mf, names, metric);
  }
  return out;
}

/** `encodeHeader` followed by `encodeSamples` for one family. */
export function encodeFamily(mf: MetricFamily): string {
  return encodeHeader(mf.name, mf.help, mf.type) + encodeSamples(mf);
}

/** The text before the labels for each suffix: `name` or `{"odd.name"` (braces opened). */
interface SeriesNames {
  legacy: boolean;
  plain: string;
  sum: string;
  count: string;
  bucket: string;
}

function seriesNames(name: string): SeriesNames {
  const legacy = isValidMetricName(name);
  const head = (n: string) => (legacy ? n : `"${escapeLabelValue(n)}"`);
  return {
    legacy,
    plain: head(name),
    sum: head(`${name}_sum`),
    count: head(`${name}_count`),
    bucket: head(`${name}_bucket`),
  };
}

function encodeMetric(mf: MetricFamily, names: SeriesNames, metric: Metric): string {
  const labels = labelText(metric.label);
  const ts = metric.timestampMs === undefined ? '' : ` ${writeInt(metric.timestampMs)}`;
  const line = (name: string, extra: string, value: number) => sampleLine(names.legacy, name, labels, extra, value, ts);
  switch (mf.type) {
    case MetricType.COUNTER:
      return line(names.plain, '', required(mf, metric, 'counter').value);
    case MetricType.GAUGE:
      return line(names.plain, '', required(mf, metric, 'gauge').value);
    case MetricType.UNTYPED:
      return line(names.plain, '', required(mf, metric, 'untyped').value);
    case MetricType.SUMMARY: {
      const s = required(mf, metric, 'summary');
      let out = '';
      for (const q of s.quantile) {
        out += line(names.plain, `quantile="${writeFloat(q.quantile)}"`, q.value);
      }
      return out + line(names.sum, '', s.sampleSum) + line(names.count, '', s.sampleCount);
    }
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return histogramLines(required(mf, metric, 'histogram'), names, line);
    default:
      throw new Error(`unexpected type in metric ${mf.name}: ${String(mf.type)}`);
  }
}

function histogramLines(h: Histogram, names: SeriesNames, line: (name: string, extra: string, value: number) => string): string {
  const count = h.sampleCountFloat ?? h.sampleCount;
  let out = '';
  let infSeen = false;
  for (const b of h.bucket) {
    out += line(names.bucket, `le="${writeFloat(b.upperBound)}"`, b.cumulativeCountFloat ?? b.cumulativeCount);
    infSeen ||= b.upperBound === Infinity;
  }
  if (!infSeen) {
    out += line(names.bucket, 'le="+Inf"', count);
  }
  return out + line(names.sum, '', h.sampleSum) + line(names.count, '', count);
}

function required<K extends 'counter' | 'gauge' | 'untyped' | 'summary' | 'histogram'>(mf: MetricFamily, metric: Metric, field: K): NonNullable<Metric[K]> {
  const value = metric[field];
  if (value === undefined || value === null) {
    throw new Error(`expected ${field} in metric ${mf.name} {${labelText(metric.label)}}`);
  }
  return value as NonNullable<Metric[K]>;
}

function sampleLine(legacy: boolean, name: string, labels: string, extra: string, value: number, ts: string): string {
  const inner = extra === '' ? labels : labels === '' ? extra : `${labels},${extra}`;
  let head: string;
  if (legacy) {
    head = inner === '' ? name : `${name}{${inner}}`;
  } else {
    head = inner === '' ? `{${name}}` : `{${name},${inner}}`;
  }
  return `${head} ${writeFloat(value)}${ts}\n`;
}

/** `a="1",b="2"` without braces; '' for no labels. */
function labelText(labels: LabelPair[]): string {
  let out = '';
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    out += `${i === 0 ? '' : ','}${writeName(l.name)}="${escapeLabelValue(l.value)}"`;
  }
  return out;
}

/** Go's writeName: legacy-valid names bare, anything else double-quoted and escaped. */
function writeName(name: string): string {
  return isValidMetricName(name) ? name : `"${escapeLabelValue(name)}"`;
}

const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const HELP_SPECIAL = /[\\\n]/;

function escapeLabelValue(v: string): string {
  if (!LABEL_VALUE_SPECIAL.test(v)) {
    return v;
  }
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(v: string): string {
  if (!HELP_SPECIAL.test(v)) {
    return v;
  }
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Go's writeFloat: like formatFloat, except that every zero (including -0) is written `0`. */
function writeFloat(v: number): string {
  return v === 0 ? '0' : formatFloat(v);
}

function writeInt(v: number): string {
  const i = Math.trunc(v);
  return Math.abs(i) < 1e21 ? String(i === 0 ? 0 : i) : BigInt(i).toString();
}

function typeKeyword(type: MetricType): string {
  switch (type) {
    case MetricType.COUNTER:
      return 'counter';
    case MetricType.GAUGE:
      return 'gauge';
    case MetricType.SUMMARY:
      return 'summary';
    case MetricType.UNTYPED:
      return 'untyped';
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return 'histogram';
    default:
      throw new Error(`unknown metric type ${String(type)}`);
  }
}
