import { canonicalLabels, formatLabels } from 'src/core/grouping/grouping-key';
import { compareStrings, Labels } from 'src/core/model/labels';
import { LabelPair, MetricFamily } from 'src/core/model/metric-family';
import { runAll, Steps } from 'src/core/model/steps';

/** Beyond this many optional labels on one series, other groups are not searched for collisions. */
const MAX_OPTIONAL_LABELS = 10;

/**
 * Canonical exposed keys of every other group that could expose one of these series: a group's
 * series carry all its exposed labels, so another group B can only produce a series with label set
 * L if B's exposed labels are a subset of L that keeps `job` and `instance`. Returns the canonical
 * keys of those subsets, minus `own` (the pushing group's exposed key). Series are sanitised.
 */
export function collisionCandidateKeys(families: MetricFamily[], own: Labels): string[] {
  return runAll(collisionCandidateSteps(families, own));
}

/** Series between two steps of collisionCandidateSteps (a few milliseconds of work). */
export const CANDIDATE_SLICE_SERIES = 2000;

/** collisionCandidateKeys in steps of CANDIDATE_SLICE_SERIES series (see runPaused). */
export function* collisionCandidateSteps(families: MetricFamily[], own: Labels): Steps<string[]> {
  const ownKey = canonicalLabels(own);
  const keys = new Set<string>();
  const seenLabelSets = new Set<string>();
  let done = 0;
  for (const mf of families) {
    for (const m of mf.metric) {
      if (++done % CANDIDATE_SLICE_SERIES === 0) {
        yield;
      }
      // Each pair's canonical text once; a subset's key is then a concatenation in name order.
      const pairs = byName(m.label);
      const texts = pairs.map(pairText);
      const setKey = `[${texts.join(',')}]`;
      if (seenLabelSets.has(setKey)) {
        continue;
      }
      seenLabelSets.add(setKey);
      addSubsets(pairs, texts, keys);
    }
  }
  keys.delete(ownKey);
  return [...keys];
}

/** Characters JSON.stringify would escape (or, for lone surrogates, might): those take the slow path. */
const JSON_SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify([name, value])`, without building the array for the usual plain strings. */
function pairText(l: LabelPair): string {
  return JSON_SPECIAL.test(l.name) || JSON_SPECIAL.test(l.value) ? JSON.stringify([l.name, l.value]) : `["${l.name}","${l.value}"]`;
}

/** The pairs sorted by name, the last of equal names kept (as a Labels record would hold them). */
function byName(label: LabelPair[]): LabelPair[] {
  let sorted = true;
  for (let i = 1; i < label.length && sorted; i++) {
    sorted = label[i - 1].name < label[i].name;
  }
  if (sorted) {
    return label;
  }
  const last = new Map(label.map((l) => [l.name, l]));
  return [...last.values()].sort((a, b) => compareStrings(a.name, b.name));
}

/** Adds the canonical key of every subset of `pairs` (sorted) that keeps `job` and `instance`. */
function addSubsets(pairs: LabelPair[], texts: string[], out: Set<string>): void {
  const optional: number[] = [];
  pairs.forEach((l, i) => {
    if (l.name !== 'job' && l.name !== 'instance') {
      optional.push(i);
    }
  });
  if (optional.length > MAX_OPTIONAL_LABELS) {
    return;
  }
  const bit = new Array<number>(pairs.length).fill(0);
  optional.forEach((i, b) => (bit[i] = 1 << b));
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    let key = '';
    for (let i = 0; i < pairs.length; i++) {
      if (bit[i] === 0 || (mask & bit[i]) !== 0) {
        key += key === '' ? texts[i] : `,${texts[i]}`;
      }
    }
    out.add(`[${key}]`);
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
