import { Inject, Injectable } from '@nestjs/common';
import { compareStrings, Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';
import type { LabelMatcher } from 'src/core/promql/series-source';
import { compileMatchers, matchesAll } from 'src/core/promql/matchers';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { Database, Executor } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { PushHistoryArgs, PushToRecord, WriteHooks } from 'src/storage/write-hooks';
import { flattenFamilies, pushTimePoint } from 'src/storage/history-flatten';
import { matchersToSql } from 'src/storage/history-matchers';
import { decodeSortedDbTexts, fromDbLabels, fromDbText, toDbJson, toDbText } from 'src/storage/db-text';

const DAY_MS = 86_400_000;

/** Which series a read may see, and when they must have existed. */
export interface SeriesScope {
  /** Only this tenant's series; undefined: every tenant. */
  tenant?: string;
  /** Inclusive bounds in ms: the series had a sample in, or was present during, [startMs, endMs]. */
  startMs: number;
  endMs: number;
}

/** A series as history_series holds it, with its latest sample. */
export interface HistorySeries {
  id: number;
  /** The full label set, `__name__` included, names in ascending order (shared; do not mutate). */
  labels: Labels;
  /** Canonical key (see seriesKey); its order is the label-set order. */
  key: string;
  lastT: number;
  lastV: number;
  lastStale: boolean;
}

/** Raw samples of one series, ascending by t (ms). */
export interface HistorySamples {
  t: number[];
  v: number[];
  stale: boolean[];
}

/** A daily partition of history_sample. */
export interface HistoryPartition {
  name: string;
  /** Start of its UTC day, ms. */
  dayStartMs: number;
}

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
const ENSURE_PARTITIONS = `SELECT history_ensure_partition(d) FROM unnest($1::bigint[]) AS u(d)`;

/**
 * Samples of the given series in [$2, $3], each series' samples aggregated into packed big-endian
 * int8/float8 columns (far cheaper to transfer and decode than rows). The ordered subquery lets the aggregates
 * consume the (series_id, t) index order instead of sorting inside every aggregate; the reader
 * still checks the order.
 */
const LOAD_RANGE = `
  SELECT x.series_id::float8 AS id, string_agg(int8send(x.t), ''::bytea) AS t, string_agg(float8send(x.v), ''::bytea) AS v,
         string_agg(CASE WHEN x.stale THEN '1' ELSE '0' END, '') AS s
  FROM (
    SELECT series_id, t, v, stale FROM history_sample
    WHERE series_id = ANY($1::bigint[]) AND t >= $2 AND t <= $3
    ORDER BY series_id, t
  ) x
  GROUP BY x.series_id`;

/** The latest sample before $2 of each given series (one index probe per series and partition). */
const LOAD_PREVIOUS = `
  SELECT i.id::float8 AS id, p.t::float8 AS t, p.v, p.stale
  FROM unnest($1::bigint[]) AS i(id)
  CROSS JOIN LATERAL (
    SELECT t, v, stale FROM history_sample WHERE series_id = i.id AND t < $2 ORDER BY t DESC LIMIT 1) p`;

const LIST_PARTITIONS = `
  SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'history_sample'::regclass`;

/** Series that ended before the oldest kept sample: nothing of them is left to query. */
const DELETE_ENDED_SERIES = `DELETE FROM history_series WHERE group_id IS NULL AND last_stale AND last_t < $1`;

const TRY_LEADER = `SELECT pg_try_advisory_xact_lock(hashtextextended('history maintenance', 7)) AS leader`;

/** Series labels and keys never change for an id (ids are never reused), so they are cached. */
const LOAD_SERIES_LABELS = `
  SELECT id::float8 AS id, name, labels, series_key FROM history_series WHERE id = ANY($1::bigint[])`;

const SERIES_CACHE_LIMIT = 2_000_000;
/** Sorted orders kept for selectors answering at least this many series, at most this many selectors. */
const ORDER_CACHE_MIN = 1000;
const ORDER_CACHE_ENTRIES = 16;

/**
 * All SQL on the push history (history_series, history_sample). As WriteHooks it records every
 * push and delete inside the store's own transaction, so history and groups commit together;
 * the read methods serve the query API.
 */
@Injectable()
export class HistoryRepository implements WriteHooks {
  private readonly knownDays = new Set<number>();
  private readonly seriesCache = new Map<number, { labels: Labels; key: string }>();
  private readonly orders = new Map<string, Map<number, number>>();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether samples are appended (HISTORY_ENABLED); otherwise only the series' latest values are kept. */
  get recording(): boolean {
    return this.config.history.enabled;
  }

  /**
   * See WriteHooks.pushArgs: the pushed series (upserted, each with a sample at the push time, never
   * at or before its previous one) and what ends the group's other series (PUT: all not pushed;
   * POST: those of the pushed families not pushed) with a staleness marker each.
   */
  pushArgs(push: PushToRecord): PushHistoryArgs {
    const t = Math.round(push.now * 1000);
    const points = flattenFamilies(push.families);
    points.push(pushTimePoint(push.exposedLabels, push.now));
    const familyList = new Set<string>();
    for (const f of push.families) {
      familyList.add(f.name);
    }
    for (const p of points) {
      familyList.add(p.family);
    }
    return {
      t,
      names: points.map((p) => toDbText(p.name)),
      families: points.map((p) => toDbText(p.family)),
      labels: points.map((p) => toDbJson(p.labels)),
      keys: points.map((p) => toDbText(p.key)),
      values: points.map((p) => p.value),
      familyList: [...familyList].map(toDbText),
      record: this.recording,
      days: this.recording ? this.missingDaysAround(t) : [],
    };
  }

  /** See WriteHooks.pushCommitted: the partitions it created exist from now on. */
  pushCommitted(args: PushHistoryArgs): void {
    args.days.forEach((d) => this.knownDays.add(d));
  }

  /** See WriteHooks.afterDelete: a staleness marker for every series of the groups. */
  async afterDelete(q: Executor, groupIds: string[], now: number): Promise<void> {
    const t = Math.round(now * 1000);
    if (this.recording) {
      await this.ensureDaysAround(q, t);
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

  /** Day starts (ms) of t's day and the next whose partitions are not known to exist. */
  private missingDaysAround(t: number): number[] {
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    return [day, day + DAY_MS].filter((d) => !this.knownDays.has(d));
  }

  /** Makes sure the partitions of t's day and the next exist (rarely more than a cache lookup). */
  private async ensureDaysAround(q: Executor, t: number): Promise<void> {
    const missing = this.missingDaysAround(t);
    if (missing.length > 0) {
      await q.query(ENSURE_PARTITIONS, [missing]);
      missing.forEach((d) => this.knownDays.add(d));
    }
  }

  /**
   * Series matching every matcher, in label-set order, that had a sample in or were present during
   * [scope.startMs, scope.endMs]: present means their latest sample at or before startMs is not a
   * staleness marker. With `presentBefore` false, only series with a sample inside the range.
   * Matchers are applied in SQL where exact, otherwise re-checked here.
   */
  async findSeries(matchers: readonly LabelMatcher[], scope: SeriesScope, presentBefore = true): Promise<HistorySeries[]> {
    const params: unknown[] = [scope.startMs, scope.endMs];
    const { conditions, residual } = matchersToSql(matchers, params);
    const where = [
      's.first_t <= $2',
      presentBefore ? '(s.last_t >= $1 OR NOT s.last_stale)' : 's.last_t >= $1',
      ...(scope.tenant === undefined ? [] : [`s.tenant = $${params.push(scope.tenant)}::text`]),
      ...conditions,
    ];
    // One row of packed big-endian int8/float8 columns: far cheaper for the driver than 100k rows
    // and no number formatting either way. All aggregates of one query level consume the rows in
    // the same order.
    const sql = `
      SELECT string_agg(int8send(s.id), ''::bytea) AS id, string_agg(int8send(s.last_t), ''::bytea) AS t,
             string_agg(float8send(s.last_v), ''::bytea) AS v, string_agg(CASE WHEN s.last_stale THEN '1' ELSE '0' END, '') AS stale
      FROM history_series s WHERE ${where.join(' AND ')}`;
    const [row] = await this.db.query<{ id: Buffer | null; t: Buffer; v: Buffer; stale: string }>(sql, params);
    if (row.id === null) {
      return [];
    }
    const ids = readInt64s(row.id);
    await this.cacheLabels(ids);
    const predicates = compileMatchers(residual);
    const out: HistorySeries[] = [];
    for (let i = 0; i < ids.length; i++) {
      const cached = this.seriesCache.get(ids[i]);
      if (cached !== undefined && (predicates.length === 0 || matchesAll(cached.labels, predicates))) {
        out.push({
          id: ids[i],
          labels: cached.labels,
          key: cached.key,
          lastT: readInt64(row.t, i * 8),
          lastV: row.v.readDoubleBE(i * 8),
          lastStale: row.stale.charCodeAt(i) === 49,
        });
      }
    }
    return this.sorted(out, JSON.stringify([matchers, scope.tenant ?? null, presentBefore]));
  }

  /**
   * Sorts by key. Dashboards repeat the same selectors, so the order of the last large answer per
   * selector is kept: when the same series come back, they are placed in O(n) instead of sorted.
   */
  private sorted(out: HistorySeries[], selector: string): HistorySeries[] {
    const previous = this.orders.get(selector);
    if (previous !== undefined && previous.size === out.length) {
      const placed = new Array<HistorySeries>(out.length);
      let complete = true;
      for (const s of out) {
        const at = previous.get(s.id);
        if (at === undefined || placed[at] !== undefined) {
          complete = false;
          break;
        }
        placed[at] = s;
      }
      if (complete) {
        return placed;
      }
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (out.length >= ORDER_CACHE_MIN) {
      if (this.orders.size >= ORDER_CACHE_ENTRIES) {
        this.orders.delete(this.orders.keys().next().value as string);
      }
      this.orders.set(selector, new Map(out.map((s, i) => [s.id, i])));
    }
    return out;
  }

  /** Loads the labels of series not yet in the cache. */
  private async cacheLabels(ids: number[]): Promise<void> {
    const missing = ids.filter((id) => !this.seriesCache.has(id));
    if (missing.length === 0) {
      return;
    }
    if (this.seriesCache.size + missing.length > SERIES_CACHE_LIMIT) {
      this.seriesCache.clear();
    }
    const rows = await this.db.query<{ id: number; name: string; labels: Labels; series_key: string }>(LOAD_SERIES_LABELS, [missing]);
    for (const r of rows) {
      this.seriesCache.set(r.id, { labels: fullLabels(fromDbText(r.name), fromDbLabels(r.labels)), key: fromDbText(r.series_key) });
    }
  }

  /**
   * Raw samples (staleness markers included) of the series in [startMs, endMs] and, with
   * `includePrevious`, the latest sample before startMs. Series without any are absent.
   */
  async loadSamples(ids: number[], startMs: number, endMs: number, includePrevious: boolean): Promise<Map<number, HistorySamples>> {
    const out = new Map<number, HistorySamples>();
    if (ids.length === 0) {
      return out;
    }
    const [range, previous] = (await Promise.all([
      this.db.query(LOAD_RANGE, [ids, startMs, endMs]),
      includePrevious ? this.db.query(LOAD_PREVIOUS, [ids, startMs]) : Promise.resolve([]),
    ])) as [{ id: number; t: Buffer; v: Buffer; s: string }[], { id: number; t: number; v: number; stale: boolean }[]];
    for (const p of previous) {
      out.set(p.id, { t: [p.t], v: [p.v], stale: [p.stale] });
    }
    for (const r of range) {
      const samples = out.get(r.id) ?? { t: [], v: [], stale: [] };
      for (let i = 0; i < r.s.length; i++) {
        samples.t.push(readInt64(r.t, i * 8));
        samples.v.push(r.v.readDoubleBE(i * 8));
        samples.stale.push(r.s.charCodeAt(i) === 49);
      }
      out.set(r.id, ascending(samples));
    }
    return out;
  }

  /** Distinct label names (`__name__` included) of the series in scope, sorted. */
  async labelNames(scope: SeriesScope): Promise<string[]> {
    const params: unknown[] = [scope.startMs, scope.endMs];
    const sql = `
      SELECT k FROM (
        SELECT DISTINCT jsonb_object_keys(s.labels) AS k FROM history_series s WHERE ${this.scopeWhere(scope, params)}
        UNION SELECT '__name__' FROM history_series s WHERE ${this.scopeWhere(scope, params)}
      ) x ORDER BY k COLLATE "C"`;
    return decodeSortedDbTexts((await this.db.query<{ k: string }>(sql, params)).map((r) => r.k), compareStrings);
  }

  /** Distinct values of one label (`__name__`: metric names) of the series in scope, sorted. */
  async labelValues(name: string, scope: SeriesScope): Promise<string[]> {
    const params: unknown[] = [scope.startMs, scope.endMs];
    const column = name === '__name__' ? 's.name' : `s.labels->>$${params.push(toDbText(name))}::text`;
    const sql = `
      SELECT v FROM (
        SELECT DISTINCT ${column} AS v FROM history_series s
        WHERE ${this.scopeWhere(scope, params)}${name === '__name__' ? '' : ` AND s.labels ? $3::text`}
      ) x ORDER BY v COLLATE "C"`;
    return decodeSortedDbTexts((await this.db.query<{ v: string }>(sql, params)).map((r) => r.v), compareStrings);
  }

  private scopeWhere(scope: SeriesScope, params: unknown[]): string {
    const parts = ['s.first_t <= $2', '(s.last_t >= $1 OR NOT s.last_stale)'];
    if (scope.tenant !== undefined) {
      parts.push(`s.tenant = $${params.push(scope.tenant)}::text`);
    }
    return parts.join(' AND ');
  }

  // ---- maintenance (retention leader) ----

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
  async ensurePartitions(q: Executor, dayStarts: number[]): Promise<void> {
    await q.query(ENSURE_PARTITIONS, [dayStarts]);
    dayStarts.forEach((d) => this.knownDays.add(d));
  }

  /** Every partition of history_sample with the day it holds. */
  async listPartitions(q: Executor): Promise<HistoryPartition[]> {
    const rows = (await q.query(LIST_PARTITIONS)) as { name: string }[];
    return rows.flatMap((r) => {
      const m = /^history_sample_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
      return m ? [{ name: r.name, dayStartMs: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) }] : [];
    });
  }

  /** Drops whole partitions (cheap: no row deletes, no vacuum). */
  async dropPartitions(q: Executor, partitions: HistoryPartition[]): Promise<void> {
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
  async vacuumPartitions(partitions: HistoryPartition[]): Promise<void> {
    for (const p of partitions) {
      await this.db.query(`VACUUM (ANALYZE) "${p.name.replace(/"/g, '')}"`);
    }
  }

  /** Deletes series that ended before `beforeMs` (their samples are all gone). Returns how many. */
  async deleteEndedSeries(q: Executor, beforeMs: number): Promise<number> {
    return q.execute(DELETE_ENDED_SERIES, [beforeMs]);
  }
}

/** A big-endian int8 as a number (exact below 2^53: ids and ms timestamps). */
function readInt64(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset) * 4294967296 + buf.readUInt32BE(offset + 4);
}

function readInt64s(buf: Buffer): number[] {
  const out = new Array<number>(buf.length / 8);
  for (let i = 0; i < out.length; i++) {
    out[i] = readInt64(buf, i * 8);
  }
  return out;
}

/** The samples sorted by t (a no-op check unless the database returned them out of order). */
function ascending(s: HistorySamples): HistorySamples {
  for (let i = 1; i < s.t.length; i++) {
    if (s.t[i] < s.t[i - 1]) {
      const order = s.t.map((_, j) => j).sort((a, b) => s.t[a] - s.t[b]);
      return { t: order.map((j) => s.t[j]), v: order.map((j) => s.v[j]), stale: order.map((j) => s.stale[j]) };
    }
  }
  return s;
}

/** Labels plus `__name__`, names in ascending order (what the evaluator's fast path expects). */
function fullLabels(name: string, labels: Labels): Labels {
  const all: Labels = { ...labels, __name__: name };
  const out: Labels = {};
  for (const n of Object.keys(all).sort(compareStrings)) {
    out[n] = all[n];
  }
  return out;
}
