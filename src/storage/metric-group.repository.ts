import { Inject, Injectable, Optional } from '@nestjs/common';
import { Labels } from 'src/core/model/labels';
import { MetricType } from 'src/core/model/metric-family';
import { FamilyTypeRef } from 'src/core/consistency/check-consistency';
import { formatLabels } from 'src/core/grouping/grouping-key';
import { DATABASE } from 'src/storage/storage.tokens';
import { Database, Executor } from 'src/storage/database';
import { sqlStateOf } from 'src/storage/database-errors';
import { InconsistentPushError } from 'src/core/consistency/errors';
import { PushHistoryArgs, WRITE_HOOKS, WriteHooks } from 'src/storage/write-hooks';
import { byteaArray, numberArray, textArray } from 'src/storage/pg-arrays';
import { fromDbLabels, fromDbText, toDbJson, toDbText } from 'src/storage/db-text';
import { MetricFamily } from 'src/core/model/metric-family';

/** Identifies one group: a tenant ('' without auth) and its canonical grouping key. */
export interface GroupRef {
  tenant: string;
  groupingKey: string;
  /** The labels the group's series are exposed with (see exposedGroupLabels). */
  exposedLabels: Labels;
  /** Canonical form of exposedLabels; unique across the store. */
  exposedKey: string;
  labels: Labels;
}

/** One family of a push, already sanitised, validated and encoded by the core. */
export interface FamilyWrite {
  name: string;
  type: MetricType;
  help: string;
  /** Length-delimited protobuf MetricFamily. */
  body: Buffer;
  /** Text exposition sample lines (no HELP/TYPE). */
  exposition: string;
}

export interface PushWrite {
  group: GroupRef;
  /** 'replace' (PUT) drops every family of the group first; 'merge' (POST) only same-named ones. */
  mode: 'replace' | 'merge';
  families: FamilyWrite[];
  /** Unix seconds. */
  now: number;
  /** Names whose stored types must be compared (see consistencyLookupNames). Empty skips the check. */
  lookupNames: string[];
  /** Exposed keys of other groups that could expose the same series (see collisionCandidateKeys). */
  collisionKeys: string[];
  /** Per lookup name, the stored types (bit `1 << type`) the check would reject (see suspectTypeMasks). */
  suspectMasks: number[];
  /**
   * The check must see the store's context even when the store finds nothing suspect (the push
   * already conflicts with something outside the store, and the error lists every conflict).
   */
  needsContext: boolean;
  /** The sanitised families (what `families` encodes), for write hooks such as the history. */
  sanitized: MetricFamily[];
}

/** What the consistency check sees of the store, read inside the push transaction. */
export interface StoredContext {
  /** (name, type) of families elsewhere, minus what this push replaces. */
  existing: FamilyTypeRef[];
  /** Families with pushed names in groups whose exposed key is a collision candidate. */
  candidates: { exposedKey: string; name: string; body: Buffer }[];
}

/** A stored group with its families, as the scrape and JSON API read it. */
export interface StoredGroup {
  id: string;
  revision: string;
  tenant: string;
  labels: Labels;
  exposedLabels: Labels;
  pushTime: number;
  pushFailureTime: number;
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

/**
 * A push as one statement (its own transaction outside an explicit one), see the AddOneStatementPush
 * migration. $1 mode: 'probe' takes the locks, looks for anything the check could reject and, when
 * there is nothing, writes the group, families and history; otherwise (and always in 'read' mode)
 * it writes nothing and returns the check's context. 'write' only writes.
 *
 * Known gap: two concurrent pushes to different groups whose series collide only through body
 * labels (e.g. `{job="a"}` pushing `m{x="1"}` while `{job="a",x="1"}` pushes `m`) hold the name
 * locks shared when `m`'s type is settled, so each may miss the other's uncommitted series. The
 * scrape still renders both; sequential pushes are always checked.
 */
const PUSH = `
  SELECT kind, name, type, detail, body FROM pgw_push(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17, $18, $19,
    $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)`;

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
  SELECT id::text AS id, revision::text AS revision, tenant, labels, exposed_key, push_time, push_failure_time
  FROM metric_group WHERE id = ANY($1::bigint[])`;

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
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Optional() @Inject(WRITE_HOOKS) private readonly hooks?: WriteHooks,
  ) {}

  /**
   * Applies a PUT/POST atomically: locks the group and the pushed names, hands the stored types of
   * `lookupNames` (minus what this push replaces) to `check`, and on success replaces the families,
   * sets push_time and records the history. When `check` throws, nothing is written but the group's
   * push_failure_time (created if needed), and the error is rethrown.
   *
   * Usually one statement: the store itself looks for the suspect types and collision candidates and
   * writes when there are none, so `check` has nothing to see and is not called. Otherwise `check`
   * runs on the context the statement returned; if it passes after all, the push is redone as a
   * transaction that locks and reads, checks and writes.
   * Throws GroupCollisionError when the grouping key exposes the same labels as another group.
   */
  async applyPush(write: PushWrite, check: (stored: StoredContext) => void): Promise<void> {
    const history = this.hooks?.pushArgs({
      tenant: write.group.tenant,
      exposedLabels: write.group.exposedLabels,
      mode: write.mode,
      families: write.sanitized,
      now: write.now,
    });
    try {
      let written = false;
      if (!write.needsContext) {
        const rows = await this.retrying(() => this.db.named<PushRow>('pgw_push', PUSH, pushParams('probe', write, history)));
        written = rows.length === 1 && rows[0].kind === 'w';
        if (!written) {
          check(toStoredContext(rows));
        }
      }
      if (!written) {
        await this.db.transaction((tx) => this.pushInTransaction(tx, write, history, check));
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
      this.hooks?.pushCommitted(history);
    }
  }

  /** Locks and reads the context in one statement, runs the check, then writes in a second one. */
  private async pushInTransaction(
    tx: Executor,
    write: PushWrite,
    history: PushHistoryArgs | undefined,
    check: (stored: StoredContext) => void,
  ): Promise<void> {
    const rows = await tx.named<PushRow>('pgw_push', PUSH, pushParams('read', write, history));
    if (write.lookupNames.length > 0 || write.collisionKeys.length > 0) {
      check(toStoredContext(rows));
    }
    await tx.named<PushRow>('pgw_push', PUSH, pushParams('write', write, history));
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
      if (ids.length > 0 && this.hooks !== undefined) {
        await this.hooks.afterDelete(tx, ids, Date.now() / 1000);
      }
      return ids.length;
    });
  }

  private deleteReturning(params: [string | null, string | null]): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(DELETE_GROUPS, params);
      const ids = rows.map((r) => r.id);
      if (ids.length > 0 && this.hooks !== undefined) {
        await this.hooks.afterDelete(tx, ids, Date.now() / 1000);
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

function isUniqueViolation(error: unknown): boolean {
  return sqlStateOf(error) === UNIQUE_VIOLATION;
}

/** A row of pgw_push: context ('t', 'c'), or one 'w' with the written group's id as detail. */
interface PushRow {
  kind: 't' | 'c' | 'w';
  name: string;
  type: number | null;
  detail: string;
  body: Buffer | null;
}

function toStoredContext(rows: PushRow[]): StoredContext {
  const context: StoredContext = { existing: [], candidates: [] };
  for (const r of rows) {
    if (r.kind === 't') {
      context.existing.push({ name: fromDbText(r.name), type: r.type ?? 0, where: `group ${formatLabels(fromDbLabels(JSON.parse(r.detail) as Labels))}` });
    } else if (r.kind === 'c') {
      context.candidates.push({ exposedKey: r.detail, name: fromDbText(r.name), body: r.body ?? Buffer.alloc(0) });
    }
  }
  return context;
}

/** Parameters of PUSH in the given mode ('write' needs no locks and no context arguments). */
function pushParams(mode: 'probe' | 'read' | 'write', write: PushWrite, history: PushHistoryArgs | undefined): unknown[] {
  const { group } = write;
  const pushedNames = write.families.map((f) => toDbText(f.name));
  // 'write' takes no locks and reads no context; 'read' writes nothing, so its payload stays empty.
  const locking = mode !== 'write';
  const families = mode === 'read' ? [] : write.families;
  const recorded = mode === 'read' ? undefined : history;
  const pushedType = new Map(write.families.map((f) => [f.name, f.type as number]));
  const context = locking && pushedNames.length > 0;
  const suspects = suspectRanges(mode === 'probe' ? write.suspectMasks : []);
  return [
    mode,
    `{group}${JSON.stringify([group.tenant, group.groupingKey])}`,
    textArray(locking ? write.lookupNames.map(toDbText) : []),
    numberArray(locking ? write.lookupNames.map((n) => pushedType.get(n) ?? -1) : []),
    numberArray(suspects.idx),
    numberArray(suspects.lo),
    numberArray(suspects.hi),
    group.tenant,
    group.groupingKey,
    write.mode === 'replace',
    textArray(pushedNames),
    textArray(context ? write.collisionKeys : []),
    group.exposedKey,
    toDbJson(group.labels),
    write.now,
    numberArray(families.map((x) => x.type)),
    textArray(families.map((x) => toDbText(x.help))),
    byteaArray(families.map((x) => x.body)),
    textArray(families.map((x) => toDbText(x.exposition))),
    recorded !== undefined,
    recorded?.t ?? 0,
    textArray(recorded?.names ?? []),
    textArray(recorded?.families ?? []),
    textArray(recorded?.labels ?? []),
    textArray(recorded?.keys ?? []),
    numberArray(recorded?.values ?? []),
    textArray(recorded?.familyList ?? []),
    recorded?.record ?? false,
    numberArray(recorded?.days ?? []),
  ];
}

/** Each mask's runs of consecutive type bits as (1-based mask index, first type, last type). */
export function suspectRanges(masks: readonly number[]): { idx: number[]; lo: number[]; hi: number[] } {
  const out = { idx: [] as number[], lo: [] as number[], hi: [] as number[] };
  masks.forEach((mask, i) => {
    for (let t = 0; t < 16; t++) {
      if ((mask & (1 << t)) !== 0 && (t === 0 || (mask & (1 << (t - 1))) === 0)) {
        let end = t;
        while ((mask & (1 << (end + 1))) !== 0) {
          end++;
        }
        out.idx.push(i + 1);
        out.lo.push(t);
        out.hi.push(end);
      }
    }
  });
  return out;
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
