import { Client } from 'pg';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase, testConfig } from '../support/gateway';
import { itWhen, serverUrl } from '../support/test-env';
import { GENERIC_PLAN_FUNCTIONS } from '../../migrations/1795750000000-GenericPushPlans';
import { planPushCheck } from 'src/core/consistency/push-check';
import { canonicalLabels } from 'src/core/grouping/grouping-key';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { HistoryWriter, PushHistoryArgs } from 'src/storage/history-writer';
import { HistoryPartitions } from 'src/storage/history-partitions';
import { probeStatement, PushRow, PushWrite, wasWritten } from 'src/storage/push-statements';

/**
 * PostgreSQL caches the plans of PL/pgSQL functions and of foreign-key cascades per session. A
 * session that starts on an empty store must not keep plans that scan whole tables once the store
 * is large (a push or delete would then cost what is stored, not what is pushed). Watched through
 * pg_stat_user_tables: after one session served a store that grew from empty, its pushes and
 * deletes must do no sequential scans and read few index entries each.
 */
describe('query plans of pushes and deletes on a store that grew from empty', () => {
  jest.setTimeout(120000);
  const TABLES = ['metric_group', 'metric_family', 'metric_group_tombstone', 'history_series'];
  let db: TestDatabase;
  let gw: InProcessGateway;
  let stats: Client;

  beforeAll(async () => {
    if (serverUrl() === undefined) {
      return;
    }
    db = await createTestDatabase();
    // One connection: every statement below runs in the one session whose plans are under test.
    gw = await startInProcess(db, { DB_POOL_SIZE: '1' });
    stats = new Client({ connectionString: db.url });
    await stats.connect();
  });

  afterAll(async () => {
    await stats?.end();
    await gw?.close();
    await db?.drop();
  });

  const body = (i: number): string =>
    `# TYPE plan_gauge gauge\nplan_gauge{k="a"} ${i}\n# TYPE plan_total counter\nplan_total ${i}\n` +
    `# TYPE plan_seconds histogram\nplan_seconds_bucket{le="1"} 1\nplan_seconds_bucket{le="+Inf"} 2\nplan_seconds_sum 3\nplan_seconds_count 2\n`;

  async function send(method: string, instance: string, i = 0): Promise<void> {
    const res = await fetch(`${gw.url}/metrics/job/plans/instance/${instance}`, { method, body: method === 'DELETE' ? undefined : body(i) });
    expect(res.status).toBe(method === 'DELETE' ? 202 : 200);
  }

  /** Table counters after the gateway's session flushed its own (it does at a transaction end, at most once a second). */
  async function counters(): Promise<Map<string, { seq: number; idxRead: number }>> {
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${gw.url}/-/ready`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    await stats.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await stats.query<{ relname: string; seq: string; idx: string }>(
      `SELECT relname, seq_scan::text AS seq, coalesce(idx_tup_fetch, 0)::text AS idx FROM pg_stat_user_tables WHERE relname = ANY($1)`,
      [TABLES],
    );
    const out = new Map(rows.map((r) => [r.relname, { seq: Number(r.seq), idxRead: Number(r.idx) }]));
    const { rows: idx } = await stats.query<{ relname: string; read: string }>(
      `SELECT relname, sum(idx_tup_read)::text AS read FROM pg_stat_user_indexes WHERE relname = ANY($1) GROUP BY relname`,
      [TABLES],
    );
    for (const r of idx) {
      (out.get(r.relname) as { idxRead: number }).idxRead = Number(r.read);
    }
    return out;
  }

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server')('plan every statement of the push functions once per session (generic plans)', async () => {
    const { rows } = await stats.query<{ proname: string; generic: boolean }>(
      `SELECT proname, coalesce('plan_cache_mode=force_generic_plan' = ANY(proconfig), false) AS generic
       FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'pgw\\_%' ORDER BY proname`,
    );
    expect(rows.map((r) => r.proname)).toEqual([...GENERIC_PLAN_FUNCTIONS].sort());
    expect(rows.filter((r) => !r.generic).map((r) => r.proname)).toEqual([]);
  });

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (pg_stat_user_tables of the embedded engine are not per session)')(
    'scan no table and read a bounded number of index entries per operation',
    async () => {
      // Statistics of an empty store (autovacuum analyzes a new install early), then plans cached
      // while the store is tiny (a generic plan after five executions).
      for (let i = 0; i < 12; i++) {
        await send('PUT', `small-${i}`, i);
      }
      for (let i = 0; i < 12; i++) {
        await send('DELETE', `small-${i}`);
      }
      await stats.query(`ANALYZE ${TABLES.join(', ')}`);
      for (let i = 0; i < 12; i++) {
        await send('PUT', `small-${i}`, i);
      }
      for (let i = 0; i < 8; i++) {
        await send('DELETE', `small-${i}`);
      }
      // The store grows by 600 groups (1800 families, 4800 history series) in the same session.
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < 600) {
            const i = next++;
            await send('PUT', `big-${i}`, i);
          }
        }),
      );
      const before = await counters();
      const ops = 90;
      for (let i = 0; i < ops / 3; i++) {
        await send('PUT', `new-${i}`, i);
        await send('PUT', `big-${i}`, i + 1000);
        await send('DELETE', `big-${300 + i}`);
      }
      const after = await counters();
      const perOp = Object.fromEntries(
        TABLES.map((t) => {
          const b = before.get(t) as { seq: number; idxRead: number };
          const a = after.get(t) as { seq: number; idxRead: number };
          return [t, { seqScans: a.seq - b.seq, indexEntriesPerOp: Math.round((a.idxRead - b.idxRead) / ops) }];
        }),
      );
      process.stdout.write(`per push/delete: ${JSON.stringify(perOp)}\n`);
      // A whole-table plan reads ≥ 600 entries (one per group) per operation; point lookups a few dozen.
      const verdict = (o: { seqScans: number; indexEntriesPerOp: number }): string =>
        o.seqScans === 0 && o.indexEntriesPerOp < 100 ? 'point lookups' : `seq scans ${o.seqScans}, ${o.indexEntriesPerOp} index entries per op`;
      expect(Object.fromEntries(TABLES.map((t) => [t, verdict(perOp[t])]))).toEqual(Object.fromEntries(TABLES.map((t) => [t, 'point lookups'])));
    },
  );
});

/**
 * Membership in a push's array arguments (the series keys it pushes, its family names) must stay a
 * hashed lookup under the generic plans above: tested per row as `x <> ALL(array)`, a push replacing
 * a group of 50,000 series compared every stored series with every pushed key (20-25 s; push.v5.sql).
 * The plans are read with auto_explain, loaded in this test's own session.
 */
describe('the push statement under generic plans: set membership in its arrays is hashed', () => {
  jest.setTimeout(60000);
  let db: TestDatabase;
  let client: Client;
  const plans: string[] = [];

  beforeAll(async () => {
    if (serverUrl() === undefined) {
      return;
    }
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    client.on('notice', (n) => plans.push(n.message ?? ''));
    await client.query(`LOAD 'auto_explain'`);
    for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', `log_level = 'notice'`]) {
      await client.query(`SET auto_explain.${setting}`);
    }
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const exposed = { job: 'plans', instance: 'i' };
  const T = 1_700_000_000_000;

  /**
   * A PUT of series n = 0 .. count-1 of one gauge family, as the repository states it: the history
   * arguments are the gateway's own (HistoryWriter.pushArgs; it needs no database for them).
   */
  function replace(count: number, at: number): { write: PushWrite; history: PushHistoryArgs } {
    const family: MetricFamily = {
      name: 'member',
      help: 'h',
      type: MetricType.GAUGE,
      metric: Array.from({ length: count }, (_, n) => ({
        label: [
          { name: 'instance', value: 'i' },
          { name: 'job', value: 'plans' },
          { name: 'n', value: String(n) },
        ],
        gauge: { value: n },
      })),
    };
    const key = canonicalLabels(exposed);
    const write: PushWrite = {
      group: { tenant: '', groupingKey: key, exposedLabels: exposed, exposedKey: key, labels: exposed },
      mode: 'replace',
      now: at / 1000,
      plan: planPushCheck([family], exposed, [], true),
    };
    const writer = new HistoryWriter(undefined as never, testConfig(db), new HistoryPartitions(undefined as never));
    const history = writer.pushArgs({ tenant: '', exposedLabels: exposed, mode: 'replace', families: write.plan.families, now: write.now });
    return { write, history };
  }

  async function run(count: number, at: number): Promise<string[]> {
    plans.length = 0;
    const { write, history } = replace(count, at);
    const statement = probeStatement(write, history);
    const { rows } = await client.query<PushRow>({ name: statement.name, text: statement.text, values: statement.values });
    expect(wasWritten(rows)).toBe(true);
    return [...plans];
  }

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (auto_explain is loaded into its session)')(
    'ends the series a replacing push drops through a hashed subplan, and ends exactly those',
    async () => {
      await run(30, T);
      const logged = await run(20, T + 1000);
      const ending = logged.filter((p) => p.includes('Update on history_series'));
      const dropping = logged.filter((p) => p.includes('Delete on metric_family'));
      expect(ending).toHaveLength(1);
      expect(dropping).toHaveLength(1);
      for (const plan of [...ending, ...dropping]) {
        expect(plan).toContain('hashed SubPlan');
        expect(plan).not.toMatch(/<> ALL|= ANY/);
      }
      const { rows } = await client.query<{ stale: boolean; n: string }>(
        `SELECT last_stale AS stale, count(*)::text AS n FROM history_series WHERE name = 'member' GROUP BY 1 ORDER BY 1`,
      );
      expect(rows).toEqual([
        { stale: false, n: '20' },
        { stale: true, n: '10' },
      ]);
    },
  );
});
