import request from 'supertest';
import * as http from 'node:http';
import { gzipSync, gunzipSync } from 'node:zlib';
import { compress } from 'snappyjs';
import { snappyMaskedCrc } from '../../src/http/crc32c';
import { useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';
import { encodeProtobufDelimited, parseProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { parseText } from '../../src/core/exposition/text-parser';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';

/** A GET that leaves the body as sent (supertest and fetch decompress gzip on their own). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const PROTO_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

function binaryParser(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

function snappyFramed(data: Buffer): Buffer {
  const block = Buffer.from(compress(data));
  const header = Buffer.from([0x00, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUIntLE(block.length + 4, 1, 3);
  header.writeUInt32LE(snappyMaskedCrc(data), 4);
  return Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]), header, block]);
}

const nativeHistogram: MetricFamily = {
  name: 'native_latency_seconds',
  help: 'A native histogram pushed as protobuf.',
  type: MetricType.HISTOGRAM,
  metric: [
    {
      label: [{ name: 'route', value: '/a' }],
      histogram: {
        sampleCount: 6,
        sampleSum: 1.5,
        bucket: [],
        schema: 3,
        zeroThreshold: 1e-128,
        zeroCount: 1,
        positiveSpan: [{ offset: -2, length: 3 }],
        positiveDelta: [2, 1, -2],
      },
    },
  ],
};

describe('body formats, encodings and operational endpoints', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true', PUSH_BODY_LIMIT_BYTES: '65536' });
  beforeEach(async () => {
    await request(gw.url).put('/api/v1/admin/wipe').expect(202);
  });

  const scrape = async (): Promise<string[]> => pushedLines((await request(gw.url).get('/metrics').expect(200)).text);

  it('accepts protobuf-delimited pushes and returns native histograms intact in a protobuf scrape', async () => {
    await request(gw.url)
      .put('/metrics/job/proto')
      .set('Content-Type', PROTO_TYPE)
      .send(encodeProtobufDelimited([nativeHistogram]))
      .expect(200);
    const res = await request(gw.url).get('/metrics').set('Accept', PROTO_TYPE).buffer(true).parse(binaryParser).expect(200);
    expect(res.headers['content-type']).toBe(`${PROTO_TYPE}; escaping=underscores`); // upstream 1.11.3's suffix (issue 12 point 2)
    const families = parseProtobufDelimited(res.body as Buffer);
    const native = families.find((f) => f.name === 'native_latency_seconds');
    expect(native?.metric[0].histogram).toMatchObject({ schema: 3, zeroCount: 1, positiveSpan: [{ offset: -2, length: 3 }], positiveDelta: [2, 1, -2] });
    expect(native?.metric[0].label).toEqual([
      { name: 'instance', value: '' },
      { name: 'job', value: 'proto' },
      { name: 'route', value: '/a' },
    ]);
    expect(families.filter((f) => f.name === 'push_time_seconds')).toHaveLength(1);
    expect(families.map((f) => f.name)).toEqual([...families.map((f) => f.name)].sort());
  });

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b), 'gzip'],
    ['GZIP in upper case', (b: Buffer) => gzipSync(b), 'GZIP'],
    ['framed snappy', snappyFramed, 'snappy'],
    ['raw snappy block', (b: Buffer) => Buffer.from(compress(b)), 'snappy'],
  ])('decodes %s request bodies', async (_name, encode, encoding) => {
    await request(gw.url)
      .put('/metrics/job/enc')
      .set('Content-Encoding', encoding)
      .send(encode(Buffer.from('enc_metric 7\n')))
      .expect(200);
    expect(await scrape()).toContain('enc_metric{instance="",job="enc"} 7');
  });

  it('answers 400 for a corrupt gzip body and 413 for a body over the limit, storing nothing', async () => {
    await request(gw.url).put('/metrics/job/bad').set('Content-Encoding', 'gzip').send(Buffer.from('not gzip')).expect(400);
    const big = `${'x'.repeat(70000)} 1\n`;
    const res = await request(gw.url).put('/metrics/job/big').send(big).expect(413);
    expect(res.text).toMatch(/too large/);
    const bomb = gzipSync(Buffer.from(`${'y'.repeat(200000)} 1\n`));
    expect(bomb.length).toBeLessThan(65536);
    await request(gw.url).put('/metrics/job/big').set('Content-Encoding', 'gzip').send(bomb).expect(413);
    expect((await scrape()).filter((l) => l.includes('job="b'))).toEqual([]);
  });

  it('serves gzip scrapes when asked and plain text otherwise', async () => {
    await request(gw.url).put('/metrics/job/gz').send('gz_metric 1\n').expect(200);
    const raw = await rawGet(`${gw.url}/metrics`, { 'Accept-Encoding': 'gzip' });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
    expect([...raw.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const text = gunzipSync(raw.body).toString('utf8');
    expect(text).toContain('gz_metric{instance="",job="gz"} 1');
    expect(() => parseText(text)).not.toThrow();
    const plain = await rawGet(`${gw.url}/metrics`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('gz_metric{instance="",job="gz"} 1');
  });

  it('includes the gateway own metrics, one HELP/TYPE per family, sorted by name', async () => {
    await request(gw.url).put('/metrics/job/own').send('own_check 1\n').expect(200);
    const text = (await request(gw.url).get('/metrics').expect(200)).text;
    const families = parseText(text);
    const names = families.map((f) => f.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const own of [
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
      'pushgateway_http_requests_total',
      'pushgateway_http_push_duration_seconds',
      'pushgateway_build_info',
    ]) {
      expect(names).toContain(own);
    }
  });

  it('picks the same HELP for a family whatever the push order when groups disagree', async () => {
    await request(gw.url).put('/metrics/job/h2').send('# HELP helped second\nhelped 2\n').expect(200);
    await request(gw.url).put('/metrics/job/h1').send('# HELP helped first\nhelped 1\n').expect(200);
    expect(await scrape()).toContain('# HELP helped first');
  });

  it('serves /api/v1/metrics in upstream shape', async () => {
    await request(gw.url)
      .put('/metrics/job/api/instance/i1')
      .send('# TYPE s summary\ns{quantile="0.5"} 2\ns_sum 10\ns_count 4\n# HELP g a gauge\n# TYPE g gauge\ng 1.5\n')
      .expect(200);
    const res = await request(gw.url).get('/api/v1/metrics').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    interface JsonFamily {
      type: string;
      help: string;
      time_stamp: string;
      metrics: Record<string, unknown>[];
    }
    const [group] = res.body.data as (Record<string, JsonFamily> & { labels: Record<string, string>; last_push_successful: boolean })[];
    expect(group.labels).toEqual({ instance: 'i1', job: 'api' });
    expect(group.last_push_successful).toBe(true);
    expect(group.g).toMatchObject({ type: 'GAUGE', help: 'a gauge', metrics: [{ labels: { instance: 'i1', job: 'api' }, value: '1.5' }] });
    expect(group.s.metrics[0]).toEqual({ labels: { instance: 'i1', job: 'api' }, quantiles: { '0.5': '2' }, count: '4', sum: '10' });
    expect(group.push_time_seconds.type).toBe('GAUGE');
    expect(typeof group.g.time_stamp).toBe('string');
  });

  it('serves status, health and readiness; lifecycle is off by default', async () => {
    const status = await request(gw.url).get('/api/v1/status').expect(200);
    expect(status.body.data.flags['web.enable-admin-api']).toBe('true');
    expect(status.body.data.build_information.version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await request(gw.url).get('/-/healthy').expect(200)).text).toBe('OK');
    expect((await request(gw.url).get('/-/ready').expect(200)).text).toBe('OK');
    expect((await request(gw.url).put('/-/quit').expect(403)).text).toBe('Lifecycle API is not enabled.\n');
  });

  it('lists groups on the status page', async () => {
    await request(gw.url).put('/metrics/job/page').send('page_metric 1\n').expect(200);
    const res = await request(gw.url).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    // docs/status-page.md; test/integration/status-page.spec.ts reads it in a browser.
    expect(res.text).toContain('<b>job</b>=&quot;page&quot;');
    expect(res.text).toContain('Delete group');
  });
});

describe('settings that change the API surface', () => {
  const gw = useGateway({ ROUTE_PREFIX: '/pgw/' });

  it('moves every route under ROUTE_PREFIX, /api/v2 included', async () => {
    await request(gw.url).put('/pgw/metrics/job/pre').send('pre_metric 1\n').expect(200);
    await request(gw.url).put('/pgw/api/v2/metrics/job/pre2').send('pre_metric 2\n').expect(200);
    await request(gw.url).put('/metrics/job/pre').send('pre_metric 1\n').expect(404);
    const lines = pushedLines((await request(gw.url).get('/pgw/metrics').expect(200)).text);
    expect(lines).toEqual(expect.arrayContaining(['pre_metric{instance="",job="pre"} 1', 'pre_metric{instance="",job="pre2"} 2']));
    await request(gw.url).get('/pgw/-/healthy').expect(200);
  });

  it('refuses the admin wipe with 404 unless ADMIN_API_ENABLED', async () => {
    await request(gw.url).put('/pgw/api/v1/admin/wipe').expect(404);
  });
});
