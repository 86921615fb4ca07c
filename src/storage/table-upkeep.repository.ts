import { Inject, Injectable } from '@nestjs/common';
import { Database, Executor } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';

/** Counters of one table from pg_stat_user_tables, and whether autovacuum looks after it. */
export interface TableChurn {
  name: string;
  live: number;
  dead: number;
  /** Rows changed since the last ANALYZE. */
  modified: number;
  autovacuum: boolean;
}

const TABLE_CHURN = `
  SELECT s.relname AS name, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead,
         s.n_mod_since_analyze::float8 AS modified,
         current_setting('autovacuum') = 'on'
           AND coalesce((SELECT o.option_value FROM pg_options_to_table(c.reloptions) o
                         WHERE o.option_name = 'autovacuum_enabled'), 'true') <> 'false' AS autovacuum
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
  WHERE s.schemaname = current_schema() AND s.relname = ANY($1::text[])`;

const TRY_LOCK = `SELECT pg_try_advisory_lock(hashtextextended('table upkeep', 7)) AS locked`;
const UNLOCK = `SELECT pg_advisory_unlock(hashtextextended('table upkeep', 7))`;
const TABLE_NAME = /^[a-z_]+$/;

/** The statements of TableUpkeep, on one pooled connection (VACUUM cannot run in a transaction). */
export interface UpkeepSession {
  churn(tables: readonly string[]): Promise<TableChurn[]>;
  vacuumAnalyze(table: string): Promise<void>;
  analyze(table: string): Promise<void>;
}

@Injectable()
export class TableUpkeepRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Runs fn on one connection holding the upkeep's session advisory lock, or returns undefined
   * when another replica holds it. `costDelayMs` throttles VACUUM as vacuum_cost_delay does.
   */
  async asLeader<T>(costDelayMs: number, fn: (session: UpkeepSession) => Promise<T>): Promise<T | undefined> {
    // If the connection breaks, the server ends the session and with it the lock.
    return this.db.session(async (s) => {
      const [{ locked }] = await s.query<{ locked: boolean }>(TRY_LOCK);
      if (!locked) {
        return undefined;
      }
      try {
        await s.query(`SET vacuum_cost_delay = ${Math.max(0, Math.floor(costDelayMs))}`);
        return await fn(session(s));
      } finally {
        await s.query('RESET vacuum_cost_delay');
        await s.query(UNLOCK);
      }
    });
  }
}

function session(s: Executor): UpkeepSession {
  const checked = (table: string): string => {
    if (!TABLE_NAME.test(table)) {
      throw new Error(`not a table name: ${JSON.stringify(table)}`);
    }
    return table;
  };
  return {
    churn: (tables) => s.query<TableChurn>(TABLE_CHURN, [tables]),
    vacuumAnalyze: async (table) => void (await s.query(`VACUUM (ANALYZE) ${checked(table)}`)),
    analyze: async (table) => void (await s.query(`ANALYZE ${checked(table)}`)),
  };
}
