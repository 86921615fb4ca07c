import { compareStrings, Labels } from 'src/core/model/labels';

/** The label every series of a tenant's group carries (the managed service's convention). */
export const TENANT_LABEL = 'tenant_userid';

/**
 * Canonical text of a label set: the pairs sorted by name, JSON-encoded. Two grouping keys are the
 * same group exactly when their canonical texts are equal (`{job="a"}` and `{job="a",instance=""}`
 * are different groups, as upstream has it).
 */
export function canonicalLabels(labels: Labels): string {
  const names = Object.keys(labels).sort(compareStrings);
  return JSON.stringify(names.map((n) => [n, labels[n]]));
}

/** The labels a push's series are forced to carry: the grouping key plus the tenant label. */
export function groupingLabelsWithTenant(grouping: Labels, tenant?: string): Labels {
  return tenant !== undefined && tenant !== '' ? { ...grouping, [TENANT_LABEL]: tenant } : grouping;
}

/**
 * The labels a group's series are exposed with: the grouping key, `instance=""` when absent, and
 * `tenant_userid` for a tenant's group. Two groups with the same exposed labels would expose the
 * same `push_time_seconds` series, so the store keeps these unique.
 */
export function exposedGroupLabels(grouping: Labels, tenant?: string): Labels {
  const labels: Labels = { instance: '', ...grouping };
  if (tenant !== undefined && tenant !== '') {
    labels[TENANT_LABEL] = tenant;
  }
  return labels;
}

/** Human-readable form `{a="1",b="2"}` (sorted by name) for messages and the status page. */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort(compareStrings);
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}
