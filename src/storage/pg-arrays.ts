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

/**
 * Element types of the binary array parameters: PostgreSQL's array_recv checks the element type
 * written in the value against the parameter's declared type (`$1::text[]`).
 */
const ELEMENT_OIDS = { text: 25, int2: 21, int4: 23, int8: 20, float8: 701, bool: 16, bytea: 17, jsonb: 3802 } as const;

/** Element type names binaryArray encodes. */
export type BinaryElement = keyof typeof ELEMENT_OIDS;

const FIXED_WIDTH: Partial<Record<BinaryElement, number>> = { int2: 2, int4: 4, int8: 8, float8: 8, bool: 1 };

/**
 * A one-dimensional array in PostgreSQL's binary format (array_send), for a parameter `pg` then
 * sends as binary (it sends every Buffer so): no quoting, escaping or hex for the gateway to build
 * and none for the server to parse. Strings are UTF-8 (jsonb: version byte 1, then the JSON text);
 * numbers are written in the element's width; null is SQL NULL.
 *
 * Each element kind has its own writer so that each stays monomorphic for V8 (one generic loop over
 * mixed element types was 14% of a push's gateway CPU); strings that are all ASCII, as pushes
 * almost always are, are measured once for the whole array and written as Latin-1 (the same bytes, no UTF-8 pass).
 */
export function binaryArray(element: BinaryElement, values: readonly (string | number | boolean | Buffer | null)[]): Buffer {
  if (values.length === 0) {
    const empty = Buffer.alloc(12);
    empty.writeUInt32BE(ELEMENT_OIDS[element], 8);
    return empty;
  }
  switch (element) {
    case 'text':
      return stringArray(values as readonly (string | null)[], ELEMENT_OIDS.text, 0);
    case 'jsonb':
      return stringArray(values as readonly (string | null)[], ELEMENT_OIDS.jsonb, 1);
    case 'bytea':
      return byteaBinaryArray(values as readonly (Buffer | null)[]);
    default:
      return fixedWidthArray(element, values as readonly (number | boolean | null)[]);
  }
}

/** The 20-byte header of a one-dimensional array with lower bound 1. */
function arrayHeader(size: number, hasNull: boolean, oid: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull ? 1 : 0, 4);
  out.writeUInt32BE(oid, 8);
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16);
  return out;
}

/** text or jsonb elements; `prefix` is jsonb's version byte (1) or nothing (0). */
function stringArray(values: readonly (string | null)[], oid: number, prefix: 0 | 1): Buffer {
  const n = values.length;
  let chars = 0;
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      hasNull = true;
    } else {
      chars += v.length;
    }
  }
  // UTF-8 takes exactly one byte per UTF-16 unit only when every character is ASCII.
  const ascii = !hasNull && Buffer.byteLength(values.join(''), 'utf8') === chars;
  let size = 20 + 4 * n + prefix * n;
  const lengths = ascii ? undefined : new Int32Array(n);
  if (lengths === undefined) {
    size += chars;
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      lengths[i] = v === null ? -1 : Buffer.byteLength(v, 'utf8');
      size += v === null ? -prefix : lengths[i];
    }
  }
  const out = arrayHeader(size, hasNull, oid, n);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE((lengths === undefined ? v.length : lengths[i]) + prefix, at);
    at += 4;
    if (prefix === 1) {
      out[at++] = 1;
    }
    at += out.write(v, at, lengths === undefined ? 'latin1' : 'utf8');
  }
  return out;
}

function byteaBinaryArray(values: readonly (Buffer | null)[]): Buffer {
  const n = values.length;
  let size = 20 + 4 * n;
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      hasNull = true;
    } else {
      size += v.length;
    }
  }
  const out = arrayHeader(size, hasNull, ELEMENT_OIDS.bytea, n);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out.writeInt32BE(v === null ? -1 : v.length, at);
    at += 4;
    if (v !== null) {
      out.set(v, at);
      at += v.length;
    }
  }
  return out;
}

function fixedWidthArray(element: BinaryElement, values: readonly (number | boolean | null)[]): Buffer {
  const n = values.length;
  const width = FIXED_WIDTH[element] as number;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] === null) {
      nulls++;
    }
  }
  const out = arrayHeader(20 + 4 * n + width * (n - nulls), nulls > 0, ELEMENT_OIDS[element], n);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE(width, at);
    at += 4;
    switch (element) {
      case 'int2':
        at = out.writeInt16BE(v as number, at);
        break;
      case 'int4':
        at = out.writeInt32BE(v as number, at);
        break;
      case 'int8':
        at = out.writeBigInt64BE(BigInt(v as number), at);
        break;
      case 'float8':
        at = out.writeDoubleBE(v as number, at);
        break;
      default:
        at = out.writeUInt8(v === true ? 1 : 0, at);
    }
  }
  return out;
}
