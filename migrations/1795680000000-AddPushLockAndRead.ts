import { MigrationInterface, QueryRunner } from 'typeorm';

/** The function as this migration creates it (AddOneStatementPush drops it and, reverted, restores it). */
export const LOCK_AND_READ_FUNCTION = `
      CREATE FUNCTION pgw_lock_and_read(
        lock_names text[], lock_types int2[], lock_force bool[],
        lookup text[], p_tenant text, p_key text, p_replace bool, pushed text[], candidates text[])
      RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
      LANGUAGE plpgsql VOLATILE AS $$
      #variable_conflict use_column
      BEGIN
        PERFORM count(CASE WHEN l.exclusive THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END)
        FROM (
          SELECT hashtextextended(u.n, 7) AS k,
                 bool_or(u.force OR (u.t >= 0 AND NOT EXISTS (
                   SELECT 1 FROM metric_family f WHERE f.name = u.n AND f.type = u.t))) AS exclusive
          FROM unnest(lock_names, lock_types, lock_force) AS u(n, t, force)
          GROUP BY 1 ORDER BY 1
        ) l;
        IF cardinality(lookup) = 0 AND cardinality(candidates) = 0 THEN
          RETURN;
        END IF;
        RETURN QUERY
          WITH own AS (SELECT g.id FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key)
          SELECT 't'::text, u.n, t.ty, g.labels::text, NULL::bytea
          FROM unnest(lookup) AS u(n)
          CROSS JOIN generate_series(0, 5) AS t(ty)
          CROSS JOIN LATERAL (
            SELECT f.group_id FROM metric_family f
            WHERE f.name = u.n AND f.type = t.ty
              AND NOT (f.group_id IS NOT DISTINCT FROM (SELECT own.id FROM own) AND (p_replace OR f.name = ANY(pushed)))
            LIMIT 1) x
          JOIN metric_group g ON g.id = x.group_id
          UNION ALL
          SELECT 'c'::text, f.name, NULL::int, g.exposed_key, f.body
          FROM metric_group g JOIN metric_family f ON f.group_id = g.id
          WHERE g.exposed_key = ANY(candidates) AND f.name = ANY(pushed);
      END $$`;

/**
 * One round trip for the first half of a push: `pgw_lock_and_read` takes the push's advisory locks
 * and then, in a second statement (PL/pgSQL gives each statement of a volatile function a fresh
 * snapshot under READ COMMITTED, so it sees every push that committed while we waited for the
 * locks), reads what the consistency check needs.
 *
 * Locks, in one fixed (hash) order so concurrent pushes cannot deadlock: the group's key
 * exclusively; each pushed name exclusively unless a family of that name and type already exists
 * ("settled": its type cannot change while we hold the lock shared); derived and base names shared.
 * A push that would introduce or change a name's type thus waits for every push of that name.
 *
 * Rows returned: kind 't' — every (name, type) present among the lookup names outside what this
 * push replaces, with one example group's labels (at most six index probes per name); kind 'c' —
 * the families of pushed names in groups whose exposed key is a collision candidate.
 */
export class AddPushLockAndRead1795680000000 implements MigrationInterface {
  name = 'AddPushLockAndRead1795680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(LOCK_AND_READ_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION pgw_lock_and_read(text[], int2[], bool[], text[], text, text, bool, text[], text[])`);
  }
}
