import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A whole push in one statement, hence one round trip and (outside an explicit transaction) its
 * own transaction: `pgw_push` takes the push's advisory locks (as pgw_lock_and_read does), looks
 * for anything the consistency check could object to, and when there is nothing, writes the group,
 * its families and the push history, returning one row `('w', NULL, NULL, <group id>, NULL)`.
 *
 * "Anything the check could object to" is decided from `suspect_names`/`suspect_types`: the
 * (name, type) pairs a stored family may not have (the caller derives them from the pushed families
 * with the same rules as the check), plus any family of a pushed name in a collision-candidate
 * group. When one exists, nothing is written and the function returns the check's full context
 * (exactly what pgw_lock_and_read returns) for the caller to run the check and report the error.
 *
 * Called with empty lock, lookup and candidate arrays inside a transaction that already holds the
 * locks (and ran the check itself), it only writes.
 *
 * Each statement of a VOLATILE PL/pgSQL function gets a fresh snapshot under READ COMMITTED, so the
 * probes and the writes see every push that committed while this one waited for its locks.
 *
 * Parameters:
 * - locks and context: lock_names, lock_types, lock_force, lookup, p_tenant, p_key, p_replace,
 *   pushed, candidates (as pgw_lock_and_read), suspect_names, suspect_types;
 * - the group: p_exposed_key, p_labels, p_now (Unix seconds), and the pushed families (names are
 *   `pushed`): f_types, f_helps, f_bodies (length-delimited protobuf), f_expositions;
 * - the history (skipped when h_enabled is false): h_t (ms), per series h_names, h_families,
 *   h_labels (JSON), h_keys, h_values; h_family_list (families whose series a merge may end),
 *   h_record (append samples, not only the series' latest values), h_days (partition day starts
 *   to create first; empty when known to exist).
 */
export class AddOneStatementPush1795690000000 implements MigrationInterface {
  name = 'AddOneStatementPush1795690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION pgw_push(
        lock_names text[], lock_types int2[], lock_force bool[],
        lookup text[], p_tenant text, p_key text, p_replace bool, pushed text[], candidates text[],
        suspect_names text[], suspect_types int2[],
        p_exposed_key text, p_labels jsonb, p_now float8,
        f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[],
        h_enabled bool, h_t bigint, h_names text[], h_families text[], h_labels text[], h_keys text[],
        h_values float8[], h_family_list text[], h_record bool, h_days bigint[])
      RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
      LANGUAGE plpgsql VOLATILE AS $$
      #variable_conflict use_column
      DECLARE
        gid bigint;
      BEGIN
        IF cardinality(lock_names) > 0 THEN
          PERFORM count(CASE WHEN l.exclusive THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END)
          FROM (
            SELECT hashtextextended(u.n, 7) AS k,
                   bool_or(u.force OR (u.t >= 0 AND NOT EXISTS (
                     SELECT 1 FROM metric_family f WHERE f.name = u.n AND f.type = u.t))) AS exclusive
            FROM unnest(lock_names, lock_types, lock_force) AS u(n, t, force)
            GROUP BY 1 ORDER BY 1
          ) l;
        END IF;

        IF cardinality(suspect_names) > 0 OR cardinality(candidates) > 0 THEN
          IF EXISTS (
               SELECT 1 FROM unnest(suspect_names, suspect_types) AS s(n, ty)
               WHERE EXISTS (
                 SELECT 1 FROM metric_family f
                 WHERE f.name = s.n AND f.type = s.ty
                   AND NOT (f.group_id IS NOT DISTINCT FROM (
                              SELECT g.id FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key)
                            AND (p_replace OR f.name = ANY(pushed)))))
             OR EXISTS (
               SELECT 1 FROM metric_group g JOIN metric_family f ON f.group_id = g.id
               WHERE g.exposed_key = ANY(candidates) AND f.name = ANY(pushed)) THEN
            RETURN QUERY SELECT * FROM pgw_lock_and_read('{}', '{}', '{}', lookup, p_tenant, p_key, p_replace, pushed, candidates);
            RETURN;
          END IF;
        END IF;

        WITH g AS (
          INSERT INTO metric_group AS mg (tenant, grouping_key, exposed_key, labels, push_time)
          VALUES (p_tenant, p_key, p_exposed_key, p_labels, p_now)
          ON CONFLICT (tenant, grouping_key)
          DO UPDATE SET push_time = EXCLUDED.push_time, revision = nextval('metric_group_revision_seq')
          RETURNING mg.id
        ), removed AS (
          DELETE FROM metric_family f USING g
          WHERE p_replace AND f.group_id = g.id AND f.name <> ALL(pushed)
        ), written AS (
          INSERT INTO metric_family AS mf (group_id, name, type, help, pushed_at, body, exposition)
          SELECT g.id, u.n, u.ty, u.help, p_now, u.body, u.exposition
          FROM g, unnest(pushed, f_types, f_helps, f_bodies, f_expositions) AS u(n, ty, help, body, exposition)
          ON CONFLICT (group_id, name) DO UPDATE
            SET type = EXCLUDED.type, help = EXCLUDED.help, pushed_at = EXCLUDED.pushed_at,
                body = EXCLUDED.body, exposition = EXCLUDED.exposition
        )
        SELECT g.id INTO gid FROM g;

        IF h_enabled THEN
          IF cardinality(h_days) > 0 THEN
            PERFORM history_ensure_partition(d) FROM unnest(h_days) AS d;
          END IF;
          -- Upserts every pushed series, ends the group's series the push removes (PUT: all not
          -- pushed; POST: those of the pushed families not pushed), appends a sample per pushed
          -- series and a staleness marker per ended one. Sample times never go backwards per
          -- series (clock skew between replicas). '<> ALL' over the keys is hashed by PostgreSQL.
          WITH input AS MATERIALIZED (
            SELECT * FROM unnest(h_names, h_families, h_labels, h_keys, h_values) AS u(n, family, labels, key, v)
          ), pushed_series AS (
            INSERT INTO history_series AS s (tenant, name, family, labels, series_key, group_id, first_t, last_t, last_v, last_stale)
            SELECT p_tenant, i.n, i.family, i.labels::jsonb, i.key, gid, h_t, h_t, i.v, false FROM input i
            ON CONFLICT (tenant, series_key) DO UPDATE
              SET group_id = EXCLUDED.group_id, family = EXCLUDED.family,
                  last_t = GREATEST(EXCLUDED.last_t, s.last_t + 1), last_v = EXCLUDED.last_v, last_stale = false
            RETURNING s.id, s.last_t, s.last_v
          ), ended AS (
            UPDATE history_series s
            SET group_id = NULL, last_t = GREATEST(h_t, s.last_t + 1), last_v = 'NaN', last_stale = true
            WHERE s.group_id = gid AND (p_replace OR s.family = ANY(h_family_list))
              AND s.series_key <> ALL(h_keys)
            RETURNING s.id, s.last_t
          )
          INSERT INTO history_sample (series_id, t, v, stale)
          SELECT ps.id, ps.last_t, ps.last_v, false FROM pushed_series ps WHERE h_record
          UNION ALL
          SELECT e.id, e.last_t, 'NaN', true FROM ended e WHERE h_record;
        END IF;

        RETURN QUERY SELECT 'w'::text, NULL::text, NULL::int, gid::text, NULL::bytea;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION pgw_push(text[], int2[], bool[], text[], text, text, bool, text[], text[], text[], int2[],
        text, jsonb, float8, int2[], text[], bytea[], text[], bool, bigint, text[], text[], text[], text[],
        float8[], text[], bool, bigint[])`);
  }
}
