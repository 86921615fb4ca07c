/**
 * Bounds a caller that would refuse a larger body anyway passes, so that such a body is refused
 * as soon as it shows, not after all of it was parsed (a 12 MB line of a million labels held the
 * event loop 1.4 s). Exceeding one throws ExpositionParseError (text: for the line where it happened).
 */
export interface ParseLimits {
  /** Series (a histogram or summary series counts once) in the whole body. */
  maxSeries: number;
  /** Labels of one series. */
  maxLabels: number;
}

/** The detail of the error a limit ends a parse with (text and OpenMetrics). */
export function limitDetail(limits: ParseLimits, what: 'series' | 'labels'): string {
  return what === 'series' ? `more than ${limits.maxSeries} series in one push` : `more than ${limits.maxLabels} labels in one series`;
}
