/**
 * Heavy queries against a large push history (issue 10, bounded queries): how pushes and
 * `/-/healthy` fare while several expensive queries run, and whether the gateway gives memory back.
 *
 *   npm run build && node dist/bench/query-limits.js [--fill] [--gateway=<dist>/src/main.js] [flags]
 *
 * --fill                 (re)create the store (then VACUUM ANALYZE, as autovacuum would soon): `--pushes` PUTs (default 32000) of `--series` (20) fresh
 *                        series of `soak_m` each, rotating over `--groups` (1000) groups, so every
 *                        PUT also ends the group's previous 20 series (stale markers); ~672k series.
 * --db=<name>            database on the server at TEST_DATABASE_URL (default pgw_qlimits_bench);
 *                        kept between runs so several builds measure the same store; --drop drops it.
 * --gateway=<main.js>    the build to measure (default this build's dist/src/main.js).
 * --queries=<n>          heavy queries run at once (default 4), --query=<PromQL> which one
 *                        (default count(count_over_time(soak_m[1h]))), --env=K=V,... gateway settings.
 *
 * --metadata           instead: series, labels and label-values requests over the store with regex
 *                        matchers the gateway checks itself (`--repeat` rounds, default 3), one at a
 *                        time, each with `/-/healthy` probed every 20 ms: request time and the
 *                        longest probe wait (the event loop held) per request.
 *
 * Phases: idle pushes (sequential PUTs of one fixed 20-series group: no new series), then the same
 * pushes while the heavy queries run, with `/-/healthy` probed every 50 ms; then 15 s idle. RSS
 * comes from /proc; heap figures from process.memoryUsage() inside the gateway (a preload script
 * prints them on SIGUSR2; the last line is after a forced full GC). Prints one JSON report.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from './servers';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: string): string => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const ROOT = path.resolve(__dirname, '../..');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = option('db', 'pgw_qlimits_bench');
const GATEWAY = option('gateway', path.join(ROOT, 'dist/src/main.js'));
const PUSHES = Number(option('pushes', '32000'));
const SERIES = Number(option('series', '20'));
const GROUPS = Number(option('groups', '1000'));
const QUERIES = Number(option('queries', '4'));
const QUERY = option('query', 'count(count_over_time(soak_m[1h]))');
const REPEAT = Number(option('repeat', '3'));
const EXTRA_ENV = Object.fromEntries(
  option('env', '')
    .split(',')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement on its own connection: to the server's default database, or to `url`. */
async function admin(sql: string, url = SERVER): Promise<Record<string, unknown>[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

interface Reply {
  status: number;
  ms: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(port: number, method: string, urlPath: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { agent, host: '127.0.0.1', port, method, path: urlPath, headers: payload ? { 'content-length': String(payload.length) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const PRELOAD = `
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  if (global.gc) { global.gc(); }
  const after = process.memoryUsage();
  process.stderr.write('MEMUSAGE ' + JSON.stringify({ before, afterGc: after }) + '\\n');
});`;

interface Gateway {
  port: number;
  proc: ChildProcess;
  output(): string;
}

async function startGateway(): Promise<Gateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-qlimits-'));
  const preload = path.join(dir, 'memusage.js');
  writeFileSync(preload, PRELOAD);
  const port = await freePort();
  const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dir, DATABASE_URL: withDatabase(SERVER, DB), LOG_LEVEL: 'warn', ...EXTRA_ENV };
  const proc = spawn(process.execPath, ['--expose-gc', '-r', preload, GATEWAY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await call(port, 'GET', '/-/ready')).status === 200) {
        return { port, proc, output: () => out };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`gateway did not start:\n${out}`);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) / 1024;
}

async function memoryUsage(g: Gateway): Promise<unknown> {
  const mark = g.output().length;
  g.proc.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const m = /MEMUSAGE (.*)\n/.exec(g.output().slice(mark));
    if (m) {
      const { before, afterGc } = JSON.parse(m[1]) as Record<string, Record<string, number>>;
      const mib = (x: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Math.round(v / 1048576)]));
      return { MiB: mib(before), afterGcMiB: mib(afterGc) };
    }
    await sleep(50);
  }
  return undefined;
}

function percentiles(ms: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 10) / 10;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

function pushBody(prefix: string): string {
  const lines: string[] = [];
  for (let j = 0; j < SERIES; j++) {
    lines.push(`soak_m{s="${prefix}_${j}"} ${j}`);
  }
  return `${lines.join('\n')}\n`;
}

async function fill(g: Gateway): Promise<void> {
  let next = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (next < PUSHES) {
      const i = next++;
      const r = await call(g.port, 'PUT', `/metrics/job/soak/instance/i${i % GROUPS}`, pushBody(`p${i}`));
      if (r.status !== 200) {
        throw new Error(`push ${i}: ${r.status} ${r.body}`);
      }
      if (i % 2000 === 0) {
        log(`  filled ${i}/${PUSHES} (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  log(`filled ${PUSHES} pushes in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Sequential pushes of one fixed group until `until()`; latencies in ms. */
async function pushLoop(g: Gateway, until: () => boolean, minCount: number): Promise<number[]> {
  const ms: number[] = [];
  const body = Array.from({ length: SERIES }, (_, j) => `probe_m{s="${j}"} ${j}`).join('\n') + '\n';
  while (!until() || ms.length < minCount) {
    const r = await call(g.port, 'PUT', '/metrics/job/probe', body);
    if (r.status !== 200) {
      throw new Error(`probe push: ${r.status} ${r.body}`);
    }
    ms.push(r.ms);
  }
  return ms;
}

async function measure(g: Gateway): Promise<Record<string, unknown>> {
  const pid = g.proc.pid as number;
  await pushLoop(g, () => true, 200);
  const rssBefore = rssMiB(pid);
  const memBefore = await memoryUsage(g);
  const idle = await pushLoop(g, () => true, 300);
  const healthyIdle: number[] = [];
  for (let i = 0; i < 20; i++) {
    healthyIdle.push((await call(g.port, 'GET', '/-/healthy')).ms);
  }

  log(`running ${QUERIES} × ${QUERY}`);
  let done = false;
  let rssPeak = rssMiB(pid);
  const healthy: number[] = [];
  const sampler = (async () => {
    while (!done) {
      rssPeak = Math.max(rssPeak, rssMiB(pid));
      healthy.push((await call(g.port, 'GET', '/-/healthy')).ms);
      await sleep(50);
    }
  })();
  const t0 = Date.now();
  const queries = Promise.all(
    Array.from({ length: QUERIES }, async () => {
      const r = await call(g.port, 'GET', `/api/v1/query?query=${encodeURIComponent(QUERY)}`);
      return { status: r.status, seconds: Math.round(r.ms / 100) / 10, body: r.body.slice(0, 160) };
    }),
  ).finally(() => (done = true));
  const busy = await pushLoop(g, () => done, 5);
  const answers = await queries;
  const wall = (Date.now() - t0) / 1000;
  await sampler;
  const rssRightAfter = rssMiB(pid);
  await sleep(15_000);
  const rssAfter15s = rssMiB(pid);
  const memAfter = await memoryUsage(g);
  const rssAfterGc = rssMiB(pid);
  return {
    gateway: GATEWAY,
    query: QUERY,
    concurrentQueries: QUERIES,
    env: EXTRA_ENV,
    queryAnswers: answers,
    queriesWallSeconds: wall,
    pushIdleMs: percentiles(idle),
    pushDuringQueriesMs: percentiles(busy),
    healthyIdleMs: percentiles(healthyIdle),
    healthyDuringQueriesMs: percentiles(healthy),
    rssMiB: {
      before: Math.round(rssBefore),
      peak: Math.round(rssPeak),
      rightAfter: Math.round(rssRightAfter),
      after15s: Math.round(rssAfter15s),
      afterForcedGc: Math.round(rssAfterGc),
    },
    memoryUsageBefore: memBefore,
    memoryUsageAfter15s: memAfter,
  };
}

/** `--metadata` requests: `s=~".*7.*"` is narrowed by SQL (LIKE) and re-checked; `p[0-9]*7.*` is checked on every series. */
function metadataRequests(): [string, string][] {
  const narrowed = '{__name__=~"soak.*",s=~".*7.*"}';
  const everySeries = '{__name__=~"soak.*",s=~"p[0-9]*7.*"}';
  const path = (endpoint: string, matches: string[]): string =>
    `/api/v1/${endpoint}?${new URLSearchParams([...matches.map((m): [string, string] => ['match[]', m]), ['start', '0']]).toString()}`;
  return [
    [`series ${narrowed}`, path('series', [narrowed])],
    [`series ${everySeries}`, path('series', [everySeries])],
    ['series, both match[]', path('series', [narrowed, everySeries])],
    [`labels ${narrowed}`, path('labels', [narrowed])],
    [`labels ${everySeries}`, path('labels', [everySeries])],
    [`label s values ${everySeries}`, path('label/s/values', [everySeries])],
  ];
}

/** Each metadata request in turn, `/-/healthy` probed every 20 ms while it runs. */
async function measureMetadata(g: Gateway): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let round = 0; round < REPEAT; round++) {
    for (const [name, urlPath] of metadataRequests()) {
      let done = false;
      const waits: number[] = [];
      const prober = (async () => {
        while (!done) {
          waits.push((await call(g.port, 'GET', '/-/healthy')).ms);
          await sleep(20);
        }
      })();
      const r = await call(g.port, 'GET', urlPath).finally(() => (done = true));
      await prober;
      const answers = (JSON.parse(r.body) as { data?: unknown[] }).data?.length;
      const row = { round, request: name, status: r.status, seconds: Math.round(r.ms / 10) / 100, answers, healthyMs: percentiles(waits) };
      log(JSON.stringify(row));
      out.push(row);
    }
  }
  return out;
}

async function main(): Promise<void> {
  if (flag('drop')) {
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    return;
  }
  const exists = (await admin(`SELECT 1 FROM pg_database WHERE datname = '${DB}'`)).length > 0;
  if (flag('fill') || !exists) {
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${DB}`);
  }
  const g = await startGateway();
  try {
    if (flag('fill') || !exists) {
      await fill(g);
      // What autovacuum does on a running store within minutes: without it, reads of the rows
      // just written visit the heap for visibility (index-only scans stop being index-only).
      await admin('VACUUM ANALYZE', withDatabase(SERVER, DB));
    }
    const series = Number((await admin('SELECT count(*) AS n FROM history_series', withDatabase(SERVER, DB)))[0].n);
    log(`history_series rows: ${series}`);
    const report = flag('metadata') ? { gateway: GATEWAY, metadata: await measureMetadata(g) } : await measure(g);
    process.stdout.write(`${JSON.stringify({ historySeries: series, ...report }, null, 2)}\n`);
  } finally {
    g.proc.kill('SIGTERM');
    agent.destroy();
  }
}

main().catch((error) => {
  log(String((error as Error).stack ?? error));
  process.exitCode = 1;
});
