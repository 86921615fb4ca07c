/**
 * The PromQL lexer. Like Prometheus' it is contextual: inside `{...}` words are plain label
 * identifiers (never keywords, never with colons); inside `[...]` only durations and `:` occur;
 * elsewhere keywords are recognised case-insensitively and `inf`/`nan` are numbers.
 */

import { PromqlParseError } from './errors';

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

const TWO_CHAR_OPS = new Set(['==', '!=', '>=', '<=', '=~', '!~']);
const ONE_CHAR_OPS = new Set(['(', ')', ',', '@', '+', '-', '*', '/', '%', '^', '>', '<', '=']);
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
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isAlphaNumeric = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Splits a query into tokens, ending with an EOF token. Throws PromqlParseError on bad input. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  private braceOpen = false;
  private bracketOpen = false;

  constructor(private readonly input: string) {}

  run(): Token[] {
    while (this.skipSpaceAndComments()) {
      this.next();
    }
    if (this.braceOpen) {
      this.fail('unclosed left brace', this.pos);
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

  /** Skips blanks and `#` comments; false at end of input. */
  private skipSpaceAndComments(): boolean {
    while (this.pos < this.input.length) {
      const c = this.input[this.pos];
      if (isSpace(c)) {
        this.pos++;
      } else if (c === '#') {
        const nl = this.input.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.input.length : nl;
      } else {
        return true;
      }
    }
    return false;
  }

  private emit(kind: TokenKind, start: number, extra: Partial<Token> = {}): void {
    this.tokens.push({ kind, text: this.input.slice(start, this.pos), start, end: this.pos, ...extra });
  }

  private next(): void {
    const c = this.input[this.pos];
    if (c === '"' || c === "'") {
      return this.quotedString(c);
    }
    if (c === '`') {
      return this.rawString();
    }
    if (this.bracketOpen) {
      return this.insideBrackets(c);
    }
    if (isDigit(c) || (c === '.' && isDigit(this.input[this.pos + 1]))) {
      return this.numberOrDuration();
    }
    if (this.braceOpen ? isAlpha(c) : isAlpha(c) || c === ':') {
      return this.word();
    }
    this.punctuation(c);
  }

  private punctuation(c: string): void {
    const start = this.pos;
    const two = this.input.slice(this.pos, this.pos + 2);
    if (TWO_CHAR_OPS.has(two)) {
      this.pos += 2;
      return this.emit(two as TokenKind, start);
    }
    if (c === '!') {
      this.fail(`unexpected character after '!': ${quoteChar(this.input[this.pos + 1])}`, start);
    }
    if (c === '{' || c === '}' || c === '[' || c === ']') {
      return this.bracket(c);
    }
    if (ONE_CHAR_OPS.has(c)) {
      this.pos++;
      return this.emit(c as TokenKind, start);
    }
    const where = this.braceOpen ? 'inside braces' : 'in expression';
    this.fail(`unexpected character ${where}: ${quoteChar(String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0))}`, start);
  }

  private bracket(c: string): void {
    const start = this.pos;
    if (c === '{') {
      if (this.braceOpen) {
        this.fail('unexpected left brace', start);
      }
      this.braceOpen = true;
    } else if (c === '}') {
      if (!this.braceOpen) {
        this.fail('unexpected right brace', start);
      }
      this.braceOpen = false;
    } else if (c === '[') {
      if (this.braceOpen) {
        this.fail("unexpected character inside braces: '['", start);
      }
      this.bracketOpen = true;
    } else {
      this.fail('unexpected right bracket', start);
    }
    this.pos++;
    this.emit(c as TokenKind, start);
  }

  private insideBrackets(c: string): void {
    const start = this.pos;
    if (c === ']') {
      this.bracketOpen = false;
      this.pos++;
      return this.emit(']', start);
    }
    if (c === ':') {
      this.pos++;
      return this.emit(':', start);
    }
    if (isDigit(c)) {
      return this.numberOrDuration();
    }
    if (c === '[') {
      this.fail('unexpected left bracket', start);
    }
    this.fail(`unexpected character inside brackets: ${quoteChar(c)}`, start);
  }

  /** Mirrors Prometheus' scanNumber followed by a duration attempt. */
  private numberOrDuration(): void {
    const start = this.pos;
    const rest = this.input.slice(this.pos);
    const num = /^(?:0[xX][0-9a-fA-F]*|[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?)/.exec(rest)?.[0] ?? '';
    if (num !== '' && !isAlphaNumeric(rest[num.length])) {
      this.pos += num.length;
      return this.emit('NUMBER', start);
    }
    const dur = /^(?:[0-9]+(?:ms|[smhdwy]))+/.exec(rest)?.[0];
    if (dur !== undefined && !isAlphaNumeric(rest[dur.length])) {
      this.pos += dur.length;
      return this.emit('DURATION', start);
    }
    let end = this.pos;
    while (isAlphaNumeric(this.input[end]) || this.input[end] === '.') {
      end++;
    }
    this.fail(`bad number or duration syntax: "${this.input.slice(start, end)}"`, start);
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
    for (;;) {
      const c = this.input[this.pos];
      if (c === undefined || c === '\n') {
        this.fail('unterminated quoted string', start);
      }
      this.pos++;
      if (c === quote) {
        break;
      }
      value += c === '\\' ? this.escape(quote) : c;
    }
    this.emit('STRING', start, { value });
  }

  /** Decodes a Go escape after a backslash (already consumed). */
  private escape(quote: string): string {
    const at = this.pos - 1;
    const c = this.input[this.pos];
    if (c === undefined || c === '\n') {
      this.fail('escape sequence not terminated', at);
    }
    this.pos++;
    if (c === quote) {
      return c;
    }
    if (c in GO_ESCAPES) {
      return GO_ESCAPES[c];
    }
    const hexLength = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (hexLength > 0) {
      return this.hexEscape(hexLength, at);
    }
    if (c >= '0' && c <= '7') {
      const digits = c + this.input.slice(this.pos, this.pos + 2);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) {
        this.fail(`illegal character ${quoteChar(digits[digits.length - 1] ?? '')} in escape sequence`, at);
      }
      this.pos += 2;
      return String.fromCharCode(parseInt(digits, 8));
    }
    this.fail(`unknown escape sequence ${quoteChar(c)}`, at);
  }

  private hexEscape(length: number, at: number): string {
    const digits = this.input.slice(this.pos, this.pos + length);
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) {
      this.fail('illegal character in escape sequence', at);
    }
    this.pos += length;
    const cp = parseInt(digits, 16);
    if (length === 2) {
      // Go: \xHH is a single byte; bytes >= 0x80 would form invalid UTF-8 on their own.
      if (cp >= 0x80) {
        this.fail('invalid UTF-8 in escape sequence', at);
      }
      return String.fromCharCode(cp);
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
      this.fail('escape sequence is an invalid Unicode code point', at);
    }
    return String.fromCodePoint(cp);
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

function quoteChar(c: string | undefined): string {
  return c === undefined ? 'EOF' : `'${c}'`;
}
