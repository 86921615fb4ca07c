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
 */
export function binaryArray(element: BinaryElement, values: readonly (string | number | boolean | Buffer | null)[]): Buffer {
  const n = values.length;
  if (n === 0) {
    const empty = Buffer.alloc(12);
    empty.writeUInt32BE(ELEMENT_OIDS[element], 8);
    return empty;
  }
  const width = FIXED_WIDTH[element];
  const lengths = new Int32Array(n);
  let size = 20 + 4 * n;
  let hasNull = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const length =
      v === null ? -1 : width !== undefined ? width : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v as string, 'utf8') + (element === 'jsonb' ? 1 : 0);
    lengths[i] = length;
    if (length < 0) {
      hasNull = 1;
    } else {
      size += length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull, 4);
  out.writeUInt32BE(ELEMENT_OIDS[element], 8);
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16);
  let at = 20;
  for (let i = 0; i < n; i++) {
    out.writeInt32BE(lengths[i], at);
    at += 4;
    if (lengths[i] >= 0) {
      at = writeElement(out, at, element, values[i] as string | number | boolean | Buffer, lengths[i]);
    }
  }
  return out;
}

function writeElement(out: Buffer, at: number, element: BinaryElement, v: string | number | boolean | Buffer, length: number): number {
  switch (element) {
    case 'int2':
      return out.writeInt16BE(v as number, at);
    case 'int4':
      return out.writeInt32BE(v as number, at);
    case 'int8':
      return out.writeBigInt64BE(BigInt(v as number), at);
    case 'float8':
      return out.writeDoubleBE(v as number, at);
    case 'bool':
      return out.writeUInt8(v === true ? 1 : 0, at);
    case 'bytea':
      return at + (v as Buffer).copy(out, at);
    case 'jsonb':
      out.writeUInt8(1, at);
      return at + 1 + out.write(v as string, at + 1, length - 1, 'utf8');
    case 'text':
      return at + out.write(v as string, at, length, 'utf8');
  }
}
