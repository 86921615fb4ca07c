/**
 * Translation of PromQL label matchers into SQL conditions on history_series (alias `s`), so the
 * database does the selective part of a selector. Pure: builds text and parameters, runs nothing.
 *
 * Exact translations: `=`/`!=` (equality via jsonb containment, which the GIN index serves),
 * `=~`/`!~` whose pattern is a plain alternation of literals (`a|b|c`, escapes allowed), `.*`
 * and `.+`. Other regexes that are safely expressible as a PostgreSQL ARE are pushed down as a
 * *prefilter* that may let extra rows through (PostgreSQL's `.` also matches a newline) and are
 * re-checked exactly in JavaScript; anything else is checked in JavaScript only (`residual`).
 */
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
        } else if (contained[m.name] !== undefined && contained[m.name] !== m.value) {
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
        const literals = literalAlternatives(m.value);
        if (m.value === '.*') {
          conditions.push(negate ? 'false' : 'true');
        } else if (m.value === '.+' && !isName) {
          conditions.push(`${negate ? 'NOT ' : ''}(s.labels ? ${text(m.name)})`);
        } else if (literals !== undefined) {
          conditions.push(`${negate ? 'NOT ' : ''}(${column()} = ANY(${p(literals.map(toDbText))}::text[]))`);
        } else if (!negate && isPostgresSafe(m.value)) {
          // The pattern applies to raw values (a safe pattern holds no U+0000); a value holding
          // the escape character is stored encoded and may not match as stored, so it passes
          // the prefilter and the exact check decides. Not for names: that OR would cost the
          // name index its prefix scans, and only a UTF-8 name (PUSH_ENABLE_UTF8_NAMES) can hold
          // U+0000 or U+FDD0; a name regex misses such a name (equality finds it).
          const escaped = isName ? '' : ` OR strpos(${column()}, '${DB_TEXT_ESCAPE}') > 0`;
          conditions.push(`(${column()} ~ ${p(`^(?:${m.value})$`)}::text${escaped})`);
          residual.push(m);
        } else {
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

const REGEX_META = new Set(['.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '^', '$', '\\', '|']);

/**
 * The literal strings a pattern made only of literals and top-level `|` matches (`a|b\.c` →
 * ["a", "b.c"]); undefined when the pattern uses any other regex construct.
 */
export function literalAlternatives(pattern: string): string[] | undefined {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '|') {
      out.push(current);
      current = '';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || !REGEX_META.has(next)) {
        return undefined;
      }
      current += next;
      i++;
    } else if (REGEX_META.has(c)) {
      return undefined;
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

const SAFE_LITERAL = /[A-Za-z0-9_:\-/ ,=@#%&'"!<>;~`\u0080-\uffff]/;
const SAFE_ESCAPED = new Set(['.', '-', '/', '\\', '+', '*', '?', '(', ')', '[', ']', '|', '{', '}', '^', '$']);
const SAFE_CLASS_CHAR = /[A-Za-z0-9_.:-]/;

/**
 * Whether RE2 `pattern` means, as a PostgreSQL ARE, the same or a superset of strings: only
 * literals, escaped punctuation, `. * + ? |`, groups `( )`/`(?: )` and simple bracket classes.
 * (The only known difference in that subset, `.` matching a newline, makes PostgreSQL's set larger.)
 */
export function isPostgresSafe(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (!SAFE_ESCAPED.has(pattern[i + 1] ?? '')) {
        return false;
      }
      i++;
    } else if (c === '(') {
      if (pattern[i + 1] === '?') {
        if (pattern[i + 2] !== ':') {
          return false;
        }
        i += 2;
      }
      depth++;
    } else if (c === ')') {
      if (--depth < 0) {
        return false;
      }
    } else if (c === '[') {
      const end = simpleClassEnd(pattern, i);
      if (end < 0) {
        return false;
      }
      i = end;
    } else if (!'.*+?|'.includes(c) && !SAFE_LITERAL.test(c)) {
      return false;
    }
  }
  return depth === 0;
}

/** Index of the `]` closing a simple class (`[a-z0-9_]`, `[^.]`) opened at `start`, or -1. */
function simpleClassEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') {
    i++;
  }
  const first = i;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === ']' && i > first) {
      return i;
    }
    if (!SAFE_CLASS_CHAR.test(c)) {
      return -1;
    }
  }
  return -1;
}
