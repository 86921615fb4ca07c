import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlFile } from './sql-file';

/**
 * Group expiry (TTL) and the push protocol's SQL as separate functions (push.v2.sql: lock, suspect
 * probe, context, write, and the one-statement probe and the locked read built from them, called
 * with named arguments). `metric_group.ttl_seconds` is the TTL of the group's last successful push
 * (NULL: never expires); a group expires at push_time + ttl_seconds, which the partial index lets
 * the leader's sweep find without reading the other groups.
 */
export class AddGroupTtl1795710000000 implements MigrationInterface {
  name = 'AddGroupTtl1795710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE metric_group ADD COLUMN ttl_seconds double precision`);
    await q.query(`CREATE INDEX metric_group_expiry_idx ON metric_group ((push_time + ttl_seconds)) WHERE ttl_seconds IS NOT NULL`);
    await q.query(`
      DROP FUNCTION pgw_push(text, text, text[], int2[], int2[], int2[], int2[], text, text, bool, text[], text[],
        text, jsonb, float8, int2[], text[], bytea[], text[], bool, bigint, text[], text[], text[], text[],
        float8[], text[], bool, bigint[])`);
    await q.query(sqlFile('push.v2.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of ['pgw_push_read', 'pgw_push_probe', 'pgw_push_write', 'pgw_push_context', 'pgw_push_suspect', 'pgw_push_lock']) {
      await q.query(`DROP FUNCTION ${fn}`);
    }
    await q.query(sqlFile('push.v1.sql'));
    await q.query(`DROP INDEX metric_group_expiry_idx`);
    await q.query(`ALTER TABLE metric_group DROP COLUMN ttl_seconds`);
  }
}
