-- The push protocol's SQL, version 4: a bound on the advisory locks of one transaction. Replaces
-- the bodies of pgw_push_lock (push.v2.sql) and pgw_push_lock_batch (push.v3.sql), same
-- signatures, so every caller keeps working. Loaded by migration 1795740000000-BoundPushLocks.
--
-- Every advisory lock takes a slot of the server's shared lock table, which holds
-- max_locks_per_transaction x max_connections locks in all (6,400 with the defaults). A push locks
-- each metric name it looks up, so one push of thousands of families (or a batch of many pushes
-- with different names) could fill the table: its statement then failed with "out of shared
-- memory", and so did every other session's lock meanwhile. Now a transaction whose names would
-- take more than 128 lock keys takes one lock covering every name instead: the names lock
-- (advisory key (7, 1), the two-integer key space, which no hashed key can hit) exclusively, and
-- every other push transaction takes the names lock shared before its own name locks. Pushes with
-- few names therefore run side by side as before; one with very many waits for those in flight
-- and holds the others back while it runs. The group locks are taken as before, after the names
-- lock, in hash order, so the lock order stays the same for everyone and nothing can deadlock.

CREATE OR REPLACE FUNCTION pgw_push_lock(p_group_lock text, p_lookup text[], p_lookup_types int2[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN
  PERFORM pgw_push_lock_batch(ARRAY[p_group_lock], p_lookup, p_lookup_types);
END $$;

CREATE OR REPLACE FUNCTION pgw_push_lock_batch(p_group_locks text[], p_lookup text[], p_lookup_types int2[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN
  IF (SELECT count(DISTINCT hashtextextended(x.n, 7)) FROM unnest(p_lookup) AS x(n)) > 128 THEN
    PERFORM pg_advisory_xact_lock(7, 1);
    PERFORM count(pg_advisory_xact_lock(g.k))
    FROM (SELECT DISTINCT hashtextextended(x.n, 7) AS k FROM unnest(p_group_locks) AS x(n) ORDER BY 1) g;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(7, 1);
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
