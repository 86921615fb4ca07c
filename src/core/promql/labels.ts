/**
 * Label-set helpers used by the evaluator. Label sets are plain frozen records whose keys are in
 * ascending order; derived sets and keys are memoised per object so repeated steps of a range
 * query reuse them.
 */

/** An immutable label set with keys in ascending code-unit order. */
export type Labels = Readonly<Record<string, string>>;

/** The label that holds the metric name. */
export const METRIC_NAME = '__name__';

const EMPTY: Labels = Object.freeze({});
const keyCache = new WeakMap<Labels, string>();
const dropNameCache = new WeakMap<Labels, Labels>();

/** The empty label set. */
export function emptyLabels(): Labels {
  return EMPTY;
}

/** Builds a frozen label set from pairs, sorted by name; empty values are dropped. */
export function labelsFromPairs(pairs: Iterable<readonly [string, string]>): Labels {
  const list = [...pairs].filter(([, v]) => v !== '').sort((a, b) => compareStrings(a[0], b[0]));
  const out: Record<string, string> = {};
  for (const [k, v] of list) {
    out[k] = v;
  }
  return Object.freeze(out);
}

/** Normalises a record from a SeriesSource into a frozen, sorted label set. */
export function labelsFromRecord(record: Record<string, string>): Labels {
  return labelsFromPairs(Object.entries(record));
}

/** Code-unit string comparison (Prometheus compares bytes; equal for ASCII label names). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A unique string identity for a label set (memoised). */
export function labelsKey(labels: Labels): string {
  let key = keyCache.get(labels);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(labels));
    keyCache.set(labels, key);
  }
  return key;
}

/** The label set without `__name__` (memoised; returns the same object when there is no name). */
export function dropMetricName(labels: Labels): Labels {
  if (!(METRIC_NAME in labels)) {
    return labels;
  }
  let out = dropNameCache.get(labels);
  if (out === undefined) {
    out = labelsFromPairs(Object.entries(labels).filter(([k]) => k !== METRIC_NAME));
    dropNameCache.set(labels, out);
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

/** Keeps only the named labels. */
export function keepLabels(labels: Labels, names: readonly string[]): Labels {
  return labelsFromPairs(Object.entries(labels).filter(([k]) => names.includes(k)));
}

/** Removes the named labels. */
export function removeLabels(labels: Labels, names: readonly string[]): Labels {
  return labelsFromPairs(Object.entries(labels).filter(([k]) => !names.includes(k)));
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
