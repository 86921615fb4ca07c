import { gunzipSync } from 'node:zlib';
import { uncompress } from 'snappyjs';
import { snappyMaskedCrc } from 'src/http/crc32c';

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
    return body.subarray(0, SNAPPY_STREAM_ID.length).equals(SNAPPY_STREAM_ID) ? decodeSnappyFrames(body, limit) : Buffer.from(uncompress(body, limit));
  } catch (error) {
    if (error instanceof BodyTooLargeError || /too (large|big)/.test((error as Error).message)) {
      throw new BodyTooLargeError();
    }
    throw new BodyDecodeError(`snappy: ${(error as Error).message}`);
  }
}

/** Largest decoded chunk of the framing format (Go's snappy maxBlockSize). */
const MAX_BLOCK_SIZE = 65536;
const CHECKSUM_SIZE = 4;

/**
 * The snappy framing format, checked as Go's snappy.Reader does: chunks of [type:1][length:3 LE]
 * [payload]; the stream identifier first (and wherever it repeats, exactly `sNaPpY`); 0x00
 * compressed and 0x01 uncompressed data, each with the masked CRC-32C of its decoded bytes first
 * and at most 64 KiB decoded; 0x02-0x7f reserved (refused); 0x80-0xfe skipped.
 */
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
    if (type === 0xff) {
      if (!payload.equals(SNAPPY_STREAM_ID.subarray(4))) {
        throw new Error('corrupt stream identifier');
      }
      continue;
    }
    if (type >= 0x02 && type <= 0x7f) {
      throw new Error(`unsupported chunk type 0x${type.toString(16)}`);
    }
    if (type >= 0x80) {
      continue;
    }
    const data = chunkData(type, payload);
    total += data.length;
    if (total > limit) {
      throw new BodyTooLargeError();
    }
    parts.push(data);
  }
  return Buffer.concat(parts);
}

/** The decoded bytes of a data chunk (0x00 compressed, 0x01 uncompressed), checksum verified. */
function chunkData(type: number, payload: Buffer): Buffer {
  if (payload.length < CHECKSUM_SIZE) {
    throw new Error('corrupt input: chunk shorter than its checksum');
  }
  const body = payload.subarray(CHECKSUM_SIZE);
  let data: Buffer;
  if (type === 0x00) {
    try {
      data = Buffer.from(uncompress(body, MAX_BLOCK_SIZE));
    } catch (error) {
      throw new Error(`corrupt input: ${(error as Error).message.replace(/too big/, 'over the 64 KiB chunk limit')}`, { cause: error });
    }
  } else {
    if (body.length > MAX_BLOCK_SIZE) {
      throw new Error('corrupt input: uncompressed chunk over 64 KiB');
    }
    data = body;
  }
  if (snappyMaskedCrc(data) !== payload.readUInt32LE(0)) {
    throw new Error('corrupt input: checksum mismatch');
  }
  return data;
}

const MEDIA_TYPE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
const MEDIA_SUBTYPE_NAME = /^[\w!#$%&'*+.^`|~-]+\s*$/;

/**
 * Whether a Content-Type header is a `type/subtype[; params]` Fastify can route (the same test as
 * its own: a value like `text` or `foo` is answered 415 before any handler runs). Upstream reads a
 * push whose Content-Type does not parse as text format, so the gateway drops such a header first.
 */
export function isWellFormedMediaType(header: string): boolean {
  const semicolon = header.indexOf(';');
  const mediaType = semicolon < 0 ? header : header.slice(0, semicolon);
  const slash = mediaType.indexOf('/');
  return slash >= 0 && MEDIA_TYPE_NAME.test(mediaType.slice(0, slash).trimStart()) && MEDIA_SUBTYPE_NAME.test(mediaType.slice(slash + 1).trimEnd());
}
