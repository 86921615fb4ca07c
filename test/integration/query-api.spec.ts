import request from 'supertest';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { hsToken, makeAuthKeys } from './auth-support';
import { HistoryMaintenance } from '../../src/storage/history-maintenance.service';
import { DATABASE } from '../../src/storage/storage.tokens';
import { Database } from '../../src/storage/database';

type Json = Record<string, unknown>;
interface VectorItem {
  metric: Record<string, string>;
  value: [number, string];
}
interface MatrixItem {
  metric: Record<string, string>;
  values: [number, string][];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Instant query over GET; returns the parsed body after checking the status. */
async function query(url: string, q: string, extra: Record<string, string> = {}, status = 200): Promise<Json> {
  const res = await request(url)
    .get('/api/v1/query')
    .query({ query: q, ...extra });
  expect({ status: res.status, body: res.body as Json }).toMatchObject({ status });
  return res.body as Json;
}

async function vector(url: string, q: string, extra: Record<string, string> = {}): Promise<VectorItem[]> {
  const body = await query(url, q, extra);
  expect(body).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
  return (body.data as { result: VectorItem[] }).result;
}

/** `{labels} value` lines of an instant vector, for compact assertions. */
async function lines(url: string, q: string, extra: Record<string, string> = {}): Promise<string[]> {
  return (await vector(url, q, extra)).map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`);
}

/** Raw sample times (seconds) of a series, from a range selector. */
async function sampleTimes(url: string, selector: string): Promise<number[]> {
  const body = await query(url, `${selector}[1h]`);
  const result = (body.data as { result: MatrixItem[] }).result;
  expect(result).toHaveLength(1);
  return result[0].values.map((v) => v[0]);
}

describe('query API over HTTP on a real database', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startInProcess(db, { ADMIN_API_ENABLED: 'true' });
    await request(gw.url)
      .put('/metrics/job/api/instance/a')
      .send(
        [
          '# TYPE http_requests_total counter',
          'http_requests_total{code="200",path="/x"} 10',
          'http_requests_total{code="500",path="/x"} 2',
          '# TYPE temperature gauge',
          'temperature{room="kitchen"} 21.5',
          '# TYPE odd untyped',
          'odd{kind="nan"} NaN',
          'odd{kind="inf"} +Inf',
          'odd{kind="ninf"} -Inf',
          'odd{kind="tiny"} 1e-7',
          'odd{kind="newline",v="a\\nb"} 1',
          'odd{kind="dotted",v="a.b"} 1',
          '# TYPE rpc_seconds histogram',
          'rpc_seconds_bucket{le="0.1"} 3',
          'rpc_seconds_bucket{le="1"} 7',
          'rpc_seconds_sum 4.2',
          'rpc_seconds_count 9',
          '# HELP lat_seconds Latency.',
          '# TYPE lat_seconds summary',
          'lat_seconds{quantile="0.5"} 0.2',
          'lat_seconds{quantile="0.99"} 0.9',
          'lat_seconds_sum 12',
          'lat_seconds_count 40',
          '',
        ].join('\n'),
      )
      .expect(200);
    await request(gw.url).put('/metrics/job/batch').send('# TYPE http_requests_total counter\nhttp_requests_total{code="200",path="/y"} 1\n').expect(200);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  describe('Save & test and envelopes', () => {
    it("answers Grafana's health check (POST query=1+1&time=4) with exactly the scalar, resultType first", async () => {
      const res = await request(gw.url).post('/api/v1/query').type('form').send('query=1%2B1&time=4').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.text).toBe('{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}');
      const get = await request(gw.url).get('/api/v1/query?query=1%2B1&time=4').expect(200);
      expect(get.text).toBe(res.text);
    });

    it.each([
      ['parse error', { query: 'sum(' }, 400, 'bad_data', 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis'],
      ['empty query', { query: '' }, 400, 'bad_data', /^invalid parameter "query": .*parse error/],
      [
        'bad time',
        { query: '1', time: 'abc' },
        400,
        'bad_data',
        `invalid parameter "time": Invalid time value for 'time': cannot parse "abc" to a valid timestamp`,
      ],
      ['bad timeout', { query: '1', timeout: 'abc' }, 400, 'bad_data', 'invalid parameter "timeout": cannot parse "abc" to a valid duration'],
      ['unsupported function', { query: 'holt_winters(temperature[5m], 0.5, 0.5)' }, 400, 'bad_data', /holt_winters/],
      ['label_replace with a bad regex', { query: 'label_replace(vector(1), "a", "", "b", "(")' }, 422, 'execution', /label_replace/],
      [
        'many-to-many matching',
        { query: 'http_requests_total + on(path) http_requests_total' },
        422,
        'execution',
        /many-to-many|duplicate series|same labelset/,
      ],
    ])('%s → %i %s', async (_name, params, status, errorType, message) => {
      const res = await request(gw.url).get('/api/v1/query').query(params).expect(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ status: 'error', errorType, error: expect.anything() });
      expect(res.body.error).toMatch(typeof message === 'string' ? new RegExp(`^${escapeRegExp(message)}$`) : message);
    });

    it.each([
      ['missing start', { query: 'up' }, 'invalid parameter "start": cannot parse "" to a valid timestamp'],
      ['missing step', { query: 'up', start: '1', end: '2' }, 'invalid parameter "step": cannot parse "" to a valid duration'],
      [
        'zero step',
        { query: 'up', start: '1', end: '2', step: '0' },
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
      ],
      ['end before start', { query: 'up', start: '3', end: '2', step: '1' }, 'invalid parameter "end": end timestamp must not be before start time'],
      [
        'too many points',
        { query: 'up', start: '1', end: '200000', step: '1' },
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      ],
      [
        'range vector',
        { query: 'up[5m]', start: '1', end: '2', step: '1' },
        'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
      ],
    ])("query_range %s → 400 bad_data with Prometheus' message", async (_name, params, message) => {
      const res = await request(gw.url).post('/api/v1/query_range').type('form').send(params).expect(400);
      expect(res.body).toEqual({ status: 'error', errorType: 'bad_data', error: message });
    });

    it('a query exceeding its timeout is a 503 timeout', async () => {
      const res = await request(gw.url)
        .get('/api/v1/query_range')
        .query({ query: 'sum(rate(http_requests_total[5m])) * count(temperature)', start: '0', end: '10999', step: '1', timeout: '1ms' })
        .expect(503);
      expect(res.body).toEqual({ status: 'error', errorType: 'timeout', error: expect.stringMatching(/timed out/) });
    });
  });

  describe('parameters', () => {
    it.each([
      ['float seconds', '4', 4],
      ['fractional seconds', '1435781451.781', 1435781451.781],
      ['RFC 3339', '2015-07-01T20:10:51.781Z', 1435781451.781],
      ['RFC 3339 with offset', '2015-07-01T22:10:51+02:00', 1435781451],
      ['1970', '0', 0],
    ])('time as %s', async (_name, time, expected) => {
      expect((await query(gw.url, 'time()', { time })).data).toEqual({ resultType: 'scalar', result: [expected, String(expected)] });
    });

    it.each([
      ['float seconds', '15', 15],
      ['fractional seconds', '0.5', 0.5],
      ['a duration', '15s', 15],
      ["Grafana's $__rate_interval form", '1m0s', 60],
      ['a compound duration', '1h0m15s', 3615],
    ])('step as %s', async (_name, step, seconds) => {
      const body = await request(gw.url)
        .get('/api/v1/query_range')
        .query({ query: 'time()', start: '100', end: String(100 + 2 * seconds), step })
        .expect(200);
      expect(body.body.data).toEqual({
        resultType: 'matrix',
        result: [{ metric: {}, values: [0, 1, 2].map((i) => [100 + i * seconds, String(100 + i * seconds)]) }],
      });
    });

    it('merges URL and form body parameters (body first), decodes + as space and percent-encoded keys', async () => {
      const res = await request(gw.url).post('/api/v1/query?time=4&query=ignored').type('form').send('query=sum+by+(job)+(vector(1))').expect(200);
      expect(res.body).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [4, '1'] }] } });
      const series = await request(gw.url)
        .post('/api/v1/series?match%5B%5D=temperature')
        .type('form')
        .send('match%5B%5D=odd%7Bkind%3D%22nan%22%7D&match[]=lat_seconds_sum')
        .expect(200);
      expect(series.body.data.map((s: Json) => s.__name__)).toEqual(['lat_seconds_sum', 'odd', 'temperature']);
    });

    it("gzips large answers when the client accepts it (Grafana's Go client always does)", async () => {
      const params = { query: 'time()', start: '0', end: '10999', step: '1' };
      const zipped = await request(gw.url).get('/api/v1/query_range').query(params).set('Accept-Encoding', 'gzip').expect(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.body.data.result[0].values).toHaveLength(11000);
      const plain = await request(gw.url).get('/api/v1/query_range').query(params).set('Accept-Encoding', 'gzip;q=0, identity').expect(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body).toEqual(zipped.body);
      const small = await request(gw.url).get('/api/v1/query?query=1').set('Accept-Encoding', 'gzip').expect(200);
      expect(small.headers['content-encoding']).toBeUndefined();
    });

    it("ignores a body that is not form-encoded, as Go's ParseForm does", async () => {
      const res = await request(gw.url).post('/api/v1/query?query=2&time=4').set('Content-Type', 'text/plain').send('query=1').expect(200);
      expect(res.body.data).toEqual({ resultType: 'scalar', result: [4, '2'] });
    });
  });

  describe('semantics: present until replaced, no 5m cut-off, pushed samples in ranges', () => {
    it('returns the current value of every series, labels sorted, empty instance dropped, values as strings', async () => {
      expect(await lines(gw.url, 'http_requests_total')).toEqual([
        '{"__name__":"http_requests_total","code":"200","instance":"a","job":"api","path":"/x"} 10',
        '{"__name__":"http_requests_total","code":"200","job":"batch","path":"/y"} 1',
        '{"__name__":"http_requests_total","code":"500","instance":"a","job":"api","path":"/x"} 2',
      ]);
      expect(await lines(gw.url, 'odd{kind=~"nan|inf|ninf|tiny"}')).toEqual([
        '{"__name__":"odd","instance":"a","job":"api","kind":"inf"} +Inf',
        '{"__name__":"odd","instance":"a","job":"api","kind":"nan"} NaN',
        '{"__name__":"odd","instance":"a","job":"api","kind":"ninf"} -Inf',
        '{"__name__":"odd","instance":"a","job":"api","kind":"tiny"} 1e-07',
      ]);
    });

    it('flattens histograms and summaries into the series a scrape shows', async () => {
      expect(await lines(gw.url, '{__name__=~"rpc_seconds.*|lat_seconds.*"}')).toEqual([
        '{"__name__":"lat_seconds","instance":"a","job":"api","quantile":"0.5"} 0.2',
        '{"__name__":"lat_seconds","instance":"a","job":"api","quantile":"0.99"} 0.9',
        '{"__name__":"lat_seconds_count","instance":"a","job":"api"} 40',
        '{"__name__":"lat_seconds_sum","instance":"a","job":"api"} 12',
        '{"__name__":"rpc_seconds_bucket","instance":"a","job":"api","le":"+Inf"} 9',
        '{"__name__":"rpc_seconds_bucket","instance":"a","job":"api","le":"0.1"} 3',
        '{"__name__":"rpc_seconds_bucket","instance":"a","job":"api","le":"1"} 7',
        '{"__name__":"rpc_seconds_count","instance":"a","job":"api"} 9',
        '{"__name__":"rpc_seconds_sum","instance":"a","job":"api"} 4.2',
      ]);
      expect(await lines(gw.url, 'histogram_quantile(0.5, rpc_seconds_bucket)')).toEqual(['{"instance":"a","job":"api"} 0.4375']);
    });

    it('keeps a series present with no staleness cut-off (an hour and a year later)', async () => {
      const future = String(Date.now() / 1000 + 3600);
      expect(await lines(gw.url, 'temperature', { time: future })).toEqual(['{"__name__":"temperature","instance":"a","job":"api","room":"kitchen"} 21.5']);
      const nextYear = String(Date.now() / 1000 + 365 * 86400);
      expect(await lines(gw.url, 'count(temperature)', { time: nextYear })).toEqual(['{} 1']);
    });

    it('PUT ends the series it no longer holds, POST only those of the pushed families, DELETE all', async () => {
      await request(gw.url).put('/metrics/job/churn').send('a{k="1"} 1\na{k="2"} 2\nb 3\n').expect(200);
      const [t1] = await sampleTimes(gw.url, 'b{job="churn"}');
      await sleep(30);
      await request(gw.url).put('/metrics/job/churn').send('a{k="1"} 4\nb 5\n').expect(200);
      expect(await lines(gw.url, '{job="churn"}')).toEqual([
        '{"__name__":"a","job":"churn","k":"1"} 4',
        '{"__name__":"b","job":"churn"} 5',
        expect.stringMatching(/^\{"__name__":"push_time_seconds","job":"churn"\} \d+\.\d+$/),
      ]);
      // Before the replacement the ended series was there, with its value.
      expect(await lines(gw.url, 'a{job="churn"}', { time: String(t1 + 0.001) })).toEqual([
        '{"__name__":"a","job":"churn","k":"1"} 1',
        '{"__name__":"a","job":"churn","k":"2"} 2',
      ]);
      await request(gw.url).post('/metrics/job/churn').send('a{k="3"} 6\n').expect(200);
      expect(await lines(gw.url, '{__name__=~"a|b",job="churn"}')).toEqual(['{"__name__":"a","job":"churn","k":"3"} 6', '{"__name__":"b","job":"churn"} 5']);
      await request(gw.url).delete('/metrics/job/churn').expect(202);
      expect(await lines(gw.url, '{job="churn"}')).toEqual([]);
      expect(await lines(gw.url, 'absent(b{job="churn"})')).toEqual(['{"__name__":"b","job":"churn"}'.replace('"__name__":"b",', '') + ' 1']);
    });

    it('range selectors and functions see every pushed sample at its push time', async () => {
      for (const v of [1, 3, 0, 2]) {
        await request(gw.url).put('/metrics/job/steps').send(`# TYPE jobs_total counter\njobs_total ${v}\n`).expect(200);
        await sleep(20);
      }
      const times = await sampleTimes(gw.url, 'jobs_total');
      expect(times).toHaveLength(4);
      expect([...times].sort()).toEqual(times);
      const pushTimes = (await vector(gw.url, 'push_time_seconds{job="steps"}'))[0].value[1];
      expect(Number(pushTimes)).toBeCloseTo(times[3], 3);
      const at = { time: String(times[3] + 1) };
      expect(await lines(gw.url, 'changes(jobs_total[1h])', at)).toEqual(['{"job":"steps"} 3']);
      expect(await lines(gw.url, 'resets(jobs_total[1h])', at)).toEqual(['{"job":"steps"} 1']);
      expect(await lines(gw.url, 'increase(jobs_total[1h])', at)).not.toEqual([]);
      expect(await lines(gw.url, 'count_over_time(jobs_total[1h])', at)).toEqual(['{"job":"steps"} 4']);
      expect(await lines(gw.url, 'max_over_time(jobs_total[1h])', at)).toEqual(['{"job":"steps"} 3']);
      expect(await lines(gw.url, 'last_over_time(jobs_total[1h])', at)).toEqual(['{"__name__":"jobs_total","job":"steps"} 2']);
      // A range query: a step before the first push has no value, every later step the latest push.
      const res = await request(gw.url)
        .get('/api/v1/query_range')
        .query({ query: 'jobs_total', start: String(times[0] - 1), end: String(times[3] + 1), step: String((times[3] - times[0] + 2) / 2) })
        .expect(200);
      const result = res.body.data.result as MatrixItem[];
      expect(result.map((r) => r.metric)).toEqual([{ __name__: 'jobs_total', job: 'steps' }]);
      const values = result[0].values.map((v) => v[1]);
      expect(values[values.length - 1]).toBe('2');
      expect(values).toHaveLength(2);
    });
  });

  describe('selectors', () => {
    it.each([
      ['name regex alternation', '{__name__=~"temperature|lat_seconds_sum"}', ['lat_seconds_sum{api}', 'temperature{api}']],
      ['name negative regex', 'count by (__name__) ({job="api",__name__!~"odd|rpc.*|lat.*|push.*"})', ['http_requests_total{}', 'temperature{}']],
      ['label not equal (a missing label matches)', 'http_requests_total{instance!="a"}', ['http_requests_total{batch}']],
      ['empty label value selects series without the label', 'http_requests_total{instance=""}', ['http_requests_total{batch}']],
      ['non-empty label', 'http_requests_total{instance!=""}', ['http_requests_total{api}', 'http_requests_total{api}']],
      ['case-insensitive flag (checked in memory)', 'temperature{room=~"(?i)KITCHEN"}', ['temperature{api}']],
      ["regex dot does not match a newline (RE2), though PostgreSQL's would", 'odd{v=~"a.b"}', ['odd{api}']],
      ['character classes', 'http_requests_total{code=~"[45]..",path=~"/[a-z]"}', ['http_requests_total{api}']],
      ['negative regex on a label', 'http_requests_total{code!~"2.*"}', ['http_requests_total{api}']],
      ['regex matching the empty value', 'http_requests_total{instance=~"|b"}', ['http_requests_total{batch}']],
    ])('%s', async (_name, selector, expected) => {
      const res = await vector(gw.url, selector);
      expect(res.map((s) => `${s.metric.__name__ ?? ''}{${s.metric.job ?? ''}}`).sort()).toEqual(expected);
    });
  });

  describe('metadata endpoints', () => {
    it('/series returns label sets for repeated match[] (GET and POST), honours limit with a warning', async () => {
      const get = await request(gw.url).get('/api/v1/series').query('match[]=temperature&match[]=http_requests_total{job="batch"}').expect(200);
      expect(get.body).toEqual({
        status: 'success',
        data: [
          { __name__: 'http_requests_total', code: '200', job: 'batch', path: '/y' },
          { __name__: 'temperature', instance: 'a', job: 'api', room: 'kitchen' },
        ],
      });
      const post = await request(gw.url).post('/api/v1/series').type('form').send('match[]=http_requests_total&limit=2').expect(200);
      expect(post.body).toEqual({ status: 'success', data: [expect.any(Object), expect.any(Object)], warnings: ['results truncated due to limit'] });
    });

    it.each([
      ['no match[]', '', 'no match[] parameter provided'],
      ['an empty selector', 'match[]={}', 'invalid parameter "match[]": match[] must contain at least one non-empty matcher'],
      ['not a selector', 'match[]=up[5m]', /^invalid parameter "match\[\]": /],
    ])('/series with %s → 400', async (_name, qs, message) => {
      const res = await request(gw.url).get(`/api/v1/series?${qs}`).expect(400);
      expect(res.body).toEqual({
        status: 'error',
        errorType: 'bad_data',
        error: expect.stringMatching(typeof message === 'string' ? new RegExp(`^${escapeRegExp(message)}$`) : message),
      });
    });

    it('/labels lists label names (with match[] and limit), GET and POST', async () => {
      const all = await request(gw.url).get('/api/v1/labels').expect(200);
      expect(all.body.data).toEqual(expect.arrayContaining(['__name__', 'code', 'instance', 'job', 'kind', 'le', 'path', 'quantile', 'room']));
      expect([...all.body.data].sort()).toEqual(all.body.data);
      const matched = await request(gw.url)
        .post('/api/v1/labels')
        .type('form')
        .send({ 'match[]': 'temperature', start: '0', end: String(Date.now() / 1000 + 60) })
        .expect(200);
      expect(matched.body).toEqual({ status: 'success', data: ['__name__', 'instance', 'job', 'room'] });
      const limited = await request(gw.url).get('/api/v1/labels?limit=2').expect(200);
      expect(limited.body).toEqual({ status: 'success', data: ['__name__', 'code'], warnings: ['results truncated due to limit'] });
    });

    it('/label/<name>/values lists values, also of __name__, with match[], limit, and validates the name', async () => {
      const names = await request(gw.url).get('/api/v1/label/__name__/values').expect(200);
      expect(names.body.data).toEqual(expect.arrayContaining(['http_requests_total', 'lat_seconds', 'push_time_seconds', 'rpc_seconds_bucket', 'temperature']));
      const jobs = await request(gw.url).get('/api/v1/label/job/values').query('match[]=http_requests_total').expect(200);
      expect(jobs.body).toEqual({ status: 'success', data: ['api', 'batch'] });
      const post = await request(gw.url)
        .post('/api/v1/label/code/values')
        .type('form')
        .send('match%5B%5D=http_requests_total%7Bjob%3D%22api%22%7D&limit=1')
        .expect(200);
      expect(post.body).toEqual({ status: 'success', data: ['200'], warnings: ['results truncated due to limit'] });
      const none = await request(gw.url).get('/api/v1/label/nonexistent/values').expect(200);
      expect(none.body).toEqual({ status: 'success', data: [] });
      // Prometheus 3 validates the name as UTF-8 (any non-empty text), after decoding a U__ name.
      expect((await request(gw.url).get('/api/v1/label/a-b/values').expect(200)).body).toEqual({ status: 'success', data: [] });
      const decoded = await request(gw.url).get('/api/v1/label/U__j_6f_b/values').query('match[]=http_requests_total').expect(200);
      expect(decoded.body).toEqual(jobs.body);
      const bad = await request(gw.url).get('/api/v1/label/U__/values').expect(400);
      expect(bad.body).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid label name: ""' });
    });

    it('/labels and /series honour start/end: a series ended before start is left out', async () => {
      await request(gw.url).put('/metrics/job/gone').send('gone_metric 1\n').expect(200);
      await request(gw.url).delete('/metrics/job/gone').expect(202);
      await sleep(20);
      const start = String(Date.now() / 1000);
      const later = await request(gw.url).get('/api/v1/series').query({ 'match[]': 'gone_metric', start }).expect(200);
      expect(later.body.data).toEqual([]);
      const all = await request(gw.url).get('/api/v1/series').query({ 'match[]': 'gone_metric' }).expect(200);
      expect(all.body.data).toEqual([{ __name__: 'gone_metric', job: 'gone' }]);
    });

    it('/metadata gives type and HELP per family (untyped as unknown), metric and limit filters', async () => {
      const res = await request(gw.url).get('/api/v1/metadata').expect(200);
      expect(res.body.data).toMatchObject({
        http_requests_total: [{ type: 'counter', help: '', unit: '' }],
        temperature: [{ type: 'gauge', help: '', unit: '' }],
        odd: [{ type: 'unknown', help: '', unit: '' }],
        rpc_seconds: [{ type: 'histogram', help: '', unit: '' }],
        lat_seconds: [{ type: 'summary', help: 'Latency.', unit: '' }],
        push_time_seconds: [{ type: 'gauge', help: 'Last Unix time when changing this group in the Pushgateway succeeded.', unit: '' }],
      });
      expect((await request(gw.url).get('/api/v1/metadata?metric=lat_seconds').expect(200)).body).toEqual({
        status: 'success',
        data: { lat_seconds: [{ type: 'summary', help: 'Latency.', unit: '' }] },
      });
      expect(Object.keys((await request(gw.url).get('/api/v1/metadata?limit=1').expect(200)).body.data)).toHaveLength(1);
      expect((await request(gw.url).get('/api/v1/metadata?limit=x').expect(400)).body).toEqual({
        status: 'error',
        errorType: 'bad_data',
        error: 'limit must be a number',
      });
    });

    it('/query_exemplars (ms probe, GET and POST), /rules and /status/buildinfo answer what Grafana expects; /status still works', async () => {
      const now = Date.now();
      const probe = await request(gw.url)
        .post('/api/v1/query_exemplars')
        .type('form')
        .send(`query=test&start=${now - 1800_000}&end=${now}`)
        .expect(200);
      expect(probe.body).toEqual({ status: 'success', data: [] });
      expect((await request(gw.url).get('/api/v1/query_exemplars?query=test').expect(200)).body).toEqual({ status: 'success', data: [] });
      expect((await request(gw.url).get('/api/v1/query_exemplars?query=(').expect(400)).body.errorType).toBe('bad_data');
      expect((await request(gw.url).get('/api/v1/rules').expect(200)).body).toEqual({ status: 'success', data: { groups: [] } });
      expect((await request(gw.url).get('/api/v1/rules?type=x').expect(400)).body.errorType).toBe('bad_data');
      const info = await request(gw.url).get('/api/v1/status/buildinfo').expect(200);
      expect(info.body.status).toBe('success');
      expect(info.body.data.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(info.body.data).not.toHaveProperty('features');
      expect((await request(gw.url).get('/api/v1/status').expect(200)).body.data).toHaveProperty('build_information');
    });
  });

  describe('retention', () => {
    it('drops whole old partitions and ended series; current series keep their latest value', async () => {
      const maintenance = gw.app.get(HistoryMaintenance);
      await request(gw.url).put('/metrics/job/ret').send('kept 7\nended 1\n').expect(200);
      await request(gw.url).put('/metrics/job/ret').send('kept 8\n').expect(200);
      const inEightDays = Date.now() + 8 * 86400_000;
      const report = await maintenance.run(inEightDays);
      expect(report).toBeDefined();
      expect(report!.dropped.length).toBeGreaterThan(0);
      expect(report!.deletedSeries).toBeGreaterThan(0);
      const at = { time: String(inEightDays / 1000) };
      expect(await lines(gw.url, 'kept', at)).toEqual(['{"__name__":"kept","job":"ret"} 8']);
      expect(await lines(gw.url, 'count_over_time(kept[30d])', at)).toEqual(['{"job":"ret"} 1']);
      expect((await request(gw.url).get('/api/v1/series?match[]=ended').expect(200)).body.data).toEqual([]);
      // Pushes keep working: the writer re-creates today's partition on demand.
      await request(gw.url).put('/metrics/job/ret').send('kept 9\n').expect(200);
      expect(await lines(gw.url, 'kept')).toEqual(['{"__name__":"kept","job":"ret"} 9']);
    });

    it('records groups pushed before the history existed (an upgrade) on the next maintenance pass', async () => {
      await request(gw.url)
        .put('/metrics/job/old/instance/x')
        .send(
          '# TYPE legacy_total counter\nlegacy_total{a="1"} 42\n# TYPE legacy_h histogram\nlegacy_h_bucket{le="1"} 1\nlegacy_h_bucket{le="+Inf"} 2\nlegacy_h_sum 3\nlegacy_h_count 2\n',
        )
        .expect(200);
      const database = gw.app.get<symbol, Database>(DATABASE);
      await database.query(`DELETE FROM history_series WHERE labels @> '{"job":"old"}'`);
      expect(await lines(gw.url, '{job="old"}')).toEqual([]);
      const report = await gw.app.get(HistoryMaintenance).run(Date.now());
      expect(report?.backfilledGroups).toBe(1);
      expect(await lines(gw.url, '{job="old",__name__!="push_time_seconds"}')).toEqual([
        '{"__name__":"legacy_h_bucket","instance":"x","job":"old","le":"+Inf"} 2',
        '{"__name__":"legacy_h_bucket","instance":"x","job":"old","le":"1"} 1',
        '{"__name__":"legacy_h_count","instance":"x","job":"old"} 2',
        '{"__name__":"legacy_h_sum","instance":"x","job":"old"} 3',
        '{"__name__":"legacy_total","a":"1","instance":"x","job":"old"} 42',
      ]);
      expect((await gw.app.get(HistoryMaintenance).run(Date.now()))?.backfilledGroups).toBe(0);
      await request(gw.url).put('/metrics/job/old/instance/x').send('legacy_total{a="1"} 43\n').expect(200);
      expect(await lines(gw.url, '{job="old",__name__!="push_time_seconds"}')).toEqual(['{"__name__":"legacy_total","a":"1","instance":"x","job":"old"} 43']);
    });
  });
});

describe('query API variants', () => {
  let db: TestDatabase;
  afterEach(async () => {
    await db?.drop();
  });

  it('answers under ROUTE_PREFIX only, like the push API', async () => {
    db = await createTestDatabase();
    const gw = await startInProcess(db, { ROUTE_PREFIX: '/pfx' });
    try {
      await request(gw.url).put('/pfx/metrics/job/p').send('m 1\n').expect(200);
      expect((await request(gw.url).post('/pfx/api/v1/query').type('form').send('query=m').expect(200)).body.data.result).toHaveLength(1);
      await request(gw.url).get('/pfx/api/v1/status/buildinfo').expect(200);
      await request(gw.url).get('/api/v1/query?query=m').expect(404);
    } finally {
      await gw.close();
    }
  });

  it('with HISTORY_ENABLED=false keeps only latest values: instant queries work, ranges see one sample', async () => {
    db = await createTestDatabase();
    const gw = await startInProcess(db, { HISTORY_ENABLED: 'false' });
    try {
      await request(gw.url).put('/metrics/job/h').send('m 1\n').expect(200);
      await request(gw.url).put('/metrics/job/h').send('m 2\n').expect(200);
      expect(await lines(gw.url, 'm')).toEqual(['{"__name__":"m","job":"h"} 2']);
      expect(await lines(gw.url, 'count_over_time(m[1h])')).toEqual(['{"job":"h"} 1']);
      await request(gw.url).delete('/metrics/job/h').expect(202);
      expect(await lines(gw.url, 'm')).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it("a tenant's read token sees only its own series in every endpoint", async () => {
    db = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-query-auth-'));
    const keys = await makeAuthKeys(dir);
    const gw = await startInProcess(db, keys.env);
    const bearer = async (tenant: string | undefined, scope: string): Promise<string> => `Bearer ${await hsToken(keys.secret, { tenant, scope })}`;
    try {
      const alpha = await bearer('alpha', 'push read');
      const beta = await bearer('beta', 'push read');
      const operator = await bearer(undefined, 'push read');
      await request(gw.url).put('/metrics/job/shared').set('Authorization', alpha).send('# HELP m Alpha help.\nm 1\nonly_alpha 1\n').expect(200);
      await request(gw.url).put('/metrics/job/shared').set('Authorization', beta).send('m 2\n').expect(200);
      await request(gw.url).get('/api/v1/query?query=m').expect(401);
      const as = (auth: string) => ({
        get: (u: string) => request(gw.url).get(u).set('Authorization', auth).expect(200),
        post: (u: string, body: string) => request(gw.url).post(u).set('Authorization', auth).type('form').send(body).expect(200),
      });
      const a = as(alpha);
      expect((await a.post('/api/v1/query', 'query=m')).body.data.result).toEqual([
        { metric: { __name__: 'm', job: 'shared', tenant_userid: 'alpha' }, value: [expect.any(Number), '1'] },
      ]);
      expect((await a.get('/api/v1/query?query=count(%7B__name__%3D~%22.%2B%22%7D)')).body.data.result[0].value[1]).toBe('3');
      expect((await a.post('/api/v1/query_range', `query=m&start=${Date.now() / 1000}&end=${Date.now() / 1000 + 10}&step=5`)).body.data.result).toHaveLength(1);
      expect((await a.get('/api/v1/series?match[]=m')).body.data).toEqual([{ __name__: 'm', job: 'shared', tenant_userid: 'alpha' }]);
      expect((await a.get('/api/v1/label/tenant_userid/values')).body.data).toEqual(['alpha']);
      expect((await a.get('/api/v1/label/__name__/values')).body.data).toEqual(['m', 'only_alpha', 'push_time_seconds']);
      expect((await a.post('/api/v1/labels', '')).body.data).toEqual(['__name__', 'job', 'tenant_userid']);
      expect(Object.keys((await a.get('/api/v1/metadata')).body.data).sort()).toEqual(['m', 'only_alpha', 'push_time_seconds']);
      const b = as(beta);
      expect((await b.get('/api/v1/query?query=only_alpha')).body.data.result).toEqual([]);
      expect((await b.get('/api/v1/label/__name__/values')).body.data).toEqual(['m', 'push_time_seconds']);
      expect(Object.keys((await b.get('/api/v1/metadata')).body.data).sort()).toEqual(['m', 'push_time_seconds']);
      const op = as(operator);
      expect((await op.get('/api/v1/query?query=m')).body.data.result.map((s: VectorItem) => s.metric.tenant_userid)).toEqual(['alpha', 'beta']);
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
