-- Undoes push.v4.sql: the lock functions as push.v2.sql and push.v3.sql defined them.

CREATE OR REPLACE FUNCTION pgw_push_lock(p_group_lock text, p_lookup text[], p_lookup_types int2[]) RETURNS void
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

CREATE OR REPLACE FUNCTION pgw_push_lock_batch(p_group_locks text[], p_lookup text[], p_lookup_types int2[]) RETURNS void
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
