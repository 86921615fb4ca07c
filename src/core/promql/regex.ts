/**
 * PromQL regular expressions (label matchers `=~`/`!~`, label_replace): Go RE2 syntax and
 * semantics, matched in time linear in the input.
 *
 * Prometheus compiles `^(?:pattern)$` with Go's regexp (RE2: no backtracking) and searches it
 * unanchored, so a pattern such as `a)|(b` closes the wrapper early. Here the same wrapped text is
 * compiled by re2js, a port of Go's regexp: same parser, error messages, size limits, case
 * folding, `.` without `\n` unless `(?s)`, ASCII `\d \s \w \b`. A user's pattern is never given
 * to V8's backtracking engine: `(a+)+b` on 10,000 characters would block the process for ever.
 *
 * Differences: `(?<name>...)` is rejected as Prometheus 2.42 (Go 1.19) does, though re2js (like
 * Go ≥ 1.22) takes it; and the size limits (MAX_PROGRAM_SIZE, MAX_ENGINE_PATTERN_LENGTH) are far
 * below Go's, because a match here runs on the process's only thread.
 *
 * Simple shapes skip the regex engine (`FastPath`): on label-sized values string comparisons are
 * 2× (`.*foo`) to 45× (`.*`, `.+`) cheaper than an re2js search, and such patterns are most of
 * what dashboards send.
 */
import { RE2JS, RE2JSException } from 're2js';

/** A pattern that is not valid RE2 syntax (message worded as Go's regexp package words it). */
export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

/**
 * How `AnchoredRegex.test` decides without the regex engine. `L` is a literal (characters and
 * escaped punctuation), a group of literal alternatives `(a|b)`/`(?:a|b)` or a concatenation of
 * those (`(a|b):`), without a newline in the `.*` forms:
 * - `equal`: one literal; `set`: `L|L|...`;
 * - `any`: `.*`; `nonEmpty`: `.+` (neither crosses a newline, as in RE2);
 * - `prefix`: `L.*`; `suffix`: `.*L`; `contains`: `.*L.*`.
 */
export type FastPath = 'equal' | 'set' | 'any' | 'nonEmpty' | 'prefix' | 'suffix' | 'contains';

/** A compiled matcher regex with Prometheus' anchoring. Every method runs in linear time. */
export interface AnchoredRegex {
  /** Whether the whole of `value` matches. */
  test(value: string): boolean;
  /** The groups of a match of the whole value (index 0 = value, unmatched groups undefined), or null. */
  exec(value: string): readonly (string | undefined)[] | null;
  /** RE2 capture group names by group index (index 0 = whole match; unnamed groups undefined). */
  readonly groupNames: readonly (string | undefined)[];
  /** The shortcut `test` takes, or undefined when it runs re2js. */
  readonly fastPath: FastPath | undefined;
}

/**
 * Largest program (re2js instructions) a pattern may compile to when the engine runs it. Go
 * allows about 1.4 million, but matching costs up to (program size × input length) steps on
 * this single thread: at 5,000, an adversarial pattern on a 10,000-character value takes about
 * a second; real patterns this large are literal alternations, which the fast paths take.
 */
export const MAX_PROGRAM_SIZE = 5000;

/**
 * Longest pattern given to re2js. Its parser, like Go's, takes time quadratic in the length on
 * some inputs (`[[:` repeated, never closed: 0.1 s at 16 KiB, 0.9 s at 64 KiB).
 */
export const MAX_ENGINE_PATTERN_LENGTH = 16 * 1024;

/**
 * Compiles RE2 `pattern` the way Prometheus does (`^(?:pattern)$`). Throws RegexSyntaxError with
 * Go's wording (`error parsing regexp: missing closing ): ...`) for an invalid pattern, and
 * `error parsing regexp: expression too large` beyond MAX_PROGRAM_SIZE or
 * MAX_ENGINE_PATTERN_LENGTH.
 *
 * Without `captures`, a fast-path pattern (valid by construction) is compiled by re2js only
 * when `exec` or `groupNames` first needs it (and may throw then), so `test` is not held to
 * MAX_PROGRAM_SIZE: a dashboard's alternation of a thousand host names costs nothing to
 * compile. Pass `captures` when exec will be used, so that every error surfaces here.
 */
export function compileAnchored(pattern: string, options: { captures?: boolean } = {}): AnchoredRegex {
  rejectAngleGroup(pattern);
  const shape = literalShape(pattern);
  let engine = shape === undefined || options.captures === true ? compileEngine(pattern) : undefined;
  const compiled = (): RE2JS => (engine ??= compileEngine(pattern));
  let names: (string | undefined)[] | undefined;
  return {
    test: shape === undefined ? (value) => compiled().test(value) : shapeTest(shape),
    exec: (value) => compiled().exec(value) as (string | undefined)[] | null,
    get groupNames() {
      return (names ??= groupNamesOf(compiled()));
    },
    fastPath: shape?.kind,
  };
}

function compileEngine(pattern: string): RE2JS {
  // Compiling is itself slow for big programs (seconds near Go's limit): bound it first.
  if (pattern.length > MAX_ENGINE_PATTERN_LENGTH || programSizeBound(pattern) > 2 * MAX_PROGRAM_SIZE) {
    throw tooLarge();
  }
  const re = compileRe2(`^(?:${pattern})$`);
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    throw tooLarge();
  }
  limitDfaMemory(re);
  return re;
}

function tooLarge(): RegexSyntaxError {
  return new RegexSyntaxError('error parsing regexp: expression too large');
}

/**
 * Bytes of lazy-DFA states one compiled regex may keep (re2js' estimate; the heap holds about
 * as much). re2js' default, 8 MiB, times the matcher cache would let a few hundred
 * state-exploding patterns take gigabytes; past the budget re2js clears its cache and falls
 * back to its NFA, still in linear time.
 */
export const DFA_MEMORY_BUDGET = 256 * 1024;

/** Applies DFA_MEMORY_BUDGET; returns false if this re2js version no longer has the fields. */
export function limitDfaMemory(re: RE2JS): boolean {
  const dfa = re.re2().dfa as { stateBudget?: unknown; memBudget?: unknown } | undefined;
  if (typeof dfa?.stateBudget !== 'number' || typeof dfa.memBudget !== 'number') {
    return false;
  }
  dfa.stateBudget = DFA_MEMORY_BUDGET;
  dfa.memBudget = DFA_MEMORY_BUDGET;
  return true;
}

function compileRe2(wrapped: string): RE2JS {
  try {
    return RE2JS.compile(wrapped);
  } catch (e) {
    if (e instanceof RE2JSException) {
      throw new RegexSyntaxError(e.message.startsWith('error parsing regexp: ') ? e.message : `error parsing regexp: ${e.message}`);
    }
    throw e;
  }
}

function groupNamesOf(re: RE2JS): (string | undefined)[] {
  const names = new Array<string | undefined>(re.groupCount() + 1).fill(undefined);
  for (const [name, index] of Object.entries(re.namedGroups())) {
    names[index] = name;
  }
  return names;
}

/**
 * An upper bound of the instructions re2js compiles `^(?:pattern)$` into, without compiling:
 * one per character, class or escape, one per `|` or `*+?`, two per capture, and a counted
 * repeat `x{n,m}` as m copies of x (n+1 for `{n,}`) with two instructions each for the choices.
 */
export function programSizeBound(pattern: string): number {
  const frames: { total: number; last: number; capture: boolean }[] = [{ total: 0, last: 0, capture: false }];
  const top = (): { total: number; last: number; capture: boolean } => frames[frames.length - 1];
  const add = (size: number): void => {
    top().total += size;
    top().last = size;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && pattern[i + 1] === 'Q') {
      const end = pattern.indexOf('\\E', i + 2);
      const stop = end < 0 ? pattern.length : end;
      top().total += stop - i;
      top().last = 1;
      i = end < 0 ? pattern.length : end + 1;
    } else if (c === '\\') {
      // Bounded look-ahead (`\x{10FFFF}`, `\p{Old_North_Arabian}`): no quadratic scan of `\x{\x{\x{...`.
      const braced = /^\\[xpP]\{[^}]{0,40}\}/.exec(pattern.slice(i, i + 44));
      i += braced === null ? 1 : braced[0].length - 1;
      add(1);
    } else if (c === '[') {
      i = classEnd(pattern, i);
      add(1);
    } else if (c === '(') {
      const header = /^\((?:\?P<[^>]*>|\?[imsU-]*(:|\))|)/.exec(pattern.slice(i, i + 40));
      const text = header?.[0] ?? '(';
      i += text.length - 1;
      if (!text.endsWith(')')) {
        frames.push({ total: 0, last: 0, capture: !text.startsWith('(?') || text.startsWith('(?P') });
      }
    } else if (c === ')' && frames.length > 1) {
      const group = frames.pop() as { total: number; capture: boolean };
      add(group.total + (group.capture ? 2 : 0));
    } else if (c === '|') {
      top().total += 1;
      top().last = 0;
    } else if (c === '*' || c === '+' || c === '?') {
      top().total += 1;
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i, i + 24))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24)) as RegExpExecArray;
      const min = Number(m[1]);
      // Counts above 1000 are invalid: clamped, re2js compiles fast enough to say so in Go's words.
      const copies = Math.min(1000, Math.max(1, m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3])));
      const last = top().last;
      top().total += last * (copies - 1) + 2 * copies + 2;
      top().last = (last + 2) * copies + 2;
      i += m[0].length - 1;
    } else {
      add(1);
    }
  }
  return frames.reduce((sum, f) => sum + f.total + 2, 6);
}

/**
 * Go 1.19 stops at the first `(?<` with "invalid or unsupported Perl syntax"; an error earlier in
 * the pattern wins, so the text before it is checked first (its unclosed groups aside).
 */
function rejectAngleGroup(pattern: string): void {
  const at = firstAngleGroup(pattern);
  if (at < 0) {
    return;
  }
  const before = pattern.slice(0, at);
  if (before.length > MAX_ENGINE_PATTERN_LENGTH || programSizeBound(before) > 2 * MAX_PROGRAM_SIZE) {
    throw tooLarge();
  }
  try {
    compileRe2(`^(?:${before}`);
  } catch (e) {
    if (!(e instanceof RegexSyntaxError) || !e.message.includes('missing closing )')) {
      throw e;
    }
  }
  throw new RegexSyntaxError('error parsing regexp: invalid or unsupported Perl syntax: `(?<`');
}

/** Index of the first `(?<` outside character classes and `\Q...\E`, or -1. */
function firstAngleGroup(pattern: string): number {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (pattern[i + 1] !== 'Q') {
        i++;
        continue;
      }
      const end = pattern.indexOf('\\E', i + 2);
      if (end < 0) {
        return -1;
      }
      i = end + 1;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else if (c === '(' && pattern.startsWith('(?<', i)) {
      return i;
    }
  }
  return -1;
}

/** Index of the `]` closing the class opened at `start` (Go's rules: a leading `]` is literal, `[:name:]` nests). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') {
    i++;
  }
  if (pattern[i] === ']') {
    i++;
  }
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      i++;
    } else if (pattern.startsWith('[:', i)) {
      // Valid names are short (`[:^xdigit:]`); a bounded look-ahead keeps `[[:[:[:...` linear.
      const end = pattern.slice(i + 2, i + 16).indexOf(':]');
      i = end < 0 ? i : i + 2 + end + 1;
    } else if (pattern[i] === ']') {
      return i;
    }
  }
  return pattern.length;
}

/** Literal runs and groups of literal alternatives: the strings they match (and their total length). */
type Token = { alts: string[]; chars: number } | 'dotStar' | 'dotPlus' | '|';

const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);
/** RE2 reads `\` before ASCII punctuation as the punctuation itself. */
const ESCAPABLE = /^[!-/:-@[-`{-~]$/;
/** A lone surrogate: V8 and re2js would split or join it with its neighbours differently. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The literal structure of a pattern the fast paths decide: its kind and its literal
 * alternatives (none for `any` and `nonEmpty`). Literals of the `.*` forms hold no newline.
 */
export interface LiteralShape {
  kind: FastPath;
  literals: readonly string[];
}

/**
 * The LiteralShape of `pattern`, or undefined when only the regex engine decides it. A pattern
 * with a shape is valid RE2, and `compileAnchored(pattern).test` is exactly the shape's meaning
 * (pinned against re2js in regex-equivalence.spec.ts).
 */
export function literalShape(pattern: string): LiteralShape | undefined {
  const tokens = LONE_SURROGATE.test(pattern) ? undefined : tokenize(pattern);
  if (tokens === undefined) {
    return undefined;
  }
  const [first, second, third] = tokens;
  const alts = (t: Token | undefined): string[] | undefined => (typeof t === 'object' && t.alts.every((a) => !a.includes('\n')) ? t.alts : undefined);
  const dotted = (kind: FastPath, t: Token | undefined): LiteralShape | undefined => {
    const literals = alts(t);
    return literals === undefined ? undefined : { kind, literals };
  };
  if (tokens.length === 1 && (first === 'dotStar' || first === 'dotPlus')) {
    return { kind: first === 'dotStar' ? 'any' : 'nonEmpty', literals: [] };
  }
  return (
    (tokens.length === 2 && second === 'dotStar' ? dotted('prefix', first) : undefined) ??
    (tokens.length === 2 && first === 'dotStar' ? dotted('suffix', second) : undefined) ??
    (tokens.length === 3 && first === 'dotStar' && third === 'dotStar' ? dotted('contains', second) : undefined) ??
    literalSet(tokens)
  );
}

/** `a|(b|c)|`: top-level branches of at most one literal token each; undefined for anything else. */
function literalSet(tokens: Token[]): LiteralShape | undefined {
  const all: string[] = [];
  let branch: Token[] = [];
  for (const t of [...tokens, '|' as const]) {
    if (t !== '|') {
      branch.push(t);
      continue;
    }
    const [only] = branch;
    if (branch.length > 1 || (only !== undefined && typeof only !== 'object')) {
      return undefined;
    }
    all.push(...(only === undefined ? [''] : only.alts));
    branch = [];
  }
  return { kind: all.length === 1 ? 'equal' : 'set', literals: all };
}

/** The predicate a LiteralShape stands for. */
function shapeTest({ kind, literals }: LiteralShape): (value: string) => boolean {
  const noNewline = (v: string): boolean => !v.includes('\n');
  switch (kind) {
    case 'equal': {
      const [only] = literals;
      return (v) => v === only;
    }
    case 'set': {
      const set = new Set(literals);
      return (v) => set.has(v);
    }
    case 'any':
      return noNewline;
    case 'nonEmpty':
      return (v) => v !== '' && noNewline(v);
    case 'prefix':
      return (v) => literals.some((l) => v.startsWith(l)) && noNewline(v);
    case 'suffix':
      return (v) => literals.some((l) => v.endsWith(l)) && noNewline(v);
    case 'contains':
      return (v) => literals.some((l) => v.includes(l)) && noNewline(v);
  }
}

/**
 * A literal every string `pattern` matches starts with ('' when none is known): the literal run
 * at its start, short of a last character that a `*`, `?` or `{` makes optional. Lets storage
 * narrow a selector before the exact check; '' for top-level alternations and for a `)` that
 * closes Prometheus' wrapper early.
 */
export function requiredPrefix(pattern: string): string {
  let prefix = '';
  let i = 0;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && ESCAPABLE.test(pattern[i + 1] ?? '')) {
      prefix += pattern[++i];
    } else if (META.has(c)) {
      break;
    } else {
      prefix += c;
    }
  }
  if (prefix === '' || LONE_SURROGATE.test(prefix) || hasTopLevelBar(pattern)) {
    return '';
  }
  // A repeat after flag groups still applies to the character before them (`a(?i)*`).
  const next = pattern.slice(i).replace(/^(?:\(\?[imsU-]*\))+/, '')[0];
  const optionalLast = next !== undefined && '*?{'.includes(next);
  // Drop a whole last code point: an astral character is two UTF-16 units.
  return optionalLast ? prefix.slice(0, prefix.length - ([...prefix].pop() ?? '').length) : prefix;
}

/** Whether a `|` (or a `)` closing the wrapper) sits outside every group, class and `\Q...\E`. */
function hasTopLevelBar(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && pattern[i + 1] === 'Q') {
      const end = pattern.indexOf('\\E', i + 2);
      i = end < 0 ? pattern.length : end + 1;
    } else if (c === '\\') {
      i++;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    }
    if (depth < 0 || (depth === 0 && c === '|')) {
      return true;
    }
  }
  return false;
}

/** Most strings, and characters in all, a concatenation of literal groups (`(a|b)-(c|d)`) may stand for. */
const MAX_LITERAL_ALTERNATIVES = 10000;
const MAX_LITERAL_CHARS = 1 << 20;

/** Appends alternatives to the token list, concatenated with a literal token before them; false when too many. */
function concatenate(tokens: Token[], alts: string[]): boolean {
  const last = tokens[tokens.length - 1];
  const chars = alts.reduce((n, a) => n + a.length, 0);
  if (typeof last !== 'object') {
    tokens.push({ alts, chars });
    return true;
  }
  const total = last.chars * alts.length + chars * last.alts.length;
  if (last.alts.length * alts.length > MAX_LITERAL_ALTERNATIVES || total > MAX_LITERAL_CHARS) {
    return false;
  }
  last.alts = alts.length === 1 ? last.alts.map((before) => before + alts[0]) : last.alts.flatMap((before) => alts.map((after) => before + after));
  last.chars = total;
  return true;
}

/**
 * Literal runs and groups `(a|b)`/`(?:a|b)` of literal alternatives (a concatenation of them is
 * one token of every combination), `.*`, `.+` and `|`; undefined for anything else (nested groups,
 * classes, flags, other escapes, lazy or counted repeats).
 */
function tokenize(pattern: string): Token[] | undefined {
  const tokens: Token[] = [];
  let group: string[] | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    let ch: string | undefined;
    if (c === '\\' && ESCAPABLE.test(pattern[i + 1] ?? '')) {
      ch = pattern[++i];
    } else if (!META.has(c)) {
      ch = c;
    }
    if (group !== undefined) {
      if (ch !== undefined) {
        group[group.length - 1] += ch;
      } else if (c === '|') {
        group.push('');
      } else if (c === ')' && concatenate(tokens, group)) {
        group = undefined;
      } else {
        return undefined;
      }
    } else if (ch !== undefined) {
      concatenate(tokens, [ch]);
    } else if (c === '.' && (pattern[i + 1] === '*' || pattern[i + 1] === '+') && !'?*+{'.includes(pattern[i + 2] ?? '.')) {
      tokens.push(pattern[++i] === '*' ? 'dotStar' : 'dotPlus');
    } else if (c === '|') {
      tokens.push('|');
    } else if (c === '(') {
      group = [''];
      i += pattern.startsWith('(?:', i) ? 2 : 0;
    } else {
      return undefined;
    }
  }
  return group === undefined ? tokens : undefined;
}
