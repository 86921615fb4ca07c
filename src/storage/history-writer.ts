import { Inject, Injectable } from '@nestjs/common';
import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { Database, Executor } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { flattenFamilies, flattenSteps, pushTimePoint } from 'src/storage/history-flatten';
import { runAll, runPaused, Steps } from 'src/core/model/steps';
import { HistoryPartitions } from 'src/storage/history-partitions';
import { toDbJson, toDbText } from 'src/storage/db-text';

/** Ends every series of the deleted groups. $1 group ids, $2 time (ms), $3 record samples? */
const END_GROUPS = `
  WITH ended AS (
    UPDATE history_series s
    SET group_id = NULL, last_t = GREATEST($2, s.last_t + 1), last_v = 'NaN', last_stale = true
    WHERE s.group_id = ANY($1::bigint[])
    RETURNING s.id, s.last_t
  )
  INSERT INTO history_sample (series_id, t, v, stale) SELECT id, last_t, 'NaN', true FROM ended WHERE $3`;

/** Groups pushed before the history existed (an upgrade): they have no series at all. */
const UNRECORDED_GROUPS = `
  SELECT g.id::text AS id FROM metric_group g
  WHERE g.push_time > 0 AND NOT EXISTS (SELECT 1 FROM history_series s WHERE s.group_id = g.id)
  ORDER BY g.id LIMIT $1`;

/**
 * Records the current series of a group that has none, with their latest value at the group's
 * push time (no sample rows: the series row is what "present until replaced" reads). Skips
 * everything when a push recorded the group meanwhile, and any series a concurrent push wrote
 * (ON CONFLICT DO NOTHING), so it never overwrites newer data. $1 tenant, $2 group id, $3 time
 * (ms), $4..$8 per series: names, families, labels (JSON), keys, values (as pgw_push's h_* arrays).
 */
const BACKFILL_GROUP = `
  INSERT INTO history_series (tenant, name, family, labels, series_key, group_id, first_t, last_t, last_v, last_stale)
  SELECT $1, u.name, u.family, u.labels::jsonb, u.key, $2, $3, $3, u.v, false
  FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::float8[]) AS u(name, family, labels, key, v)
  WHERE NOT EXISTS (SELECT 1 FROM history_series s WHERE s.group_id = $2)
  ON CONFLICT (tenant, series_key) DO NOTHING`;

/** One push about to be written. */
export interface PushToRecord {
  tenant: string;
  /** The group's exposed labels (its `push_time_seconds` series carries them). */
  exposedLabels: Labels;
  mode: 'replace' | 'merge';
  /** The sanitised families as stored. */
  families: MetricFamily[];
  /** Unix seconds (the push time). */
  now: number;
}

/**
 * The history part of the push statement (pgw_push's h_* parameters, see the AddOneStatementPush
 * migration), so history and group commit together in the push's single statement.
 */
export interface PushHistoryArgs {
  t: number;
  names: string[];
  families: string[];
  labels: string[];
  keys: string[];
  values: number[];
  familyList: string[];
  record: boolean;
  /** Partition day starts (ms) to create first; empty when known to exist. */
  days: number[];
}

/** Series between two steps of a push's history arguments (pushArgsPaused). */
const ARG_SLICE_POINTS = 4000;

/**
 * The write side of the push history (history_series, history_sample). It gives every push the
 * history arguments of its one statement (push-statements.ts) and ends the series of deleted groups
 * inside the store's own transaction (MetricGroupRepository calls it), so history and groups
 * commit together.
 * It also backfills groups pushed before the history existed. Reads: HistoryReader; partitions
 * and retention: HistoryPartitions.
 */
@Injectable()
export class HistoryWriter {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly partitions: HistoryPartitions,
  ) {}

  /** Whether samples are appended (HISTORY_ENABLED); otherwise only the series' latest values are kept. */
  get recording(): boolean {
    return this.config.history.enabled;
  }

  /**
   * The history part of a push's statement: the pushed series (upserted, each with a sample at the push time, never
   * at or before its previous one) and what ends the group's other series (PUT: all not pushed;
   * POST: those of the pushed families not pushed) with a staleness marker each.
   */
  pushArgs(push: PushToRecord): PushHistoryArgs {
    return runAll(this.pushArgSteps(push));
  }

  /** pushArgs with `pause` awaited every few thousand series (a large push; see runPaused). */
  pushArgsPaused(push: PushToRecord, pause: () => Promise<void>): Promise<PushHistoryArgs> {
    return runPaused(this.pushArgSteps(push), pause);
  }

  private *pushArgSteps(push: PushToRecord): Steps<PushHistoryArgs> {
    const t = Math.round(push.now * 1000);
    const points = yield* flattenSteps(push.families);
    points.push(pushTimePoint(push.exposedLabels, push.now));
    const familyList = new Set<string>();
    for (const f of push.families) {
      familyList.add(f.name);
    }
    const n = points.length;
    const names = new Array<string>(n);
    const families = new Array<string>(n);
    const labels = new Array<string>(n);
    const keys = new Array<string>(n);
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % ARG_SLICE_POINTS === 0) {
        yield;
      }
      const p = points[i];
      familyList.add(p.family);
      names[i] = toDbText(p.name);
      families[i] = toDbText(p.family);
      labels[i] = toDbJson(p.labels);
      keys[i] = toDbText(p.key);
      values[i] = p.value;
    }
    return {
      t,
      names,
      families,
      labels,
      keys,
      values,
      familyList: [...familyList].map(toDbText),
      record: this.recording,
      days: this.recording ? this.partitions.missingDaysAround(t) : [],
    };
  }

  /** The push carrying these arguments committed: the partitions it created exist from now on. */
  pushCommitted(args: PushHistoryArgs): void {
    this.partitions.markKnown(args.days);
  }

  /**
   * Groups deleted (DELETE, wipe, expiry) in `q`'s transaction: a staleness marker at `now` (Unix
   * seconds) for every series of the groups. Throwing rolls the delete back.
   */
  async afterDelete(q: Executor, groupIds: string[], now: number): Promise<void> {
    const t = Math.round(now * 1000);
    if (this.recording) {
      await this.partitions.ensureAround(q, t);
    }
    await q.query(END_GROUPS, [groupIds, t, this.recording]);
  }

  /** Ids of up to `limit` groups with a successful push but no recorded series. */
  async unrecordedGroups(limit: number): Promise<string[]> {
    return (await this.db.query<{ id: string }>(UNRECORDED_GROUPS, [limit])).map((r) => r.id);
  }

  /** Records a group's current families as of its push time, in its own statement (see BACKFILL_GROUP). */
  async backfillGroup(group: { id: string; tenant: string; exposedLabels: Labels; pushTime: number; families: MetricFamily[] }): Promise<void> {
    const points = [...flattenFamilies(group.families), pushTimePoint(group.exposedLabels, group.pushTime)];
    await this.db.query(BACKFILL_GROUP, [
      group.tenant,
      group.id,
      Math.round(group.pushTime * 1000),
      points.map((p) => toDbText(p.name)),
      points.map((p) => toDbText(p.family)),
      points.map((p) => toDbJson(p.labels)),
      points.map((p) => toDbText(p.key)),
      points.map((p) => p.value),
    ]);
  }
}
