/**
 * The delimited protobuf exposition format (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited`): a stream of MetricFamily messages,
 * each preceded by its length as a varint. Schema: proto/metrics.proto, loaded once by protobufjs.
 */
// eslint-disable-next-line no-restricted-imports -- the schema file is located once at load; no I/O per request
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';
import { limitDetail, ParseLimits } from 'src/core/exposition/parse-limits';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { encodeMetricFamilyDelimited } from 'src/core/exposition/protobuf-encoder';
import { Bucket, BucketSpan, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary } from 'src/core/model/metric-family';

/** A protobufjs int64/uint64 as decoded: a number, or a Long when the `long` package is present. */
type Int64 = number | { toNumber(): number };
/** protobufjs' decoded shape of google.protobuf.Timestamp. */
interface PbTimestamp {
  seconds?: Int64;
  nanos?: number;
}
/** A decoded message whose fields we read generically. */
type PbMessage = Record<string, unknown>;

const SCHEMA_PATH = join('proto', 'metrics.proto');
let familyType: protobuf.Type | undefined;

/**
 * The MetricFamily type, loaded on first use. proto/metrics.proto is found by walking up from this
 * file's folder, which works from `src/` (ts-jest) and from `dist/src/` (compiled, rootDir ".").
 */
function metricFamilyType(): protobuf.Type {
  if (familyType === undefined) {
    const root = protobuf.loadSync(findSchema(__dirname));
    familyType = root.lookupType('io.prometheus.client.MetricFamily');
  }
  return familyType;
}

function findSchema(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, SCHEMA_PATH);
    if (existsSync(candidate)) {
      return candidate;
    }
    if (dirname(dir) === dir) {
      throw new Error(`cannot find ${SCHEMA_PATH} above ${from}`);
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes that are not valid UTF-8 without losing any: every byte that starts no well-formed
 * sequence becomes the lone surrogate U+DC80 + (byte - 0x80) (all such bytes are 0x80 or above),
 * one byte at a time as Go's decoder resynchronises. Decoding valid UTF-8 never yields a lone
 * surrogate, so `isWellFormedText` tells such strings apart, and goQuote prints those characters
 * as the bytes they stand for (`"\xff"`), as upstream's messages do. One linear pass into UTF-16
 * code units (never more than bytes), made a string by Buffer's UTF-16 decoding, which keeps lone
 * surrogates (TextDecoder would replace them).
 */
function decodeEscapingInvalid(b: Uint8Array): string {
  const units = new Uint16Array(b.length);
  let n = 0;
  const isCont = (at: number): boolean => at < b.length && (b[at] & 0xc0) === 0x80;
  for (let i = 0; i < b.length;) {
    const lead = b[i];
    if (lead < 0x80) {
      units[n++] = lead;
      i++;
      continue;
    }
    let cp = -1;
    let len = 0;
    if (lead >= 0xc2 && lead <= 0xdf && isCont(i + 1)) {
      cp = ((lead & 0x1f) << 6) | (b[i + 1] & 0x3f);
      len = 2;
    } else if (lead >= 0xe0 && lead <= 0xef && isCont(i + 1) && isCont(i + 2)) {
      cp = ((lead & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      len = 3;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) {
        cp = -1; // overlong, or an encoded surrogate
      }
    } else if (lead >= 0xf0 && lead <= 0xf4 && isCont(i + 1) && isCont(i + 2) && isCont(i + 3)) {
      cp = ((lead & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      len = 4;
      if (cp < 0x10000 || cp > 0x10ffff) {
        cp = -1;
      }
    }
    if (cp < 0) {
      units[n++] = 0xdc00 + lead;
      i++;
    } else if (cp < 0x10000) {
      units[n++] = cp;
      i += len;
    } else {
      units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      i += len;
    }
  }
  return Buffer.from(units.buffer, 0, n * 2).toString('utf16le');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False for a string parseProtobufDelimited decoded from bytes that are not valid UTF-8 (any lone surrogate). */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * protobufjs' BufferReader silently clamps a string that runs past the end of its message (Go
 * reports `unexpected EOF`); this reader throws. It also turns invalid UTF-8 into U+FFFD, which
 * would hide it: this reader keeps such bytes as lone surrogates instead (decodeEscapingInvalid),
 * so that the push check refuses them as upstream's does (with the group's failure time recorded,
 * and the bytes in its message), not the parser.
 */
class StrictBufferReader extends protobuf.BufferReader {
  override string(): string {
    const length = this.uint32();
    if (this.pos + length > this.len) {
      throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`);
    }
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return decodeEscapingInvalid(bytes);
    }
  }
}

/** Go's pbutil.ReadDelimited reads at most this many length-prefix bytes (binary.MaxVarintLen32). */
const MAX_PREFIX_BYTES = 5;

/**
 * Parses a delimited protobuf body into metric families.
 *
 * - Empty body → []. Families keep the order in which their name first appeared; a later family with
 *   the same name replaces the earlier one in that place (Pushgateway keeps them in a map by name).
 * - Absent optional fields stay absent in the model, except those the model requires, which get
 *   proto2 defaults (`name`/`help` '', `type` COUNTER, counts/sums/values 0, empty lists).
 *   Native histogram fields are set only when present on the wire (repeated ones only when non-empty).
 *   Enum values outside MetricType are passed through as numbers.
 * - int64/uint64 become numbers (precision is lost above 2^53); google.protobuf.Timestamp fields
 *   become `...TimestampMs` whole milliseconds (sub-millisecond nanos are truncated).
 *
 * - A string field whose bytes are not valid UTF-8 comes back with those bytes as lone surrogates
 *   (see isWellFormedText and decodeEscapingInvalid), for the push check to refuse.
 *
 * Throws only ExpositionParseError: `unexpected EOF` when a length prefix or a message is truncated,
 * `protobuf parsing error: <detail>` for an over-long length prefix or an undecodable message.
 */
export function parseProtobufDelimited(buf: Uint8Array, limits?: ParseLimits): MetricFamily[] {
  const type = metricFamilyType();
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const byName = new Map<string, number>();
  const families: MetricFamily[] = [];
  let series = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const { length, next } = readLength(bytes, pos);
    if (length > bytes.length - next) {
      throw new ExpositionParseError('unexpected EOF');
    }
    if (limits !== undefined) {
      series += checkShape(bytes, next, next + length, limits, series);
    }
    const family = decodeFamily(type, bytes.subarray(next, next + length));
    const index = byName.get(family.name);
    if (index === undefined) {
      byName.set(family.name, families.length);
      families.push(family);
    } else {
      families[index] = family;
    }
    pos = next + length;
  }
  return families;
}

/**
 * Counts, on the wire and without decoding, the series of one MetricFamily message in
 * [from, to) and the labels of each, and throws when `limits` are exceeded (with `before` series
 * in earlier families): a body that would be refused after decoding is refused before protobufjs
 * spends a second on it (1M labels in one series held the event loop 1.5 s). Returns the family's
 * series. Malformed input is left to the decoder, which reports it as upstream does: the walk then
 * stops and counts what it saw.
 */
function checkShape(b: Uint8Array, from: number, to: number, limits: ParseLimits, before: number): number {
  let series = 0;
  walkFields(b, from, to, (field, start, end) => {
    if (field !== FAMILY_METRIC_FIELD) {
      return;
    }
    if (before + ++series > limits.maxSeries) {
      throw new ExpositionParseError(limitDetail(limits, 'series'));
    }
    let labels = 0;
    walkFields(b, start, end, (f) => {
      if (f === METRIC_LABEL_FIELD && ++labels > limits.maxLabels) {
        throw new ExpositionParseError(limitDetail(limits, 'labels'));
      }
    });
  });
  return series;
}

/** io.prometheus.client.MetricFamily.metric and Metric.label (proto/metrics.proto). */
const FAMILY_METRIC_FIELD = 4;
const METRIC_LABEL_FIELD = 1;

/**
 * Calls `onDelimited` for each length-delimited field of the message in [from, to), skipping the
 * others; stops quietly at anything malformed or unsupported (groups).
 */
function walkFields(b: Uint8Array, from: number, to: number, onDelimited: (field: number, start: number, end: number) => void): void {
  let pos = from;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10 && pos < to; i++) {
      const byte = b[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        return value;
      }
      scale *= 128;
    }
    return -1;
  };
  while (pos < to) {
    const tag = varint();
    if (tag < 0) {
      return;
    }
    const wire = tag % 8;
    if (wire === 0) {
      if (varint() < 0) {
        return;
      }
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const length = varint();
      if (length < 0 || pos + length > to) {
        return;
      }
      onDelimited(Math.floor(tag / 8), pos, pos + length);
      pos += length;
    } else {
      return;
    }
  }
}

/** Reads the unsigned varint at `pos`: the length of the message that follows at `next`. */
function readLength(buf: Uint8Array, pos: number): { length: number; next: number } {
  let length = 0;
  let scale = 1;
  for (let i = pos; i < pos + MAX_PREFIX_BYTES; i++) {
    if (i >= buf.length) {
      throw new ExpositionParseError('unexpected EOF');
    }
    const byte = buf[i];
    length += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      return { length, next: i + 1 };
    }
    scale *= 128;
  }
  throw ExpositionParseError.protobuf('invalid varint32 encountered');
}

function decodeFamily(type: protobuf.Type, bytes: Buffer): MetricFamily {
  let message: PbMessage;
  try {
    message = type.decode(new StrictBufferReader(bytes)) as unknown as PbMessage;
  } catch (e) {
    if (e instanceof RangeError) {
      throw new ExpositionParseError('unexpected EOF');
    }
    throw ExpositionParseError.protobuf(e instanceof Error ? e.message : String(e));
  }
  try {
    return toFamily(message);
  } catch (e) {
    throw ExpositionParseError.protobuf(`invalid message: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---- Decoded protobufjs message → model. `has` is proto2 presence: protobufjs sets only fields on the wire. ----

function has(m: PbMessage, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, field) && m[field] !== null && m[field] !== undefined;
}

function num(m: PbMessage, field: string): number {
  const v = m[field] as Int64 | undefined;
  if (v === undefined || v === null) {
    return 0;
  }
  return typeof v === 'number' ? v : v.toNumber();
}

function list(m: PbMessage, field: string): PbMessage[] {
  return (m[field] as PbMessage[] | undefined) ?? [];
}

/** Copies `field` into `target` when present on the wire. */
function optional<T extends object>(target: T, key: keyof T, m: PbMessage, field: string, map = num): void {
  if (has(m, field)) {
    (target as Record<keyof T, unknown>)[key] = map(m, field);
  }
}

function toFamily(m: PbMessage): MetricFamily {
  const family: MetricFamily = {
    name: (m.name as string | undefined) ?? '',
    help: (m.help as string | undefined) ?? '',
    type: has(m, 'type') ? (m.type as MetricType) : MetricType.COUNTER,
    metric: list(m, 'metric').map(toMetric),
  };
  if (has(m, 'unit')) {
    family.unit = m.unit as string;
  }
  return family;
}

function toMetric(m: PbMessage): Metric {
  const metric: Metric = { label: list(m, 'label').map(toLabel) };
  if (has(m, 'gauge')) {
    metric.gauge = { value: num(m.gauge as PbMessage, 'value') };
  }
  if (has(m, 'counter')) {
    metric.counter = toCounter(m.counter as PbMessage);
  }
  if (has(m, 'summary')) {
    metric.summary = toSummary(m.summary as PbMessage);
  }
  if (has(m, 'untyped')) {
    metric.untyped = { value: num(m.untyped as PbMessage, 'value') };
  }
  if (has(m, 'histogram')) {
    metric.histogram = toHistogram(m.histogram as PbMessage);
  }
  optional(metric, 'timestampMs', m, 'timestampMs');
  return metric;
}

function toLabel(m: PbMessage): LabelPair {
  return { name: (m.name as string | undefined) ?? '', value: (m.value as string | undefined) ?? '' };
}

function timestampMs(m: PbMessage, field: string): number {
  const ts = m[field] as PbTimestamp;
  const seconds = ts.seconds === undefined ? 0 : typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

function toExemplar(m: PbMessage): Exemplar {
  const exemplar: Exemplar = { label: list(m, 'label').map(toLabel), value: num(m, 'value') };
  optional(exemplar, 'timestampMs', m, 'timestamp', timestampMs);
  return exemplar;
}

function toCounter(m: PbMessage): Counter {
  const counter: Counter = { value: num(m, 'value') };
  if (has(m, 'exemplar')) {
    counter.exemplar = toExemplar(m.exemplar as PbMessage);
  }
  optional(counter, 'createdTimestampMs', m, 'createdTimestamp', timestampMs);
  return counter;
}

function toSummary(m: PbMessage): Summary {
  const summary: Summary = {
    sampleCount: num(m, 'sampleCount'),
    sampleSum: num(m, 'sampleSum'),
    quantile: list(m, 'quantile').map((q): Quantile => ({ quantile: num(q, 'quantile'), value: num(q, 'value') })),
  };
  optional(summary, 'createdTimestampMs', m, 'createdTimestamp', timestampMs);
  return summary;
}

function toBucket(m: PbMessage): Bucket {
  const bucket: Bucket = { cumulativeCount: num(m, 'cumulativeCount'), upperBound: num(m, 'upperBound') };
  optional(bucket, 'cumulativeCountFloat', m, 'cumulativeCountFloat');
  if (has(m, 'exemplar')) {
    bucket.exemplar = toExemplar(m.exemplar as PbMessage);
  }
  return bucket;
}

function toSpan(m: PbMessage): BucketSpan {
  return { offset: num(m, 'offset'), length: num(m, 'length') };
}

function toNumbers(values: unknown[]): number[] {
  return values.map((v) => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber()));
}

function toHistogram(m: PbMessage): Histogram {
  const h: Histogram = {
    sampleCount: num(m, 'sampleCount'),
    sampleSum: num(m, 'sampleSum'),
    bucket: list(m, 'bucket').map(toBucket),
  };
  optional(h, 'sampleCountFloat', m, 'sampleCountFloat');
  optional(h, 'createdTimestampMs', m, 'createdTimestamp', timestampMs);
  optional(h, 'schema', m, 'schema');
  optional(h, 'zeroThreshold', m, 'zeroThreshold');
  optional(h, 'zeroCount', m, 'zeroCount');
  optional(h, 'zeroCountFloat', m, 'zeroCountFloat');
  setList(h, 'negativeSpan', list(m, 'negativeSpan').map(toSpan));
  setList(h, 'negativeDelta', toNumbers(list(m, 'negativeDelta')));
  setList(h, 'negativeCount', toNumbers(list(m, 'negativeCount')));
  setList(h, 'positiveSpan', list(m, 'positiveSpan').map(toSpan));
  setList(h, 'positiveDelta', toNumbers(list(m, 'positiveDelta')));
  setList(h, 'positiveCount', toNumbers(list(m, 'positiveCount')));
  setList(h, 'exemplars', list(m, 'exemplars').map(toExemplar));
  return h;
}

function setList<K extends keyof Histogram>(h: Histogram, key: K, values: Histogram[K] & unknown[]): void {
  if (values.length > 0) {
    h[key] = values;
  }
}

// ---- Model → protobufjs-encodable plain object (camelCase fields, Timestamp messages). ----

function toTimestamp(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Shallow copy of `obj` with the `...TimestampMs` field `from` replaced by a Timestamp under `to`. */
function withTimestamp<T extends object>(obj: T, from: keyof T, to: string): PbMessage {
  const { [from]: ms, ...rest } = obj as Record<string, unknown>;
  const out: PbMessage = rest;
  if (typeof ms === 'number') {
    out[to] = toTimestamp(ms);
  }
  return out;
}

function pbExemplar(e: Exemplar): PbMessage {
  return withTimestamp(e, 'timestampMs', 'timestamp');
}

function pbBucket(b: Bucket): PbMessage {
  return b.exemplar === undefined ? { ...b } : { ...b, exemplar: pbExemplar(b.exemplar) };
}

function pbHistogram(h: Histogram): PbMessage {
  const out = withTimestamp(h, 'createdTimestampMs', 'createdTimestamp');
  out.bucket = h.bucket.map(pbBucket);
  if (h.exemplars !== undefined) {
    out.exemplars = h.exemplars.map(pbExemplar);
  }
  return out;
}

function pbMetric(m: Metric): PbMessage {
  const out: PbMessage = { ...m };
  if (m.counter !== undefined) {
    const counter = withTimestamp(m.counter, 'createdTimestampMs', 'createdTimestamp');
    if (m.counter.exemplar !== undefined) {
      counter.exemplar = pbExemplar(m.counter.exemplar);
    }
    out.counter = counter;
  }
  if (m.summary !== undefined) {
    out.summary = withTimestamp(m.summary, 'createdTimestampMs', 'createdTimestamp');
  }
  if (m.histogram !== undefined) {
    out.histogram = pbHistogram(m.histogram);
  }
  return out;
}

/**
 * Encodes one family as a length-prefixed MetricFamily message. Model fields map one to one onto
 * the schema; `...TimestampMs` fields become google.protobuf.Timestamp, absent optional fields and
 * empty repeated fields are not written, nor is an empty `help` (the model's "no HELP"; Go would
 * print `# HELP name ` for an explicit empty string). Pure.
 *
 * Hand-written (protobuf-encoder.ts) because every push encodes every family; it produces the
 * same bytes as encodeFamilyDelimitedReflective, which the specs compare it with.
 */
export function encodeFamilyDelimited(mf: MetricFamily): Buffer {
  return encodeMetricFamilyDelimited(mf);
}

/**
 * encodeFamilyDelimited through protobufjs' reflection encoder on a plain-object copy of the family:
 * the reference the hand-written encoder is tested and benchmarked against. Not used in production.
 */
export function encodeFamilyDelimitedReflective(mf: MetricFamily): Buffer {
  const message: PbMessage = { ...mf, metric: mf.metric.map(pbMetric) };
  if (mf.help === '') {
    delete message.help;
  }
  const bytes = metricFamilyType().encodeDelimited(message).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
}

/** Concatenates `encodeFamilyDelimited` of each family, in the given order. */
export function encodeProtobufDelimited(mfs: MetricFamily[]): Buffer {
  return Buffer.concat(mfs.map(encodeFamilyDelimited));
}
