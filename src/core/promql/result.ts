/** Query results as the evaluator returns them, and their Prometheus API JSON form. */

import { formatPromValue } from 'src/core/promql/go-format';
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

/** A value pair as Prometheus' API writes it: `[1435781451.781, "1"]`. */
export type ApiValue = [number, string];

/** The JSON `data` object of `/api/v1/query` and `/api/v1/query_range`. */
export type ApiQueryData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: ApiValue }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values: ApiValue[] }[] }
  | { resultType: 'scalar'; result: ApiValue }
  | { resultType: 'string'; result: [number, string] };

/** Milliseconds → the seconds number Prometheus' API prints (`1435781451.781`). */
export function toApiTime(ms: number): number {
  return ms / 1000;
}

/** `[seconds, "value"]` with Prometheus' value formatting (`"NaN"`, `"+Inf"`, no exponents). */
export function toApiValue(p: Point): ApiValue {
  return [toApiTime(p.t), formatPromValue(p.v)];
}

/** Converts an evaluator result into the `data` member of a Prometheus API response. */
export function toApiData(r: QueryResult): ApiQueryData {
  switch (r.resultType) {
    case 'vector':
      return { resultType: 'vector', result: r.result.map((s) => ({ metric: { ...s.metric }, value: toApiValue(s) })) };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => ({ metric: { ...s.metric }, values: s.points.map(toApiValue) })),
      };
    case 'scalar':
      return { resultType: 'scalar', result: toApiValue(r.result) };
    case 'string':
      return { resultType: 'string', result: [toApiTime(r.result.t), r.result.v] };
  }
}
