import { crc32, gunzipSync } from 'node:zlib';
import { crc32Combine, gzipParts, gzipPieces } from 'src/scrape/gzip-assembly';

// A small deterministic generator, so a failure names a reproducible case.
let seed = 7;
function bytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    out[i] = seed >>> 16;
  }
  return out;
}

describe('crc32Combine', () => {
  it('gives the CRC-32 of a concatenation from the CRCs of its halves, zlib being the reference', () => {
    const lengths = [0, 1, 2, 3, 7, 8, 255, 256, 4095, 4096, 65_537, 1_000_003];
    for (const a of lengths) {
      for (const b of lengths) {
        const [x, y] = [bytes(a), bytes(b)];
        expect(crc32Combine(crc32(x), crc32(y), b)).toBe(crc32(Buffer.concat([x, y])));
      }
    }
  });

  it('folds many parts left to right', () => {
    const parts = Array.from({ length: 50 }, (_, i) => bytes((i * 7919) % 3000));
    const folded = parts.reduce((crc, p) => crc32Combine(crc, crc32(p), p.length), 0);
    expect(folded).toBe(crc32(Buffer.concat(parts)));
  });
});

describe('gzipPieces', () => {
  it('is one gzip member of the parts in order (gunzip checks its CRC and size), stable parts reused', () => {
    const stable = [bytes(100_000), Buffer.from('metric_a{job="x"} 1\n'), bytes(3)];
    for (let scrape = 0; scrape < 3; scrape++) {
      const own = Buffer.from(`# own metrics, scrape ${scrape}\n`);
      const parts = [{ data: own, stable: false }, ...stable.map((data) => ({ data, stable: true })), { data: Buffer.alloc(0), stable: false }];
      const pieces = gzipPieces(parts);
      expect(gunzipSync(Buffer.concat(pieces))).toEqual(Buffer.concat(parts.map((p) => p.data)));
      expect(gzipParts(parts)).toEqual(Buffer.concat(pieces));
    }
  });

  it('gzips nothing to a valid empty body', () => {
    expect(gunzipSync(gzipParts([]))).toEqual(Buffer.alloc(0));
  });
});
