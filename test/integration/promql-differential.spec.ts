/**
 * Differential tests of the query API against Debian's real Prometheus (2.42).
 *
 * Part 1, scraping: Prometheus scrapes the gateway every second (honor_labels) while the test pushes
 * known data in steps, waiting after each step until Prometheus has scraped it. Both then hold the
 * same values, but at different sample times (scrape times vs push times), so this part compares
 * only what does not depend on sample timestamps, evaluated at "settled" instants (after the
 * step's scrape, before the next push): every instant-vector operator, aggregation and function,
 * staleness after replace/delete, and the range functions whose result only depends on the values
 * seen in a window covering all of the data (changes, resets, min/max/last/present_over_time).
 *
 * Part 2, identical samples: the gateway's raw samples (a range selector over its history) are
 * written as OpenMetrics with their push timestamps, turned into a TSDB block with
 * `promtool tsdb create-blocks-from openmetrics`, and served by a second Prometheus. Both engines
 * then evaluate the same samples, so everything is compared exactly, rate/increase extrapolation,
 * subqueries, offset and @ included, as range queries (many instants per request) and instant queries.
 *
 * Deliberate differences (not compared): timestamp() and raw sample times in part 1 (scrape vs push
 * time); the gateway's own metrics and push_failure_time_seconds (not in the history); Prometheus'
 * 5-minute lookback (the gateway has none: a series is present until replaced or deleted — the data
 * here is younger than 5 minutes, so it never matters); when a replaced series ends (Prometheus: the
 * next scrape; the gateway: the push).
 */
import request from 'supertest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { isExecutable, ReferenceServer, sleep, startReferenceServer } from '../support/reference-server';
import { itWhen } from '../support/test-env';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

const AVAILABLE = isExecutable(PROMETHEUS) && isExecutable(PROMTOOL);

/** A Prometheus with the given config, its TSDB under dir; stopped with SIGTERM (SIGKILL after 5 s). */
function startPrometheus(dir: string, config: string): Promise<ReferenceServer> {
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  return startReferenceServer({
    name: 'prometheus',
    command: PROMETHEUS,
    args: (port) => [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    readyTimeoutMs: 30000,
    stopSignal: 'SIGTERM',
  });
}

interface ApiBody {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

async function api(base: string, endpoint: string, params: Record<string, string>): Promise<{ code: number; body: ApiBody }> {
  const res = await fetch(`${base}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { code: res.status, body: (await res.json()) as ApiBody };
}

const num = (s: string): number => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

function close(a: string, b: string): boolean {
  if (a === b) {
    return true;
  }
  const x = num(a);
  const y = num(b);
  if (Number.isNaN(x) || Number.isNaN(y)) {
    return Number.isNaN(x) && Number.isNaN(y);
  }
  return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

type Item = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

/** Differences between two API answers ('' when equivalent); order matters only for sort()/sort_desc(). */
function difference(expr: string, ours: { code: number; body: ApiBody }, theirs: { code: number; body: ApiBody }): string {
  if (ours.code !== theirs.code || ours.body.status !== theirs.body.status || ours.body.errorType !== theirs.body.errorType) {
    return `status ${ours.code}/${ours.body.status}/${ours.body.errorType ?? ''} (${ours.body.error ?? ''}) vs Prometheus ${theirs.code}/${theirs.body.status}/${theirs.body.errorType ?? ''} (${theirs.body.error ?? ''})`;
  }
  if (ours.body.status !== 'success') {
    return '';
  }
  const [a, b] = [ours.body.data!, theirs.body.data!];
  if (a.resultType !== b.resultType) {
    return `resultType ${a.resultType} vs ${b.resultType}`;
  }
  if (a.resultType === 'scalar' || a.resultType === 'string') {
    const [x, y] = [a.result as [number, string], b.result as [number, string]];
    return x[0] === y[0] && close(x[1], y[1]) ? '' : `${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
  }
  const ordered = /\bsort(_desc)?\(/.test(expr);
  const norm = (r: unknown): Item[] => {
    const items = [...(r as Item[])];
    return ordered ? items : items.sort((p, q) => (JSON.stringify(p.metric) < JSON.stringify(q.metric) ? -1 : 1));
  };
  const [x, y] = [norm(a.result), norm(b.result)];
  if (x.length !== y.length) {
    return `${x.length} series vs ${y.length}: ${JSON.stringify(x).slice(0, 400)} vs ${JSON.stringify(y).slice(0, 400)}`;
  }
  for (let i = 0; i < x.length; i++) {
    if (JSON.stringify(sortKeys(x[i].metric)) !== JSON.stringify(sortKeys(y[i].metric))) {
      return `series ${i}: ${JSON.stringify(x[i].metric)} vs ${JSON.stringify(y[i].metric)}`;
    }
    const [p, q] = [x[i].values ?? [x[i].value!], y[i].values ?? [y[i].value!]];
    if (p.length !== q.length) {
      return `${JSON.stringify(x[i].metric)}: ${p.length} points vs ${q.length}: ${JSON.stringify(p).slice(0, 300)} vs ${JSON.stringify(q).slice(0, 300)}`;
    }
    for (let j = 0; j < p.length; j++) {
      if (p[j][0] !== q[j][0] || !close(p[j][1], q[j][1])) {
        return `${JSON.stringify(x[i].metric)} point ${j}: ${JSON.stringify(p[j])} vs ${JSON.stringify(q[j])}`;
      }
    }
  }
  return '';
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1)));
}

/** Runs `fn` over items with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

// ---- the pushed data: 8 steps ----

const STEPS = 8;
const REQUESTS = [5, 9, 14, 20, 3, 8, 15, 25]; // reset at step 5
const TEMPS = [21.5, 22, 22, 19.25, -3, 0, 18.75, 18.75];

function groupBody(k: number, instance: 'i1' | 'i2'): string {
  const f = instance === 'i1' ? 1 : 3;
  const special = k === 3 ? 'NaN' : k === 5 ? '+Inf' : String(k * 1.5);
  const lines = [
    '# TYPE d_requests_total counter',
    `d_requests_total{path="/a",code="200"} ${REQUESTS[k - 1] * f}`,
    `d_requests_total{path="/a",code="500"} ${k * f}`,
    `d_requests_total{path="/b",code="200"} ${k * k * f}`,
    '# TYPE d_temperature gauge',
    `d_temperature{room="kitchen"} ${TEMPS[k - 1] * f}`,
    `d_temperature{room="hall"} ${TEMPS[STEPS - k] + f}`,
    '# TYPE d_latency_seconds histogram',
    `d_latency_seconds_bucket{le="0.1"} ${2 * k * f}`,
    `d_latency_seconds_bucket{le="0.5"} ${5 * k * f}`,
    `d_latency_seconds_bucket{le="1"} ${(5 * k + (k % 3)) * f}`,
    `d_latency_seconds_bucket{le="+Inf"} ${(6 * k + 1) * f}`,
    `d_latency_seconds_sum ${(2.5 * k + 0.1) * f}`,
    `d_latency_seconds_count ${(6 * k + 1) * f}`,
    '# TYPE d_rpc summary',
    `d_rpc{quantile="0.5"} ${0.01 * k}`,
    `d_rpc{quantile="0.9"} ${0.05 * k}`,
    `d_rpc_sum ${k * 2 * f}`,
    `d_rpc_count ${k * 10 * f}`,
    `d_untyped{kind="special"} ${special}`,
    `d_untyped{kind="plain"} ${k * f}`,
    `d_info{version="1.2.${f}"} 1`,
  ];
  if (instance === 'i2') {
    lines.push(`d_step ${k}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Expressions whose value does not depend on sample timestamps: compared in both parts. */
const ROBUST = [
  'd_requests_total',
  'd_requests_total{code="200"}',
  'd_requests_total{code!="200"}',
  'd_requests_total{path=~"/a|/b",code!~"5.."}',
  '{__name__=~"d_temp.*"}',
  '{__name__="d_temperature",room=""}',
  'd_temperature{room=~".*"}',
  'd_untyped',
  'd_latency_seconds_bucket',
  'd_rpc',
  'd_requests_total + 1',
  '-d_temperature',
  'd_temperature * 2 - 1',
  'd_temperature / 0',
  'd_requests_total % 7',
  'd_temperature ^ 2',
  '2 ^ d_untyped',
  'd_requests_total / ignoring(code) group_left sum without(code) (d_requests_total)',
  'd_temperature > 20',
  'd_temperature > bool 20',
  'd_requests_total == 9',
  'd_temperature != bool 22',
  'd_temperature >= d_temperature',
  '1 < bool 2',
  'd_untyped > 0',
  'd_untyped == bool d_untyped',
  'd_requests_total and d_requests_total{code="200"}',
  'd_requests_total or d_temperature',
  'd_requests_total unless d_requests_total{path="/a"}',
  'd_requests_total and on(instance) d_temperature{room="kitchen"}',
  'd_requests_total * on(instance) group_left(version) d_info',
  'd_info * on(instance) group_right(version) d_requests_total',
  'sum(d_requests_total)',
  'sum by (code) (d_requests_total)',
  'sum(d_requests_total) by (path)',
  'sum without (instance) (d_requests_total)',
  'avg by (instance) (d_temperature)',
  'min(d_temperature)',
  'max by (room) (d_temperature)',
  'count(d_requests_total)',
  'group by (path) (d_requests_total)',
  'stddev(d_temperature)',
  'stdvar by (instance) (d_requests_total)',
  'topk(2, d_requests_total)',
  'bottomk by (instance) (1, d_requests_total)',
  'quantile(0.5, d_requests_total)',
  'quantile by (code) (0.9, d_requests_total)',
  'count_values("value", d_requests_total)',
  'count_values by (instance) ("v", d_temperature)',
  'sum(d_untyped)',
  'max(d_untyped)',
  'avg(d_untyped)',
  'abs(-d_temperature)',
  'ceil(d_temperature)',
  'floor(d_temperature)',
  'round(d_temperature)',
  'round(d_temperature, 0.5)',
  'exp(d_temperature / 10)',
  'ln(d_requests_total)',
  'log2(d_requests_total)',
  'log10(d_temperature)',
  'sqrt(d_temperature)',
  'sgn(d_temperature - 20)',
  'clamp(d_temperature, 0, 20)',
  'clamp_min(d_temperature, 21)',
  'clamp_max(d_temperature, 21)',
  'time()',
  'vector(1)',
  'vector(time())',
  'scalar(sum(d_requests_total))',
  'scalar(d_requests_total)',
  'absent(d_nonexistent{job="x"})',
  'absent(d_temperature)',
  'absent_over_time(d_nonexistent[1m])',
  'label_replace(d_temperature, "r", "$1", "room", "(.*)en")',
  'label_join(d_requests_total, "pc", "-", "path", "code")',
  'sort(d_requests_total)',
  'sort_desc(d_temperature)',
  'histogram_quantile(0.5, d_latency_seconds_bucket)',
  'histogram_quantile(0.99, sum by (le) (d_latency_seconds_bucket))',
  'histogram_quantile(0.5, d_rpc)',
  'day_of_month(vector(1700000000))',
  'day_of_week()',
  'day_of_year(vector(1700000000))',
  'days_in_month(vector(1709251200))',
  'hour(vector(1700000000))',
  'minute()',
  'month()',
  'year(vector(0))',
  'changes(d_temperature[1h])',
  'resets(d_requests_total[1h])',
  'max_over_time(d_temperature[1h])',
  'min_over_time(d_requests_total[1h])',
  'last_over_time(d_temperature[1h])',
  'present_over_time(d_requests_total[1h])',
  'sum(',
  'd_requests_total + on(path) d_requests_total',
  'rate(d_requests_total)',
];

/** Churn and gateway series: compared only in part 1 (their series end, which a backfill cannot express). */
const SCRAPE_ONLY = [
  'd_churn',
  'count(d_churn)',
  'absent(d_churn{k="b"})',
  'present_over_time(d_churn[1h])',
  'changes(d_churn[1h])',
  'push_time_seconds{job="diff"}',
];

/** Expressions that depend on sample times: compared on identical samples only (part 2). */
const TIMING = [
  'timestamp(d_temperature)',
  'rate(d_requests_total[5s])',
  'rate(d_requests_total[30s])',
  'irate(d_requests_total[30s])',
  'increase(d_requests_total[10s])',
  'delta(d_temperature[10s])',
  'idelta(d_temperature[30s])',
  'deriv(d_temperature[30s])',
  'avg_over_time(d_temperature[10s])',
  'sum_over_time(d_requests_total[10s])',
  'count_over_time(d_requests_total[5s])',
  'quantile_over_time(0.5, d_temperature[30s])',
  'stddev_over_time(d_temperature[30s])',
  'stdvar_over_time(d_temperature[30s])',
  'changes(d_temperature[7s])',
  'resets(d_requests_total[5s])',
  'max_over_time(d_untyped[10s])',
  'min_over_time(d_untyped[10s])',
  'last_over_time(d_untyped[3s])',
  'present_over_time(d_temperature[2s])',
  'histogram_quantile(0.9, sum by (le) (rate(d_latency_seconds_bucket[10s])))',
  'histogram_quantile(0.5, rate(d_latency_seconds_bucket[5s]))',
  'rate(d_latency_seconds_sum[10s]) / rate(d_latency_seconds_count[10s])',
  'sum by (code) (rate(d_requests_total[5s]))',
  'd_temperature offset 3s',
  'rate(d_requests_total[10s] offset 2s)',
  'max_over_time(d_temperature[10s:1s])',
  'rate(d_requests_total[20s:2s])',
  'avg_over_time(rate(d_requests_total[5s])[20s:])',
  'deriv(d_requests_total[1m])',
  'irate(d_untyped[1m])',
  'd_temperature @ end()',
  'rate(d_requests_total[5s] @ start())',
  'd_step',
];

describe('PromQL differential against Prometheus 2.42', () => {
  const it = itWhen(AVAILABLE, `${PROMETHEUS} and ${PROMTOOL} (Debian package prometheus) are needed`);
  let db: TestDatabase;
  let gw: InProcessGateway;
  let dir: string;
  let scraper: ReferenceServer | undefined;
  let replay: ReferenceServer | undefined;
  /** Settled evaluation instants (ms) after steps 4 and 8. */
  const settled = new Map<number, number>();
  /** Push times (ms) of d_step, one per step. */
  let stepTimes: number[] = [];

  beforeAll(async () => {
    if (!AVAILABLE) {
      return;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-promql-diff-'));
    db = await createTestDatabase();
    gw = await startInProcess(db);
    const target = gw.url.replace('http://', '');
    scraper = await startPrometheus(
      path.join(dir),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: gateway',
        '    honor_labels: true',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    for (let k = 1; k <= STEPS; k++) {
      await pushStep(gw.url, k);
      await waitScraped(scraper.url, k);
      if (k === 4 || k === STEPS) {
        settled.set(k, Date.now());
      }
    }
  }, 90000);

  afterAll(async () => {
    await scraper?.stop();
    await replay?.stop();
    await gw?.close();
    await db?.drop();
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('part 1: instant results at settled instants match the scraping Prometheus', async () => {
    const cases = [4, STEPS].flatMap((k) => [...ROBUST, ...SCRAPE_ONLY].map((expr) => ({ expr, time: String(settled.get(k)! / 1000) })));
    const diffs = await pool(cases, 6, async ({ expr, time }) => {
      const [ours, theirs] = await Promise.all([api(gw.url, 'query', { query: expr, time }), api(scraper!.url, 'query', { query: expr, time })]);
      const d = difference(expr, ours, theirs);
      return d === '' ? '' : `${expr} @ ${time}: ${d}`;
    });
    expect(diffs.filter((d) => d !== '')).toEqual([]);
    // The data really is there (an empty comparison would prove nothing).
    const check = await api(gw.url, 'query', { query: 'count(d_requests_total)', time: String(settled.get(STEPS)! / 1000) });
    expect(check.body.data?.result).toEqual([{ metric: {}, value: [expect.any(Number), '6'] }]);
  });

  it('part 2: identical samples (promtool backfill) give identical results for every expression', async () => {
    const end = settled.get(STEPS)! / 1000;
    const raw = await api(gw.url, 'query', { query: '{__name__=~"d_.+",__name__!="d_churn"}[10m]', time: String(end) });
    const series = raw.body.data!.result as { metric: Record<string, string>; values: [number, string][] }[];
    expect(series.length).toBeGreaterThan(20);
    stepTimes = series.find((s) => s.metric.__name__ === 'd_step')!.values.map((v) => v[0] * 1000);
    expect(stepTimes).toHaveLength(STEPS);
    writeFileSync(path.join(dir, 'samples.om'), openMetrics(series));
    const blocks = path.join(dir, 'replay', 'data');
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', path.join(dir, 'samples.om'), blocks], { stdio: 'pipe' });
    replay = await startPrometheus(path.join(dir, 'replay'), 'global:\n  scrape_interval: 1m\n');

    const first = stepTimes[0] / 1000;
    const last = stepTimes[STEPS - 1] / 1000;
    const ranges = [
      { start: String(first - 1), end: String(last + 2), step: '0.25' },
      { start: String(first + 0.123), end: String(last + 0.5), step: '1.7' },
    ];
    const instants = [stepTimes[2] / 1000, stepTimes[5] / 1000 + 0.35, last + 0.5].map(String);
    const cases = [
      ...[...ROBUST, ...TIMING].flatMap((expr) => ranges.map((r) => ({ endpoint: 'query_range', expr, params: { query: expr, ...r } }))),
      ...[...ROBUST, ...TIMING].flatMap((expr) => instants.map((time) => ({ endpoint: 'query', expr, params: { query: expr, time } }))),
      ...['d_temperature[5s]', 'd_requests_total[3s] offset 1s', 'rate(d_requests_total[5s])[10s:2s]'].flatMap((expr) =>
        instants.map((time) => ({ endpoint: 'query', expr, params: { query: expr, time } })),
      ),
    ];
    const diffs = await pool(cases, 6, async ({ endpoint, expr, params }) => {
      const [ours, theirs] = await Promise.all([api(gw.url, endpoint, params), api(replay!.url, endpoint, params)]);
      const d = difference(expr, ours, theirs);
      return d === '' ? '' : `${endpoint} ${expr} ${JSON.stringify(params)}: ${d}`;
    });
    expect(diffs.filter((d) => d !== '')).toEqual([]);
    const check = await api(replay.url, 'query_range', { query: 'sum(rate(d_requests_total[5s]))', ...ranges[0] });
    expect((check.body.data?.result as unknown[]).length).toBe(1);
  });
});

async function pushStep(url: string, k: number): Promise<void> {
  if (k === 6) {
    await request(url).delete('/metrics/job/churn').expect(202);
  } else {
    const churn = k % 2 === 1 ? 'd_churn{k="a"} 1\nd_churn{k="b"} 2\n' : `d_churn{k="a"} ${k}\nd_churn{k="c"} 3\n`;
    await request(url).put('/metrics/job/churn').send(churn).expect(200);
  }
  if (k === 4) {
    // POST replaces only the pushed family of the group.
    await request(url)
      .post('/metrics/job/diff/instance/i1')
      .send(`# TYPE d_temperature gauge\nd_temperature{room="kitchen"} 30\nd_temperature{room="hall"} 31\n`)
      .expect(200);
  } else {
    await request(url).put('/metrics/job/diff/instance/i1').send(groupBody(k, 'i1')).expect(200);
  }
  await request(url).put('/metrics/job/diff/instance/i2').send(groupBody(k, 'i2')).expect(200);
}

/** Waits until Prometheus has scraped step k (d_step is pushed last in every step). */
async function waitScraped(prometheus: string, k: number): Promise<void> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const { body } = await api(prometheus, 'query', { query: 'd_step' });
    const value = (body.data?.result as { value: [number, string] }[] | undefined)?.[0]?.value[1];
    if (value === String(k)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`Prometheus did not scrape step ${k} within 15 s (d_step=${value})`);
    }
    await sleep(100);
  }
}

/** The samples as OpenMetrics text with timestamps (no TYPE lines: promtool keeps the names as they are). */
function openMetrics(series: { metric: Record<string, string>; values: [number, string][] }[]): string {
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const lines: string[] = [];
  for (const s of series) {
    const { __name__: name, ...labels } = s.metric;
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escape(v)}"`)
      .join(',');
    for (const [t, v] of s.values) {
      lines.push(`${name}{${text}} ${v} ${t}`);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}
