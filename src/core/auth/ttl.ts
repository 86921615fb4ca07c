/** A token lifetime that cannot be parsed or is out of range. */
export class InvalidTtlError extends Error {}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };

/** Longest lifetime a token may be issued with: ten years. */
export const MAX_TTL_SECONDS = 10 * 365 * 86400;

/**
 * Parses a token lifetime into seconds: a whole number of seconds (`3600`, or a number), or one or
 * more `<integer><unit>` parts with units s, m, h, d, w, y (`30d`, `1h30m`; y is 365 days).
 * Must be from 1 second to MAX_TTL_SECONDS. Throws InvalidTtlError.
 */
export function parseTtl(input: string | number): number {
  const seconds = typeof input === 'number' ? input : secondsOf(input.trim());
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new InvalidTtlError(`invalid ttl ${JSON.stringify(input)}: expected e.g. 3600, 12h or 30d, at most 10y`);
  }
  return seconds;
}

function secondsOf(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  if (!/^(\d+[smhdwy])+$/.test(text)) {
    return undefined;
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdwy])/g)) {
    total += Number(n) * UNIT_SECONDS[unit];
  }
  return total;
}
