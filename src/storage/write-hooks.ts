import { QueryRunner } from 'typeorm';
import { MetricFamily } from 'src/core/model/metric-family';

/** DI token for optional WriteHooks (e.g. the push history); absent means no hooks. */
export const WRITE_HOOKS = Symbol('WRITE_HOOKS');

/** A committed-together view of one accepted push. */
export interface PushWritten {
  groupId: string;
  tenant: string;
  mode: 'replace' | 'merge';
  /** The sanitised families as stored. */
  families: MetricFamily[];
  /** Unix seconds (the push time). */
  now: number;
}

/**
 * Work that must commit atomically with a write to the group store, run inside its transaction
 * (same QueryRunner) after the store's own statements. A hook that throws rolls the write back.
 */
export interface WriteHooks {
  afterPush(q: QueryRunner, push: PushWritten): Promise<void>;
  /** Groups deleted (DELETE or wipe); their series end at `now` (Unix seconds). */
  afterDelete(q: QueryRunner, groupIds: string[], now: number): Promise<void>;
}
