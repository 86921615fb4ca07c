import { Injectable } from '@nestjs/common';
import { MetricGroupRepository, StoredGroup } from 'src/storage/metric-group.repository';
import { mergeGroups, MergedFamily, PreparedGroup, prepareGroup } from 'src/core/scrape/render';

/** What a scrape renders: every stored group, each prepared for merging, and all of them merged. */
export interface StoreSnapshot {
  groups: StoredGroup[];
  /** Prepared form of each group in `groups`, by group id. */
  prepared: ReadonlyMap<string, PreparedGroup>;
  merged: MergedFamily[];
}

interface CachedGroup {
  group: StoredGroup;
  prepared: PreparedGroup;
}

/**
 * An in-memory copy of the store for scrapes and the JSON API, kept current by a cheap check on
 * every read: the (id, revision) list of all groups. Only groups whose revision changed are
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

  constructor(private readonly repository: MetricGroupRepository) {}

  /** Returns a snapshot at least as new as the database state when this call was made. */
  current(): Promise<StoreSnapshot> {
    const next = this.chain.then(() => this.refresh());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async refresh(): Promise<StoreSnapshot> {
    const revisions = await this.repository.listRevisions();
    const live = new Set<string>();
    const stale: string[] = [];
    for (const { id, revision } of revisions) {
      live.add(id);
      if (this.groups.get(id)?.group.revision !== revision) {
        stale.push(id);
      }
    }
    let changed = stale.length > 0;
    for (const id of this.groups.keys()) {
      if (!live.has(id)) {
        this.groups.delete(id);
        changed = true;
      }
    }
    for (const group of await this.repository.loadGroups(stale)) {
      this.groups.set(group.id, { group, prepared: prepareGroup(group) });
    }
    if (changed || this.snapshot === undefined) {
      const cached = [...this.groups.values()];
      this.snapshot = {
        groups: cached.map((c) => c.group),
        prepared: new Map(cached.map((c) => [c.group.id, c.prepared])),
        merged: mergeGroups(
          cached.map((c) => c.prepared),
          this.snapshot?.merged,
        ),
      };
    }
    return this.snapshot;
  }
}
