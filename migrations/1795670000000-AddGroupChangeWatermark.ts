import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets a replica find what changed since its last look without listing every group: each group
 * row carries the id of the transaction that last changed it, and deleted groups leave a tombstone
 * (kept for an hour) with the deleting transaction's id. Triggers maintain both, so every writer
 * is covered. A reader that remembers the xmin of its previous snapshot re-reads exactly the rows
 * changed by transactions it could not yet see.
 */
export class AddGroupChangeWatermark1795670000000 implements MigrationInterface {
  name = 'AddGroupChangeWatermark1795670000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE metric_group ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX metric_group_changed_xid_idx ON metric_group (changed_xid)`);
    await q.query(`
      CREATE TABLE metric_group_tombstone (
        group_id     bigint      NOT NULL,
        deleted_xid  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        deleted_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX metric_group_tombstone_xid_idx ON metric_group_tombstone (deleted_xid)`);
    await q.query(`
      CREATE FUNCTION metric_group_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.changed_xid := pg_current_xact_id();
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER metric_group_touch BEFORE UPDATE ON metric_group
      FOR EACH ROW EXECUTE FUNCTION metric_group_touch()`);
    await q.query(`
      CREATE FUNCTION metric_group_bury() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO metric_group_tombstone (group_id) SELECT id FROM old_groups;
        DELETE FROM metric_group_tombstone WHERE deleted_at < now() - interval '1 hour';
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER metric_group_bury AFTER DELETE ON metric_group
      REFERENCING OLD TABLE AS old_groups FOR EACH STATEMENT EXECUTE FUNCTION metric_group_bury()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER metric_group_bury ON metric_group`);
    await q.query(`DROP FUNCTION metric_group_bury()`);
    await q.query(`DROP TRIGGER metric_group_touch ON metric_group`);
    await q.query(`DROP FUNCTION metric_group_touch()`);
    await q.query(`DROP TABLE metric_group_tombstone`);
    await q.query(`DROP INDEX metric_group_changed_xid_idx`);
    await q.query(`ALTER TABLE metric_group DROP COLUMN changed_xid`);
  }
}
