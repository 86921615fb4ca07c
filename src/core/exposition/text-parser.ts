/**
 * Parser for the Prometheus text exposition format 0.0.4, with the semantics of Go's
 * `expfmt.TextParser` (prometheus/common), which Pushgateway uses for every non-protobuf push.
 * A hand-written scanner over the string by index: no per-character regexes, one substring per token.
 */
import { LabelNamesSeen } from 'src/core/exposition/label-names-seen';
import { limitDetail, ParseLimits } from 'src/core/exposition/parse-limits';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { formatFloat } from 'src/core/exposition/format-float';
import { goCharOfByte, goQuote, goQuoteByte, parseGoFloat, parseGoInt64 } from 'src/core/exposition/go-syntax';
import { LabelSetIndex } from 'src/core/exposition/label-set-index';
import { Histogram, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';

const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const HASH = 0x23;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** TYPE keywords, upper-cased as Go looks them up in `dto.MetricType_value`. */
const TYPE_BY_KEYWORD: Readonly<Record<string, MetricType>> = {
  COUNTER: MetricType.COUNTER,
  GAUGE: MetricType.GAUGE,
  SUMMARY: MetricType.SUMMARY,
  UNTYPED: MetricType.UNTYPED,
  HISTOGRAM: MetricType.HISTOGRAM,
  GAUGE_HISTOGRAM: MetricType.GAUGE_HISTOGRAM,
  // prometheus/common 0.67 (pushgateway 1.11.2+) also takes the OpenMetrics spelling.
  GAUGEHISTOGRAM: MetricType.GAUGE_HISTOGRAM,
};

/** What a sample line contributes to a summary or histogram family. */
enum Role {
  Point, // a quantile, a bucket, or (without quantile/le label) nothing
  Count,
  Sum,
}

/** One summary/histogram series being assembled from several lines. */
interface Aggregate {
  metric: Metric;
  countSeen: boolean;
  sumSeen: boolean;
  points: Set<number>;
}

interface FamilyState {
  family: MetricFamily;
  /** Go's `Type != nil`: set by a TYPE line or by the first sample. */
  typed: boolean;
  /** Go's `Help != nil`. */
  helped: boolean;
  aggregates?: LabelSetIndex<Aggregate>;
}

/**
 * Parses a text format 0.0.4 body into metric families.
 *
 * - Families keep the order in which their name first appeared (HELP, TYPE or sample line);
 *   metrics keep input order; label pairs keep input order.
 * - Names without a TYPE line become UNTYPED families. `x_count`, `x_sum`, `x{quantile=..}` and
 *   `x_bucket{le=..}` lines fold into one Metric per label set of a family `x` TYPEd summary,
 *   histogram or gauge histogram (`gauge_histogram` or, as in 1.11.2+, `gaugehistogram`; its
 *   OpenMetrics `_gcount`/`_gsum` lines stay families of their own, as there); a missing `_count`/`_sum` is 0 and a histogram without a `+Inf` bucket gets one
 *   holding `_count`. Histogram counts follow prometheus/common 0.67 (pushgateway 1.11.2+): a whole
 *   number is an integer count, anything else (`1.5`, `NaN`, `+Inf`) makes the histogram a float
 *   histogram (`*CountFloat`, every count of it float), a negative one is an error. Summary counts
 *   are truncated to integers like Go's `uint64(value)`.
 * - Families without samples are dropped; an empty body yields [].
 * - Sample timestamps are kept in `timestampMs` (rejecting them is the caller's business).
 *
 * Throws ExpositionParseError (`text format parsing error in line N: ...`, 1-based N) on the first
 * malformed line, with Go's message where Go has one. A second sample of the same counter, gauge or
 * untyped series is kept as a second Metric, as Go keeps it: the push is then refused by the
 * consistency check, which records the group's failure time as upstream's does (research note §6).
 * Stricter than Go: a second `_sum`/`_count`/quantile/bucket of one summary or histogram series (Go
 * merges them silently) is an error, as is a negative or non-finite summary count.
 */
export function parseText(input: string, options: TextParseOptions = {}): MetricFamily[] {
  return new TextScanner(input, options.nameValidation ?? 'utf8', options.limits).parse();
}

/**
 * How names are validated. Quoting (`{"my.metric","my.label"="v"} 1`, `# TYPE "my.metric" gauge`)
 * is syntax either way; the scheme decides which names are valid, as in prometheus/common 0.67's
 * `NewTextParser(scheme)`: `legacy` is `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names and
 * `[a-zA-Z_][a-zA-Z0-9_]*` for label names, `utf8` any non-empty string.
 */
export interface TextParseOptions {
  /** Default `utf8` (prometheus/common's default); pushes pass the gateway's setting. */
  nameValidation?: 'legacy' | 'utf8';
  /** Bounds that end the parse early (see ParseLimits); none by default. */
  limits?: ParseLimits;
}

class TextScanner {
  private readonly len: number;
  /** Index of the next unread character; the current one is at `pos - 1`. */
  private pos = 0;
  /** Code unit of the current character (Go's `currentByte`). */
  private cur = 0;
  private line = 0;
  private readonly families = new Map<string, FamilyState>();
  private fam!: FamilyState;
  private role = Role.Point;
  /** The value of the current line's quantile/le label, NaN when absent (as in Go). */
  private point = NaN;

  /** Series created so far (checked against limits.maxSeries). */
  private series = 0;

  constructor(
    private readonly src: string,
    private readonly scheme: 'legacy' | 'utf8',
    private readonly limits: ParseLimits | undefined,
  ) {
    this.len = src.length;
  }

  private countSeries(): void {
    if (this.limits !== undefined && ++this.series > this.limits.maxSeries) {
      throw this.error(limitDetail(this.limits, 'series'));
    }
  }

  parse(): MetricFamily[] {
    while (this.startOfLine()) {
      // Each call consumes one line including its '\n'.
    }
    const result: MetricFamily[] = [];
    for (const state of this.families.values()) {
      if (state.family.metric.length > 0) {
        if (isHistogram(state.family.type)) {
          state.family.metric.forEach((m) => normalizeHistogram(m.histogram));
          addInfBuckets(state.family);
        }
        result.push(state.family);
      }
    }
    return result;
  }

  /** Returns false at the (legitimate) end of input. */
  private startOfLine(): boolean {
    this.line++;
    do {
      if (this.pos >= this.len) {
        return false;
      }
      this.cur = this.src.charCodeAt(this.pos++);
    } while (this.cur === SPACE || this.cur === TAB);
    switch (this.cur) {
      case HASH:
        this.comment();
        break;
      case LF:
        break;
      default:
        this.sample();
    }
    return true;
  }

  private comment(): void {
    this.skipBlankTab();
    if (this.cur === LF) {
      return;
    }
    const keyword = this.readTokenUntilWhitespace();
    if (this.cur === LF) {
      return;
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE') {
      this.skipRestOfLine();
      return;
    }
    this.skipBlankTab();
    const name = this.cur === QUOTE ? this.readQuotedName(true) : this.readName(true);
    if (this.cur === LF) {
      return; // `# HELP name` with nothing after the name is not an error in Go.
    }
    if (!isBlank(this.cur)) {
      throw this.error('invalid metric name in comment');
    }
    this.selectFamily(name);
    this.skipBlankTab();
    if (this.cur === LF) {
      return;
    }
    if (keyword === 'HELP') {
      this.readHelp();
    } else {
      this.readType();
    }
  }

  private readHelp(): void {
    const state = this.fam;
    if (state.helped) {
      throw this.error(`second HELP line for metric name ${goQuote(state.family.name)}`);
    }
    state.family.help = this.readRestOfLine(true);
    state.helped = true;
  }

  private readType(): void {
    const state = this.fam;
    if (state.typed) {
      throw this.error(`second TYPE line for metric name ${goQuote(state.family.name)}, or TYPE reported after samples`);
    }
    const keyword = this.readRestOfLine(false);
    const type = TYPE_BY_KEYWORD[keyword.toUpperCase()];
    if (type === undefined) {
      throw this.error(`unknown metric type ${goQuote(keyword)}`);
    }
    state.family.type = type;
    state.typed = true;
  }

  private sample(): void {
    if (this.cur === LBRACE) {
      this.bracedSample();
      return;
    }
    const name = this.readName(true);
    if (name === '') {
      throw this.error('invalid metric name');
    }
    this.selectFamily(name);
    this.sampleAfterName(name, 'bare');
  }

  /** `{"my.metric"[,labels]} value`: a quoted metric name first inside the braces. */
  private bracedSample(): void {
    if (this.skipBlankTab() !== QUOTE) {
      throw this.error('invalid metric name');
    }
    const name = this.readQuotedName(true);
    this.selectFamily(name);
    if (isBlank(this.cur)) {
      this.skipBlankTab();
    }
    if (this.cur !== COMMA && this.cur !== RBRACE) {
      throw this.error(`expected ',' or '}' after metric name ${goQuote(name)}, found ${goQuoteByte(this.cur)}`);
    }
    this.sampleAfterName(name, this.cur === COMMA ? 'labels' : 'closed');
  }

  /**
   * The rest of a sample line once its family is selected: after a bare name, or after a braced
   * name followed by ',' (`labels` continue) or by '}' (`closed`).
   */
  private sampleAfterName(name: string, after: 'bare' | 'labels' | 'closed'): void {
    const state = this.fam;
    if (!state.typed) {
      state.family.type = MetricType.UNTYPED;
      state.typed = true;
    }
    if (isBlank(this.cur)) {
      this.skipBlankTab();
    }
    this.point = NaN;
    const labels: LabelPair[] = [];
    if (after === 'labels' || (after === 'bare' && this.cur === LBRACE)) {
      this.readLabels(labels, state.family.type);
    } else if (after === 'closed') {
      this.skipBlankTab();
    }
    const token = this.readTokenUntilWhitespace();
    const value = parseGoFloat(token);
    if (value === undefined) {
      throw this.error(`expected float as value, got ${goQuote(token)}`);
    }
    const timestampMs = this.cur === LF ? undefined : this.readTimestamp();
    this.record(name, labels, value, token, timestampMs);
  }

  /** Reads `{name="value",...}` from the current '{' up to the first non-blank after '}'. */
  private readLabels(labels: LabelPair[], type: MetricType): void {
    const seen = new LabelNamesSeen(labels);
    for (;;) {
      this.skipBlankTab();
      if (this.cur === RBRACE) {
        this.skipBlankTab();
        return;
      }
      const name = this.cur === QUOTE ? this.readQuotedName(false) : this.readName(false);
      if (name === '') {
        throw this.error(`invalid label name for metric ${goQuote(this.fam.family.name)}`);
      }
      if (isBlank(this.cur)) {
        this.skipBlankTab();
      }
      if (this.cur !== EQUALS) {
        throw this.error(`expected '=' after label name, found ${goQuoteByte(this.cur)}`);
      }
      if (name === '__name__') {
        throw this.error('label name "__name__" is reserved');
      }
      const special = (type === MetricType.SUMMARY && name === 'quantile') || (isHistogram(type) && name === 'le');
      if (!special && seen.has(name)) {
        throw this.error(`duplicate label names for metric ${goQuote(this.fam.family.name)}`);
      }
      if (this.skipBlankTab() !== QUOTE) {
        throw this.error(`expected '"' at start of label value, found ${goQuoteByte(this.cur)}`);
      }
      const value = this.readLabelValue();
      if (special) {
        this.point = this.parsePoint(name, value);
      } else {
        labels.push({ name, value });
        seen.added(name);
        if (this.limits !== undefined && labels.length > this.limits.maxLabels) {
          throw this.error(limitDetail(this.limits, 'labels'));
        }
      }
      const next = this.skipBlankTab();
      if (next === RBRACE) {
        this.skipBlankTab();
        return;
      }
      if (next !== COMMA) {
        throw this.error(`unexpected end of label value ${goQuote(value)}`);
      }
    }
  }

  private parsePoint(label: string, value: string): number {
    const point = parseGoFloat(value);
    if (point === undefined) {
      throw this.error(`expected float as value for '${label}' label, got ${goQuote(value)}`);
    }
    return point;
  }

  /** After the value: blanks, an int64 timestamp, and nothing else before '\n'. */
  private readTimestamp(): number {
    this.skipBlankTab();
    const token = this.readTokenUntilWhitespace();
    const timestampMs = parseGoInt64(token);
    if (timestampMs === undefined) {
      throw this.error(`expected integer as timestamp, got ${goQuote(token)}`);
    }
    const rest = this.readRestOfLine(false);
    if (rest !== '') {
      throw this.error(`spurious string after timestamp: ${goQuote(rest)}`);
    }
    return timestampMs;
  }

  /** Adds a fully parsed sample line to the current family. */
  private record(name: string, labels: LabelPair[], value: number, token: string, timestampMs?: number): void {
    const family = this.fam.family;
    switch (family.type) {
      case MetricType.COUNTER:
        this.addSimple(timestampMs, labels).counter = { value };
        return;
      case MetricType.GAUGE:
        this.addSimple(timestampMs, labels).gauge = { value };
        return;
      case MetricType.UNTYPED:
        this.addSimple(timestampMs, labels).untyped = { value };
        return;
      case MetricType.SUMMARY:
        this.addToSummary(name, labels, value, token, timestampMs);
        return;
      case MetricType.HISTOGRAM:
      case MetricType.GAUGE_HISTOGRAM:
        this.addToHistogram(name, labels, value, token, timestampMs);
        return;
      default:
        // Go sets this error but then loses it and stores a metric without value.
        throw this.error(`unexpected type for metric name ${goQuote(family.name)}`);
    }
  }

  private addSimple(timestampMs?: number, labels: LabelPair[] = []): Metric {
    this.countSeries();
    const metric: Metric = { label: labels };
    if (timestampMs !== undefined) {
      metric.timestampMs = timestampMs;
    }
    this.fam.family.metric.push(metric);
    return metric;
  }

  private addToSummary(name: string, labels: LabelPair[], value: number, token: string, timestampMs?: number): void {
    const agg = this.aggregate(labels, (m) => (m.summary = { sampleCount: 0, sampleSum: 0, quantile: [] }));
    const summary = agg.metric.summary!;
    if (this.role === Role.Count) {
      this.markOnce(agg, 'countSeen', name, labels);
      summary.sampleCount = this.toCount(value, token, name);
    } else if (this.role === Role.Sum) {
      this.markOnce(agg, 'sumSeen', name, labels);
      summary.sampleSum = value;
    } else if (!Number.isNaN(this.point)) {
      this.markPoint(agg, name, labels, 'quantile');
      summary.quantile.push({ quantile: this.point, value });
    }
    if (timestampMs !== undefined) {
      agg.metric.timestampMs = timestampMs;
    }
  }

  private addToHistogram(name: string, labels: LabelPair[], value: number, token: string, timestampMs?: number): void {
    const agg = this.aggregate(labels, (m) => (m.histogram = { sampleCount: 0, sampleSum: 0, bucket: [] }));
    const histogram = agg.metric.histogram!;
    if (this.role === Role.Count) {
      this.markOnce(agg, 'countSeen', name, labels);
      if (isUint64(value)) {
        histogram.sampleCount = Math.abs(value); // -0 is uint64 0
      } else {
        histogram.sampleCountFloat = this.floatCount(value, `negative count for histogram ${goQuote(this.fam.family.name)}`);
      }
    } else if (this.role === Role.Sum) {
      this.markOnce(agg, 'sumSeen', name, labels);
      histogram.sampleSum = value;
    } else if (!Number.isNaN(this.point)) {
      this.markPoint(agg, name, labels, 'le');
      histogram.bucket.push(
        isUint64(value)
          ? { cumulativeCount: Math.abs(value), upperBound: this.point }
          : {
              cumulativeCount: 0,
              cumulativeCountFloat: this.floatCount(value, `negative bucket population for histogram ${goQuote(this.fam.family.name)}`),
              upperBound: this.point,
            },
      );
    }
    if (timestampMs !== undefined) {
      agg.metric.timestampMs = timestampMs;
    }
  }

  /** Finds or creates the Metric of this label set (quantile/le excluded) in the current family. */
  private aggregate(labels: LabelPair[], init: (metric: Metric) => void): Aggregate {
    const state = this.fam;
    const aggregates = (state.aggregates ??= new LabelSetIndex<Aggregate>((a) => a.metric.label));
    let agg = aggregates.get(labels);
    if (agg === undefined) {
      this.countSeries();
      const metric: Metric = { label: labels };
      init(metric);
      agg = { metric, countSeen: false, sumSeen: false, points: new Set<number>() };
      aggregates.add(agg);
      state.family.metric.push(metric);
    }
    return agg;
  }

  private markOnce(agg: Aggregate, flag: 'countSeen' | 'sumSeen', name: string, labels: LabelPair[]): void {
    if (agg[flag]) {
      throw this.duplicate(name, labels);
    }
    agg[flag] = true;
  }

  private markPoint(agg: Aggregate, name: string, labels: LabelPair[], label: string): void {
    if (agg.points.has(this.point)) {
      throw this.duplicate(name, [...labels, { name: label, value: formatFloat(this.point) }]);
    }
    agg.points.add(this.point);
  }

  /** A histogram count that is not a uint64: negative ones are refused as prometheus/common 0.67 refuses them. */
  private floatCount(value: number, negative: string): number {
    if (value < 0) {
      throw this.error(negative);
    }
    return value;
  }

  /** Go stores summary counts as `uint64(value)`; values it would wrap are rejected here instead. */
  private toCount(value: number, token: string, name: string): number {
    if (!(value >= 0) || value === Infinity) {
      throw this.error(`expected non-negative finite count for metric ${goQuote(name)}, got ${goQuote(token)}`);
    }
    return Math.trunc(value);
  }

  private duplicate(name: string, labels: LabelPair[]): ExpositionParseError {
    const set = labels.map((l) => `${l.name}=${goQuote(l.value)}`).join(',');
    return this.error(`second sample for metric ${goQuote(name)} with labels {${set}}`);
  }

  /**
   * Go's `setOrCreateCurrentMF`: the family named `name`, else the summary (`_count`, `_sum`) or
   * histogram (`_count`, `_sum`, `_bucket`) family it belongs to, else a new family.
   */
  private selectFamily(name: string): void {
    this.role = Role.Point;
    const exact = this.families.get(name);
    if (exact !== undefined) {
      this.fam = exact;
      return;
    }
    const suffix = suffixOf(name);
    if (suffix !== undefined) {
      const base = this.families.get(name.slice(0, name.length - suffix.length));
      const type = base?.family.type;
      if (base !== undefined && ((type === MetricType.SUMMARY && suffix !== '_bucket') || (type !== undefined && isHistogram(type)))) {
        this.fam = base;
        this.role = suffix === '_count' ? Role.Count : suffix === '_sum' ? Role.Sum : Role.Point;
        return;
      }
    }
    const state: FamilyState = {
      family: { name, help: '', type: MetricType.COUNTER, metric: [] },
      typed: false,
      helped: false,
    };
    this.families.set(name, state);
    this.fam = state;
  }

  // ---- Character-level readers. Each leaves the first unconsumed character in `cur`. ----

  private read(): void {
    if (this.pos >= this.len) {
      throw this.error('unexpected end of input stream');
    }
    this.cur = this.src.charCodeAt(this.pos++);
  }

  /** Reads at least one character, then skips spaces and tabs; returns the new `cur`. */
  private skipBlankTab(): number {
    do {
      this.read();
    } while (this.cur === SPACE || this.cur === TAB);
    return this.cur;
  }

  /** A metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) or label name starting at `cur`; '' if none starts there. */
  private readName(metric: boolean): string {
    if (!isNameStart(this.cur, metric)) {
      return '';
    }
    const start = this.pos - 1;
    let i = this.pos;
    while (i < this.len && isNameContinuation(this.src.charCodeAt(i), metric)) {
      i++;
    }
    this.pos = i;
    this.read();
    return this.src.slice(start, i);
  }

  /**
   * A double-quoted metric or label name at `cur` (escapes as in label values), checked against the
   * validation scheme; leaves the character after the closing quote in `cur`.
   */
  private readQuotedName(metric: boolean): string {
    const name = this.readLabelValue();
    this.read();
    const valid = this.scheme === 'utf8' ? name !== '' : metric ? isNameToken(name, true) : isNameToken(name, false);
    if (!valid) {
      throw this.error(`invalid ${metric ? 'metric' : 'label'} name ${goQuote(name)}`);
    }
    return name;
  }

  /** The token from `cur` up to (excluding) the next space, tab or '\n'; may be empty. */
  private readTokenUntilWhitespace(): string {
    const start = this.pos - 1;
    let i = start;
    let c = this.cur;
    while (c !== SPACE && c !== TAB && c !== LF) {
      if (++i >= this.len) {
        this.pos = i;
        this.read();
      }
      c = this.src.charCodeAt(i);
    }
    this.pos = i + 1;
    this.cur = c;
    return this.src.slice(start, i);
  }

  private skipRestOfLine(): void {
    const nl = this.src.indexOf('\n', this.pos - 1);
    if (nl < 0) {
      this.pos = this.len;
      this.read();
    }
    this.pos = nl + 1;
    this.cur = LF;
  }

  /**
   * The rest of the line from `cur` (inclusive). With `escapes`, `\\` and `\n` are decoded and any
   * other escape is an error (HELP; newer Go also takes `\"`, the reference 1.5.1 build does not);
   * without, backslashes are dropped as Go does.
   */
  private readRestOfLine(escapes: boolean): string {
    const start = this.pos - 1;
    const nl = this.src.indexOf('\n', start);
    const end = nl < 0 ? this.len : nl;
    let text = this.src.slice(start, end);
    if (text.indexOf('\\') >= 0) {
      text = escapes ? this.unescapeHelp(start, end) : text.split('\\').join('');
    }
    if (nl < 0) {
      this.pos = this.len;
      this.read();
    }
    this.pos = nl + 1;
    this.cur = LF;
    return text;
  }

  private unescapeHelp(start: number, end: number): string {
    let out = '';
    let segment = start;
    for (let i = start; i < end; i++) {
      if (this.src.charCodeAt(i) !== BACKSLASH) {
        continue;
      }
      out += this.src.slice(segment, i);
      if (i + 1 >= this.len) {
        this.pos = this.len;
        this.read();
      }
      const c = this.src.charCodeAt(i + 1);
      if (c === BACKSLASH) {
        out += '\\';
      } else if (c === 0x6e) {
        out += '\n';
      } else {
        throw this.error(`invalid escape sequence '\\${goCharOfByte(c)}'`);
      }
      i++;
      segment = i + 1;
    }
    return out + this.src.slice(segment, end);
  }

  /** A label value after its opening quote, through the closing quote (left in `cur`). */
  private readLabelValue(): string {
    const src = this.src;
    let out: string | undefined;
    let segment = this.pos;
    let i = this.pos;
    for (;;) {
      if (i >= this.len) {
        this.pos = i;
        this.read();
      }
      const c = src.charCodeAt(i);
      if (c === QUOTE) {
        break;
      }
      if (c === LF) {
        const sofar = (out ?? '') + src.slice(segment, i);
        throw this.error(`label value ${goQuote(sofar)} contains unescaped new-line`);
      }
      if (c === BACKSLASH) {
        out = (out ?? '') + src.slice(segment, i);
        if (i + 1 >= this.len) {
          this.pos = this.len;
          this.read();
        }
        out += this.unescapeLabelChar(src.charCodeAt(i + 1));
        i += 2;
        segment = i;
        continue;
      }
      i++;
    }
    this.pos = i + 1;
    this.cur = QUOTE;
    return out === undefined ? src.slice(segment, i) : out + src.slice(segment, i);
  }

  private unescapeLabelChar(c: number): string {
    if (c === QUOTE || c === BACKSLASH) {
      return String.fromCharCode(c);
    }
    if (c === 0x6e) {
      return '\n';
    }
    throw this.error(`invalid escape sequence '\\${goCharOfByte(c)}'`);
  }

  private error(detail: string): ExpositionParseError {
    return ExpositionParseError.text(this.line, detail);
  }
}

/** Histograms and gauge histograms share their text lines (`_bucket`, `_sum`, `_count`), as in 1.11's parser. */
function isHistogram(type: MetricType): boolean {
  return type === MetricType.HISTOGRAM || type === MetricType.GAUGE_HISTOGRAM;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isNameStart(c: number, metric: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (metric && c === 0x3a);
}

function isNameContinuation(c: number, metric: boolean): boolean {
  return isNameStart(c, metric) || (c >= 0x30 && c <= 0x39);
}

/** A legacy metric (`metric`) or label name. */
function isNameToken(name: string, metric: boolean): boolean {
  if (name === '' || !isNameStart(name.charCodeAt(0), metric)) {
    return false;
  }
  for (let i = 1; i < name.length; i++) {
    if (!isNameContinuation(name.charCodeAt(i), metric)) {
      return false;
    }
  }
  return true;
}

/** The `_count`/`_sum`/`_bucket` suffix of `name`, if it has one and something before it. */
function suffixOf(name: string): string | undefined {
  for (const suffix of ['_count', '_sum', '_bucket']) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      return suffix;
    }
  }
  return undefined;
}

/** Gives each histogram without a `+Inf` bucket one holding its sample count. */
function addInfBuckets(family: MetricFamily): void {
  for (const metric of family.metric) {
    const h = metric.histogram;
    if (h !== undefined && !h.bucket.some((b) => b.upperBound === Infinity)) {
      h.bucket.push(
        h.sampleCountFloat === undefined
          ? { cumulativeCount: h.sampleCount, upperBound: Infinity }
          : { cumulativeCount: 0, cumulativeCountFloat: h.sampleCountFloat, upperBound: Infinity },
      );
    }
  }
}

/** Go's `value == float64(uint64(value))`: a whole number in [0, 2^64) (`-0` included). */
function isUint64(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 2 ** 64;
}

/**
 * prometheus/common 0.67's `normalizeHistogram` (expfmt/text_parse.go): when `_count` or any bucket
 * is a float, every count of the histogram becomes a float (a float histogram), so the histogram is
 * either completely integer or completely float. Like Go, a float count of 0 does not count as float.
 */
function normalizeHistogram(h: Histogram | undefined): void {
  if (h === undefined) {
    return;
  }
  const isFloat = (v: number | undefined): boolean => v !== undefined && v !== 0;
  if (!isFloat(h.sampleCountFloat) && !h.bucket.some((b) => isFloat(b.cumulativeCountFloat))) {
    return;
  }
  if (!isFloat(h.sampleCountFloat)) {
    h.sampleCountFloat = h.sampleCount;
    h.sampleCount = 0;
  }
  for (const b of h.bucket) {
    if (!isFloat(b.cumulativeCountFloat)) {
      b.cumulativeCountFloat = b.cumulativeCount;
      b.cumulativeCount = 0;
    }
  }
}
