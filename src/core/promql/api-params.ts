/** Parsing of the `time`, `start`, `end`, `step` and `timeout` parameters of Prometheus' HTTP API. */

import { parseDuration } from 'src/core/promql/duration';
import { PromqlEvalError } from 'src/core/promql/errors';
import { parseGoFloat } from 'src/core/promql/go-format';

/** Earliest time this gateway represents, in ms (JavaScript's Date range; Prometheus' own minimum is earlier). */
export const MIN_TIME_MS = -8.64e15;
/** Latest time this gateway represents, in ms. */
export const MAX_TIME_MS = 8.64e15;

/** Prometheus' formatted `MinTime`/`MaxTime`, which Grafana and promtool send for open ranges. */
const MIN_TIME_FORMATTED = '-292275055-05-16T16:47:04.192Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an API timestamp into integer milliseconds since the epoch, as Prometheus' `parseTime`:
 * float seconds (`"4"`, `"1435781451.781"`, rounded to the millisecond) or RFC 3339 with optional
 * fraction and zone (`"2015-07-01T20:10:51.781Z"`, truncated to the millisecond). Prometheus'
 * formatted min/max times map to MIN_TIME_MS/MAX_TIME_MS. Throws PromqlEvalError('bad_data').
 */
export function parseTimeParam(text: string): number {
  const seconds = parseGoFloat(text);
  if (seconds !== undefined && !Number.isNaN(seconds)) {
    return clampTime(floatSecondsToMs(seconds));
  }
  const rfc = parseRfc3339(text);
  if (rfc !== undefined) {
    return rfc;
  }
  if (text === MIN_TIME_FORMATTED) {
    return MIN_TIME_MS;
  }
  if (text === MAX_TIME_FORMATTED) {
    return MAX_TIME_MS;
  }
  throw new PromqlEvalError('bad_data', `cannot parse "${text}" to a valid timestamp`);
}

/**
 * Parses an API duration into milliseconds, as Prometheus' `parseDuration`: float seconds
 * (`"15"`, `"0.5"`) or a Prometheus duration (`"15s"`, `"1m0s"`, `"1h0m15s"`).
 * Throws PromqlEvalError('bad_data') otherwise or when it overflows.
 */
export function parseDurationParam(text: string): number {
  const seconds = parseGoFloat(text);
  if (seconds !== undefined && !Number.isNaN(seconds)) {
    const ns = seconds * 1e9;
    if (!Number.isFinite(ns) || Math.abs(ns) >= 9.223372036854776e18) {
      throw new PromqlEvalError('bad_data', `cannot parse "${text}" to a valid duration. It overflows int64`);
    }
    // time.Duration truncates to nanoseconds; the API then truncates to milliseconds.
    return Math.trunc(Math.trunc(ns) / 1e6);
  }
  try {
    return parseDuration(text);
  } catch {
    throw new PromqlEvalError('bad_data', `cannot parse "${text}" to a valid duration`);
  }
}

/** Reproduces Go's `math.Modf` + rounding of the fraction to ms + `time.Unix` + `timestamp.FromTime`. */
function floatSecondsToMs(seconds: number): number {
  if (!Number.isFinite(seconds)) {
    return seconds > 0 ? MAX_TIME_MS : MIN_TIME_MS;
  }
  const whole = Math.trunc(seconds);
  const frac = Math.round((seconds - whole) * 1000) / 1000;
  const nanos = Math.trunc(frac * 1e9);
  return whole * 1000 + Math.trunc(nanos / 1e6);
}

function clampTime(ms: number): number {
  return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, ms));
}

function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let zoneMinutes = 0;
  if (m[9] !== undefined) {
    const [zh, zm] = [Number(m[10]), Number(m[11])];
    if (zh > 23 || zm > 59) {
      return undefined;
    }
    zoneMinutes = (m[9] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  return utc(year, month - 1, day, hour, minute, second, ms) - zoneMinutes * 60000;
}

/** Date.UTC without its mapping of years 0-99 to 1900-1999. */
function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month, 0)).getUTCDate();
}
