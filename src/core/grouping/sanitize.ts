import { compareStrings, Labels } from 'src/core/model/labels';
import { LabelPair, MetricFamily } from 'src/core/model/metric-family';

/** Families the gateway maintains itself per group; pushed ones are ignored (upstream overwrites them). */
export const PUSH_TIME_METRIC = 'push_time_seconds';
export const PUSH_FAILURE_TIME_METRIC = 'push_failure_time_seconds';

/**
 * Returns copies of the pushed families in which every series carries the group's exposed labels
 * (`exposed` wins over a body label of the same name) and its labels are sorted by name.
 * Families named push_time_seconds / push_failure_time_seconds are dropped. Input is not mutated.
 */
export function sanitizeFamilies(families: MetricFamily[], exposed: Labels): MetricFamily[] {
  const groupPairs = Object.keys(exposed).map((name) => ({ name, value: exposed[name] }));
  return families
    .filter((mf) => mf.name !== PUSH_TIME_METRIC && mf.name !== PUSH_FAILURE_TIME_METRIC)
    .map((mf) => ({
      ...mf,
      metric: mf.metric.map((m) => ({ ...m, label: mergeLabels(m.label, groupPairs, exposed) })),
    }));
}

function mergeLabels(body: LabelPair[], group: LabelPair[], exposed: Labels): LabelPair[] {
  const merged = body.filter((l) => !(l.name in exposed)).concat(group);
  return merged.sort((a, b) => compareStrings(a.name, b.name));
}
