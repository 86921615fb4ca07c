/** Query results as the evaluator returns them (their API JSON form: src/query/api-json.ts). */

import type { Labels } from 'src/core/promql/labels';

/** A value at a time; `t` in ms since the epoch. */
export interface Point {
  t: number;
  v: number;
}

/** One element of an instant vector; `t` is the evaluation time. */
export interface VectorSample {
  metric: Labels;
  t: number;
  v: number;
}

/** One series of a range vector (range query results, or a range selector in an instant query). */
export interface MatrixSeries {
  metric: Labels;
  points: Point[];
}

/**
 * The result of a query, shaped like Prometheus' `data` object. Instant vectors keep
 * Prometheus' evaluation order; range query matrices are sorted by label set. `metric` objects
 * may be shared between results and with the evaluator: treat them as read-only.
 */
export type QueryResult =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: Point }
  | { resultType: 'string'; result: { t: number; v: string } };
