/**
 * PostgreSQL array literals for the push statement's parameters, built the way `pg` builds them
 * (its prepareValue) but without two regular-expression passes per element: a push sends some 150
 * strings, and `pg`'s encoding was 8% of the gateway's CPU per push.
 */

/** `{"a","b\"c"}` for text[]: every element quoted, `"` and `\` escaped. */
export function textArray(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += i === 0 ? '"' : ',"';
    out += v.includes('\\') || v.includes('"') ? v.replace(/[\\"]/g, '\\$&') : v;
    out += '"';
  }
  return `${out}}`;
}

/** `{1,-2.5,NaN,Infinity}` for int2[]/float8[] (String() of each number, as `pg` sends them). */
export function numberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** `{"\\x0a0b"}` for bytea[]: hex format. */
export function byteaArray(values: readonly Buffer[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    out += `${i === 0 ? '' : ','}"\\\\x${values[i].toString('hex')}"`;
  }
  return `${out}}`;
}
