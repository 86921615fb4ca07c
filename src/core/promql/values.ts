/** Values flowing between evaluator nodes during one evaluation step. */

import { PromqlEvalError } from './errors';
import { goQuote } from './go-format';
import { Labels, formatLabels, labelsKey } from './labels';

/** An instant-vector element. `t` is the raw sample time, set only by vector selectors. */
export interface Sample {
  labels: Labels;
  v: number;
  t?: number;
}

/** An instant vector. */
export type Vector = Sample[];

/** One series' samples inside a range window: indexes [lo, hi) of `t`/`v` (ascending `t`). */
export interface WindowSeries {
  labels: Labels;
  t: ArrayLike<number>;
  v: ArrayLike<number>;
  lo: number;
  hi: number;
}

/** A range vector at one step; `refT` is the window's end and `rangeMs` its length. */
export interface RangeValue {
  kind: 'matrix';
  series: WindowSeries[];
  refT: number;
  rangeMs: number;
}

/** Any value an expression can produce at one step. */
export type Value =
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'vector'; samples: Vector }
  | RangeValue;

/** Throws Prometheus' error when two elements share a label set. */
export function assertUniqueLabels(vec: Vector): void {
  if (vec.length < 2) {
    return;
  }
  const seen = new Set<string>();
  for (const s of vec) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) {
      throw new PromqlEvalError('execution', 'vector cannot contain metrics with the same labelset');
    }
    seen.add(key);
  }
}

/** Prometheus' `Labels.String()` form, for error messages. */
export function labelsString(labels: Labels): string {
  return formatLabels(labels, goQuote);
}

/** Index of the last element of ascending `ts` that is <= t, or -1. */
export function lastAtOrBefore(ts: ArrayLike<number>, t: number, from = 0, to = ts.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

/** Index of the first element of ascending `ts` that is >= t (ts.length when none). */
export function firstAtOrAfter(ts: ArrayLike<number>, t: number, from = 0, to = ts.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
