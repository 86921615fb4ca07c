/** Prefix upstream puts on every rejected push, kept so existing alerting on log lines still matches. */
export const INCONSISTENT_PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: ';

/** A push that is invalid in itself or conflicts with stored data. Maps to HTTP 400. */
export class InconsistentPushError extends Error {
  constructor(readonly problems: string[]) {
    super(INCONSISTENT_PREFIX + (problems.length === 1 ? problems[0] : `${problems.length} error(s) occurred:\n${problems.map((p) => `* ${p}`).join('\n')}`));
  }
}
