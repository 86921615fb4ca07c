import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { HistoryPartition, HistoryPartitions } from 'src/storage/history-partitions';
import { HistoryWriter } from 'src/storage/history-writer';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';
import { parseText } from 'src/core/exposition/text-parser';
import { encodeHeader } from 'src/core/exposition/text-encoder';

const DAY_MS = 86_400_000;
/** Delay before a failed pass is tried again. */
const RETRY_AFTER_FAILURE_MS = 5_000;
const INTERVAL_MS = 10 * 60_000;
/** Partitions are created this many days ahead, so writers practically never create one. */
const DAYS_AHEAD = 2;
/** Groups recorded per pass when upgrading a store that predates the history. */
const BACKFILL_BATCH = 500;

/** What one maintenance pass did; undefined when another replica was the leader. */
export interface MaintenanceReport {
  createdThrough: number;
  dropped: string[];
  deletedSeries: number;
  /** Samples before this time (ms) are gone. */
  keptFromMs: number;
  /** Groups pushed before the history existed whose current series were recorded in this pass. */
  backfilledGroups: number;
}

/**
 * History retention (DESIGN §5: one replica at a time). Every ten minutes, and once at start, the
 * replica that wins a transaction-scoped advisory lock creates the next days' partitions, drops
 * every daily partition that ends before now − HISTORY_RETENTION (so data is kept between the
 * retention and the retention plus one day), and deletes the series that ended before the oldest
 * kept day. Series still held by a group are never deleted: they stay present with their latest value.
 * It also records the current series of groups pushed before the history existed (an upgrade),
 * a batch per pass, so they are queryable without waiting for their next push, and vacuums
 * yesterday's and today's partitions (index-only range reads, fresh statistics).
 */
@Injectable()
export class HistoryMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('History');
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly partitions: HistoryPartitions,
    private readonly history: HistoryWriter,
    private readonly groups: MetricGroupRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runLogged();
    this.timer = setInterval(() => void this.runLogged(), INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    clearTimeout(this.retry);
  }

  /** One pass at `nowMs` (tests pass a future time to exercise retention). */
  async run(nowMs: number): Promise<MaintenanceReport | undefined> {
    let report: MaintenanceReport | undefined;
    let recent: HistoryPartition[] = [];
    const leader = await this.partitions.asLeader(async (q) => {
      const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
      const ahead = Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i * DAY_MS);
      if (this.history.recording) {
        await this.partitions.ensure(q, ahead);
      }
      const keptFromMs = Math.floor((nowMs - this.config.history.retentionMs) / DAY_MS) * DAY_MS;
      const old = (await this.partitions.list(q)).filter((p) => p.dayStartMs < keptFromMs);
      await this.partitions.drop(q, old);
      const deletedSeries = await this.partitions.deleteEndedSeries(q, keptFromMs);
      report = { createdThrough: ahead[ahead.length - 1], dropped: old.map((p) => p.name), deletedSeries, keptFromMs, backfilledGroups: 0 };
      recent = (await this.partitions.list(q)).filter((p) => p.dayStartMs >= today - DAY_MS && p.dayStartMs <= today);
    });
    if (leader && report !== undefined) {
      // Outside the leader's transaction: it needs other connections (the embedded engine has one),
      // and each group's statement is safe on its own.
      report.backfilledGroups = await this.backfill();
      await this.partitions.vacuum(recent);
    }
    return report;
  }

  private async backfill(): Promise<number> {
    const ids = await this.history.unrecordedGroups(BACKFILL_BATCH);
    for (const g of await this.groups.loadGroups(ids)) {
      const families = g.families.flatMap((f) => parseText(encodeHeader(f.name, f.help, f.type) + f.exposition));
      await this.history.backfillGroup({ id: g.id, tenant: g.tenant, exposedLabels: g.exposedLabels, pushTime: g.pushTime, families });
    }
    return ids.length;
  }

  private async runLogged(): Promise<void> {
    try {
      const report = await this.run(Date.now());
      if (report !== undefined && (report.dropped.length > 0 || report.deletedSeries > 0)) {
        this.logger.log(`retention: dropped ${report.dropped.join(', ') || 'no partitions'}, deleted ${report.deletedSeries} ended series`);
      }
      if (report !== undefined && report.backfilledGroups > 0) {
        this.logger.log(`recorded the current series of ${report.backfilledGroups} groups pushed before the history existed`);
      }
    } catch (error) {
      // Retried on the next tick; a lock timeout behind a long query is the usual cause.
      this.logger.warn(`history maintenance failed: ${(error as Error).message}`);
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
