import { canonicalLabels, formatLabels } from 'src/core/grouping/grouping-key';
import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';

/** Beyond this many optional labels on one series, other groups are not searched for collisions. */
const MAX_OPTIONAL_LABELS = 10;

/**
 * Canonical exposed keys of every other group that could expose one of these series: a group's
 * series carry all its exposed labels, so another group B can only produce a series with label set
 * L if B's exposed labels are a subset of L that keeps `job` and `instance`. Returns the canonical
 * keys of those subsets, minus `own` (the pushing group's exposed key). Series are sanitised.
 */
export function collisionCandidateKeys(families: MetricFamily[], own: Labels): string[] {
  const ownKey = canonicalLabels(own);
  const keys = new Set<string>();
  const seenLabelSets = new Set<string>();
  for (const mf of families) {
    for (const m of mf.metric) {
      const labels = Object.fromEntries(m.label.map((l) => [l.name, l.value]));
      const setKey = canonicalLabels(labels);
      if (seenLabelSets.has(setKey)) {
        continue;
      }
      seenLabelSets.add(setKey);
      addSubsets(labels, keys);
    }
  }
  keys.delete(ownKey);
  return [...keys];
}

function addSubsets(labels: Labels, out: Set<string>): void {
  const required = ['job', 'instance'].filter((n) => n in labels);
  const optional = Object.keys(labels).filter((n) => !required.includes(n));
  if (optional.length > MAX_OPTIONAL_LABELS) {
    return;
  }
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const subset: Labels = {};
    for (const n of required) {
      subset[n] = labels[n];
    }
    optional.forEach((n, i) => {
      if ((mask & (1 << i)) !== 0) {
        subset[n] = labels[n];
      }
    });
    out.add(canonicalLabels(subset));
  }
}

/** Another group with its families of the pushed names, decoded. */
export interface CollisionCandidate {
  exposedLabels: Labels;
  families: MetricFamily[];
}

/**
 * Series of the push that another group already exposes with the same name and labels (they would
 * appear twice in a scrape). Returns one message per colliding series; empty when none.
 */
export function findSeriesCollisions(pushed: MetricFamily[], candidates: CollisionCandidate[]): string[] {
  const stored = new Map<string, Labels>();
  for (const c of candidates) {
    for (const mf of c.families) {
      for (const m of mf.metric) {
        stored.set(`${mf.name}${canonicalLabels(Object.fromEntries(m.label.map((l) => [l.name, l.value])))}`, c.exposedLabels);
      }
    }
  }
  const problems: string[] = [];
  for (const mf of pushed) {
    for (const m of mf.metric) {
      const labels = Object.fromEntries(m.label.map((l) => [l.name, l.value]));
      const owner = stored.get(`${mf.name}${canonicalLabels(labels)}`);
      if (owner !== undefined) {
        problems.push(`series ${mf.name}${formatLabels(labels)} is already exposed by group ${formatLabels(owner)}`);
      }
    }
  }
  return problems;
}
