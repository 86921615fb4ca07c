import { checkPushStorable, isLargePush, yieldToLoop } from 'src/storage/storable-sizes';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Labels } from 'src/core/model/labels';
import { MetricType } from 'src/core/model/metric-family';
import { formatLabels } from 'src/core/grouping/grouping-key';
import { DATABASE } from 'src/storage/storage.tokens';
import { Database, Executor } from 'src/storage/database';
import { DatabaseUnavailableError, sqlStateOf } from 'src/storage/database-errors';
import { InconsistentPushError } from 'src/core/consistency/errors';
import {
  batchStatement,
  GroupRef,
  probeStatement,
  probeStatementPaused,
  PushRow,
  PushWrite,
  readStatement,
  Statement,
  storedContextOf,
  wasWritten,
  writeStatement,
} from 'src/storage/push-statements';
import { BatchOutcome, PushBatcher } from 'src/storage/push-batcher';
import { HistoryWriter, PushHistoryArgs } from 'src/storage/history-writer';
import { APP_CONFIG } from 'src/config/config.module';
import { AppConfig } from 'src/config/env.schema';
import { checkPushAgainstStore } from 'src/core/consistency/push-check';
import { expiryOf } from 'src/core/grouping/group-ttl';
import { fromDbLabels, fromDbText, toDbJson } from 'src/storage/db-text';

export type { GroupRef, PushWrite } from 'src/storage/push-statements';

/** A stored group with its families, as the scrape and JSON API read it. */
export interface StoredGroup {
  id: string;
  revision: string;
  tenant: string;
  labels: Labels;
  exposedLabels: Labels;
  pushTime: number;
  pushFailureTime: number;
  /** Unix seconds when the group expires (last push + its TTL); undefined: never. */
  expiresAt?: number;
  families: StoredFamily[];
}

export interface StoredFamily {
  name: string;
  type: MetricType;
  help: string;
  pushedAt: number;
  exposition: string;
}

interface GroupRow {
  id: string;
  revision: string;
  tenant: string;
  labels: Labels;
  exposed_key: string;
  push_time: number;
  push_failure_time: number;
  ttl_seconds: number | null;
}

interface FamilyRow {
  group_id: string;
  name: string;
  type: MetricType;
  help: string;
  pushed_at: number;
  exposition: string;
}

/** Answer of listRevisions. */
export interface RevisionList {
  /** True when `changed` lists every group (groups not listed no longer exist). */
  complete: boolean;
  /** Pass back as `since` next time. */
  watermark: string;
  changed: { id: string; revision: string }[];
  deleted: string[];
}

/** The grouping key exposes the same series as another group's (e.g. `{job="a"}` vs `{job="a",instance=""}`). */
export class GroupCollisionError extends Error {}

const UNIQUE_VIOLATION = '23505';
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

const UPSERT_GROUP_FAILED = `
  INSERT INTO metric_group (tenant, grouping_key, exposed_key, labels, push_failure_time)
  VALUES ($1, $2, $3, $4::jsonb, $5)
  ON CONFLICT (tenant, grouping_key)
  DO UPDATE SET push_failure_time = EXCLUDED.push_failure_time, revision = nextval('metric_group_revision_seq')`;

/** Deletes one group ($1 tenant, $2 key), a tenant's groups ($2 NULL) or all ($1, $2 NULL); see the AddOneStatementPush migration. */
const DELETE_GROUPS = `SELECT id::text AS id FROM pgw_delete_groups($1::text, $2::text) AS d(id)`;

/** Groups a bulk delete considers ($1 tenant, NULL: all), locked against concurrent pushes until it commits. */
const LOCK_GROUPS_FOR_DELETE = `
  SELECT id::text AS id, grouping_key, push_time FROM metric_group
  WHERE $1::text IS NULL OR tenant = $1 ORDER BY id FOR UPDATE`;

const DELETE_GROUP_IDS = `DELETE FROM metric_group WHERE id = ANY($1::bigint[]) RETURNING id::text AS id`;

/** Every group, plus the xmin of the statement's snapshot (row kind 'x'). */
const LIST_REVISIONS = `
  SELECT 'x' AS kind, pg_snapshot_xmin(pg_current_snapshot())::text AS id, NULL::text AS revision
  UNION ALL
  SELECT 'g', id::text, revision::text FROM metric_group`;

/**
 * Groups changed and groups deleted by transactions with an id at or above $1 (the xmin of the
 * reader's previous snapshot: every transaction that snapshot could not see), plus the new xmin.
 */
const LIST_CHANGES = `
  SELECT 'x' AS kind, pg_snapshot_xmin(pg_current_snapshot())::text AS id, NULL::text AS revision
  UNION ALL
  SELECT 'g', id::text, revision::text FROM metric_group WHERE changed_xid >= $1::xid8
  UNION ALL
  SELECT 'd', group_id::text, NULL FROM metric_group_tombstone WHERE deleted_xid >= $1::xid8`;

const LOAD_GROUPS = `
  SELECT id::text AS id, revision::text AS revision, tenant, labels, exposed_key, push_time, push_failure_time, ttl_seconds
  FROM metric_group WHERE id = ANY($1::bigint[])`;

/** Up to $2 groups expired at $1 (Unix seconds), oldest expiry first. */
const EXPIRED_GROUPS = `
  SELECT id::text AS id FROM metric_group
  WHERE ttl_seconds IS NOT NULL AND push_time + ttl_seconds <= $1
  ORDER BY push_time + ttl_seconds LIMIT $2`;

/** Deletes group $1 if it is still expired at $2 (a push since renews it); returns its expiry. */
const DELETE_IF_EXPIRED = `
  DELETE FROM metric_group WHERE id = $1::bigint AND ttl_seconds IS NOT NULL AND push_time + ttl_seconds <= $2
  RETURNING push_time + ttl_seconds AS expiry`;

const TRY_EXPIRY_LEADER = `SELECT pg_try_advisory_xact_lock(hashtextextended('group expiry', 7)) AS leader`;

const LOAD_FAMILIES = `
  SELECT group_id::text AS group_id, name, type, help, pushed_at, exposition
  FROM metric_family WHERE group_id = ANY($1::bigint[])`;

const LOAD_BODIES = `
  SELECT group_id::text AS group_id, name, body FROM metric_family WHERE group_id = ANY($1::bigint[])`;

/**
 * All SQL on pushed groups. Every write is one transaction; conflicting writers are serialised by
 * PostgreSQL (advisory locks per group and per metric name), never by a process-local lock, so any
 * number of replicas may write concurrently.
 */
@Injectable()
export class MetricGroupRepository {
  /** Group commit of probes; undefined when PUSH_BATCH_MAX is 1 (every probe its own statement). */
  private readonly batcher: PushBatcher<ProbeJob, PushRow[]> | undefined;
  /** The push history's part of every write (undefined only in a benchmark measuring without it). */
  private readonly history: HistoryWriter | undefined;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    history: HistoryWriter,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.history = history;
    const settings = config?.pushBatch;
    if (settings !== undefined && settings.maxPushes > 1) {
      this.batcher = new PushBatcher<ProbeJob, PushRow[]>(
        settings,
        (job) => `${job.write.group.tenant}\u0000${job.write.group.groupingKey}`,
        (jobs) => this.probeBatch(jobs),
        (job) => this.probeAlone(job),
        (error) => error instanceof DatabaseUnavailableError,
      );
    }
  }

  /**
   * Applies a checked PUT/POST atomically: the group with its push time and TTL, its families and
   * the history, after the consistency check of `write.plan` (core checkPushAgainstStore) passed
   * on what the store holds under the push's locks. When the check fails, nothing is written but
   * the group's push_failure_time (created if needed), and InconsistentPushError is thrown.
   * Throws GroupCollisionError when the grouping key exposes the same labels as another group.
   *
   * Usually one statement (pgw_push_probe): the store looks for what the check could object to
   * and writes when there is nothing, so the check has nothing to see. Otherwise the check runs on
   * the context the statement returned, and if it passes after all the push is redone as a
   * transaction: locked read, check, write.
   */
  async applyPush(write: PushWrite): Promise<void> {
    const toRecord = {
      tenant: write.group.tenant,
      exposedLabels: write.group.exposedLabels,
      mode: write.mode,
      families: write.plan.families,
      now: write.now,
    };
    const large = isLargePush(write.plan.families);
    const history = large ? await this.history?.pushArgsPaused(toRecord, yieldToLoop) : this.history?.pushArgs(toRecord);
    checkPushStorable(write, history);
    if (large) {
      await yieldToLoop();
    }
    try {
      let written = false;
      if (!write.plan.needsContext) {
        // A large push's statement is built in steps and sent alone: a batch is encoded in one go.
        const job: ProbeJob = { write, history, statement: large ? await probeStatementPaused(write, history, yieldToLoop) : undefined };
        const rows = await (this.batcher === undefined || job.statement !== undefined ? this.probeAlone(job) : this.batcher.submit(job));
        written = wasWritten(rows);
        if (!written) {
          checkPushAgainstStore(write.plan, storedContextOf(rows));
        }
      }
      if (!written) {
        await this.db.transaction(async (tx) => {
          checkPushAgainstStore(write.plan, storedContextOf(await this.runStatement(tx, readStatement(write))));
          await this.runStatement(tx, writeStatement(write, history));
        });
      }
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw this.collision(write.group);
      }
      if (error instanceof InconsistentPushError) {
        await this.recordFailure(write.group, write.now).catch(() => undefined);
      }
      throw error;
    }
    if (history !== undefined) {
      this.history?.pushCommitted(history);
    }
  }

  /** One probe as its own statement (and transaction), retried on deadlock. */
  private probeAlone(job: ProbeJob): Promise<PushRow[]> {
    return this.retrying(() => this.runStatement(this.db, job.statement ?? probeStatement(job.write, job.history)));
  }

  /**
   * Probes of pushes to different groups as one statement, so one transaction and one commit
   * (pgw_push_batch). When the database is away every push gets that error (nothing was applied);
   * any other error rolled the whole batch back, and each push is then run alone, so the one that
   * caused it fails by itself and the others are still applied.
   */
  private async probeBatch(jobs: ProbeJob[]): Promise<BatchOutcome<PushRow[]>[]> {
    let rows: PushRow[];
    try {
      rows = await this.runStatement(this.db, batchStatement(jobs));
    } catch (error) {
      return jobs.map(() => (error instanceof DatabaseUnavailableError ? { error } : 'alone'));
    }
    const byPush: PushRow[][] = jobs.map(() => []);
    for (const row of rows) {
      byPush[(row.idx ?? 0) - 1]?.push(row);
    }
    return byPush.map((value) => ({ value }));
  }

  private runStatement(on: Executor, statement: Statement): Promise<PushRow[]> {
    return on.named<PushRow>(statement.name, statement.text, statement.values);
  }

  /** Sets push_failure_time of a group (creating it, empty, if absent). No-op when the key collides. */
  async recordFailure(group: GroupRef, now: number): Promise<void> {
    await this.db.query(UPSERT_GROUP_FAILED, [group.tenant, group.groupingKey, group.exposedKey, toDbJson(group.labels), now]).catch((error: unknown) => {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    });
  }

  /** Deletes one group and its families (exact grouping key). Returns whether it existed. */
  async deleteGroup(tenant: string, groupingKey: string): Promise<boolean> {
    const ids = await this.deleteReturning([tenant, groupingKey]);
    return ids.length > 0;
  }

  /** Deletes every group (of one tenant when given). */
  async wipe(tenant?: string): Promise<void> {
    await this.deleteReturning([tenant ?? null, null]);
  }

  /**
   * Removes groups expired at `now` (Unix seconds), at most `limit`, each with staleness markers at
   * its expiry time, if this replica wins the expiry lock (a transaction-scoped advisory lock: one
   * replica at a time). Returns how many were removed, or undefined when another replica holds the
   * lock. A group pushed meanwhile is renewed, not removed.
   */
  async removeExpiredGroups(now: number, limit: number): Promise<number | undefined> {
    return this.db.transaction(async (tx) => {
      const [{ leader }] = await tx.query<{ leader: boolean }>(TRY_EXPIRY_LEADER);
      if (!leader) {
        return undefined;
      }
      let removed = 0;
      for (const { id } of await tx.query<{ id: string }>(EXPIRED_GROUPS, [now, limit])) {
        const [row] = await tx.query<{ expiry: number }>(DELETE_IF_EXPIRED, [id, now]);
        if (row !== undefined) {
          removed++;
          await this.history?.afterDelete(tx, [id], row.expiry);
        }
      }
      return removed;
    });
  }

  /**
   * Deletes, in one transaction, every group (of `tenant` when given) that `pick` selects by its
   * grouping labels and last push time, with staleness markers for their series as any delete.
   * Returns how many were deleted. Groups pushed while this runs wait for it (row locks).
   */
  async deleteGroupsWhere(tenant: string | undefined, pick: (group: { labels: Labels; pushTime: number }) => boolean): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string; grouping_key: string; push_time: number }>(LOCK_GROUPS_FOR_DELETE, [tenant ?? null]);
      const picked = rows
        .filter((r) => pick({ labels: Object.fromEntries(JSON.parse(r.grouping_key) as [string, string][]), pushTime: r.push_time }))
        .map((r) => r.id);
      if (picked.length === 0) {
        return 0;
      }
      const ids = (await tx.query<{ id: string }>(DELETE_GROUP_IDS, [picked])).map((r) => r.id);
      if (ids.length > 0 && this.history !== undefined) {
        await this.history.afterDelete(tx, ids, Date.now() / 1000);
      }
      return ids.length;
    });
  }

  private deleteReturning(params: [string | null, string | null]): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(DELETE_GROUPS, params);
      const ids = rows.map((r) => r.id);
      if (ids.length > 0 && this.history !== undefined) {
        await this.history.afterDelete(tx, ids, Date.now() / 1000);
      }
      return ids;
    });
  }

  /**
   * Every group's (id, revision), or with `since` (a watermark this method returned before, less
   * than an hour old) only the groups changed or deleted since. Either way also the new watermark.
   */
  async listRevisions(since?: string): Promise<RevisionList> {
    type Row = { kind: 'x' | 'g' | 'd'; id: string; revision: string | null };
    const rows = await (since === undefined ? this.db.query<Row>(LIST_REVISIONS) : this.db.query<Row>(LIST_CHANGES, [since]));
    const list: RevisionList = { complete: since === undefined, watermark: '', changed: [], deleted: [] };
    for (const r of rows) {
      if (r.kind === 'x') {
        list.watermark = r.id;
      } else if (r.kind === 'g') {
        list.changed.push({ id: r.id, revision: r.revision ?? '' });
      } else {
        list.deleted.push(r.id);
      }
    }
    return list;
  }

  /** Loads the given groups with all their families (text and protobuf). Missing ids are skipped. */
  async loadGroups(ids: string[]): Promise<StoredGroup[]> {
    if (ids.length === 0) {
      return [];
    }
    const [groups, families] = await Promise.all([this.db.query<GroupRow>(LOAD_GROUPS, [ids]), this.db.query<FamilyRow>(LOAD_FAMILIES, [ids])]);
    const byGroup = new Map<string, StoredFamily[]>(groups.map((g) => [g.id, []]));
    for (const f of families) {
      byGroup.get(f.group_id)?.push({
        name: intern(fromDbText(f.name)),
        type: f.type,
        help: intern(fromDbText(f.help)),
        pushedAt: f.pushed_at,
        exposition: fromDbText(f.exposition),
      });
    }
    return groups.map((r) => ({
      id: r.id,
      revision: r.revision,
      tenant: r.tenant,
      labels: fromDbLabels(r.labels),
      exposedLabels: Object.fromEntries(JSON.parse(r.exposed_key) as [string, string][]),
      pushTime: r.push_time,
      pushFailureTime: r.push_failure_time,
      expiresAt: expiryOf(r.push_time, r.ttl_seconds),
      families: byGroup.get(r.id) ?? [],
    }));
  }

  /**
   * The protobuf bodies (length-delimited, lossless) of every family of the given groups, by group
   * id then family name. Kept out of the scrape cache: only protobuf scrapes and the JSON API need them.
   */
  async loadBodies(ids: string[]): Promise<Map<string, Map<string, Buffer>>> {
    const out = new Map<string, Map<string, Buffer>>(ids.map((id) => [id, new Map()]));
    if (ids.length > 0) {
      const rows = await this.db.query<{ group_id: string; name: string; body: Buffer }>(LOAD_BODIES, [ids]);
      for (const r of rows) {
        out.get(r.group_id)?.set(fromDbText(r.name), r.body);
      }
    }
    return out;
  }

  /** Resolves when the database answers a trivial query. */
  async ping(): Promise<void> {
    await this.db.ping();
  }

  private collision(group: GroupRef): GroupCollisionError {
    return new GroupCollisionError(
      `grouping key ${formatLabels(group.labels)} exposes the same labels ${formatLabels(group.exposedLabels)} as an existing group; push to that group's exact key or delete it first`,
    );
  }

  /** Runs fn (one autocommit statement), retrying on deadlock or serialization failure. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(sqlStateOf(error) ?? '')) {
          throw error;
        }
      }
    }
  }
}

/** A probe waiting for its statement: the push and its history rows. */
interface ProbeJob {
  write: PushWrite;
  history: PushHistoryArgs | undefined;
  /** The probe statement, built ahead (a large push); undefined: built when sent. */
  statement?: Statement;
}

function isUniqueViolation(error: unknown): boolean {
  return sqlStateOf(error) === UNIQUE_VIOLATION;
}

const interned = new Map<string, string>();

/**
 * One string object per distinct family name or HELP text: every group repeats them, and the
 * cache keeps one family entry per group, so this saves a copy per group (bounded, reset if huge).
 */
function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) {
    return known;
  }
  if (interned.size >= 100_000) {
    interned.clear();
  }
  interned.set(s, s);
  return s;
}
