import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { buckets, counter, family, histogram } from '../../src/core/exposition/testdata/factories';
import { Exemplar, MetricType } from '../../src/core/model/metric-family';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase, useGateway } from '../support/gateway';
import { hsToken, makeAuthKeys } from './auth-support';

/**
 * `/api/v1/query_exemplars` (issue 12 point 3) over real HTTP and PostgreSQL: exemplars pushed in
 * protobuf and OpenMetrics bodies read back in Prometheus' JSON shape (prometheus/prometheus
 * web/api/v1/api.go `queryExemplars`, json_codec.go `marshalExemplarJSON`, tsdb/exemplar.go
 * `Select`), with its parameters, errors and 204 for a query without selectors.
 */
const PB = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

function ex(value: number, labels: Record<string, string>, timestampMs?: number): Exemplar {
  return { label: Object.entries(labels).map(([name, value]) => ({ name, value })), value, ...(timestampMs === undefined ? {} : { timestampMs }) };
}

/** A counter with an exemplar, a classic histogram with two bucket exemplars (one without a timestamp) and a native one. */
function protobufBody(): Buffer {
  const requests = family('pb_requests_total', MetricType.COUNTER, [counter(7, { code: '200' }), counter(1, { code: '500' })], 'Requests.');
  requests.metric[0].counter!.exemplar = ex(1, { trace_id: 'pb-c' }, 1_600_000_000_123);
  const latency = family(
    'pb_latency_seconds',
    MetricType.HISTOGRAM,
    [histogram({ sampleCount: 3, sampleSum: 1.5, bucket: buckets([0.1, 1], [1, 2]) })],
    'Latency.',
  );
  latency.metric[0].histogram!.bucket[0].exemplar = ex(0.05, { trace_id: 'pb-b1' }, 1_600_000_001_000);
  latency.metric[0].histogram!.bucket[1].exemplar = ex(0.7, { trace_id: 'pb-b2' });
  const native = family(
    'pb_native_seconds',
    MetricType.HISTOGRAM,
    [
      histogram({
        sampleCount: 2,
        sampleSum: 3,
        schema: 0,
        zeroThreshold: 1e-128,
        positiveSpan: [{ offset: 0, length: 1 }],
        positiveDelta: [2],
        exemplars: [ex(2, { trace_id: 'pb-n2' }, 1_600_000_003_000), ex(1.5, { trace_id: 'pb-n1' }, 1_600_000_002_000)],
      }),
    ],
    'Native.',
  );
  return encodeProtobufDelimited([requests, latency, native]);
}

const OM_BODY = [
  '# TYPE om_jobs counter',
  'om_jobs_total{kind="a"} 3 # {trace_id="om-c"} 1 1600000010.5',
  '# TYPE om_size_bytes histogram',
  'om_size_bytes_bucket{le="100"} 1 # {trace_id="om-b"} 42 1600000011',
  'om_size_bytes_bucket{le="+Inf"} 2',
  'om_size_bytes_count 2',
  'om_size_bytes_sum 142',
  '# EOF',
  '',
].join('\n');

interface ExemplarJson {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

describe('/api/v1/query_exemplars', () => {
  const gw = useGateway({ PUSH_ENABLE_UTF8_NAMES: 'true' });
  let pushedAt = 0;

  const get = async (params: Record<string, string>): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${gw.url}/api/v1/query_exemplars?${new URLSearchParams(params)}`);
    return { status: res.status, body: await res.text() };
  };
  const data = async (params: Record<string, string>): Promise<ExemplarJson[]> => {
    const res = await get(params);
    expect(res.status).toBe(200);
    const parsed = JSON.parse(res.body) as { status: string; data: ExemplarJson[] };
    expect(parsed.status).toBe('success');
    return parsed.data;
  };

  beforeAll(async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const pb = await fetch(`${gw.url}/metrics/job/pb/instance/i1`, { method: 'PUT', body: protobufBody(), headers: { 'Content-Type': PB } });
    expect(`${pb.status} ${await pb.text()}`).toBe('200 ');
    const om = await fetch(`${gw.url}/metrics/job/om`, { method: 'PUT', body: OM_BODY, headers: { 'Content-Type': OM } });
    expect(`${om.status} ${await om.text()}`).toBe('200 ');
    const events = family('my.events', MetricType.COUNTER, [counter(1, { 'my.label': 'v' })], 'UTF-8 names.');
    events.metric[0].counter!.exemplar = ex(3, { 'trace.id': 'u' }, 1_600_000_020_000);
    const utf8 = await fetch(`${gw.url}/metrics/job/u`, { method: 'PUT', body: encodeProtobufDelimited([events]), headers: { 'Content-Type': PB } });
    expect(utf8.status).toBe(200);
    pushedAt = before;
  });

  it("answers a counter exemplar from a protobuf push in Prometheus' exact JSON shape", async () => {
    const res = await get({ query: 'pb_requests_total' });
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      '{"status":"success","data":[{"seriesLabels":{"__name__":"pb_requests_total","code":"200","instance":"i1","job":"pb"},' +
        '"exemplars":[{"labels":{"trace_id":"pb-c"},"value":"1","timestamp":1600000000.123}]}]}',
    );
  });

  it('bucket exemplars belong to _bucket{le}, an exemplar without a timestamp gets the push time, native ones the bare name', async () => {
    const buckets = await data({ query: 'pb_latency_seconds_bucket' });
    expect(buckets.map((s) => [s.seriesLabels.le, s.exemplars.map((e) => e.labels.trace_id)])).toEqual([
      ['0.1', ['pb-b1']],
      ['1', ['pb-b2']],
    ]);
    const untimed = buckets[1].exemplars[0];
    expect(untimed.value).toBe('0.7');
    expect(untimed.timestamp * 1000).toBeGreaterThanOrEqual(pushedAt);
    expect(untimed.timestamp * 1000).toBeLessThanOrEqual(Date.now());
    expect(await data({ query: 'pb_native_seconds' })).toEqual([
      {
        seriesLabels: { __name__: 'pb_native_seconds', instance: 'i1', job: 'pb' },
        exemplars: [
          { labels: { trace_id: 'pb-n1' }, value: '1.5', timestamp: 1600000002 },
          { labels: { trace_id: 'pb-n2' }, value: '2', timestamp: 1600000003 },
        ],
      },
    ]);
  });

  it('reads exemplars of an OpenMetrics push (float-second timestamps) and drops the empty instance', async () => {
    expect(await data({ query: '{job="om"}' })).toEqual([
      { seriesLabels: { __name__: 'om_jobs_total', job: 'om', kind: 'a' }, exemplars: [{ labels: { trace_id: 'om-c' }, value: '1', timestamp: 1600000010.5 }] },
      {
        seriesLabels: { __name__: 'om_size_bytes_bucket', job: 'om', le: '100' },
        exemplars: [{ labels: { trace_id: 'om-b' }, value: '42', timestamp: 1600000011 }],
      },
    ]);
  });

  it('takes every selector of an expression, filters exemplars by time (inclusive), and answers form POSTs', async () => {
    const query = 'sum(rate(pb_requests_total[5m])) / sum(rate(om_jobs_total[5m]))';
    expect((await data({ query })).map((s) => s.seriesLabels.__name__)).toEqual(['om_jobs_total', 'pb_requests_total']);
    expect((await data({ query, start: '1600000000.123', end: '1600000010.499' })).map((s) => s.seriesLabels.__name__)).toEqual(['pb_requests_total']);
    expect((await data({ query, start: '2020-09-13T12:26:50.5Z', end: '1600000011' })).map((s) => s.seriesLabels.__name__)).toEqual(['om_jobs_total']);
    expect(await data({ query, end: '1600000000' })).toEqual([]);
    const res = await fetch(`${gw.url}/api/v1/query_exemplars`, {
      method: 'POST',
      body: new URLSearchParams({ query: '{__name__=~"pb_.+", code="200"}', start: '1600000000', end: '1600000001' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: ExemplarJson[] }).data.map((s) => s.seriesLabels.__name__)).toEqual(['pb_requests_total']);
  });

  it('UTF-8 metric and label names pushed under PUSH_ENABLE_UTF8_NAMES are selected by quoted names and answered as they are', async () => {
    const expected = [
      { seriesLabels: { __name__: 'my.events', job: 'u', 'my.label': 'v' }, exemplars: [{ labels: { 'trace.id': 'u' }, value: '3', timestamp: 1600000020 }] },
    ];
    expect(await data({ query: '{"my.events"}' })).toEqual(expected);
    expect(await data({ query: '{"my.label"="v"}' })).toEqual(expected);
    expect(await data({ query: 'nothing_here' })).toEqual([]);
  });

  it("answers 204 without a body for a query without selectors, as Prometheus' API does", async () => {
    expect(await get({ query: '1 + 1' })).toEqual({ status: 204, body: '' });
  });

  it.each([
    [
      'an unparsable start',
      { query: 'x', start: 'yesterday' },
      `invalid parameter "start": Invalid time value for 'start': cannot parse "yesterday" to a valid timestamp`,
    ],
    ['an unparsable end', { query: 'x', end: '1e400' }, `invalid parameter "end": Invalid time value for 'end': cannot parse "1e400" to a valid timestamp`],
    ['end before start', { query: 'x', start: '10', end: '9' }, 'end timestamp must not be before start timestamp'],
    ['a query that does not parse (not wrapped, as Prometheus)', { query: 'sum(' }, '1:5: parse error: unclosed left parenthesis'],
    ['an empty query', { query: '' }, '1:1: parse error: no expression found in input'],
  ])('400 bad_data for %s', async (_, params, message) => {
    const res = await get(params);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'bad_data', error: message });
  });
});

describe('/api/v1/query_exemplars with tenants', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;
  let secret = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    const keys = await makeAuthKeys(mkdtempSync(path.join(os.tmpdir(), 'pgw-exemplars-auth-')));
    secret = keys.secret;
    gw = await startInProcess(db, keys.env);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it("a tenant's read token sees only the exemplars of its own groups", async () => {
    const auth = async (tenant: string | undefined): Promise<Record<string, string>> => ({
      Authorization: `Bearer ${await hsToken(secret, { tenant, scope: 'push read' })}`,
    });
    const body = (trace: string): string => `# TYPE t_jobs counter\nt_jobs_total 1 # {trace_id="${trace}"} 1 1600000000\n# EOF\n`;
    for (const tenant of ['alpha', 'beta']) {
      const res = await fetch(`${gw.url}/metrics/job/shared`, { method: 'PUT', body: body(tenant), headers: { ...(await auth(tenant)), 'Content-Type': OM } });
      expect(res.status).toBe(200);
    }
    const read = async (tenant: string | undefined): Promise<string[]> => {
      const res = await fetch(`${gw.url}/api/v1/query_exemplars?query=t_jobs_total`, { headers: await auth(tenant) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: ExemplarJson[] }).data.map((s) => `${s.seriesLabels.tenant_userid}:${s.exemplars[0].labels.trace_id}`);
    };
    expect(await read('alpha')).toEqual(['alpha:alpha']);
    expect(await read('beta')).toEqual(['beta:beta']);
    expect(await read(undefined)).toEqual(['alpha:alpha', 'beta:beta']);
    expect((await fetch(`${gw.url}/api/v1/query_exemplars?query=t_jobs_total`)).status).toBe(401);
  });
});
