import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlFile } from './sql-file';

/**
 * A large push replacing a large group (20-25 s for 50,000 series since GenericPushPlans, ~3 s
 * before): push.v5.sql rewrites pgw_push_write's membership tests in its array arguments so that
 * they stay hashed under the generic plans 1795750000000-GenericPushPlans introduced. Same
 * signature as before; the function keeps plan_cache_mode = force_generic_plan.
 */
export class HashedPushMembership1795760000000 implements MigrationInterface {
  name = 'HashedPushMembership1795760000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(sqlFile('push.v5.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(sqlFile('push.v5.down.sql'));
  }
}
