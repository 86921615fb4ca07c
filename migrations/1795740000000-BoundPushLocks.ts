import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlFile } from './sql-file';

/**
 * Hostile input (a push of thousands of metric families filled PostgreSQL's shared lock table):
 * push.v4.sql bounds the advisory locks of one push transaction, taking one lock that covers every
 * name when there would be more than 128 name locks. Same function signatures as before.
 */
export class BoundPushLocks1795740000000 implements MigrationInterface {
  name = 'BoundPushLocks1795740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(sqlFile('push.v4.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(sqlFile('push.v4.down.sql'));
  }
}
