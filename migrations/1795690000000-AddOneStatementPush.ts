import { MigrationInterface, QueryRunner } from 'typeorm';
import { LOCK_AND_READ_FUNCTION } from './1795680000000-AddPushLockAndRead';

/**
 * A whole push in one statement, hence one round trip and (outside an explicit transaction) its own
 * transaction. `pgw_push(p_mode, ...)`:
 * - 'probe': takes the push's advisory locks, looks for anything the consistency check could object
 *   to, and when there is nothing, writes the group, its families and the push history, returning
 *   one row `('w', NULL, NULL, <group id>, NULL)`; when there is something, writes nothing and
 *   returns the check's context (below) for the caller to run the check;
 * - 'read': takes the locks and returns the context (the caller's transaction then checks and
 *   calls 'write');
 * - 'write': writes only (the caller's transaction holds the locks and ran the check).
 *
 * Locks, in one fixed (hash) order so concurrent pushes cannot deadlock: the group's key
 * exclusively; each lookup name exclusively when the push gives it a type no stored family of that
 * name has yet ("settled" names are locked shared: their type cannot change while we hold them).
 * A push that would introduce or change a name's type thus waits for every push of that name.
 *
 * "Anything the check could object to": a stored family of a lookup name with a type in one of the
 * suspect ranges (`lookup[suspect_idx[i]]` with a type from suspect_lo[i] to suspect_hi[i]; the
 * caller derives them from the pushed families with the check's own rules), outside what this push
 * replaces; or any family of a pushed name in a group whose exposed key is a collision candidate.
 * One index probe per range: a pushed gauge's name, say, is suspect as any type but GAUGE, which is
 * two ranges (COUNTER, SUMMARY..GAUGE_HISTOGRAM), and a name derived from a histogram as any type,
 * one range.
 *
 * The context: kind 't' rows, every (name, type) present among the lookup names outside what this
 * push replaces, with one example group's labels as detail (one index probe per name and type);
 * kind 'c' rows, the families of pushed names in collision-candidate groups (exposed key, body).
 *
 * Each statement of a VOLATILE PL/pgSQL function gets a fresh snapshot under READ COMMITTED, so
 * what follows the locks sees every push that committed while this one waited for them.
 *
 * Plans: every access is a point lookup by index, but PL/pgSQL caches generic plans per session,
 * and a plan made while the tables were empty (a new store, or statistics from when they were)
 * would hash or scan whole tables once they are large. So the SQL leaves the planner no such choice:
 * lookups run per row as LATERAL subqueries with LIMIT (or OFFSET 0, which keeps them from being
 * flattened into joins), the group id is fetched into a variable before it is used, and the
 * function runs with enable_seqscan and enable_bitmapscan off, so each probe is a plain index scan
 * that stops at its first match. Deletes of groups go through `pgw_delete_groups` with the same
 * settings, so the per-row cascade to metric_family (whose plan PostgreSQL caches per session on
 * first use) is planned on its index too; the tombstone clean-up they trigger (see
 * AddGroupChangeWatermark) gets an index on deleted_at and the same settings. The group tables get
 * a fillfactor that keeps a push's row updates HOT (no new index entries, no dead ones to step
 * over).
 *
 * Parameters after p_mode:
 * - locks and context: p_group_lock (the group's lock name, always exclusive), lookup (names
 *   whose stored types the check compares), lookup_types (the pushed type, -1 for lookup-only
 *   names), suspect_idx/suspect_lo/suspect_hi (1-based index into lookup, type range), p_tenant, p_key, p_replace (PUT), pushed (family names), candidates
 *   (exposed keys);
 * - the group: p_exposed_key, p_labels, p_now (Unix seconds), and per pushed family f_types,
 *   f_helps, f_bodies (length-delimited protobuf), f_expositions;
 * - the history (skipped when h_enabled is false): h_t (ms), per series h_names, h_families,
 *   h_labels (JSON), h_keys, h_values; h_family_list (families whose series a merge ends when not
 *   pushed), h_record (append samples, not only the series' latest values), h_days (partition day
 *   starts to create first; empty when known to exist).
 */
const PUSH_FUNCTION = `
  CREATE FUNCTION pgw_push(
    p_mode text, p_group_lock text, lookup text[], lookup_types int2[],
    suspect_idx int2[], suspect_lo int2[], suspect_hi int2[],
    p_tenant text, p_key text, p_replace bool, pushed text[], candidates text[],
    p_exposed_key text, p_labels jsonb, p_now float8,
    f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[],
    h_enabled bool, h_t bigint, h_names text[], h_families text[], h_labels text[], h_keys text[],
    h_values float8[], h_family_list text[], h_record bool, h_days bigint[])
  RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
  LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
  #variable_conflict use_column
  DECLARE
    own_id bigint;
    gid bigint;
  BEGIN
    IF p_mode <> 'write' THEN
      PERFORM count(CASE WHEN l.exclusive THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END)
      FROM (
        SELECT hashtextextended(u.n, 7) AS k,
               bool_or(u.force OR (u.t >= 0 AND (
                 SELECT true FROM metric_family f WHERE f.name = u.n AND f.type = u.t LIMIT 1) IS NULL)) AS exclusive
        FROM (
          SELECT p_group_lock, -1::int2, true
          UNION ALL
          SELECT x.n, x.t, false FROM unnest(lookup, lookup_types) AS x(n, t)
        ) AS u(n, t, force)
        GROUP BY 1 ORDER BY 1
      ) l;

      SELECT g.id INTO own_id FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key;

      IF p_mode = 'read' OR (
           EXISTS (
             SELECT 1 FROM unnest(suspect_idx, suspect_lo, suspect_hi) AS s(i, lo, hi)
             CROSS JOIN LATERAL (
               SELECT 1 FROM metric_family f
               WHERE f.name = lookup[s.i] AND f.type BETWEEN s.lo AND s.hi
                 AND NOT (f.group_id IS NOT DISTINCT FROM own_id AND (p_replace OR f.name = ANY(pushed)))
               LIMIT 1) x)
           OR EXISTS (
             SELECT 1 FROM unnest(candidates) AS c(k)
             CROSS JOIN LATERAL (SELECT g.id FROM metric_group g WHERE g.exposed_key = c.k OFFSET 0) g
             CROSS JOIN LATERAL (SELECT 1 FROM metric_family f WHERE f.group_id = g.id AND f.name = ANY(pushed) LIMIT 1) x)) THEN
        RETURN QUERY
          SELECT 't'::text, u.n, t.ty, g.labels::text, NULL::bytea
          FROM unnest(lookup) AS u(n)
          CROSS JOIN generate_series(0, 5) AS t(ty)
          CROSS JOIN LATERAL (
            SELECT f.group_id FROM metric_family f
            WHERE f.name = u.n AND f.type = t.ty
              AND NOT (f.group_id IS NOT DISTINCT FROM own_id AND (p_replace OR f.name = ANY(pushed)))
            LIMIT 1) x
          CROSS JOIN LATERAL (SELECT g.labels FROM metric_group g WHERE g.id = x.group_id OFFSET 0) g
          UNION ALL
          SELECT 'c'::text, f.name, NULL::int, g.exposed_key, f.body
          FROM unnest(candidates) AS c(k)
          CROSS JOIN LATERAL (SELECT g.id, g.exposed_key FROM metric_group g WHERE g.exposed_key = c.k OFFSET 0) g
          CROSS JOIN LATERAL (SELECT f.name, f.body FROM metric_family f WHERE f.group_id = g.id AND f.name = ANY(pushed) OFFSET 0) f;
        RETURN;
      END IF;
    END IF;

    INSERT INTO metric_group AS mg (tenant, grouping_key, exposed_key, labels, push_time)
    VALUES (p_tenant, p_key, p_exposed_key, p_labels, p_now)
    ON CONFLICT (tenant, grouping_key)
    DO UPDATE SET push_time = EXCLUDED.push_time, revision = nextval('metric_group_revision_seq')
    RETURNING mg.id INTO gid;

    IF p_replace THEN
      DELETE FROM metric_family f WHERE f.group_id = gid AND f.name <> ALL(pushed);
    END IF;

    INSERT INTO metric_family AS mf (group_id, name, type, help, pushed_at, body, exposition)
    SELECT gid, u.n, u.ty, u.help, p_now, u.body, u.exposition
    FROM unnest(pushed, f_types, f_helps, f_bodies, f_expositions) AS u(n, ty, help, body, exposition)
    ON CONFLICT (group_id, name) DO UPDATE
      SET type = EXCLUDED.type, help = EXCLUDED.help, pushed_at = EXCLUDED.pushed_at,
          body = EXCLUDED.body, exposition = EXCLUDED.exposition;

    IF h_enabled THEN
      IF cardinality(h_days) > 0 THEN
        PERFORM history_ensure_partition(d) FROM unnest(h_days) AS d;
      END IF;
      -- Upserts every pushed series, ends the group's series the push removes (PUT: all not
      -- pushed; POST: those of the pushed families not pushed), appends a sample per pushed
      -- series and a staleness marker per ended one. Sample times never go backwards per series
      -- (clock skew between replicas). '<> ALL' over the keys is hashed by PostgreSQL.
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
  END $$`;

/**
 * Deletes groups and returns their ids: one group (p_key given), a tenant's (p_tenant given) or all.
 */
const DELETE_FUNCTION = `
  CREATE FUNCTION pgw_delete_groups(p_tenant text, p_key text) RETURNS SETOF bigint
  LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
  BEGIN
    IF p_key IS NOT NULL THEN
      RETURN QUERY DELETE FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key RETURNING g.id;
    ELSIF p_tenant IS NOT NULL THEN
      RETURN QUERY DELETE FROM metric_group g WHERE g.tenant = p_tenant RETURNING g.id;
    ELSE
      RETURN QUERY DELETE FROM metric_group g RETURNING g.id;
    END IF;
  END $$`;

export class AddOneStatementPush1795690000000 implements MigrationInterface {
  name = 'AddOneStatementPush1795690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(PUSH_FUNCTION);
    await q.query(DELETE_FUNCTION);
    await q.query(`ALTER FUNCTION metric_group_bury() SET enable_seqscan = off`);
    await q.query(`DROP FUNCTION pgw_lock_and_read(text[], int2[], bool[], text[], text, text, bool, text[], text[])`);
    await q.query(`CREATE INDEX metric_group_tombstone_deleted_at_idx ON metric_group_tombstone (deleted_at)`);
    await q.query(`ALTER TABLE metric_group SET (fillfactor = 70)`);
    await q.query(`ALTER TABLE metric_family SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE metric_family RESET (fillfactor)`);
    await q.query(`ALTER TABLE metric_group RESET (fillfactor)`);
    await q.query(`DROP INDEX metric_group_tombstone_deleted_at_idx`);
    await q.query(`ALTER FUNCTION metric_group_bury() RESET enable_seqscan`);
    await q.query(`DROP FUNCTION pgw_delete_groups(text, text)`);
    await q.query(LOCK_AND_READ_FUNCTION);
    await q.query(`
      DROP FUNCTION pgw_push(text, text, text[], int2[], int2[], int2[], int2[], text, text, bool, text[], text[],
        text, jsonb, float8, int2[], text[], bytea[], text[], bool, bigint, text[], text[], text[], text[],
        float8[], text[], bool, bigint[])`);
  }
}
