import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The push history behind the query API (DESIGN §7).
 *
 * history_series: one row per series ever pushed (per tenant), keyed by its canonical label set.
 * It carries the series' latest sample (last_t/last_v/last_stale), so "the current value" of any
 * number of series is one index scan, and stays answerable after retention dropped the samples of
 * a series that was pushed long ago and never replaced. group_id is the group currently holding
 * the series, NULL once it was replaced away or deleted (deliberately no foreign key: history
 * outlives groups).
 *
 * history_sample: every pushed sample (push time = sample time, ms since the epoch) and the
 * staleness markers written when a series disappears, RANGE-partitioned by day so retention drops
 * whole partitions. Partitions are named history_sample_pYYYYMMDD and created by
 * history_ensure_partition (ahead of time by the retention leader, on demand by writers).
 */
export class CreatePushHistory1767312000000 implements MigrationInterface {
  name = 'CreatePushHistory1767312000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE history_series (
        id          bigserial        PRIMARY KEY,
        tenant      text             NOT NULL DEFAULT '',
        name        text COLLATE "C" NOT NULL,
        family      text             NOT NULL,
        labels      jsonb            NOT NULL,
        series_key  text COLLATE "C" NOT NULL,
        group_id    bigint,
        first_t     bigint           NOT NULL,
        last_t      bigint           NOT NULL,
        last_v      double precision NOT NULL,
        last_stale  boolean          NOT NULL DEFAULT false,
        CONSTRAINT history_series_key_uq UNIQUE (tenant, series_key)
      ) WITH (fillfactor = 80)`);
    // Every push rewrites its series' last_* columns; free space per page keeps those updates HOT.
    await q.query(`CREATE INDEX history_series_name_idx ON history_series (name)`);
    await q.query(`CREATE INDEX history_series_labels_idx ON history_series USING gin (labels jsonb_path_ops)`);
    await q.query(`CREATE INDEX history_series_group_idx ON history_series (group_id) WHERE group_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE history_sample (
        series_id bigint           NOT NULL,
        t         bigint           NOT NULL,
        v         double precision NOT NULL,
        stale     boolean          NOT NULL DEFAULT false
      ) PARTITION BY RANGE (t)`);
    // Covering: a series' samples are spread over as many heap pages as pushes (each push writes
    // every series of a group side by side), so range reads are index-only once the partition is
    // vacuumed (the retention leader vacuums the current days).
    await q.query(`CREATE INDEX history_sample_series_t_idx ON history_sample (series_id, t) INCLUDE (v, stale)`);
    // Creates the partition holding the UTC day that starts at day_start (ms); a no-op when it
    // exists. The transaction-scoped advisory lock serialises concurrent creators (replicas).
    await q.query(`
      CREATE FUNCTION history_ensure_partition(day_start bigint) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        part text := 'history_sample_p' || to_char(to_timestamp(day_start / 1000.0) AT TIME ZONE 'UTC', 'YYYYMMDD');
      BEGIN
        IF to_regclass(part) IS NOT NULL THEN
          RETURN;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('history_sample partitions', 7));
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF history_sample FOR VALUES FROM (%s) TO (%s)',
                       part, day_start, day_start + 86400000);
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION history_ensure_partition(bigint)`);
    await q.query(`DROP TABLE history_sample`);
    await q.query(`DROP TABLE history_series`);
  }
}
