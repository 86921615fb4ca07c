/**
 * Name escaping for scrapes that cannot take UTF-8 names, as prometheus/common `model/metric.go`
 * (`EscapeName`, `EscapeMetricFamily`) defines it and pushgateway 1.11.3's `/metrics` applies it
 * (research note §2). Written from that description, not from Go's code.
 */
import { isValidMetricName } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';

/** The `escaping=` values of an Accept or Content-Type header. */
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

export const ESCAPING_SCHEMES: readonly EscapingScheme[] = ['allow-utf-8', 'underscores', 'dots', 'values'];

/**
 * A rune that may stand at this place of a legacy name: letters, `_`, `:`, and digits except first.
 * (Label names are tested with the metric-name rule too, as Go's EscapeMetricFamily does.)
 */
function isLegacyRune(cp: number, first: boolean): boolean {
  return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f || cp === 0x3a || (!first && cp >= 0x30 && cp <= 0x39);
}

/**
 * Escapes one name under `scheme`:
 * - `allow-utf-8`: unchanged;
 * - `underscores`: every rune that may not stand there becomes `_` (legacy names unchanged);
 * - `dots`: `_` → `__`, `.` → `_dot_`, any other such rune → `__` (applied to every name given);
 * - `values`: legacy names unchanged, else `U__` + the name with `_` → `__` and each other such
 *   rune → `_<lower-case hex code point>_` (a lone surrogate → `_FFFD_`).
 * The empty name stays empty.
 */
export function escapeName(name: string, scheme: EscapingScheme): string {
  if (name === '' || scheme === 'allow-utf-8') {
    return name;
  }
  if ((scheme === 'underscores' || scheme === 'values') && isValidMetricName(name)) {
    return name;
  }
  let out = scheme === 'values' ? 'U__' : '';
  let first = true;
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    out += escapeRune(ch, cp, first, scheme);
    first = false;
  }
  return out;
}

function escapeRune(ch: string, cp: number, first: boolean, scheme: Exclude<EscapingScheme, 'allow-utf-8'>): string {
  switch (scheme) {
    case 'underscores':
      return isLegacyRune(cp, first) ? ch : '_';
    case 'dots':
      return ch === '_' ? '__' : ch === '.' ? '_dot_' : isLegacyRune(cp, first) ? ch : '__';
    case 'values':
      if (ch === '_') {
        return '__';
      }
      if (isLegacyRune(cp, first)) {
        return ch;
      }
      return cp >= 0xd800 && cp <= 0xdfff ? '_FFFD_' : `_${cp.toString(16)}_`;
  }
}

/**
 * A copy of `mf` with its name and every label name that is not a legacy name escaped under
 * `scheme`; legacy names are left alone (so `dots` does not touch `a_b`), label order is kept.
 * Returns `mf` itself when nothing changes.
 */
export function escapeFamily(mf: MetricFamily, scheme: EscapingScheme): MetricFamily {
  if (scheme === 'allow-utf-8') {
    return mf;
  }
  const needs = (n: string) => !isValidMetricName(n);
  if (!needs(mf.name) && !mf.metric.some((m) => m.label.some((l) => needs(l.name)))) {
    return mf;
  }
  return {
    ...mf,
    name: escapeUnlessLegacy(mf.name, scheme),
    metric: mf.metric.map((m) => ({
      ...m,
      label: m.label.map((l) => (needs(l.name) ? { name: escapeName(l.name, scheme), value: l.value } : l)),
    })),
  };
}

/** A name as escapeFamily shows it: legacy names unchanged (so `dots` leaves `a_b` alone). */
function escapeUnlessLegacy(name: string, scheme: EscapingScheme): string {
  return isValidMetricName(name) ? name : escapeName(name, scheme);
}

/**
 * The first two label names of `names` that a scrape escaped under some scheme shows as one name
 * (`a.b` and `a_b` under `underscores`; `a.b` and `a_dot_b` under `dots`; `a.b` and `U__a_2e_b`
 * under `values`), with that scheme; undefined when every scheme keeps them apart. Legacy names
 * are never escaped (escapeFamily), so only a series with a name that is not legacy can collide.
 */
export function escapedLabelCollision(names: readonly string[]): { a: string; b: string; scheme: EscapingScheme } | undefined {
  if (names.every((n) => isValidMetricName(n))) {
    return undefined;
  }
  for (const scheme of ['underscores', 'dots', 'values'] as const) {
    const seen = new Map<string, string>();
    for (const name of names) {
      const escaped = escapeUnlessLegacy(name, scheme);
      const other = seen.get(escaped);
      if (other !== undefined) {
        return { a: other, b: name, scheme };
      }
      seen.set(escaped, name);
    }
  }
  return undefined;
}
