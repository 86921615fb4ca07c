import { constants, crc32, deflateRawSync } from 'node:zlib';

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
/** An empty final block with fixed Huffman codes: ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const chunks = new WeakMap<Buffer, Buffer>();

/**
 * Raw deflate of one part, ending on a full flush (byte-aligned, no final block, no back-references
 * across the boundary), so independently compressed parts concatenate into one valid stream.
 */
function deflatePart(part: Buffer): Buffer {
  return deflateRawSync(part, { level: 1, finishFlush: constants.Z_FULL_FLUSH });
}

/**
 * Gzips the concatenation of `parts` as one gzip member. Parts marked stable (the cached pushed
 * families, unchanged between scrapes until a push) are compressed once and reused by identity;
 * the rest (the gateway's own metrics, different on every scrape) are compressed each time. The
 * CRC-32 of the whole body is recomputed, which is far cheaper than compressing it.
 */
export function gzipParts(parts: { data: Buffer; stable: boolean }[]): Buffer {
  const out: Buffer[] = [GZIP_HEADER];
  let crc = 0;
  let size = 0;
  for (const { data, stable } of parts) {
    if (data.length === 0) {
      continue;
    }
    let chunk = stable ? chunks.get(data) : undefined;
    if (chunk === undefined) {
      chunk = deflatePart(data);
      if (stable) {
        chunks.set(data, chunk);
      }
    }
    out.push(chunk);
    crc = crc32(data, crc);
    size = (size + data.length) % 2 ** 32;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size, 4);
  out.push(FINAL_BLOCK, trailer);
  return Buffer.concat(out);
}
