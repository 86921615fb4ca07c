/**
 * OpenMetrics 1.0 text encoder for scrapes (only behind SCRAPE_OPENMETRICS; upstream never answers
 * in OpenMetrics). Written from the OpenMetrics specification; the choices that the specification
 * leaves open follow what prometheus/common's `MetricFamilyToOpenMetrics` does by default (no
 * `_created` lines, a counter's `_total` taken off its TYPE name), so Prometheus reads the same
 * series names as from a text 0.0.4 scrape of a counter that ends in `_total`.
 */
import { formatFloat } from 'src/core/exposition/format-float';
import { isValidMetricName } from 'src/core/model/labels';
import { Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';

/** The line every OpenMetrics exposition ends with. */
export const OPENMETRICS_EOF = '# EOF\n';

const TYPE_WORD: Readonly<Record<MetricType, string>> = {
  [MetricType.COUNTER]: 'counter',
  [MetricType.GAUGE]: 'gauge',
  [MetricType.SUMMARY]: 'summary',
  [MetricType.UNTYPED]: 'unknown',
  [MetricType.HISTOGRAM]: 'histogram',
  [MetricType.GAUGE_HISTOGRAM]: 'gaugehistogram',
};

/**
 * One family as OpenMetrics text (without `# EOF`):
 * - a counter named `x_total` is declared `x` with samples `x_total`; a counter named `x` is
 *   declared `x` with samples `x_total` (so its series name changes: the reason this output is off
 *   by default);
 * - untyped becomes `unknown`; `# UNIT` is written when the name ends with `_<unit>`;
 * - floats as OpenMetrics writes them (`1.0`, `+Inf`, `NaN`), counts as integers;
 * - exemplars on counter totals and histogram buckets; no `_created` lines, no timestamps.
 * Names that are not legacy names are written quoted (callers escape them first when the scraper
 * asked for an escaping).
 */
export function encodeOpenMetricsFamily(mf: MetricFamily): string {
  const base = mf.type === MetricType.COUNTER && mf.name.endsWith('_total') ? mf.name.slice(0, -'_total'.length) : mf.name;
  let out = '';
  if (mf.help !== '') {
    out += `# HELP ${writeName(base)} ${escape(mf.help)}\n`;
  }
  out += `# TYPE ${writeName(base)} ${TYPE_WORD[mf.type] ?? 'unknown'}\n`;
  if (mf.unit !== undefined && mf.unit !== '' && base.endsWith(`_${mf.unit}`)) {
    out += `# UNIT ${writeName(base)} ${mf.unit}\n`;
  }
  for (const m of mf.metric) {
    out += metricLines(mf.type, base, m);
  }
  return out;
}

function metricLines(type: MetricType, base: string, m: Metric): string {
  switch (type) {
    case MetricType.COUNTER:
      return sample(`${base}_total`, m.label, omFloat(m.counter?.value ?? 0), m.counter?.exemplar);
    case MetricType.GAUGE:
      return sample(base, m.label, omFloat(m.gauge?.value ?? 0));
    case MetricType.UNTYPED:
      return sample(base, m.label, omFloat(m.untyped?.value ?? 0));
    case MetricType.SUMMARY: {
      const s = m.summary ?? { sampleCount: 0, sampleSum: 0, quantile: [] };
      let out = '';
      for (const q of s.quantile) {
        out += sample(base, [...m.label, { name: 'quantile', value: omFloat(q.quantile) }], omFloat(q.value));
      }
      return out + sample(`${base}_sum`, m.label, omFloat(s.sampleSum)) + sample(`${base}_count`, m.label, omCount(s.sampleCount));
    }
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return histogramLines(type === MetricType.GAUGE_HISTOGRAM, base, m);
    default:
      return '';
  }
}

function histogramLines(gauge: boolean, base: string, m: Metric): string {
  const h: Histogram = m.histogram ?? { sampleCount: 0, sampleSum: 0, bucket: [] };
  const count = h.sampleCountFloat ?? h.sampleCount;
  let out = '';
  let inf = false;
  for (const b of h.bucket) {
    out += sample(
      `${base}_bucket`,
      [...m.label, { name: 'le', value: omFloat(b.upperBound) }],
      omCount(b.cumulativeCountFloat ?? b.cumulativeCount),
      b.exemplar,
    );
    inf ||= b.upperBound === Infinity;
  }
  if (!inf) {
    out += sample(`${base}_bucket`, [...m.label, { name: 'le', value: '+Inf' }], omCount(count));
  }
  return (
    out +
    sample(`${base}${gauge ? '_gsum' : '_sum'}`, m.label, omFloat(h.sampleSum)) +
    sample(`${base}${gauge ? '_gcount' : '_count'}`, m.label, omCount(count))
  );
}

function sample(name: string, labels: LabelPair[], value: string, exemplar?: Exemplar): string {
  const inner = labels.map((l) => `${writeName(l.name)}="${escape(l.value)}"`).join(',');
  const head = isValidMetricName(name) ? (inner === '' ? name : `${name}{${inner}}`) : `{"${escape(name)}"${inner === '' ? '' : `,${inner}`}}`;
  return `${head} ${value}${exemplar === undefined ? '' : exemplarText(exemplar)}\n`;
}

function exemplarText(e: Exemplar): string {
  const labels = e.label.map((l) => `${writeName(l.name)}="${escape(l.value)}"`).join(',');
  const ts = e.timestampMs === undefined ? '' : ` ${formatFloat(e.timestampMs / 1000)}`;
  return ` # {${labels}} ${omFloat(e.value)}${ts}`;
}

function writeName(name: string): string {
  return isValidMetricName(name) ? name : `"${escape(name)}"`;
}

/** `\\`, `\n` and `"` escaped, as OpenMetrics requires in label values and HELP. */
function escape(v: string): string {
  return /[\\\n"]/.test(v) ? v.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : v;
}

/** OpenMetrics floats: `+Inf`, `-Inf`, `NaN`; otherwise Go's shortest form, with `.0` on integers. */
export function omFloat(v: number): string {
  if (Number.isNaN(v)) {
    return 'NaN';
  }
  if (v === Infinity) {
    return '+Inf';
  }
  if (v === -Infinity) {
    return '-Inf';
  }
  const s = formatFloat(v === 0 ? 0 : v);
  return /[e.]/.test(s) ? s : `${s}.0`;
}

/** Counts are integers in OpenMetrics; a float count that is not whole keeps its fraction. */
function omCount(v: number): string {
  return Number.isInteger(v) ? String(v) : omFloat(v);
}
