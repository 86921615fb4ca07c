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
 * One pass into a slab, as Buffer.allocUnsafe carves Node's pool: a nested message gets a 1-byte
 * length, and is shifted right when it turns out 128 bytes or longer (a histogram's Metric, the
 * family itself); strings know their length first (under 40 code units it fits one byte). Writes past the slab's end
 * are dropped by the typed array while positions keep counting, so an overflow is seen at the end
 * and the family is written again where it fits. Not reentrant (module state); encoding is
 * synchronous.
 */
import { Bucket, BucketSpan, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily, Quantile, Summary } from 'src/core/model/metric-family';

/** Like Node's Buffer.poolSize: a returned message keeps at most this much memory alive. */
const SLAB_SIZE = 8192;
/** Messages larger than this get a Buffer of their own (Node's allocUnsafe threshold too). */
const OWN_BUFFER_FROM = SLAB_SIZE >>> 1;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;
/** The Buffer being written: the slab, or a family's own Buffer. */
let buf: Buffer = slab;

/** The two 32-bit halves of the last number set by setBits (protobufjs' LongBits). */
let lo = 0;
let hi = 0;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/**
 * Encodes `mf` as one length-prefixed MetricFamily message; an empty `help` is not written (the
 * model cannot tell it from an absent one). Returns a Buffer of exactly the message's size, which
 * may share memory with other results, as Buffer.allocUnsafe's do; never written again.
 */
export function encodeMetricFamilyDelimited(mf: MetricFamily): Buffer {
  buf = slab;
  const start = slabUsed;
  const end = endMessage(start, writeFamily(mf, start + 1));
  if (end <= slab.length) {
    slabUsed = end;
    return slab.subarray(start, end);
  }
  const size = end - start;
  if (size > OWN_BUFFER_FROM) {
    buf = Buffer.allocUnsafeSlow(size);
  } else {
    slab = buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = size;
  }
  endMessage(0, writeFamily(mf, 1));
  return buf === slab ? slab.subarray(0, size) : buf;
}

/**
 * Ends a length-delimited message whose content was written from `at + 1` to `end`: writes its
 * length at `at` (one byte was left for it), shifting the content when the length needs more.
 * Returns the position after the message.
 */
function endMessage(at: number, end: number): number {
  const length = end - at - 1;
  if (length < 0x80) {
    buf[at] = length;
    return end;
  }
  const extra = varint32Size(length) - 1;
  buf.copyWithin(at + 1 + extra, at + 1, end);
  writeVarint32(length, at);
  return end + extra;
}

function writeStringField(tag: number, s: string, p: number): number {
  buf[p] = tag;
  return writeString(s, p + 1);
}

function writeDoubleField(tag: number, v: number, p: number): number {
  const b = buf;
  b[p] = tag;
  f64[0] = v;
  b[p + 1] = f64Bytes[0];
  b[p + 2] = f64Bytes[1];
  b[p + 3] = f64Bytes[2];
  b[p + 4] = f64Bytes[3];
  b[p + 5] = f64Bytes[4];
  b[p + 6] = f64Bytes[5];
  b[p + 7] = f64Bytes[6];
  b[p + 8] = f64Bytes[7];
  return p + 9;
}

function writeFamily(mf: MetricFamily, p: number): number {
  if (mf.name !== undefined) {
    p = writeStringField(0x0a, mf.name, p);
  }
  if (mf.help !== undefined && mf.help !== '') {
    p = writeStringField(0x12, mf.help, p);
  }
  if (mf.type !== undefined) {
    buf[p] = 0x18;
    p = writeInt32(mf.type, p + 1);
  }
  const metrics = mf.metric;
  for (let i = 0; i < metrics.length; i++) {
    buf[p] = 0x22;
    p = endMessage(p + 1, writeMetric(metrics[i], p + 2));
  }
  if (mf.unit !== undefined) {
    p = writeStringField(0x2a, mf.unit, p);
  }
  return p;
}

function writeLabels(labels: LabelPair[] | undefined, p: number): number {
  if (labels !== undefined) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      buf[p] = 0x0a;
      const at = p + 1;
      p = at + 1;
      if (l.name !== undefined) {
        p = writeStringField(0x0a, l.name, p);
      }
      if (l.value !== undefined) {
        p = writeStringField(0x12, l.value, p);
      }
      p = endMessage(at, p);
    }
  }
  return p;
}

/** A Gauge or Untyped message (field 2 or 5 of Metric): one optional double. */
function writeValueMessage(tag: number, v: { value: number }, p: number): number {
  buf[p] = tag;
  if (v.value === undefined) {
    buf[p + 1] = 0;
    return p + 2;
  }
  buf[p + 1] = 9;
  return writeDoubleField(0x09, v.value, p + 2);
}

function writeMetric(m: Metric, p: number): number {
  p = writeLabels(m.label, p);
  if (m.gauge !== undefined) {
    p = writeValueMessage(0x12, m.gauge, p);
  }
  if (m.counter !== undefined) {
    buf[p] = 0x1a;
    p = endMessage(p + 1, writeCounter(m.counter, p + 2));
  }
  if (m.summary !== undefined) {
    buf[p] = 0x22;
    p = endMessage(p + 1, writeSummary(m.summary, p + 2));
  }
  if (m.untyped !== undefined) {
    p = writeValueMessage(0x2a, m.untyped, p);
  }
  if (m.timestampMs !== undefined) {
    buf[p] = 0x30;
    p = writeUint64(m.timestampMs, p + 1); // int64 is written as uint64
  }
  if (m.histogram !== undefined) {
    buf[p] = 0x3a;
    p = endMessage(p + 1, writeHistogram(m.histogram, p + 2));
  }
  return p;
}

/** google.protobuf.Timestamp from milliseconds, with protobufjs' float arithmetic for the nanos. */
function writeTimestamp(tag: number, ms: number, p: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  buf[p] = tag;
  const start = p + 1;
  buf[start + 1] = 0x08;
  p = writeUint64(seconds, start + 2); // int64
  buf[p] = 0x10;
  p = writeInt32(nanos, p + 1);
  buf[start] = p - start - 1; // at most 1 + 10 + 1 + 10 bytes
  return p;
}

function writeExemplar(e: Exemplar, p: number): number {
  p = writeLabels(e.label, p);
  if (e.value !== undefined) {
    p = writeDoubleField(0x11, e.value, p);
  }
  if (e.timestampMs !== undefined) {
    p = writeTimestamp(0x1a, e.timestampMs, p);
  }
  return p;
}

function writeCounter(c: Counter, p: number): number {
  if (c.value !== undefined) {
    p = writeDoubleField(0x09, c.value, p);
  }
  if (c.exemplar !== undefined) {
    buf[p] = 0x12;
    p = endMessage(p + 1, writeExemplar(c.exemplar, p + 2));
  }
  if (c.createdTimestampMs !== undefined) {
    p = writeTimestamp(0x1a, c.createdTimestampMs, p);
  }
  return p;
}

function writeQuantile(q: Quantile, p: number): number {
  buf[p] = 0x1a;
  const start = p + 1;
  p = start + 1;
  if (q.quantile !== undefined) {
    p = writeDoubleField(0x09, q.quantile, p);
  }
  if (q.value !== undefined) {
    p = writeDoubleField(0x11, q.value, p);
  }
  buf[start] = p - start - 1;
  return p;
}

function writeSummary(s: Summary, p: number): number {
  if (s.sampleCount !== undefined) {
    buf[p] = 0x08;
    p = writeUint64(s.sampleCount, p + 1);
  }
  if (s.sampleSum !== undefined) {
    p = writeDoubleField(0x11, s.sampleSum, p);
  }
  const quantiles = s.quantile;
  if (quantiles !== undefined) {
    for (let i = 0; i < quantiles.length; i++) {
      p = writeQuantile(quantiles[i], p);
    }
  }
  if (s.createdTimestampMs !== undefined) {
    p = writeTimestamp(0x22, s.createdTimestampMs, p);
  }
  return p;
}

function writeBucket(b: Bucket, p: number): number {
  if (b.cumulativeCount !== undefined) {
    buf[p] = 0x08;
    p = writeUint64(b.cumulativeCount, p + 1);
  }
  if (b.upperBound !== undefined) {
    p = writeDoubleField(0x11, b.upperBound, p);
  }
  if (b.exemplar !== undefined) {
    buf[p] = 0x1a;
    p = endMessage(p + 1, writeExemplar(b.exemplar, p + 2));
  }
  if (b.cumulativeCountFloat !== undefined) {
    p = writeDoubleField(0x21, b.cumulativeCountFloat, p);
  }
  return p;
}

function writeSpans(tag: number, spans: BucketSpan[] | undefined, p: number): number {
  if (spans !== undefined) {
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      buf[p] = tag;
      const start = p + 1;
      p = start + 1;
      if (s.offset !== undefined) {
        buf[p] = 0x08;
        p = writeVarint32(zigzag32(s.offset), p + 1);
      }
      if (s.length !== undefined) {
        buf[p] = 0x10;
        p = writeVarint32(s.length >>> 0, p + 1);
      }
      buf[start] = p - start - 1; // at most 12 bytes
    }
  }
  return p;
}

function writeDeltas(tag: number, deltas: number[] | undefined, p: number): number {
  if (deltas !== undefined) {
    for (let i = 0; i < deltas.length; i++) {
      buf[p] = tag;
      setBits(deltas[i]);
      zigzagBits();
      p = writeBits(p + 1);
    }
  }
  return p;
}

function writeDoubles(tag: number, values: number[] | undefined, p: number): number {
  if (values !== undefined) {
    for (let i = 0; i < values.length; i++) {
      p = writeDoubleField(tag, values[i], p);
    }
  }
  return p;
}

function writeHistogram(h: Histogram, p: number): number {
  if (h.sampleCount !== undefined) {
    buf[p] = 0x08;
    p = writeUint64(h.sampleCount, p + 1);
  }
  if (h.sampleSum !== undefined) {
    p = writeDoubleField(0x11, h.sampleSum, p);
  }
  const buckets = h.bucket;
  if (buckets !== undefined) {
    for (let i = 0; i < buckets.length; i++) {
      buf[p] = 0x1a;
      p = endMessage(p + 1, writeBucket(buckets[i], p + 2));
    }
  }
  if (h.sampleCountFloat !== undefined) {
    p = writeDoubleField(0x21, h.sampleCountFloat, p);
  }
  if (h.schema !== undefined) {
    buf[p] = 0x28;
    p = writeVarint32(zigzag32(h.schema), p + 1);
  }
  if (h.zeroThreshold !== undefined) {
    p = writeDoubleField(0x31, h.zeroThreshold, p);
  }
  if (h.zeroCount !== undefined) {
    buf[p] = 0x38;
    p = writeUint64(h.zeroCount, p + 1);
  }
  if (h.zeroCountFloat !== undefined) {
    p = writeDoubleField(0x41, h.zeroCountFloat, p);
  }
  p = writeSpans(0x4a, h.negativeSpan, p);
  p = writeDeltas(0x50, h.negativeDelta, p);
  p = writeDoubles(0x59, h.negativeCount, p);
  p = writeSpans(0x62, h.positiveSpan, p);
  p = writeDeltas(0x68, h.positiveDelta, p);
  p = writeDoubles(0x71, h.positiveCount, p);
  if (h.createdTimestampMs !== undefined) {
    p = writeTimestamp(0x7a, h.createdTimestampMs, p);
  }
  const exemplars = h.exemplars;
  if (exemplars !== undefined) {
    for (let i = 0; i < exemplars.length; i++) {
      buf[p] = 0x82; // field 16, wire type 2: the tag is the varint 0x82 0x01
      buf[p + 1] = 0x01;
      p = endMessage(p + 2, writeExemplar(exemplars[i], p + 3));
    }
  }
  return p;
}

// ---- Scalars. Each writeX writes at p and returns the position after what it wrote. ----

/** Size of `v` (already a uint32) as a varint. */
function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Writes `v`, already a uint32. */
function writeVarint32(v: number, p: number): number {
  const b = buf;
  while (v > 127) {
    b[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  b[p] = v;
  return p + 1;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

/** protobufjs' int32: coerced with `| 0`, negatives sign-extended to 10 bytes. */
function writeInt32(v: number, p: number): number {
  const i = v | 0;
  if (i < 0) {
    setBits(i);
    return writeBits(p);
  }
  return writeVarint32(i, p);
}

/** uint64 and int64 alike (protobufjs writes int64 as uint64: two's complement, 10 bytes below 0). */
function writeUint64(v: number, p: number): number {
  if (v >= 0 && v < 4294967296) {
    // LongBits.fromNumber gives hi = 0, lo = v >>> 0 here; NaN takes the slow path to 0.
    return writeVarint32(v >>> 0, p);
  }
  setBits(v);
  return writeBits(p);
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

/** Writes lo/hi as a varint (protobufjs' writeVarint64). */
function writeBits(p: number): number {
  const b = buf;
  let l = lo;
  let h = hi;
  while (h) {
    b[p++] = (l & 127) | 128;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  while (l > 127) {
    b[p++] = (l & 127) | 128;
    l >>>= 7;
  }
  b[p] = l;
  return p + 1;
}

// ---- Strings. ----

/**
 * Writes `s` with its length prefix, as protobufjs' BufferWriter does: a string under 40 code units
 * in JS (at most 120 bytes, so a 1-byte length; a lone surrogate as its own 3-byte WTF-8 form),
 * a longer one natively (a lone surrogate as U+FFFD, also 3 bytes, as Buffer.byteLength counts).
 */
function writeString(s: string, p: number): number {
  const n = s.length;
  const b = buf;
  if (n >= 40) {
    const length = Buffer.byteLength(s, 'utf8');
    p = writeVarint32(length, p);
    if (p + length <= b.length) {
      b.write(s, p, length, 'utf8');
    }
    return p + length;
  }
  const start = p;
  p++;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = (c >> 6) | 0xc0;
      b[p++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
      b[p++] = (c >> 18) | 0xf0;
      b[p++] = ((c >> 12) & 0x3f) | 0x80;
      b[p++] = ((c >> 6) & 0x3f) | 0x80;
      b[p++] = (c & 0x3f) | 0x80;
    } else {
      b[p++] = (c >> 12) | 0xe0;
      b[p++] = ((c >> 6) & 0x3f) | 0x80;
      b[p++] = (c & 0x3f) | 0x80;
    }
  }
  b[start] = p - start - 1;
  return p;
}
