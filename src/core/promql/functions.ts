/**
 * PromQL function implementations, following Prometheus 2.42's `promql/functions.go` semantics
 * (written independently). Range functions see one series' window at a time; instant functions
 * see the whole argument vector of one step.
 */

import { labelValue } from 'src/core/model/labels';
import type { Call, Expr } from 'src/core/promql/ast';
import { unwrapParens } from 'src/core/promql/ast';
import { PromqlEvalError } from 'src/core/promql/errors';
import { parseGoFloat } from 'src/core/promql/go-format';
import { goLog10, goLog2, goMax, goMin, kahanSumInc } from 'src/core/promql/go-math';
import { CalendarFields, calendarFields, daysInMonth, goInt64 } from 'src/core/promql/go-time';
import { Labels, METRIC_NAME, dropMetricName, emptyLabels, labelsFromPairs, withLabels } from 'src/core/promql/labels';
import { AnchoredRegex, RegexSyntaxError, compileAnchored } from 'src/core/promql/regex';
import type { Value, Vector, WindowSeries } from 'src/core/promql/values';

/** What a range function knows besides the window: the window bounds and extra scalar args. */
export interface RangeContext {
  /** End of the range (evaluation time minus offset, or the `@` time), ms. */
  refT: number;
  rangeMs: number;
  /** Values of the scalar arguments at this step, in argument order. */
  scalars: number[];
}

/** Computes one output value from one series' window; undefined drops the series at this step. */
export type RangeFunction = (w: WindowSeries, ctx: RangeContext) => number | undefined;

// ---- range functions ----

/** Prometheus' extrapolatedRate: rate/increase/delta with boundary extrapolation. */
function extrapolatedRate(w: WindowSeries, ctx: RangeContext, isCounter: boolean, isRate: boolean): number | undefined {
  const n = w.hi - w.lo;
  if (n < 2) {
    return undefined;
  }
  const firstT = w.s[w.lo].t;
  const lastT = w.s[w.hi - 1].t;
  const firstV = w.s[w.lo].v;
  let result = w.s[w.hi - 1].v - firstV;
  if (isCounter) {
    let prev = firstV;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.s[i].v;
      if (cur < prev) {
        result += prev;
      }
      prev = cur;
    }
  }
  const rangeStart = ctx.refT - ctx.rangeMs;
  let durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (ctx.refT - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageInterval = sampledInterval / (n - 1);
  if (isCounter && result > 0 && firstV >= 0) {
    // A counter cannot go below zero: do not extrapolate further back than its zero point.
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) {
      durationToStart = durationToZero;
    }
  }
  // Extrapolate to a boundary only if it is within 1.1 average intervals; else half an interval.
  const threshold = averageInterval * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) {
    factor /= ctx.rangeMs / 1000;
  }
  return result * factor;
}

/** irate/idelta: from the last two samples only. */
function instantValue(w: WindowSeries, isRate: boolean): number | undefined {
  if (w.hi - w.lo < 2) {
    return undefined;
  }
  const last = w.s[w.hi - 1].v;
  const prev = w.s[w.hi - 2].v;
  const interval = w.s[w.hi - 1].t - w.s[w.hi - 2].t;
  let result = isRate && last < prev ? last : last - prev;
  if (interval === 0) {
    return undefined;
  }
  if (isRate) {
    result /= interval / 1000;
  }
  return result;
}

/** Least-squares slope per second, x measured from the first sample (Prometheus' linearRegression). */
function deriv(w: WindowSeries): number | undefined {
  if (w.hi - w.lo < 2) {
    return undefined;
  }
  const t0 = w.s[w.lo].t;
  const initY = w.s[w.lo].v;
  let constY = true;
  let n = 0;
  let [sumX, cX, sumY, cY, sumXY, cXY, sumX2, cX2] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = w.lo; i < w.hi; i++) {
    const y = w.s[i].v;
    if (constY && i > w.lo && y !== initY) {
      constY = false;
    }
    n++;
    const x = (w.s[i].t - t0) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    return Number.isFinite(initY) ? 0 : NaN;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  return covXY / varX;
}

function changes(w: WindowSeries): number {
  let count = 0;
  let prev = w.s[w.lo].v;
  for (let i = w.lo + 1; i < w.hi; i++) {
    const cur = w.s[i].v;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) {
      count++;
    }
    prev = cur;
  }
  return count;
}

function resets(w: WindowSeries): number {
  let count = 0;
  let prev = w.s[w.lo].v;
  for (let i = w.lo + 1; i < w.hi; i++) {
    if (w.s[i].v < prev) {
      count++;
    }
    prev = w.s[i].v;
  }
  return count;
}

function sumOverTime(w: WindowSeries): number {
  let sum = 0;
  let c = 0;
  for (let i = w.lo; i < w.hi; i++) {
    [sum, c] = kahanSumInc(w.s[i].v, sum, c);
  }
  return Number.isFinite(sum) || Number.isNaN(sum) ? sum + c : sum;
}

/** Incremental Kahan mean that survives infinities, as Prometheus 2.42's avg_over_time. */
function avgOverTime(w: WindowSeries): number {
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.s[i].v;
    count++;
    if (isInf(mean)) {
      if (isInf(v) && mean > 0 === v > 0) {
        continue;
      }
      if (!isInf(v) && !Number.isNaN(v)) {
        continue;
      }
    }
    [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
  }
  return isInf(mean) ? mean : mean + c;
}

function isInf(v: number): boolean {
  return v === Infinity || v === -Infinity;
}

function minOverTime(w: WindowSeries): number {
  let min = w.s[w.lo].v;
  for (let i = w.lo; i < w.hi; i++) {
    if (w.s[i].v < min || Number.isNaN(min)) {
      min = w.s[i].v;
    }
  }
  return min;
}

function maxOverTime(w: WindowSeries): number {
  let max = w.s[w.lo].v;
  for (let i = w.lo; i < w.hi; i++) {
    if (w.s[i].v > max || Number.isNaN(max)) {
      max = w.s[i].v;
    }
  }
  return max;
}

/** Population variance with Kahan-compensated Welford updates (Prometheus' stdvar_over_time). */
function stdvarOverTime(w: WindowSeries): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.s[i].v;
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function quantileOverTime(w: WindowSeries, ctx: RangeContext): number {
  const values: number[] = [];
  for (let i = w.lo; i < w.hi; i++) {
    values.push(w.s[i].v);
  }
  return quantile(ctx.scalars[0], values);
}

/** Range functions by name; absent_over_time is handled by the evaluator (it is not per series). */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  ['rate', (w, ctx) => extrapolatedRate(w, ctx, true, true)],
  ['increase', (w, ctx) => extrapolatedRate(w, ctx, true, false)],
  ['delta', (w, ctx) => extrapolatedRate(w, ctx, false, false)],
  ['irate', (w) => instantValue(w, true)],
  ['idelta', (w) => instantValue(w, false)],
  ['deriv', deriv],
  ['changes', changes],
  ['resets', resets],
  ['sum_over_time', sumOverTime],
  ['avg_over_time', avgOverTime],
  ['min_over_time', minOverTime],
  ['max_over_time', maxOverTime],
  ['count_over_time', (w) => w.hi - w.lo],
  ['last_over_time', (w) => w.s[w.hi - 1].v],
  ['present_over_time', () => 1],
  ['stdvar_over_time', stdvarOverTime],
  ['stddev_over_time', (w) => Math.sqrt(stdvarOverTime(w))],
  ['quantile_over_time', quantileOverTime],
]);

/** Range functions whose output keeps `__name__` (last_over_time acts like an offset). */
export const KEEPS_METRIC_NAME: ReadonlySet<string> = new Set(['last_over_time']);

/**
 * Prometheus' `quantile`: φ < 0 → -Inf, φ > 1 → +Inf, NaN φ → NaN, else linear interpolation
 * between the closest ranks of the sorted values (NaNs sort first). Sorts `values` in place.
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) {
    return NaN;
  }
  if (q < 0) {
    return -Infinity;
  }
  if (q > 1) {
    return Infinity;
  }
  values.sort(compareNaNFirst);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/** Ascending order with NaN before every number. */
export function compareNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) {
    return Number.isNaN(b) ? 0 : -1;
  }
  if (Number.isNaN(b)) {
    return 1;
  }
  return a - b;
}

// ---- instant functions ----

/** Everything an instant function may need besides its evaluated arguments. */
export interface InstantContext {
  node: Call;
  /** Evaluation time in ms. */
  t: number;
}

/** Computes a function's result for one step. */
export type InstantFunction = (args: Value[], ctx: InstantContext) => Value;

function vectorArg(args: Value[], i: number): Vector {
  const a = args[i];
  return a.kind === 'vector' ? a.samples : [];
}

function scalarArg(args: Value[], i: number): number {
  const a = args[i];
  return a.kind === 'scalar' ? a.v : NaN;
}

function stringArg(args: Value[], i: number): string {
  const a = args[i];
  return a.kind === 'string' ? a.v : '';
}

function vec(samples: Vector): Value {
  return { kind: 'vector', samples };
}

/** Applies `f` to each value and drops the metric name. */
function simple(f: (v: number) => number): InstantFunction {
  return (args) => vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: f(s.v) })));
}

function round(args: Value[]): Value {
  const toNearest = args.length > 1 ? scalarArg(args, 1) : 1;
  // Rounding with the inverse gives fewer floating point surprises (as Prometheus does).
  const inverse = 1 / toNearest;
  return vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: Math.floor(s.v * inverse + 0.5) / inverse })));
}

function clamp(args: Value[]): Value {
  const min = scalarArg(args, 1);
  const max = scalarArg(args, 2);
  if (max < min) {
    return vec([]);
  }
  return vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: goMax(min, goMin(max, s.v)) })));
}

function sgn(v: number): number {
  return v < 0 ? -1 : v > 0 ? 1 : v;
}

/** sort: ascending, NaN last; sort_desc: descending, NaN last. Stable for equal values. */
function sortBy(desc: boolean): InstantFunction {
  return (args) => {
    const out = [...vectorArg(args, 0)];
    out.sort((a, b) => {
      const an = Number.isNaN(a.v);
      const bn = Number.isNaN(b.v);
      if (an || bn) {
        return an === bn ? 0 : an ? 1 : -1;
      }
      return desc ? b.v - a.v : a.v - b.v;
    });
    return vec(out);
  };
}

function timestampFn(args: Value[], ctx: InstantContext): Value {
  // Only a (parenthesised) vector selector exposes its samples' own timestamps.
  const direct = unwrapParens(ctx.node.args[0]).type === 'VectorSelector';
  return vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: (direct && s.t !== undefined ? s.t : ctx.t) / 1000 })));
}

/**
 * Labels for absent()/absent_over_time(): the equality matchers of a selector argument,
 * except `__name__`; a label matched more than once or by another matcher type is left out.
 */
export function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const matchers = e.type === 'VectorSelector' ? e.matchers : e.type === 'MatrixSelector' ? e.selector.matchers : [];
  const set = new Map<string, string>();
  const excluded = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) {
      continue;
    }
    if (m.type === '=' && !set.has(m.name)) {
      set.set(m.name, m.value);
    } else {
      excluded.add(m.name);
    }
  }
  return labelsFromPairs([...set].filter(([k]) => !excluded.has(k)));
}

function absent(args: Value[], ctx: InstantContext): Value {
  if (vectorArg(args, 0).length > 0) {
    return vec([]);
  }
  return vec([{ labels: absentLabels(ctx.node.args[0]), v: 1 }]);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const replaceCache = new WeakMap<Call, AnchoredRegex>();

function labelReplace(args: Value[], ctx: InstantContext): Value {
  const [dst, repl, src, pattern] = [1, 2, 3, 4].map((i) => stringArg(args, i));
  let compiled = replaceCache.get(ctx.node);
  if (!compiled) {
    try {
      compiled = compileAnchored(pattern, { captures: true });
    } catch (e) {
      if (e instanceof RegexSyntaxError) {
        throw new PromqlEvalError('execution', `invalid regular expression in label_replace(): ${pattern}`);
      }
      throw e;
    }
    replaceCache.set(ctx.node, compiled);
  }
  if (!LABEL_NAME.test(dst)) {
    throw new PromqlEvalError('execution', `invalid destination label name in label_replace(): ${dst}`);
  }
  const regex = compiled;
  return vec(
    vectorArg(args, 0).map((s) => {
      const m = regex.exec(labelValue(s.labels, src) ?? '');
      if (!m) {
        return s;
      }
      const res = boundedLabelValue('label_replace', dst, expandTemplate(repl, m, regex.groupNames));
      return { labels: withLabels(s.labels, res === '' ? {} : { [dst]: res }, [dst]), v: s.v };
    }),
  );
}

/** Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; `$1x` means the group named `1x`. */
export function expandTemplate(template: string, match: readonly (string | undefined)[], names: readonly (string | undefined)[]): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) {
      return out + rest;
    }
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    out += groupText(ref[1] ?? ref[2], match, names);
  }
}

function groupText(name: string, match: readonly (string | undefined)[], names: readonly (string | undefined)[]): string {
  const isNumber = /^\d+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8;
  if (isNumber) {
    return match[Number(name)] ?? '';
  }
  const index = names.indexOf(name);
  return index > 0 ? (match[index] ?? '') : '';
}

/**
 * Longest label value label_join and label_replace may make. Each call can double a value (join a
 * label with itself), so a 700-byte query of nested calls built a 268 MB answer and 1.3 GB of
 * memory, and two levels more failed with a 500; Prometheus has no such bound. Stored label values
 * are at most 2,400 bytes, so this only stops such amplification.
 */
export const MAX_MADE_LABEL_VALUE = 65_536;

function boundedLabelValue(fn: string, dst: string, value: string): string {
  if (value.length > MAX_MADE_LABEL_VALUE) {
    throw new PromqlEvalError(
      'execution',
      `${fn}(): the value of label ${JSON.stringify(dst)} would have ${value.length} characters, more than ${MAX_MADE_LABEL_VALUE}`,
    );
  }
  return value;
}

function labelJoin(args: Value[]): Value {
  const dst = stringArg(args, 1);
  const sep = stringArg(args, 2);
  const srcs = args.slice(3).map((a) => (a.kind === 'string' ? a.v : ''));
  for (const src of srcs) {
    if (!LABEL_NAME.test(src)) {
      throw new PromqlEvalError('execution', `invalid source label name in label_join(): ${src}`);
    }
  }
  if (!LABEL_NAME.test(dst)) {
    throw new PromqlEvalError('execution', `invalid destination label name in label_join(): ${dst}`);
  }
  return vec(
    vectorArg(args, 0).map((s) => {
      const joined = boundedLabelValue('label_join', dst, srcs.map((src) => labelValue(s.labels, src) ?? '').join(sep));
      return { labels: withLabels(s.labels, joined === '' ? {} : { [dst]: joined }, [dst]), v: s.v };
    }),
  );
}

/** Date functions read a vector of Unix seconds (default: the evaluation time) in UTC, as Go does. */
function dateFn(f: (c: CalendarFields) => number): InstantFunction {
  return (args, ctx) => {
    if (args.length === 0) {
      return vec([{ labels: emptyLabels(), v: f(calendarFields(BigInt(Math.trunc(ctx.t / 1000)))) }]);
    }
    return vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: f(calendarFields(goInt64(s.v))) })));
  };
}

interface Bucket {
  upperBound: number;
  count: number;
}

/** Prometheus' bucketQuantile for classic `le` buckets. Sorts and may rewrite `buckets`. */
export function bucketQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) {
    return NaN;
  }
  if (q < 0) {
    return -Infinity;
  }
  if (q > 1) {
    return Infinity;
  }
  input.sort((a, b) => a.upperBound - b.upperBound);
  if (input[input.length - 1].upperBound !== Infinity) {
    return NaN;
  }
  const buckets = coalesceBuckets(input);
  ensureMonotonic(buckets);
  if (buckets.length < 2) {
    return NaN;
  }
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) {
    return NaN;
  }
  let rank = q * observations;
  const b = searchFirst(buckets.length - 1, (i) => buckets[i].count >= rank);
  if (b === buckets.length - 1) {
    return buckets[buckets.length - 2].upperBound;
  }
  if (b === 0 && buckets[0].upperBound <= 0) {
    return buckets[0].upperBound;
  }
  let bucketStart = 0;
  const bucketEnd = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Go's `sort.Search`: the smallest i in [0, n) with f(i) true (n when none), by bisection. */
function searchFirst(n: number, f: (i: number) => boolean): number {
  let i = 0;
  let j = n;
  while (i < j) {
    const h = (i + j) >>> 1;
    if (!f(h)) {
      i = h + 1;
    } else {
      j = h;
    }
  }
  return i;
}

/** Merges buckets with the same upper bound (summing counts). */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upperBound === b.upperBound) {
      last.count += b.count;
    } else {
      out.push({ ...b });
    }
  }
  return out;
}

/** Makes cumulative counts non-decreasing (they can dip when scrapes race bucket updates). */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
}

function histogramQuantile(args: Value[]): Value {
  const q = scalarArg(args, 0);
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vectorArg(args, 1)) {
    const upperBound = parseGoFloat(s.labels.le ?? '');
    if (upperBound === undefined) {
      continue;
    }
    const rest = Object.entries(s.labels).filter(([k]) => k !== 'le');
    const key = JSON.stringify(rest);
    let g = groups.get(key);
    if (!g) {
      g = { labels: labelsFromPairs(rest.filter(([k]) => k !== METRIC_NAME)), buckets: [] };
      groups.set(key, g);
    }
    g.buckets.push({ upperBound, count: s.v });
  }
  return vec([...groups.values()].map((g) => ({ labels: g.labels, v: bucketQuantile(q, g.buckets) })));
}

/** Instant functions by name (range functions, absent_over_time and vector-less calls excluded). */
export const INSTANT_FUNCTIONS: ReadonlyMap<string, InstantFunction> = new Map<string, InstantFunction>([
  ['abs', simple(Math.abs)],
  ['ceil', simple(Math.ceil)],
  ['floor', simple(Math.floor)],
  ['exp', simple(Math.exp)],
  ['ln', simple(Math.log)],
  ['log2', simple(goLog2)],
  ['log10', simple(goLog10)],
  ['sqrt', simple(Math.sqrt)],
  ['sgn', simple(sgn)],
  ['round', round],
  ['clamp', clamp],
  ['clamp_min', (args) => vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: goMax(scalarArg(args, 1), s.v) })))],
  ['clamp_max', (args) => vec(vectorArg(args, 0).map((s) => ({ labels: dropMetricName(s.labels), v: goMin(scalarArg(args, 1), s.v) })))],
  ['sort', sortBy(false)],
  ['sort_desc', sortBy(true)],
  ['timestamp', timestampFn],
  ['absent', absent],
  ['time', (_args, ctx) => ({ kind: 'scalar', v: ctx.t / 1000 })],
  ['vector', (args) => vec([{ labels: emptyLabels(), v: scalarArg(args, 0) }])],
  [
    'scalar',
    (args) => {
      const v = vectorArg(args, 0);
      return { kind: 'scalar', v: v.length === 1 ? v[0].v : NaN };
    },
  ],
  ['label_replace', labelReplace],
  ['label_join', labelJoin],
  ['histogram_quantile', histogramQuantile],
  ['day_of_month', dateFn((c) => c.day)],
  ['day_of_week', dateFn((c) => c.weekday)],
  ['day_of_year', dateFn((c) => c.yearDay)],
  ['days_in_month', dateFn((c) => daysInMonth(c.year, c.month))],
  ['hour', dateFn((c) => c.hour)],
  ['minute', dateFn((c) => c.minute)],
  ['month', dateFn((c) => c.month)],
  ['year', dateFn((c) => c.year)],
]);

/** Functions whose output may repeat a label set and must be checked (all but sort/sort_desc). */
export function needsUniquenessCheck(name: string): boolean {
  return name !== 'sort' && name !== 'sort_desc';
}
