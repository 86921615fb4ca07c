import { Inject, Injectable } from '@nestjs/common';
import { Database } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { fromDbText, toDbText } from 'src/storage/db-text';

/** The protobuf bodies of the named families: one primary-key lookup per (group, family) pair. */
const LOAD_FAMILY_BODIES = `
  SELECT f.group_id::text AS group_id, f.name, f.body
  FROM unnest($1::bigint[], $2::text[]) AS k(group_id, name)
  JOIN metric_family f ON f.group_id = k.group_id AND f.name = k.name`;

/** One family of one group. */
export interface FamilyRef {
  groupId: string;
  name: string;
}

/** A loaded family body: length-delimited, sanitised `io.prometheus.client.MetricFamily`. */
export interface FamilyBody extends FamilyRef {
  body: Buffer;
}

/** Reads single stored families, for readers that need a few families' full data (exemplars). */
@Injectable()
export class FamilyBodyRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The bodies of the given families, in no particular order; families that no longer exist are skipped. */
  async loadFamilyBodies(refs: readonly FamilyRef[]): Promise<FamilyBody[]> {
    if (refs.length === 0) {
      return [];
    }
    const rows = await this.db.query<{ group_id: string; name: string; body: Buffer }>(LOAD_FAMILY_BODIES, [
      refs.map((r) => r.groupId),
      refs.map((r) => toDbText(r.name)),
    ]);
    return rows.map((r) => ({ groupId: r.group_id, name: fromDbText(r.name), body: r.body }));
  }
}
