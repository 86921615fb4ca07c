/**
 * The in-memory shape of a metric family. It mirrors `io.prometheus.client.MetricFamily`
 * (proto/metrics.proto) field for field, in protobufjs' camelCase naming, so a family read
 * from a protobuf push, a text push or the database is the same plain object and can be
 * re-encoded losslessly (native histograms included).
 */

/** Metric types as numbered in metrics.proto. */
export enum MetricType {
  COUNTER = 0,
  GAUGE = 1,
  SUMMARY = 2,
  UNTYPED = 3,
  HISTOGRAM = 4,
  GAUGE_HISTOGRAM = 5,
}

/** Lower-case type names used by the text format's `# TYPE` line. */
export const TEXT_TYPE_NAMES: Readonly<Record<MetricType, string>> = {
  [MetricType.COUNTER]: 'counter',
  [MetricType.GAUGE]: 'gauge',
  [MetricType.SUMMARY]: 'summary',
  [MetricType.UNTYPED]: 'untyped',
  [MetricType.HISTOGRAM]: 'histogram',
  [MetricType.GAUGE_HISTOGRAM]: 'gaugehistogram',
};

export interface LabelPair {
  name: string;
  value: string;
}

export interface Exemplar {
  label: LabelPair[];
  value: number;
  /** Milliseconds since the epoch, when present. */
  timestampMs?: number;
}

export interface SimpleValue {
  value: number;
}

export interface Counter extends SimpleValue {
  exemplar?: Exemplar;
  /** Milliseconds since the epoch, when present. */
  createdTimestampMs?: number;
}

export interface Quantile {
  quantile: number;
  value: number;
}

export interface Summary {
  sampleCount: number;
  sampleSum: number;
  quantile: Quantile[];
  createdTimestampMs?: number;
}

export interface Bucket {
  /** Cumulative count; `cumulativeCountFloat` is used instead when the histogram is a float histogram. */
  cumulativeCount: number;
  cumulativeCountFloat?: number;
  upperBound: number;
  exemplar?: Exemplar;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

export interface Histogram {
  sampleCount: number;
  sampleCountFloat?: number;
  sampleSum: number;
  bucket: Bucket[];
  createdTimestampMs?: number;
  // Native histogram fields (all optional; absent for classic histograms).
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  zeroCountFloat?: number;
  negativeSpan?: BucketSpan[];
  negativeDelta?: number[];
  negativeCount?: number[];
  positiveSpan?: BucketSpan[];
  positiveDelta?: number[];
  positiveCount?: number[];
  exemplars?: Exemplar[];
}

export interface Metric {
  label: LabelPair[];
  gauge?: SimpleValue;
  counter?: Counter;
  summary?: Summary;
  untyped?: SimpleValue;
  histogram?: Histogram;
  /** Milliseconds since the epoch. Pushes carrying it are rejected; kept for fidelity of parsing. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  metric: Metric[];
  unit?: string;
}

/** True when a histogram carries native (sparse) buckets. */
export function isNativeHistogram(h: Histogram): boolean {
  return (
    h.schema !== undefined &&
    ((h.positiveSpan?.length ?? 0) > 0 ||
      (h.negativeSpan?.length ?? 0) > 0 ||
      (h.zeroThreshold ?? 0) > 0 ||
      (h.zeroCount ?? 0) > 0 ||
      (h.zeroCountFloat ?? 0) > 0)
  );
}
