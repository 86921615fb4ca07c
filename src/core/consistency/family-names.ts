import { MetricType } from 'src/core/model/metric-family';

/** Upper-case type name as upstream prints it (`COUNTER`, `GAUGE`, ...). */
export function typeName(type: MetricType): string {
  return MetricType[type] ?? `TYPE_${type}`;
}

/** True for HISTOGRAM and GAUGE_HISTOGRAM. */
export function isHistogramType(type: MetricType): boolean {
  return type === MetricType.HISTOGRAM || type === MetricType.GAUGE_HISTOGRAM;
}

/** Names a histogram or summary family `name` also exposes (`_bucket` for histograms only). */
export function derivedNames(name: string, type: MetricType): string[] {
  if (type === MetricType.SUMMARY) {
    return [`${name}_sum`, `${name}_count`];
  }
  if (isHistogramType(type)) {
    return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  }
  return [];
}
