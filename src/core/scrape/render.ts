import { compareStrings, Labels } from 'src/core/model/labels';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { encodeFamily, encodeHeader, encodeSamples } from 'src/core/exposition/text-encoder';
import { encodeFamilyDelimited } from 'src/core/exposition/protobuf-delimited';
import { PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC } from 'src/core/grouping/sanitize';

/** Upstream's HELP texts for the per-group gauges, kept verbatim for dashboards that match on them. */
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';

/** One stored family of one group, as the scrape needs it. */
export interface GroupFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Pre-rendered text sample lines. */
  exposition: string;
  /** Length-delimited protobuf MetricFamily (sanitised). */
  body: Uint8Array;
}

/** One group, as the scrape needs it. */
export interface RenderGroup {
  /** Labels on the group's series (grouping key, instance, tenant label). */
  exposedLabels: Labels;
  /** Unix seconds; 0 when never pushed successfully. */
  pushTime: number;
  pushFailureTime: number;
  families: GroupFamily[];
}

/** A family merged across groups, ready to be concatenated into a scrape. */
export interface MergedFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Sample lines of every group, groups in grouping-key order. */
  text: string;
  /** Protobuf MetricFamily bodies (no length prefix) whose concatenation merges the family. */
  bodies: Uint8Array[];
}

/**
 * Merges the pushed families of all groups by name, adding push_time_seconds and
 * push_failure_time_seconds per group. Groups are visited in the order of their exposed labels, so
 * series order and the HELP chosen when groups disagree (the first group's non-empty HELP) are
 * deterministic across replicas. A family whose type differs from the first group's (possible only
 * with the consistency check disabled) is left out of that group's contribution rather than
 * breaking the scrape. Output sorted by family name.
 */
export function mergeGroups(groups: RenderGroup[]): MergedFamily[] {
  const sorted = groups
    .map((g) => ({ g, key: sortKey(g.exposedLabels) }))
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((x) => x.g);
  const byName = new Map<string, { type: MetricType; help: string; text: string[]; bodies: Uint8Array[] }>();
  for (const g of sorted) {
    for (const f of [...g.families, ...pushTimeFamilies(g)]) {
      if (f.exposition === '') {
        // A family without series (possible in protobuf) is stored, as upstream does, but not exposed.
        continue;
      }
      let merged = byName.get(f.name);
      if (merged === undefined) {
        merged = { type: f.type, help: f.help, text: [], bodies: [] };
        byName.set(f.name, merged);
      } else if (merged.type !== f.type) {
        continue;
      }
      if (merged.help === '' && f.help !== '') {
        merged.help = f.help;
      }
      merged.text.push(f.exposition);
      merged.bodies.push(stripLengthPrefix(f.body));
    }
  }
  return [...byName.entries()]
    .sort((a, b) => compareStrings(a[0], b[0]))
    .map(([name, m]) => ({ name, type: m.type, help: m.help, text: m.text.join(''), bodies: m.bodies }));
}

function pushTimeFamilies(g: RenderGroup): GroupFamily[] {
  return [
    gaugeFamily(PUSH_TIME_METRIC, PUSH_TIME_HELP, g.exposedLabels, g.pushTime),
    gaugeFamily(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, g.exposedLabels, g.pushFailureTime),
  ];
}

function gaugeFamily(name: string, help: string, labels: Labels, value: number): GroupFamily {
  const mf: MetricFamily = {
    name,
    help,
    type: MetricType.GAUGE,
    metric: [{ label: sortedPairs(labels), gauge: { value } }],
  };
  return { name, help, type: MetricType.GAUGE, exposition: encodeSamples(mf), body: encodeFamilyDelimited(mf) };
}

function sortedPairs(labels: Labels): { name: string; value: string }[] {
  return Object.keys(labels)
    .sort(compareStrings)
    .map((name) => ({ name, value: labels[name] }));
}

function sortKey(labels: Labels): string {
  return sortedPairs(labels)
    .map((p) => `${p.name}\u0000${p.value}`)
    .join('\u0001');
}

/**
 * Renders a text 0.0.4 scrape: the gateway's own families and the merged pushed ones, sorted by
 * name, one HELP/TYPE per family. Where a pushed family has the name of an own family (same type;
 * the push-time check refuses other types), the own HELP is used and the series are concatenated.
 */
export function renderText(pushed: MergedFamily[], own: MetricFamily[]): string {
  const out: string[] = [];
  mergeWithOwn(pushed, own, {
    own: (mf) => out.push(encodeFamily(mf)),
    pushed: (m) => out.push(encodeHeader(m.name, m.help, m.type), m.text),
    both: (mf, m) => out.push(encodeFamily(mf), m.text),
  });
  return out.join('');
}

/** Renders a protobuf-delimited scrape with the same content and order as renderText. */
export function renderProtobuf(pushed: MergedFamily[], own: MetricFamily[]): Buffer {
  const out: Uint8Array[] = [];
  mergeWithOwn(pushed, own, {
    own: (mf) => out.push(encodeFamilyDelimited(mf)),
    pushed: (m) => out.push(delimit(m.bodies, helpField(m.help))),
    both: (mf, m) => out.push(delimit([stripLengthPrefix(encodeFamilyDelimited(mf)), ...m.bodies], new Uint8Array(0))),
  });
  return Buffer.concat(out);
}

interface MergeVisitor {
  own(mf: MetricFamily): void;
  pushed(m: MergedFamily): void;
  both(mf: MetricFamily, m: MergedFamily): void;
}

function mergeWithOwn(pushed: MergedFamily[], own: MetricFamily[], visit: MergeVisitor): void {
  const ownSorted = [...own].sort((a, b) => compareStrings(a.name, b.name));
  let i = 0;
  let j = 0;
  while (i < ownSorted.length || j < pushed.length) {
    const o = ownSorted[i];
    const p = pushed[j];
    if (p === undefined || (o !== undefined && o.name < p.name)) {
      visit.own(o);
      i++;
    } else if (o === undefined || p.name < o.name) {
      visit.pushed(p);
      j++;
    } else {
      if (o.type === p.type) {
        visit.both(o, p);
      } else {
        visit.own(o);
      }
      i++;
      j++;
    }
  }
}

/**
 * Concatenating serialized messages of one protobuf type merges them (repeated fields append,
 * scalar fields: last wins), so a family is merged across groups without decoding; a trailing
 * HELP field makes the chosen HELP win.
 */
function delimit(bodies: Uint8Array[], trailer: Uint8Array): Uint8Array {
  const length = bodies.reduce((n, b) => n + b.length, 0) + trailer.length;
  return Buffer.concat([varint(length), ...bodies, trailer]);
}

function helpField(help: string): Uint8Array {
  const bytes = Buffer.from(help, 'utf8');
  return Buffer.concat([Buffer.from([0x12]), varint(bytes.length), bytes]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** Drops the varint length in front of one length-delimited message. */
export function stripLengthPrefix(delimited: Uint8Array): Uint8Array {
  let i = 0;
  while (i < delimited.length && (delimited[i] & 0x80) !== 0) {
    i++;
  }
  return delimited.subarray(i + 1);
}
