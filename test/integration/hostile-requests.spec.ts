import * as net from 'node:net';
import request from 'supertest';
import { createTestDatabase, GatewayProcess, startProcess, TestDatabase, useGateway } from '../support/gateway';
import { MAX_MADE_LABEL_VALUE } from 'src/core/promql/functions';

/**
 * Requests from a hostile-input campaign (2026-12-04) that the gateway answered with a 5xx, no
 * answer, or only at the query timeout. Each is now a clear answer.
 */
describe('hostile requests', () => {
  // A larger request head, so the group API can be given 1,001 selectors in its query string.
  const gw = useGateway({ QUERY_TIMEOUT: '20s', HTTP_MAX_HEADER_BYTES: '131072' });
  const query = (q: string) => request(gw.url).post('/api/v1/query').type('form').send({ query: q });

  beforeAll(async () => {
    await request(gw.url).put('/metrics/job/hostile').send('hq 1\n').expect(200);
  });

  it('answers CONNECT like any method no route takes (Node closed the connection without a word)', async () => {
    const { port } = new URL(gw.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('CONNECT /metrics HTTP/1.1\r\nHost: x\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(answer.endsWith('\r\n\r\n404 page not found\n')).toBe(true);
    await request(gw.url).get('/-/healthy').expect(200);
  });

  it('reads a push whose Content-Type does not parse as text format, as upstream does (Fastify answered 415)', async () => {
    for (const [i, type] of ['text', 'foo', 'foo; charset=utf-8', '/plain'].entries()) {
      await request(gw.url).put('/metrics/job/hostile_ct').set('Content-Type', type).send(`hct ${i}\n`).expect(200);
      const scrape = (await request(gw.url).get('/metrics').expect(200)).text;
      expect(scrape).toContain(`hct{instance="",job="hostile_ct"} ${i}\n`);
    }
  });

  it('reads a form of a million parameters (spreading them overflowed the stack: 500)', async () => {
    const form = `query=hq&${'a=1&'.repeat(1_000_000)}`;
    const res = await request(gw.url).post('/api/v1/query').type('form').send(form);
    expect(res.status).toBe(200);
    expect(res.body.data.result).toHaveLength(1);
  });

  it('refuses more than 1,000 match[] selectors in the query and group APIs (100,000 kept a request busy past any timeout)', async () => {
    const form = Array.from({ length: 1001 }, (_, i) => `match[]=${encodeURIComponent(`hq{i="${i}"}`)}`).join('&');
    const series = await request(gw.url).post('/api/v1/series').type('form').send(form);
    expect(series.status).toBe(400);
    expect(series.body).toMatchObject({ status: 'error', errorType: 'bad_data', error: 'too many match[] selectors: 1001, at most 1000' });
    const groups = await request(gw.url).get(`/api/v1/groups?${form}`);
    expect(groups.status).toBe(400);
    expect(groups.body.error).toBe('too many match[] selectors: 1001, at most 1000');
    const fine = await request(gw.url).post('/api/v1/series').type('form').send(form.split('&').slice(0, 1000).join('&'));
    expect(fine.status).toBe(200);
  });

  it('evaluates @ at times beyond any sample (a bigint overflow in the statement: 500)', async () => {
    for (const q of ['hq @ 1e18', 'hq @ -1e18', 'count_over_time(hq[1h] @ 1e15)']) {
      const res = await query(q);
      expect([q, res.status, res.body.status]).toEqual([q, 200, 'success']);
    }
  });

  it('refuses label values amplified by nested label_join with 422 (a 700-byte query made 268 MB)', async () => {
    let q = 'label_replace(hq, "z", "aaaaaaaaaaaaaaaa", "job", ".*")';
    for (let i = 0; i < 16; i++) {
      q = `label_join(${q}, "z", "", "z", "z")`;
    }
    const res = await query(q);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'error', errorType: 'execution' });
    expect(res.body.error).toContain(`label_join(): the value of label "z" would have ${2 ** 17} characters, more than ${MAX_MADE_LABEL_VALUE}`);
    // Below the bound the same construction answers.
    const small = await query('label_join(label_join(label_replace(hq, "z", "ab", "job", ".*"), "z", "", "z", "z"), "z", "", "z", "z")');
    expect(small.body.data.result[0].metric.z).toBe('abababab');
  });

  it('refuses a subquery of more steps than the query may hold samples at once, before running them', async () => {
    const res = await query('max_over_time(hq[1y:1ms])');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      status: 'error',
      errorType: 'execution',
      error: 'query processing would load too many samples into memory in query execution',
    });
    // A subquery within the limit still runs.
    const fine = await query('max_over_time(hq[1h:1m])');
    expect(fine.status).toBe(200);
  });
});

describe('a client that hangs up in the middle of its body', () => {
  let db: TestDatabase;
  let gw: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startProcess(db);
  });

  afterAll(async () => {
    await gw?.stop();
    await db?.drop();
  });

  it('is not logged as an error of the gateway (it was, with a stack trace)', async () => {
    const { port } = new URL(gw.url);
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('PUT /metrics/job/hangup HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhang_m 1\n');
        setTimeout(() => socket.destroy(), 300);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    // A push after it is answered, and by then the abort has been handled.
    await request(gw.url).put('/metrics/job/hangup').send('hang_m 2\n').expect(200);
    expect(gw.output()).not.toMatch(/ERROR|aborted/);
  });
});
