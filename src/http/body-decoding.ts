import { gunzipSync } from 'node:zlib';
import { uncompress } from 'snappyjs';

/** The Content-Encoding could not be decoded. Maps to HTTP 400. */
export class BodyDecodeError extends Error {}

/** The body is larger than the limit once decoded. Maps to HTTP 413. */
export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large');
  }
}

const SNAPPY_STREAM_ID = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

/**
 * Decodes a request body per its Content-Encoding: `gzip` and `snappy` (framed stream, as the Go
 * client sends it, or a raw block), case-insensitively; `identity`/absent pass through; anything else
 * is refused rather than parsed as garbage. Decoded size is capped at `limit` bytes.
 */
export function decodeBody(body: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || body.length === 0) {
    return body;
  }
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      return gunzipSync(body, { maxOutputLength: limit });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BodyTooLargeError();
      }
      throw new BodyDecodeError('gzip: invalid gzip data (unexpected EOF)');
    }
  }
  if (encoding === 'snappy') {
    return decodeSnappy(body, limit);
  }
  throw new BodyDecodeError(`unsupported Content-Encoding "${contentEncoding}" (supported: gzip, snappy)`);
}

function decodeSnappy(body: Buffer, limit: number): Buffer {
  try {
    const out = body.subarray(0, SNAPPY_STREAM_ID.length).equals(SNAPPY_STREAM_ID) ? decodeSnappyFrames(body, limit) : Buffer.from(uncompress(body, limit));
    return out;
  } catch (error) {
    if (error instanceof BodyTooLargeError || /too large/.test((error as Error).message)) {
      throw new BodyTooLargeError();
    }
    throw new BodyDecodeError(`snappy: ${(error as Error).message}`);
  }
}

/** The snappy framing format: chunks of [type:1][length:3 LE][payload]; 0x00 compressed, 0x01 raw (each with a 4-byte CRC first). */
function decodeSnappyFrames(body: Buffer, limit: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let i = 0;
  while (i < body.length) {
    if (i + 4 > body.length) {
      throw new Error('truncated chunk header');
    }
    const type = body[i];
    const length = body[i + 1] | (body[i + 2] << 8) | (body[i + 3] << 16);
    const payload = body.subarray(i + 4, i + 4 + length);
    if (payload.length !== length) {
      throw new Error('truncated chunk');
    }
    i += 4 + length;
    let data: Buffer | undefined;
    if (type === 0x00) {
      data = Buffer.from(uncompress(payload.subarray(4), limit));
    } else if (type === 0x01) {
      data = payload.subarray(4);
    } else if (type <= 0x7f && type !== 0xff) {
      throw new Error(`unsupported chunk type 0x${type.toString(16)}`);
    }
    if (data !== undefined) {
      total += data.length;
      if (total > limit) {
        throw new BodyTooLargeError();
      }
      parts.push(data);
    }
  }
  return Buffer.concat(parts);
}
