import { crc32c, snappyMaskedCrc } from 'src/http/crc32c';

/** A 1 MiB deterministic pattern (byte i = 7i + 3 mod 256). */
const pattern = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7 + 3) & 0xff));

// Expected values from an independent implementation (Python crcmod's predefined 'crc-32c'), and
// for the first four rows RFC 3720 appendix B.4; masked as the snappy framing format specifies.
describe('crc32c', () => {
  it.each([
    ['empty', Buffer.alloc(0), 0x00000000, 0xa282ead8],
    ['"a"', Buffer.from('a'), 0xc1d04330, 0x28e46e78],
    ['"123456789" (the check value)', Buffer.from('123456789'), 0xe3069283, 0xc78ab0e5],
    ['32 zero bytes (RFC 3720)', Buffer.alloc(32), 0x8a9136aa, 0x0fd7fffa],
    ['32 bytes 0xff (RFC 3720)', Buffer.alloc(32, 0xff), 0x62a8ab43, 0xf909b029],
    ['bytes 0..31 (RFC 3720)', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e, 0x951f7892],
    ['bytes 31..0 (RFC 3720)', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c, 0x593b0d57],
    ['a push body', Buffer.from('sn 1\n'), 0x39521bcb, 0xda195d7c],
    ['1 MiB pattern', pattern, 0x5274ba12, 0x16a78fc1],
  ])('%s', (_name, data, crc, masked) => {
    expect(crc32c(data)).toBe(crc);
    expect(snappyMaskedCrc(data)).toBe(masked);
  });

  it('continues across pieces of any length', () => {
    const whole = crc32c(pattern);
    for (const cut of [0, 1, 7, 8, 9, 1000, pattern.length - 3]) {
      expect(crc32c(pattern.subarray(cut), crc32c(pattern.subarray(0, cut)))).toBe(whole);
    }
  });
});
