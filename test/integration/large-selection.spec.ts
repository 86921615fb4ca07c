import { Client } from 'pg';
import { seriesKey } from '../../src/storage/history-flatten';
import { createTestDatabase, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';
import { probeDuring } from '../support/loop-probe';
import { itWhen, serverUrl } from '../support/test-env';

/**
 * A series, labels or label-values request over a large selection with a regex the gateway checks
 * itself (not expressible in SQL) leaves the event loop to other requests: every step over the
 * whole selection runs in slices. Before, single steps over all candidates (decoding one packed row
 * of every id, the label-cache pass and a sort of the missing ids, one JSON.stringify of the
 * answer) held `/-/healthy` here for up to 510 ms (series) and about 200 ms (labels, label values)
 * on the development machine; now the longest wait is 30-110 ms.
 *
 * The store is written by SQL (as pushes would leave it), the gateway runs as its own process and
 * a prober process times `/-/healthy` while the request runs. The bound is far above the sliced
 * reader's waits and far below the old series wait; speed itself is measured by bench/query-limits.ts.
 */

const SERIES = 300_000;
const JOBS = 100;
/** The longest `/-/healthy` wait allowed while the request runs. */
const BOUND_MS = 250;
/** How long the prober waits for its idle probes and the request. */
const DEADLINE_MS = 25000;

/** `big_m{i="v<k>", job="j<k % JOBS>"}` for k < SERIES, present since `t` (ms). */
async function fill(client: Client, t: number): Promise<void> {
  // The key format is seriesKey's: names in byte order, name \x01 value, pairs joined by \x01.
  const sqlKey = `'__name__' || chr(1) || 'big_m' || chr(1) || 'i' || chr(1) || 'v' || k || chr(1) || 'job' || chr(1) || 'j' || (k % ${JOBS})`;
  const { rows } = await client.query<{ key: string }>(`SELECT ${sqlKey} AS key FROM (SELECT 7 AS k) x`);
  expect(rows[0].key).toBe(seriesKey('big_m', { i: 'v7', job: 'j7' }));
  await client.query(
    `INSERT INTO history_series (tenant, name, family, labels, series_key, group_id, first_t, last_t, last_v, last_stale)
     SELECT '', 'big_m', 'big_m', jsonb_build_object('i', 'v' || k, 'job', 'j' || (k % ${JOBS})), ${sqlKey}, NULL, $1, $1, k, false
     FROM generate_series(0, $2 - 1) AS k`,
    [t, SERIES],
  );
  await client.query('VACUUM ANALYZE history_series');
}

const withMatch = (path: string, match: string): string => `${path}?${new URLSearchParams({ 'match[]': match }).toString()}`;

describe(`reads over ${SERIES} series with a regex checked in the gateway`, () => {
  jest.setTimeout(120000);
  const server = serverUrl() !== undefined;
  let db: TestDatabase;
  let gw: GatewayProcess;

  beforeAll(async () => {
    if (!server) {
      return;
    }
    db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await fill(client, Date.now() - 60_000);
    } finally {
      await client.end();
    }
    gw = await startProcess(db);
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await db?.drop();
  });

  // `v[0-9]+`: SQL only narrows it to values starting with `v`; the gateway checks every series.
  const selector = '{__name__=~"big.*", i=~"v[0-9]+"}';
  itWhen(server, 'needs a PostgreSQL server (the store is written by SQL)').each([
    [
      'series',
      withMatch('/api/v1/series', selector),
      (data: unknown[]) => expect([data.length, data[0]]).toEqual([SERIES, { __name__: 'big_m', i: 'v0', job: 'j0' }]),
    ],
    ['label values', withMatch('/api/v1/label/job/values', selector), (data: unknown[]) => expect([data.length, data[0], data[1]]).toEqual([JOBS, 'j0', 'j1'])],
    ['labels', withMatch('/api/v1/labels', selector), (data: unknown[]) => expect(data).toEqual(['__name__', 'i', 'job'])],
  ])('%s: /-/healthy is answered while the request runs', async (name, path, check) => {
    const p = await probeDuring(gw.url, path, DEADLINE_MS);
    const worst = Math.max(...p.duringMs);
    process.stdout.write(
      `${name}: request ${p.queryMs.toFixed(0)} ms; /-/healthy idle median ${p.idleMedianMs.toFixed(1)} ms, ` +
        `during ${p.duringMs.length} probes, worst ${worst.toFixed(1)} ms (allowed ${BOUND_MS})\n`,
    );
    expect({ timedOut: p.timedOut, status: p.status }).toEqual({ timedOut: false, status: 200 });
    check((p.body as { data: unknown[] }).data);
    expect(p.duringMs.length).toBeGreaterThan(1);
    expect(worst).toBeLessThan(BOUND_MS);
  });
});
