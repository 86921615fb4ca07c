/**
 * Translation of Go RE2 regular expressions (the syntax PromQL matchers and label_replace use)
 * into JavaScript RegExps with the `u` flag.
 *
 * RE2 semantics kept: `.` excludes only `\n` (unless `(?s)`), `^`/`$` are text anchors unless
 * `(?m)`, `\s \d \w \b` are ASCII, POSIX classes `[[:alpha:]]`, `\pN`/`\p{Greek}`, `\Q...\E`,
 * octal and `\x{...}` escapes, `(?P<name>...)`, flag groups `(?imsU)`/`(?i:...)`, repeat counts
 * up to 1000, literal `{` when not a repeat. RE2-invalid constructs that JavaScript would
 * accept (backreferences, lookaround, `\k`) are rejected.
 *
 * Deliberate approximation: a case-insensitive flag that covers only part of the pattern is
 * emulated by expanding letters to their simple case variants; ranges wider than 5000 code
 * points inside such a part are not expanded.
 */

/** A pattern that is not valid RE2 syntax, or uses a construct this translator cannot express. */
export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

/** A compiled, fully anchored matcher regex plus the RE2 capture group names (index 0 = whole match). */
export interface AnchoredRegex {
  regex: RegExp;
  groupNames: readonly (string | undefined)[];
}

/**
 * Compiles RE2 `pattern` the way Prometheus does (`^(?:pattern)$`) into a JavaScript RegExp.
 * Throws RegexSyntaxError with Go's wording (`error parsing regexp: missing closing ): ...`).
 */
export function compileAnchored(pattern: string): AnchoredRegex {
  // Translating the wrapped text (not wrapping the translation) keeps Go's quirks: `a)|(b` closes
  // the wrapper early, and error messages quote the wrapped expression as Go does.
  const wrapped = `^(?:${pattern})$`;
  let t = new Translator(wrapped, false).run();
  if (t.caseInsensitiveSeen && !t.caseSensitiveSeen) {
    t = new Translator(wrapped, true).run();
  }
  const flags = t.nativeIgnoreCase ? 'iu' : 'u';
  try {
    return { regex: new RegExp(t.out, flags), groupNames: t.groupNames };
  } catch (e) {
    throw new RegexSyntaxError(`error parsing regexp: ${(e as Error).message}`);
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const SPACE = '\\t\\n\\f\\r ';
const PERL_CLASSES: Readonly<Record<string, { set: string; negated: boolean }>> = {
  d: { set: '0-9', negated: false },
  D: { set: '0-9', negated: true },
  s: { set: SPACE, negated: false },
  S: { set: SPACE, negated: true },
  w: { set: '0-9A-Za-z_', negated: false },
  W: { set: '0-9A-Za-z_', negated: true },
};
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\t ',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
const MAX_REPEAT = 1000;
const MAX_EXPANDED_RANGE = 5000;

/** A parsed character class: positive JS class fragments plus sets that appear complemented. */
interface ClassParts {
  positive: string[];
  negatedSets: string[];
}

/** Single-pass RE2 → JS translator; `nativeIgnoreCase` lets `(?i)` map to the JS `i` flag. */
class Translator {
  out = '';
  groupNames: (string | undefined)[] = [undefined];
  caseSensitiveSeen = false;
  caseInsensitiveSeen = false;
  private pos = 0;
  private flags: Flags = { i: false, m: false, s: false, U: false };
  /** Per open group: flags to restore on `)`, and whether the group was opened. */
  private stack: Flags[] = [];
  /** Whether the previous item can take a repetition operator, and whether it was one. */
  private canRepeat = false;
  private lastWasRepeat = false;
  private lastRepeatText = '';

  constructor(
    private readonly src: string,
    readonly nativeIgnoreCase: boolean,
  ) {}

  run(): this {
    while (this.pos < this.src.length) {
      this.step();
    }
    if (this.stack.length > 0) {
      this.fail('missing closing )', this.src);
    }
    return this;
  }

  private step(): void {
    const c = this.src[this.pos];
    switch (c) {
      case '(':
        return this.openGroup();
      case ')':
        return this.closeGroup();
      case '|':
        this.pos++;
        this.out += '|';
        return this.markNoRepeat();
      case '*':
      case '+':
      case '?':
        return this.repeat(c, 1);
      case '{': {
        const rep = this.repeatCount();
        if (rep !== undefined) {
          return this.repeat(rep, rep.length);
        }
        this.pos++;
        return this.literal(0x7b);
      }
      case '.':
        this.pos++;
        return this.atom(this.flags.s ? '[\\s\\S]' : '[^\\n]');
      case '^':
        this.pos++;
        return this.assertion(this.flags.m ? '(?<![^\\n])' : '^');
      case '$':
        this.pos++;
        return this.assertion(this.flags.m ? '(?![^\\n])' : '$');
      case '[':
        return this.charClass();
      case '\\':
        return this.escape();
      default: {
        const cp = this.src.codePointAt(this.pos) as number;
        this.pos += cp > 0xffff ? 2 : 1;
        return this.literal(cp);
      }
    }
  }

  private fail(code: string, expr: string): never {
    throw new RegexSyntaxError(`error parsing regexp: ${code}: \`${expr}\``);
  }

  private markNoRepeat(): void {
    this.canRepeat = false;
    this.lastWasRepeat = false;
  }

  private atom(js: string): void {
    this.out += js;
    this.canRepeat = true;
    this.lastWasRepeat = false;
  }

  private assertion(js: string): void {
    // RE2 allows repeating empty-width assertions (`^*`); wrapping keeps that valid in JS.
    this.atom(`(?:${js})`);
  }

  private literal(cp: number): void {
    this.noteCase(cp);
    this.atom(this.caseFold() ? foldedAtom(cp) : jsChar(cp));
  }

  private caseFold(): boolean {
    return this.flags.i && !this.nativeIgnoreCase;
  }

  private noteCase(cp: number): void {
    if (caseVariants(cp).length > 1) {
      if (this.flags.i) {
        this.caseInsensitiveSeen = true;
      } else {
        this.caseSensitiveSeen = true;
      }
    }
  }

  private repeat(op: string, length: number): void {
    const text = this.src.slice(this.pos, this.pos + length);
    if (this.lastWasRepeat) {
      this.fail('invalid nested repetition operator', this.lastRepeatText + text);
    }
    if (!this.canRepeat) {
      this.fail('missing argument to repetition operator', text);
    }
    this.pos += length;
    let lazy = false;
    if (this.src[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    if (this.flags.U) {
      lazy = !lazy;
    }
    this.out += op + (lazy ? '?' : '');
    this.canRepeat = false;
    this.lastWasRepeat = true;
    this.lastRepeatText = this.src.slice(this.pos - length - (lazy !== this.flags.U ? 1 : 0), this.pos);
  }

  /** Parses `{n}`, `{n,}`, `{n,m}` at pos; undefined when the brace is a literal. */
  private repeatCount(): string | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
    if (!m) {
      return undefined;
    }
    const min = Number(m[1]);
    const max = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
    if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) {
      this.fail('invalid repeat count', m[0]);
    }
    return m[0];
  }

  private openGroup(): void {
    const rest = this.src.slice(this.pos);
    if (!rest.startsWith('(?')) {
      this.pos++;
      this.groupNames.push(undefined);
      return this.pushGroup('(');
    }
    const named = /^\(\?P<([^>]*)>/.exec(rest);
    if (named) {
      return this.namedGroup(named[0], named[1]);
    }
    const flagGroup = this.flagGroup(rest);
    this.pos += flagGroup.length;
    const next: Flags = { ...this.flags };
    for (const f of flagGroup.set) {
      next[f as keyof Flags] = true;
    }
    for (const f of flagGroup.clear) {
      next[f as keyof Flags] = false;
    }
    if (flagGroup.opensGroup === false) {
      this.flags = next;
      return this.markNoRepeat();
    }
    this.stack.push(this.flags);
    this.flags = next;
    this.out += '(?:';
    this.markNoRepeat();
  }

  /** Parses `(?flags)`, `(?flags:`, `(?-flags)`; fails with Go's text for anything else (lookaround too). */
  private flagGroup(rest: string): { length: number; set: string; clear: string; opensGroup: boolean } {
    let set = '';
    let clear = '';
    let negated = false;
    let sawFlag = false;
    for (let i = 2; i < rest.length; i++) {
      const c = rest[i];
      if ('imsU'.includes(c)) {
        if (negated) {
          clear += c;
        } else {
          set += c;
        }
        sawFlag = true;
      } else if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && (!negated || sawFlag)) {
        return { length: i + 1, set, clear, opensGroup: c === ':' };
      } else {
        return this.fail('invalid or unsupported Perl syntax', rest.slice(0, i + 1));
      }
    }
    return this.fail('missing closing )', this.src);
  }

  private namedGroup(text: string, name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      this.fail('invalid named capture', text);
    }
    if (this.groupNames.includes(name)) {
      this.fail('duplicate capture group name', text);
    }
    this.pos += text.length;
    this.groupNames.push(name);
    this.pushGroup('(');
  }

  private pushGroup(js: string): void {
    this.stack.push(this.flags);
    this.out += js;
    this.markNoRepeat();
  }

  private closeGroup(): void {
    const restored = this.stack.pop();
    if (restored === undefined) {
      this.fail('unexpected )', this.src);
    }
    this.pos++;
    this.flags = restored;
    this.atom(')');
  }

  private escape(): void {
    const next = this.src[this.pos + 1];
    if (next === undefined) {
      this.fail('trailing backslash at end of expression', '');
    }
    const perl = PERL_CLASSES[next];
    if (perl) {
      this.pos += 2;
      return this.atom(`[${perl.negated ? '^' : ''}${perl.set}]`);
    }
    switch (next) {
      case 'A':
        this.pos += 2;
        return this.assertion('^');
      case 'z':
        this.pos += 2;
        return this.assertion('$');
      case 'b':
      case 'B':
        this.pos += 2;
        return this.assertion(`\\${next}`);
      case 'p':
      case 'P':
        return this.atom(this.unicodeClass(false));
      case 'Q':
        return this.quoted();
      default:
        return this.literal(this.escapedChar(false));
    }
  }

  /** `\Q...\E`: everything up to `\E` (or the end) is literal. */
  private quoted(): void {
    const end = this.src.indexOf('\\E', this.pos + 2);
    const text = this.src.slice(this.pos + 2, end < 0 ? undefined : end);
    this.pos = end < 0 ? this.src.length : end + 2;
    for (const ch of text) {
      this.literal(ch.codePointAt(0) as number);
    }
  }

  /** A single-character escape at pos (`\n`, `\x41`, `\x{263a}`, `\101`, `\.`); returns its code point. */
  private escapedChar(inClass: boolean): number {
    const rest = this.src.slice(this.pos);
    const next = rest[1];
    if (next in SIMPLE_ESCAPES) {
      this.pos += 2;
      return SIMPLE_ESCAPES[next];
    }
    if (next === 'x') {
      const m = /^\\x(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{2}))/.exec(rest);
      const cp = m ? parseInt(m[1] ?? m[2], 16) : NaN;
      if (!m || cp > 0x10ffff) {
        this.fail('invalid escape sequence', rest.slice(0, 4));
      }
      this.pos += m[0].length;
      return cp;
    }
    const octal = /^\\(0[0-7]{0,2}|[1-7][0-7]{1,2})/.exec(rest);
    if (octal) {
      this.pos += octal[0].length;
      return parseInt(octal[1], 8);
    }
    const cp = rest.codePointAt(1) as number;
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(next)) {
      this.pos += 2;
      return cp;
    }
    if (inClass && next === 'b') {
      this.fail('invalid escape sequence', '\\b');
    }
    return this.fail('invalid escape sequence', rest.slice(0, 2));
  }

  /** `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}` at pos → a JS class or class fragment. */
  private unicodeClass(inClass: boolean): string {
    const rest = this.src.slice(this.pos);
    const m = /^\\([pP])(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(rest);
    if (!m) {
      this.fail('invalid character class range', rest.slice(0, 3));
    }
    this.pos += m[0].length;
    const name = m[3] ?? m[4];
    const negated = (m[1] === 'P') !== (m[2] === '^');
    if (name === 'Any') {
      return inClass ? (negated ? '' : '\\u{0}-\\u{10ffff}') : negated ? '[^\\s\\S]' : '[\\s\\S]';
    }
    const property = /^(?:[CLMNPSZ]|C[cfos]|L[lmotu]|M[cen]|N[dlo]|P[cdefios]|S[ckmo]|Z[lps])$/.test(name)
      ? name
      : `Script=${name}`;
    const js = `\\${negated ? 'P' : 'p'}{${property}}`;
    try {
      new RegExp(js, 'u');
    } catch {
      this.fail('invalid character class range', m[0]);
    }
    return js;
  }

  private charClass(): void {
    const start = this.pos;
    this.pos++;
    const negated = this.src[this.pos] === '^';
    if (negated) {
      this.pos++;
    }
    const parts: ClassParts = { positive: [], negatedSets: [] };
    let first = true;
    while (this.src[this.pos] !== ']' || first) {
      if (this.pos >= this.src.length) {
        this.fail('missing closing ]', this.src.slice(start));
      }
      this.classItem(parts);
      first = false;
    }
    this.pos++;
    this.atom(emitClass(parts, negated));
  }

  private classItem(parts: ClassParts): void {
    const rest = this.src.slice(this.pos);
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
    if (posix) {
      const set = POSIX_CLASSES[posix[2]];
      if (set === undefined) {
        this.fail('invalid character class range', posix[0]);
      }
      this.pos += posix[0].length;
      (posix[1] ? parts.negatedSets : parts.positive).push(set);
      return;
    }
    if (rest[0] === '\\' && PERL_CLASSES[rest[1]]) {
      const perl = PERL_CLASSES[rest[1]];
      this.pos += 2;
      (perl.negated ? parts.negatedSets : parts.positive).push(perl.set);
      return;
    }
    if (rest[0] === '\\' && (rest[1] === 'p' || rest[1] === 'P')) {
      parts.positive.push(this.unicodeClass(true));
      return;
    }
    this.classRange(parts);
  }

  private classRange(parts: ClassParts): void {
    const itemStart = this.pos;
    const lo = this.classChar();
    let hi = lo;
    if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
      this.pos++;
      hi = this.classChar();
      if (hi < lo) {
        this.fail('invalid character class range', this.src.slice(itemStart, this.pos));
      }
    }
    for (let cp = lo; cp <= hi && cp - lo < 64; cp++) {
      this.noteCase(cp);
    }
    parts.positive.push(this.caseFold() ? foldedRange(lo, hi) : jsRange(lo, hi));
  }

  private classChar(): number {
    if (this.src[this.pos] === '\\') {
      return this.escapedChar(true);
    }
    const cp = this.src.codePointAt(this.pos) as number;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

/** Builds a JS expression for an RE2 class; complemented pieces are combined with alternation/lookahead. */
function emitClass(parts: ClassParts, negated: boolean): string {
  const pos = parts.positive.join('');
  const negs = parts.negatedSets;
  if (negs.length === 0) {
    return pos === '' ? (negated ? '[\\s\\S]' : '[^\\s\\S]') : `[${negated ? '^' : ''}${pos}]`;
  }
  if (!negated) {
    const alternatives = negs.map((set) => `[^${set}]`);
    if (pos !== '') {
      alternatives.unshift(`[${pos}]`);
    }
    return `(?:${alternatives.join('|')})`;
  }
  // Complement of (pos ∪ ¬n1 ∪ ¬n2 ...) is ¬pos ∩ n1 ∩ n2 ...: look ahead for all but the last.
  const lookaheads = negs.slice(0, -1).map((set) => `(?=[${set}])`);
  const exclude = pos === '' ? '' : `(?![${pos}])`;
  return `(?:${exclude}${lookaheads.join('')}[${negs[negs.length - 1]}])`;
}

function jsChar(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return /[0-9A-Za-z_]/.test(ch) ? ch : `\\u{${cp.toString(16)}}`;
}

function jsRange(lo: number, hi: number): string {
  return lo === hi ? jsChar(lo) : `${jsChar(lo)}-${jsChar(hi)}`;
}

function foldedAtom(cp: number): string {
  const variants = caseVariants(cp);
  return variants.length === 1 ? jsChar(cp) : `[${variants.map(jsChar).join('')}]`;
}

function foldedRange(lo: number, hi: number): string {
  if (hi - lo > MAX_EXPANDED_RANGE) {
    return jsRange(lo, hi);
  }
  let out = jsRange(lo, hi);
  for (let cp = lo; cp <= hi; cp++) {
    for (const v of caseVariants(cp)) {
      if (v < lo || v > hi) {
        out += jsChar(v);
      }
    }
  }
  return out;
}

/** Extra members of simple case-folding orbits that toLowerCase/toUpperCase do not reach. */
const EXTRA_FOLDS: Readonly<Record<number, number[]>> = {
  0x6b: [0x212a],
  0x4b: [0x212a],
  0x212a: [0x6b, 0x4b],
  0x73: [0x17f],
  0x53: [0x17f],
  0x17f: [0x73, 0x53],
  0xe5: [0x212b],
  0xc5: [0x212b],
  0x212b: [0xe5, 0xc5],
};

/** The code point and its simple case variants (approximating RE2's case folding orbits). */
function caseVariants(cp: number): number[] {
  const ch = String.fromCodePoint(cp);
  const set = new Set<number>([cp]);
  for (const v of [ch.toLowerCase(), ch.toUpperCase(), ch.toUpperCase().toLowerCase()]) {
    if ([...v].length === 1) {
      set.add(v.codePointAt(0) as number);
    }
  }
  for (const extra of EXTRA_FOLDS[cp] ?? []) {
    set.add(extra);
  }
  return [...set];
}
