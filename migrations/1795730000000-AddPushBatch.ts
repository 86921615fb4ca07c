import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlFile } from './sql-file';

/**
 * Group commit (issue 14): push.v3.sql adds pgw_push_batch, which applies several pushes to
 * different groups in one statement and so one transaction and one commit, with the batch's locks
 * taken up front in the single push's lock order. The version 2 functions stay and are still used
 * for a push that travels alone.
 */
export class AddPushBatch1795730000000 implements MigrationInterface {
  name = 'AddPushBatch1795730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(sqlFile('push.v3.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of ['pgw_push_batch', 'pgw_push_probe_locked', 'pgw_push_lock_batch']) {
      await q.query(`DROP FUNCTION ${fn}`);
    }
  }
}
