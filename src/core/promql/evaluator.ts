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

import { isComparisonOp, isSetOp } from 'src/core/promql/ast';
import type { AggregateExpr, AtModifier, BinaryExpr, Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from 'src/core/promql/ast';
import { aggregate, AggregationCache, AggregationFold, newAggregationCache } from 'src/core/promql/aggregations';
import { BinaryCache, newBinaryCache, scalarBinop, vectorAnd, vectorBinop, vectorOr, vectorScalarBinop, vectorUnless } from 'src/core/promql/binary';
import { PromqlEvalError } from 'src/core/promql/errors';
import { FUNCTIONS } from 'src/core/promql/function-defs';
import { INSTANT_FUNCTIONS, KEEPS_METRIC_NAME, RANGE_FUNCTIONS, absentLabels, needsUniquenessCheck } from 'src/core/promql/functions';
import { Labels, METRIC_NAME, compareLabels, dropMetricName, emptyLabels, labelsFromRecord, labelsKey } from 'src/core/promql/labels';
import { parseExpr, valueTypeOf } from 'src/core/promql/parser';
import type { MatrixSeries, Point, QueryResult } from 'src/core/promql/result';
import { sortAsync } from 'src/core/promql/async-sort';
import { CHECKPOINT_EVERY, LoadBudget, QueryBudget } from 'src/core/promql/query-budget';
import type { Sample, SelectRange, Series, SeriesSource } from 'src/core/promql/series-source';
import { RangeValue, TimedValue, Value, Vector, WindowSeries, firstAtOrAfter, lastAtOrBefore } from 'src/core/promql/values';

/** Tuning and limits of one evaluation. */
export interface EvalOptions {
  /** Step of subqueries written without one (`x[1h:]`); Prometheus' evaluation_interval. Default 60000. */
  defaultSubqueryStepMs?: number;
  /**
   * Most samples held at once; exceeding it throws PromqlEvalError('execution') with Prometheus'
   * "query processing would load too many samples into memory in query execution". Default
   * 50,000,000 (Prometheus' --query.max-samples). What counts, as this evaluator holds them:
   * every sample a selector loads for the whole query (an instant selector: the samples of the
   * query span plus the one before it, stale markers included; a range selector: the query span
   * widened by its range, stale markers dropped), plus every point a subquery computes, plus the
   * result: the elements of an instant query's vector, the points of a range query's matrix.
   * Sources are asked to count as they load (SeriesSource.select), so a query over too much
   * data stops loading at the limit instead of after loading everything.
   */
  maxSamples?: number;
  /**
   * Evaluation budget in ms measured with `now`, loading included; past it the next checkpoint
   * throws PromqlEvalError('timeout', 'query timed out in query execution').
   */
  timeoutMs?: number;
  /** Clock for `timeoutMs` and `sliceMs` in ms. Default `Date.now`. */
  now?: () => number;
  /** When `aborted` becomes true, the next checkpoint throws PromqlEvalError('canceled'). */
  signal?: { readonly aborted: boolean };
  /**
   * Prometheus' lookback delta in ms: when set, instant selectors ignore samples older than
   * t - lookbackDeltaMs (inclusive bound, as Prometheus 2.x). Unset (the default) means the
   * gateway semantics: no cut-off.
   */
  lookbackDeltaMs?: number;
  /**
   * Work between two yields to the event loop, in ms on `now` (default 10): hot loops check
   * every few thousand items and yield once a slice is used up, so a long evaluation never holds
   * the process for much longer than this.
   */
  sliceMs?: number;
  /** How to yield (default: setImmediate); tests inject their own. */
  yieldToLoop?: () => Promise<void>;
  /**
   * Series per page of a streamed aggregation (see streamPlan), default 10,000; 0 turns streaming
   * off (every selector is loaded whole, as for any other query).
   */
  streamPageSize?: number;
}

/** A range query's result: always a matrix sorted by label set. */
export type RangeQueryResult = Extract<QueryResult, { resultType: 'matrix' }>;

const DEFAULT_SUBQUERY_STEP_MS = 60_000;
const DEFAULT_STREAM_PAGE = 10_000;
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
  return await ev.instantResult(expr, timeMs);
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
  return await ev.rangeResult(expr, startMs, endMs, stepMs);
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

/** A streamed aggregation: the aggregation, its inner expression and the inner's one selector. */
interface StreamPlan {
  agg: AggregateExpr;
  inner: Expr;
  plan: SelectorPlan;
  /**
   * The only labels the aggregation reads, when that is known: the `by` labels of an aggregation
   * that outputs group labels only, over a selector fixing the metric name (so series stay unique
   * without their other labels, and uniqueness checks can be skipped). Undefined: all labels.
   */
  only?: readonly string[];
}

interface StreamState extends StreamPlan {
  source: SeriesSource;
  pageSize: number;
  /** The aggregation's vector per step time, filled by runStream. */
  values: Map<number, Vector>;
}

/**
 * When `expr` is an aggregation whose every series' value depends on that series alone, the
 * aggregation can be computed page by page of series instead of over the whole selector at once:
 * returns how. That holds when the (parenthesised) top of `expr` is an aggregation with a literal
 * parameter (or none) over an inner expression built only from one selector, range functions over
 * it (`rate(x[5m])`, `count_over_time(x[1h])`, ...), unary minus, and arithmetic or comparison
 * with a number literal. The selector must fix the metric name (`x` or `{__name__="x"}`) unless
 * the inner expression keeps the names: otherwise two series could collide once names are
 * dropped, an error only the whole vector shows. Anything else (binary operations between
 * vectors, subqueries, other functions, `absent_over_time`) is evaluated over whole selectors.
 */
export function streamPlan(expr: Expr, times: QueryTimes, defaultStepMs: number): StreamPlan | undefined {
  let top = expr;
  while (top.type === 'ParenExpr') {
    top = top.expr;
  }
  if (top.type !== 'AggregateExpr' || (top.param !== undefined && top.param.type !== 'NumberLiteral' && top.param.type !== 'StringLiteral')) {
    return undefined;
  }
  const local = seriesLocal(top.expr);
  if (local === undefined) {
    return undefined;
  }
  const plans = planSelectors(top.expr, times, defaultStepMs);
  if (plans.length !== 1) {
    return undefined;
  }
  const fixedName = plans[0].selector.matchers.some((m) => m.name === METRIC_NAME && m.type === '=');
  if (!local.keepsNames && !fixedName) {
    return undefined;
  }
  const groupsOnly = !top.without && top.op !== 'topk' && top.op !== 'bottomk';
  return { agg: top, inner: top.expr, plan: plans[0], only: fixedName && groupsOnly ? top.grouping : undefined };
}

/** Whether each series' value of `e` depends on that series alone (see streamPlan), and whether names survive. */
function seriesLocal(e: Expr): { keepsNames: boolean } | undefined {
  switch (e.type) {
    case 'ParenExpr':
      return seriesLocal(e.expr);
    case 'VectorSelector':
      return { keepsNames: true };
    case 'UnaryExpr': {
      const inner = seriesLocal(e.expr);
      return inner && { keepsNames: inner.keepsNames && e.op === '+' };
    }
    case 'BinaryExpr': {
      if (isSetOp(e.op)) {
        return undefined;
      }
      const [l, r] = [unparen(e.lhs), unparen(e.rhs)];
      const vector = l.type === 'NumberLiteral' ? r : r.type === 'NumberLiteral' ? l : undefined;
      const inner = vector && seriesLocal(vector);
      // Comparisons without `bool` filter and keep the name; everything else drops it.
      const keeps = isComparisonOp(e.op) && !e.returnBool;
      return inner && { keepsNames: inner.keepsNames && keeps };
    }
    case 'Call': {
      const def = FUNCTIONS.get(e.func);
      const matrixIndex = def ? def.argTypes.indexOf('matrix') : -1;
      if (matrixIndex < 0 || e.func === 'absent_over_time' || !RANGE_FUNCTIONS.has(e.func)) {
        return undefined;
      }
      const ok = e.args.every((a, i) => (i === matrixIndex ? unparen(a).type === 'MatrixSelector' : unparen(a).type === 'NumberLiteral'));
      return ok ? { keepsNames: KEEPS_METRIC_NAME.has(e.func) } : undefined;
    }
    default:
      return undefined;
  }
}

function unparen(e: Expr): Expr {
  return e.type === 'ParenExpr' ? unparen(e.expr) : e;
}

class Evaluator {
  private readonly subqueries = new Map<SubqueryExpr, SubqueryState>();
  private readonly binaryCaches = new Map<BinaryExpr, BinaryCache>();
  private readonly aggregationCaches = new Map<AggregateExpr, AggregationCache>();
  private readonly cursors = new Map<Expr, WindowCursor>();
  private readonly data = new Map<VectorSelector, PreparedSeries[]>();
  private readonly checkpoint: () => Promise<void>;
  /** Set on a page evaluator whose vectors are known to hold distinct series (see runStream). */
  private uniqueLabelsKnown = false;
  /** Set when the query is a streamed aggregation: its values per step, once runStream ran. */
  private stream: StreamState | undefined;

  private constructor(
    private readonly times: QueryTimes,
    private readonly opts: EvalOptions,
    private readonly budget: QueryBudget,
  ) {
    this.checkpoint = () => budget.checkpoint();
  }

  /**
   * Fetches every selector's samples (in parallel), counting them against the budget, and returns
   * a ready evaluator. When one fetch fails, the budget is stopped so the others stop loading too.
   */
  static async create(expr: Expr, times: QueryTimes, source: SeriesSource, opts: EvalOptions): Promise<Evaluator> {
    const defaultStep = opts.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS;
    const budget = new QueryBudget({
      maxSamples: opts.maxSamples,
      timeoutMs: opts.timeoutMs,
      now: opts.now,
      signal: opts.signal,
      sliceMs: opts.sliceMs,
      yieldToLoop: opts.yieldToLoop,
    });
    const ev = new Evaluator(times, opts, budget);
    const pageSize = opts.streamPageSize ?? DEFAULT_STREAM_PAGE;
    const stream = pageSize > 0 && source.selectPages !== undefined ? streamPlan(expr, times, defaultStep) : undefined;
    if (stream !== undefined) {
      ev.stream = { ...stream, source, pageSize, values: new Map() };
      return ev;
    }
    const plans = planSelectors(expr, times, defaultStep);
    await ev.guarded(async () => {
      await budget.checkpoint();
      const fetched = await Promise.all(plans.map((p) => ev.fetch(p, source)));
      plans.forEach((plan, i) => ev.data.set(plan.selector, fetched[i]));
    });
    return ev;
  }

  /** An evaluator over data already prepared (one page of a streamed aggregation), sharing `budget`. */
  private static over(times: QueryTimes, opts: EvalOptions, budget: QueryBudget, selector: VectorSelector, series: PreparedSeries[]): Evaluator {
    const ev = new Evaluator(times, opts, budget);
    ev.data.set(selector, series);
    return ev;
  }

  /**
   * A streamed aggregation (see streamPlan): the aggregation's value at every step, computed page
   * by page of its selector's series. Each page gets its own evaluator for the inner expression;
   * each step's vector is folded into that step's AggregationFold in series order, so the result
   * is exactly what evaluating the whole selector at once gives. Only one page is held at a time
   * (plus the folds' groups, counted against the budget as they grow).
   */
  private async runStream(steps: readonly number[]): Promise<void> {
    const stream = this.stream as StreamState;
    const { agg, inner, plan } = stream;
    const param = agg.param?.type === 'NumberLiteral' ? agg.param.value : agg.param?.type === 'StringLiteral' ? agg.param.value : undefined;
    const cache = newAggregationCache();
    const folds = steps.map(() => new AggregationFold(agg, param, cache));
    const budget = this.budget;
    let groups = 0;
    const load = this.countingLoad();
    await budget.checkpoint();
    for await (const page of stream.source.selectPages?.(plan.selector.matchers, plan.range, stream.pageSize, load, stream.only) ?? []) {
      const prepared = await this.prepareAll(page, plan.instant, load);
      const ev = Evaluator.over(this.times, this.opts, budget, plan.selector, prepared);
      // Series of one metric name are unique by their labels; with only some labels loaded they
      // would look alike, so the check that cannot fail is skipped.
      ev.uniqueLabelsKnown = stream.only !== undefined;
      for (let i = 0; i < steps.length; i++) {
        await this.checkpoint();
        await folds[i].add(await ev.evalVector(inner, steps[i]), this.checkpoint);
      }
      budget.release(load.counted);
      load.counted = 0;
      const now = folds.reduce((n, f) => n + f.size, 0);
      budget.hold(now - groups);
      groups = now;
    }
    budget.release(groups);
    steps.forEach((t, i) => stream.values.set(t, folds[i].finish()));
  }

  /** Runs fn; on failure stops the budget (so loads still in flight give up) and rethrows. */
  async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.budget.stop();
      throw error;
    }
  }

  /**
   * One selector's series, prepared. The source counts samples as it loads them (early stop at
   * the limit); the count is then corrected to what is actually kept.
   */
  private async fetch(plan: SelectorPlan, source: SeriesSource): Promise<PreparedSeries[]> {
    const load = this.countingLoad();
    return this.prepareAll(await source.select(plan.selector.matchers, plan.range, load), plan.instant, load);
  }

  /** The query's budget for a source, tallying in `counted` what the source holds (see prepareAll). */
  private countingLoad(): LoadBudget & { counted: number } {
    const budget = this.budget;
    const load = {
      counted: 0,
      hold: (n: number): void => {
        load.counted += n;
        budget.hold(n);
      },
      checkpoint: this.checkpoint,
      remainingMs: () => budget.remainingMs(),
    };
    return load;
  }

  /**
   * Prepares fetched series (checkpointing as it goes) and corrects the budget from what the
   * source counted (`load.counted`) to the samples actually kept, which become `load.counted`.
   */
  private async prepareAll(series: readonly Series[], instant: boolean, load: { counted: number }): Promise<PreparedSeries[]> {
    const prepared: PreparedSeries[] = [];
    let kept = 0;
    for (let i = 0; i < series.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await this.checkpoint();
      }
      const p = prepareSeries(series[i].labels, series[i].samples, instant);
      prepared.push(p);
      kept += p.samples.length;
    }
    this.budget.hold(kept - load.counted);
    load.counted = kept;
    return prepared;
  }

  // ---- results ----

  instantResult(expr: Expr, t: number): Promise<QueryResult> {
    return this.guarded(async () => {
      if (this.stream !== undefined) {
        await this.runStream([t]);
      }
      const value = await this.eval(expr, t);
      switch (value.kind) {
        case 'scalar':
          return { resultType: 'scalar', result: { t, v: value.v } };
        case 'string':
          return { resultType: 'string', result: { t, v: value.v } };
        case 'vector': {
          this.budget.hold(value.samples.length);
          const result = await this.mapChunked(value.samples, (s) => ({ metric: s.labels, t, v: s.v }));
          return { resultType: 'vector', result };
        }
        case 'matrix':
          return { resultType: 'matrix', result: await this.mapChunked(value.series, windowPoints) };
      }
    });
  }

  rangeResult(expr: Expr, startMs: number, endMs: number, stepMs: number): Promise<RangeQueryResult> {
    return this.guarded(async () => {
      const series = new Map<string, MatrixSeries>();
      // Most steps repeat the same label-set objects; looking them up by identity first is cheap.
      const byObject = new Map<Labels, MatrixSeries>();
      if (this.stream !== undefined) {
        const steps: number[] = [];
        for (let t = startMs; t <= endMs; t += stepMs) {
          steps.push(t);
        }
        await this.runStream(steps);
      }
      for (let t = startMs; t <= endMs; t += stepMs) {
        await this.checkpoint();
        const value = await this.eval(expr, t);
        const samples: Vector = value.kind === 'scalar' ? [{ labels: emptyLabels(), v: value.v }] : value.kind === 'vector' ? value.samples : [];
        this.budget.hold(samples.length);
        for (let i = 0; i < samples.length; i++) {
          if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
            await this.checkpoint();
          }
          const s = samples[i];
          let out = byObject.get(s.labels);
          if (!out) {
            const key = labelsKey(s.labels);
            out = series.get(key) ?? { metric: s.labels, points: [] };
            series.set(key, out);
            byObject.set(s.labels, out);
          }
          out.points.push({ t, v: s.v });
        }
      }
      const result = await sortAsync([...series.values()], (a, b) => compareLabels(a.metric, b.metric), this.checkpoint);
      return { resultType: 'matrix', result };
    });
  }

  /** items.map(fn), with a checkpoint every few thousand items. */
  private async mapChunked<A, B>(items: readonly A[], fn: (item: A) => B): Promise<B[]> {
    // push, not `new Array(n)`: V8 makes arrays preallocated beyond 100k elements dictionary-backed (slow).
    const out: B[] = [];
    for (let i = 0; i < items.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await this.checkpoint();
      }
      out.push(fn(items[i]));
    }
    return out;
  }

  /** Throws Prometheus' error when two elements share a label set; checkpoints as it goes. */
  private async assertUniqueLabels(vec: Vector): Promise<void> {
    if (vec.length < 2 || this.uniqueLabelsKnown) {
      return;
    }
    const seen = new Set<string>();
    for (let i = 0; i < vec.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await this.checkpoint();
      }
      const key = labelsKey(vec[i].labels);
      if (seen.has(key)) {
        throw new PromqlEvalError('execution', 'vector cannot contain metrics with the same labelset');
      }
      seen.add(key);
    }
  }

  // ---- evaluation ----

  private eval(e: Expr, t: number): Promise<Value> {
    switch (e.type) {
      case 'NumberLiteral':
        return Promise.resolve({ kind: 'scalar', v: e.value });
      case 'StringLiteral':
        return Promise.resolve({ kind: 'string', v: e.value });
      case 'ParenExpr':
        return this.eval(e.expr, t);
      case 'UnaryExpr':
        return this.evalUnary(e.op, e.expr, t);
      case 'VectorSelector':
        return this.evalSelector(e, t);
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

  private async evalVector(e: Expr, t: number): Promise<Vector> {
    const v = await this.eval(e, t);
    return v.kind === 'vector' ? v.samples : [];
  }

  private async evalUnary(op: '-' | '+', inner: Expr, t: number): Promise<Value> {
    const v = await this.eval(inner, t);
    if (op === '+') {
      return v;
    }
    if (v.kind === 'scalar') {
      return { kind: 'scalar', v: -v.v };
    }
    const samples = await this.mapChunked(v.kind === 'vector' ? v.samples : [], (s) => ({ labels: dropMetricName(s.labels), v: -s.v }));
    await this.assertUniqueLabels(samples);
    return { kind: 'vector', samples };
  }

  private async evalSelector(vs: VectorSelector, t: number): Promise<Value> {
    const refT = refTime(vs.at, t, this.times) - vs.offsetMs;
    const lookback = this.opts.lookbackDeltaMs;
    const minT = lookback === undefined ? -Infinity : refT - lookback;
    const out: Vector = [];
    const series = this.data.get(vs) ?? [];
    for (let k = 0; k < series.length; k++) {
      if (k % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await this.checkpoint();
      }
      const s = series[k];
      const i = lastAtOrBefore(s.samples, refT);
      const sample = s.samples[i];
      if (i < 0 || sample.stale || sample.t < minT) {
        continue;
      }
      out.push({ labels: s.labels, v: sample.v, t: sample.t });
    }
    return { kind: 'vector', samples: out };
  }

  private async evalMatrix(ms: MatrixSelector, t: number): Promise<RangeValue> {
    const vs = ms.selector;
    const refT = refTime(vs.at, t, this.times) - vs.offsetMs;
    const series = await this.cursor(ms).windows(this.data.get(vs) ?? [], refT - ms.rangeMs, refT, this.checkpoint);
    return { kind: 'matrix', series, refT, rangeMs: ms.rangeMs };
  }

  private async evalSubquery(sq: SubqueryExpr, t: number): Promise<RangeValue> {
    const refT = refTime(sq.at, t, this.times) - sq.offsetMs;
    const state = await this.advanceSubquery(sq, refT);
    const series = await this.cursor(sq).windows([...state.series.values()], refT - sq.rangeMs, refT, this.checkpoint);
    return { kind: 'matrix', series, refT, rangeMs: sq.rangeMs };
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
  private async advanceSubquery(sq: SubqueryExpr, refT: number): Promise<SubqueryState> {
    let state = this.subqueries.get(sq);
    if (!state || refT < state.lastRefT) {
      state = { stepMs: sq.stepMs || (this.opts.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS), nextT: undefined, lastRefT: -Infinity, series: new Map() };
      this.subqueries.set(sq, state);
    }
    const step = state.stepMs;
    const first = Math.ceil((refT - sq.rangeMs) / step) * step;
    let u = state.nextT === undefined || first > state.nextT ? first : state.nextT;
    // Each step adds at least one point per series the inner expression returns: a subquery with
    // more steps than the query may hold samples fails as soon as anything is returned, so it
    // fails before the steps run (Prometheus runs them until the limit or its timeout).
    this.budget.ensureRoom(Math.max(0, Math.floor((refT - u) / step) + 1));
    for (; u <= refT; u += step) {
      await this.checkpoint();
      const samples = await this.evalVector(sq.expr, u);
      this.budget.hold(samples.length);
      for (let i = 0; i < samples.length; i++) {
        if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
          await this.checkpoint();
        }
        const s = samples[i];
        const key = labelsKey(s.labels);
        let series = state.series.get(key);
        if (!series) {
          series = { labels: s.labels, samples: [] };
          state.series.set(key, series);
        }
        series.samples.push({ t: u, v: s.v });
      }
    }
    state.nextT = u;
    state.lastRefT = refT;
    return state;
  }

  private async evalBinary(e: BinaryExpr, t: number): Promise<Value> {
    const l = await this.eval(e.lhs, t);
    const r = await this.eval(e.rhs, t);
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
      out = await this.vectorVector(e, l.kind === 'vector' ? l.samples : [], r.kind === 'vector' ? r.samples : [], cache);
    }
    await this.assertUniqueLabels(out);
    return { kind: 'vector', samples: out };
  }

  private async vectorVector(e: BinaryExpr, l: Vector, r: Vector, cache: BinaryCache): Promise<Vector> {
    const m = e.matching ?? { card: 'one-to-one', on: false, labels: [], include: [] };
    switch (e.op) {
      case 'and':
        return vectorAnd(m, l, r);
      case 'or':
        return vectorOr(m, l, r);
      case 'unless':
        return vectorUnless(m, l, r);
      default:
        return vectorBinop({ ...e, matching: m }, l, r, cache, this.checkpoint);
    }
  }

  private async evalAggregate(e: AggregateExpr, t: number): Promise<Value> {
    const streamed = e === this.stream?.agg ? this.stream.values.get(t) : undefined;
    if (streamed !== undefined) {
      return { kind: 'vector', samples: streamed };
    }
    let param: number | string | undefined;
    if (e.param) {
      const p = await this.eval(e.param, t);
      param = p.kind === 'scalar' || p.kind === 'string' ? p.v : undefined;
    }
    let cache = this.aggregationCaches.get(e);
    if (!cache) {
      cache = newAggregationCache();
      this.aggregationCaches.set(e, cache);
    }
    return { kind: 'vector', samples: await aggregate(e, await this.evalVector(e.expr, t), param, cache, this.checkpoint) };
  }

  private async evalCall(e: Call, t: number): Promise<Value> {
    const def = FUNCTIONS.get(e.func);
    const matrixIndex = def ? def.argTypes.indexOf('matrix') : -1;
    if (matrixIndex >= 0) {
      return this.evalRangeCall(e, matrixIndex, t);
    }
    const fn = INSTANT_FUNCTIONS.get(e.func);
    if (!fn) {
      throw new PromqlEvalError('execution', `function "${e.func}" is not supported by this gateway`);
    }
    const args: Value[] = [];
    for (const a of e.args) {
      args.push(await this.eval(a, t));
    }
    await this.checkpoint();
    const result = fn(args, { node: e, t });
    if (result.kind === 'vector' && needsUniquenessCheck(e.func)) {
      await this.assertUniqueLabels(result.samples);
    }
    return result;
  }

  private async evalRangeCall(e: Call, matrixIndex: number, t: number): Promise<Value> {
    const scalars: number[] = [];
    for (let i = 0; i < e.args.length; i++) {
      if (i !== matrixIndex) {
        const v = await this.eval(e.args[i], t);
        scalars.push(v.kind === 'scalar' ? v.v : NaN);
      }
    }
    const matrix = (await this.eval(e.args[matrixIndex], t)) as RangeValue;
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
    for (let i = 0; i < matrix.series.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await this.checkpoint();
      }
      const w = matrix.series[i];
      const v = fn(w, ctx);
      if (v !== undefined) {
        out.push({ labels: keepName ? w.labels : dropMetricName(w.labels), v });
      }
    }
    await this.assertUniqueLabels(out);
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

  /** The non-empty [lo, hi] windows (both inclusive) of each series, in series order; awaits `checkpoint` now and then. */
  async windows(
    series: readonly { labels: Labels; samples: readonly TimedValue[] }[],
    lo: number,
    hi: number,
    checkpoint: () => Promise<void>,
  ): Promise<WindowSeries[]> {
    const forward = lo >= this.lastLo && hi >= this.lastHi;
    if (!forward || this.starts.length < series.length) {
      this.grow(series.length, forward);
    }
    const out: WindowSeries[] = [];
    for (let i = 0; i < series.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await checkpoint();
      }
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
