import { compareStrings, isValidMetricName, Labels } from 'src/core/model/labels';
import { escapeFamily, escapeName, EscapingScheme } from 'src/core/exposition/escaping';
import { parseText } from 'src/core/exposition/text-parser';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { encodeFamily, encodeHeader, encodeSamples } from 'src/core/exposition/text-encoder';
import { encodeFamilyDelimited } from 'src/core/exposition/protobuf-delimited';
import { PUSH_EXPIRY_TIME_METRIC, PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC } from 'src/core/grouping/sanitize';
import { SampleText } from 'src/core/scrape/sample-text';

/** Upstream's HELP texts for the per-group gauges, kept verbatim for dashboards that match on them. */
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';
export const PUSH_EXPIRY_TIME_HELP = 'Unix time when this group expires (its last successful push plus its TTL).';

/** One stored family of one group, as the text scrape needs it. */
export interface GroupFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Pre-rendered text sample lines ('' for a family without series). */
  readonly exposition: string;
  /** The same lines as a SampleText, when the caller holds them so (the scrape cache): shared, not copied. */
  readonly text?: SampleText;
}

/** One group, as the scrape needs it. */
export interface RenderGroup {
  /** Labels on the group's series (grouping key, instance, tenant label). */
  exposedLabels: Labels;
  /** Unix seconds; 0 when never pushed successfully. */
  pushTime: number;
  pushFailureTime: number;
  /** Unix seconds when the group expires; undefined: never (no push_expiry_time_seconds). */
  expiresAt?: number;
  families: GroupFamily[];
}

/** One family of a prepared group: its sample lines held once (see SampleText). */
export interface PreparedFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly text: SampleText;
}

/**
 * A group ready to be merged: its families with series, then its push_time_seconds,
 * push_failure_time_seconds (and push_expiry_time_seconds) gauges, and the key groups are ordered
 * by. Computed once per group revision; kept small because the cache holds one per group.
 */
export interface PreparedGroup {
  sortKey: string;
  families: PreparedFamily[];
}

/** A family merged across groups, ready to be concatenated into a scrape. */
export interface MergedFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Sample lines of every group, groups in grouping-key order, UTF-8 encoded. */
  text: Buffer;
  /**
   * The per-group pieces `text` was built from (shared references, for reuse checks). After a
   * binding merge (mergeGroups with `bind`) they are ranges of `text` itself.
   */
  chunks: readonly SampleText[];
  /**
   * True when the family name or a label name in it is not a legacy name (pushed under
   * PUSH_ENABLE_UTF8_NAMES): scrapes that did not ask for `escaping=allow-utf-8` re-render it.
   */
  utf8?: boolean;
}

/** Prepares one group for merging (see PreparedGroup). Families without series are left out. */
export function prepareGroup(g: RenderGroup): PreparedGroup {
  const families: PreparedFamily[] = [];
  for (const f of g.families) {
    // The caller's object itself when it holds a SampleText: one object per family in the cache.
    const family = hasText(f) ? f : { name: f.name, type: f.type, help: f.help, text: new SampleText(f.exposition) };
    // A family without series (possible in protobuf) is stored, as upstream does, but not exposed.
    if (!family.text.isEmpty) {
      families.push(family);
    }
  }
  for (const { family } of timeGauges(g.exposedLabels, g)) {
    families.push({ name: family.name, type: family.type, help: family.help, text: new SampleText(family.exposition) });
  }
  return { sortKey: sortKey(g.exposedLabels), families };
}

/** push_time_seconds, push_failure_time_seconds and, for a group with a TTL, push_expiry_time_seconds. */
function timeGauges(labels: Labels, t: { pushTime: number; pushFailureTime: number; expiresAt?: number }): { family: GroupFamily; mf: MetricFamily }[] {
  const gauges = [
    gaugeFamily(PUSH_TIME_METRIC, PUSH_TIME_HELP, labels, t.pushTime),
    gaugeFamily(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, labels, t.pushFailureTime),
  ];
  if (t.expiresAt !== undefined) {
    gauges.push(gaugeFamily(PUSH_EXPIRY_TIME_METRIC, PUSH_EXPIRY_TIME_HELP, labels, t.expiresAt));
  }
  return gauges;
}

function hasText(f: GroupFamily): f is GroupFamily & PreparedFamily {
  return f.text !== undefined;
}

/**
 * Merges the families of all groups by name. Groups are visited in the order of their exposed
 * labels, so series order and the HELP chosen when groups disagree (the first group's non-empty
 * HELP) are deterministic across replicas. A family whose type differs from the first group's
 * (possible only with the consistency check disabled) is left out of that group's contribution
 * rather than breaking the scrape. Output sorted by family name.
 *
 * With `bind` (the one merge of the whole store a cache keeps), every merged SampleText is rebound
 * to its range of the new Buffer and a left-out one detached, so each text is held once; merges of
 * a subset (a tenant's groups) copy without rebinding.
 */
export function mergeGroups(groups: PreparedGroup[], previous: readonly MergedFamily[] = [], bind = false): MergedFamily[] {
  const sorted = [...groups].sort((a, b) => compareStrings(a.sortKey, b.sortKey));
  const byName = new Map<string, Merging<SampleText>>();
  for (const g of sorted) {
    for (const f of g.families) {
      if (!mergeInto(byName, f, f.text) && bind) {
        f.text.detach();
      }
    }
  }
  const before = new Map(previous.map((m) => [m.name, m]));
  return [...byName.entries()]
    .sort((a, b) => compareStrings(a[0], b[0]))
    .map(([name, m]) => {
      const old = before.get(name);
      // Unchanged families keep their Buffer, so whatever is cached per Buffer (gzip) stays valid.
      if (old !== undefined && old.type === m.type && old.help === m.help && sameChunks(old.chunks, m.parts)) {
        return old;
      }
      const text = concatTexts(m.parts, bind);
      const utf8 = !isValidMetricName(name) || hasQuotedLabelName(text);
      return { name, type: m.type, help: m.help, text, chunks: m.parts, utf8 };
    });
}

/** The texts' bytes in one Buffer; with `bind`, each text becomes its range of it. */
function concatTexts(texts: readonly SampleText[], bind: boolean): Buffer {
  let length = 0;
  for (const t of texts) {
    length += t.byteLength;
  }
  // Not from Node's shared pool: a pooled slice would keep its whole 8 KiB slab alive.
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const t of texts) {
    const written = t.copyTo(out, at);
    if (bind) {
      t.bindTo(out, at, at + written);
    }
    at += written;
  }
  return out;
}

/** One family being merged across groups: its type and HELP so far, and each group's part. */
interface Merging<T> {
  type: MetricType;
  help: string;
  parts: T[];
}

/**
 * Adds one group's part of family `f` (groups visited in order): the first group's type wins and a
 * part of another type is left out (false); the HELP is the first non-empty one. Text and protobuf
 * scrapes both merge through here, so they agree.
 */
function mergeInto<T>(byName: Map<string, Merging<T>>, f: { name: string; type: MetricType; help: string }, part: T): boolean {
  let merged = byName.get(f.name);
  if (merged === undefined) {
    merged = { type: f.type, help: f.help, parts: [] };
    byName.set(f.name, merged);
  } else if (merged.type !== f.type) {
    return false;
  }
  if (merged.help === '' && f.help !== '') {
    merged.help = f.help;
  }
  merged.parts.push(part);
  return true;
}

function sameChunks<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((chunk, i) => chunk === b[i]);
}

function gaugeFamily(name: string, help: string, labels: Labels, value: number): { family: GroupFamily; mf: MetricFamily } {
  const mf: MetricFamily = { name, help, type: MetricType.GAUGE, metric: [{ label: sortedPairs(labels), gauge: { value } }] };
  return { family: { name, help, type: MetricType.GAUGE, exposition: encodeSamples(mf) }, mf };
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

/** One piece of a scrape in output order: an own family, a pushed one, or both merged. */
export type ScrapePart =
  { kind: 'own'; own: MetricFamily } | { kind: 'pushed'; pushed: MergedFamily } | { kind: 'both'; own: MetricFamily; pushed: MergedFamily };

/**
 * The gateway's own families and the merged pushed ones in output order (by name). Where a pushed
 * family has the name of an own family (same type; the push-time check refuses other types), the
 * two are merged under the own HELP; an own family of another type hides the pushed one.
 */
export function scrapeParts(pushed: MergedFamily[], own: MetricFamily[]): ScrapePart[] {
  const ownSorted = [...own].sort((a, b) => compareStrings(a.name, b.name));
  const parts: ScrapePart[] = [];
  let i = 0;
  let j = 0;
  while (i < ownSorted.length || j < pushed.length) {
    const o = ownSorted[i];
    const p = pushed[j];
    if (p === undefined || (o !== undefined && o.name < p.name)) {
      parts.push({ kind: 'own', own: o });
      i++;
    } else if (o === undefined || p.name < o.name) {
      parts.push({ kind: 'pushed', pushed: p });
      j++;
    } else {
      parts.push(o.type === p.type ? { kind: 'both', own: o, pushed: p } : { kind: 'own', own: o });
      i++;
      j++;
    }
  }
  return parts;
}

/**
 * Text of one scrape part: HELP/TYPE once, then the samples. Under any `escaping` but
 * `allow-utf-8`, names that are not legacy names are escaped (research note §2); the rest of the
 * text is the cached Buffer as it is.
 */
export function renderPart(part: ScrapePart, escaping: EscapingScheme = 'allow-utf-8'): Buffer[] {
  switch (part.kind) {
    case 'own':
      return [Buffer.from(encodeFamily(part.own), 'utf8')];
    case 'pushed': {
      const { name, text } = escapedText(part.pushed, escaping);
      return [Buffer.from(encodeHeader(name, part.pushed.help, part.pushed.type), 'utf8'), text];
    }
    case 'both':
      return [Buffer.from(encodeFamily(part.own), 'utf8'), escapedText(part.pushed, escaping).text];
  }
}

/** Escaped renderings of merged families, per scheme; a family object is replaced when it changes. */
const escapedCache = new WeakMap<MergedFamily, Map<EscapingScheme, { name: string; text: Buffer }>>();

/**
 * The family's name and sample text under `escaping`. Each group's chunk is parsed back and
 * re-encoded escaped; a chunk that does not parse back (never expected) is left out rather than
 * breaking the scrape.
 */
function escapedText(m: MergedFamily, escaping: EscapingScheme): { name: string; text: Buffer } {
  if (escaping === 'allow-utf-8' || m.utf8 !== true) {
    return { name: m.name, text: m.text };
  }
  let byScheme = escapedCache.get(m);
  if (byScheme === undefined) {
    escapedCache.set(m, (byScheme = new Map()));
  }
  let out = byScheme.get(escaping);
  if (out === undefined) {
    let text = '';
    for (const chunk of m.chunks) {
      try {
        const [mf] = parseText(encodeHeader(m.name, '', m.type) + chunk.toString());
        text += mf === undefined ? '' : encodeSamples(escapeFamily(mf, escaping));
      } catch {
        // Left out; see above.
      }
    }
    out = { name: isValidMetricName(m.name) ? m.name : escapeName(m.name, escaping), text: Buffer.from(text, 'utf8') };
    byScheme.set(escaping, out);
  }
  return out;
}

/**
 * Whether encoded sample text (a string, or its UTF-8 bytes) holds a quoted label name: a `"` that
 * is not escaped, followed by `=`. Inside label values every `"` is escaped, so this occurs only at
 * the end of such a name.
 */
export function hasQuotedLabelName(text: string | Buffer): boolean {
  const codeAt = typeof text === 'string' ? (i: number): number => text.charCodeAt(i) : (i: number): number => text[i];
  for (let at = text.indexOf('"='); at >= 0; at = text.indexOf('"=', at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= 0 && codeAt(at - backslashes - 1) === 0x5c) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return true;
    }
  }
  return false;
}

/** Renders a text 0.0.4 scrape (see scrapeParts for the order and merge rules, renderPart for escaping). */
export function renderText(pushed: MergedFamily[], own: MetricFamily[], escaping: EscapingScheme = 'allow-utf-8'): Buffer {
  return Buffer.concat(scrapeParts(pushed, own).flatMap((part) => renderPart(part, escaping)));
}

/** One group with its families' protobuf bodies, for a protobuf scrape. */
export interface ProtobufGroup {
  exposedLabels: Labels;
  pushTime: number;
  pushFailureTime: number;
  expiresAt?: number;
  /** Length-delimited sanitised MetricFamily per family (families without series included). */
  families: { name: string; type: MetricType; help: string; body: Uint8Array }[];
}

/**
 * Renders a protobuf-delimited scrape with the same content and order as renderText. Families are
 * merged across groups without decoding: concatenating serialized messages of one protobuf type
 * merges them (repeated fields append, scalars: last wins), and a trailing HELP field makes the
 * chosen HELP win. Under any `escaping` but `allow-utf-8`, the families named in `utf8Families`
 * (MergedFamily.utf8) are decoded, escaped and re-encoded, and the per-group gauges escaped.
 */
export function renderProtobuf(
  groups: ProtobufGroup[],
  own: MetricFamily[],
  escaping: EscapingScheme = 'allow-utf-8',
  utf8Families: ReadonlySet<string> = new Set(),
): Buffer {
  const sorted = groups.map((g) => ({ g, key: sortKey(g.exposedLabels) })).sort((a, b) => compareStrings(a.key, b.key));
  const byName = new Map<string, Merging<Uint8Array>>();
  for (const { g } of sorted) {
    const times = timeGauges(g.exposedLabels, g).map((t) => escapeFamily(t.mf, escaping));
    const families = [...g.families, ...times.map((mf) => ({ name: mf.name, type: mf.type, help: mf.help, body: encodeFamilyDelimited(mf) }))];
    for (const f of families) {
      const escaped = escaping !== 'allow-utf-8' && utf8Families.has(f.name) ? escapeFamily(parseProtobufDelimited(f.body)[0], escaping) : undefined;
      const body = stripLengthPrefix(escaped === undefined ? f.body : encodeFamilyDelimited(escaped));
      if (!hasMetricField(body)) {
        continue;
      }
      mergeInto(byName, escaped === undefined ? f : { ...f, name: escaped.name }, body);
    }
  }
  const pushed = [...byName.entries()].sort((a, b) => compareStrings(a[0], b[0]));
  const bodiesOf = new Map(pushed.map(([name, m]) => [name, m]));
  const mergedList: MergedFamily[] = pushed.map(([name, m]) => ({ name, type: m.type, help: m.help, text: Buffer.alloc(0), chunks: [] }));
  const out: Uint8Array[] = [];
  for (const part of scrapeParts(mergedList, own)) {
    if (part.kind === 'own') {
      out.push(encodeFamilyDelimited(part.own));
    } else {
      const m = bodiesOf.get(part.pushed.name);
      const bodies = m?.parts ?? [];
      out.push(
        part.kind === 'pushed'
          ? delimit(bodies, helpField(part.pushed.help))
          : delimit([stripLengthPrefix(encodeFamilyDelimited(part.own)), ...bodies], helpField(part.own.help)),
      );
    }
  }
  return Buffer.concat(out);
}

/** True when a serialized MetricFamily has at least one `metric` (field 4) entry. */
function hasMetricField(body: Uint8Array): boolean {
  let i = 0;
  while (i < body.length) {
    const [key, next] = readVarint(body, i);
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 4) {
      return true;
    }
    i = skipField(body, next, wire);
  }
  return false;
}

function readVarint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  while (i < buf.length) {
    const b = buf[i++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      break;
    }
    shift += 7;
  }
  return [value, i];
}

function skipField(buf: Uint8Array, at: number, wire: number): number {
  switch (wire) {
    case 0:
      return readVarint(buf, at)[1];
    case 1:
      return at + 8;
    case 2: {
      const [length, next] = readVarint(buf, at);
      return next + length;
    }
    case 5:
      return at + 4;
    default:
      return buf.length;
  }
}

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
