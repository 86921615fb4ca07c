import { gzipSync } from 'node:zlib';
import { compress } from 'snappyjs';
import { BodyDecodeError, BodyTooLargeError, decodeBody } from 'src/http/body-decoding';
import { crc32c, snappyMaskedCrc } from 'src/http/crc32c';

const STREAM_ID = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const LIMIT = 1 << 20;

/** One chunk of the snappy framing format. */
function chunk(type: number, payload: Buffer): Buffer {
  const header = Buffer.from([type, 0, 0, 0]);
  header.writeUIntLE(payload.length, 1, 3);
  return Buffer.concat([header, payload]);
}

/** A data chunk; `crc` overrides the (correct) masked checksum. */
function dataChunk(kind: 'compressed' | 'uncompressed', data: Buffer, crc = snappyMaskedCrc(data)): Buffer {
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc >>> 0, 0);
  return chunk(kind === 'compressed' ? 0x00 : 0x01, Buffer.concat([sum, kind === 'compressed' ? Buffer.from(compress(data)) : data]));
}

const framed = (...chunks: Buffer[]): Buffer => Buffer.concat([STREAM_ID, ...chunks]);
const text = Buffer.from('some_metric{a="b"} 1\n');
const big = Buffer.from('x'.repeat(70000));

describe('decodeBody: snappy framing format (checked as Go snappy.Reader does)', () => {
  it.each([
    ['one compressed chunk', framed(dataChunk('compressed', text)), text],
    ['one uncompressed chunk', framed(dataChunk('uncompressed', text)), text],
    [
      'several chunks, padding, a skippable chunk and a repeated stream identifier',
      framed(dataChunk('compressed', text), chunk(0xfe, Buffer.alloc(3)), chunk(0x80, Buffer.from('skip me')), STREAM_ID, dataChunk('uncompressed', text)),
      Buffer.concat([text, text]),
    ],
    ['only the stream identifier', STREAM_ID, Buffer.alloc(0)],
    ['an empty chunk of data', framed(dataChunk('uncompressed', Buffer.alloc(0))), Buffer.alloc(0)],
  ])('decodes %s', (_name, body, expected) => {
    expect(decodeBody(body, 'snappy', LIMIT)).toEqual(expected);
  });

  it.each([
    ['a compressed chunk with a wrong checksum', framed(dataChunk('compressed', text, snappyMaskedCrc(text) ^ 1)), /checksum mismatch/],
    ['an uncompressed chunk with a wrong checksum', framed(dataChunk('uncompressed', text, 0)), /checksum mismatch/],
    ['the unmasked CRC as checksum', framed(dataChunk('uncompressed', text, crc32c(text))), /checksum mismatch/],
    ['a reserved unskippable chunk type', framed(chunk(0x02, Buffer.alloc(4))), /unsupported chunk type 0x2/],
    ['a corrupt repeated stream identifier', framed(chunk(0xff, Buffer.from('sNaPpZ'))), /stream identifier/],
    ['a data chunk shorter than its checksum', framed(chunk(0x00, Buffer.alloc(3))), /shorter than its checksum/],
    ['a compressed chunk decoding to more than 64 KiB', framed(dataChunk('compressed', big)), /64 KiB/],
    ['an uncompressed chunk of more than 64 KiB', framed(dataChunk('uncompressed', big)), /64 KiB/],
    ['a truncated chunk', framed(dataChunk('compressed', text)).subarray(0, -2), /truncated chunk/],
    ['a truncated chunk header', Buffer.concat([framed(dataChunk('compressed', text)), Buffer.from([0x00, 0x01])]), /truncated chunk header/],
    ['garbage in a compressed chunk', framed(chunk(0x00, Buffer.concat([Buffer.alloc(4), Buffer.from([0x40, 0xff, 0xff])]))), /corrupt input/],
  ])('refuses %s (400)', (_name, body, message) => {
    expect(() => decodeBody(body, 'snappy', LIMIT)).toThrow(BodyDecodeError);
    expect(() => decodeBody(body, 'snappy', LIMIT)).toThrow(message);
  });

  it('refuses a stream decoding to more than the body limit (413)', () => {
    const chunks = Array.from({ length: 20 }, () => dataChunk('compressed', Buffer.alloc(60000, 0x61)));
    expect(() => decodeBody(framed(...chunks), 'snappy', LIMIT)).toThrow(BodyTooLargeError);
  });
});

describe('decodeBody: other encodings', () => {
  it.each([
    ['identity', text, 'identity'],
    ['no Content-Encoding', text, undefined],
    ['gzip', gzipSync(text), 'gzip'],
    ['gzip in upper case', gzipSync(text), 'GZIP'],
    ['a raw snappy block', Buffer.from(compress(text)), 'snappy'],
  ])('decodes %s', (_name, body, encoding) => {
    expect(decodeBody(body, encoding, LIMIT)).toEqual(text);
  });

  it.each([
    ['truncated gzip', gzipSync(text).subarray(0, 10), 'gzip', BodyDecodeError],
    ['gzip beyond the limit', gzipSync(Buffer.alloc(LIMIT + 1)), 'gzip', BodyTooLargeError],
    ['a raw snappy block claiming more than the limit', Buffer.from([0x80, 0x80, 0x80, 0x01, 0x00]), 'snappy', BodyTooLargeError],
    ['an unknown encoding', text, 'br', BodyDecodeError],
  ])('refuses %s', (_name, body, encoding, error) => {
    expect(() => decodeBody(body, encoding, LIMIT)).toThrow(error);
  });
});
