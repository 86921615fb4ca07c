-- The push protocol's SQL, version 3: group commit. Adds to version 2 (push.v2.sql, whose functions
-- stay as they are) a statement that applies several pushes to different groups in one transaction,
-- so concurrent pushes share one round trip and one commit. Loaded by migration
-- 1795730000000-AddPushBatch; called only from src/storage/push-statements.ts.
--
-- pgw_push_batch takes the arguments of n calls of pgw_push_probe: each per-push scalar as an array
-- of n elements, each per-push array concatenated over the pushes with an offsets array of n + 1
-- elements (push i's elements are x[o[i] + 1 : o[i + 1]]). It takes every lock of every push first,
-- in the same global (hash) order as a single push, so batches and single pushes cannot deadlock on
-- advisory locks; then it runs each push as pgw_push_probe would (minus the locks, already held), in
-- order, each seeing what the earlier ones wrote. A push whose probe finds something the
-- consistency check could object to writes nothing and answers its context rows, as a single probe
-- does; the caller checks it and retries it alone. Any error aborts the whole batch (nothing of it is
-- committed); the caller then runs each push alone, so a failing push fails by itself.

-- The advisory locks of several pushes (transaction-scoped), as pgw_push_lock takes them for one:
-- every group key exclusively; each lookup name exclusively when some push gives it a type no stored
-- family of that name has yet, otherwise shared.
CREATE FUNCTION pgw_push_lock_batch(p_group_locks text[], p_lookup text[], p_lookup_types int2[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN
  PERFORM count(CASE WHEN l.exclusive THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END)
  FROM (
    SELECT hashtextextended(u.n, 7) AS k,
           bool_or(u.force OR (u.t >= 0 AND (
             SELECT true FROM metric_family f WHERE f.name = u.n AND f.type = u.t LIMIT 1) IS NULL)) AS exclusive
    FROM (
      SELECT g.n, -1::int2, true FROM unnest(p_group_locks) AS g(n)
      UNION ALL
      SELECT x.n, x.t, false FROM unnest(p_lookup, p_lookup_types) AS x(n, t)
    ) AS u(n, t, force)
    GROUP BY 1 ORDER BY 1
  ) l;
END $$;

-- pgw_push_probe without taking the locks (the caller's transaction holds them).
CREATE FUNCTION pgw_push_probe_locked(
  p_lookup text[], p_tenant text, p_key text, p_replace bool, p_pushed text[],
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

-- Several pushes to different groups in one statement (see the top of this file). Answers the rows
-- pgw_push_probe would answer for each push, tagged with the push's 1-based position.
CREATE FUNCTION pgw_push_batch(
  p_group_lock text[],
  p_lookup text[], p_lookup_types int2[], o_lookup int4[],
  p_tenant text[], p_key text[], p_replace bool[],
  p_pushed text[], f_types int2[], f_helps text[], f_bodies bytea[], f_expositions text[], o_pushed int4[],
  p_suspect_idx int2[], p_suspect_lo int2[], p_suspect_hi int2[], o_suspect int4[],
  p_candidates text[], o_candidates int4[],
  p_exposed_key text[], p_labels jsonb[], p_now float8[], p_ttl float8[],
  h_enabled bool[], h_t bigint[], h_record bool[],
  h_names text[], h_families text[], h_labels text[], h_keys text[], h_values float8[], o_series int4[],
  h_family_list text[], o_family_list int4[],
  h_days bigint[], o_days int4[])
RETURNS TABLE (idx int, kind text, name text, type int, detail text, body bytea)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
BEGIN
  PERFORM pgw_push_lock_batch(p_group_lock, p_lookup, p_lookup_types);
  FOR i IN 1 .. cardinality(p_group_lock) LOOP
    RETURN QUERY SELECT i, r.kind, r.name, r.type, r.detail, r.body FROM pgw_push_probe_locked(
      p_lookup[o_lookup[i] + 1 : o_lookup[i + 1]], p_tenant[i], p_key[i], p_replace[i],
      p_pushed[o_pushed[i] + 1 : o_pushed[i + 1]],
      p_suspect_idx[o_suspect[i] + 1 : o_suspect[i + 1]], p_suspect_lo[o_suspect[i] + 1 : o_suspect[i + 1]],
      p_suspect_hi[o_suspect[i] + 1 : o_suspect[i + 1]],
      p_candidates[o_candidates[i] + 1 : o_candidates[i + 1]],
      p_exposed_key[i], p_labels[i], p_now[i], p_ttl[i],
      f_types[o_pushed[i] + 1 : o_pushed[i + 1]], f_helps[o_pushed[i] + 1 : o_pushed[i + 1]],
      f_bodies[o_pushed[i] + 1 : o_pushed[i + 1]], f_expositions[o_pushed[i] + 1 : o_pushed[i + 1]],
      h_enabled[i], h_t[i],
      h_names[o_series[i] + 1 : o_series[i + 1]], h_families[o_series[i] + 1 : o_series[i + 1]],
      h_labels[o_series[i] + 1 : o_series[i + 1]], h_keys[o_series[i] + 1 : o_series[i + 1]],
      h_values[o_series[i] + 1 : o_series[i + 1]],
      h_family_list[o_family_list[i] + 1 : o_family_list[i + 1]], h_record[i],
      h_days[o_days[i] + 1 : o_days[i + 1]]) AS r;
  END LOOP;
END $$;
