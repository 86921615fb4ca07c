/** Signatures of the PromQL functions this gateway supports, used by the parser's type checks. */

import type { ValueType } from 'src/core/promql/ast';

/** A function signature, as Prometheus' `parser.Function`. */
export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: the last n arguments are optional; -1: the last type repeats without limit. */
  variadic: number;
  returnType: ValueType;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

function def(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0): FunctionDef {
  return { name, argTypes, variadic, returnType };
}

const DEFS: FunctionDef[] = [
  ...['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'resets', 'changes'].map((n) => def(n, [M], V)),
  ...[
    'avg_over_time',
    'min_over_time',
    'max_over_time',
    'sum_over_time',
    'count_over_time',
    'last_over_time',
    'present_over_time',
    'stddev_over_time',
    'stdvar_over_time',
    'absent_over_time',
  ].map((n) => def(n, [M], V)),
  def('quantile_over_time', [S, M], V),
  def('histogram_quantile', [S, V], V),
  ...['abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'timestamp', 'absent', 'sort', 'sort_desc'].map((n) => def(n, [V], V)),
  def('round', [V, S], V, 1),
  def('clamp', [V, S, S], V),
  def('clamp_min', [V, S], V),
  def('clamp_max', [V, S], V),
  def('time', [], S),
  def('vector', [S], V),
  def('scalar', [V], S),
  def('label_replace', [V, STR, STR, STR, STR], V),
  def('label_join', [V, STR, STR, STR], V, -1),
  ...['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'].map((n) => def(n, [V], V, 1)),
];

/** Supported functions by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [d.name, d]));

/**
 * Functions Prometheus knows that this gateway rejects with `function "x" is not supported by
 * this gateway` (rather than Prometheus' `unknown function with name "x"`).
 */
export const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  'predict_linear',
  'holt_winters',
  'double_exponential_smoothing',
  'histogram_count',
  'histogram_sum',
  'histogram_avg',
  'histogram_fraction',
  'histogram_stddev',
  'histogram_stdvar',
  'mad_over_time',
  'sort_by_label',
  'sort_by_label_desc',
  'limitk',
  'limit_ratio',
  'info',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'cos',
  'cosh',
  'sin',
  'sinh',
  'tan',
  'tanh',
  'deg',
  'rad',
  'pi',
]);
