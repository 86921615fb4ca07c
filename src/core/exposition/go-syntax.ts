/**
 * Small re-implementations of Go library behaviour that Prometheus' text parser exposes through
 * its error messages and accepted syntax: `%q` quoting and `strconv.ParseFloat`/`ParseInt`.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

/** Go's `strconv.Quote` (the `%q` verb on a string): double-quoted, Go escapes, printable Unicode kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0x22 || cp === 0x5c) {
      out += `\\${ch}`;
    } else {
      out += escapeCodePoint(cp, ch);
    }
  }
  return `${out}"`;
}

/**
 * Go's `%q` applied to a single byte, as the parser prints the offending byte: `'-'`, `'\n'`.
 * For a non-ASCII character Go only sees its first UTF-8 byte, printed as a Latin-1 rune.
 */
export function goQuoteByte(code: number): string {
  const byte = firstUtf8Byte(code);
  if (byte === 0x27 || byte === 0x5c) {
    return `'\\${String.fromCharCode(byte)}'`;
  }
  return `'${escapeCodePoint(byte, String.fromCharCode(byte))}'`;
}

/** Go's `%c` applied to a single byte (no escaping); non-ASCII as the Latin-1 rune of its first UTF-8 byte. */
export function goCharOfByte(code: number): string {
  return String.fromCharCode(firstUtf8Byte(code));
}

function firstUtf8Byte(code: number): number {
  if (code < 0x80) {
    return code;
  }
  if (code < 0x800) {
    return 0xc0 | (code >> 6);
  }
  if (code >= 0xd800 && code <= 0xdbff) {
    return 0xf0; // A high surrogate starts a 4-byte sequence (planes 1-4, lead byte 0xf0).
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    return 0xef; // A lone low surrogate would have been decoded from invalid bytes as U+FFFD.
  }
  return 0xe0 | (code >> 12);
}

function escapeCodePoint(cp: number, ch: string): string {
  const simple = SIMPLE_ESCAPES[cp];
  if (simple !== undefined) {
    return simple;
  }
  if (cp < 0x20 || cp === 0x7f) {
    return `\\x${cp.toString(16).padStart(2, '0')}`;
  }
  if (cp === 0x20 || (cp < 0x7f && cp > 0x20) || PRINTABLE.test(ch)) {
    return ch;
  }
  if (cp >= 0xdc80 && cp <= 0xdcff) {
    // A byte that is not UTF-8, as protobuf bodies are decoded (decodeEscapingInvalid): Go's `\xff`.
    return `\\x${(cp - 0xdc00).toString(16)}`;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) {
    return '\\ufffd';
  }
  return cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF = /^[+-]?inf(?:inity)?$/i;
const DECIMAL_INT = /^[+-]?\d+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses `s` as expfmt's `parseFloat` does: Go `strconv.ParseFloat(s, 64)` minus hex floats and
 * digit underscores. Accepts decimal floats with optional sign and exponent, `NaN` (any case, no sign)
 * and `Inf`/`Infinity` (any case, optional sign). Returns undefined on a syntax error and on overflow
 * (Go's ErrRange, e.g. `1e400`); underflow silently yields 0 as in Go.
 */
export function parseGoFloat(s: string): number | undefined {
  if (DECIMAL_FLOAT.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined;
  }
  if (s.length === 3 && s.toLowerCase() === 'nan') {
    return NaN;
  }
  if (INF.test(s)) {
    return s.charCodeAt(0) === 0x2d ? -Infinity : Infinity;
  }
  return undefined;
}

/**
 * Parses `s` as Go's `strconv.ParseInt(s, 10, 64)`: optional sign and decimal digits within the
 * int64 range. Returns undefined otherwise. Values beyond 2^53 lose precision (JS numbers).
 */
export function parseGoInt64(s: string): number | undefined {
  if (!DECIMAL_INT.test(s)) {
    return undefined;
  }
  if (s.length > 18) {
    const big = BigInt(s);
    if (big > INT64_MAX || big < INT64_MIN) {
      return undefined;
    }
  }
  return Number(s);
}
