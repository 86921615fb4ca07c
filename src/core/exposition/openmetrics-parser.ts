/**
 * Parser for OpenMetrics 1.0 text (`application/openmetrics-text`), written from the specification
 * (OpenObservability/OpenMetrics `specification/OpenMetrics.md`). Upstream Pushgateway has no such
 * parser (its issue #400) and reads these bodies as text 0.0.4; this one maps each OpenMetrics
 * family onto the protobuf model every other push ends up in, so storage and scrapes need nothing new.
 *
 * Line oriented: the grammar allows single spaces only, no blank lines and no free comments, so each
 * line is matched whole and an error always names one line.
 */
import { LabelNamesSeen } from 'src/core/exposition/label-names-seen';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { limitDetail, ParseLimits } from 'src/core/exposition/parse-limits';
import { goQuote } from 'src/core/exposition/go-syntax';
import { LabelSetIndex } from 'src/core/exposition/label-set-index';
import { isValidLabelName, isValidMetricName } from 'src/core/model/labels';
import { Exemplar, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';

/** The eight OpenMetrics family types. */
type OmType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'stateset' | 'info' | 'summary' | 'unknown';

const OM_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown']);

/** Sample name suffixes each type allows (the empty suffix is the bare family name). */
const SUFFIXES: Readonly<Record<OmType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [''],
  unknown: [''],
  stateset: [''],
  info: ['_info'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
};

/**
 * What each OpenMetrics type becomes in the protobuf model: its MetricType and the suffix its stored
 * name gets. Counters keep `_total` (client_golang and Prometheus name the series that way); info
 * becomes a gauge `<name>_info` of value 1 and a stateset a gauge with the state label, because
 * metrics.proto has neither type.
 */
const MODEL: Readonly<Record<OmType, { type: MetricType; suffix: string }>> = {
  counter: { type: MetricType.COUNTER, suffix: '_total' },
  gauge: { type: MetricType.GAUGE, suffix: '' },
  unknown: { type: MetricType.UNTYPED, suffix: '' },
  stateset: { type: MetricType.GAUGE, suffix: '' },
  info: { type: MetricType.GAUGE, suffix: '_info' },
  histogram: { type: MetricType.HISTOGRAM, suffix: '' },
  gaugehistogram: { type: MetricType.GAUGE_HISTOGRAM, suffix: '' },
  summary: { type: MetricType.SUMMARY, suffix: '' },
};

/** Exemplar label names plus values may hold at most this many code points (spec: "Exemplars"). */
const MAX_EXEMPLAR_RUNES = 128;

const REAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One MetricPoint (a label set of one family) being assembled from its sample lines. */
interface Point {
  metric: Metric;
  /** Suffixes already seen (`_bucket` and quantile lines are tracked by their bound instead). */
  seen: Set<string>;
  bounds: number[];
  hasCount: boolean;
  hasSum: boolean;
  count: number;
  sum: number;
  timestamped: boolean;
}

interface Family {
  name: string;
  type: OmType;
  typed: boolean;
  helped: boolean;
  unitSeen: boolean;
  sampled: boolean;
  out: MetricFamily;
  points: LabelSetIndex<Point>;
  current?: Point;
  /** The name it has in the model (registered in `modelNames`). */
  modelName: string;
}

/** One parsed sample line. */
interface Sample {
  name: string;
  labels: LabelPair[];
  value: number;
  valueToken: string;
  timestampMs?: number;
  exemplar?: Exemplar;
}

/**
 * Parses an OpenMetrics 1.0 text exposition into metric families in the protobuf model.
 *
 * - The body must end with `# EOF` (one final newline allowed) and nothing may follow it.
 * - Families keep input order, label pairs input order. `# UNIT` fills `unit` (the family name must
 *   end `_<unit>`), `# HELP` fills `help` (escapes `\\`, `\"`, `\n`).
 * - Type mapping: counter `c` → COUNTER `c_total` (value from `c_total`, `c_created` as
 *   createdTimestampMs); gauge → GAUGE; unknown → UNTYPED; info `i` → GAUGE `i_info` (value 1);
 *   stateset `s` → GAUGE `s` (value 0 or 1, label `s` required); histogram → HISTOGRAM and
 *   gaugehistogram → GAUGE_HISTOGRAM (`_bucket`, `_count`/`_gcount`, `_sum`/`_gsum`, `_created`);
 *   summary → SUMMARY.
 * - Exemplars are kept on counter totals and histogram buckets, where the model has room for them.
 * - Sample timestamps (float seconds) are kept in `timestampMs`; rejecting them is the caller's
 *   business, as with every pushed timestamp.
 * - Families without samples are dropped.
 *
 * Throws ExpositionParseError `openmetrics parsing error in line N: ...` (1-based N) for anything
 * the specification calls invalid: unknown types, metadata after samples or repeated, interleaved
 * families or metric points, samples whose name does not fit their family's type, non-cumulative or
 * unsorted buckets, a missing `+Inf` bucket, `_count` without `_sum` (or the reverse), negative or
 * NaN counts, a repeated sample without timestamps, and exemplars where the type allows none.
 */
export function parseOpenMetrics(input: string, limits?: ParseLimits): MetricFamily[] {
  return new OpenMetricsParser(input, limits).parse();
}

class OpenMetricsParser {
  private lineNo = 0;
  private readonly families = new Map<string, Family>();
  /** Model names already produced, to refuse two families exposing the same series name. */
  private readonly modelNames = new Map<string, string>();
  /** Sample name → family, for every family that has had samples (their type is then fixed). */
  private readonly sampleOwners = new Map<string, Family>();
  private fam: Family | undefined;

  /** Series created so far (checked against limits.maxSeries). */
  private series = 0;

  constructor(
    private readonly src: string,
    private readonly limits: ParseLimits | undefined,
  ) {}

  parse(): MetricFamily[] {
    const lines = this.src.split('\n');
    if (lines[lines.length - 1] === '') {
      lines.pop();
    }
    let eof = false;
    for (const line of lines) {
      this.lineNo++;
      if (eof) {
        throw this.error('unexpected content after "# EOF"');
      }
      if (line === '# EOF') {
        eof = true;
      } else if (line.startsWith('#')) {
        this.descriptor(line);
      } else {
        this.sample(line);
      }
    }
    if (!eof) {
      this.lineNo = lines.length + (this.src.endsWith('\n') || this.src === '' ? 1 : 0);
      throw this.error('expected "# EOF" at the end of the exposition');
    }
    this.closeFamily();
    const out: MetricFamily[] = [];
    for (const family of this.families.values()) {
      if (family.out.metric.length > 0) {
        out.push(family.out);
      }
    }
    return out;
  }

  // ---- Metric descriptors: `# TYPE|HELP|UNIT name text` ----

  private descriptor(line: string): void {
    const m = /^# (TYPE|HELP|UNIT) ([^ ]+)(?: (.*))?$/.exec(line);
    if (m === null) {
      throw this.error(`expected "# TYPE", "# HELP", "# UNIT" or "# EOF", got ${goQuote(line)}`);
    }
    const [, keyword, name, rest] = m;
    if (!isValidMetricName(name)) {
      throw this.error(`invalid metric name ${goQuote(name)}`);
    }
    const family = this.familyFor(name, keyword);
    if (keyword === 'TYPE') {
      this.setType(family, rest ?? '');
    } else if (keyword === 'HELP') {
      this.once(family, 'helped', 'HELP');
      family.out.help = this.unescape(rest ?? '');
    } else {
      this.setUnit(family, rest ?? '');
    }
  }

  /** The family a descriptor line is about: the current one, or a new one after it. */
  private familyFor(name: string, keyword: string): Family {
    if (this.fam !== undefined && this.fam.name === name) {
      if (this.fam.sampled) {
        throw this.error(`${keyword} line for ${goQuote(name)} after its samples`);
      }
      return this.fam;
    }
    return this.openFamily(name);
  }

  private setType(family: Family, keyword: string): void {
    this.once(family, 'typed', 'TYPE');
    if (!OM_TYPES.has(keyword)) {
      throw this.error(`unknown metric type ${goQuote(keyword)}`);
    }
    if (family.unitSeen && (keyword === 'info' || keyword === 'stateset') && family.out.unit !== undefined) {
      throw this.error(`a ${keyword} may not have a unit`);
    }
    family.type = keyword as OmType;
    this.nameModel(family);
  }

  private setUnit(family: Family, unit: string): void {
    this.once(family, 'unitSeen', 'UNIT');
    if (unit === '') {
      return;
    }
    if (!/^[a-zA-Z0-9_:]+$/.test(unit)) {
      throw this.error(`invalid unit ${goQuote(unit)}`);
    }
    if (!family.name.endsWith(`_${unit}`)) {
      throw this.error(`metric name ${goQuote(family.name)} does not end with its unit "_${unit}"`);
    }
    if (family.type === 'info' || family.type === 'stateset') {
      throw this.error(`a ${family.type} may not have a unit`);
    }
    family.out.unit = unit;
  }

  private once(family: Family, flag: 'typed' | 'helped' | 'unitSeen', keyword: string): void {
    if (family[flag]) {
      throw this.error(`second ${keyword} line for ${goQuote(family.name)}`);
    }
    family[flag] = true;
  }

  // ---- Samples: `name[{labels}] value[ timestamp][ # {labels} value[ timestamp]]` ----

  private sample(line: string): void {
    const sample = this.readSample(line);
    const family = this.familyOfSample(sample.name);
    const suffix = sample.name.slice(family.name.length);
    if (!family.sampled) {
      family.sampled = true;
      for (const s of SUFFIXES[family.type]) {
        this.sampleOwners.set(family.name + s, family);
      }
    }
    if (sample.exemplar !== undefined && suffix !== '_total' && suffix !== '_bucket') {
      throw this.error(`exemplar on ${goQuote(sample.name)}: only counter totals and histogram buckets carry exemplars`);
    }
    const point = this.pointFor(family, this.pointLabels(family, sample.labels), sample.timestampMs !== undefined);
    if (sample.timestampMs !== undefined) {
      point.timestamped = true;
      point.metric.timestampMs = sample.timestampMs;
    }
    this.addToPoint(family, point, suffix, sample);
  }

  /** The label set identifying the MetricPoint: the sample's labels without `le`/`quantile`. */
  private pointLabels(family: Family, labels: LabelPair[]): LabelPair[] {
    const special = family.type === 'summary' ? 'quantile' : family.type === 'histogram' || family.type === 'gaugehistogram' ? 'le' : undefined;
    return special === undefined ? labels : labels.filter((l) => l.name !== special);
  }

  /**
   * The family a sample belongs to: the current one when the name is one of its type's sample
   * names, else a new `unknown` family named after the sample. A sample of an earlier family is
   * an interleaving error.
   */
  private familyOfSample(name: string): Family {
    const current = this.fam;
    if (current !== undefined && SUFFIXES[current.type].some((s) => current.name + s === name)) {
      return current;
    }
    const owner = this.sampleOwners.get(name);
    if (owner !== undefined) {
      throw this.error(`sample ${goQuote(name)} of family ${goQuote(owner.name)} after another family's samples`);
    }
    if (this.families.has(name)) {
      throw this.error(`sample name ${goQuote(name)} does not fit the ${this.families.get(name)!.type} family ${goQuote(name)}`);
    }
    if (current !== undefined && current.name === name) {
      throw this.error(`sample name ${goQuote(name)} does not fit the ${current.type} family ${goQuote(name)}`);
    }
    return this.openFamily(name);
  }

  private pointFor(family: Family, labels: LabelPair[], timestamped: boolean): Point {
    const current = family.current;
    if (current !== undefined && sameLabels(current.metric.label, labels)) {
      return current;
    }
    const earlier = family.points.get(labels);
    if (earlier !== undefined && !(timestamped || earlier.timestamped)) {
      throw this.error(`metric point {${describeLabels(labels)}} of ${goQuote(family.name)} is not contiguous`);
    }
    if (current !== undefined) {
      this.closePoint(family, current);
    }
    if (this.limits !== undefined && ++this.series > this.limits.maxSeries) {
      throw this.error(limitDetail(this.limits, 'series'));
    }
    const point: Point = { metric: { label: labels }, seen: new Set(), bounds: [], hasCount: false, hasSum: false, count: 0, sum: 0, timestamped };
    this.initValue(family, point.metric);
    if (earlier === undefined) {
      family.points.add(point);
    }
    family.out.metric.push(point.metric);
    family.current = point;
    return point;
  }

  private initValue(family: Family, metric: Metric): void {
    switch (family.type) {
      case 'histogram':
      case 'gaugehistogram':
        metric.histogram = { sampleCount: 0, sampleSum: 0, bucket: [] };
        return;
      case 'summary':
        metric.summary = { sampleCount: 0, sampleSum: 0, quantile: [] };
        return;
      default:
        return;
    }
  }

  private addToPoint(family: Family, point: Point, suffix: string, s: Sample): void {
    // With timestamps a metric may hold several points (valid OpenMetrics); the push is then
    // refused for its timestamps, like any other, rather than here.
    const repeatable = suffix === '_bucket' || (family.type === 'summary' && suffix === '') || point.timestamped;
    if (!repeatable) {
      if (point.seen.has(suffix)) {
        throw this.error(`second ${goQuote(family.name + suffix)} sample for {${describeLabels(point.metric.label)}}`);
      }
      point.seen.add(suffix);
    }
    switch (family.type) {
      case 'counter':
        return this.addCounter(family, point, suffix, s);
      case 'gauge':
        point.metric.gauge = { value: s.value };
        return;
      case 'unknown':
        point.metric.untyped = { value: s.value };
        return;
      case 'info':
        return this.addInfo(point, s);
      case 'stateset':
        return this.addState(family, point, s);
      case 'summary':
        return this.addSummary(point, suffix, s);
      case 'histogram':
      case 'gaugehistogram':
        return this.addHistogram(point, suffix, s);
    }
  }

  private addCounter(family: Family, point: Point, suffix: string, s: Sample): void {
    if (suffix === '_created') {
      (point.metric.counter ??= { value: NaN }).createdTimestampMs = s.value * 1000;
      return;
    }
    if (!(s.value >= 0)) {
      throw this.error(`counter ${goQuote(family.name)} has a negative or NaN value ${s.valueToken}`);
    }
    const counter = (point.metric.counter ??= { value: s.value });
    counter.value = s.value;
    if (s.exemplar !== undefined) {
      counter.exemplar = s.exemplar;
    }
  }

  private addInfo(point: Point, s: Sample): void {
    if (s.value !== 1) {
      throw this.error(`info value must be 1, got ${s.valueToken}`);
    }
    point.metric.gauge = { value: 1 };
  }

  private addState(family: Family, point: Point, s: Sample): void {
    if (!point.metric.label.some((l) => l.name === family.name)) {
      throw this.error(`stateset sample without its ${goQuote(family.name)} label`);
    }
    if (s.value !== 0 && s.value !== 1) {
      throw this.error(`stateset value must be 0 or 1, got ${s.valueToken}`);
    }
    point.metric.gauge = { value: s.value };
  }

  private addSummary(point: Point, suffix: string, s: Sample): void {
    const summary = point.metric.summary!;
    if (suffix === '') {
      const q = this.boundOf(s.labels, 'quantile');
      if (!(q >= 0 && q <= 1)) {
        throw this.error(`quantile must be between 0 and 1, got ${q}`);
      }
      if (point.bounds.includes(q)) {
        throw this.error(`second quantile ${q} for {${describeLabels(point.metric.label)}}`);
      }
      if (!(s.value >= 0) && !Number.isNaN(s.value)) {
        throw this.error(`negative quantile value ${s.valueToken}`);
      }
      point.bounds.push(q);
      summary.quantile.push({ quantile: q, value: s.value });
    } else {
      this.countSumCreated(point, suffix, s, (count, sum, created) => {
        summary.sampleCount = count ?? summary.sampleCount;
        summary.sampleSum = sum ?? summary.sampleSum;
        if (created !== undefined) {
          summary.createdTimestampMs = created;
        }
      });
    }
  }

  private addHistogram(point: Point, suffix: string, s: Sample): void {
    const h = point.metric.histogram!;
    if (suffix === '_bucket') {
      const le = this.boundOf(s.labels, 'le');
      const previous = h.bucket[h.bucket.length - 1];
      if (previous !== undefined && !(le > previous.upperBound)) {
        throw this.error(`bucket le="${s.labels.find((l) => l.name === 'le')!.value}" is not above the previous bucket's`);
      }
      const count = this.integerCount(s);
      if (previous !== undefined && count < previous.cumulativeCount) {
        throw this.error(`bucket counts are not cumulative: ${s.valueToken} after ${previous.cumulativeCount}`);
      }
      h.bucket.push(s.exemplar === undefined ? { upperBound: le, cumulativeCount: count } : { upperBound: le, cumulativeCount: count, exemplar: s.exemplar });
      return;
    }
    this.countSumCreated(point, suffix, s, (count, sum, created) => {
      h.sampleCount = count ?? h.sampleCount;
      h.sampleSum = sum ?? h.sampleSum;
      if (created !== undefined) {
        h.createdTimestampMs = created;
      }
    });
  }

  /** `_count`/`_gcount`, `_sum`/`_gsum` and `_created` of a summary or histogram. */
  private countSumCreated(point: Point, suffix: string, s: Sample, set: (count?: number, sum?: number, created?: number) => void): void {
    if (suffix === '_count' || suffix === '_gcount') {
      point.hasCount = true;
      point.count = this.integerCount(s);
      set(point.count);
    } else if (suffix === '_sum' || suffix === '_gsum') {
      point.hasSum = true;
      point.sum = s.value;
      set(undefined, s.value);
    } else {
      set(undefined, undefined, s.value * 1000);
    }
  }

  private integerCount(s: Sample): number {
    if (!(s.value >= 0) || !Number.isInteger(s.value)) {
      throw this.error(`count must be a non-negative integer, got ${s.valueToken}`);
    }
    return s.value;
  }

  private boundOf(labels: LabelPair[], name: string): number {
    const label = labels.find((l) => l.name === name);
    if (label === undefined) {
      throw this.error(`sample without its "${name}" label`);
    }
    const bound = parseOmNumber(label.value);
    if (bound === undefined || Number.isNaN(bound)) {
      throw this.error(`invalid ${name} value ${goQuote(label.value)}`);
    }
    return bound;
  }

  // ---- Family and point lifecycle ----

  private openFamily(name: string): Family {
    if (this.families.has(name)) {
      throw this.error(`metric family ${goQuote(name)} appears twice (families must be contiguous)`);
    }
    this.closeFamily();
    const family: Family = {
      name,
      type: 'unknown',
      typed: false,
      helped: false,
      unitSeen: false,
      sampled: false,
      out: { name, help: '', type: MetricType.UNTYPED, metric: [] },
      points: new LabelSetIndex<Point>((p) => p.metric.label),
      modelName: '',
    };
    this.families.set(name, family);
    this.fam = family;
    this.nameModel(family);
    return family;
  }

  /** Fixes the model name and type of a family once its type is known. */
  private nameModel(family: Family): void {
    const model = MODEL[family.type];
    family.out.type = model.type;
    family.out.name = family.name + model.suffix;
    const owner = this.modelNames.get(family.out.name);
    if (owner !== undefined && owner !== family.name) {
      throw this.error(`family ${goQuote(family.name)} exposes the series name ${goQuote(family.out.name)} of family ${goQuote(owner)}`);
    }
    this.modelNames.delete(family.modelName);
    family.modelName = family.out.name;
    this.modelNames.set(family.out.name, family.name);
  }

  private closeFamily(): void {
    const family = this.fam;
    if (family?.current !== undefined) {
      this.closePoint(family, family.current);
      family.current = undefined;
    }
  }

  /** Checks what can only be checked once all samples of a point are in. */
  private closePoint(family: Family, point: Point): void {
    const what = `${goQuote(family.name)} {${describeLabels(point.metric.label)}}`;
    if (point.hasCount !== point.hasSum) {
      throw this.error(`${what} has ${point.hasCount ? '_count without _sum' : '_sum without _count'}`);
    }
    if (family.type === 'counter' && (point.metric.counter === undefined || Number.isNaN(point.metric.counter.value) || !point.seen.has('_total'))) {
      throw this.error(`counter ${what} has no _total sample`);
    }
    if (family.type === 'histogram' || family.type === 'gaugehistogram') {
      this.closeHistogram(family, point, what);
    }
  }

  private closeHistogram(family: Family, point: Point, what: string): void {
    const h = point.metric.histogram!;
    const inf = h.bucket[h.bucket.length - 1];
    if (inf === undefined || inf.upperBound !== Infinity) {
      throw this.error(`histogram ${what} has no +Inf bucket`);
    }
    if (point.hasCount && point.count !== inf.cumulativeCount) {
      throw this.error(`histogram ${what} has a count of ${point.count} but its +Inf bucket holds ${inf.cumulativeCount}`);
    }
    if (!point.hasCount) {
      h.sampleCount = inf.cumulativeCount;
    }
    if (family.type === 'histogram' && point.hasSum && h.bucket.some((b) => b.upperBound < 0)) {
      throw this.error(`histogram ${what} has negative buckets and a _sum`);
    }
  }

  // ---- Lexing one sample line ----

  private readSample(line: string): Sample {
    const c = new Cursor(line);
    const name = c.take(/[a-zA-Z_:][a-zA-Z0-9_:]*/y);
    if (name === '') {
      throw this.error(`invalid metric name at the start of ${goQuote(line)}`);
    }
    const labels = c.peek() === '{' ? this.readLabels(c, 'sample') : [];
    if (!c.eat(' ')) {
      throw this.error(`expected a space before the value of ${goQuote(name)}`);
    }
    const valueToken = c.take(/[^ ]+/y);
    const value = parseOmNumber(valueToken);
    if (value === undefined) {
      throw this.error(`expected a number as value, got ${goQuote(valueToken)}`);
    }
    const sample: Sample = { name, labels, value, valueToken };
    if (c.eat(' ') && c.peek() !== '#') {
      sample.timestampMs = this.readTimestamp(c);
      c.eat(' ');
    }
    if (c.peek() === '#') {
      sample.exemplar = this.readExemplar(c);
    }
    if (!c.done()) {
      throw this.error(`unexpected text ${goQuote(c.rest())} after the sample`);
    }
    return sample;
  }

  private readTimestamp(c: Cursor): number {
    const token = c.take(/[^ ]+/y);
    const seconds = parseOmNumber(token);
    if (seconds === undefined || !Number.isFinite(seconds)) {
      throw this.error(`expected a timestamp, got ${goQuote(token)}`);
    }
    return Math.round(seconds * 1000);
  }

  private readExemplar(c: Cursor): Exemplar {
    if (!c.eat('# ') || c.peek() !== '{') {
      throw this.error(`expected an exemplar "# {labels} value", got ${goQuote(c.rest())}`);
    }
    const label = this.readLabels(c, 'exemplar');
    const runes = label.reduce((n, l) => n + [...l.name].length + [...l.value].length, 0);
    if (runes > MAX_EXEMPLAR_RUNES) {
      throw this.error(`exemplar labels hold ${runes} characters, more than ${MAX_EXEMPLAR_RUNES}`);
    }
    if (!c.eat(' ')) {
      throw this.error('expected a space before the exemplar value');
    }
    const token = c.take(/[^ ]+/y);
    const value = parseOmNumber(token);
    if (value === undefined) {
      throw this.error(`expected a number as exemplar value, got ${goQuote(token)}`);
    }
    const exemplar: Exemplar = { label, value };
    if (c.eat(' ')) {
      exemplar.timestampMs = this.readTimestamp(c);
    }
    return exemplar;
  }

  /** `{name="value",...}` from the current '{' through its '}'. */
  private readLabels(c: Cursor, what: string): LabelPair[] {
    c.eat('{');
    const labels: LabelPair[] = [];
    if (c.eat('}')) {
      return labels;
    }
    const seen = new LabelNamesSeen(labels);
    for (;;) {
      const name = c.take(/[^=,}" ]*/y);
      if (!isValidLabelName(name)) {
        throw this.error(`invalid ${what} label name ${goQuote(name)}`);
      }
      if (!c.eat('="')) {
        throw this.error(`expected '="' after label name ${goQuote(name)}`);
      }
      const raw = c.take(/(?:[^"\\]|\\.)*/y);
      if (!c.eat('"')) {
        throw this.error(`unterminated value of label ${goQuote(name)}`);
      }
      if (seen.has(name)) {
        throw this.error(`duplicate label name ${goQuote(name)}`);
      }
      labels.push({ name, value: this.unescape(raw) });
      seen.added(name);
      if (this.limits !== undefined && labels.length > this.limits.maxLabels) {
        throw this.error(limitDetail(this.limits, 'labels'));
      }
      if (c.eat('}')) {
        return labels;
      }
      if (!c.eat(',')) {
        throw this.error(`expected ',' or '}' after the value of label ${goQuote(name)}`);
      }
    }
  }

  /** Decodes `\\`, `\n` and `\"`; any other backslash stays as written. */
  private unescape(raw: string): string {
    if (!raw.includes('\\')) {
      return raw;
    }
    return raw.replace(/\\(.?)/g, (whole, c: string) => (c === '\\' ? '\\' : c === 'n' ? '\n' : c === '"' ? '"' : whole));
  }

  private error(detail: string): ExpositionParseError {
    return new ExpositionParseError(`openmetrics parsing error in line ${this.lineNo}: ${detail}`, this.lineNo);
  }
}

/** A tiny reader over one line. */
class Cursor {
  private pos = 0;

  constructor(private readonly s: string) {}

  peek(): string {
    return this.s.charAt(this.pos);
  }

  eat(token: string): boolean {
    if (this.s.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  /** Consumes the match of a sticky regex at the cursor ('' when none). */
  take(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (m === null) {
      return '';
    }
    this.pos += m[0].length;
    return m[0];
  }

  rest(): string {
    return this.s.slice(this.pos);
  }

  done(): boolean {
    return this.pos >= this.s.length;
  }
}

/**
 * An OpenMetrics number: a decimal real number, `+Inf`/`-Inf`/`Infinity` or `NaN` in any case.
 * Go-style hex floats and underscores, which 0.0.4's parser accepts, are not numbers here.
 */
export function parseOmNumber(token: string): number | undefined {
  const lower = token.toLowerCase();
  if (lower === 'nan') {
    return NaN;
  }
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned === 'inf' || unsigned === 'infinity') {
    return lower.startsWith('-') ? -Infinity : Infinity;
  }
  return REAL_NUMBER.test(token) ? Number(token) : undefined;
}

function sameLabels(a: LabelPair[], b: LabelPair[]): boolean {
  return a.length === b.length && a.every((l) => b.some((m) => m.name === l.name && m.value === l.value));
}

function describeLabels(labels: LabelPair[]): string {
  return labels.map((l) => `${l.name}=${goQuote(l.value)}`).join(',');
}
