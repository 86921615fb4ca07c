-- The push protocol's SQL, version 2: one function per step, called with named arguments (see
-- src/storage/push-statements.ts, the only caller). Loaded by migration 1795710000000-AddGroupTtl.
-- Never edit a released version: write push.v3.sql and a migration that swaps it in.
--
-- A push is normally one statement, pgw_push_probe: take the locks, look for anything the
-- consistency check could object to, and write when there is nothing. Otherwise the caller runs
-- the check on pgw_push_probe's answer and, if it passes after all, redoes the push as a
-- transaction: pgw_push_read (locks + context), the check, pgw_push_write.
--
-- Locks, in one fixed (hash) order so concurrent pushes cannot deadlock: the group's key
-- exclusively; each lookup name exclusively when the push gives it a type no stored family of that
-- name has yet ("settled" names are locked shared: their type cannot change while they are held).
--
-- Plans: PL/pgSQL caches generic plans per session, and a plan made while the tables were empty
-- would hash or scan whole tables once they are large. So every lookup is a LATERAL subquery with
-- LIMIT (or OFFSET 0, which keeps it from being flattened into a join), the group id is fetched
-- before it is used, and the functions run with enable_seqscan and enable_bitmapscan off.
-- Each statement of a VOLATILE PL/pgSQL function gets a fresh snapshot under READ COMMITTED, so
-- what follows the locks sees every push that committed while this one waited for them.

-- The push's advisory locks (transaction-scoped). p_lookup_types: the pushed type of each lookup
-- name, -1 for names only looked up.
CREATE FUNCTION pgw_push_lock(p_group_lock text, p_lookup text[], p_lookup_types int2[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN
  PERFORM count(CASE WHEN l.exclusive THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END)
  FROM (
    SELECT hashtextextended(u.n, 7) AS k,
           bool_or(u.force OR (u.t >= 0 AND (
             SELECT true FROM metric_family f WHERE f.name = u.n AND f.type = u.t LIMIT 1) IS NULL)) AS exclusive
    FROM (
      SELECT p_group_lock, -1::int2, true
      UNION ALL
      SELECT x.n, x.t, false FROM unnest(p_lookup, p_lookup_types) AS x(n, t)
    ) AS u(n, t, force)
    GROUP BY 1 ORDER BY 1
  ) l;
END $$;

-- Whether the store holds anything the check could object to: a family of a lookup name with a
-- type in one of the suspect ranges (p_lookup[p_suspect_idx[i]], types p_suspect_lo[i] to
-- p_suspect_hi[i]) outside what this push replaces, or any family of a pushed name in a group whose
-- exposed key is a collision candidate. One index probe per range or candidate.
CREATE FUNCTION pgw_push_suspect(
  p_own_id bigint, p_replace bool, p_pushed text[], p_lookup text[],
  p_suspect_idx int2[], p_suspect_lo int2[], p_suspect_hi int2[], p_candidates text[]) RETURNS bool
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN
  RETURN EXISTS (
           SELECT 1 FROM unnest(p_suspect_idx, p_suspect_lo, p_suspect_hi) AS s(i, lo, hi)
           CROSS JOIN LATERAL (
             SELECT 1 FROM metric_family f
             WHERE f.name = p_lookup[s.i] AND f.type BETWEEN s.lo AND s.hi
               AND NOT (f.group_id IS NOT DISTINCT FROM p_own_id AND (p_replace OR f.name = ANY(p_pushed)))
             LIMIT 1) x)
      OR EXISTS (
           SELECT 1 FROM unnest(p_candidates) AS c(k)
           CROSS JOIN LATERAL (SELECT g.id FROM metric_group g WHERE g.exposed_key = c.k OFFSET 0) g
           CROSS JOIN LATERAL (SELECT 1 FROM metric_family f WHERE f.group_id = g.id AND f.name = ANY(p_pushed) LIMIT 1) x);
END $$;

-- What the consistency check sees of the store: kind 't', every (name, type) stored among the
-- lookup names outside what this push replaces, with one example group's labels as detail; kind
-- 'c', the families of pushed names in collision-candidate groups (exposed key, protobuf body).
CREATE FUNCTION pgw_push_context(p_own_id bigint, p_replace bool, p_pushed text[], p_lookup text[], p_candidates text[])
RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT 't'::text, u.n, t.ty, g.labels::text, NULL::bytea
    FROM unnest(p_lookup) AS u(n)
    CROSS JOIN generate_series(0, 5) AS t(ty)
    CROSS JOIN LATERAL (
      SELECT f.group_id FROM metric_family f
      WHERE f.name = u.n AND f.type = t.ty
        AND NOT (f.group_id IS NOT DISTINCT FROM p_own_id AND (p_replace OR f.name = ANY(p_pushed)))
      LIMIT 1) x
    CROSS JOIN LATERAL (SELECT g.labels FROM metric_group g WHERE g.id = x.group_id OFFSET 0) g
    UNION ALL
    SELECT 'c'::text, f.name, NULL::int, g.exposed_key, f.body
    FROM unnest(p_candidates) AS c(k)
    CROSS JOIN LATERAL (SELECT g.id, g.exposed_key FROM metric_group g WHERE g.exposed_key = c.k OFFSET 0) g
    CROSS JOIN LATERAL (SELECT f.name, f.body FROM metric_family f WHERE f.group_id = g.id AND f.name = ANY(p_pushed) OFFSET 0) f;
END $$;

-- Writes a checked push: the group (push time, TTL from now on: NULL never expires), its families
-- (PUT: replacing all; POST: those pushed) and, when h_enabled, the history: every pushed series
-- upserted with its sample, and the group's series the push removes (PUT: all not pushed; POST:
-- those of the pushed families not pushed) ended with a staleness marker. Sample times never go
-- backwards per series (clock skew between replicas). Returns the group id.
CREATE FUNCTION pgw_push_write(
  p_tenant text, p_key text, p_replace bool, p_pushed text[],
  p_exposed_key text, p_labels jsonb, p_now float8, p_ttl float8,
  f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[],
  h_enabled bool, h_t bigint, h_names text[], h_families text[], h_labels text[], h_keys text[],
  h_values float8[], h_family_list text[], h_record bool, h_days bigint[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  gid bigint;
BEGIN
  INSERT INTO metric_group AS mg (tenant, grouping_key, exposed_key, labels, push_time, ttl_seconds)
  VALUES (p_tenant, p_key, p_exposed_key, p_labels, p_now, p_ttl)
  ON CONFLICT (tenant, grouping_key)
  DO UPDATE SET push_time = EXCLUDED.push_time, ttl_seconds = EXCLUDED.ttl_seconds,
                revision = nextval('metric_group_revision_seq')
  RETURNING mg.id INTO gid;

  IF p_replace THEN
    DELETE FROM metric_family f WHERE f.group_id = gid AND f.name <> ALL(p_pushed);
  END IF;

  INSERT INTO metric_family AS mf (group_id, name, type, help, pushed_at, body, exposition)
  SELECT gid, u.n, u.ty, u.help, p_now, u.body, u.exposition
  FROM unnest(p_pushed, f_types, f_helps, f_bodies, f_expositions) AS u(n, ty, help, body, exposition)
  ON CONFLICT (group_id, name) DO UPDATE
    SET type = EXCLUDED.type, help = EXCLUDED.help, pushed_at = EXCLUDED.pushed_at,
        body = EXCLUDED.body, exposition = EXCLUDED.exposition;

  IF h_enabled THEN
    IF cardinality(h_days) > 0 THEN
      PERFORM history_ensure_partition(d) FROM unnest(h_days) AS d;
    END IF;
    -- '<> ALL' over the keys is hashed by PostgreSQL.
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
  RETURN gid;
END $$;

-- The one-statement push (its own transaction outside an explicit one): locks, then either the
-- context (nothing written) when pgw_push_suspect finds something, or the write, answered by one
-- row ('w', NULL, NULL, <group id>, NULL).
CREATE FUNCTION pgw_push_probe(
  p_group_lock text, p_lookup text[], p_lookup_types int2[],
  p_tenant text, p_key text, p_replace bool, p_pushed text[],
  p_suspect_idx int2[], p_suspect_lo int2[], p_suspect_hi int2[], p_candidates text[],
  p_exposed_key text, p_labels jsonb, p_now float8, p_ttl float8,
  f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[],
  h_enabled bool, h_t bigint, h_names text[], h_families text[], h_labels text[], h_keys text[],
  h_values float8[], h_family_list text[], h_record bool, h_days bigint[])
RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
DECLARE
  own_id bigint;
BEGIN
  PERFORM pgw_push_lock(p_group_lock, p_lookup, p_lookup_types);
  SELECT g.id INTO own_id FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key;
  IF pgw_push_suspect(own_id, p_replace, p_pushed, p_lookup, p_suspect_idx, p_suspect_lo, p_suspect_hi, p_candidates) THEN
    RETURN QUERY SELECT * FROM pgw_push_context(own_id, p_replace, p_pushed, p_lookup, p_candidates);
    RETURN;
  END IF;
  RETURN QUERY SELECT 'w'::text, NULL::text, NULL::int,
    pgw_push_write(p_tenant, p_key, p_replace, p_pushed, p_exposed_key, p_labels, p_now, p_ttl,
                   f_types, f_helps, f_bodies, f_expositions,
                   h_enabled, h_t, h_names, h_families, h_labels, h_keys, h_values, h_family_list, h_record, h_days)::text,
    NULL::bytea;
END $$;

-- The locked read of the transactional path: locks, then the context.
CREATE FUNCTION pgw_push_read(
  p_group_lock text, p_lookup text[], p_lookup_types int2[],
  p_tenant text, p_key text, p_replace bool, p_pushed text[], p_candidates text[])
RETURNS TABLE (kind text, name text, type int, detail text, body bytea)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
DECLARE
  own_id bigint;
BEGIN
  PERFORM pgw_push_lock(p_group_lock, p_lookup, p_lookup_types);
  SELECT g.id INTO own_id FROM metric_group g WHERE g.tenant = p_tenant AND g.grouping_key = p_key;
  RETURN QUERY SELECT * FROM pgw_push_context(own_id, p_replace, p_pushed, p_lookup, p_candidates);
END $$;
