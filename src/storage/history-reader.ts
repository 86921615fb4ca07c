import { Inject, Injectable } from '@nestjs/common';
import { compareStrings, Labels, labelValue } from 'src/core/model/labels';
import type { LabelMatcher, LoadBudget, Sample } from 'src/core/promql/series-source';
import { compileMatchers, matchesAll } from 'src/core/promql/matchers';
import { sortAsync } from 'src/core/promql/async-sort';
import { PromqlEvalError } from 'src/core/promql/errors';
import { CHECKPOINT_EVERY } from 'src/core/promql/query-budget';
import { QueryResultRow } from 'pg';
import { Database } from 'src/storage/database';
import { sqlStateOf } from 'src/storage/database-errors';
import { SeriesLabelCache, SeriesLabels } from 'src/storage/history-read-caches';
import { DATABASE } from 'src/storage/storage.tokens';
import { matchersToSql } from 'src/storage/history-matchers';
import { DB_TEXT_ESCAPE, decodeSortedDbTexts, fromDbLabels, fromDbText, toDbText } from 'src/storage/db-text';

/**
 * A time in ms as a bigint parameter. PromQL can name times no sample can have (`x @ 1e18` is 1e21
 * ms, beyond bigint, which failed the statement with a 500); those are held to JavaScript's date
 * range (±8.64e15 ms, ±275,760 years), which selects the same nothing.
 */
function dbMs(ms: number): number {
  return Math.min(Math.max(ms, -8.64e15), 8.64e15);
}

/** The pause between slices of a sort: the budget's checkpoint, or nothing without a budget. */
function pauseOf(budget: LoadBudget | undefined): () => Promise<void> {
  return () => budget?.checkpoint() ?? Promise.resolve();
}

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
  /**
   * When the series' group has a TTL and expired by the end of the scope but the leader has not
   * removed it yet: its expiry (ms), where the leader will write the staleness marker. Readers
   * treat the series as ended there (issue 11: gone from the query API exactly at expiry).
   */
  expiresT?: number;
}

/** How a read of the query API is bounded. */
export interface ReadOptions {
  /** The query's budget: statements get its remaining time, pages its checkpoints. */
  budget?: LoadBudget;
  /** Read at most this many series (when SQL can apply it: see findSeries). */
  limit?: number;
}

/** Options of labelNames and labelValues. */
export interface LabelReadOptions {
  /** Only series matching any of these matcher lists; none: all series in scope. */
  matchers?: readonly (readonly LabelMatcher[])[];
  /** At most this many values (the first ones in order); undefined or Infinity: all. */
  limit?: number;
  budget?: LoadBudget;
}

/** Sorted values, and whether a limit cut some off. */
export interface LabelAnswer {
  values: string[];
  truncated: boolean;
}

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

/**
 * LOAD_RANGE for a dense page of ids (see isDense), $4..$5 the page's lowest and highest id: the
 * index is read over that id range and the list only filters. (With the list as index condition
 * the planner costs one index descent per listed id, and for a page of thousands prefers a
 * sequential scan of the whole partition, page after page.)
 */
const LOAD_RANGE_DENSE = `
  SELECT x.series_id::float8 AS id, string_agg(int8send(x.t), ''::bytea) AS t, string_agg(float8send(x.v), ''::bytea) AS v,
         string_agg(CASE WHEN x.stale THEN '1' ELSE '0' END, '') AS s
  FROM (
    SELECT series_id, t, v, stale FROM history_sample
    WHERE series_id >= $4 AND series_id <= $5 AND (series_id + 0) = ANY($1::bigint[]) AND t >= $2 AND t <= $3
    ORDER BY series_id, t
  ) x
  GROUP BY x.series_id`;

/** The latest sample before $2 of each given series (one index probe per series and partition). */
const LOAD_PREVIOUS = `
  SELECT i.id::float8 AS id, p.t::float8 AS t, p.v, p.stale
  FROM unnest($1::bigint[]) AS i(id)
  CROSS JOIN LATERAL (
    SELECT t, v, stale FROM history_sample WHERE series_id = i.id AND t < $2 ORDER BY t DESC LIMIT 1) p`;

/** Series labels and keys never change for an id (ids are never reused), so they are cached. */
const LOAD_SERIES_LABELS = `
  SELECT id::float8 AS id, name, labels, series_key FROM history_series WHERE id = ANY($1::bigint[])`;
/** LOAD_SERIES_LABELS for a dense page of ids, $2..$3 its id bounds (see LOAD_RANGE_DENSE). */
const LOAD_SERIES_LABELS_DENSE = `
  SELECT id::float8 AS id, name, labels, series_key FROM history_series WHERE id >= $2 AND id <= $3 AND (id + 0) = ANY($1::bigint[])`;
/** A page of ascending ids is dense when its id span is at most this many times its length. */
const DENSE_SPAN = 8;

/**
 * Estimated bytes of series labels kept across queries (about 200k series of a few short labels):
 * a query over more series loads the rest again, and nothing it loaded stays beyond this.
 */
const SERIES_CACHE_BYTES = 64 * 1024 * 1024;
/** Series ids per statement loading labels. */
const LABEL_PAGE = 10_000;
/** SQLSTATE of a statement canceled by statement_timeout. */
const STATEMENT_CANCELED = '57014';

/**
 * The read side of the push history for the query API: series by matchers (whole, or page by
 * page), their samples, label names and values, each read bounded by the query's budget, with a
 * byte-bounded cache of series labels. HistorySeriesSource adapts it to the PromQL evaluator's
 * SeriesSource. Writes: HistoryWriter; partitions: HistoryPartitions.
 *
 * No step holds the event loop for the size of a selection: series arrive from PostgreSQL in rows
 * of PACKED_ROW_SERIES, and every loop over a whole selection awaits the budget's checkpoint every
 * CHECKPOINT_EVERY items (without a budget, nothing yields).
 */
@Injectable()
export class HistoryReader {
  private readonly seriesCache = new SeriesLabelCache(SERIES_CACHE_BYTES);

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Series matching every matcher, in label-set order, that had a sample in or were present during
   * [scope.startMs, scope.endMs]: present means their latest sample at or before startMs is not a
   * staleness marker. With `presentBefore` false, only series with a sample inside the range.
   * Matchers are applied in SQL where exact, otherwise re-checked here. With `opts.limit` and
   * matchers SQL expresses exactly, at most that many series are read, the first ones in series-key
   * order (byte order of the key, i.e. label-set order; see seriesKey); otherwise all are read.
   * Labels are loaded in pages; `opts.budget` bounds each statement by the query's remaining time
   * and is checkpointed between pages (throws PromqlEvalError('timeout'/'canceled') through).
   */
  async findSeries(matchers: readonly LabelMatcher[], scope: SeriesScope, presentBefore = true, opts: ReadOptions = {}): Promise<HistorySeries[]> {
    return this.inKeyOrder(await this.matchingSeries(matchers, scope, presentBefore, opts, true), opts.budget);
  }

  /**
   * Series matching any of the matcher lists (each as findSeries with `presentBefore`), each once,
   * in label-set order (series with equal keys, of different tenants, in id order). With
   * `opts.limit`, each list's read may be cut as in findSeries.
   */
  async findSeriesOfAny(sets: readonly (readonly LabelMatcher[])[], scope: SeriesScope, opts: ReadOptions = {}): Promise<HistorySeries[]> {
    if (sets.length === 1) {
      return this.findSeries(sets[0], scope, true, opts);
    }
    const seen = new Set<number>();
    const out: HistorySeries[] = [];
    for (const matchers of sets) {
      const found = await this.matchingSeries(matchers, scope, true, opts, true);
      for (let i = 0; i < found.length; i++) {
        if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
          await opts.budget?.checkpoint();
        }
        if (!seen.has(found[i].id)) {
          seen.add(found[i].id);
          out.push(found[i]);
        }
      }
    }
    return sortAsync(out, byKey, pauseOf(opts.budget));
  }

  /**
   * What findSeries selects, in series-key order as PostgreSQL sorts the stored keys when `ordered`
   * (see inKeyOrder), else in no particular order (no sort at all).
   */
  private async matchingSeries(
    matchers: readonly LabelMatcher[],
    scope: SeriesScope,
    presentBefore: boolean,
    opts: ReadOptions,
    ordered: boolean,
  ): Promise<HistorySeries[]> {
    const params: unknown[] = [dbMs(scope.startMs), dbMs(scope.endMs)];
    const { where, residual } = seriesWhere(matchers, scope, presentBefore, params);
    const limit = ordered && opts.limit !== undefined && Number.isFinite(opts.limit) && residual.length === 0 ? `$${params.push(opts.limit)}` : undefined;
    const packed = await this.readPacked(packedSql(where, ordered, limit), params, opts.budget);
    return this.seriesOf(packed, 0, packed.ids.length, compileMatchers(residual), opts.budget);
  }

  /**
   * What findSeries returns, as consecutive pages of about `pageSize` series in series-key order
   * (sorted by PostgreSQL; that is findSeries' label-set order except where a value holds the
   * db-text escape or characters beyond U+FFFF). One statement reads the id and latest sample of
   * every matching series (25 bytes each); labels are loaded a page at a time, when the consumer
   * asks for the next page, so a large selection is never held whole.
   */
  async *seriesPages(
    matchers: readonly LabelMatcher[],
    scope: SeriesScope,
    presentBefore: boolean,
    pageSize: number,
    budget?: LoadBudget,
    only?: readonly string[],
  ): AsyncGenerator<HistorySeries[]> {
    const params: unknown[] = [dbMs(scope.startMs), dbMs(scope.endMs)];
    const { where, residual } = seriesWhere(matchers, scope, presentBefore, params);
    const packed = await this.readPacked(packedSql(where, true), params, budget);
    const predicates = compileMatchers(residual);
    // Matchers checked here read every label; otherwise only the labels asked for are loaded.
    const project = only !== undefined && residual.length === 0 ? only : undefined;
    for (let at = 0; at < packed.ids.length; at += pageSize) {
      const to = Math.min(at + pageSize, packed.ids.length);
      yield project === undefined ? await this.seriesOf(packed, at, to, predicates, budget) : await this.projectedSeriesOf(packed, at, to, project, budget);
    }
  }

  /** Runs a packedSql statement and decodes its rows in order, one row between two checkpoints. */
  private async readPacked(sql: string, params: unknown[], budget: LoadBudget | undefined): Promise<PackedSeries> {
    const rows = await this.read<PackedRow>(sql, params, budget);
    const n = rows.reduce((sum, r) => sum + r.stale.length, 0);
    const packed = { ids: [] as number[], t: new Float64Array(n), v: new Float64Array(n), stale: new Uint8Array(n), e: new Float64Array(n) };
    let at = 0;
    for (const r of rows) {
      for (let i = 0; i < r.stale.length; i++, at++) {
        packed.ids.push(readInt64(r.id, i * 8));
        packed.t[at] = readInt64(r.t, i * 8);
        packed.v[at] = r.v.readDoubleBE(i * 8);
        packed.stale[at] = r.stale.charCodeAt(i) === 49 ? 1 : 0;
        packed.e[at] = readInt64(r.e, i * 8);
      }
      await budget?.checkpoint();
    }
    return packed;
  }

  /** HistorySeries of packed rows [from, to) with only the labels named in `only` (and no key). */
  private async projectedSeriesOf(
    packed: PackedSeries,
    from: number,
    to: number,
    only: readonly string[],
    budget: LoadBudget | undefined,
  ): Promise<HistorySeries[]> {
    const ids = packed.ids.slice(from, to);
    const byId = new Map<number, Labels>();
    if (only.length > 0) {
      const params: unknown[] = [ids];
      const columns = only.map((n) => (n === '__name__' ? 's.name' : `s.labels->>$${params.push(toDbText(n))}::text`));
      const rows = await this.read<{ id: number; v: (string | null)[] }>(
        `SELECT s.id::float8 AS id, ARRAY[${columns.join(', ')}]::text[] AS v FROM history_series s WHERE s.id = ANY($1::bigint[])`,
        params,
        budget,
      );
      for (const r of rows) {
        const labels: Labels = {};
        r.v.forEach((v, i) => {
          if (v !== null && v !== '') {
            labels[only[i]] = fromDbText(v);
          }
        });
        byId.set(r.id, labels);
      }
    }
    const out: HistorySeries[] = [];
    for (let i = 0; i < ids.length; i++) {
      const labels = only.length === 0 ? {} : byId.get(ids[i]);
      if (labels === undefined) {
        continue;
      }
      out.push(seriesAt(packed, from + i, labels, ''));
    }
    await budget?.checkpoint();
    return out;
  }

  /** HistorySeries of packed rows [from, to) whose labels pass `predicates`, in row order. */
  private async seriesOf(
    packed: PackedSeries,
    from: number,
    to: number,
    predicates: ReturnType<typeof compileMatchers>,
    budget: LoadBudget | undefined,
  ): Promise<HistorySeries[]> {
    const ids = from === 0 && to === packed.ids.length ? packed.ids : packed.ids.slice(from, to);
    const labels = await this.labelsOf(ids, predicates, budget);
    const out: HistorySeries[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await budget?.checkpoint();
      }
      const known = labels[i];
      if (known !== undefined) {
        out.push(seriesAt(packed, from + i, known.labels, known.key));
      }
    }
    return out;
  }

  /**
   * The series sorted by key. PostgreSQL sorted them by stored key (see packedSql), which is the
   * same order except where a key holds the db-text escape or a character beyond U+FFFF (UTF-8
   * byte order versus JavaScript's UTF-16 order): checked here, and only then sorted (in slices,
   * see sortAsync; stable, so equal keys stay in id order).
   */
  private async inKeyOrder(out: HistorySeries[], budget: LoadBudget | undefined): Promise<HistorySeries[]> {
    for (let i = 1; i < out.length; i++) {
      if (i % CHECKPOINT_EVERY === 0) {
        await budget?.checkpoint();
      }
      if (out[i - 1].key > out[i].key) {
        return sortAsync(out, byKey, pauseOf(budget));
      }
    }
    return out;
  }

  /**
   * Labels and key of each id whose labels pass `predicates` (undefined for the others and for an
   * id no longer stored), from the cache or loaded in pages of LABEL_PAGE ids. Loaded entries are
   * cached (within SERIES_CACHE_BYTES), but the answer never depends on what the cache kept.
   * Checked as each page arrives, so the labels of series that fail are garbage at once (a large
   * selection's candidates no longer all live until the end, into the old generation).
   */
  private async labelsOf(
    ids: readonly number[],
    predicates: ReturnType<typeof compileMatchers>,
    budget: LoadBudget | undefined,
  ): Promise<(SeriesLabels | undefined)[]> {
    const passes = (entry: SeriesLabels | undefined): SeriesLabels | undefined =>
      entry === undefined || predicates.length === 0 || matchesAll(entry.labels, predicates) ? entry : undefined;
    // push, not `new Array(n)`: V8 makes arrays preallocated beyond 100k elements dictionary-backed (slow).
    const out: (SeriesLabels | undefined)[] = [];
    const missing: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await budget?.checkpoint();
      }
      const cached = this.seriesCache.get(ids[i]);
      out.push(passes(cached));
      if (cached === undefined) {
        missing.push(i);
      }
    }
    // Pages of ascending ids, so a page of a dense selection is one index range.
    await sortAsync(missing, (a, b) => ids[a] - ids[b], pauseOf(budget));
    for (let at = 0; at < missing.length; at += LABEL_PAGE) {
      const page = missing.slice(at, at + LABEL_PAGE);
      const pageIds = page.map((i) => ids[i]);
      const [lo, hi] = [pageIds[0], pageIds[pageIds.length - 1]];
      const rows = await this.read<{ id: number; name: string; labels: Labels; series_key: string }>(
        isDense(pageIds) ? LOAD_SERIES_LABELS_DENSE : LOAD_SERIES_LABELS,
        isDense(pageIds) ? [pageIds, lo, hi] : [pageIds],
        budget,
      );
      const byId = new Map<number, SeriesLabels>();
      for (let n = 0; n < rows.length; n++) {
        if (n % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
          await budget?.checkpoint();
        }
        const r = rows[n];
        const entry = { labels: fullLabels(fromDbText(r.name), fromDbLabels(r.labels)), key: fromDbText(r.series_key) };
        byId.set(r.id, entry);
        this.seriesCache.set(r.id, entry);
      }
      for (const i of page) {
        out[i] = passes(byId.get(ids[i]));
      }
      await budget?.checkpoint();
    }
    return out;
  }

  /**
   * Raw samples (staleness markers included, ascending by t) of the series in [startMs, endMs]
   * and, with `includePrevious`, the latest sample before startMs. Series without any are absent.
   * One page of ids per call (the caller pages; ascending ids of a dense selection are read as one
   * index range); `budget` bounds the statements' time.
   */
  async loadSamples(ids: number[], startMs: number, endMs: number, includePrevious: boolean, budget?: LoadBudget): Promise<Map<number, Sample[]>> {
    const out = new Map<number, Sample[]>();
    if (ids.length === 0) {
      return out;
    }
    const dense = isDense(ids);
    const [range, previous] = (await Promise.all([
      this.read(
        dense ? LOAD_RANGE_DENSE : LOAD_RANGE,
        dense ? [ids, dbMs(startMs), dbMs(endMs), ids[0], ids[ids.length - 1]] : [ids, dbMs(startMs), dbMs(endMs)],
        budget,
      ),
      includePrevious ? this.read(LOAD_PREVIOUS, [ids, dbMs(startMs)], budget) : Promise.resolve([]),
    ])) as [{ id: number; t: Buffer; v: Buffer; s: string }[], { id: number; t: number; v: number; stale: boolean }[]];
    for (const p of previous) {
      out.set(p.id, [p.stale ? { t: p.t, v: NaN, stale: true } : { t: p.t, v: p.v }]);
    }
    for (const r of range) {
      const samples = out.get(r.id) ?? [];
      for (let i = 0; i < r.s.length; i++) {
        const t = readInt64(r.t, i * 8);
        samples.push(r.s.charCodeAt(i) === 49 ? { t, v: NaN, stale: true } : { t, v: r.v.readDoubleBE(i * 8) });
      }
      out.set(r.id, ascending(samples));
    }
    return out;
  }

  /**
   * Distinct label names (`__name__` included) of the series in scope that match any of
   * `opts.matchers` (all series without), sorted; at most `opts.limit` (`truncated` says whether
   * there were more). Done in SQL, limit included, when SQL expresses every matcher exactly;
   * otherwise from the matching series read page by page.
   */
  async labelNames(scope: SeriesScope, opts: LabelReadOptions = {}): Promise<LabelAnswer> {
    const params: unknown[] = [dbMs(scope.startMs), dbMs(scope.endMs)];
    const where = this.matchWhere(scope, opts.matchers ?? [], params);
    if (where === undefined) {
      return this.collect(scope, opts, (labels, add) => Object.keys(labels).forEach(add));
    }
    const distinct = `
      SELECT DISTINCT jsonb_object_keys(s.labels) AS v FROM history_series s WHERE ${where}
      UNION SELECT '__name__' WHERE EXISTS (SELECT 1 FROM history_series s WHERE ${where})`;
    return this.readDistinct(distinct, params, opts);
  }

  /**
   * Distinct non-empty values of one label (`__name__`: metric names) of the series in scope that
   * match any of `opts.matchers`, sorted, at most `opts.limit`; as labelNames.
   */
  async labelValues(name: string, scope: SeriesScope, opts: LabelReadOptions = {}): Promise<LabelAnswer> {
    const params: unknown[] = [dbMs(scope.startMs), dbMs(scope.endMs)];
    const where = this.matchWhere(scope, opts.matchers ?? [], params);
    if (where === undefined) {
      return this.collect(scope, opts, (labels, add) => {
        const v = labelValue(labels, name);
        if (v !== undefined && v !== '') {
          add(v);
        }
      });
    }
    let distinct: string;
    if (name === '__name__') {
      distinct = `SELECT DISTINCT s.name AS v FROM history_series s WHERE ${where}`;
    } else {
      const label = `$${params.push(toDbText(name))}::text`;
      distinct = `SELECT DISTINCT s.labels->>${label} AS v FROM history_series s WHERE ${where} AND s.labels ? ${label}`;
    }
    return this.readDistinct(distinct, params, opts);
  }

  /**
   * Sorted decoded values of a `SELECT DISTINCT … AS v` statement, limited in SQL: the first
   * limit + 1 stored values in byte order, plus every value holding the db-text escape (whose
   * decoded order differs), so the first `limit` decoded values are exact.
   */
  private async readDistinct(distinct: string, params: unknown[], opts: LabelReadOptions): Promise<LabelAnswer> {
    const limit = opts.limit !== undefined && Number.isFinite(opts.limit) ? opts.limit : undefined;
    let sql: string;
    if (limit === undefined) {
      sql = `SELECT v FROM (${distinct}) d ORDER BY v COLLATE "C"`;
    } else {
      sql = `
        WITH d AS MATERIALIZED (${distinct})
        (SELECT v FROM d ORDER BY v COLLATE "C" LIMIT $${params.push(limit + 1)})
        UNION ALL (SELECT v FROM d WHERE strpos(v, '${DB_TEXT_ESCAPE}') > 0)`;
    }
    const rows = await this.read<{ v: string }>(sql, params, opts.budget);
    const values = decodeSortedDbTexts([...new Set(rows.map((r) => r.v))], compareStrings);
    return limit !== undefined && values.length > limit ? { values: values.slice(0, limit), truncated: true } : { values, truncated: false };
  }

  /** labelNames/labelValues when some matcher is checked here: reads the matching series. */
  private async collect(scope: SeriesScope, opts: LabelReadOptions, pick: (labels: Labels, add: (v: string) => void) => void): Promise<LabelAnswer> {
    const found = new Set<string>();
    const add = (v: string): void => void found.add(v);
    for (const matchers of opts.matchers ?? []) {
      const series = await this.matchingSeries(matchers, scope, true, { budget: opts.budget }, false);
      for (let i = 0; i < series.length; i++) {
        if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
          await opts.budget?.checkpoint();
        }
        pick(series[i].labels, add);
      }
    }
    const values = await sortAsync([...found], compareStrings, pauseOf(opts.budget));
    const limit = opts.limit ?? Infinity;
    return values.length > limit ? { values: values.slice(0, limit), truncated: true } : { values, truncated: false };
  }

  /**
   * The WHERE clause (alias `s`) of the series in scope matching any of the matcher sets, or
   * undefined when some matcher must be checked outside SQL.
   */
  private matchWhere(scope: SeriesScope, sets: readonly (readonly LabelMatcher[])[], params: unknown[]): string | undefined {
    const parts = ['s.first_t <= $2', PRESENT_AT_START];
    if (scope.tenant !== undefined) {
      parts.push(`s.tenant = $${params.push(scope.tenant)}::text`);
    }
    const alternatives: string[] = [];
    for (const matchers of sets) {
      const { conditions, residual } = matchersToSql(matchers, params);
      if (residual.length > 0) {
        return undefined;
      }
      alternatives.push(conditions.length === 0 ? 'true' : `(${conditions.join(' AND ')})`);
    }
    if (alternatives.length > 0) {
      parts.push(`(${alternatives.join(' OR ')})`);
    }
    return parts.join(' AND ');
  }

  /**
   * Runs one read statement. With a budget whose deadline is finite, the statement runs with that
   * much statement_timeout (SET LOCAL in its own transaction), so a single slow statement cannot
   * outlive the query: PostgreSQL cancels it and PromqlEvalError('timeout') is thrown.
   */
  private async read<T extends QueryResultRow>(sql: string, params: unknown[], budget: LoadBudget | undefined): Promise<T[]> {
    const ms = budget?.remainingMs() ?? Infinity;
    if (!Number.isFinite(ms)) {
      return this.db.query<T>(sql, params);
    }
    if (ms <= 0) {
      throw queryTimedOut();
    }
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${Math.min(Math.ceil(ms), 2 ** 31 - 1)}`);
        return tx.query<T>(sql, params);
      });
    } catch (error) {
      throw sqlStateOf(error) === STATEMENT_CANCELED ? queryTimedOut() : error;
    }
  }
}

/** A big-endian int8 as a number (exact below 2^53: ids and ms timestamps). */
function readInt64(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset) * 4294967296 + buf.readUInt32BE(offset + 4);
}

/**
 * Series present at $1 (the scope's start): a sample at or after it, or a latest sample that is
 * not a staleness marker, of a group that has not expired at $1. Expired groups are left out from
 * the instant they expire, before the leader removes them (see GroupExpiryService), as GroupCache
 * does for scrapes; their expiry in ms is where the leader writes the staleness markers.
 */
const PRESENT_AT_START = `(s.last_t >= $1 OR (NOT s.last_stale AND (s.group_id IS NULL OR s.group_id NOT IN (
    SELECT g.id FROM metric_group g WHERE g.ttl_seconds IS NOT NULL AND g.push_time > 0 AND round((g.push_time + g.ttl_seconds) * 1000) <= $1))))`;

/**
 * history_series `s` with the expiry (ms; 0: none) of its group when that group expired by $2,
 * the scope's end (see HistorySeries.expiresT).
 */
const SERIES_WITH_EXPIRY = `history_series s LEFT JOIN (
    SELECT g.id, round((g.push_time + g.ttl_seconds) * 1000)::int8 AS expiry FROM metric_group g
    WHERE g.ttl_seconds IS NOT NULL AND g.push_time > 0 AND round((g.push_time + g.ttl_seconds) * 1000) <= $2) x ON x.id = s.group_id`;

/** The columns PACKED reads, per series (alias `s`, FROM SERIES_WITH_EXPIRY). */
const PACKED_COLUMNS = `SELECT s.id, s.last_t, s.last_v, s.last_stale, s.series_key, COALESCE(x.expiry, 0) AS expiry`;

/**
 * Packed big-endian int8/float8 columns over the rows of `s`, `s.n` (0, 1, ...) their order: far
 * cheaper for the driver than a row per series and no number formatting either way. One row per
 * PACKED_ROW_SERIES series, in order, so that `pg` parses a large selection as many rows of about
 * 0.5 MB (one socket read at a time) rather than one row of tens of MB in one go.
 */
const PACKED = `
  SELECT string_agg(int8send(s.id), ''::bytea ORDER BY s.n) AS id, string_agg(int8send(s.last_t), ''::bytea ORDER BY s.n) AS t,
         string_agg(float8send(s.last_v), ''::bytea ORDER BY s.n) AS v,
         string_agg(CASE WHEN s.last_stale THEN '1' ELSE '0' END, '' ORDER BY s.n) AS stale,
         string_agg(int8send(s.expiry), ''::bytea ORDER BY s.n) AS e`;
/** Series per row of a packed read (8,192 × 65 bytes of hex text). */
const PACKED_ROW_SERIES = 8192;

/**
 * The packed read of the series `where` selects (alias `s`, FROM SERIES_WITH_EXPIRY): sorted by
 * series key, then id, when `ordered`, and then only the first `limit` (a placeholder) when given;
 * otherwise in no particular order (nothing sorted).
 */
function packedSql(where: string, ordered: boolean, limit?: string): string {
  const byKey = 'ORDER BY s.series_key, s.id';
  const selected = `${PACKED_COLUMNS} FROM ${SERIES_WITH_EXPIRY} WHERE ${where}${limit === undefined ? '' : ` ${byKey} LIMIT ${limit}`}`;
  const numbered = `SELECT s.*, row_number() OVER (${ordered ? byKey : ''}) - 1 AS n FROM (${selected}) s`;
  return `${PACKED} FROM (${numbered}) s GROUP BY s.n / ${PACKED_ROW_SERIES} ORDER BY s.n / ${PACKED_ROW_SERIES}`;
}

interface PackedRow {
  id: Buffer;
  t: Buffer;
  v: Buffer;
  stale: string;
  e: Buffer;
}

/** Ids and latest samples of series, decoded from packed rows (see readPacked). */
interface PackedSeries {
  ids: number[];
  t: Float64Array;
  v: Float64Array;
  /** 1: the latest sample is a staleness marker. */
  stale: Uint8Array;
  /** Group expiry per series in ms, 0: none. */
  e: Float64Array;
}

/** The HistorySeries of packed row `row` with the given labels and key. */
function seriesAt(packed: PackedSeries, row: number, labels: Labels, key: string): HistorySeries {
  const series: HistorySeries = {
    id: packed.ids[row],
    labels,
    key,
    lastT: packed.t[row],
    lastV: packed.v[row],
    lastStale: packed.stale[row] === 1,
  };
  if (packed.e[row] > 0) {
    series.expiresT = packed.e[row];
  }
  return series;
}

/**
 * The WHERE clause (alias `s`) of the series in scope matching `matchers` as far as SQL expresses
 * them, and the matchers left to check on the labels; adds its parameters to `params` (whose $1
 * and $2 are the scope's start and end).
 */
function seriesWhere(
  matchers: readonly LabelMatcher[],
  scope: SeriesScope,
  presentBefore: boolean,
  params: unknown[],
): { where: string; residual: LabelMatcher[] } {
  const { conditions, residual } = matchersToSql(matchers, params);
  const where = [
    's.first_t <= $2',
    presentBefore ? PRESENT_AT_START : 's.last_t >= $1',
    ...(scope.tenant === undefined ? [] : [`s.tenant = $${params.push(scope.tenant)}::text`]),
    ...conditions,
  ].join(' AND ');
  return { where, residual };
}

/** The samples sorted by t (a no-op check unless the database returned them out of order). */
function ascending(samples: Sample[]): Sample[] {
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].t < samples[i - 1].t) {
      return samples.sort((a, b) => a.t - b.t);
    }
  }
  return samples;
}

/** Whether ids ascend and lie close enough together to be read as one index range (see LOAD_RANGE_DENSE). */
function isDense(ids: readonly number[]): boolean {
  const n = ids.length;
  if (n < 2 || ids[n - 1] - ids[0] >= DENSE_SPAN * n) {
    return false;
  }
  for (let i = 1; i < n; i++) {
    if (ids[i] < ids[i - 1]) {
      return false;
    }
  }
  return true;
}

function byKey(a: HistorySeries, b: HistorySeries): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function queryTimedOut(): PromqlEvalError {
  return new PromqlEvalError('timeout', 'query timed out in query execution');
}

/** Labels plus `__name__`, names in ascending order (what the evaluator's fast path expects). */
function fullLabels(name: string, labels: Labels): Labels {
  const names = Object.keys(labels);
  names.push('__name__');
  const out: Labels = {};
  for (const n of names.sort(compareStrings)) {
    out[n] = n === '__name__' ? name : labels[n];
  }
  return out;
}
