import { exponentForm, formatSpecial, plainForm, shortestDigits } from 'src/core/exposition/format-float';

/**
 * Re-implementations of the Go library behaviour PromQL exposes: `strconv.FormatFloat` in the
 * 'f' form and Prometheus' JSON value form (the 'g' form is the exposition's formatFloat), `%q`
 * quoting (the exposition's goQuote, re-exported), and `strconv.ParseFloat`/`ParseInt` as the
 * PromQL lexer feeds them.
 */
export { goQuote } from 'src/core/exposition/go-syntax';

/**
 * Prometheus' JSON form of a sample value (its `jsonutil.MarshalValue`): `"NaN"`, `"+Inf"`,
 * `"-Inf"`; otherwise the shortest round-trip digits, in plain notation
 * (`strconv.FormatFloat(v, 'f', -1, 64)`) unless |v| < 1e-6 or |v| >= 1e21, which use Go's
 * exponent form (`"2.55e+300"`, `"1e-07"`). `-0` → `"-0"`.
 */
export function formatPromValue(v: number): string {
  const special = formatSpecial(v);
  if (special !== undefined) {
    return special;
  }
  const abs = Math.abs(v);
  const { digits, exp } = shortestDigits(abs);
  if (abs < 1e-6 || abs >= 1e21) {
    return signOf(v) + exponentForm(digits, exp);
  }
  return signOf(v) + plainForm(digits, exp + 1);
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloatF(v: number): string {
  const special = formatSpecial(v);
  if (special !== undefined) {
    return special;
  }
  const { digits, exp } = shortestDigits(Math.abs(v));
  return signOf(v) + plainForm(digits, exp + 1);
}

function signOf(v: number): string {
  return v < 0 ? '-' : '';
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;

/**
 * Go's `strconv.ParseFloat(s, 64)` for the forms Prometheus meets in label values such as `le`:
 * decimal, hexadecimal with a `p` exponent, `Inf`/`Infinity` (any case, optional sign) and `NaN`.
 * Returns undefined where Go reports an error, including finite literals that overflow.
 */
export function parseGoFloat(s: string): number | undefined {
  const lower = s.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned === 'inf' || unsigned === 'infinity') {
    return lower.startsWith('-') ? -Infinity : Infinity;
  }
  if (lower === 'nan') {
    return NaN;
  }
  if (DECIMAL_FLOAT.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined;
  }
  const hex = HEX_FLOAT.exec(s);
  if (hex && hex[2] + hex[3] !== '') {
    const mantissa = parseInt(hex[2] + hex[3], 16) / 16 ** hex[3].length;
    const v = mantissa * 2 ** Number(hex[4]);
    return Number.isFinite(v) ? (hex[1] === '-' ? -v : v) : undefined;
  }
  return undefined;
}

/**
 * The value of a PromQL number token, as Prometheus' `parseNumber` computes it: first Go's
 * `strconv.ParseInt(s, 0, 64)` (so `0x1f` is hex and `010` is octal 8), then `ParseFloat`.
 * Returns undefined when both fail.
 */
export function parseNumberToken(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') {
    return Infinity;
  }
  if (lower === 'nan') {
    return NaN;
  }
  const int = parseGoInt(s);
  return int !== undefined ? int : parseGoFloat(s);
}

const INT64_MAX = (1n << 63n) - 1n;

function parseGoInt(s: string): number | undefined {
  let digits: string;
  let prefix: string;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) {
    [prefix, digits] = ['0x', s.slice(2)];
  } else if (/^0[0-7]+$/.test(s)) {
    [prefix, digits] = ['0o', s.slice(1)];
  } else if (/^\d+$/.test(s)) {
    [prefix, digits] = ['', s];
  } else {
    return undefined;
  }
  const big = BigInt(prefix + digits);
  return big > INT64_MAX ? undefined : Number(big);
}
