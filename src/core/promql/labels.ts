/**
 * Label-set helpers used by the evaluator. Label sets are plain records whose keys are in
 * ascending order and which are never mutated once built. Their identity key and their
 * name-less variant are memoised on the object itself, in non-enumerable symbol properties
 * (invisible to spreading, JSON and Object.entries), so repeated steps of a range query reuse
 * them. WeakMaps were avoided on purpose: with 100k label sets their GC cost dominated.
 */

/** A label set with keys in ascending code-unit order; treat it as immutable. */
export type Labels = Readonly<Record<string, string>>;

/** The label that holds the metric name. */
export const METRIC_NAME = '__name__';

const KEY = Symbol('labelsKey');
const WITHOUT_NAME = Symbol('withoutMetricName');

interface Memo {
  [KEY]?: string;
  [WITHOUT_NAME]?: Labels;
}

const EMPTY: Labels = {};

function memo(labels: Labels): Memo {
  return labels as unknown as Memo;
}

function remember<K extends typeof KEY | typeof WITHOUT_NAME>(labels: Labels, key: K, value: NonNullable<Memo[K]>): void {
  Object.defineProperty(labels, key, { value, enumerable: false });
}

/** The empty label set. */
export function emptyLabels(): Labels {
  return EMPTY;
}

/** Builds a frozen label set from pairs, sorted by name; empty values are dropped. */
export function labelsFromPairs(pairs: Iterable<readonly [string, string]>): Labels {
  const list = [...pairs].filter(([, v]) => v !== '').sort((a, b) => compareStrings(a[0], b[0]));
  const out: Record<string, string> = {};
  for (const [k, v] of list) {
    putLabel(out, k, v);
  }
  return out;
}

/**
 * Sets label `name` as an own property: `__proto__` is a name PromQL can create (label_replace,
 * label_join, count_values), and assigning it would set the record's prototype instead.
 */
function putLabel(out: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[name] = value;
  }
}

/** Copies a record from a SeriesSource into a sorted label set (fast path for sorted input). */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Record<string, string> = {};
  let previous = '';
  for (const k in record) {
    const v = record[k];
    if (v === '' || k <= previous) {
      return labelsFromPairs(Object.entries(record));
    }
    putLabel(out, k, v);
    previous = k;
  }
  return out;
}

/** Code-unit string comparison (Prometheus compares bytes; equal for ASCII label names). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A unique string identity for a label set (memoised). */
export function labelsKey(labels: Labels): string {
  let key = memo(labels)[KEY];
  if (key === undefined) {
    key = encodePairs(labels, () => true);
    remember(labels, KEY, key);
  }
  return key;
}

const SEP = '\u0000';

/**
 * An unambiguous string for the pairs of `labels` whose name passes `include`: names and values
 * separated by NUL, which label names cannot contain; in the rare case that a value contains NUL,
 * a JSON encoding (distinguished by its leading `\u0001`) is used instead.
 */
export function encodePairs(labels: Labels, include: (name: string) => boolean): string {
  let out = '';
  for (const k in labels) {
    if (include(k)) {
      const v = labels[k];
      if (v.includes(SEP)) {
        return `\u0001${JSON.stringify(Object.entries(labels).filter(([name]) => include(name)))}`;
      }
      out += k + SEP + v + SEP;
    }
  }
  return out;
}

/** An unambiguous string for a list of values (see encodePairs). */
export function encodeValues(values: readonly string[]): string {
  let out = '';
  for (const v of values) {
    if (v.includes(SEP)) {
      return `\u0001${JSON.stringify(values)}`;
    }
    out += v + SEP;
  }
  return out;
}

/** The label set without `__name__` (memoised; returns the same object when there is no name). */
export function dropMetricName(labels: Labels): Labels {
  if (!(METRIC_NAME in labels)) {
    return labels;
  }
  let out = memo(labels)[WITHOUT_NAME];
  if (out === undefined) {
    out = labelsFromPairs(Object.entries(labels).filter(([k]) => k !== METRIC_NAME));
    remember(labels, WITHOUT_NAME, out);
  }
  return out;
}

/** Copies `labels` with `set` applied ('' deletes) and the names in `del` removed. */
export function withLabels(labels: Labels, set: Record<string, string>, del: readonly string[] = []): Labels {
  const map = new Map(Object.entries(labels));
  for (const name of del) {
    map.delete(name);
  }
  for (const [k, v] of Object.entries(set)) {
    map.set(k, v);
  }
  return labelsFromPairs(map);
}

/** Prometheus' `labels.Compare`: pairwise by name then value in name order; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const byName = compareStrings(ea[i][0], eb[i][0]);
    if (byName !== 0) {
      return byName;
    }
    const byValue = compareStrings(ea[i][1], eb[i][1]);
    if (byValue !== 0) {
      return byValue;
    }
  }
  return ea.length - eb.length;
}

/** Prometheus' `Labels.String()`: `{a="1", b="2"}` with Go quoting. */
export function formatLabels(labels: Labels, quote: (s: string) => string): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(', ')}}`;
}
