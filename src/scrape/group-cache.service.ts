import { Injectable } from '@nestjs/common';
import { MetricGroupRepository, StoredFamily, StoredGroup } from 'src/storage/metric-group.repository';
import { mergeGroups, MergedFamily, PreparedGroup, prepareGroup } from 'src/core/scrape/render';
import { SampleText } from 'src/core/scrape/sample-text';
import { MetricType } from 'src/core/model/metric-family';
import { compactHeap, compactionDue, withoutYoungGrowth } from 'src/runtime/heap';

/** What a scrape renders: every stored group, each prepared for merging, and all of them merged. */
export interface StoreSnapshot {
  groups: StoredGroup[];
  /** Prepared form of each group in `groups`, by group id. */
  prepared: ReadonlyMap<string, PreparedGroup>;
  merged: MergedFamily[];
}

/**
 * A full listing now and then bounds what a missed delete could cost; tombstones live an hour, so
 * this must stay well below that.
 */
const FULL_REFRESH_MS = 10 * 60 * 1000;

/** Groups loaded per query when many changed (cold start, wipe and refill). */
const LOAD_BATCH = 1000;

/**
 * After a bulk load of at least this many groups (and half the cache, see compactionDue), the heap
 * is compacted once the loading settles: a load leaves its garbage (rows, strings, the old texts)
 * spread over half-empty old-generation pages that V8 keeps resident (at 10k groups ~35 MiB;
 * issue 14).
 */
const COMPACT_AFTER_LOADED = 1000;
/** Quiet time after a load before compacting, and the least time between two compactions. */
const COMPACT_DELAY_MS = 1000;
const COMPACT_INTERVAL_MS = 10_000;

interface CachedGroup {
  group: StoredGroup;
  prepared: PreparedGroup;
}

/**
 * A stored family whose text is held once: it is itself the SampleText the merged scrape Buffer
 * shares (one object per family: the cache holds one per family of every group); `exposition`
 * decodes it for the readers that want a string (status page, JSON API).
 */
class CachedFamily extends SampleText implements StoredFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly pushedAt: number;

  constructor(f: StoredFamily) {
    super(f.exposition);
    this.name = f.name;
    this.type = f.type;
    this.help = f.help;
    this.pushedAt = f.pushedAt;
  }

  get text(): SampleText {
    return this;
  }

  get exposition(): string {
    return this.toString();
  }
}

function cached(group: StoredGroup): CachedGroup {
  const g: StoredGroup = { ...group, families: group.families.map((f) => new CachedFamily(f)) };
  return { group: g, prepared: prepareGroup(g) };
}

/**
 * An in-memory copy of the store for scrapes and the JSON API, kept current by a cheap check on
 * every read: the groups changed or deleted since the previous check (by transaction id, see the
 * AddGroupChangeWatermark migration), with a full listing every 10 minutes. Only changed groups are
 * reloaded and re-prepared, and the merged families are rebuilt only when something changed.
 * Because the check runs after the read arrives, a push acknowledged by any replica before it is
 * always included. Refreshes run one at a time per process (cache bookkeeping only; writes never
 * wait on it).
 */
@Injectable()
export class GroupCache {
  private readonly groups = new Map<string, CachedGroup>();
  private snapshot: StoreSnapshot | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private watermark: string | undefined;
  private lastFullMs = 0;
  /** The earliest expiry (Unix seconds) among the groups in the snapshot: rebuild it then. */
  private nextExpiry = Number.POSITIVE_INFINITY;
  private loadedSinceCompaction = 0;
  private lastCompactionMs = 0;
  private compaction: NodeJS.Timeout | undefined;

  constructor(private readonly repository: MetricGroupRepository) {}

  /** Returns a snapshot at least as new as the database state when this call was made. */
  current(): Promise<StoreSnapshot> {
    const next = this.chain.then(() => this.refresh());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async refresh(): Promise<StoreSnapshot> {
    const full = this.watermark === undefined || Date.now() - this.lastFullMs > FULL_REFRESH_MS;
    const list = await this.repository.listRevisions(full ? undefined : this.watermark);
    const stale = list.changed.filter(({ id, revision }) => this.groups.get(id)?.group.revision !== revision).map((c) => c.id);
    let changed = stale.length > 0;
    const listed = new Set(list.changed.map((c) => c.id));
    const gone = list.complete ? [...this.groups.keys()].filter((id) => !listed.has(id)) : list.deleted;
    for (const id of gone) {
      changed = this.groups.delete(id) || changed;
    }
    // In batches: a cold start loads every group, and one huge result set would be held all at once.
    const load = async (): Promise<void> => {
      for (let i = 0; i < stale.length; i += LOAD_BATCH) {
        for (const group of await this.repository.loadGroups(stale.slice(i, i + LOAD_BATCH))) {
          this.groups.set(group.id, cached(group));
        }
      }
    };
    await (stale.length >= COMPACT_AFTER_LOADED ? withoutYoungGrowth(load) : load());
    this.noteLoaded(stale.length);
    // Only now: if a load above failed (the database went away), the next refresh must list the
    // same changes again, or the cache would miss them for good.
    this.watermark = list.watermark;
    if (full) {
      this.lastFullMs = Date.now();
    }
    const now = Date.now() / 1000;
    if (changed || this.snapshot === undefined || now >= this.nextExpiry) {
      // Expired groups are left out at read time, on every replica, from the instant they expire;
      // the leader removes them from the database shortly after (GroupExpiry).
      const live: CachedGroup[] = [];
      this.nextExpiry = Number.POSITIVE_INFINITY;
      for (const c of this.groups.values()) {
        if (c.group.expiresAt === undefined || c.group.expiresAt > now) {
          live.push(c);
          this.nextExpiry = Math.min(this.nextExpiry, c.group.expiresAt ?? Number.POSITIVE_INFINITY);
        } else {
          // Out of the merge below: its texts must not keep an old merged Buffer alive.
          c.prepared.families.forEach((f) => f.text.detach());
        }
      }
      this.snapshot = {
        groups: live.map((c) => c.group),
        prepared: new Map(live.map((c) => [c.group.id, c.prepared])),
        merged: mergeGroups(
          live.map((c) => c.prepared),
          this.snapshot?.merged,
          true,
        ),
      };
    }
    return this.snapshot;
  }

  /** Schedules a heap compaction (see COMPACT_AFTER_LOADED), pushed back while loads continue. */
  private noteLoaded(count: number): void {
    this.loadedSinceCompaction += count;
    if (!compactionDue(this.loadedSinceCompaction, this.groups.size, COMPACT_AFTER_LOADED)) {
      return;
    }
    clearTimeout(this.compaction);
    const wait = Math.max(COMPACT_DELAY_MS, this.lastCompactionMs + COMPACT_INTERVAL_MS - Date.now());
    this.compaction = setTimeout(() => {
      this.loadedSinceCompaction = 0;
      this.lastCompactionMs = Date.now();
      compactHeap();
    }, wait);
    this.compaction.unref();
  }
}
