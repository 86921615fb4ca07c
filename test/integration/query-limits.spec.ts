import { evaluateInstant, evaluateRange } from '../../src/core/promql/evaluator';
import { HistoryReader } from '../../src/storage/history-reader';
import { HistorySeriesSource } from '../../src/storage/history-series-source';
import { createTestDatabase, GatewayProcess, InProcessGateway, startInProcess, startProcess, TestDatabase } from '../support/gateway';

/**
 * Bounded queries (issue 10, DESIGN §5c), over real HTTP against the built gateway as its own
 * process (so a stalled event loop is seen from outside): QUERY_MAX_SAMPLES answers Prometheus'
 * "too many samples" error, a query is interrupted at its timeout, at most QUERY_MAX_CONCURRENCY
 * queries run at once with the rest queued (and timed out in the queue), and a long query leaves
 * room for pushes and `/-/healthy` (a ratio against idle probes with a floor, never an absolute time).
 */

const SERIES = 5000;
const MAX_SAMPLES = 100_000;
/** A query_range of 11,000 steps (from now on) over every series: about 10^8 additions, seconds of work on any machine. */
function heavyPath(): string {
  const start = Math.ceil(Date.now() / 1000);
  return `/api/v1/query_range?query=${encodeURIComponent('sum(big) * count(big)')}&start=${start}&end=${start + 10_999}&step=1`;
}
const RATIO = 20;
const FLOOR_MS = 500;

interface Answer {
  status: number;
  body: { status: string; errorType?: string; error?: string; data?: unknown; warnings?: string[] };
  ms: number;
}

async function get(url: string): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, body, ms: performance.now() - t0 };
}

/** ms until `/-/healthy` answered 200. */
async function healthyMs(base: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/-/healthy`);
  await res.text();
  expect(res.status).toBe(200);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('bounded queries', () => {
  jest.setTimeout(180000);
  let db: TestDatabase;
  let gw: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startProcess(db, { QUERY_MAX_SAMPLES: String(MAX_SAMPLES), QUERY_MAX_CONCURRENCY: '1' });
    const lines = Array.from({ length: SERIES }, (_, i) => `big{i="${i}"} ${i}`);
    const res = await fetch(`${gw.url}/metrics/job/limits`, { method: 'PUT', body: `${lines.join('\n')}\n` });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await db?.drop();
  });

  it('answers within the limit', async () => {
    const ok = await get(`${gw.url}/api/v1/query?query=${encodeURIComponent('count(big)')}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ resultType: 'vector', result: [{ value: [expect.any(Number), String(SERIES)] }] });
  });

  it('refuses a query that would hold more than QUERY_MAX_SAMPLES with Prometheus’ error', async () => {
    // A matrix of 5,000 series × 30 steps = 150,000 points > 100,000.
    const res = await get(`${gw.url}/api/v1/query_range?query=big&start=${Math.floor(Date.now() / 1000)}&end=${Math.floor(Date.now() / 1000) + 29}&step=1`);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      status: 'error',
      errorType: 'execution',
      error: 'query processing would load too many samples into memory in query execution',
    });
    // The same query over fewer steps fits.
    const fits = await get(`${gw.url}/api/v1/query_range?query=big&start=${Math.floor(Date.now() / 1000)}&end=${Math.floor(Date.now() / 1000) + 9}&step=1`);
    expect(fits.status).toBe(200);
  });

  it('interrupts a query at its timeout', async () => {
    const res = await get(`${gw.url}${heavyPath()}&timeout=50ms`);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', errorType: 'timeout' });
    expect(res.body.error).toMatch(/^query timed out in query (execution|queue)$/);
  });

  it('runs one query at a time (QUERY_MAX_CONCURRENCY=1), queues the next, and times it out in the queue', async () => {
    const heavy = get(`${gw.url}${heavyPath()}`);
    // Let the heavy query take the only slot before the next one arrives.
    await new Promise((r) => setTimeout(r, 300));
    const queued = await get(`${gw.url}/api/v1/query?query=${encodeURIComponent('count(big)')}&timeout=200ms`);
    const first = await heavy;
    expect(first.status).toBe(200);
    expect(queued.status).toBe(503);
    expect(queued.body).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in query queue' });
    // The heavy query had the slot all along, so it outlived the queued one.
    expect(first.ms).toBeGreaterThan(queued.ms);
    // Queued without a short timeout, a query waits its turn and then answers.
    const [a, b] = await Promise.all([get(`${gw.url}${heavyPath()}`), get(`${gw.url}/api/v1/query?query=${encodeURIComponent('count(big)')}`)]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('serves pushes and /-/healthy while a long query runs', async () => {
    const idle: number[] = [];
    for (let i = 0; i < 21; i++) {
      idle.push(await healthyMs(gw.url));
    }
    let done = false;
    const heavy = get(`${gw.url}${heavyPath()}`).finally(() => (done = true));
    const during: number[] = [];
    let pushes = 0;
    await new Promise((r) => setTimeout(r, 100));
    while (!done) {
      const t0 = performance.now();
      const push = await fetch(`${gw.url}/metrics/job/probe`, { method: 'PUT', body: `probe_m ${pushes}\n` });
      expect(push.status).toBe(200);
      pushes++;
      during.push(performance.now() - t0);
      during.push(await healthyMs(gw.url));
    }
    expect((await heavy).status).toBe(200);
    const allowed = Math.max(FLOOR_MS, RATIO * median(idle));
    process.stdout.write(
      `heavy query: ${pushes} pushes served meanwhile; idle /-/healthy median ${median(idle).toFixed(1)} ms, worst during ${Math.max(...during).toFixed(1)} ms (allowed ${allowed.toFixed(0)})\n`,
    );
    expect(pushes).toBeGreaterThan(1);
    expect(Math.max(...during)).toBeLessThan(allowed);
  });
});

describe('streamed aggregations over PostgreSQL', () => {
  jest.setTimeout(120000);
  let db: TestDatabase;
  let gw: InProcessGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startInProcess(db);
    // Three pushes a second apart: 60 series of two metrics over 3 jobs, values changing, one group deleted.
    for (let round = 0; round < 3; round++) {
      for (let job = 0; job < 3; job++) {
        const lines = Array.from({ length: 20 }, (_, i) => `paged_m{i="${i}",kind="${i % 4}"} ${(i * 7 + round * 3 + job) / 4}\nother_m{i="${i}"} ${i}`);
        const res = await fetch(`${gw.url}/metrics/job/j${job}`, { method: 'PUT', body: `${lines.join('\n')}\n` });
        expect(res.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect((await fetch(`${gw.url}/metrics/job/j2`, { method: 'DELETE' })).status).toBe(202);
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it.each([
    'sum(paged_m)',
    'sum by (kind) (paged_m)',
    'count by (job, kind) (paged_m > 2)',
    'avg by (job) (rate(paged_m[1m]))',
    'max without (i) (paged_m)',
    'topk(3, paged_m)',
    'quantile by (kind) (0.5, last_over_time(paged_m[1m]))',
    'count(count_over_time(paged_m[1h]))',
    'sum by (__name__) ({__name__=~"paged_m|other_m"})',
  ])('%s: pages of 1 and 7 series from SQL answer as the whole selector', async (query) => {
    const source = new HistorySeriesSource(gw.app.get(HistoryReader), undefined);
    const now = Date.now();
    const whole = await evaluateRange(query, now - 5000, now, 500, source, { streamPageSize: 0 });
    const instant = await evaluateInstant(query, now - 1500, source, { streamPageSize: 0 });
    expect(whole.result.length).toBeGreaterThan(0);
    for (const pageSize of [1, 7]) {
      expect(await evaluateRange(query, now - 5000, now, 500, source, { streamPageSize: pageSize })).toEqual(whole);
      expect(await evaluateInstant(query, now - 1500, source, { streamPageSize: pageSize })).toEqual(instant);
    }
  });
});
