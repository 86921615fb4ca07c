import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Workload } from '../../../bench/workload';
import { generateCorpus, Rng } from '../../../test/fuzz/corpus';
import { parseOpenMetrics } from 'src/core/exposition/openmetrics-parser';
import {
  encodeFamilyDelimited,
  encodeFamilyDelimitedReflective,
  encodeProtobufDelimited,
  parseProtobufDelimited,
} from 'src/core/exposition/protobuf-delimited';
import { parseText } from 'src/core/exposition/text-parser';
import { Bucket, BucketSpan, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';

/**
 * The hand-written encoder (protobuf-encoder.ts) against protobufjs' reflection encoder, the
 * reference: byte for byte, over every family of the exposition corpora and over seeded random
 * families that set every field of the schema to its awkward values.
 */

/** Families that do not encode to the reference's bytes, with the first differing offset. */
function mismatches(families: MetricFamily[]): string[] {
  const out: string[] = [];
  families.forEach((f, i) => {
    const ours = encodeFamilyDelimited(f);
    const reference = encodeFamilyDelimitedReflective(f);
    if (!ours.equals(reference)) {
      let at = 0;
      while (at < ours.length && ours[at] === reference[at]) {
        at++;
      }
      out.push(`#${i} ${JSON.stringify(f.name)}: ${ours.length} vs ${reference.length} bytes, first difference at ${at}`);
    }
  });
  return out;
}

// ---- Corpora: the golden files, the bench workload, the fuzz corpus's push bodies. ----

const TESTDATA = join(__dirname, 'testdata');
/** As golden.spec.ts reads them: JSON spells NaN and ±Inf as Go prints them. */
const SPECIAL: Record<string, number> = { NaN: NaN, '+Inf': Infinity, '-Inf': -Infinity };
const NUMERIC_KEYS = new Set(['value', 'upperBound', 'quantile', 'sampleSum']);

function readGolden(path: string): MetricFamily[] {
  return JSON.parse(readFileSync(path, 'utf8'), (key, v: unknown) =>
    NUMERIC_KEYS.has(key) && typeof v === 'string' && v in SPECIAL ? SPECIAL[v] : v,
  ) as MetricFamily[];
}

function goldenFamilies(): MetricFamily[] {
  const files = readdirSync(TESTDATA);
  const fromJson = files.filter((f) => f.endsWith('.json')).flatMap((f) => readGolden(join(TESTDATA, f)));
  const fromProm = files.filter((f) => f.endsWith('.prom')).flatMap((f) => parseText(readFileSync(join(TESTDATA, f), 'utf8')));
  return [...fromJson, ...fromProm];
}

/** The push-profile workload as the gateway stores it: job and instance labels first. */
function workloadFamilies(): MetricFamily[] {
  const wl = new Workload({ families: 10, seriesPerFamily: 3, labels: 2, buckets: 5 });
  return [0, 1, 2].flatMap((seed) =>
    parseText(wl.body(seed)).map((f) => ({
      ...f,
      metric: f.metric.map((m) => ({ ...m, label: [{ name: 'instance', value: `g-${seed}` }, { name: 'job', value: 'bench' }, ...m.label] })),
    })),
  );
}

/** Whatever the gateway's parsers make of the fuzz corpus's bodies (most are malformed on purpose). */
function fuzzFamilies(): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const req of generateCorpus(20240601, 3000, 1_700_000_000_000)) {
    if (req.body === undefined || req.raw !== undefined) {
      continue;
    }
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    const type = req.headers['content-type'] ?? '';
    try {
      const body = encoding === undefined || encoding === 'identity' ? req.body : encoding.endsWith('gzip') ? gunzipSync(req.body) : undefined;
      if (body === undefined) {
        continue;
      }
      if (type.includes('protobuf') && type.includes('delimited')) {
        out.push(...parseProtobufDelimited(body));
      } else if (type.startsWith('application/openmetrics-text')) {
        out.push(...parseOpenMetrics(body.toString('utf8')));
      } else {
        out.push(...parseText(body.toString('utf8')));
      }
    } catch {
      // malformed bodies are the corpus's point; only what parses is a family
    }
  }
  return out;
}

// ---- Seeded random families covering every field. ----

const DOUBLES = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e-300,
  5e-324,
  2.2250738585072014e-308,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  2 ** 53 + 2,
  123.456,
];
/** uint64 counts as the model holds them: numbers, exact up to 2^53, beyond that the nearest double. */
const COUNTS = [
  0,
  1,
  127,
  128,
  16383,
  16384,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 35 + 7,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 60,
  2 ** 63,
  2 ** 64 - 2048,
];
/** Values a uint64 field cannot hold; the reference converts them, and so must we. */
const ODD_COUNTS = [-0, -1, -(2 ** 40), 1.5, 2 ** 32 + 0.5, 2 ** 64, 1e20, NaN, Infinity, -Infinity];
const TIMESTAMPS = [0, 1, -1, 999, -999, -1000, -1500, 1_700_000_000_123, -1_700_000_000_123, 8.64e15, -8.64e15, 2 ** 53 - 1, -(2 ** 53 - 1)];
const ODD_TIMESTAMPS = [1.5, -0.25, 1e20, -1e20, 1e300, NaN, Infinity, -Infinity, -0];
const SINT32 = [0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31), -4, 8];
const ODD_SINT32 = [2 ** 31, 2 ** 32 + 3, -(2 ** 33), 1.5, NaN];
const UINT32 = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1];
const ODD_UINT32 = [2 ** 32, -1, 2.5, NaN];
const SINT64 = [0, 1, -1, 2, -2, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 62, -(2 ** 63)];
const ODD_SINT64 = [-0, 2 ** 63, 2 ** 64, 0.5, -1.5, NaN, -Infinity];
const TYPES = [0, 1, 2, 3, 4, 5];
const ODD_TYPES = [6, 127, 128, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5];

/** Code points for strings: ASCII, 2-, 3- and 4-byte UTF-8, NUL, U+FFFF, lone surrogates (odd only). */
const CHARS = ['a', 'Z', '_', '0', ' ', '"', '\\', '\n', '\u0000', '\u007f', 'é', 'ß', '\u07ff', '中', '文', '\u2028', '\uffff', '😀', '𝄞', '\u{10ffff}'];
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** `canonical` families survive parse(encode(x)) unchanged; the others probe odd values the model could hold. */
class FamilyGenerator {
  constructor(
    private readonly r: Rng,
    private readonly canonical: boolean,
  ) {}

  private odd<T>(normal: readonly T[], odd: readonly T[]): T {
    return !this.canonical && this.r.chance(0.15) ? this.r.pick(odd) : this.r.pick(normal);
  }

  string(): string {
    // Lengths straddle 40 code units, where the reference switches from JS to native UTF-8 writing;
    // long strings repeat a random head of at most 12 characters.
    const n = this.r.pick([0, 1, 3, 8, 20, 39, 40, 41, 64, 200]);
    let head = '';
    for (let i = 0; i < Math.min(n, 12); i++) {
      head += !this.canonical && this.r.chance(0.03) ? this.r.pick(LONE) : this.r.chance(0.7) ? this.r.pick(CHARS.slice(0, 4)) : this.r.pick(CHARS);
    }
    let s = head;
    while (s.length < n) {
      s += head;
    }
    s = s.slice(0, n);
    // Cutting may split a surrogate pair, which only odd strings may hold.
    return this.canonical && /[\ud800-\udbff]$/.test(s) ? `${s.slice(0, -1)}a` : s;
  }

  double(): number {
    return this.r.chance(0.5) ? this.r.pick(DOUBLES) : (this.r.next() - 0.5) * 10 ** this.r.int(40);
  }

  count(): number {
    return this.r.chance(0.4) ? this.r.int(1000) : this.odd(COUNTS, ODD_COUNTS);
  }

  timestamp(): number {
    return this.r.chance(0.3) ? Math.round((this.r.next() - 0.5) * 4e12) : this.odd(TIMESTAMPS, ODD_TIMESTAMPS);
  }

  labels(): LabelPair[] {
    return Array.from({ length: this.r.int(4) }, () => ({ name: this.string(), value: this.string() }));
  }

  exemplar(): Exemplar {
    const e: Exemplar = { label: this.labels(), value: this.double() };
    if (this.r.chance(0.6)) {
      e.timestampMs = this.timestamp();
    }
    return e;
  }

  maybe<T>(p: number, make: () => T): T | undefined {
    return this.r.chance(p) ? make() : undefined;
  }

  bucket(): Bucket {
    const b: Bucket = { cumulativeCount: this.count(), upperBound: this.double() };
    assign(
      b,
      'cumulativeCountFloat',
      this.maybe(0.3, () => this.double()),
    );
    assign(
      b,
      'exemplar',
      this.maybe(0.3, () => this.exemplar()),
    );
    return b;
  }

  spans(): BucketSpan[] {
    return Array.from({ length: this.r.int(4) }, () => ({ offset: this.odd(SINT32, ODD_SINT32), length: this.odd(UINT32, ODD_UINT32) }));
  }

  list<T>(make: () => T): T[] {
    return Array.from({ length: this.r.int(5) }, make);
  }

  histogram(): Histogram {
    const h: Histogram = { sampleCount: this.count(), sampleSum: this.double(), bucket: this.list(() => this.bucket()) };
    const native = this.r.chance(0.6);
    assign(
      h,
      'sampleCountFloat',
      this.maybe(0.3, () => this.double()),
    );
    assign(
      h,
      'createdTimestampMs',
      this.maybe(0.4, () => this.timestamp()),
    );
    if (native) {
      h.schema = this.odd(SINT32, ODD_SINT32);
      assign(
        h,
        'zeroThreshold',
        this.maybe(0.8, () => this.double()),
      );
      assign(
        h,
        'zeroCount',
        this.maybe(0.7, () => this.count()),
      );
      assign(
        h,
        'zeroCountFloat',
        this.maybe(0.3, () => this.double()),
      );
      assign(h, 'negativeSpan', nonEmpty(this.spans()));
      assign(h, 'negativeDelta', nonEmpty(this.list(() => this.odd(SINT64, ODD_SINT64))));
      assign(h, 'negativeCount', nonEmpty(this.list(() => this.double())));
      assign(h, 'positiveSpan', nonEmpty(this.spans()));
      assign(h, 'positiveDelta', nonEmpty(this.list(() => this.odd(SINT64, ODD_SINT64))));
      assign(h, 'positiveCount', nonEmpty(this.list(() => this.double())));
      assign(h, 'exemplars', nonEmpty(this.list(() => this.exemplar())));
    }
    return h;
  }

  metric(type: MetricType): Metric {
    const m: Metric = { label: this.labels() };
    const kind = this.r.chance(0.8) ? type : this.r.int(6); // sometimes a value of another type, as the model allows
    if (kind === MetricType.GAUGE) {
      m.gauge = { value: this.double() };
    } else if (kind === MetricType.COUNTER) {
      m.counter = { value: this.double() };
      assign(
        m.counter,
        'exemplar',
        this.maybe(0.4, () => this.exemplar()),
      );
      assign(
        m.counter,
        'createdTimestampMs',
        this.maybe(0.4, () => this.timestamp()),
      );
    } else if (kind === MetricType.SUMMARY) {
      m.summary = { sampleCount: this.count(), sampleSum: this.double(), quantile: this.list(() => ({ quantile: this.double(), value: this.double() })) };
      assign(
        m.summary,
        'createdTimestampMs',
        this.maybe(0.4, () => this.timestamp()),
      );
    } else if (kind === MetricType.UNTYPED) {
      m.untyped = { value: this.double() };
    } else {
      m.histogram = this.histogram();
    }
    assign(
      m,
      'timestampMs',
      this.maybe(0.2, () => this.timestamp()),
    );
    return m;
  }

  family(): MetricFamily {
    const type = this.odd(TYPES, ODD_TYPES) as MetricType;
    const f: MetricFamily = { name: this.string(), help: this.r.chance(0.3) ? '' : this.string(), type, metric: this.list(() => this.metric(type)) };
    assign(
      f,
      'unit',
      this.maybe(0.2, () => this.string()),
    );
    return f;
  }
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) {
    target[key] = value;
  }
}

function nonEmpty<T>(values: T[]): T[] | undefined {
  return values.length > 0 ? values : undefined;
}

function randomFamilies(seed: number, n: number, canonical: boolean): MetricFamily[] {
  const g = new FamilyGenerator(new Rng(seed), canonical);
  return Array.from({ length: n }, () => g.family());
}

describe('hand-written MetricFamily encoder = protobufjs reflection encoder', () => {
  it.each<[string, () => MetricFamily[], number]>([
    ['golden testdata (.json and .prom)', goldenFamilies, 5],
    ['bench workload bodies, with job/instance labels', workloadFamilies, 30],
    ['fuzz corpus push bodies (text, OpenMetrics, protobuf)', fuzzFamilies, 500],
    ['random families, odd values included (seed 1)', () => randomFamilies(1, 3000, false), 3000],
    ['random families, odd values included (seed 2)', () => randomFamilies(2, 3000, false), 3000],
    ['random canonical families (seed 3)', () => randomFamilies(3, 2000, true), 2000],
  ])('%s', (_name, make, atLeast) => {
    const families = make();
    expect(families.length).toBeGreaterThanOrEqual(atLeast);
    expect(mismatches(families)).toEqual([]);
  });

  it('writes a stream as the concatenation of the reference messages', () => {
    const families = randomFamilies(4, 50, false);
    expect(encodeProtobufDelimited(families).equals(Buffer.concat(families.map(encodeFamilyDelimitedReflective)))).toBe(true);
  });

  it('never writes over a Buffer it returned (results share slabs)', () => {
    const families = randomFamilies(7, 2000, false);
    const kept = families.map(encodeFamilyDelimited);
    families.forEach((f, i) => expect(kept[i].equals(encodeFamilyDelimitedReflective(f))).toBe(true));
  });

  it('handles a family larger than any slab', () => {
    const g = new FamilyGenerator(new Rng(5), false);
    const big: MetricFamily = {
      name: 'big',
      help: 'x'.repeat(100_000),
      type: MetricType.HISTOGRAM,
      metric: Array.from({ length: 3000 }, () => g.metric(MetricType.HISTOGRAM)),
    };
    expect(mismatches([big, { name: 'after', help: '', type: MetricType.GAUGE, metric: [] }])).toEqual([]);
  });
});

describe('parse(encode(x)) with the hand-written encoder', () => {
  it.each<[string, () => MetricFamily[]]>([
    ['golden testdata', goldenFamilies],
    ['random canonical families', () => randomFamilies(6, 2000, true)],
  ])('%s', (_name, make) => {
    for (const f of make()) {
      expect(parseProtobufDelimited(encodeFamilyDelimited(f))).toEqual([f]);
    }
  });
});
