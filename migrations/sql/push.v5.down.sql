-- Undoes push.v5.sql: pgw_push_write as push.v2.sql defined it, with the generic plans of
-- 1795750000000-GenericPushPlans.

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
