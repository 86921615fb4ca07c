import { compareStrings, Labels } from 'src/core/model/labels';
import { LabelPair, MetricFamily } from 'src/core/model/metric-family';

/** Families the gateway maintains itself per group; pushed ones are ignored (upstream overwrites them). */
export const PUSH_TIME_METRIC = 'push_time_seconds';
export const PUSH_FAILURE_TIME_METRIC = 'push_failure_time_seconds';
/** Per group with a TTL (issue 11): when it expires. Reserved like the two above. */
export const PUSH_EXPIRY_TIME_METRIC = 'push_expiry_time_seconds';

/**
 * Returns copies of the pushed families in which every series carries the `grouping` labels (they
 * win over a body label of the same name), `instance=""` when it has no instance of its own, and
 * labels sorted by name. Families named push_time_seconds / push_failure_time_seconds are dropped.
 * Input is not mutated.
 */
export function sanitizeFamilies(families: MetricFamily[], grouping: Labels): MetricFamily[] {
  const groupPairs = Object.keys(grouping).map((name) => ({ name, value: grouping[name] }));
  return families
    .filter((mf) => mf.name !== PUSH_TIME_METRIC && mf.name !== PUSH_FAILURE_TIME_METRIC && mf.name !== PUSH_EXPIRY_TIME_METRIC)
    .map((mf) => ({
      ...mf,
      metric: mf.metric.map((m) => ({ ...m, label: mergeLabels(m.label, groupPairs, grouping) })),
    }));
}

function mergeLabels(body: LabelPair[], group: LabelPair[], grouping: Labels): LabelPair[] {
  const merged = body.filter((l) => !Object.hasOwn(grouping, l.name)).concat(group);
  if (!merged.some((l) => l.name === 'instance')) {
    merged.push({ name: 'instance', value: '' });
  }
  return sortByName(merged);
}

/**
 * Sorts label pairs by name in place (stable). A series has a handful of labels, for which an
 * insertion sort allocates nothing, unlike Array#sort's work copy on every push's every series.
 */
function sortByName(labels: LabelPair[]): LabelPair[] {
  if (labels.length > 16) {
    return labels.sort((a, b) => compareStrings(a.name, b.name));
  }
  for (let i = 1; i < labels.length; i++) {
    const l = labels[i];
    let j = i - 1;
    while (j >= 0 && compareStrings(labels[j].name, l.name) > 0) {
      labels[j + 1] = labels[j];
      j--;
    }
    labels[j + 1] = l;
  }
  return labels;
}
