import { Injectable } from '@nestjs/common';
import { MetricGroupRepository, StoredGroup } from 'src/storage/metric-group.repository';
import { mergeGroups, MergedFamily } from 'src/core/scrape/render';

/** What a scrape renders: every stored group and their families merged by name. */
export interface StoreSnapshot {
  groups: StoredGroup[];
  merged: MergedFamily[];
}

/**
 * An in-memory copy of the store for scrapes and the JSON API, kept current by a cheap check on
 * every read: the (id, revision) list of all groups. Only groups whose revision changed are
 * reloaded, and the merged families are rebuilt only when something changed. Because the check
 * runs after the read arrives, a push acknowledged by any replica before it is always included.
 * Refreshes run one at a time per process (cache bookkeeping only; writes never wait on it).
 */
@Injectable()
export class GroupCache {
  private readonly groups = new Map<string, StoredGroup>();
  private merged: MergedFamily[] | undefined;
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
      if (this.groups.get(id)?.revision !== revision) {
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
      this.groups.set(group.id, group);
    }
    const groups = [...this.groups.values()];
    if (changed || this.merged === undefined) {
      this.merged = mergeGroups(groups);
    }
    return { groups, merged: this.merged };
  }
}
