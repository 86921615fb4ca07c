/** Label matcher semantics shared by the parser (validation) and by SeriesSource implementations. */

import { labelValue } from 'src/core/model/labels';
import { AnchoredRegex, compileAnchored } from 'src/core/promql/regex';
import type { LabelMatcher } from 'src/core/promql/series-source';

/** Tests one label value ('' for a missing label). */
export type ValuePredicate = (value: string) => boolean;

const regexCache = new Map<string, AnchoredRegex>();
// Each entry may hold up to DFA_MEMORY_BUDGET of re2js DFA states.
const REGEX_CACHE_LIMIT = 256;

/**
 * Compiles a matcher into a predicate on the label value, with Prometheus semantics: a missing
 * label is the empty string, regexes are RE2 anchored at both ends. Throws RegexSyntaxError for
 * an invalid regex.
 */
export function compileMatcher(m: LabelMatcher): ValuePredicate {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = anchoredRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = anchoredRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

/** True when the label set satisfies every matcher. */
export function matchesAll(labels: Readonly<Record<string, string>>, predicates: readonly [string, ValuePredicate][]): boolean {
  for (const [name, test] of predicates) {
    if (!test(labelValue(labels, name) ?? '')) {
      return false;
    }
  }
  return true;
}

/** Compiles all matchers into `[labelName, predicate]` pairs for matchesAll. */
export function compileMatchers(matchers: readonly LabelMatcher[]): [string, ValuePredicate][] {
  return matchers.map((m) => [m.name, compileMatcher(m)]);
}

function anchoredRegex(pattern: string): AnchoredRegex {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    re = compileAnchored(pattern);
    if (regexCache.size >= REGEX_CACHE_LIMIT) {
      regexCache.clear();
    }
    regexCache.set(pattern, re);
  }
  return re;
}
