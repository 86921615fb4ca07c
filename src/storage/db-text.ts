/**
 * The one reversible encoding of pushed strings at the storage boundary.
 *
 * PostgreSQL cannot hold U+0000: `text` rejects the byte 0x00 ("invalid byte sequence for encoding
 * UTF8") and `jsonb` rejects the escape `\u0000` ("unsupported Unicode escape sequence"). Every
 * other valid UTF-8 string is storable, and U+0000 is valid UTF-8 that upstream accepts in grouping
 * values, label values and HELP texts. So strings written to `text`/`jsonb` columns escape U+0000,
 * and the escape character itself, with the noncharacter U+FDD0 (ESC):
 *
 *   U+0000 → ESC '0'        ESC → ESC ESC        every other character → itself
 *
 * Properties (db-text.spec.ts checks them on random strings):
 * - round trip: fromDbText(toDbText(s)) === s for every string s;
 * - injective, so equality is preserved: toDbText(a) === toDbText(b) exactly when a === b. SQL
 *   equality, unique keys, `= ANY(...)` and jsonb containment on encoded values mean what they
 *   meant on the raw ones, provided both sides are encoded;
 * - the identity on strings with neither U+0000 nor ESC (the fast path; all data stored before
 *   this encoding existed, except the rare raw ESC the EscapeStoredText migration doubles);
 * - order is NOT preserved for strings containing U+0000 or ESC (U+0000 sorts first, ESC '0' does
 *   not), so a result sorted by SQL on encoded values is re-sorted after decoding when any value
 *   was escaped (see decodeSortedDbTexts), and a SQL regex on encoded values may miss a raw match:
 *   pattern matching happens on decoded values in JavaScript for any value containing ESC.
 *
 * What is encoded: label names and values in `jsonb` label columns, metric names, HELP texts, the
 * pre-rendered text exposition, series keys, and every text parameter compared with those columns
 * (legacy names never hold either character; UTF-8 names, PUSH_ENABLE_UTF8_NAMES, may). Not
 * encoded: the JSON-text key columns (`grouping_key`, `exposed_key`), written with JSON.stringify,
 * which spells U+0000 as the six ASCII characters `\u0000` (storable text) and is read back with
 * JSON.parse; tenants (no control characters by validation); protobuf bodies (`bytea`).
 */
import { Labels } from 'src/core/model/labels';

/** The escape character: U+FDD0, a Unicode noncharacter (never meant for interchange). */
export const DB_TEXT_ESCAPE = '\uFDD0';

const NEEDS_ESCAPE = /[\u0000\uFDD0]/g;
const ESCAPED = /\uFDD0([0\uFDD0])/g;

/** The storable form of a string (see the module comment). */
export function toDbText(s: string): string {
  if (s.indexOf('\u0000') < 0 && s.indexOf(DB_TEXT_ESCAPE) < 0) {
    return s;
  }
  return s.replace(NEEDS_ESCAPE, (c) => (c === '\u0000' ? `${DB_TEXT_ESCAPE}0` : `${DB_TEXT_ESCAPE}${DB_TEXT_ESCAPE}`));
}

/** The string toDbText was given. An ESC not followed by '0' or ESC (never written) is kept as is. */
export function fromDbText(s: string): string {
  if (s.indexOf(DB_TEXT_ESCAPE) < 0) {
    return s;
  }
  return s.replace(ESCAPED, (_, c: string) => (c === '0' ? '\u0000' : DB_TEXT_ESCAPE));
}

/** Whether a stored (encoded) value may differ from its decoded form. */
export function isEscapedDbText(s: string): boolean {
  return s.indexOf(DB_TEXT_ESCAPE) >= 0;
}

/**
 * JSON text of a label set (or any string record) for a `jsonb` parameter, names and values
 * encoded. Fast path: the plain JSON when it spells neither `\u0000` nor ESC.
 */
export function toDbJson(labels: Readonly<Record<string, string>>): string {
  const json = JSON.stringify(labels);
  if (json.indexOf('\\u0000') < 0 && json.indexOf(DB_TEXT_ESCAPE) < 0) {
    return json;
  }
  const encoded: Record<string, string> = {};
  for (const name of Object.keys(labels)) {
    encoded[toDbText(name)] = toDbText(labels[name]);
  }
  return JSON.stringify(encoded);
}

/** A label set read from a `jsonb` column (as `pg` parses it), names and values decoded; the same object when nothing was escaped. */
export function fromDbLabels(stored: Labels): Labels {
  let escaped = false;
  for (const name in stored) {
    if (isEscapedDbText(stored[name]) || isEscapedDbText(name)) {
      escaped = true;
      break;
    }
  }
  if (!escaped) {
    return stored;
  }
  const out: Labels = {};
  for (const name of Object.keys(stored)) {
    out[fromDbText(name)] = fromDbText(stored[name]);
  }
  return out;
}

/**
 * Decodes values that SQL sorted in byte order (COLLATE "C") as encoded strings; when any was
 * escaped, re-sorts the decoded values with `compare`, since the encoding does not keep order.
 */
export function decodeSortedDbTexts(values: string[], compare: (a: string, b: string) => number): string[] {
  if (!values.some(isEscapedDbText)) {
    return values;
  }
  return values.map(fromDbText).sort(compare);
}
