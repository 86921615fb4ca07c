/**
 * Calendar fields of a Unix time exactly as Prometheus' date functions compute them with Go's
 * `time` package, including Go's behaviour outside the normal range: the float is converted with
 * `int64(v)` (NaN, ±Inf and out-of-range values become -2^63 on amd64, where Prometheus 2.42 was
 * checked), and Go's unsigned "absolute" seconds wrap around 2^64 for such extremes.
 */

/** Year, month (1-12), day of month, day of year (1-366), weekday (Sunday = 0), hour, minute. */
export interface CalendarFields {
  year: number;
  month: number;
  day: number;
  yearDay: number;
  weekday: number;
  hour: number;
  minute: number;
}

const INT64_MIN = -(2n ** 63n);
/** Go's first year of its absolute calendar; 1 mod 400, so it repeats year 1's calendar. */
const ABSOLUTE_ZERO_YEAR = -292277022399;
/** Seconds from the Unix epoch to Go's absolute epoch: 1969 years to year 1, then 730692556 400-year eras. */
const UNIX_TO_ABSOLUTE = 62135596800n + 9223371966579724800n;

/** Go's `int64(v)` on amd64: truncation, or -2^63 when v is NaN, infinite or out of range. */
export function goInt64(v: number): bigint {
  if (!Number.isFinite(v) || v >= 9223372036854775808 || v < -9223372036854775808) {
    return INT64_MIN;
  }
  return BigInt(Math.trunc(v));
}

/** Calendar fields (UTC) of `seconds` since the epoch as Go's `time.Unix(seconds, 0).UTC()` reports them. */
export function calendarFields(seconds: bigint): CalendarFields {
  const abs = BigInt.asUintN(64, seconds + UNIX_TO_ABSOLUTE);
  const days = Number(abs / 86400n);
  const secondOfDay = Number(abs % 86400n);
  const civil = civilFromDays(days);
  return {
    ...civil,
    year: civil.year + ABSOLUTE_ZERO_YEAR - 1,
    // Go's absolute epoch is a Monday.
    weekday: (days + 1) % 7,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
  };
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Proleptic Gregorian date for a day count starting at 0001-01-01 (day 0), using 400-year eras
 * counted from March 1 so that the leap day falls at the end of the computed year.
 */
function civilFromDays(daysSinceYear1: number): { year: number; month: number; day: number; yearDay: number } {
  // Shift the origin to 0000-03-01: 306 days before 0001-01-01.
  const z = daysSinceYear1 + 306;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYearFromMarch = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYearFromMarch + 2) / 153);
  const day = dayOfYearFromMarch - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day, yearDay: dayOfYear(year, month, day) };
}

function dayOfYear(year: number, month: number, day: number): number {
  let n = day;
  for (let m = 1; m < month; m++) {
    n += daysInMonth(year, m);
  }
  return n;
}
