/**
 * A hand-written encoder for io.prometheus.client.MetricFamily (proto/metrics.proto), written for the
 * push path, which encodes every family of every push. It produces the same bytes as protobufjs'
 * reflection encoder on the plain objects protobuf-delimited.ts used to build (the specs pin this):
 *
 * - fields in field-number order; an optional field is written when its model value is not
 *   undefined, a repeated field when non-empty (proto2: repeated scalars are not packed);
 * - doubles as fixed64 little-endian, including NaN, ±Inf and -0;
 * - uint64/int64/sint64 from a JS number exactly as protobufjs' LongBits.fromNumber converts it
 *   (truncated towards zero, two's complement below 0, wrapped modulo 2^64);
 * - int32 (the enum, Timestamp.nanos) through `| 0`, 10 bytes when negative; sint32/uint32 through
 *   protobufjs' 32-bit coercions;
 * - `...TimestampMs` as google.protobuf.Timestamp {seconds: floor(ms / 1000), nanos}, both written;
 * - strings as UTF-8, a lone surrogate written as protobufjs writes it (see writeString).
 *
 * Two passes: sizeX records the length of every nested message and string, in the order writeX
 * meets them, in `lengths`; writeX then fills one Buffer of the exact size. Not reentrant (module
 * state), which is fine for synchronous code.
 */
import { Bucket, BucketSpan, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily, Quantile, Summary } from 'src/core/model/metric-family';

/** Lengths of nested messages and strings, in write order; `next` is the write pass's cursor. */
let lengths: number[] = [];
let count = 0;
let next = 0;

let buf: Buffer = Buffer.alloc(0);
let pos = 0;

/** The two 32-bit halves of the last number set by setBits (protobufjs' LongBits). */
let lo = 0;
let hi = 0;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/**
 * Encodes `mf` as one length-prefixed MetricFamily message; an empty `help` is not written (the
 * model cannot tell it from an absent one). Returns a new Buffer of exactly the message's size
 * (possibly a slice of Node's shared pool, as Buffer.allocUnsafe gives).
 */
export function encodeMetricFamilyDelimited(mf: MetricFamily): Buffer {
  count = 0;
  const size = sizeFamily(mf);
  buf = Buffer.allocUnsafe(varint32Size(size) + size);
  pos = 0;
  next = 0;
  writeVarint32(size);
  writeFamily(mf);
  const out = buf;
  buf = EMPTY;
  if (lengths.length > 4096) {
    lengths = []; // do not keep one huge family's scratch for ever
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

// ---- Size pass. Each sizeX returns the size of X's fields (without tag or length prefix). ----

/** Reserves the next slot of `lengths`, for a message whose size is known only after its fields. */
function reserve(): number {
  return count++;
}

function record(slot: number, length: number): number {
  lengths[slot] = length;
  return length;
}

/** Size of a length-delimited field with a 1-byte tag whose content is `length` bytes long. */
function delimited(length: number): number {
  return 1 + varint32Size(length) + length;
}

function sizeString(s: string): number {
  return delimited(record(reserve(), utf8Length(s)));
}

function sizeFamily(mf: MetricFamily): number {
  const slot = reserve();
  let n = 0;
  if (mf.name !== undefined) {
    n += sizeString(mf.name);
  }
  if (mf.help !== undefined && mf.help !== '') {
    n += sizeString(mf.help);
  }
  if (mf.type !== undefined) {
    n += 1 + int32Size(mf.type);
  }
  const metrics = mf.metric;
  for (let i = 0; i < metrics.length; i++) {
    n += delimited(sizeMetric(metrics[i]));
  }
  if (mf.unit !== undefined) {
    n += sizeString(mf.unit);
  }
  return record(slot, n);
}

function sizeLabels(labels: LabelPair[] | undefined): number {
  let n = 0;
  if (labels !== undefined) {
    for (let i = 0; i < labels.length; i++) {
      const slot = reserve();
      const l = labels[i];
      let m = 0;
      if (l.name !== undefined) {
        m += sizeString(l.name);
      }
      if (l.value !== undefined) {
        m += sizeString(l.value);
      }
      n += delimited(record(slot, m));
    }
  }
  return n;
}

/** Size of a message holding one optional double field. */
function sizeValue(v: { value: number }): number {
  return v.value !== undefined ? 9 : 0;
}

function sizeMetric(m: Metric): number {
  const slot = reserve();
  let n = sizeLabels(m.label);
  if (m.gauge !== undefined) {
    n += delimited(sizeValue(m.gauge));
  }
  if (m.counter !== undefined) {
    n += delimited(sizeCounter(m.counter));
  }
  if (m.summary !== undefined) {
    n += delimited(sizeSummary(m.summary));
  }
  if (m.untyped !== undefined) {
    n += delimited(sizeValue(m.untyped));
  }
  if (m.timestampMs !== undefined) {
    n += 1 + int64Size(m.timestampMs);
  }
  if (m.histogram !== undefined) {
    n += delimited(sizeHistogram(m.histogram));
  }
  return record(slot, n);
}

function sizeTimestamp(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  return 2 + int64Size(seconds) + int32Size(nanosOf(ms, seconds));
}

function sizeExemplar(e: Exemplar): number {
  const slot = reserve();
  let n = sizeLabels(e.label);
  if (e.value !== undefined) {
    n += 9;
  }
  if (e.timestampMs !== undefined) {
    n += delimited(sizeTimestamp(e.timestampMs));
  }
  return record(slot, n);
}

function sizeCounter(c: Counter): number {
  const slot = reserve();
  let n = c.value !== undefined ? 9 : 0;
  if (c.exemplar !== undefined) {
    n += delimited(sizeExemplar(c.exemplar));
  }
  if (c.createdTimestampMs !== undefined) {
    n += delimited(sizeTimestamp(c.createdTimestampMs));
  }
  return record(slot, n);
}

function sizeSummary(s: Summary): number {
  const slot = reserve();
  let n = 0;
  if (s.sampleCount !== undefined) {
    n += 1 + uint64Size(s.sampleCount);
  }
  if (s.sampleSum !== undefined) {
    n += 9;
  }
  const quantiles = s.quantile;
  if (quantiles !== undefined) {
    for (let i = 0; i < quantiles.length; i++) {
      const q = quantiles[i];
      n += delimited((q.quantile !== undefined ? 9 : 0) + (q.value !== undefined ? 9 : 0));
    }
  }
  if (s.createdTimestampMs !== undefined) {
    n += delimited(sizeTimestamp(s.createdTimestampMs));
  }
  return record(slot, n);
}

function sizeBucket(b: Bucket): number {
  const slot = reserve();
  let n = 0;
  if (b.cumulativeCount !== undefined) {
    n += 1 + uint64Size(b.cumulativeCount);
  }
  if (b.upperBound !== undefined) {
    n += 9;
  }
  if (b.exemplar !== undefined) {
    n += delimited(sizeExemplar(b.exemplar));
  }
  if (b.cumulativeCountFloat !== undefined) {
    n += 9;
  }
  return record(slot, n);
}

function sizeSpans(spans: BucketSpan[] | undefined): number {
  let n = 0;
  if (spans !== undefined) {
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      n += delimited((s.offset !== undefined ? 1 + sint32Size(s.offset) : 0) + (s.length !== undefined ? 1 + varint32Size(s.length >>> 0) : 0));
    }
  }
  return n;
}

function sizeDeltas(deltas: number[] | undefined): number {
  let n = 0;
  if (deltas !== undefined) {
    for (let i = 0; i < deltas.length; i++) {
      n += 1 + sint64Size(deltas[i]);
    }
  }
  return n;
}

function sizeHistogram(h: Histogram): number {
  const slot = reserve();
  let n = 0;
  if (h.sampleCount !== undefined) {
    n += 1 + uint64Size(h.sampleCount);
  }
  if (h.sampleSum !== undefined) {
    n += 9;
  }
  const buckets = h.bucket;
  if (buckets !== undefined) {
    for (let i = 0; i < buckets.length; i++) {
      n += delimited(sizeBucket(buckets[i]));
    }
  }
  if (h.sampleCountFloat !== undefined) {
    n += 9;
  }
  if (h.schema !== undefined) {
    n += 1 + sint32Size(h.schema);
  }
  if (h.zeroThreshold !== undefined) {
    n += 9;
  }
  if (h.zeroCount !== undefined) {
    n += 1 + uint64Size(h.zeroCount);
  }
  if (h.zeroCountFloat !== undefined) {
    n += 9;
  }
  n += sizeSpans(h.negativeSpan) + sizeDeltas(h.negativeDelta) + 9 * (h.negativeCount?.length ?? 0);
  n += sizeSpans(h.positiveSpan) + sizeDeltas(h.positiveDelta) + 9 * (h.positiveCount?.length ?? 0);
  if (h.createdTimestampMs !== undefined) {
    n += delimited(sizeTimestamp(h.createdTimestampMs));
  }
  const exemplars = h.exemplars;
  if (exemplars !== undefined) {
    for (let i = 0; i < exemplars.length; i++) {
      n += 1 + delimited(sizeExemplar(exemplars[i])); // field 16: a 2-byte tag
    }
  }
  return record(slot, n);
}

// ---- Write pass: the same traversal, reading the recorded lengths in order. ----

/** Writes a 1-byte tag and the next recorded length; the caller writes that many bytes. */
function writeHeader(tag: number): void {
  buf[pos++] = tag;
  writeVarint32(lengths[next++]);
}

function writeStringField(tag: number, s: string): void {
  buf[pos++] = tag;
  const length = lengths[next++];
  writeVarint32(length);
  writeString(s, length);
}

function writeDoubleField(tag: number, v: number): void {
  buf[pos++] = tag;
  f64[0] = v;
  buf[pos] = f64Bytes[0];
  buf[pos + 1] = f64Bytes[1];
  buf[pos + 2] = f64Bytes[2];
  buf[pos + 3] = f64Bytes[3];
  buf[pos + 4] = f64Bytes[4];
  buf[pos + 5] = f64Bytes[5];
  buf[pos + 6] = f64Bytes[6];
  buf[pos + 7] = f64Bytes[7];
  pos += 8;
}

function writeFamily(mf: MetricFamily): void {
  next++; // the family's own length was written as the delimiter
  if (mf.name !== undefined) {
    writeStringField(0x0a, mf.name);
  }
  if (mf.help !== undefined && mf.help !== '') {
    writeStringField(0x12, mf.help);
  }
  if (mf.type !== undefined) {
    buf[pos++] = 0x18;
    writeInt32(mf.type);
  }
  const metrics = mf.metric;
  for (let i = 0; i < metrics.length; i++) {
    writeHeader(0x22);
    writeMetric(metrics[i]);
  }
  if (mf.unit !== undefined) {
    writeStringField(0x2a, mf.unit);
  }
}

function writeLabels(labels: LabelPair[] | undefined): void {
  if (labels !== undefined) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      writeHeader(0x0a);
      if (l.name !== undefined) {
        writeStringField(0x0a, l.name);
      }
      if (l.value !== undefined) {
        writeStringField(0x12, l.value);
      }
    }
  }
}

/** A Gauge or Untyped message: field 2 or 5 of Metric, holding one optional double. */
function writeValueMessage(tag: number, v: { value: number }): void {
  buf[pos++] = tag;
  if (v.value === undefined) {
    buf[pos++] = 0;
  } else {
    buf[pos++] = 9;
    writeDoubleField(0x09, v.value);
  }
}

function writeMetric(m: Metric): void {
  writeLabels(m.label);
  if (m.gauge !== undefined) {
    writeValueMessage(0x12, m.gauge);
  }
  if (m.counter !== undefined) {
    writeHeader(0x1a);
    writeCounter(m.counter);
  }
  if (m.summary !== undefined) {
    writeHeader(0x22);
    writeSummary(m.summary);
  }
  if (m.untyped !== undefined) {
    writeValueMessage(0x2a, m.untyped);
  }
  if (m.timestampMs !== undefined) {
    buf[pos++] = 0x30;
    writeInt64(m.timestampMs);
  }
  if (m.histogram !== undefined) {
    writeHeader(0x3a);
    writeHistogram(m.histogram);
  }
}

function writeTimestamp(tag: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = nanosOf(ms, seconds);
  buf[pos++] = tag;
  writeVarint32(2 + int64Size(seconds) + int32Size(nanos));
  buf[pos++] = 0x08;
  writeInt64(seconds);
  buf[pos++] = 0x10;
  writeInt32(nanos);
}

function writeExemplar(e: Exemplar): void {
  writeLabels(e.label);
  if (e.value !== undefined) {
    writeDoubleField(0x11, e.value);
  }
  if (e.timestampMs !== undefined) {
    writeTimestamp(0x1a, e.timestampMs);
  }
}

function writeCounter(c: Counter): void {
  if (c.value !== undefined) {
    writeDoubleField(0x09, c.value);
  }
  if (c.exemplar !== undefined) {
    writeHeader(0x12);
    writeExemplar(c.exemplar);
  }
  if (c.createdTimestampMs !== undefined) {
    writeTimestamp(0x1a, c.createdTimestampMs);
  }
}

function writeQuantile(q: Quantile): void {
  buf[pos++] = 0x1a;
  buf[pos++] = (q.quantile !== undefined ? 9 : 0) + (q.value !== undefined ? 9 : 0);
  if (q.quantile !== undefined) {
    writeDoubleField(0x09, q.quantile);
  }
  if (q.value !== undefined) {
    writeDoubleField(0x11, q.value);
  }
}

function writeSummary(s: Summary): void {
  if (s.sampleCount !== undefined) {
    buf[pos++] = 0x08;
    writeUint64(s.sampleCount);
  }
  if (s.sampleSum !== undefined) {
    writeDoubleField(0x11, s.sampleSum);
  }
  const quantiles = s.quantile;
  if (quantiles !== undefined) {
    for (let i = 0; i < quantiles.length; i++) {
      writeQuantile(quantiles[i]);
    }
  }
  if (s.createdTimestampMs !== undefined) {
    writeTimestamp(0x22, s.createdTimestampMs);
  }
}

function writeBucket(b: Bucket): void {
  if (b.cumulativeCount !== undefined) {
    buf[pos++] = 0x08;
    writeUint64(b.cumulativeCount);
  }
  if (b.upperBound !== undefined) {
    writeDoubleField(0x11, b.upperBound);
  }
  if (b.exemplar !== undefined) {
    writeHeader(0x1a);
    writeExemplar(b.exemplar);
  }
  if (b.cumulativeCountFloat !== undefined) {
    writeDoubleField(0x21, b.cumulativeCountFloat);
  }
}

function writeSpans(tag: number, spans: BucketSpan[] | undefined): void {
  if (spans !== undefined) {
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      buf[pos++] = tag;
      buf[pos++] = (s.offset !== undefined ? 1 + sint32Size(s.offset) : 0) + (s.length !== undefined ? 1 + varint32Size(s.length >>> 0) : 0);
      if (s.offset !== undefined) {
        buf[pos++] = 0x08;
        writeVarint32(zigzag32(s.offset));
      }
      if (s.length !== undefined) {
        buf[pos++] = 0x10;
        writeVarint32(s.length >>> 0);
      }
    }
  }
}

function writeDeltas(tag: number, deltas: number[] | undefined): void {
  if (deltas !== undefined) {
    for (let i = 0; i < deltas.length; i++) {
      buf[pos++] = tag;
      setBits(deltas[i]);
      zigzagBits();
      writeBits();
    }
  }
}

function writeDoubles(tag: number, values: number[] | undefined): void {
  if (values !== undefined) {
    for (let i = 0; i < values.length; i++) {
      writeDoubleField(tag, values[i]);
    }
  }
}

function writeHistogram(h: Histogram): void {
  if (h.sampleCount !== undefined) {
    buf[pos++] = 0x08;
    writeUint64(h.sampleCount);
  }
  if (h.sampleSum !== undefined) {
    writeDoubleField(0x11, h.sampleSum);
  }
  const buckets = h.bucket;
  if (buckets !== undefined) {
    for (let i = 0; i < buckets.length; i++) {
      writeHeader(0x1a);
      writeBucket(buckets[i]);
    }
  }
  if (h.sampleCountFloat !== undefined) {
    writeDoubleField(0x21, h.sampleCountFloat);
  }
  if (h.schema !== undefined) {
    buf[pos++] = 0x28;
    writeVarint32(zigzag32(h.schema));
  }
  if (h.zeroThreshold !== undefined) {
    writeDoubleField(0x31, h.zeroThreshold);
  }
  if (h.zeroCount !== undefined) {
    buf[pos++] = 0x38;
    writeUint64(h.zeroCount);
  }
  if (h.zeroCountFloat !== undefined) {
    writeDoubleField(0x41, h.zeroCountFloat);
  }
  writeSpans(0x4a, h.negativeSpan);
  writeDeltas(0x50, h.negativeDelta);
  writeDoubles(0x59, h.negativeCount);
  writeSpans(0x62, h.positiveSpan);
  writeDeltas(0x68, h.positiveDelta);
  writeDoubles(0x71, h.positiveCount);
  if (h.createdTimestampMs !== undefined) {
    writeTimestamp(0x7a, h.createdTimestampMs);
  }
  const exemplars = h.exemplars;
  if (exemplars !== undefined) {
    for (let i = 0; i < exemplars.length; i++) {
      buf[pos++] = 0x82; // field 16, wire type 2: tag varint 0x82 0x01
      writeHeader(0x01);
      writeExemplar(exemplars[i]);
    }
  }
}

// ---- Scalars. ----

/** protobufjs' Timestamp nanos for a millisecond time, float arithmetic included. */
function nanosOf(ms: number, seconds: number): number {
  return Math.round((ms - seconds * 1000) * 1e6);
}

/** Size of `v` (already a uint32) as a varint. */
function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint32(v: number): void {
  while (v > 127) {
    buf[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[pos++] = v;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function sint32Size(v: number): number {
  return varint32Size(zigzag32(v));
}

/** protobufjs' int32: coerced with `| 0`, negatives sign-extended to 10 bytes. */
function int32Size(v: number): number {
  const i = v | 0;
  return i < 0 ? 10 : varint32Size(i);
}

function writeInt32(v: number): void {
  const i = v | 0;
  if (i < 0) {
    setBits(i);
    writeBits();
  } else {
    writeVarint32(i);
  }
}

/** True when protobufjs' LongBits.fromNumber(v) has hi = 0 and lo = v (covers NaN's 0 too via setBits). */
function isSmallUint(v: number): boolean {
  return v >= 0 && v < 4294967296;
}

function uint64Size(v: number): number {
  if (isSmallUint(v)) {
    return varint32Size(v >>> 0);
  }
  setBits(v);
  return bitsSize();
}

function writeUint64(v: number): void {
  if (isSmallUint(v)) {
    writeVarint32(v >>> 0);
  } else {
    setBits(v);
    writeBits();
  }
}

/** int64 is written exactly as uint64 (two's complement, 10 bytes when negative). */
const int64Size = uint64Size;
const writeInt64 = writeUint64;

function sint64Size(v: number): number {
  setBits(v);
  zigzagBits();
  return bitsSize();
}

/** protobufjs' LongBits.fromNumber, into lo/hi. */
function setBits(value: number): void {
  if (value === 0) {
    lo = hi = 0;
    return;
  }
  const sign = value < 0;
  if (sign) {
    value = -value;
  }
  lo = value >>> 0;
  hi = ((value - lo) / 4294967296) >>> 0;
  if (sign) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 4294967295) {
      lo = 0;
      if (++hi > 4294967295) {
        hi = 0;
      }
    }
  }
}

/** protobufjs' LongBits.zzEncode on lo/hi. */
function zigzagBits(): void {
  const mask = hi >> 31;
  hi = (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0;
  lo = ((lo << 1) ^ mask) >>> 0;
}

/** protobufjs' LongBits.length: varint size of lo/hi. */
function bitsSize(): number {
  const part0 = lo;
  const part1 = ((lo >>> 28) | (hi << 4)) >>> 0;
  const part2 = hi >>> 24;
  if (part2 !== 0) {
    return part2 < 128 ? 9 : 10;
  }
  if (part1 !== 0) {
    return part1 < 16384 ? (part1 < 128 ? 5 : 6) : part1 < 2097152 ? 7 : 8;
  }
  return part0 < 16384 ? (part0 < 128 ? 1 : 2) : part0 < 2097152 ? 3 : 4;
}

function writeBits(): void {
  let l = lo;
  let h = hi;
  while (h) {
    buf[pos++] = (l & 127) | 128;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  while (l > 127) {
    buf[pos++] = (l & 127) | 128;
    l >>>= 7;
  }
  buf[pos++] = l;
}

// ---- Strings. ----

/** UTF-8 length; a lone surrogate counts 3 bytes (as Buffer.byteLength, which protobufjs uses). */
function utf8Length(s: string): number {
  const n = s.length;
  if (n >= 40) {
    return Buffer.byteLength(s, 'utf8');
  }
  let length = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (c < 0x800) {
        length += 1;
      } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        i++;
        length += 2; // 4 bytes for 2 code units
      } else {
        length += 2;
      }
    }
  }
  return length;
}

/**
 * Writes `s` (`length` UTF-8 bytes). Like protobufjs' BufferWriter: strings under 40 code units
 * in JS (a lone surrogate as its own 3-byte WTF-8 form), longer ones natively (a lone surrogate as
 * U+FFFD). Both are 3 bytes, so `length` holds either way.
 */
function writeString(s: string, length: number): void {
  const n = s.length;
  if (n >= 40) {
    buf.write(s, pos, length, 'utf8');
    pos += length;
    return;
  }
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = (c >> 6) | 0xc0;
      buf[pos++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
      buf[pos++] = (c >> 18) | 0xf0;
      buf[pos++] = ((c >> 12) & 0x3f) | 0x80;
      buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c & 0x3f) | 0x80;
    } else {
      buf[pos++] = (c >> 12) | 0xe0;
      buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c & 0x3f) | 0x80;
    }
  }
}
