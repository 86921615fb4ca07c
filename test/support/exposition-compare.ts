import { parseText } from '../../src/core/exposition/text-parser';
import { isValidLabelName, isValidMetricName } from '../../src/core/model/labels';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';

/** Families a gateway exposes about itself (upstream: go_, process_, pushgateway_; ours: also nodejs_). */
export const OWN_FAMILY = /^(go|process|pushgateway|nodejs)_/;

const PUSH_TIMES = /^(push_time_seconds|push_failure_time_seconds)(\{.*\})? (.+)$/;

/**
 * The pushed part of a text scrape in a form two gateways can be compared by:
 * - the gateways' own families are dropped;
 * - push_time_seconds / push_failure_time_seconds values become `0` or `<time>` (clocks differ);
 * - `# HELP x ` with empty text is dropped (upstream prints it for protobuf families whose help
 *   field is present but empty; an empty HELP means no HELP);
 * - families keep their order, and their series are ordered by label set (upstream orders series
 *   by label count first, we order by label text; the text format leaves the order open), while
 *   the lines of one series (buckets, quantiles, `_sum`, `_count`) keep their order.
 */
export function comparableScrape(body: string): string[] {
  const out: string[] = [];
  for (const block of familyBlocks(body)) {
    if (OWN_FAMILY.test(block.name)) {
      continue;
    }
    const headers = block.lines.filter((l) => l.startsWith('#') && !/^# HELP \S+ ?$/.test(l));
    const samples = block.lines
      .filter((l) => !l.startsWith('#'))
      .map((line, index) => ({ line: normalisePushTime(line), key: seriesKey(line), index }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index));
    out.push(...headers, ...samples.map((s) => s.line));
  }
  return out;
}

interface FamilyBlock {
  name: string;
  lines: string[];
}

/** Splits a text exposition into families at each `# HELP`/`# TYPE` naming a new family. */
function familyBlocks(body: string): FamilyBlock[] {
  const blocks: FamilyBlock[] = [];
  let current: FamilyBlock | undefined;
  for (const line of body.split('\n')) {
    if (line === '') {
      continue;
    }
    const header = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    const name = header !== null ? header[1] : line.startsWith('#') ? undefined : sampleName(line);
    if (current === undefined || (header !== null && name !== current.name)) {
      current = { name: name ?? '', lines: [] };
      blocks.push(current);
    }
    current.lines.push(line);
  }
  return blocks;
}

function sampleName(line: string): string {
  const m = /^[^{ ]*/.exec(line);
  return m === null ? '' : m[0];
}

function normalisePushTime(line: string): string {
  const m = PUSH_TIMES.exec(line);
  if (m === null) {
    return line;
  }
  return `${m[1]}${m[2] ?? ''} ${Number(m[3]) === 0 ? '0' : '<time>'}`;
}

/** The label text of a sample line without `le`/`quantile` (their values never need escaping). */
function seriesKey(line: string): string {
  const open = line.indexOf('{');
  if (open < 0) {
    return '';
  }
  let i = open + 1;
  let quoted = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') {
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === '}') {
      break;
    }
  }
  return line
    .slice(open + 1, i)
    .replace(/(^|,)(le|quantile)="[^"]*"/g, '')
    .replace(/^,/, '');
}

/**
 * Asserts that a scrape is a valid text exposition a Prometheus server can ingest without
 * ambiguity, and returns it parsed: it parses (our parser rejects a repeated series or a second
 * TYPE), every family and label name is legal, no family name repeats, and no histogram/summary
 * `_bucket`/`_sum`/`_count` name is also the name of another family.
 */
export function parseValidExposition(body: string): MetricFamily[] {
  const families = parseText(body);
  const names = new Set<string>();
  for (const mf of families) {
    if (!isValidMetricName(mf.name)) {
      throw new Error(`invalid metric name ${JSON.stringify(mf.name)} in scrape`);
    }
    if (names.has(mf.name)) {
      throw new Error(`family ${mf.name} appears twice in the scrape`);
    }
    names.add(mf.name);
    for (const m of mf.metric) {
      for (const l of m.label) {
        if (!isValidLabelName(l.name) || l.name.startsWith('__')) {
          throw new Error(`invalid label name ${JSON.stringify(l.name)} on ${mf.name}`);
        }
        if (l.value.includes('\uFFFD')) {
          throw new Error(`label ${l.name} of ${mf.name} holds a replacement character (mangled non-UTF-8 input)`);
        }
      }
    }
  }
  for (const mf of families) {
    const derived = mf.type === MetricType.SUMMARY ? ['_sum', '_count'] : mf.type === MetricType.HISTOGRAM ? ['_bucket', '_sum', '_count'] : [];
    for (const suffix of derived) {
      if (names.has(mf.name + suffix)) {
        throw new Error(`${MetricType[mf.type].toLowerCase()} ${mf.name} collides with family ${mf.name}${suffix}`);
      }
    }
  }
  return families;
}

/** Sample lines of the scrape (HELP/TYPE dropped) whose metric name starts with one of `prefixes`. */
export function samplesOf(body: string, ...prefixes: string[]): string[] {
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && prefixes.some((p) => l.startsWith(p)));
}
