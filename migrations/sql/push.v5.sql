-- The push protocol's SQL, version 5: set membership that stays hashed under generic plans.
-- Replaces the body of pgw_push_write (push.v2.sql), same signature, so every caller keeps working.
-- Loaded by migration 1795760000000-HashedPushMembership.
--
-- pgw_push_write tested membership in its array arguments with `x <> ALL(array)` and
-- `x = ANY(array)`. PostgreSQL hashes such a test only when the array is a constant at planning
-- time, which it is in a custom plan; since 1795750000000-GenericPushPlans the push functions plan
-- once per session with the arrays as parameters, and the tests became a linear search per row:
-- ending the series a push removes compared each of the group's stored series with every pushed
-- series key, so replacing a group of 50,000 series took 20-25 s instead of ~3 s (13.6 s against
-- 40 ms for the bare statement on 50,000 rows, psql, PREPARE under force_generic_plan). Written as
-- `NOT IN (SELECT unnest(array))` / `IN (SELECT unnest(array))` they become a hashed subplan,
-- built once per statement, whatever the plan. The arrays are never NULL and never hold NULL
-- (push-statements.ts passes [] for an absent one), so NOT IN means what <> ALL meant. test/integration/query-plans.spec.ts reads the plans (auto_explain) of a push
-- replacing a group and checks what it ended.
--
-- CREATE OR REPLACE resets the function's settings, so plan_cache_mode is repeated here.

CREATE OR REPLACE FUNCTION pgw_push_write(
  p_tenant text, p_key text, p_replace bool, p_pushed text[],
  p_exposed_key text, p_labels jsonb, p_now float8, p_ttl float8,
  f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[],
  h_enabled bool, h_t bigint, h_names text[], h_families text[], h_labels text[], h_keys text[],
  h_values float8[], h_family_list text[], h_record bool, h_days bigint[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan AS $$
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
    DELETE FROM metric_family f WHERE f.group_id = gid AND f.name NOT IN (SELECT unnest(p_pushed));
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
      WHERE s.group_id = gid AND (p_replace OR s.family IN (SELECT unnest(h_family_list)))
        AND s.series_key NOT IN (SELECT unnest(h_keys))
      RETURNING s.id, s.last_t
    )
    INSERT INTO history_sample (series_id, t, v, stale)
    SELECT ps.id, ps.last_t, ps.last_v, false FROM pushed_series ps WHERE h_record
    UNION ALL
    SELECT e.id, e.last_t, 'NaN', true FROM ended e WHERE h_record;
  END IF;
  RETURN gid;
END $$;
