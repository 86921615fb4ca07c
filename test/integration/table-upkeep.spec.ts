import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { Database } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { TableUpkeep } from 'src/storage/table-upkeep.service';

/**
 * Where autovacuum does not run (the embedded engine; a server with it off, here simulated per
 * table so the test means the same on any server), the gateway vacuums the tables pushes churn.
 */
describe('table upkeep where autovacuum does not run', () => {
  jest.setTimeout(120000);
  const CHURNED = ['metric_group', 'metric_family', 'metric_group_tombstone', 'history_series'];
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function churn(gw: InProcessGateway, prefix: string): Promise<void> {
    const body = '# TYPE up_g gauge\nup_g{a="1"} 1\nup_g{a="2"} 2\n# TYPE up_c counter\nup_c 3\n';
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 500) {
          const i = next++;
          for (const method of ['PUT', 'PUT', 'PUT', 'DELETE']) {
            const res = await fetch(`${gw.url}/metrics/job/upkeep/instance/${prefix}${i}`, { method, body: method === 'DELETE' ? undefined : body });
            expect(res.status).toBe(method === 'DELETE' ? 202 : 200);
          }
        }
      }),
    );
  }

  /** Dead rows and vacuums per table, after the gateway's session flushed its counters (at a transaction end, at most once a second). */
  async function tableStats(gw: InProcessGateway): Promise<Record<string, { dead: number; vacuums: number }>> {
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${gw.url}/-/ready`)).status).toBe(200);
    const database = gw.app.get<symbol, Database>(DATABASE);
    const rows = (await database.query(
      `SELECT relname, n_dead_tup::int AS dead, vacuum_count::int AS vacuums FROM pg_stat_user_tables WHERE relname = ANY($1)`,
      [CHURNED],
    )) as { relname: string; dead: number; vacuums: number }[];
    return Object.fromEntries(rows.map((r) => [r.relname, { dead: r.dead, vacuums: r.vacuums }]));
  }

  it('vacuums the churned tables once they hold enough dead rows, and only then', async () => {
    const gw = await startInProcess(db, { DB_POOL_SIZE: '2' });
    const database = gw.app.get<symbol, Database>(DATABASE);
    const upkeep = gw.app.get(TableUpkeep);
    try {
      for (const t of CHURNED) {
        await database.query(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
      }
      // Nothing is due in an empty store (the pass at start found the same; the next is a minute away).
      expect(await upkeep.run()).toEqual({ vacuumed: [], analyzed: [] });
      await churn(gw, 'a');
      const before = await tableStats(gw);
      // 500 groups pushed three times and deleted: up to 1500 dead group rows and 3000 dead family
      // rows (page pruning reclaims some), past the 500 that make an empty table due.
      expect([before.metric_group.vacuums, before.metric_family.vacuums]).toEqual([0, 0]);
      expect(before.metric_group.dead).toBeGreaterThanOrEqual(700);
      expect(before.metric_family.dead).toBeGreaterThanOrEqual(700);
      const report = await upkeep.run();
      expect(report?.vacuumed).toEqual(expect.arrayContaining(['metric_group', 'metric_family']));
      const after = await tableStats(gw);
      expect([after.metric_group, after.metric_family]).toEqual([
        { dead: 0, vacuums: 1 },
        { dead: 0, vacuums: 1 },
      ]);
      // Nothing left to do: the next pass touches nothing.
      expect(await upkeep.run()).toEqual({ vacuumed: [], analyzed: [] });
    } finally {
      await gw.close();
    }
  });

  it('does nothing with DB_UPKEEP=off', async () => {
    const gw = await startInProcess(db, { DB_UPKEEP: 'off', DB_POOL_SIZE: '2' });
    try {
      expect(await gw.app.get(TableUpkeep).run()).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
