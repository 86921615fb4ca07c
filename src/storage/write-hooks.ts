import type { Executor } from 'src/storage/database';
import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';

/** DI token for optional WriteHooks (e.g. the push history); absent means no hooks. */
export const WRITE_HOOKS = Symbol('WRITE_HOOKS');

/** One push about to be written. */
export interface PushToRecord {
  tenant: string;
  /** The group's exposed labels (its `push_time_seconds` series carries them). */
  exposedLabels: Labels;
  mode: 'replace' | 'merge';
  /** The sanitised families as stored. */
  families: MetricFamily[];
  /** Unix seconds (the push time). */
  now: number;
}

/**
 * The history part of the push statement (pgw_push's h_* parameters, see the AddOneStatementPush
 * migration), so history and group commit together in the push's single statement.
 */
export interface PushHistoryArgs {
  t: number;
  names: string[];
  families: string[];
  labels: string[];
  keys: string[];
  values: number[];
  familyList: string[];
  record: boolean;
  /** Partition day starts (ms) to create first; empty when known to exist. */
  days: number[];
}

/**
 * Work that must commit atomically with a write to the group store. For a push it is part of the
 * push's own statement (pushArgs); for deletes it runs in the same transaction (same Executor)
 * after the store's statement. A hook that throws rolls the write back.
 */
export interface WriteHooks {
  pushArgs(push: PushToRecord): PushHistoryArgs;
  /** The push carrying these arguments committed. */
  pushCommitted(args: PushHistoryArgs): void;
  /** Groups deleted (DELETE or wipe); their series end at `now` (Unix seconds). */
  afterDelete(tx: Executor, groupIds: string[], now: number): Promise<void>;
}
