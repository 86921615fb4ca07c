/** Label sets as plain records, and the name rules of the text format 0.0.4. */

export type Labels = Record<string, string>;

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The value of label `name` in a label record, undefined when the record has no such label. Own
 * properties only: `constructor`, `toString` and `valueOf` are valid label names, and
 * `labels[name]` or `name in labels` would find Object.prototype's members for them.
 */
export function labelValue(labels: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** A legacy (0.0.4) metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}

/** A legacy label name: `[a-zA-Z_][a-zA-Z0-9_]*`. Reserved `__` names are checked separately. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** Label names starting with `__` are reserved for Prometheus' internal use. */
export function isReservedLabelName(name: string): boolean {
  return name.startsWith('__');
}

/** Byte-wise (code unit) comparison, the order Prometheus sorts label names and values in. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
