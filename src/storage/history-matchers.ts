/**
 * Translation of PromQL label matchers into SQL conditions on history_series (alias `s`), so the
 * database does the selective part of a selector. Pure: builds text and parameters, runs nothing.
 *
 * Exact translations: `=`/`!=` (equality via jsonb containment, which the GIN index serves) and
 * regexes of the literal shapes core/promql/regex decides without a regex engine (`a|b`, `(a|b)`,
 * `.*`, `.+`, `foo.*`). Suffix and infix shapes (`.*foo`, `.*foo.*`) and a literal prefix of any
 * other `=~` pattern become a *prefilter* that may let extra rows through; the caller re-checks
 * those exactly in JavaScript (`residual`), as it does every other regex.
 *
 * A user's pattern never reaches PostgreSQL's regex engine: on hostile patterns it compiles or
 * runs for seconds (`(a?)` 500 times then `a` 500 times: 8.5 s on one 10,000-character value,
 * `[a-z]*` 300 times: 2 s) or fails with "regular expression is too complex" (`((a+)+)+...`,
 * 20 deep, after 3.7 s), where re2js answers in milliseconds.
 */
import { labelValue } from 'src/core/model/labels';
import { LiteralShape, literalShape, requiredPrefix } from 'src/core/promql/regex';
import type { LabelMatcher } from 'src/core/promql/series-source';
import { DB_TEXT_ESCAPE, toDbJson, toDbText } from 'src/storage/db-text';

/** SQL conditions to AND together, plus the matchers the caller must still check in memory. */
export interface MatcherSql {
  conditions: string[];
  /** Matchers not (or not exactly) expressed in SQL; check them with core/promql compileMatcher. */
  residual: LabelMatcher[];
}

const METRIC_NAME = '__name__';

/**
 * Builds the conditions for one selector's matchers. `params` is appended to; placeholders are
 * numbered after its current length. The name column is `s.name`, labels are `s.labels` (jsonb,
 * no empty values, no `__name__`). Stored strings are in db-text form, so every compared string is
 * encoded the same way (equality survives the encoding; regexes see decoded values, see below).
 */
export function matchersToSql(matchers: readonly LabelMatcher[], params: unknown[]): MatcherSql {
  const p = (value: unknown): string => `$${params.push(value)}`;
  const text = (value: string): string => `${p(toDbText(value))}::text`;
  const conditions: string[] = [];
  const residual: LabelMatcher[] = [];
  const contained: Record<string, string> = {};
  let hasContained = false;
  for (const m of matchers) {
    const isName = m.name === METRIC_NAME;
    const column = (): string => (isName ? 's.name' : `coalesce(s.labels->>${text(m.name)}, '')`);
    switch (m.type) {
      case '=':
        if (isName) {
          conditions.push(m.value === '' ? 'false' : `s.name = ${text(m.value)}`);
        } else if (m.value === '') {
          conditions.push(`NOT (s.labels ? ${text(m.name)})`);
        } else if (labelValue(contained, m.name) !== undefined && contained[m.name] !== m.value) {
          conditions.push('false');
        } else {
          contained[m.name] = m.value;
          hasContained = true;
        }
        break;
      case '!=':
        if (isName) {
          conditions.push(`s.name <> ${text(m.value)}`);
        } else if (m.value === '') {
          conditions.push(`s.labels ? ${text(m.name)}`);
        } else {
          conditions.push(`NOT (s.labels @> ${p(toDbJson({ [m.name]: m.value }))}::jsonb)`);
        }
        break;
      case '=~':
      case '!~': {
        const negate = m.type === '!~';
        const shape = literalShape(m.value);
        const prefix = negate || shape !== undefined ? '' : requiredPrefix(m.value);
        if (shape === undefined && prefix === '') {
          residual.push(m);
          break;
        }
        const col = column();
        const sql = shape === undefined ? undefined : shapeSql(shape, col, p, isName ? undefined : () => text(m.name));
        if (sql === undefined) {
          conditions.push(`${col} LIKE ${p(likePattern(prefix, '', '%'))}::text`);
          residual.push(m);
        } else if (sql.exact) {
          conditions.push(negate ? `NOT ${sql.core}` : sql.core);
        } else {
          // Exact on stored text but for values holding the db-text escape: those pass to the
          // exact check.
          conditions.push(`(${negate ? `NOT ${sql.core}` : sql.core} OR strpos(${col}, '${DB_TEXT_ESCAPE}') > 0)`);
          residual.push(m);
        }
        break;
      }
    }
  }
  if (hasContained) {
    conditions.push(`s.labels @> ${p(toDbJson(contained))}::jsonb`);
  }
  return { conditions, residual };
}

/**
 * A literal shape as a condition on stored text (`core`, parenthesized). Stored strings are in
 * db-text form, whose code is prefix-free: equality and prefixes of encoded strings mean what
 * they mean on raw strings (`exact`). Suffixes and infixes do not (the escape's `0` is also a
 * character of its own), so those are exact only on values without the escape. A newline is
 * stored as itself, and `.` does not match it (RE2 without `(?s)`). `labelName` makes the label
 * name's placeholder (undefined for the metric name), so `.+` can use the labels index.
 */
function shapeSql(shape: LiteralShape, column: string, p: (value: unknown) => string, labelName: (() => string) | undefined): { core: string; exact: boolean } {
  const noNewline = `strpos(${column}, chr(10)) = 0`;
  const like = (before: string, after: string): string => {
    const patterns = shape.literals.map((l) => likePattern(l, before, after));
    return patterns.length === 1 ? `${column} LIKE ${p(patterns[0])}::text` : `${column} LIKE ANY(${p(patterns)}::text[])`;
  };
  switch (shape.kind) {
    case 'equal':
    case 'set':
      return { core: `(${column} = ANY(${p(shape.literals.map(toDbText))}::text[]))`, exact: true };
    case 'any':
      return { core: `(${noNewline})`, exact: true };
    case 'nonEmpty':
      return { core: `(${labelName === undefined ? `${column} <> ''` : `s.labels ? ${labelName()}`} AND ${noNewline})`, exact: true };
    case 'prefix':
      return { core: `(${like('', '%')} AND ${noNewline})`, exact: true };
    case 'suffix':
      return { core: `(${like('%', '')} AND ${noNewline})`, exact: false };
    case 'contains':
      return { core: `(${like('%', '%')} AND ${noNewline})`, exact: false };
  }
}

/** A LIKE pattern for the stored form of `literal`, its `\\ % _` escaped, between `before` and `after`. */
function likePattern(literal: string, before: string, after: string): string {
  return before + toDbText(literal).replace(/[\\%_]/g, (c) => `\\${c}`) + after;
}
