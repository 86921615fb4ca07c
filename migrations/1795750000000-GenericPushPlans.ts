import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Performance (issue 14): the push protocol's functions plan their statements once per session.
 *
 * PL/pgSQL prepares each statement of a function and lets the plan cache choose between a generic
 * plan and a custom one per call. For the push functions it kept choosing custom plans (their
 * estimates know the sizes of the array arguments, so the generic plan never looks cheaper), which
 * means planning every statement again on every push: `track_functions = all` showed
 * pgw_push_lock_batch at 0.22 ms of self time per push, 0.10 ms with generic plans. Over a whole
 * push, PostgreSQL's CPU per push at one client went from 1.04 to 0.87 ms and the push rate up 12%
 * (bench/push-ab.js, 8 pairs, B ahead in 8 of 8).
 *
 * The generic plans are safe on a store that grows from empty because every lookup in these
 * functions is written to be planned without its values (LATERAL subqueries with LIMIT or OFFSET 0,
 * group ids fetched before use) and the functions run with enable_seqscan and enable_bitmapscan off
 * (push.v2.sql); test/integration/query-plans.spec.ts watches exactly that.
 *
 * A later CREATE OR REPLACE of one of these functions replaces its settings too, so it must repeat
 * `SET plan_cache_mode = force_generic_plan`.
 */
export const GENERIC_PLAN_FUNCTIONS = [
  'pgw_push_lock',
  'pgw_push_lock_batch',
  'pgw_push_suspect',
  'pgw_push_context',
  'pgw_push_write',
  'pgw_push_probe',
  'pgw_push_read',
  'pgw_push_probe_locked',
  'pgw_push_batch',
  'pgw_delete_groups',
];

export class GenericPushPlans1795750000000 implements MigrationInterface {
  name = 'GenericPushPlans1795750000000';

  async up(q: QueryRunner): Promise<void> {
    for (const fn of GENERIC_PLAN_FUNCTIONS) {
      await q.query(`ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of GENERIC_PLAN_FUNCTIONS) {
      await q.query(`ALTER FUNCTION ${fn} RESET plan_cache_mode`);
    }
  }
}
