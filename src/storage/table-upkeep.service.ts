import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { Database } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { TableUpkeepRepository } from 'src/storage/table-upkeep.repository';

/** Tables whose rows pushes and deletes rewrite (history_sample is insert-only; see HistoryMaintenance). */
const CHURNED_TABLES = ['metric_group', 'metric_family', 'metric_group_tombstone', 'history_series'];
/** Delay before a failed pass is tried again. */
const RETRY_AFTER_FAILURE_MS = 5_000;
const INTERVAL_MS = 60_000;
/** Dead rows (or rows changed since the last ANALYZE) that make a table due: this plus 10% of its live rows. */
const BASE_THRESHOLD = 500;
const SCALE = 0.1;

/** What one pass did: the tables vacuumed (and analyzed) and those only analyzed. */
export interface UpkeepReport {
  vacuumed: string[];
  analyzed: string[];
}

/**
 * VACUUM and ANALYZE of the tables pushes churn, where autovacuum does not do it: the embedded
 * engine has no background workers at all, and a server may run with autovacuum off (globally or
 * for these tables). Without it every replaced row stays behind as a dead one, the tables and
 * their indexes grow without bound, and the planner keeps statistics from when the store was
 * empty. Every minute and at start, one replica at a time (a session advisory lock) checks the
 * tables' counters and vacuums those with more than 500 + 10% dead rows, analyzes those with as
 * many changes since their last ANALYZE, throttled like autovacuum on a server. DB_UPKEEP=always
 * does this even beside autovacuum, off never.
 */
@Injectable()
export class TableUpkeep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Storage');
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: TableUpkeepRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.dbUpkeep === 'off') {
      return;
    }
    void this.runLogged();
    this.timer = setInterval(() => void this.runLogged(), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.running;
  }

  /** One pass; undefined when upkeep is off or another replica holds the lock. */
  run(): Promise<UpkeepReport | undefined> {
    const pass = this.running.then(() => this.pass());
    this.running = pass.catch(() => undefined);
    return pass;
  }

  private async pass(): Promise<UpkeepReport | undefined> {
    if (this.config.dbUpkeep === 'off') {
      return undefined;
    }
    // Throttled as autovacuum is by default (2 ms pause per 200 pages' worth of work), so a large
    // vacuum runs beside pushes instead of taking a core from them. Not on the embedded engine:
    // its one connection is held until the vacuum ends, and pushes wait for it.
    return this.repository.asLeader(this.db.kind === 'embedded' ? 0 : 2, async (session) => {
      const report: UpkeepReport = { vacuumed: [], analyzed: [] };
      for (const t of await session.churn(CHURNED_TABLES)) {
        if (this.config.dbUpkeep === 'auto' && this.db.kind !== 'embedded' && t.autovacuum) {
          continue;
        }
        const threshold = BASE_THRESHOLD + SCALE * t.live;
        if (t.dead >= threshold) {
          await session.vacuumAnalyze(t.name);
          report.vacuumed.push(t.name);
        } else if (t.modified >= threshold) {
          await session.analyze(t.name);
          report.analyzed.push(t.name);
        }
      }
      return report;
    });
  }

  private async runLogged(): Promise<void> {
    try {
      const report = await this.run();
      if (report !== undefined && report.vacuumed.length + report.analyzed.length > 0) {
        this.logger.debug(`upkeep: vacuumed ${report.vacuumed.join(', ') || 'nothing'}, analyzed ${report.analyzed.join(', ') || 'nothing'}`);
      }
    } catch (error) {
      // Retried on the next tick (a lock timeout, or a user without the right to VACUUM).
      this.logger.warn(`table upkeep failed: ${(error as Error).message}`);
      // Soon again rather than a whole interval later: after a database outage the duty resumes
      // (on whichever replica wins the lock) within seconds.
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        void this.runLogged();
      }, RETRY_AFTER_FAILURE_MS);
      this.retry.unref();
    }
  }
}
