/**
 * The pushed workload: every group holds the same family names (as many instances of one job
 * would), one classic histogram plus gauges and counters carrying a few labels. Bodies are text
 * format 0.0.4, as curl, the Python client and most scripts push.
 */
export interface WorkloadShape {
  families: number;
  seriesPerFamily: number;
  labels: number;
  buckets: number;
}

const LABEL_NAMES = ['method', 'code', 'stage', 'region', 'shard', 'tier', 'queue', 'zone'];
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Workload {
  /** Sample lines one group contributes to a scrape (histogram: buckets, +Inf, _sum, _count). */
  readonly linesPerGroup: number;
  /** Series per group as the Pushgateway counts them (one per Metric, a histogram is one). */
  readonly seriesPerGroup: number;
  private readonly bucketBounds: string[];

  constructor(readonly shape: WorkloadShape) {
    this.bucketBounds = Array.from({ length: shape.buckets }, (_, i) => String(BUCKETS[i] ?? BUCKETS[BUCKETS.length - 1] * (i + 2)));
    this.bucketBounds.push('+Inf');
    const s = shape.seriesPerFamily;
    this.linesPerGroup = (shape.families - 1) * s + s * (this.bucketBounds.length + 2);
    this.seriesPerGroup = shape.families * s;
  }

  /** Path after the gateway root for one group, e.g. `/metrics/job/bench/instance/g-00042`. */
  path(job: string, instance: string): string {
    return `/metrics/job/${job}/instance/${instance}`;
  }

  /** The text body of one group; `seed` varies the values (a new push of the same group). */
  body(seed: number): string {
    const { families, seriesPerFamily, labels } = this.shape;
    const out: string[] = [];
    out.push('# HELP bench_request_duration_seconds Time spent on one unit of work.\n# TYPE bench_request_duration_seconds histogram\n');
    for (let s = 0; s < seriesPerFamily; s++) {
      const lbl = this.labelText(s, 0, labels > 0 ? labels - 1 : 0);
      let cumulative = 0;
      for (let b = 0; b < this.bucketBounds.length; b++) {
        cumulative += ((seed + b) % 7) + 1;
        out.push(`bench_request_duration_seconds_bucket{${lbl}${lbl === '' ? '' : ','}le="${this.bucketBounds[b]}"} ${cumulative}\n`);
      }
      out.push(`bench_request_duration_seconds_sum${lbl === '' ? '' : `{${lbl}}`} ${(cumulative * 0.173).toFixed(3)}\n`);
      out.push(`bench_request_duration_seconds_count${lbl === '' ? '' : `{${lbl}}`} ${cumulative}\n`);
    }
    for (let f = 1; f < families; f++) {
      const gauge = f % 2 === 1;
      const name = gauge ? `bench_gauge_${f}` : `bench_events_${f}_total`;
      out.push(`# HELP ${name} Benchmark ${gauge ? 'gauge' : 'counter'} number ${f}.\n# TYPE ${name} ${gauge ? 'gauge' : 'counter'}\n`);
      for (let s = 0; s < seriesPerFamily; s++) {
        const lbl = this.labelText(s, f, labels);
        const value = gauge ? ((seed * 31 + f * 7 + s) % 1000) / 8 : seed * 3 + f + s;
        out.push(`${name}${lbl === '' ? '' : `{${lbl}}`} ${value}\n`);
      }
    }
    return out.join('');
  }

  /** A body holding one gauge with a value no other push uses, to find it again in a scrape. */
  markerBody(seed: number, value: number): string {
    return `${this.body(seed)}# TYPE bench_replica_marker gauge\nbench_replica_marker ${value}\n`;
  }

  private labelText(series: number, family: number, count: number): string {
    const pairs: string[] = [];
    for (let i = 0; i < count; i++) {
      pairs.push(`${LABEL_NAMES[i % LABEL_NAMES.length]}${i >= LABEL_NAMES.length ? i : ''}="v${(family + i) % 5}"`);
    }
    if (this.shape.seriesPerFamily > 1) {
      pairs.push(`series="s${series}"`);
    }
    return pairs.join(',');
  }
}

/** Counts what a text scrape holds: pushed sample lines and per-group push_time_seconds lines. */
export interface ScrapeCount {
  benchLines: number;
  pushTimeLines: number;
}

const NL = 0x0a;

/** Counts lines starting with `bench_` and `push_time_seconds` in a text exposition, without decoding it. */
export function countScrape(body: Buffer): ScrapeCount {
  let benchLines = 0;
  let pushTimeLines = 0;
  let start = 0;
  while (start < body.length) {
    if (startsWith(body, start, BENCH)) {
      benchLines++;
    } else if (startsWith(body, start, PUSH_TIME)) {
      pushTimeLines++;
    }
    const nl = body.indexOf(NL, start);
    if (nl < 0) {
      break;
    }
    start = nl + 1;
  }
  return { benchLines, pushTimeLines };
}

const BENCH = Buffer.from('bench_');
const PUSH_TIME = Buffer.from('push_time_seconds{');

function startsWith(body: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > body.length) {
    return false;
  }
  for (let i = 0; i < prefix.length; i++) {
    if (body[at + i] !== prefix[i]) {
      return false;
    }
  }
  return true;
}

/** The value of the single `bench_replica_marker` series in a text scrape, if any, for one instance label. */
export function findMarker(body: Buffer, instance: string): string | undefined {
  const text = body.toString('latin1');
  let at = text.indexOf('\nbench_replica_marker{');
  while (at >= 0) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? undefined : end);
    if (line.includes(`instance="${instance}"`)) {
      return line.slice(line.lastIndexOf(' ') + 1);
    }
    at = text.indexOf('\nbench_replica_marker{', at + 1);
  }
  return undefined;
}
