/**
 * The PromQL lexer. Like Prometheus' it is contextual: inside `{...}` words are plain label
 * identifiers (never keywords, never with colons); inside `[...]` only durations and `:` occur;
 * elsewhere keywords are recognised case-insensitively and `inf`/`nan` are numbers.
 */

import { PromqlParseError } from 'src/core/promql/errors';

/** Token kinds. Punctuation and operators use their own text as kind. */
export type TokenKind =
  | 'EOF'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'KEYWORD'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | '('
  | ')'
  | '{'
  | '}'
  | '['
  | ']'
  | ','
  | ':'
  | '@'
  | '='
  | '=~'
  | '!~'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<=';

/**
 * One token. `text` is the source text (lower-cased for keywords); `value` is the decoded
 * content of a string literal. `start`/`end` are offsets into the query (end exclusive).
 */
export interface Token {
  kind: TokenKind;
  text: string;
  value?: string;
  start: number;
  end: number;
}

/** Keywords of PromQL (operators, aggregators, modifiers, `@` preprocessors). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'unless',
  'atan2',
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'start',
  'end',
]);

const GO_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isAlphaNumeric = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Splits a query into tokens, ending with an EOF token. Throws PromqlParseError on bad input. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

/** Go's `%#U` of a rune: `U+0071 'q'` (printable) or `U+000A`. */
function goRuneDesc(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `${hex} '${c}'` : hex;
}

/** Go's `%q` of a rune. */
function quoteChar(c: string | undefined): string {
  return c === undefined ? 'EOF' : `'${c}'`;
}

/** A state machine mirroring Prometheus' lexer closely enough to reproduce its error messages. */
class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  private braceOpen = false;
  private bracketOpen = false;
  private gotColon = false;
  private parenDepth = 0;

  constructor(private readonly input: string) {}

  run(): Token[] {
    for (;;) {
      this.skipSpaceAndComments();
      if (this.pos >= this.input.length) {
        break;
      }
      if (this.braceOpen) {
        this.insideBraces();
      } else {
        this.statement();
      }
    }
    if (this.braceOpen) {
      this.fail('unexpected end of input inside braces', this.pos);
    }
    if (this.parenDepth > 0) {
      this.fail('unclosed left parenthesis', this.pos);
    }
    if (this.bracketOpen) {
      this.fail('unclosed left bracket', this.pos);
    }
    this.tokens.push({ kind: 'EOF', text: '', start: this.pos, end: this.pos });
    return this.tokens;
  }

  private fail(message: string, at: number): never {
    throw new PromqlParseError(message, at, this.input);
  }

  private skipSpaceAndComments(): void {
    while (this.pos < this.input.length) {
      const c = this.input[this.pos];
      if (isSpace(c)) {
        this.pos++;
      } else if (c === '#') {
        const nl = this.input.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.input.length : nl;
      } else {
        return;
      }
    }
  }

  private emit(kind: TokenKind, start: number, extra: Partial<Token> = {}): void {
    this.tokens.push({ kind, text: this.input.slice(start, this.pos), start, end: this.pos, ...extra });
  }

  /** One token outside braces (Prometheus' lexStatements). */
  private statement(): void {
    const start = this.pos;
    const c = this.input[this.pos];
    const next = this.input[this.pos + 1];
    if (c === '"' || c === "'") {
      return this.quotedString(c);
    }
    if (c === '`') {
      return this.rawString();
    }
    if (isDigit(c) || (c === '.' && isDigit(next))) {
      return this.bracketOpen ? this.duration() : this.numberOrDuration();
    }
    if (isAlpha(c) || c === ':') {
      if (!this.bracketOpen) {
        return this.word();
      }
      if (this.gotColon) {
        this.fail(`unexpected colon ${quoteChar(c)}`, start);
      }
      this.gotColon = true;
      this.pos++;
      return this.emit(':', start);
    }
    this.pos++;
    switch (c) {
      case '=':
        if (next === '~') {
          this.fail(`unexpected character after '=': ${quoteChar(next)}`, start);
        }
        return this.operator(next === '=' ? '==' : '=', start);
      case '!':
        if (next !== '=') {
          this.fail(`unexpected character after '!': ${quoteChar(next)}`, start);
        }
        return this.operator('!=', start);
      case '<':
      case '>':
        return this.operator(next === '=' ? (`${c}=` as TokenKind) : (c as TokenKind), start);
      case ',':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '^':
      case '@':
        return this.emit(c, start);
      case '(':
        this.parenDepth++;
        return this.emit('(', start);
      case ')':
        this.emit(')', start);
        if (--this.parenDepth < 0) {
          this.fail(`unexpected right parenthesis ${quoteChar(c)}`, this.pos);
        }
        return;
      case '{':
        this.braceOpen = true;
        return this.emit('{', start);
      case '[':
        if (this.bracketOpen) {
          this.fail(`unexpected left bracket ${quoteChar(c)}`, start);
        }
        this.gotColon = false;
        this.bracketOpen = true;
        this.emit('[', start);
        return this.afterLeftBracket();
      case ']':
        if (!this.bracketOpen) {
          this.fail(`unexpected right bracket ${quoteChar(c)}`, start);
        }
        this.bracketOpen = false;
        return this.emit(']', start);
      default:
        this.fail(`unexpected character: ${quoteChar(String.fromCodePoint(this.input.codePointAt(start) ?? 0))}`, start);
    }
  }

  private operator(kind: TokenKind, start: number): void {
    this.pos = start + kind.length;
    this.emit(kind, start);
  }

  /** Prometheus lexes a duration right after `[`; a bare number there lacks its unit. */
  private afterLeftBracket(): void {
    this.skipSpaceAndComments();
    const c = this.input[this.pos];
    if (c === undefined || (!isDigit(c) && c !== '.' && c !== ']' && c !== ':')) {
      this.fail('missing unit character in duration', this.pos);
    }
  }

  /** One token inside `{...}` (Prometheus' lexInsideBraces). */
  private insideBraces(): void {
    const start = this.pos;
    const c = this.input[this.pos];
    if (isAlpha(c)) {
      return this.word();
    }
    if (c === '"' || c === "'") {
      return this.quotedString(c);
    }
    if (c === '`') {
      return this.rawString();
    }
    this.pos++;
    const next = this.input[this.pos];
    switch (c) {
      case ',':
        return this.emit(',', start);
      case '=':
        return this.operator(next === '~' ? '=~' : '=', start);
      case '!':
        if (next !== '~' && next !== '=') {
          this.fail(`unexpected character inside braces: ${quoteChar(next)}`, start);
        }
        return this.operator(next === '~' ? '!~' : '!=', start);
      case '{':
        this.fail(`unexpected left brace ${quoteChar(c)}`, start);
        break;
      case '}':
        this.braceOpen = false;
        return this.emit('}', start);
      default:
        this.fail(`unexpected character inside braces: ${quoteChar(String.fromCodePoint(this.input.codePointAt(start) ?? 0))}`, start);
    }
  }

  /** Prometheus' scanNumber: hex or decimal with fraction/exponent; ok when no letter follows. */
  private scanNumber(from: number): { end: number; ok: boolean } {
    const m = /^(?:0[xX][0-9a-fA-F]*|[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?)/.exec(this.input.slice(from));
    const end = from + (m?.[0].length ?? 0);
    return { end, ok: !isAlphaNumeric(this.input[end]) };
  }

  /** Prometheus' acceptRemainingDuration: units (`ms` too), optionally more digit+unit groups. */
  private remainingDuration(from: number): { end: number; ok: boolean } {
    let p = from;
    if (!'smhdwy'.includes(this.input[p] ?? '#')) {
      return { end: p, ok: false };
    }
    p++;
    if (this.input[p] === 's') {
      p++;
    }
    while (isDigit(this.input[p])) {
      while (isDigit(this.input[p])) {
        p++;
      }
      if (!'smhdw'.includes(this.input[p] ?? '#')) {
        return { end: p, ok: false };
      }
      p++;
      if (this.input[p] === 's') {
        p++;
      }
    }
    const ok = !isAlphaNumeric(this.input[p]);
    return { end: ok ? p : Math.min(p + 1, this.input.length), ok };
  }

  private numberOrDuration(): void {
    const start = this.pos;
    const num = this.scanNumber(start);
    if (num.ok) {
      this.pos = num.end;
      return this.emit('NUMBER', start);
    }
    const dur = this.remainingDuration(num.end);
    if (!dur.ok) {
      this.fail(`bad number or duration syntax: "${this.input.slice(start, dur.end)}"`, start);
    }
    this.pos = dur.end;
    this.emit('DURATION', start);
  }

  /** Inside brackets only durations are valid (Prometheus' lexDuration). */
  private duration(): void {
    const start = this.pos;
    const num = this.scanNumber(start);
    if (num.ok) {
      this.fail('missing unit character in duration', start);
    }
    const dur = this.remainingDuration(num.end);
    if (!dur.ok) {
      this.fail(`bad duration syntax: "${this.input.slice(start, dur.end)}"`, start);
    }
    this.pos = dur.end;
    this.emit('DURATION', start);
  }

  private word(): void {
    const start = this.pos;
    while (isAlphaNumeric(this.input[this.pos]) || (!this.braceOpen && this.input[this.pos] === ':')) {
      this.pos++;
    }
    const text = this.input.slice(start, this.pos);
    if (this.braceOpen) {
      return this.emit('IDENTIFIER', start);
    }
    const lower = text.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      return this.emit('NUMBER', start);
    }
    if (KEYWORDS.has(lower)) {
      return this.emit('KEYWORD', start, { text: lower });
    }
    this.emit(text.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER', start);
  }

  private quotedString(quote: string): void {
    const start = this.pos;
    this.pos++;
    let value = '';
    // Go strings are bytes: a run of \xHH / octal escapes spelling UTF-8 (`\xc3\xa9`) is that character.
    let bytes: number[] = [];
    for (;;) {
      const c = this.input[this.pos];
      if (c === undefined || c === '\n') {
        this.fail('unterminated quoted string', start);
      }
      this.pos++;
      const escaped = c === '\\' ? this.escape(quote, start) : undefined;
      if (typeof escaped === 'number') {
        bytes.push(escaped);
        continue;
      }
      value += escapedBytes(bytes);
      bytes = [];
      if (c === quote) {
        break;
      }
      value += escaped ?? c;
    }
    this.emit('STRING', start, { value });
  }

  /**
   * Decodes a Go escape after a backslash (already consumed): a string, or for `\xHH` and octal
   * escapes the byte value. Errors point at the string start.
   */
  private escape(quote: string, start: number): string | number {
    const c = this.input[this.pos];
    if (c === undefined) {
      this.fail('escape sequence not terminated', start);
    }
    this.pos++;
    if (c === quote) {
      return c;
    }
    if (c in GO_ESCAPES) {
      return GO_ESCAPES[c];
    }
    const spec = c >= '0' && c <= '7' ? { n: 3, base: 8, max: 255, back: 1 } : HEX_ESCAPES[c];
    if (!spec) {
      this.fail(`unknown escape sequence ${goRuneDesc(c)}`, start);
    }
    this.pos -= spec.back;
    let x = 0;
    for (let i = 0; i < spec.n; i++) {
      const ch = this.input[this.pos];
      const d = ch === undefined ? NaN : parseInt(ch, 16);
      if (ch === undefined) {
        this.fail('escape sequence not terminated', start);
      }
      if (!(d < spec.base)) {
        this.fail(`illegal character ${goRuneDesc(ch)} in escape sequence`, start);
      }
      x = x * spec.base + d;
      this.pos++;
    }
    if (x > spec.max || (x >= 0xd800 && x < 0xe000)) {
      this.fail('escape sequence is an invalid Unicode code point', start);
    }
    return spec.max === 255 ? x : String.fromCodePoint(x);
  }

  private rawString(): void {
    const start = this.pos;
    const end = this.input.indexOf('`', this.pos + 1);
    if (end < 0) {
      this.fail('unterminated raw string', start);
    }
    this.pos = end + 1;
    this.emit('STRING', start, { value: this.input.slice(start + 1, end) });
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a run of byte escapes: their UTF-8 decoding, or when they are not UTF-8 (which no
 * stored label value is), each byte as the Latin-1 code point.
 */
function escapedBytes(bytes: number[]): string {
  if (bytes.length === 0) {
    return '';
  }
  try {
    return strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return String.fromCharCode(...bytes);
  }
}

const HEX_ESCAPES: Readonly<Record<string, { n: number; base: number; max: number; back: number }>> = {
  x: { n: 2, base: 16, max: 255, back: 0 },
  u: { n: 4, base: 16, max: 0x10ffff, back: 0 },
  U: { n: 8, base: 16, max: 0x10ffff, back: 0 },
};
