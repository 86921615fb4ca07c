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
 * mixed element types was 14% of a push's gateway CPU); strings are written in one pass when all
 * are ASCII, as pushes almost always are (see stringArray).
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

/**
 * text or jsonb elements; `prefix` is jsonb's version byte (1) or nothing (0).
 *
 * Written in one pass on the guess that every element is ASCII (one UTF-8 byte per UTF-16 unit,
 * as pushes almost always are): each element is written as UTF-8 into the room its length gives
 * it, and the guess holds exactly when every write took as many bytes as the element has units.
 * A non-ASCII element takes more (a complete write), or fills all the room left and then at least
 * one byte more than its units, since 4 spare bytes follow the last element (a UTF-8 character is
 * at most 4 bytes, so a write cut at the end leaves at most 3 unused). Then the array is written
 * again with each element measured.
 */
function stringArray(values: readonly (string | null)[], oid: number, prefix: 0 | 1): Buffer {
  const n = values.length;
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      return measuredStringArray(values, oid, prefix);
    }
    chars += v.length;
  }
  const size = 20 + (4 + prefix) * n + chars;
  const out = arrayHeader(size + 4, false, oid, n);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i] as string;
    out.writeInt32BE(v.length + prefix, at);
    at += 4;
    if (prefix === 1) {
      out[at++] = 1;
    }
    if (out.write(v, at, 'utf8') !== v.length) {
      return measuredStringArray(values, oid, prefix);
    }
    at += v.length;
  }
  return out.subarray(0, size);
}

/** stringArray for arrays with a NULL or a non-ASCII element: each element's UTF-8 length first. */
function measuredStringArray(values: readonly (string | null)[], oid: number, prefix: 0 | 1): Buffer {
  const n = values.length;
  const lengths = new Int32Array(n);
  let hasNull = false;
  let size = 20 + 4 * n;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      hasNull = true;
      lengths[i] = -1;
    } else {
      lengths[i] = Buffer.byteLength(v, 'utf8');
      size += prefix + lengths[i];
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
    out.writeInt32BE(lengths[i] + prefix, at);
    at += 4;
    if (prefix === 1) {
      out[at++] = 1;
    }
    at += out.write(v, at, 'utf8');
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
