/**
 * The PromQL syntax tree. Node shapes follow Prometheus' `promql/parser/ast.go`: a named vector
 * selector carries its `__name__="…"` equality matcher as the last matcher, offset and `@` sit on
 * the vector selector (also inside a range selector), parentheses are kept as ParenExpr so that
 * printing reproduces them. Times and durations are integer milliseconds.
 */

import type { LabelMatcher } from 'src/core/promql/series-source';

/** The four PromQL value types, as Prometheus' `ValueType` strings. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Start and end (exclusive) offsets of a node in the query text. */
export interface PosRange {
  start: number;
  end: number;
}

/** The `@` modifier: a fixed time in ms, or the query's start/end. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

/** A number: `1`, `1.5e3`, `0x1f`, `Inf`; a leading `-` is folded in (`-1`). */
export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  pos: PosRange;
}

/** A string in single, double or back quotes, already unescaped. */
export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

/** An instant vector selector: `name{matchers} @ t offset d`. */
export interface VectorSelector {
  type: 'VectorSelector';
  /** Metric name written before the braces, '' when absent. */
  name: string;
  /** All matchers; with `name` set, the last one is `__name__="name"`. */
  matchers: LabelMatcher[];
  /** `offset` in ms, negative for `offset -5m`; 0 when absent. */
  offsetMs: number;
  at?: AtModifier;
  pos: PosRange;
}

/** A range vector selector: `selector[range]`; the selector holds its offset and `@`. */
export interface MatrixSelector {
  type: 'MatrixSelector';
  /** The selector; its offset and `@` apply to the whole range. */
  selector: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}

/** A subquery: `expr[range:step]` (step 0 when omitted) with its own offset and `@`. */
export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  rangeMs: number;
  /** Resolution in ms; 0 means "the default subquery step" (an evaluator option). */
  stepMs: number;
  offsetMs: number;
  at?: AtModifier;
  pos: PosRange;
}

/** Parentheses, kept so that printing reproduces them. */
export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

/** Unary `-` or `+` on a non-literal (literals fold the sign). */
export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  pos: PosRange;
}

/** Arithmetic, comparison and set operators, spelled as in PromQL. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '<' | '>=' | '<=' | 'and' | 'or' | 'unless';

/** Vector matching cardinality; set operators are always many-to-many. */
export type MatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** How a binary operation pairs the elements of two instant vectors. */
export interface VectorMatching {
  card: MatchCardinality;
  /** true for `on(...)`, false for `ignoring(...)` or no clause. */
  on: boolean;
  labels: string[];
  /** Labels listed in `group_left(...)`/`group_right(...)`. */
  include: string[];
}

/** A binary operation, with its `bool` flag and vector matching. */
export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Present only when both sides are instant vectors. */
  matching?: VectorMatching;
  pos: PosRange;
}

/** Aggregation operators supported by this gateway. */
export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

/** An aggregation: `op by|without (labels) ([param,] expr)`. */
export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** The scalar of topk/bottomk/quantile, the label-name string of count_values. */
  param?: Expr;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

/** A function call; `func` names an entry of FUNCTIONS. */
export interface Call {
  type: 'Call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

/** Any PromQL expression. */
export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | SubqueryExpr | ParenExpr | UnaryExpr | BinaryExpr | AggregateExpr | Call;

/** True for the comparison operators `== != > < >= <=`. */
export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** True for the set operators `and or unless`. */
export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Removes any number of enclosing parentheses. */
export function unwrapParens(expr: Expr): Expr {
  let e = expr;
  while (e.type === 'ParenExpr') {
    e = e.expr;
  }
  return e;
}
