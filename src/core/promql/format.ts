/**
 * Prints a syntax tree back to PromQL exactly as Prometheus' `String()` methods do, so
 * `parseExpr(formatExpr(e))` yields the same tree: label matchers sorted, `@` before `offset`,
 * `sum by (a) (x)`, number literals in Go's `%v` form, strings in Go `%q` form.
 */

import type { AtModifier, Expr, MatrixSelector, SubqueryExpr, VectorMatching, VectorSelector } from 'src/core/promql/ast';
import { formatDuration } from 'src/core/promql/duration';
import { formatFloat } from 'src/core/exposition/format-float';
import { goQuote } from 'src/core/promql/go-format';
import type { LabelMatcher } from 'src/core/promql/series-source';

/** Canonical PromQL text of an expression. */
export function formatExpr(expr: Expr): string {
  switch (expr.type) {
    case 'NumberLiteral':
      return formatFloat(expr.value);
    case 'StringLiteral':
      return goQuote(expr.value);
    case 'VectorSelector':
      return formatSelector(expr, true);
    case 'MatrixSelector':
      return formatMatrix(expr);
    case 'SubqueryExpr':
      return formatSubquery(expr);
    case 'ParenExpr':
      return `(${formatExpr(expr.expr)})`;
    case 'UnaryExpr':
      return `${expr.op}${formatExpr(expr.expr)}`;
    case 'BinaryExpr': {
      const bool = expr.returnBool ? ' bool' : '';
      // `+Inf ^ x` would reparse as `+(Inf ^ x)`; unlike Prometheus, print that literal as `Inf`.
      const lhs = expr.op === '^' && expr.lhs.type === 'NumberLiteral' && expr.lhs.value === Infinity ? 'Inf' : formatExpr(expr.lhs);
      return `${lhs} ${expr.op}${bool}${formatMatching(expr.matching)} ${formatExpr(expr.rhs)}`;
    }
    case 'AggregateExpr': {
      let out: string = expr.op;
      if (expr.without) {
        out += ` without (${expr.grouping.join(', ')}) `;
      } else if (expr.grouping.length > 0) {
        out += ` by (${expr.grouping.join(', ')}) `;
      }
      const param = expr.param ? `${formatExpr(expr.param)}, ` : '';
      return `${out}(${param}${formatExpr(expr.expr)})`;
    }
    case 'Call':
      return `${expr.func}(${expr.args.map(formatExpr).join(', ')})`;
  }
}

/** `name=~"value"` with Go quoting. */
export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.type}${goQuote(m.value)}`;
}

function formatSelector(vs: VectorSelector, withModifiers: boolean): string {
  const parts = vs.matchers
    .filter((m) => !(m.name === '__name__' && m.type === '=' && m.value === vs.name && vs.name !== ''))
    .map(formatMatcher)
    .sort();
  const body = parts.length === 0 ? vs.name : `${vs.name}{${parts.join(',')}}`;
  return withModifiers ? body + formatModifiers(vs.at, vs.offsetMs) : body;
}

function formatMatrix(ms: MatrixSelector): string {
  const vs = ms.selector;
  return `${formatSelector(vs, false)}[${formatDuration(ms.rangeMs)}]${formatModifiers(vs.at, vs.offsetMs)}`;
}

function formatSubquery(sq: SubqueryExpr): string {
  const step = sq.stepMs === 0 ? '' : formatDuration(sq.stepMs);
  return `${formatExpr(sq.expr)}[${formatDuration(sq.rangeMs)}:${step}]${formatModifiers(sq.at, sq.offsetMs)}`;
}

function formatModifiers(at: AtModifier | undefined, offsetMs: number): string {
  let out = '';
  if (at?.kind === 'time') {
    out += ` @ ${(at.ms / 1000).toFixed(3)}`;
  } else if (at) {
    out += ` @ ${at.kind}()`;
  }
  if (offsetMs !== 0) {
    out += ` offset ${formatDuration(offsetMs)}`;
  }
  return out;
}

function formatMatching(vm: VectorMatching | undefined): string {
  const grouped = vm?.card === 'many-to-one' || vm?.card === 'one-to-many';
  // Prometheus omits `ignoring () group_left`; printing it keeps the round trip exact.
  if (!vm || (vm.labels.length === 0 && !vm.on && !grouped)) {
    return '';
  }
  let out = ` ${vm.on ? 'on' : 'ignoring'} (${vm.labels.join(', ')})`;
  if (grouped) {
    out += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${vm.include.join(', ')})`;
  }
  return out;
}
