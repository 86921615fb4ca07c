import { isReservedLabelName, isValidLabelName, isValidMetricName } from 'src/core/model/labels';
import { Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';
import { isWellFormedText } from 'src/core/exposition/protobuf-delimited';
import { goQuote } from 'src/core/exposition/go-syntax';
import { escapedLabelCollision } from 'src/core/exposition/escaping';
import { InconsistentPushError } from 'src/core/consistency/errors';
import { derivedNames, isHistogramType, typeName } from 'src/core/consistency/family-names';

const MAX_REPORTED_PROBLEMS = 10;

/**
 * Checks a sanitised push on its own (no stored data needed): no timestamps, valid metric and label
 * names (protobuf pushes are not name-checked by their parser; legacy names unless `utf8Names`,
 * then any non-empty name, `__`-prefixed label names refused either way), one value field matching the
 * family type, no duplicate series, no histogram/summary suffix clash inside the push.
 * Throws InconsistentPushError listing the problems found (at most 10 are spelled out).
 */
export function validatePushedFamilies(families: MetricFamily[], options: { utf8Names?: boolean } = {}): void {
  const names: NameRules = options.utf8Names === true ? UTF8_NAMES : LEGACY_NAMES;
  const problems: string[] = [];
  if (families.some((mf) => mf.metric.some((m) => m.timestampMs !== undefined))) {
    problems.push('pushed metrics must not have timestamps');
  }
  for (const mf of families) {
    validateFamily(mf, problems, names);
  }
  problems.push(
    ...suffixClashes(
      families.map((mf) => mf.name),
      families,
    ),
  );
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
    if (problems.length > shown.length) {
      shown.push(`... and ${problems.length - shown.length} more`);
    }
    throw new InconsistentPushError(shown);
  }
}

/** Which metric and label names are valid (upstream 1.11's validation schemes, research note §1). */
interface NameRules {
  metric: (name: string) => boolean;
  label: (name: string) => boolean;
  /** Whether label names may collide once escaped (only names that are not legacy are escaped). */
  escapedCollisions: boolean;
}
const LEGACY_NAMES: NameRules = { metric: isValidMetricName, label: isValidLabelName, escapedCollisions: false };
const UTF8_NAMES: NameRules = {
  metric: (name) => name !== '' && isWellFormedText(name),
  label: (name) => name !== '' && isWellFormedText(name),
  escapedCollisions: true,
};

function validateFamily(mf: MetricFamily, problems: string[], rules: NameRules): void {
  if (!rules.metric(mf.name)) {
    problems.push(`invalid metric name ${quoted(mf.name)}`);
    return;
  }
  if (!isWellFormedText(mf.help)) {
    problems.push(`metric family "${mf.name}" has a HELP text that is not valid UTF-8`);
    return;
  }
  if (MetricType[mf.type] === undefined) {
    problems.push(`metric family "${mf.name}" has unknown type ${mf.type}`);
    return;
  }
  const seen = new Set<string>();
  for (const m of mf.metric) {
    const problem = metricProblem(mf, m, rules);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    const key = seriesKey(m);
    if (seen.has(key)) {
      problems.push(`collected metric "${mf.name}" ${describe(m)} was collected before with the same name and label values`);
    }
    seen.add(key);
  }
}

function metricProblem(mf: MetricFamily, m: Metric, rules: NameRules): string | undefined {
  const names = new Set<string>();
  for (const { name } of m.label) {
    if (!rules.label(name) || isReservedLabelName(name)) {
      return `collected metric "${mf.name}" ${describe(m)} has a label with an invalid name: ${name}`;
    }
    if (names.has(name)) {
      return `collected metric "${mf.name}" ${describe(m)} has two or more labels with the same name: ${name}`;
    }
    names.add(name);
  }
  // Two names one scrape shows as one: a Prometheus scraping with escaped names (2.x, or any that
  // asks for `escaping=underscores`) refuses a series with a label name twice, and with it the
  // whole scrape, every group's. Upstream 1.11 stores such a series; here the push is refused.
  const collision = rules.escapedCollisions ? escapedLabelCollision(m.label.map((l) => l.name)) : undefined;
  if (collision !== undefined) {
    return `collected metric "${mf.name}" ${describe(m)} has labels "${collision.a}" and "${collision.b}", which a scrape with escaping=${collision.scheme} shows as one label`;
  }
  // Protobuf strings that are not UTF-8 arrive marked (parseProtobufDelimited); upstream's check
  // refuses such label values here too, with the failure time recorded.
  const bad = m.label.find((l) => !isWellFormedText(l.value));
  if (bad !== undefined) {
    return `collected metric "${mf.name}" ${describe(m)} has a label named "${bad.name}" whose value is not utf8: ${goQuote(bad.value)}`;
  }
  if (!hasValueFor(mf.type, m)) {
    return `collected metric "${mf.name}" ${describe(m)} is not a ${typeName(mf.type)}`;
  }
  const reserved = mf.type === MetricType.SUMMARY ? 'quantile' : isHistogramType(mf.type) ? 'le' : undefined;
  if (reserved !== undefined && names.has(reserved)) {
    return `${typeName(mf.type).toLowerCase()} metric "${mf.name}" ${describe(m)} has label "${reserved}", which is reserved for its ${reserved === 'le' ? 'buckets' : 'quantiles'}`;
  }
  return undefined;
}

function hasValueFor(type: MetricType, m: Metric): boolean {
  switch (type) {
    case MetricType.COUNTER:
      return m.counter !== undefined;
    case MetricType.GAUGE:
      return m.gauge !== undefined;
    case MetricType.UNTYPED:
      return m.untyped !== undefined;
    case MetricType.SUMMARY:
      return m.summary !== undefined;
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return m.histogram !== undefined;
  }
}

function suffixClashes(names: string[], families: MetricFamily[]): string[] {
  const present = new Set(names);
  const problems: string[] = [];
  for (const mf of families) {
    for (const derived of derivedNames(mf.name, mf.type)) {
      if (present.has(derived)) {
        problems.push(`collected histogram or summary named "${mf.name}" collides with metric named "${derived}"`);
      }
    }
  }
  return problems;
}

function seriesKey(m: Metric): string {
  let key = '';
  for (const l of m.label) {
    key += `${l.name}\u0000${l.value}\u0000`;
  }
  return key;
}

function describe(m: Metric): string {
  return `{${m.label.map((l) => `${l.name}=${quoted(l.value)}`).join(',')}}`;
}

/** JSON-quoted; a string holding bytes that are not UTF-8 (protobuf) as Go quotes it, `"\xff"`. */
function quoted(s: string): string {
  return isWellFormedText(s) ? JSON.stringify(s) : goQuote(s);
}
