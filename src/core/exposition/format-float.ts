/** Float formatting identical to Go's `strconv.FormatFloat(v, 'g', -1, 64)`. */

/**
 * Formats `v` the way Go's `strconv.FormatFloat(v, 'g', -1, 64)` does, which is what the
 * Prometheus text encoder uses for sample values: `NaN`, `+Inf`, `-Inf`; otherwise the shortest
 * digits that round-trip, in exponent form (`1.234567e+06`, `1e-05`, exponent at least two digits)
 * when the decimal exponent is < -4 or >= 6, else in plain form (`123456`, `0.0001`). `-0` → `-0`.
 * Pure; never throws.
 */
export function formatFloat(v: number): string {
  // Fast path: between 1e-4 and 1e6 Go prints the plain form, and so does Number#toString (plain
  // from 1e-7 to 1e21), with the same shortest digits. The bounds are exact: a double below 1e6
  // cannot print as 1000000, one at or above the double 1e-4 cannot print below 0.0001.
  if ((v >= 1e-4 && v < 1e6) || (v <= -1e-4 && v > -1e6)) {
    return String(v);
  }
  const special = formatSpecial(v);
  if (special !== undefined) {
    return special;
  }
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(Math.abs(v));
  // Go's shortest 'g' switches to %e at the fixed threshold of 6 (not the digit count).
  if (exp < -4 || exp >= 6) {
    return sign + exponentForm(digits, exp);
  }
  return sign + plainForm(digits, exp + 1);
}

/** What every Go float form prints for `NaN`, `±Inf` and `±0`; undefined for any other value. */
export function formatSpecial(v: number): string | undefined {
  if (Number.isNaN(v)) {
    return 'NaN';
  }
  if (v === Infinity) {
    return '+Inf';
  }
  if (v === -Infinity) {
    return '-Inf';
  }
  if (v === 0) {
    return Object.is(v, -0) ? '-0' : '0';
  }
  return undefined;
}

/** Shortest round-trip significant digits (no leading/trailing zeros) and the decimal exponent of the first one. */
export function shortestDigits(abs: number): { digits: string; exp: number } {
  // Number#toString yields the shortest round-trip digits closest to the value, as Go does.
  const s = String(abs);
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exp10 = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const intLen = dot < 0 ? mantissa.length : dot;
  const all = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  let start = 0;
  while (all.charCodeAt(start) === 48) {
    start++;
  }
  let end = all.length;
  while (end > start + 1 && all.charCodeAt(end - 1) === 48) {
    end--;
  }
  return { digits: all.slice(start, end), exp: exp10 + intLen - start - 1 };
}

/** Go's strconv 'e' form with shortest digits: `1.5e+06`, `1e-07` (at least two exponent digits). */
export function exponentForm(digits: string, exp: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const abs = Math.abs(exp);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** `pointPos` is the number of digits before the decimal point (may be <= 0). */
export function plainForm(digits: string, pointPos: number): string {
  if (pointPos <= 0) {
    return `0.${'0'.repeat(-pointPos)}${digits}`;
  }
  if (pointPos >= digits.length) {
    return digits + '0'.repeat(pointPos - digits.length);
  }
  return `${digits.slice(0, pointPos)}.${digits.slice(pointPos)}`;
}
