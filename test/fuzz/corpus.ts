import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import { snappyMaskedCrc } from '../../src/http/crc32c';
import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { Metric, MetricFamily, MetricType } from '../../src/core/model/metric-family';

/**
 * A seeded, reproducible corpus of hostile HTTP requests for the fuzz suite (DESIGN §5c): the same
 * seed gives the same requests, byte for byte, on every machine (only the seeded generator below is
 * used; no clock, no Math.random). Requests cover every route of the push API (PUT/POST/DELETE,
 * `@base64`, `/api/v2`), mutated text, OpenMetrics and protobuf bodies, gzip and snappy (framed and
 * raw) encodings, odd content types, the query API (GET and form POST), the JSON/status/admin
 * endpoints, garbage `Authorization` headers and forged tokens, and raw malformed HTTP.
 */

/** One request. `raw` requests are written to a socket as is (malformed HTTP); the others go through node:http. */
export interface FuzzRequest {
  /** Which gateway: 'open' (auth off) or 'auth' (token auth on, secret FUZZ_JWT_SECRET). */
  target: 'open' | 'auth';
  method: string;
  /** Sent as is (node:http accepts bytes 0x21-0xff; the server sees them as latin1 bytes). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Whole request bytes for malformed HTTP; method/path/headers/body are then only a description. */
  raw?: Buffer;
  /** What generated it (for the failure report and the counts). */
  kind: string;
}

/** The HS256 secret of the 'auth' gateway; forged tokens are signed with it so they reach claim checks. */
export const FUZZ_JWT_SECRET = 'fuzz-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/** xorshift128+-style generator over 32-bit halves (mulberry32 per stream): deterministic per seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    const total = items.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of items) {
      x -= w;
      if (x < 0) {
        return v;
      }
    }
    return items[items.length - 1][1];
  }
}

// ---- strings ----

const ESC = '\uFDD0';
/** Characters that have broken parsers, encoders or the database somewhere. */
const NASTY = [
  '\u0000',
  ESC,
  '"',
  '\\',
  '\n',
  '\r',
  '\t',
  '{',
  '}',
  '=',
  ',',
  '#',
  ' ',
  '/',
  '%',
  '+',
  '@',
  '😀',
  'é',
  '\u2028',
  '\uFEFF',
  '\uFFFF',
  '\u0001',
  '\u007f',
  '日本',
];
const WORDS = ['a', 'job', 'instance', 'x', 'val', '0', '1.5', 'NaN', '+Inf', 'le', 'quantile', 'fz', 'base64', ''];

function nastyString(r: Rng, max = 8): string {
  let s = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) {
    s += r.chance(0.4) ? r.pick(NASTY) : r.pick(WORDS);
  }
  return s;
}

const METRIC_NAMES = [
  'fz_gauge',
  'fz_counter_total',
  'fz_hist',
  'fz_summary',
  'fz_untyped',
  'fz_hist_bucket',
  'fz_hist_count',
  'go_goroutines',
  'push_time_seconds',
  'push_failure_time_seconds',
  'process_cpu_seconds_total',
  'fz:rule',
];
const LABEL_NAMES = ['l', 'instance', 'job', 'le', 'quantile', 'a_b', 'x', 'zone', 'tenant_userid', 'constructor', 'toString'];
const BAD_NAMES = ['', '1a', 'a-b', 'a.b', '__reserved', 'é', 'a b', '"q"', 'a\u0000'];

function metricName(r: Rng): string {
  return r.chance(0.9) ? r.pick(METRIC_NAMES) : r.pick(BAD_NAMES);
}

function labelName(r: Rng): string {
  return r.chance(0.93) ? r.pick(LABEL_NAMES) : r.pick(BAD_NAMES);
}

function floatText(r: Rng): string {
  return r.pick([
    '1',
    '0',
    '-0',
    '42',
    '3.14',
    '-1e-300',
    '1e308',
    '1e309',
    'NaN',
    '+Inf',
    '-Inf',
    'Inf',
    '0x1p3',
    '1_000',
    '',
    '.5',
    '5.',
    '+1',
    '--1',
    '9007199254740993',
  ]);
}

/** A text-format label value (escaped as the format wants, or deliberately not). */
function quotedLabelValue(r: Rng): string {
  const raw = nastyString(r, 5);
  if (r.chance(0.8)) {
    return `"${raw.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  }
  return `"${raw}"`;
}

// ---- bodies ----

/** A text exposition (0.0.4, sometimes OpenMetrics-flavoured) with a few families. */
function textBody(r: Rng, openMetrics = false): string {
  let out = '';
  const families = 1 + r.int(4);
  for (let f = 0; f < families; f++) {
    const name = metricName(r);
    const type = r.pick(
      openMetrics
        ? ['counter', 'gauge', 'histogram', 'summary', 'unknown', 'info', 'stateset', 'gaugehistogram']
        : ['counter', 'gauge', 'untyped', 'summary', 'histogram', 'bogus'],
    );
    if (r.chance(0.7)) {
      out += `# HELP ${name} ${nastyString(r, 4).replace(/\n/g, r.chance(0.7) ? '\\n' : '\n')}\n`;
    }
    if (r.chance(0.8)) {
      out += `# TYPE ${name} ${type}\n`;
    }
    if (openMetrics && r.chance(0.3)) {
      out += `# UNIT ${name} ${r.pick(['seconds', 'bytes', ''])}\n`;
    }
    const samples = r.int(4);
    for (let s = 0; s < samples; s++) {
      const suffix =
        type === 'histogram'
          ? r.pick(['_bucket', '_sum', '_count', ''])
          : type === 'summary'
            ? r.pick(['', '_sum', '_count'])
            : type === 'counter' && openMetrics
              ? r.pick(['_total', '_created'])
              : '';
      const labels: string[] = [];
      const nl = r.int(4);
      for (let l = 0; l < nl; l++) {
        labels.push(`${labelName(r)}=${quotedLabelValue(r)}`);
      }
      if (suffix === '_bucket' || (type === 'histogram' && r.chance(0.5))) {
        labels.push(`le="${r.pick(['0.1', '1', '+Inf', 'x', '-Inf', 'NaN'])}"`);
      }
      if (type === 'summary' && suffix === '' && r.chance(0.7)) {
        labels.push(`quantile="${r.pick(['0.5', '0.99', 'x', '2'])}"`);
      }
      const labelText = labels.length > 0 || r.chance(0.2) ? `{${labels.join(',')}${r.chance(0.1) ? ',' : ''}}` : '';
      const timestamp = r.chance(0.05) ? ` ${r.pick(['1700000000000', '-1', 'x', '1.5'])}` : '';
      const exemplar = openMetrics && r.chance(0.2) ? ` # {trace_id="${r.int(1000)}"} 1 ${r.pick(['', '1.5'])}` : '';
      out += `${name}${suffix}${labelText} ${floatText(r)}${timestamp}${exemplar}\n`;
    }
  }
  if (openMetrics && r.chance(0.8)) {
    out += '# EOF\n';
  }
  return out;
}

function randomMetric(r: Rng, type: MetricType): Metric {
  const label = Array.from({ length: r.int(4) }, () => ({ name: labelName(r), value: nastyString(r, 4) }));
  const value = r.pick([1, 0, -1, 3.5, NaN, Infinity, -Infinity, 1e308, 5e-324]);
  const m: Metric = { label };
  switch (type) {
    case MetricType.COUNTER:
      m.counter = { value };
      break;
    case MetricType.GAUGE:
      m.gauge = { value };
      break;
    case MetricType.SUMMARY:
      m.summary = { sampleCount: r.int(10), sampleSum: value, quantile: [{ quantile: r.pick([0.5, 0.99, NaN, 2]), value }] };
      break;
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      m.histogram = {
        sampleCount: r.int(10),
        sampleSum: value,
        bucket: r.chance(0.7) ? [{ upperBound: r.pick([0.1, 1, Infinity, NaN]), cumulativeCount: r.int(10) }] : [],
        ...(r.chance(0.3)
          ? {
              schema: r.pick([0, 3, -4, 8, 100]),
              zeroThreshold: 1e-128,
              zeroCount: r.int(3),
              positiveSpan: [{ offset: r.int(5) - 2, length: r.int(3) }],
              positiveDelta: [r.int(5) - 2, 1],
            }
          : {}),
      };
      break;
    default:
      m.untyped = { value };
  }
  if (r.chance(0.05)) {
    m.timestampMs = 1700000000000;
  }
  return m;
}

function protobufBody(r: Rng): Buffer {
  const families: MetricFamily[] = Array.from({ length: 1 + r.int(3) }, () => {
    const type = r.pick([MetricType.COUNTER, MetricType.GAUGE, MetricType.UNTYPED, MetricType.SUMMARY, MetricType.HISTOGRAM, MetricType.GAUGE_HISTOGRAM]);
    return { name: metricName(r), help: nastyString(r, 3), type, metric: Array.from({ length: r.int(3) }, () => randomMetric(r, type)) };
  });
  return encodeProtobufDelimited(families);
}

const TOKENS = [
  '\u0000',
  '\xff',
  '\xc3',
  '\xed\xa0\x80',
  '\xef\xb7\x90',
  '{',
  '}',
  '"',
  '\\',
  '\n',
  '\r\n',
  '#',
  '# TYPE x counter\n',
  '# HELP x \\\n',
  ' ',
  '=',
  ',',
  'NaN',
  '1e999',
  '\t',
  'x{a="',
  '0',
];

/** Byte-level mutations: flips, inserted tokens, deletions, duplications, truncation. */
function mutate(r: Rng, input: Buffer, rounds = 1 + r.int(4)): Buffer {
  let buf = Buffer.from(input);
  for (let i = 0; i < rounds; i++) {
    const at = buf.length === 0 ? 0 : r.int(buf.length + 1);
    switch (r.int(6)) {
      case 0:
        if (buf.length > 0) {
          buf[Math.min(at, buf.length - 1)] ^= 1 << r.int(8);
        }
        break;
      case 1:
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(r.pick(TOKENS), 'latin1'), buf.subarray(at)]);
        break;
      case 2:
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + r.int(8))]);
        break;
      case 3: {
        const len = r.int(16);
        buf = Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
        break;
      }
      case 4:
        buf = buf.subarray(0, at);
        break;
      default:
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from([r.int(256)]), buf.subarray(at)]);
    }
  }
  return buf;
}

// ---- encodings ----

function snappyFramed(r: Rng, data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
  for (let i = 0; i < data.length || i === 0; i += 65536) {
    const piece = data.subarray(i, i + 65536);
    const compressed = r.chance(0.7);
    const payload = compressed ? Buffer.from(snappyCompress(piece)) : piece;
    const header = Buffer.alloc(8);
    header[0] = compressed ? 0x00 : 0x01;
    header.writeUIntLE(payload.length + 4, 1, 3);
    header.writeUInt32LE(r.chance(0.15) ? r.int(2 ** 32) : snappyMaskedCrc(piece), 4);
    parts.push(header, payload);
    if (r.chance(0.1)) {
      parts.push(Buffer.from([r.pick([0xfe, 0x80, 0x02, 0xff]), 2, 0, 0, 1, 2]));
    }
  }
  return Buffer.concat(parts);
}

/** Encodes a body: returns the bytes and the Content-Encoding header to send (if any). */
function encode(r: Rng, body: Buffer): { body: Buffer; encoding?: string } {
  return r.weighted<() => { body: Buffer; encoding?: string }>([
    [10, () => ({ body })],
    [2, () => ({ body: gzipSync(body), encoding: r.pick(['gzip', 'GZIP', 'x-gzip', ' gzip ']) })],
    [1, () => ({ body: mutate(r, gzipSync(body)), encoding: 'gzip' })],
    [2, () => ({ body: snappyFramed(r, body), encoding: r.pick(['snappy', 'Snappy']) })],
    [1, () => ({ body: mutate(r, snappyFramed(r, body)), encoding: 'snappy' })],
    [1, () => ({ body: Buffer.from(snappyCompress(body)), encoding: 'snappy' })],
    [1, () => ({ body: mutate(r, Buffer.from(snappyCompress(body))), encoding: 'snappy' })],
    [1, () => ({ body, encoding: r.pick(['identity', 'br', 'deflate', 'gzip, snappy', '', 'compress', '\u00e9']) })],
  ])();
}

const PB = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const CONTENT_TYPES = [
  'text/plain; version=0.0.4',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/openmetrics-text; version=1.0.0; charset=utf-8',
  'application/openmetrics-text',
  PB,
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily',
  'application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily',
  'application/vnd.google.protobuf;proto="io.prometheus.client.MetricFamily";encoding="delimited"',
  'application/json',
  'multipart/form-data; boundary=x',
  ';;;',
  'text/plain; charset=latin1',
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; encoding=text',
  '*/*',
];

// ---- paths ----

function pathValue(r: Rng): string {
  return r.weighted<() => string>([
    [
      6,
      () =>
        r.pick([
          'j1',
          'j2',
          'fz',
          'a%20b',
          'x%2Fy',
          '%00',
          'a%00b',
          '%EF%B7%90',
          '%E6%97%A5',
          '%FF',
          '%C3',
          '%',
          '%zz',
          '+',
          '=',
          '@base64',
          'a@base64',
          '..',
          '.',
        ]),
    ],
    [3, () => encodeURIComponent(nastyString(r, 4))],
    [2, () => Buffer.from(nastyString(r, 4), 'utf8').toString('latin1')],
    [1, () => 'v'.repeat(r.pick([300, 5000, 70000]))],
  ])();
}

function base64Value(r: Rng): string {
  return r.weighted<() => string>([
    [5, () => Buffer.from(nastyString(r, 4), 'utf8').toString('base64url')],
    [1, () => `${Buffer.from(nastyString(r, 3), 'utf8').toString('base64url')}${'='.repeat(r.int(4))}`],
    [1, () => r.pick(['=', '==', '_-8', '_w', 'AA', 'a!b', 'L3Zhci+0bXA', 'A', '////', '%3D', ''])],
    [1, () => Buffer.from([r.int(256), r.int(256), r.int(256)]).toString('base64url')],
  ])();
}

/** The part after `/metrics/`: `job/...`, `job@base64/...`, label pairs, broken shapes. */
function groupingPath(r: Rng): string {
  const job = r.chance(0.8) ? `job/${pathValue(r)}` : `job@base64/${base64Value(r)}`;
  const head = r.weighted<() => string>([
    [12, () => job],
    [1, () => r.pick(['job', 'job/', 'jobs/x', '', 'job@base64', 'JOB/x', 'job//x'])],
    [1, () => `${labelName(r)}/${pathValue(r)}`],
  ])();
  let out = head;
  const pairs = r.int(4);
  for (let i = 0; i < pairs; i++) {
    const name = labelName(r);
    out += r.chance(0.3) ? `/${name}@base64/${base64Value(r)}` : `/${name}/${pathValue(r)}`;
  }
  if (r.chance(0.08)) {
    out += r.pick(['/', '/odd', '//', '/a/b/', '?x=1', '#frag']);
  }
  return out;
}

// ---- queries ----

const FUNCS = [
  'rate',
  'irate',
  'increase',
  'delta',
  'deriv',
  'avg_over_time',
  'max_over_time',
  'count_over_time',
  'last_over_time',
  'quantile_over_time',
  'abs',
  'ceil',
  'sort',
  'sort_desc',
  'timestamp',
  'absent',
  'absent_over_time',
  'changes',
  'resets',
  'vector',
  'scalar',
  'time',
  'label_replace',
  'label_join',
  'histogram_quantile',
  'clamp',
  'round',
  'predict_linear',
  'holt_winters',
  'nosuchfn',
];
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'topk', 'bottomk', 'quantile', 'count_values', 'group'];
const REGEXES = [
  '.*',
  '.+',
  'fz.*',
  'a|b|c',
  '(a*)*b',
  '(x+x+)+y',
  '[a-z]+',
  '\\d+',
  '(?i)FZ.*',
  '[',
  '(',
  'a{1000}',
  '.*.*.*.*=',
  '\\p{L}+',
  '(?P<n>a)',
  '\\x00',
  '%00',
  'é+',
  '^a$',
  'a**',
  '(?=a)',
];

/** PromQL string bodies with Go escapes (bytes, octal, code points, invalid ones). */
const GO_ESCAPES = ['\\x00', '\\xc3\\xa9', '\\xff', '\\377', '\\000', '\\xef\\xb7\\x90', '\\U0010FFFF', '\\uD800', '\\U00110000', '\\x', '\\q', '\\a\\b\\f\\v'];

function selector(r: Rng): string {
  const matchers: string[] = [];
  const n = r.int(4);
  for (let i = 0; i < n; i++) {
    const op = r.pick(['=', '!=', '=~', '!~']);
    const value = op.includes('~') && r.chance(0.7) ? r.pick(REGEXES) : nastyString(r, 3);
    const quoted = r.chance(0.1) ? `"${r.pick(GO_ESCAPES)}"` : JSON.stringify(value);
    matchers.push(`${r.chance(0.9) ? labelName(r) : '__name__'}${op}${quoted}`);
  }
  const name = r.chance(0.8) ? metricName(r) : '';
  const body = matchers.length > 0 || name === '' ? `{${matchers.join(',')}}` : '';
  const range = r.chance(0.3) ? `[${r.pick(['1m', '5m', '30s', '1h', '0s', '1y', '-1m', '1ms', 'x'])}]` : '';
  const offset = r.chance(0.1) ? ` offset ${r.pick(['5m', '-1h', '1y'])}` : '';
  return `${name}${body}${range}${offset}`;
}

function promql(r: Rng, depth = 0): string {
  if (depth > 3) {
    return r.chance(0.5) ? selector(r) : floatText(r) || '1';
  }
  return r.weighted<() => string>([
    [5, () => selector(r)],
    [2, () => `${r.pick(FUNCS)}(${promql(r, depth + 1)}${r.chance(0.3) ? `, ${promql(r, depth + 1)}` : ''})`],
    [2, () => `${r.pick(AGGS)}${r.chance(0.4) ? ` by (${labelName(r)})` : ''}(${r.chance(0.3) ? `${r.int(5)}, ` : ''}${promql(r, depth + 1)})`],
    [
      2,
      () =>
        `${promql(r, depth + 1)} ${r.pick(['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', 'and', 'or', 'unless', '> bool', 'atan2'])}${r.chance(0.2) ? ' on(job) group_left' : ''} ${promql(r, depth + 1)}`,
    ],
    [1, () => `(${promql(r, depth + 1)})[${r.pick(['5m:1m', '1h:', '1m:1s', '10m:30s'])}]`],
    [1, () => r.pick(['1', '"str"', 'NaN', '-Inf', '1e309', '0x10', '5m', 'time()', '`raw`'])],
    [1, () => `label_replace(${selector(r)}, "dst", "$1", "${labelName(r)}", ${JSON.stringify(r.pick(REGEXES))})`],
  ])();
}

function timeParam(r: Rng, base: number): string {
  return r.weighted<() => string>([
    [8, () => String(base + r.int(600) - 300)],
    [2, () => new Date((base + r.int(600) - 300) * 1000).toISOString()],
    [1, () => r.pick(['', 'x', 'NaN', 'Inf', '-Inf', '1e300', '-1e300', '0', '9999999999999', '2026-13-45T00:00:00Z', '1.5e9', '0x10', 'now'])],
  ])();
}

function queryParams(r: Rng, endpoint: string, base: number): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  const query = r.chance(0.2) ? Buffer.from(mutate(r, Buffer.from(promql(r)))).toString('latin1') : promql(r);
  if (endpoint === 'query' || endpoint === 'query_range' || endpoint === 'query_exemplars') {
    if (r.chance(0.95)) {
      params.push(['query', query]);
    }
  }
  if (endpoint === 'query' && r.chance(0.6)) {
    params.push(['time', timeParam(r, base)]);
  }
  if (endpoint === 'query_range' || endpoint === 'series' || endpoint === 'labels' || endpoint.startsWith('label/') || endpoint === 'query_exemplars') {
    const start = base - 60 - r.int(3600);
    if (r.chance(0.85)) {
      params.push(['start', r.chance(0.9) ? String(start) : timeParam(r, base)]);
    }
    if (r.chance(0.85)) {
      params.push(['end', r.chance(0.9) ? String(base + r.int(60)) : timeParam(r, base)]);
    }
    if (endpoint === 'query_range' && r.chance(0.95)) {
      params.push(['step', r.pick(['15', '60', '1m', '30s', '5', '0', '-1', 'x', '1e-9', '3600', '1ms', 'NaN'])]);
    }
  }
  if ((endpoint === 'series' || endpoint === 'labels' || endpoint.startsWith('label/')) && r.chance(0.8)) {
    for (let i = 0; i < 1 + r.int(2); i++) {
      params.push(['match[]', r.chance(0.8) ? selector(r) : query]);
    }
  }
  if (r.chance(0.2)) {
    params.push([
      r.pick(['limit', 'timeout', 'limit_per_metric', 'metric', 'stats', 'lookback_delta']),
      r.pick(['0', '1', '-5', '10', 'x', '1e99', '5s', '1ms', 'fz_gauge', '']),
    ]);
  }
  return params;
}

function formEncode(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// ---- auth ----

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** An HS256 JWT with the fuzz secret (claims possibly hostile), or a garbage one. */
function token(r: Rng, now: number): string {
  const claims: Record<string, unknown> = {
    exp: r.weighted<unknown>([
      [8, now + 3600],
      [1, now - 3600],
      [1, r.pick(['x', null, 1e300, -1, 0])],
    ]),
    jti: r.chance(0.9) ? `fz-${r.int(1e6)}${r.chance(0.2) ? nastyString(r, 2) : ''}` : r.pick(['', 'x'.repeat(300), 5, null]),
    scope: r.chance(0.8) ? r.pick(['push', 'read', 'admin', 'push read', 'push read admin', 'bogus', '']) : r.pick([['push', 'read'], 5, null]),
  };
  if (r.chance(0.7)) {
    claims.tenant = r.chance(0.8) ? r.pick(['t1', 't2', '*', 'tenant-a']) : r.pick([nastyString(r, 3), 'x'.repeat(200), 7, '', null]);
  }
  if (r.chance(0.5)) {
    claims.sub = r.chance(0.7) ? 'fuzzer' : nastyString(r, 3);
  }
  if (r.chance(0.1)) {
    claims.nbf = now + 3600;
  }
  const header = r.weighted<unknown>([
    [9, { alg: 'HS256', typ: 'JWT' }],
    [1, r.pick([{ alg: 'none' }, { alg: 'HS512' }, { alg: 'RS256' }, 'x', { alg: 'HS256', crit: ['exp'] }])],
  ]);
  const unsigned = `${b64url(header)}.${b64url(claims)}`;
  const signature = createHmac('sha256', FUZZ_JWT_SECRET).update(unsigned).digest('base64url');
  return r.weighted<() => string>([
    [8, () => `${unsigned}.${signature}`],
    [1, () => `${unsigned}.${signature.slice(1)}`],
    [1, () => `${unsigned}.`],
    [1, () => r.pick(['a.b.c', '...', 'x', 'eyJ.eyJ.x', `${unsigned}.${signature}.extra`, '%00'])],
  ])();
}

/** A well-formed token with the usual claims (operator or tenant), so requests get past the guard; `sub` sometimes hostile. */
function validToken(r: Rng, now: number): string {
  const claims: Record<string, unknown> = {
    exp: now + 3600,
    jti: `fz-valid-${r.int(50)}`,
    scope: r.pick(['push read admin', 'push read', 'read', 'push']),
    tenant: r.pick(['*', '*', 't1', 't2', 'tenant-a']),
    sub: r.chance(0.7) ? 'fuzzer' : nastyString(r, 3),
  };
  const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', FUZZ_JWT_SECRET).update(unsigned).digest('base64url')}`;
}

function authorization(r: Rng, now: number): string | undefined {
  return r.weighted<() => string | undefined>([
    [2, () => undefined],
    [8, () => `Bearer ${validToken(r, now)}`],
    [2, () => `Basic ${Buffer.from(`fuzzer:${validToken(r, now)}`).toString('base64')}`],
    [6, () => `Bearer ${token(r, now)}`],
    [2, () => `Basic ${Buffer.from(`${r.pick(['user', '', ':', 'a:b'])}:${token(r, now)}`).toString('base64')}`],
    [
      1,
      () =>
        r.pick([
          'Bearer',
          'Bearer ',
          'Basic !!!',
          'Basic Og==',
          'Digest x',
          'bearer  x y',
          `Bearer ${'a'.repeat(20000)}`,
          'Basic ' + Buffer.from('\u00ff\u0000:\u0000').toString('base64'),
          'NTLM',
          '\u00e9',
        ]),
    ],
  ])();
}

// ---- pushes meant to be accepted (hostile strings in valid places) ----

/** Valid names, each with one fixed type, so accepted pushes do not fight over types. */
const CLEAN_FAMILIES: ReadonlyArray<readonly [string, MetricType]> = [
  ['fz_ok_total', MetricType.COUNTER],
  ['fz_ok_gauge', MetricType.GAUGE],
  ['fz_ok_untyped', MetricType.UNTYPED],
  ['fz_ok_seconds', MetricType.HISTOGRAM],
  ['fz_ok_bytes', MetricType.SUMMARY],
];
const CLEAN_LABELS = ['l', 'zone', 'a_b', 'x', 'constructor', 'toString'];

/** A grouping path that parses: a job and up to two labels, hostile (valid UTF-8) values percent- or base64-encoded. */
function cleanGroupingPath(r: Rng): string {
  const value = (name: string): string => {
    const v = nastyString(r, 4);
    return v === '' || v.includes('/') || r.chance(0.4)
      ? `${name}@base64/${Buffer.from(v, 'utf8').toString('base64url') || '='}`
      : `${name}/${encodeURIComponent(v)}`;
  };
  const job = value('job');
  const labels = [...new Set(Array.from({ length: r.int(3) }, () => r.pick(CLEAN_LABELS.concat('instance'))))];
  return [job.startsWith('job@base64/=') ? 'job/j' : job, ...labels.map(value)].join('/');
}

/** Families of the clean names with hostile label values and HELP texts; no timestamps. */
function cleanFamilies(r: Rng): MetricFamily[] {
  const chosen = CLEAN_FAMILIES.filter(() => r.chance(0.5));
  return (chosen.length > 0 ? chosen : [CLEAN_FAMILIES[r.int(CLEAN_FAMILIES.length)]]).map(([name, type]) => {
    const metric: Metric[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 1 + r.int(3); i++) {
      const label = [...new Set(Array.from({ length: r.int(3) }, () => r.pick(CLEAN_LABELS)))].map((n) => ({ name: n, value: nastyString(r, 4) }));
      const key = JSON.stringify(label);
      if (!seen.has(key)) {
        seen.add(key);
        const m = randomMetric(r, type);
        delete m.timestampMs;
        if (m.histogram !== undefined) {
          m.histogram.bucket = [
            { upperBound: 0.1, cumulativeCount: 1 },
            { upperBound: 1, cumulativeCount: 2 },
          ];
        }
        if (m.summary !== undefined) {
          m.summary.quantile = [{ quantile: 0.5, value: 1 }];
        }
        metric.push({ ...m, label });
      }
    }
    return { name, help: nastyString(r, 4), type, metric };
  });
}

/** The text exposition of clean families (the format's own escaping). */
function cleanText(families: MetricFamily[]): string {
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const value = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${['counter', 'gauge', 'summary', 'untyped', 'histogram'][f.type]}\n`;
    for (const m of f.metric) {
      const labels = (extra: string): string => `{${[...m.label.map((l) => `${l.name}="${esc(l.value)}"`), ...(extra === '' ? [] : [extra])].join(',')}}`;
      if (m.histogram !== undefined) {
        for (const b of m.histogram.bucket) {
          out += `${f.name}_bucket${labels(`le="${value(b.upperBound)}"`)} ${b.cumulativeCount}\n`;
        }
        out += `${f.name}_bucket${labels('le="+Inf"')} ${m.histogram.sampleCount}\n${f.name}_sum${labels('')} ${value(m.histogram.sampleSum)}\n${f.name}_count${labels('')} ${m.histogram.sampleCount}\n`;
      } else if (m.summary !== undefined) {
        out += `${f.name}${labels('quantile="0.5"')} 1\n${f.name}_sum${labels('')} ${value(m.summary.sampleSum)}\n${f.name}_count${labels('')} ${m.summary.sampleCount}\n`;
      } else {
        out += `${f.name}${labels('')} ${value((m.counter ?? m.gauge ?? m.untyped)?.value ?? 0)}\n`;
      }
    }
  }
  return out;
}

function cleanPushRequest(r: Rng): FuzzRequest {
  const method = r.weighted([
    [5, 'PUT'],
    [4, 'POST'],
    [1, 'DELETE'],
  ] as const);
  const families = cleanFamilies(r);
  const protobuf = r.chance(0.4);
  const encoded = encode(r, protobuf ? encodeProtobufDelimited(families) : Buffer.from(cleanText(families), 'utf8'));
  const headers: Record<string, string> = protobuf ? { 'content-type': PB } : r.chance(0.5) ? { 'content-type': 'text/plain; version=0.0.4' } : {};
  if (encoded.encoding !== undefined) {
    headers['content-encoding'] = encoded.encoding;
  }
  const prefix = r.chance(0.15) ? '/api/v2/metrics/' : '/metrics/';
  return {
    target: 'open',
    method,
    path: `${prefix}${cleanGroupingPath(r)}`,
    headers,
    body: method === 'DELETE' ? undefined : encoded.body,
    kind: `push ${method} clean-${protobuf ? 'protobuf' : 'text'}`,
  };
}

// ---- requests ----

function pushRequest(r: Rng): FuzzRequest {
  const method = r.weighted([
    [5, 'PUT'],
    [4, 'POST'],
    [2, 'DELETE'],
    [1, r.pick(['GET', 'PATCH', 'HEAD', 'OPTIONS'])],
  ] as const);
  const prefix = r.chance(0.15) ? '/api/v2/metrics/' : '/metrics/';
  const path = `${prefix}${groupingPath(r)}`;
  const format = r.weighted([
    [6, 'text'],
    [3, 'protobuf'],
    [1, 'openmetrics'],
    [1, 'random'],
  ] as const);
  let body: Buffer;
  let contentType: string | undefined;
  if (format === 'protobuf') {
    body = protobufBody(r);
    contentType = r.chance(0.85) ? PB : r.pick(CONTENT_TYPES);
  } else if (format === 'openmetrics') {
    body = Buffer.from(textBody(r, true));
    contentType = r.chance(0.85) ? 'application/openmetrics-text; version=1.0.0' : r.pick(CONTENT_TYPES);
  } else if (format === 'random') {
    body = Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256)));
    contentType = r.chance(0.5) ? r.pick(CONTENT_TYPES) : undefined;
  } else {
    body = Buffer.from(textBody(r));
    contentType = r.chance(0.6) ? r.pick(CONTENT_TYPES.slice(0, 4)) : r.chance(0.5) ? undefined : r.pick(CONTENT_TYPES);
  }
  if (r.chance(0.5)) {
    body = mutate(r, body);
  }
  if (r.chance(0.01)) {
    body = Buffer.alloc(1_100_000, 0x61);
  }
  const encoded = encode(r, body);
  const headers: Record<string, string> = {};
  if (contentType !== undefined) {
    headers['content-type'] = contentType;
  }
  if (encoded.encoding !== undefined) {
    headers['content-encoding'] = encoded.encoding;
  }
  if (r.chance(0.05)) {
    headers['x-pushgateway-ttl'] = r.pick(['1m', '0', '-1s', 'x', '1y', '1ms', '99999999h']);
  }
  return { target: 'open', method, path, headers, body: method === 'DELETE' && r.chance(0.7) ? undefined : encoded.body, kind: `push ${method} ${format}` };
}

const QUERY_ENDPOINTS = [
  'query',
  'query',
  'query',
  'query_range',
  'query_range',
  'series',
  'labels',
  'label/job/values',
  'label/l/values',
  'label/__name__/values',
  'label/%00/values',
  'label/1a/values',
  'metadata',
  'query_exemplars',
  'rules',
  'status/buildinfo',
];

function queryRequest(r: Rng, now: number): FuzzRequest {
  const endpoint = r.pick(QUERY_ENDPOINTS);
  const params = queryParams(r, endpoint, now);
  const post = r.chance(0.35);
  const path = `/api/v1/${endpoint}`;
  if (!post) {
    return { target: 'open', method: 'GET', path: params.length > 0 ? `${path}?${formEncode(params)}` : path, headers: {}, kind: `query GET ${endpoint}` };
  }
  const headers: Record<string, string> = { 'content-type': r.chance(0.85) ? 'application/x-www-form-urlencoded' : r.pick(CONTENT_TYPES) };
  let body: Buffer = Buffer.from(formEncode(params));
  if (r.chance(0.15)) {
    body = mutate(r, body);
  }
  if (r.chance(0.2)) {
    headers['accept-encoding'] = r.pick(['gzip', 'br', 'gzip;q=0', '*', 'identity']);
  }
  return {
    target: 'open',
    method: 'POST',
    path: r.chance(0.1) ? `${path}?${formEncode(queryParams(r, endpoint, now))}` : path,
    headers,
    body,
    kind: `query POST ${endpoint}`,
  };
}

function otherRequest(r: Rng, now: number): FuzzRequest {
  const headers: Record<string, string> = {};
  const choice = r.weighted<() => FuzzRequest>([
    [
      4,
      () => {
        headers.accept = r.pick([
          'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
          'text/plain; version=0.0.4',
          'application/openmetrics-text; version=1.0.0',
          'application/openmetrics-text; version=0.0.1',
          '*/*',
          'text/html',
          'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text',
          ';q=x, */*;q=0',
          'text/plain;version=1.0.0;escaping=allow-utf-8',
        ]);
        if (r.chance(0.4)) {
          headers['accept-encoding'] = r.pick(['gzip', 'gzip, deflate', 'br', 'gzip;q=0', '*', 'x']);
        }
        return { target: 'open', method: 'GET', path: r.pick(['/metrics', '/metrics?x=1', '/metrics/', '/metrics?name[]=fz_gauge']), headers, kind: 'scrape' };
      },
    ],
    [
      2,
      () => ({
        target: 'open',
        method: 'GET',
        path: r.pick([
          '/api/v1/metrics',
          '/api/v1/status',
          '/',
          '/status',
          '/-/healthy',
          '/-/ready',
          '/static/x.js',
          '/api/v1/x',
          '/api/v2/x',
          '/favicon.ico',
          '/debug/pprof/',
        ]),
        headers,
        kind: 'status',
      }),
    ],
    [
      2,
      () => {
        const params: Array<[string, string]> = [];
        for (let i = 0; i < r.int(3); i++) {
          params.push([
            r.pick(['match[]', 'pushed_before', 'pushed_after', 'limit', 'order', 'cursor', 'after']),
            r.chance(0.5) ? selector(r) : r.pick([timeParam(r, now), '10', '-1', 'x', 'newest', 'key', nastyString(r, 3)]),
          ]);
        }
        const method = r.weighted([
          [4, 'GET'],
          [2, 'DELETE'],
          [1, 'POST'],
        ] as const);
        return { target: 'open', method, path: `/api/v1/groups${params.length > 0 ? `?${formEncode(params)}` : ''}`, headers, kind: `groups ${method}` };
      },
    ],
    [
      1,
      () => ({
        target: 'open',
        method: r.pick(['PUT', 'POST', 'DELETE', 'GET', 'OPTIONS']),
        path: r.pick(['/api/v1/admin/wipe', '/-/quit', '/api/v1/metrics', '/api/v1/status', '/api/v1/groups', '/metrics']),
        headers,
        kind: 'admin',
      }),
    ],
    [
      1,
      () => ({
        target: 'open',
        method: r.pick(['GET', 'PUT', 'TRACE', 'PROPFIND', 'M-SEARCH']),
        path: `/${pathValue(r)}/${pathValue(r)}`,
        headers,
        kind: 'random path',
      }),
    ],
  ]);
  return choice();
}

/** The same kinds of requests against the auth gateway, with a credential (often forged, sometimes valid). */
function authRequest(r: Rng, now: number): FuzzRequest {
  const base = r.weighted<() => FuzzRequest>([
    [3, () => pushRequest(r)],
    [3, () => cleanPushRequest(r)],
    [3, () => queryRequest(r, now)],
    [2, () => otherRequest(r, now)],
    [
      2,
      () => {
        const method = r.pick(['GET', 'POST', 'DELETE']);
        const body =
          method === 'POST'
            ? Buffer.from(
                r.chance(0.7)
                  ? JSON.stringify({
                      tenant: r.chance(0.7) ? r.pick(['t1', '*', 'tenant-a']) : nastyString(r, 3),
                      scope: r.pick(['push', 'read admin', 'x', '']),
                      ttl: r.pick(['1h', 5, -1, 'x', '100000d', null]),
                    })
                  : nastyString(r, 8),
                'utf8',
              )
            : undefined;
        return {
          target: 'auth',
          method,
          path: method === 'DELETE' ? `/api/v1/admin/tokens/${pathValue(r)}` : '/api/v1/admin/tokens',
          headers: body !== undefined ? { 'content-type': r.pick(['application/json', 'text/plain']) } : ({} as Record<string, string>),
          body,
          kind: `tokens ${method}`,
        };
      },
    ],
  ])();
  const auth = authorization(r, now);
  const headers = { ...base.headers };
  if (auth !== undefined) {
    headers.authorization = auth;
  }
  return { ...base, target: 'auth', headers, kind: `auth ${base.kind}` };
}

const RAW = [
  'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nraw 1\n\r\n0\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n6\r\nraw 1\n\r\n0\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nraw 1\n\r\n0\r\n\r\n',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nContent-Length: 7\r\n\r\nraw 1\n',
  'PUT http://x/metrics/job/raw HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nraw 1\n',
  'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /metrics HTTP/1.0\r\n\r\n',
  'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n',
  'GET /metrics/job/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n',
  'PUT /metrics/job/a\u0000b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  'PUT /metrics/job/a b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  '\r\n\r\n\r\n',
  'GARBAGE\r\n\r\n',
  'GET /-/healthy HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
  'GET /-/healthy HTTP/1.1\r\nHost: x\r\n X-Folded: y\r\n\r\n',
  'POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nquery=%ZZ',
  'DELETE /metrics/job/raw HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
  'PUT /metrics/job/raw HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\nraw 1\n',
];

function rawRequest(r: Rng): FuzzRequest {
  let raw: Buffer = Buffer.from(r.pick(RAW), 'latin1');
  if (r.chance(0.3)) {
    raw = mutate(r, raw, 1);
  }
  if (!raw.includes('Connection: close') && r.chance(0.9)) {
    const at = raw.indexOf('\r\n');
    if (at > 0) {
      raw = Buffer.concat([raw.subarray(0, at + 2), Buffer.from('Connection: close\r\n'), raw.subarray(at + 2)]);
    }
  }
  return {
    target: r.chance(0.8) ? 'open' : 'auth',
    method: 'RAW',
    path: raw.subarray(0, Math.max(0, raw.indexOf(' HTTP/'))).toString('latin1'),
    headers: {},
    raw,
    kind: 'raw http',
  };
}

/**
 * `count` requests from `seed`; `now` (Unix seconds) anchors query times and token expiries, so
 * pass a fixed value to reproduce byte for byte (tokens then expire as the clock moves on: the
 * status may change, the requests do not).
 */
export function generateCorpus(seed: number, count: number, now: number): FuzzRequest[] {
  const r = new Rng(seed);
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const make = r.weighted<() => FuzzRequest>([
      [27, () => pushRequest(r)],
      [18, () => cleanPushRequest(r)],
      [25, () => queryRequest(r, now)],
      [12, () => otherRequest(r, now)],
      [15, () => authRequest(r, now)],
      [3, () => rawRequest(r)],
    ]);
    const req = make();
    out.push(req.raw === undefined ? { ...req, path: sendablePath(req.path) } : req);
  }
  return out;
}

/** node:http refuses request targets with bytes outside 0x21-0xff; those are percent-escaped (everything else is sent as is). */
function sendablePath(path: string): string {
  return path.replace(/[^\u0021-\u00ff]/g, (c) => encodeURIComponent(c));
}

/** A request as a reproducible test-table entry (body and raw bytes in base64). */
export function describeRequest(req: FuzzRequest): string {
  return JSON.stringify({
    target: req.target,
    kind: req.kind,
    method: req.method,
    path: req.path,
    headers: req.headers,
    ...(req.body === undefined ? {} : { body: req.body.toString('base64') }),
    ...(req.raw === undefined ? {} : { raw: req.raw.toString('base64') }),
  });
}
