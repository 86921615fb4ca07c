/**
 * The PromQL evaluator. A query is evaluated step by step (one step for instant queries), but
 * data is fetched once per selector for the whole query before the first step, and subquery
 * results are computed incrementally and shared by all steps, so a range query costs about
 * `steps × series × log(samples)`.
 *
 * Gateway semantics: an instant vector selector at time t yields, per series, the latest sample
 * at or before t (after offset/@) unless that sample is a stale marker — there is no 5-minute
 * lookback cut-off (set `lookbackDeltaMs` to get Prometheus' behaviour). Range selectors
 * `x[r]` take the non-stale samples in [t - r, t], both ends inclusive, as Prometheus 2.x does
 * (Prometheus 3 made the start exclusive).
 */

import type { AggregateExpr, AtModifier, BinaryExpr, Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from 'src/core/promql/ast';
import { aggregate, AggregationCache, newAggregationCache } from 'src/core/promql/aggregations';
import { BinaryCache, newBinaryCache, scalarBinop, vectorAnd, vectorBinop, vectorOr, vectorScalarBinop, vectorUnless } from 'src/core/promql/binary';
import { PromqlEvalError } from 'src/core/promql/errors';
import { FUNCTIONS } from 'src/core/promql/function-defs';
import { INSTANT_FUNCTIONS, KEEPS_METRIC_NAME, RANGE_FUNCTIONS, absentLabels, needsUniquenessCheck } from 'src/core/promql/functions';
import { Labels, compareLabels, dropMetricName, emptyLabels, labelsFromRecord, labelsKey } from 'src/core/promql/labels';
import { parseExpr, valueTypeOf } from 'src/core/promql/parser';
import type { MatrixSeries, Point, QueryResult } from 'src/core/promql/result';
import type { Sample, SelectRange, SeriesSource } from 'src/core/promql/series-source';
import { RangeValue, TimedValue, Value, Vector, WindowSeries, assertUniqueLabels, firstAtOrAfter, lastAtOrBefore } from 'src/core/promql/values';

/** Tuning and limits of one evaluation. */
export interface EvalOptions {
  /** Step of subqueries written without one (`x[1h:]`); Prometheus' evaluation_interval. Default 60000. */
  defaultSubqueryStepMs?: number;
  /**
   * Most samples held at once: fetched samples + subquery points + result points. Exceeding it
   * throws PromqlEvalError('execution'). Default 50,000,000 (Prometheus' --query.max-samples).
   */
  maxSamples?: number;
  /** Evaluation budget in ms measured with `now`; exceeding it throws PromqlEvalError('timeout'). */
  timeoutMs?: number;
  /** Clock for `timeoutMs` in ms. Default `Date.now`. */
  now?: () => number;
  /** Checked between steps; when `aborted` becomes true the evaluation throws PromqlEvalError('canceled'). */
  signal?: { readonly aborted: boolean };
  /**
   * Prometheus' lookback delta in ms: when set, instant selectors ignore samples older than
   * t - lookbackDeltaMs (inclusive bound, as Prometheus 2.x). Unset (the default) means the
   * gateway semantics: no cut-off.
   */
  lookbackDeltaMs?: number;
}

/** A range query's result: always a matrix sorted by label set. */
export type RangeQueryResult = Extract<QueryResult, { resultType: 'matrix' }>;

const DEFAULT_SUBQUERY_STEP_MS = 60_000;
const DEFAULT_MAX_SAMPLES = 50_000_000;
/** Prometheus' API limit on points per series in a range query. */
const MAX_POINTS_PER_SERIES = 11_000;

/**
 * Evaluates `query` at `timeMs`. Returns a vector, scalar, string, or (for a range selector or
 * subquery at the top) a matrix with the raw sample timestamps. Throws PromqlParseError for a
 * query string that does not parse and PromqlEvalError when evaluation fails.
 */
export async function evaluateInstant(query: string | Expr, timeMs: number, source: SeriesSource, opts: EvalOptions = {}): Promise<QueryResult> {
  const expr = typeof query === 'string' ? parseExpr(query) : query;
  const ev = await Evaluator.create(expr, { startMs: timeMs, endMs: timeMs }, source, opts);
  return ev.instantResult(expr, timeMs);
}

/**
 * Evaluates `query` at start, start + step, ... up to `endMs` (inclusive) and returns the
 * series sorted by label set, each with the steps where it had a value. The expression must be
 * a scalar (returned as one series with no labels) or an instant vector. Throws
 * PromqlEvalError('bad_data') for invalid parameters or expression type, as Prometheus' API does.
 */
export async function evaluateRange(
  query: string | Expr,
  startMs: number,
  endMs: number,
  stepMs: number,
  source: SeriesSource,
  opts: EvalOptions = {},
): Promise<RangeQueryResult> {
  checkRangeParams(startMs, endMs, stepMs);
  const expr = typeof query === 'string' ? parseExpr(query) : query;
  const type = valueTypeOf(expr);
  if (type !== 'scalar' && type !== 'vector') {
    const documented = type === 'matrix' ? 'range vector' : type;
    throw new PromqlEvalError('bad_data', `invalid expression type "${documented}" for range query, must be Scalar or instant Vector`);
  }
  const ev = await Evaluator.create(expr, { startMs, endMs }, source, opts);
  return ev.rangeResult(expr, startMs, endMs, stepMs);
}

function checkRangeParams(startMs: number, endMs: number, stepMs: number): void {
  if (endMs < startMs) {
    throw new PromqlEvalError('bad_data', 'end timestamp must not be before start time');
  }
  if (!(stepMs > 0)) {
    throw new PromqlEvalError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  }
  if ((endMs - startMs) / stepMs > MAX_POINTS_PER_SERIES) {
    throw new PromqlEvalError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  }
}

/** The query's own start and end, which `@ start()` and `@ end()` refer to. */
interface QueryTimes {
  startMs: number;
  endMs: number;
}

/** Fetched samples of one series; stale markers are kept for instant selectors only. */
interface PreparedSeries {
  labels: Labels;
  samples: readonly Sample[];
}

interface SelectorPlan {
  selector: VectorSelector;
  range: SelectRange;
  instant: boolean;
}

/** Incrementally computed points of a subquery's inner expression, shared across steps. */
interface SubqueryState {
  stepMs: number;
  nextT: number | undefined;
  lastRefT: number;
  series: Map<string, { labels: Labels; samples: TimedValue[] }>;
}

function refTime(at: AtModifier | undefined, t: number, times: QueryTimes): number {
  if (!at) {
    return t;
  }
  return at.kind === 'time' ? at.ms : at.kind === 'start' ? times.startMs : times.endMs;
}

/** Works out, per selector, which samples any step of the query can need. */
function planSelectors(expr: Expr, times: QueryTimes, defaultStepMs: number): SelectorPlan[] {
  const plans: SelectorPlan[] = [];
  const span = (at: AtModifier | undefined, offsetMs: number, lo: number, hi: number): [number, number] =>
    at ? [refTime(at, lo, times) - offsetMs, refTime(at, hi, times) - offsetMs] : [lo - offsetMs, hi - offsetMs];
  const visit = (e: Expr, lo: number, hi: number): void => {
    switch (e.type) {
      case 'VectorSelector': {
        const [a, b] = span(e.at, e.offsetMs, lo, hi);
        plans.push({ selector: e, range: { startMs: a, endMs: b, includePrevious: true }, instant: true });
        return;
      }
      case 'MatrixSelector': {
        const [a, b] = span(e.selector.at, e.selector.offsetMs, lo, hi);
        plans.push({ selector: e.selector, range: { startMs: a - e.rangeMs, endMs: b, includePrevious: false }, instant: false });
        return;
      }
      case 'SubqueryExpr': {
        const [a, b] = span(e.at, e.offsetMs, lo, hi);
        const step = e.stepMs || defaultStepMs;
        return visit(e.expr, Math.ceil((a - e.rangeMs) / step) * step, b);
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        return visit(e.expr, lo, hi);
      case 'BinaryExpr':
        visit(e.lhs, lo, hi);
        return visit(e.rhs, lo, hi);
      case 'AggregateExpr':
        if (e.param) {
          visit(e.param, lo, hi);
        }
        return visit(e.expr, lo, hi);
      case 'Call':
        return e.args.forEach((a) => visit(a, lo, hi));
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  visit(expr, times.startMs, times.endMs);
  return plans;
}

class Evaluator {
  private readonly subqueries = new Map<SubqueryExpr, SubqueryState>();
  private readonly binaryCaches = new Map<BinaryExpr, BinaryCache>();
  private readonly aggregationCaches = new Map<AggregateExpr, AggregationCache>();
  private readonly cursors = new Map<Expr, WindowCursor>();
  private readonly maxSamples: number;
  private readonly deadline: number | undefined;
  private readonly now: () => number;
  private held = 0;

  private constructor(
    private readonly data: Map<VectorSelector, PreparedSeries[]>,
    private readonly times: QueryTimes,
    private readonly opts: EvalOptions,
  ) {
    this.maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.now = opts.now ?? Date.now;
    this.deadline = opts.timeoutMs === undefined ? undefined : this.now() + opts.timeoutMs;
  }

  /** Fetches every selector's samples (in parallel) and returns a ready evaluator. */
  static async create(expr: Expr, times: QueryTimes, source: SeriesSource, opts: EvalOptions): Promise<Evaluator> {
    const plans = planSelectors(expr, times, opts.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS);
    const data = new Map<VectorSelector, PreparedSeries[]>();
    const ev = new Evaluator(data, times, opts);
    const fetched = await Promise.all(plans.map((p) => source.select(p.selector.matchers, p.range)));
    plans.forEach((plan, i) => {
      const prepared = fetched[i].map((s) => prepareSeries(s.labels, s.samples, plan.instant));
      ev.hold(prepared.reduce((n, s) => n + s.samples.length, 0));
      data.set(plan.selector, prepared);
    });
    ev.checkLimits();
    return ev;
  }

  // ---- results ----

  instantResult(expr: Expr, t: number): QueryResult {
    const value = this.eval(expr, t);
    switch (value.kind) {
      case 'scalar':
        return { resultType: 'scalar', result: { t, v: value.v } };
      case 'string':
        return { resultType: 'string', result: { t, v: value.v } };
      case 'vector':
        return { resultType: 'vector', result: value.samples.map((s) => ({ metric: s.labels, t, v: s.v })) };
      case 'matrix':
        return { resultType: 'matrix', result: value.series.map(windowPoints) };
    }
  }

  rangeResult(expr: Expr, startMs: number, endMs: number, stepMs: number): RangeQueryResult {
    const series = new Map<string, MatrixSeries>();
    // Most steps repeat the same label-set objects; looking them up by identity first is cheap.
    const byObject = new Map<Labels, MatrixSeries>();
    for (let t = startMs; t <= endMs; t += stepMs) {
      this.checkLimits();
      const value = this.eval(expr, t);
      const samples: Vector = value.kind === 'scalar' ? [{ labels: emptyLabels(), v: value.v }] : value.kind === 'vector' ? value.samples : [];
      for (const s of samples) {
        let out = byObject.get(s.labels);
        if (!out) {
          const key = labelsKey(s.labels);
          out = series.get(key) ?? { metric: s.labels, points: [] };
          series.set(key, out);
          byObject.set(s.labels, out);
        }
        out.points.push({ t, v: s.v });
      }
      this.hold(samples.length);
    }
    return { resultType: 'matrix', result: [...series.values()].sort((a, b) => compareLabels(a.metric, b.metric)) };
  }

  // ---- limits ----

  private hold(samples: number): void {
    this.held += samples;
    if (this.held > this.maxSamples) {
      throw new PromqlEvalError('execution', 'query processing would load too many samples into memory in query execution');
    }
  }

  private checkLimits(): void {
    if (this.opts.signal?.aborted) {
      throw new PromqlEvalError('canceled', 'query was canceled in query execution');
    }
    if (this.deadline !== undefined && this.now() > this.deadline) {
      throw new PromqlEvalError('timeout', 'query timed out in query execution');
    }
  }

  // ---- evaluation ----

  private eval(e: Expr, t: number): Value {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', v: e.value };
      case 'StringLiteral':
        return { kind: 'string', v: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, t);
      case 'UnaryExpr':
        return this.evalUnary(e.op, e.expr, t);
      case 'VectorSelector':
        return { kind: 'vector', samples: this.evalSelector(e, t) };
      case 'MatrixSelector':
        return this.evalMatrix(e, t);
      case 'SubqueryExpr':
        return this.evalSubquery(e, t);
      case 'BinaryExpr':
        return this.evalBinary(e, t);
      case 'AggregateExpr':
        return this.evalAggregate(e, t);
      case 'Call':
        return this.evalCall(e, t);
    }
  }

  private evalVector(e: Expr, t: number): Vector {
    const v = this.eval(e, t);
    return v.kind === 'vector' ? v.samples : [];
  }

  private evalUnary(op: '-' | '+', inner: Expr, t: number): Value {
    const v = this.eval(inner, t);
    if (op === '+') {
      return v;
    }
    if (v.kind === 'scalar') {
      return { kind: 'scalar', v: -v.v };
    }
    const samples = (v.kind === 'vector' ? v.samples : []).map((s) => ({ labels: dropMetricName(s.labels), v: -s.v }));
    assertUniqueLabels(samples);
    return { kind: 'vector', samples };
  }

  private evalSelector(vs: VectorSelector, t: number): Vector {
    const refT = refTime(vs.at, t, this.times) - vs.offsetMs;
    const lookback = this.opts.lookbackDeltaMs;
    const minT = lookback === undefined ? -Infinity : refT - lookback;
    const out: Vector = [];
    for (const s of this.data.get(vs) ?? []) {
      const i = lastAtOrBefore(s.samples, refT);
      const sample = s.samples[i];
      if (i < 0 || sample.stale || sample.t < minT) {
        continue;
      }
      out.push({ labels: s.labels, v: sample.v, t: sample.t });
    }
    return out;
  }

  private evalMatrix(ms: MatrixSelector, t: number): RangeValue {
    const vs = ms.selector;
    const refT = refTime(vs.at, t, this.times) - vs.offsetMs;
    return { kind: 'matrix', series: this.cursor(ms).windows(this.data.get(vs) ?? [], refT - ms.rangeMs, refT), refT, rangeMs: ms.rangeMs };
  }

  private evalSubquery(sq: SubqueryExpr, t: number): RangeValue {
    const refT = refTime(sq.at, t, this.times) - sq.offsetMs;
    const state = this.advanceSubquery(sq, refT);
    return { kind: 'matrix', series: this.cursor(sq).windows([...state.series.values()], refT - sq.rangeMs, refT), refT, rangeMs: sq.rangeMs };
  }

  private cursor(node: Expr): WindowCursor {
    let c = this.cursors.get(node);
    if (!c) {
      c = new WindowCursor();
      this.cursors.set(node, c);
    }
    return c;
  }

  /** Evaluates the inner expression at the aligned steps up to refT that earlier steps did not cover. */
  private advanceSubquery(sq: SubqueryExpr, refT: number): SubqueryState {
    let state = this.subqueries.get(sq);
    if (!state || refT < state.lastRefT) {
      state = { stepMs: sq.stepMs || (this.opts.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS), nextT: undefined, lastRefT: -Infinity, series: new Map() };
      this.subqueries.set(sq, state);
    }
    const step = state.stepMs;
    const first = Math.ceil((refT - sq.rangeMs) / step) * step;
    let u = state.nextT === undefined || first > state.nextT ? first : state.nextT;
    for (; u <= refT; u += step) {
      this.checkLimits();
      const samples = this.evalVector(sq.expr, u);
      for (const s of samples) {
        const key = labelsKey(s.labels);
        let series = state.series.get(key);
        if (!series) {
          series = { labels: s.labels, samples: [] };
          state.series.set(key, series);
        }
        series.samples.push({ t: u, v: s.v });
      }
      this.hold(samples.length);
    }
    state.nextT = u;
    state.lastRefT = refT;
    return state;
  }

  private evalBinary(e: BinaryExpr, t: number): Value {
    const l = this.eval(e.lhs, t);
    const r = this.eval(e.rhs, t);
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      return { kind: 'scalar', v: scalarBinop(e, l.v, r.v) };
    }
    let cache = this.binaryCaches.get(e);
    if (!cache) {
      cache = newBinaryCache();
      this.binaryCaches.set(e, cache);
    }
    let out: Vector;
    if (l.kind === 'scalar') {
      out = vectorScalarBinop(e, r.kind === 'vector' ? r.samples : [], l.v, true);
    } else if (r.kind === 'scalar') {
      out = vectorScalarBinop(e, l.kind === 'vector' ? l.samples : [], r.v, false);
    } else {
      out = this.vectorVector(e, l.kind === 'vector' ? l.samples : [], r.kind === 'vector' ? r.samples : [], cache);
    }
    assertUniqueLabels(out);
    return { kind: 'vector', samples: out };
  }

  private vectorVector(e: BinaryExpr, l: Vector, r: Vector, cache: BinaryCache): Vector {
    const m = e.matching ?? { card: 'one-to-one', on: false, labels: [], include: [] };
    switch (e.op) {
      case 'and':
        return vectorAnd(m, l, r);
      case 'or':
        return vectorOr(m, l, r);
      case 'unless':
        return vectorUnless(m, l, r);
      default:
        return vectorBinop({ ...e, matching: m }, l, r, cache);
    }
  }

  private evalAggregate(e: AggregateExpr, t: number): Value {
    let param: number | string | undefined;
    if (e.param) {
      const p = this.eval(e.param, t);
      param = p.kind === 'scalar' || p.kind === 'string' ? p.v : undefined;
    }
    let cache = this.aggregationCaches.get(e);
    if (!cache) {
      cache = newAggregationCache();
      this.aggregationCaches.set(e, cache);
    }
    return { kind: 'vector', samples: aggregate(e, this.evalVector(e.expr, t), param, cache) };
  }

  private evalCall(e: Call, t: number): Value {
    const def = FUNCTIONS.get(e.func);
    const matrixIndex = def ? def.argTypes.indexOf('matrix') : -1;
    if (matrixIndex >= 0) {
      return this.evalRangeCall(e, matrixIndex, t);
    }
    const fn = INSTANT_FUNCTIONS.get(e.func);
    if (!fn) {
      throw new PromqlEvalError('execution', `function "${e.func}" is not supported by this gateway`);
    }
    const result = fn(
      e.args.map((a) => this.eval(a, t)),
      { node: e, t },
    );
    if (result.kind === 'vector' && needsUniquenessCheck(e.func)) {
      assertUniqueLabels(result.samples);
    }
    return result;
  }

  private evalRangeCall(e: Call, matrixIndex: number, t: number): Value {
    const scalars: number[] = [];
    e.args.forEach((a, i) => {
      if (i !== matrixIndex) {
        const v = this.eval(a, t);
        scalars.push(v.kind === 'scalar' ? v.v : NaN);
      }
    });
    const matrix = this.eval(e.args[matrixIndex], t) as RangeValue;
    if (e.func === 'absent_over_time') {
      const samples = matrix.series.length > 0 ? [] : [{ labels: absentLabels(e.args[matrixIndex]), v: 1 }];
      return { kind: 'vector', samples };
    }
    const fn = RANGE_FUNCTIONS.get(e.func);
    if (!fn) {
      throw new PromqlEvalError('execution', `function "${e.func}" is not supported by this gateway`);
    }
    const keepName = KEEPS_METRIC_NAME.has(e.func);
    const ctx = { refT: matrix.refT, rangeMs: matrix.rangeMs, scalars };
    const out: Vector = [];
    for (const w of matrix.series) {
      const v = fn(w, ctx);
      if (v !== undefined) {
        out.push({ labels: keepName ? w.labels : dropMetricName(w.labels), v });
      }
    }
    assertUniqueLabels(out);
    return { kind: 'vector', samples: out };
  }
}

/** Normalises a fetched series; range selectors drop stale markers, instant ones keep them. */
function prepareSeries(record: Record<string, string>, samples: readonly Sample[], instant: boolean): PreparedSeries {
  const labels = labelsFromRecord(record);
  if (instant || !samples.some((s) => s.stale)) {
    return { labels, samples };
  }
  return { labels, samples: samples.filter((s) => !s.stale) };
}

/**
 * Per-node positions of the last window of each series. Range queries move windows forward
 * step by step, so the next window is usually found by advancing a few samples instead of two
 * binary searches per series and step.
 */
class WindowCursor {
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private lastLo = Infinity;
  private lastHi = Infinity;

  /** The non-empty [lo, hi] windows (both inclusive) of each series, in series order. */
  windows(series: readonly { labels: Labels; samples: readonly TimedValue[] }[], lo: number, hi: number): WindowSeries[] {
    const forward = lo >= this.lastLo && hi >= this.lastHi;
    if (!forward || this.starts.length < series.length) {
      this.grow(series.length, forward);
    }
    const out: WindowSeries[] = [];
    for (let i = 0; i < series.length; i++) {
      const s = series[i];
      const a = forward ? seek(s.samples, this.starts[i], lo, false) : firstAtOrAfter(s.samples, lo);
      const b = forward ? seek(s.samples, this.ends[i], hi, true) : lastAtOrBefore(s.samples, hi) + 1;
      this.starts[i] = a;
      this.ends[i] = b;
      if (b > a) {
        out.push({ labels: s.labels, s: s.samples, lo: a, hi: b });
      }
    }
    this.lastLo = lo;
    this.lastHi = hi;
    return out;
  }

  private grow(n: number, keep: boolean): void {
    const starts = new Int32Array(Math.max(n, 8));
    const ends = new Int32Array(Math.max(n, 8));
    if (keep) {
      starts.set(this.starts);
      ends.set(this.ends);
    }
    this.starts = starts;
    this.ends = ends;
  }
}

/**
 * From index `from`, the first index whose time is >= bound (or > bound when `inclusive`):
 * a short linear walk, then bisection for long jumps.
 */
function seek(samples: readonly TimedValue[], from: number, bound: number, inclusive: boolean): number {
  let i = from;
  for (let steps = 0; steps < 8; steps++) {
    if (i >= samples.length || (inclusive ? samples[i].t > bound : samples[i].t >= bound)) {
      return i;
    }
    i++;
  }
  return inclusive ? lastAtOrBefore(samples, bound, i) + 1 : firstAtOrAfter(samples, bound, i);
}

function windowPoints(w: WindowSeries): MatrixSeries {
  const points: Point[] = [];
  for (let i = w.lo; i < w.hi; i++) {
    points.push({ t: w.s[i].t, v: w.s[i].v });
  }
  return { metric: w.labels, points };
}
