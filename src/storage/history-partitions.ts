import { Inject, Injectable } from '@nestjs/common';
import { Database, Executor } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';

const DAY_MS = 86_400_000;

/** A daily partition of history_sample. */
export interface HistoryPartition {
  name: string;
  /** Start of its UTC day, ms. */
  dayStartMs: number;
}

const ENSURE_PARTITIONS = `SELECT history_ensure_partition(d) FROM unnest($1::bigint[]) AS u(d)`;

const LIST_PARTITIONS = `
  SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'history_sample'::regclass`;

/** Series that ended before the oldest kept sample: nothing of them is left to query. */
const DELETE_ENDED_SERIES = `DELETE FROM history_series WHERE group_id IS NULL AND last_stale AND last_t < $1`;

const TRY_LEADER = `SELECT pg_try_advisory_xact_lock(hashtextextended('history maintenance', 7)) AS leader`;

/**
 * The daily partitions of history_sample and the retention leader's SQL: which days' partitions
 * are known to exist (so a push creates one only on a new day), creating, listing, dropping and
 * vacuuming them, deleting series that ended before the oldest kept day, and the maintenance lock.
 */
@Injectable()
export class HistoryPartitions {
  private readonly knownDays = new Set<number>();

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Day starts (ms) of t's day and the next whose partitions are not known to exist. */
  missingDaysAround(t: number): number[] {
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    return [day, day + DAY_MS].filter((d) => !this.knownDays.has(d));
  }

  /** Makes sure the partitions of t's day and the next exist (rarely more than a cache lookup). */
  async ensureAround(q: Executor, t: number): Promise<void> {
    const missing = this.missingDaysAround(t);
    if (missing.length > 0) {
      await q.query(ENSURE_PARTITIONS, [missing]);
      missing.forEach((d) => this.knownDays.add(d));
    }
  }

  /** Records that these days' partitions exist (a committed push created them). */
  markKnown(days: readonly number[]): void {
    days.forEach((d) => this.knownDays.add(d));
  }

  /**
   * Runs `fn` in a transaction if this process wins the maintenance lock (a transaction-scoped
   * advisory lock, so no connection is held between runs); returns false without running it when
   * another replica holds the lock. `lock_timeout` keeps DDL from queueing behind long queries
   * (and pushes from queueing behind the DDL).
   */
  async asLeader(fn: (q: Executor) => Promise<void>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [{ leader }] = await tx.query<{ leader: boolean }>(TRY_LEADER);
      if (!leader) {
        return false;
      }
      await tx.query(`SET LOCAL lock_timeout = '5s'`);
      await fn(tx);
      return true;
    });
  }

  /** Creates the daily partitions starting at the given day starts (ms) when missing. */
  async ensure(q: Executor, dayStarts: number[]): Promise<void> {
    await q.query(ENSURE_PARTITIONS, [dayStarts]);
    dayStarts.forEach((d) => this.knownDays.add(d));
  }

  /** Every partition of history_sample with the day it holds. */
  async list(q: Executor): Promise<HistoryPartition[]> {
    const rows = (await q.query(LIST_PARTITIONS)) as { name: string }[];
    return rows.flatMap((r) => {
      const m = /^history_sample_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
      return m ? [{ name: r.name, dayStartMs: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) }] : [];
    });
  }

  /** Drops whole partitions (cheap: no row deletes, no vacuum). */
  async drop(q: Executor, partitions: HistoryPartition[]): Promise<void> {
    for (const p of partitions) {
      await q.query(`DROP TABLE IF EXISTS "${p.name.replace(/"/g, '')}"`);
      this.knownDays.delete(p.dayStartMs);
    }
  }

  /**
   * VACUUM (ANALYZE) of the named partitions, each its own statement outside any transaction: sets
   * the visibility map so range reads of recent days are index-only, and keeps statistics fresh.
   * Missing partitions are skipped.
   */
  async vacuum(partitions: HistoryPartition[]): Promise<void> {
    for (const p of partitions) {
      await this.db.query(`VACUUM (ANALYZE) "${p.name.replace(/"/g, '')}"`);
    }
  }

  /** Deletes series that ended before `beforeMs` (their samples are all gone). Returns how many. */
  async deleteEndedSeries(q: Executor, beforeMs: number): Promise<number> {
    return q.execute(DELETE_ENDED_SERIES, [beforeMs]);
  }
}
