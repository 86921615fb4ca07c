/** PromQL durations (`1h30m`, `5m`, `100ms`) as Prometheus' `model.Duration` parses and prints them. */

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1];
const UNIT_NAMES = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
/** time.Duration is int64 nanoseconds; longer durations are rejected as Go rejects them. */
const MAX_DURATION_MS = 9223372036854.775;

/**
 * Parses a Prometheus duration into milliseconds: integer amounts with units `y w d h m s ms`
 * in that order, each at most once (`1h30m`, `1m0s`); `"0"` alone is 0. Throws an Error with
 * Prometheus' wording (`not a valid duration string: "1.5h"`, `duration out of range`).
 */
export function parseDuration(text: string): number {
  if (text === '0') {
    return 0;
  }
  if (text === '') {
    throw new Error('empty duration string');
  }
  const m = DURATION_RE.exec(text);
  if (!m) {
    throw new Error(`not a valid duration string: "${text}"`);
  }
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    if (m[i + 1] !== undefined) {
      total += Number(m[i + 1]) * UNIT_MS[i];
    }
  }
  if (total > MAX_DURATION_MS) {
    throw new Error('duration out of range');
  }
  return total;
}

/**
 * Prints milliseconds the way `model.Duration.String()` does: largest units first, years and
 * weeks only when they divide the remainder exactly (`90d`, not `12w6d`), `0s` for zero.
 * Negative input is printed with a leading `-`.
 */
export function formatDuration(ms: number): string {
  if (ms < 0) {
    return `-${formatDuration(-ms)}`;
  }
  if (ms === 0) {
    return '0s';
  }
  let rest = ms;
  let out = '';
  for (let i = 0; i < UNIT_MS.length; i++) {
    const exactOnly = i < 2;
    if (exactOnly && rest % UNIT_MS[i] !== 0) {
      continue;
    }
    const n = Math.floor(rest / UNIT_MS[i]);
    if (n > 0) {
      out += `${n}${UNIT_NAMES[i]}`;
      rest -= n * UNIT_MS[i];
    }
  }
  return out;
}
