/**
 * The port through which the PromQL evaluator reads raw samples. Storage implements it against
 * SQL; tests use MemorySeriesSource. The evaluator calls `select` once per selector in the query
 * (not once per step) and does all time-slicing in memory.
 */

import type { LoadBudget } from 'src/core/promql/query-budget';

export type { LoadBudget } from 'src/core/promql/query-budget';

/** `=`, `!=`, `=~` (fully anchored RE2 regex), `!~`. */
export type LabelMatcherType = '=' | '!=' | '=~' | '!~';

/**
 * One label matcher. A missing label has the value "", so `{a!="x"}` also selects series without
 * `a`, and `{a=""}` selects series without `a`. Regexes are RE2 syntax anchored at both ends;
 * `compileMatcher` in `matchers.ts` gives an implementation the exact semantics.
 */
export interface LabelMatcher {
  type: LabelMatcherType;
  name: string;
  value: string;
}

/**
 * One raw sample. `t` is in milliseconds since the epoch. A stale marker ends a series: the
 * gateway writes one when a series is replaced or deleted; its `v` is ignored.
 */
export interface Sample {
  t: number;
  v: number;
  stale?: boolean;
}

/** A series: its full label set (including `__name__`) and samples in ascending `t`. */
export interface Series {
  labels: Record<string, string>;
  samples: Sample[];
}

/** The time span of one `select` call. */
export interface SelectRange {
  /** Inclusive lower bound in ms. */
  startMs: number;
  /** Inclusive upper bound in ms. */
  endMs: number;
  /**
   * Also return, per series, the latest sample at or before `startMs` (even when it is a stale
   * marker), so an instant lookup sees values pushed long ago. Series whose only such sample is
   * older than `startMs` are then included too.
   */
  includePrevious: boolean;
}

/** Supplies raw samples to the evaluator. */
export interface SeriesSource {
  /**
   * Returns the series matching all `matchers` with their samples in [startMs, endMs], plus the
   * previous sample when `range.includePrevious` is set. Series without any returned sample may
   * be omitted. Series are sorted by label set (label names, then values, pairwise in name order,
   * as Prometheus' `labels.Compare`); samples ascend by `t`. The evaluator neither mutates nor
   * keeps the returned objects beyond the query.
   *
   * `budget` (given by the evaluator) bounds the load: a source should call `budget.hold(n)` with
   * the samples of each page or series as it loads them (it throws once the query would hold too
   * many, ending the load early), and await `budget.checkpoint()` between pages or every few
   * thousand series (it throws on timeout or cancel and yields to the event loop now and then).
   * `budget.remainingMs()` bounds a single storage statement. What a source counts is only used
   * to stop early: the evaluator recounts what is returned.
   */
  select(matchers: LabelMatcher[], range: SelectRange, budget?: LoadBudget): Promise<Series[]>;

  /**
   * Optional: what `select` returns, in the same order, as consecutive pages of about `pageSize`
   * series, each loaded only when the consumer asks for it. With it, an aggregation over one
   * selector holds one page at a time instead of every series (see evaluator.ts, streamed
   * aggregations). The budget is used as in `select`; the consumer releases what it counted once
   * it is done with a page.
   */
  selectPages?(matchers: LabelMatcher[], range: SelectRange, pageSize: number, budget?: LoadBudget): AsyncIterable<Series[]>;
}
