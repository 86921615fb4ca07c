/**
 * The query side against Prometheus on the same samples (issue 14's query targets):
 *
 *   npm run build && node dist/bench/query-vs-prometheus.js [--series=100000] [--runs=5] [--keep]
 *
 * Data: `--series` counters `qb_total{job="j<0..99>",instance="i<k>"}` with a sample every 5
 * minutes over the last hour (13 per series). Ours gets them written straight into the push history
 * of a scratch database (history_series / history_sample, as pushes would leave them; VACUUM ANALYZE
 * after, as autovacuum would soon); Prometheus (Debian's /usr/bin/prometheus) gets the same samples
 * as OpenMetrics backfilled with `promtool tsdb create-blocks-from openmetrics`, as the differential
 * test does. Both answer over HTTP on loopback; each query runs `--runs` times on each, one after
 * the other, and the answers are compared (values to 9 significant digits) before any time counts.
 *
 * Printed per query: median seconds of ours and Prometheus', the ratio, and the peak RSS of each
 * process during that query's runs (VmHWM reset through /proc/<pid>/clear_refs; ours without its
 * PostgreSQL backends, which are listed separately), each target as MET / NOT MET (≤ 3× time,
 * ≤ 3× peak memory). Both run with a sample limit of 10^9 and a 10 min timeout, so that the 1M-series
 * stage answers on Prometheus too (its default 5*10^7 refuses the range queries there). Everything is stopped and dropped at the end (`--keep` keeps the database).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { seriesKey } from 'src/storage/history-flatten';
import { processMemoryKiB } from './procstat';
import { BenchDatabase, freePort, killAllChildren, Server, startOurs, startServer } from './servers';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERIES = Number(option('series', '100000'));
const RUNS = Number(option('runs', '5'));
const KEEP = argv.includes('--keep');
/** Both engines get the same sample limit, above what 1M series × 51 steps load in Prometheus. */
const MAX_SAMPLES = 1_000_000_000;
const JOBS = 100;
const SAMPLES = 13;
const STEP_MS = 300_000;
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const ROOT = path.resolve(__dirname, '../..');

const log = (m: string): void => void process.stderr.write(`${m}\n`);

interface Case {
  name: string;
  endpoint: 'query' | 'query_range';
  params: Record<string, string>;
}

function cases(endSec: number): Case[] {
  const range = { start: String(endSec - 3000), end: String(endSec), step: '60' };
  return [
    { name: 'count(qb_total)', endpoint: 'query', params: { query: 'count(qb_total)', time: String(endSec) } },
    { name: 'sum by (job) (qb_total)', endpoint: 'query', params: { query: 'sum by (job) (qb_total)', time: String(endSec) } },
    { name: 'count(count_over_time(qb_total[1h]))', endpoint: 'query', params: { query: 'count(count_over_time(qb_total[1h]))', time: String(endSec) } },
    {
      name: 'sum by (job) (max_over_time(qb_total[1h]))',
      endpoint: 'query',
      params: { query: 'sum by (job) (max_over_time(qb_total[1h]))', time: String(endSec) },
    },
    { name: 'sum(rate(qb_total[10m])), 50 min at 60 s', endpoint: 'query_range', params: { query: 'sum(rate(qb_total[10m]))', ...range } },
    { name: 'sum by (job) (rate(qb_total[10m])), 50 min at 60 s', endpoint: 'query_range', params: { query: 'sum by (job) (rate(qb_total[10m]))', ...range } },
  ];
}

const value = (k: number, m: number): number => (k % 97) * m + m;

async function loadOurs(db: BenchDatabase, startMs: number): Promise<void> {
  const days = [...new Set(Array.from({ length: SAMPLES }, (_, m) => Math.floor((startMs + m * STEP_MS) / 86_400_000) * 86_400_000))];
  await db.query(`SELECT history_ensure_partition(d) FROM unnest($1::bigint[]) AS u(d)`, [days]);
  // The key format is seriesKey's: names in byte order, name \x01 value, pairs joined by \x01.
  const probe = seriesKey('qb_total', { instance: 'i7', job: 'j7' });
  const sqlKey = `'__name__' || chr(1) || 'qb_total' || chr(1) || 'instance' || chr(1) || 'i' || k || chr(1) || 'job' || chr(1) || 'j' || (k % ${JOBS})`;
  const [{ key }] = await db.query<{ key: string }>(`SELECT ${sqlKey.replace(/\bk\b/g, '7')} AS key`);
  if (key !== probe) {
    throw new Error(`series key format changed: ${JSON.stringify(key)} vs ${JSON.stringify(probe)}`);
  }
  const last = startMs + (SAMPLES - 1) * STEP_MS;
  await db.query(
    `INSERT INTO history_series (tenant, name, family, labels, series_key, group_id, first_t, last_t, last_v, last_stale)
     SELECT '', 'qb_total', 'qb_total', jsonb_build_object('instance', 'i' || k, 'job', 'j' || (k % ${JOBS})), ${sqlKey}, NULL, $1, $2,
            (k % 97) * ${SAMPLES - 1} + ${SAMPLES - 1}, false
     FROM generate_series(0, $3 - 1) AS k`,
    [startMs, last, SERIES],
  );
  await db.query(
    `INSERT INTO history_sample (series_id, t, v, stale)
     SELECT s.id, $1::bigint + m * ${STEP_MS}, (substring(s.labels->>'instance' from 2)::int % 97) * m + m, false
     FROM history_series s CROSS JOIN generate_series(0, ${SAMPLES - 1}) AS m WHERE s.name = 'qb_total'`,
    [startMs],
  );
  await db.query('VACUUM ANALYZE');
}

async function writeOpenMetrics(file: string, startMs: number): Promise<void> {
  const out = createWriteStream(file);
  for (let k = 0; k < SERIES; k++) {
    const labels = `instance="i${k}",job="j${k % JOBS}"`;
    let chunk = '';
    for (let m = 0; m < SAMPLES; m++) {
      chunk += `qb_total{${labels}} ${value(k, m)} ${(startMs + m * STEP_MS) / 1000}\n`;
    }
    if (!out.write(chunk)) {
      await once(out, 'drain');
    }
  }
  out.end('# EOF\n');
  await once(out, 'finish');
}

/** Prometheus over the backfilled blocks under `dir`/data, with this benchmark's limits. */
async function startPrometheus(dir: string): Promise<Server> {
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
  return startServer({
    name: 'prometheus',
    command: PROMETHEUS,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      `--query.max-samples=${MAX_SAMPLES}`,
      '--query.timeout=10m',
    ],
    env: { PATH: process.env.PATH },
    port,
    readyPath: '/-/ready',
  });
}

const urlOf = (s: Server): string => `http://${s.host}:${s.port}`;

async function ask(url: string, c: Case): Promise<{ ms: number; result: unknown }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/${c.endpoint}`, { method: 'POST', body: new URLSearchParams(c.params) });
  const body = (await res.json()) as { status: string; data?: { result: unknown }; error?: string };
  const ms = performance.now() - t0;
  if (body.status !== 'success') {
    throw new Error(`${url} ${c.name}: ${res.status} ${body.error}`);
  }
  return { ms, result: body.data?.result };
}

/** The answer with values rounded to 9 significant digits and series sorted, for comparison. */
function normalised(result: unknown): string {
  const round = (v: string): string => (Number.isFinite(Number(v)) ? Number(Number(v).toPrecision(9)).toString() : v);
  const series = (result as { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]).map((s) => ({
    metric: Object.fromEntries(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1))),
    points: (s.values ?? (s.value ? [s.value] : [])).map(([t, v]) => [t, round(v)]),
  }));
  return JSON.stringify(series.sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1)));
}

function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: the peak is then since start
  }
}

const peakMiB = (pid: number): number => Math.round((processMemoryKiB(pid)?.hwm ?? NaN) / 1024);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) {
    throw new Error('needs Debian package prometheus (/usr/bin/prometheus, /usr/bin/promtool)');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-qvp-'));
  const db = new BenchDatabase(SERVER, `pgw_qvp_${process.pid}`);
  let ours: Server | undefined;
  let prometheus: Server | undefined;
  const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const startMs = endMs - (SAMPLES - 1) * STEP_MS;
  try {
    await db.create();
    ours = await startOurs({
      name: 'ours',
      entry: path.join(ROOT, 'dist/src/main.js'),
      databaseUrl: db.url,
      dataDir: dir,
      env: { QUERY_TIMEOUT: '10m', QUERY_MAX_SAMPLES: String(MAX_SAMPLES) },
    });
    let t = Date.now();
    await loadOurs(db, startMs);
    log(`ours: ${SERIES} series × ${SAMPLES} samples written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const om = path.join(dir, 'samples.om');
    await writeOpenMetrics(om, startMs);
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', om, path.join(dir, 'prom', 'data')], { stdio: 'pipe' });
    rmSync(om);
    prometheus = await startPrometheus(path.join(dir, 'prom'));
    log(`prometheus: backfilled and started in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    const oursPid = ours.proc.pid as number;
    const rows: string[] = [];
    let met = 0;
    let total = 0;
    for (const c of cases(endMs / 1000)) {
      // Warm-up and equality check.
      const [a, b] = [await ask(urlOf(ours), c), await ask(urlOf(prometheus), c)];
      if (normalised(a.result) !== normalised(b.result)) {
        throw new Error(`${c.name}: answers differ\nours: ${normalised(a.result).slice(0, 400)}\nprometheus: ${normalised(b.result).slice(0, 400)}`);
      }
      const times: { ours: number[]; prom: number[] } = { ours: [], prom: [] };
      resetPeak(oursPid);
      for (let i = 0; i < RUNS; i++) {
        times.ours.push((await ask(urlOf(ours), c)).ms);
      }
      const oursPeak = peakMiB(oursPid);
      resetPeak(prometheus.pid());
      for (let i = 0; i < RUNS; i++) {
        times.prom.push((await ask(urlOf(prometheus), c)).ms);
      }
      const promPeak = peakMiB(prometheus.pid());
      const [mo, mp] = [median(times.ours) / 1000, median(times.prom) / 1000];
      const timeOk = mo <= 3 * mp;
      const memOk = oursPeak <= 3 * promPeak;
      met += Number(timeOk) + Number(memOk);
      total += 2;
      rows.push(
        `| ${c.name} | ${mo.toFixed(3)} s | ${mp.toFixed(3)} s | ${(mo / mp).toFixed(2)}× ${timeOk ? 'MET' : 'NOT MET'} | ${oursPeak} MiB | ${promPeak} MiB | ${(oursPeak / promPeak).toFixed(2)}× ${memOk ? 'MET' : 'NOT MET'} |`,
      );
      log(rows[rows.length - 1]);
    }
    const [{ n }] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM history_sample`);
    process.stdout.write(
      [
        `Query side vs Prometheus ${execFileSync(PROMETHEUS, ['--version'])
          .toString()
          .split('\n')[0]
          .replace(/^prometheus, /, '')}: ${SERIES} series, ${n} samples over 1 h, ${RUNS} runs each, load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        '',
        '| query | ours (median) | Prometheus | time ratio (target ≤ 3×) | ours peak RSS | Prometheus peak RSS | memory ratio (target ≤ 3×) |',
        '|---|---|---|---|---|---|---|',
        ...rows,
        '',
        `${met} of ${total} query targets met. Answers compared equal before timing. Ours' RSS excludes its PostgreSQL backends.`,
        '',
      ].join('\n'),
    );
  } finally {
    await prometheus?.stop();
    await ours?.stop();
    killAllChildren();
    if (!KEEP) {
      await db.drop().catch(() => undefined);
    } else {
      await db.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(String((error as Error).stack ?? error));
  process.exitCode = 1;
});
