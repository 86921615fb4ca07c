/** Values flowing between evaluator nodes during one evaluation step. */

import { PromqlEvalError } from 'src/core/promql/errors';
import { goQuote } from 'src/core/promql/go-format';
import { Labels, formatLabels, labelsKey } from 'src/core/promql/labels';

/** An instant-vector element. `t` is the raw sample time, set only by vector selectors. */
export interface Sample {
  labels: Labels;
  v: number;
  t?: number;
}

/** An instant vector. */
export type Vector = Sample[];

/** A time and value; `t` in ms. */
export interface TimedValue {
  readonly t: number;
  readonly v: number;
}

/** One series' samples inside a range window: indexes [lo, hi) of `s` (ascending `t`). */
export interface WindowSeries {
  labels: Labels;
  s: readonly TimedValue[];
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
export type Value = { kind: 'scalar'; v: number } | { kind: 'string'; v: string } | { kind: 'vector'; samples: Vector } | RangeValue;

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

/** Index of the last sample (ascending `t`) with t <= bound, or from - 1. */
export function lastAtOrBefore(samples: readonly TimedValue[], bound: number, from = 0, to = samples.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid].t <= bound) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

/** Index of the first sample (ascending `t`) with t >= bound (`to` when none). */
export function firstAtOrAfter(samples: readonly TimedValue[], bound: number, from = 0, to = samples.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid].t < bound) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
