import * as protobuf from 'protobufjs';
import { join } from 'node:path';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { encodeFamilyDelimited, encodeProtobufDelimited, parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { buckets, counter, family, gauge, histogram, summary, untyped } from 'src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

const { COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM, GAUGE_HISTOGRAM } = MetricType;

/** An independent encoder straight from the schema, to build wire input without our own encoder. */
const MetricFamilyPb = protobuf.loadSync(join(__dirname, '..', '..', '..', 'proto', 'metrics.proto')).lookupType('io.prometheus.client.MetricFamily');

function wire(...messages: object[]): Buffer {
  return Buffer.concat(messages.map((m) => Buffer.from(MetricFamilyPb.encodeDelimited(m).finish())));
}

function nativeHistogramFamily(): MetricFamily {
  return family(
    'rpc_latency_seconds',
    HISTOGRAM,
    [
      histogram(
        {
          sampleCount: 1234,
          sampleSum: 567.25,
          bucket: [
            { upperBound: 0.1, cumulativeCount: 10, exemplar: { label: [{ name: 'trace_id', value: 'abc' }], value: 0.05, timestampMs: 1700000000123 } },
            { upperBound: Infinity, cumulativeCount: 1234 },
          ],
          createdTimestampMs: 1699999999000,
          schema: -2,
          zeroThreshold: 1e-128,
          zeroCount: 3,
          negativeSpan: [{ offset: -3, length: 2 }],
          negativeDelta: [5, -4],
          positiveSpan: [
            { offset: 0, length: 2 },
            { offset: 7, length: 1 },
          ],
          positiveDelta: [1, 2, -3],
          exemplars: [{ label: [{ name: 'trace_id', value: 'def' }], value: 0.3, timestampMs: -1500 }],
        },
        { service: '支付' },
      ),
    ],
    'RPC latency 延迟.',
  );
}

function floatHistogramFamily(): MetricFamily {
  return family('float_hist', GAUGE_HISTOGRAM, [
    histogram({
      sampleCount: 0,
      sampleCountFloat: 12.5,
      sampleSum: -3,
      bucket: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 2.5 }],
      schema: 0,
      zeroThreshold: 0.001,
      zeroCountFloat: 1.5,
      positiveSpan: [{ offset: 1, length: 1 }],
      positiveCount: [8.5],
      negativeSpan: [{ offset: 0, length: 1 }],
      negativeCount: [0.5],
    }),
  ]);
}

describe('protobuf round trip parse(encode(x))', () => {
  it.each<[string, () => MetricFamily]>([
    [
      'counter with exemplar and created timestamp',
      () =>
        family(
          'c_total',
          COUNTER,
          [
            {
              label: [{ name: 'a', value: '1' }],
              counter: { value: 42, exemplar: { label: [{ name: 't', value: 'x' }], value: 1, timestampMs: 1700000000001 }, createdTimestampMs: 1700000000000 },
            },
            counter(0.5, { a: '2' }),
          ],
          'Requests.',
        ),
    ],
    ['gauge with timestamps', () => family('g', GAUGE, [gauge(-1.5, { b: '2', a: '1' }, 1700000000000), gauge(NaN, {}, -7)])],
    ['untyped specials', () => family('u', UNTYPED, [untyped(Infinity), untyped(-Infinity, { s: '-' }), untyped(-0, { z: '' })])],
    [
      'summary with created timestamp',
      () =>
        family('s', SUMMARY, [
          {
            ...summary(
              {
                sampleCount: 9007199254740991,
                sampleSum: 1e300,
                quantile: [
                  { quantile: 0.5, value: 1 },
                  { quantile: 0.99, value: NaN },
                ],
                createdTimestampMs: 5,
              },
              { q: 'x' },
            ),
          },
        ]),
    ],
    ['classic histogram', () => family('h', HISTOGRAM, [histogram({ sampleCount: 12, sampleSum: 3.5, bucket: buckets([0.5, 4], [Infinity, 12]) })])],
    ['native histogram with exemplars', nativeHistogramFamily],
    ['float gauge histogram', floatHistogramFamily],
    ['family with unit', () => ({ ...family('d_seconds', GAUGE, [gauge(1)]), unit: 'seconds' })],
    ['family without metrics', () => family('empty', COUNTER, [])],
    ['Chinese everywhere', () => family('temp', GAUGE, [gauge(21.5, { 城市: '北京' })], '温度（摄氏）')],
  ])('%s', (_name, make) => {
    expect(parseProtobufDelimited(encodeFamilyDelimited(make()))).toEqual([make()]);
  });

  it('round-trips a stream of families in order', () => {
    const families = [nativeHistogramFamily(), family('b', GAUGE, [gauge(1)]), floatHistogramFamily()];
    expect(parseProtobufDelimited(encodeProtobufDelimited(families))).toEqual(families);
  });

  it('accepts a plain Uint8Array', () => {
    const bytes = new Uint8Array(encodeFamilyDelimited(family('g', GAUGE, [gauge(1)])));
    expect(parseProtobufDelimited(bytes)).toEqual([family('g', GAUGE, [gauge(1)])]);
  });
});

describe('parseProtobufDelimited', () => {
  it.each<[string, () => Buffer, () => MetricFamily[]]>([
    ['empty body', () => Buffer.alloc(0), () => []],
    ['empty message is an empty nameless counter family', () => Buffer.from([0]), () => [family('', COUNTER, [])]],
    [
      'absent fields get proto2 defaults',
      () => wire({ name: 'x', metric: [{ label: [{}], counter: {} }, { summary: {} }, { histogram: {} }] }),
      () => [
        family('x', COUNTER, [
          { label: [{ name: '', value: '' }], counter: { value: 0 } },
          { label: [], summary: { sampleCount: 0, sampleSum: 0, quantile: [] } },
          { label: [], histogram: { sampleCount: 0, sampleSum: 0, bucket: [] } },
        ]),
      ],
    ],
    [
      'later family with the same name replaces the earlier one in place',
      () =>
        wire(
          { name: 'dupf', type: 3, metric: [{ label: [{ name: 'a', value: '1' }], untyped: { value: 1 } }] },
          { name: 'other', type: 1, metric: [{ gauge: { value: 5 } }] },
          { name: 'dupf', type: 3, metric: [{ label: [{ name: 'a', value: '2' }], untyped: { value: 2 } }] },
        ),
      () => [family('dupf', UNTYPED, [untyped(2, { a: '2' })]), family('other', GAUGE, [gauge(5)])],
    ],
    [
      'sub-millisecond timestamp nanos are truncated',
      () => wire({ name: 'c', metric: [{ counter: { value: 1, createdTimestamp: { seconds: 1700000000, nanos: 123999999 } } }] }),
      () => [family('c', COUNTER, [{ label: [], counter: { value: 1, createdTimestampMs: 1700000000123 } }])],
    ],
    [
      'int64 timestamp and uint64 counts become numbers',
      () => wire({ name: 's', type: 2, metric: [{ timestampMs: 1700000000000, summary: { sampleCount: 4294967297 } }] }),
      () => [family('s', SUMMARY, [{ ...summary({ sampleCount: 4294967297 }), timestampMs: 1700000000000 }])],
    ],
    [
      'metric names are not validated (upstream accepts them too)',
      () => wire({ name: 'bad-name', type: 1, metric: [{ gauge: { value: 1 } }] }),
      () => [family('bad-name', GAUGE, [gauge(1)])],
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseProtobufDelimited(input())).toEqual(expected());
  });

  it.each<[string, () => Buffer, string]>([
    ['truncated length prefix', () => Buffer.from([0x85]), 'unexpected EOF'],
    ['length beyond the body', () => Buffer.from([0x05, 0x0a]), 'unexpected EOF'],
    ['string beyond its message', () => Buffer.from([0x02, 0x0a, 0x05]), 'unexpected EOF'],
    ['nested message beyond its parent', () => Buffer.from([0x04, 0x22, 0x02, 0x0a, 0x05]), 'unexpected EOF'],
    ['truncated varint field', () => Buffer.from([0x03, 0x10, 0x80, 0x80]), 'unexpected EOF'],
    ['over-long length prefix', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'protobuf parsing error: invalid varint32 encountered'],
    ['text body sent as protobuf', () => Buffer.from('some_metric 1\n'), 'unexpected EOF'],
    ['valid message followed by garbage', () => Buffer.concat([wire({ name: 'ok' }), Buffer.from([0x09, 0x01])]), 'unexpected EOF'],
  ])('rejects %s', (_name, input, message) => {
    let caught: unknown;
    try {
      parseProtobufDelimited(input());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ExpositionParseError);
    expect((caught as ExpositionParseError).message).toBe(message);
    expect((caught as ExpositionParseError).line).toBeUndefined();
  });

  it('never throws anything but ExpositionParseError on random bytes', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const valid = encodeProtobufDelimited([nativeHistogramFamily(), floatHistogramFamily()]);
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(valid);
      for (let k = 0; k <= next() % 4; k++) {
        bytes[next() % bytes.length] = next() & 0xff;
      }
      const input = bytes.subarray(0, bytes.length - (next() % 3));
      try {
        parseProtobufDelimited(input);
      } catch (e) {
        expect(e).toBeInstanceOf(ExpositionParseError);
      }
    }
  });
});

describe('encodeFamilyDelimited', () => {
  it('writes one length-prefixed message', () => {
    const bytes = encodeFamilyDelimited(family('g', GAUGE, [gauge(1)]));
    expect(bytes[0]).toBe(bytes.length - 1);
    expect(MetricFamilyPb.toObject(MetricFamilyPb.decodeDelimited(bytes))).toEqual({
      name: 'g',
      type: GAUGE,
      metric: [{ gauge: { value: 1 } }],
    });
  });

  it('omits an empty help, as the model cannot tell it from an absent one', () => {
    const decoded = MetricFamilyPb.decodeDelimited(encodeFamilyDelimited(family('g', GAUGE, [])));
    expect(Object.prototype.hasOwnProperty.call(decoded, 'help')).toBe(false);
  });

  it('concatenates families for a stream', () => {
    const a = family('a', GAUGE, [gauge(1)]);
    const b = family('b', COUNTER, [counter(2)]);
    expect(encodeProtobufDelimited([a, b])).toEqual(Buffer.concat([encodeFamilyDelimited(a), encodeFamilyDelimited(b)]));
    expect(encodeProtobufDelimited([])).toEqual(Buffer.alloc(0));
  });
});
