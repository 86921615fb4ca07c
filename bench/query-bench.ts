/**
 * Query API and push-history benchmark (issue 4), run in-process against a fresh database:
 *
 *   npm run build && node dist/bench/query-bench.js [--embedded] [--quick] [--only=push|instant|rate] [--gzip]
 *
 * 1. Push latency (PUT of 10 and of 1000 series, sequential, over HTTP) with the history off
 *    entirely (no history writer), with HISTORY_ENABLED=false (latest values only) and with the history on.
 * 2. An instant selector over 100k current series (`bench_gauge`, and `count(bench_gauge)`).
 * 3. A 1-hour `rate()` range query at 15 s step over 1k series with a sample every 15 s.
 * Queries go to the gateway as its own process (`<dist>/src/main.js`, as deployed); push latency is
 * measured in-process (the "off" case needs the repository without its history writer). Prints medians (and p95) in ms. Uses TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * to create and drop a scratch database; --embedded uses PGlite in a temp dir instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from 'src/app';
import { loadConfig } from 'src/config/env.schema';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';
import { IngestService } from 'src/ingest/ingest.service';
import { BenchDatabase, startOurs } from './servers';

const args = new Set(process.argv.slice(2));
const EMBEDDED = args.has('--embedded');
const QUICK = args.has('--quick');
const ONLY = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);
/** Loopback makes compression a loss; `--gzip` asks for it as Grafana's Go client does. */
const ENCODING = args.has('--gzip') ? 'gzip' : 'identity';
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms (n=${s.length})`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

interface Scratch {
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function scratchDatabase(): Promise<Scratch> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pgw-qbench-'));
  if (EMBEDDED) {
    return { env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const db = new BenchDatabase(SERVER, `pgw_qbench_${process.pid}_${Date.now()}`);
  await db.create();
  await db.close();
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: db.url },
    drop: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function start(env: Record<string, string>): Promise<{ app: NestFastifyApplication; url: string }> {
  const app = await createApp(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error', ...env }));
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

function gaugeBody(name: string, series: number, value: number): string {
  let body = `# TYPE ${name} gauge\n`;
  for (let i = 0; i < series; i++) {
    body += `${name}{series="s${i}",shard="${i % 16}"} ${value + i}\n`;
  }
  return body;
}

/** The gateway as its own process (as deployed), so client work does not share its event loop. */
async function startProcess(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await startOurs({ name: 'gateway', entry: path.resolve(__dirname, '../src/main.js'), databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  return { url: `http://${server.host}:${server.port}`, stop: () => server.stop() };
}

async function put(url: string, pathPart: string, body: string): Promise<void> {
  const res = await fetch(`${url}/metrics/${pathPart}`, { method: 'PUT', body });
  if (res.status !== 200) {
    throw new Error(`push ${pathPart}: ${res.status} ${await res.text()}`);
  }
}

/** Fetches the whole answer (not parsed: the time is the server's) and checks it is a success. */
async function get(url: string, pathAndQuery: string): Promise<number> {
  const res = await fetch(`${url}${pathAndQuery}`, { headers: { 'Accept-Encoding': ENCODING } });
  const text = await res.text();
  if (res.status !== 200 || !text.startsWith('{"status":"success"')) {
    throw new Error(`${pathAndQuery}: ${res.status} ${text.slice(0, 300)}`);
  }
  return text.length;
}

/** Push latency for one configuration: `mode` off (no history writer), latest (HISTORY_ENABLED=false) or full. */
async function pushLatency(mode: 'off' | 'latest' | 'full'): Promise<string[]> {
  const db = await scratchDatabase();
  const gw = await start({ ...db.env, HISTORY_ENABLED: mode === 'latest' ? 'false' : 'true' });
  if (mode === 'off') {
    // The bench's only reach into internals: the repository without its history writer.
    (gw.app.get(MetricGroupRepository) as unknown as { history?: unknown }).history = undefined;
  }
  const out: string[] = [];
  try {
    for (const [series, rounds] of [
      [10, QUICK ? 100 : 400],
      [1000, QUICK ? 30 : 100],
    ]) {
      const warm = gaugeBody('bench_push', series, 0);
      for (let i = 0; i < 20; i++) {
        await put(gw.url, `job/latency${series}/instance/i${i % 4}`, warm);
      }
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const body = gaugeBody('bench_push', series, i);
        times.push(await timed(() => put(gw.url, `job/latency${series}/instance/i${i % 4}`, body)));
      }
      out.push(`push ${series} series, history ${mode}: ${stats(times)}`);
    }
  } finally {
    await gw.app.close();
    await db.drop();
  }
  return out;
}

async function instantOver100k(): Promise<string[]> {
  const db = await scratchDatabase();
  const gw = await startProcess(db.env);
  const out: string[] = [];
  try {
    const groups = 100;
    const perGroup = 1000;
    const t0 = Date.now();
    for (let g = 0; g < groups; g++) {
      await put(gw.url, `job/big/instance/g${g}`, gaugeBody('bench_gauge', perGroup, g * perGroup));
    }
    log(`loaded ${groups * perGroup} series in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const query of ['bench_gauge', 'count(bench_gauge)', 'sum by (shard) (bench_gauge)']) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < (QUICK ? 5 : 11); i++) {
        times.push(await timed(async () => (bytes = await get(gw.url, `/api/v1/query?query=${encodeURIComponent(query)}`))));
      }
      out.push(`instant ${query} over 100k series: ${stats(times)}, ${bytes} bytes`);
    }
  } finally {
    await gw.stop();
    await db.drop();
  }
  return out;
}

async function rateOver1k(): Promise<string[]> {
  const db = await scratchDatabase();
  const out: string[] = [];
  const seeder = await createApp(loadConfig({ LOG_LEVEL: 'error', ...db.env }));
  await seeder.init();
  let gw: { url: string; stop(): Promise<void> } | undefined;
  try {
    const ingest = seeder.get(IngestService);
    const end = Math.floor(Date.now() / 15000) * 15000;
    const body = (i: number): Buffer => {
      let text = '# TYPE bench_requests_total counter\n';
      for (let s = 0; s < 1000; s++) {
        text += `bench_requests_total{series="s${s}"} ${i * (s + 1)}\n`;
      }
      return Buffer.from(text);
    };
    // Backdated pushes through the real write path, one every 15 s over the last hour.
    const t0 = Date.now();
    for (let t = end - 3600_000 - 60_000, i = 0; t <= end; t += 15_000, i++) {
      await ingest.push({ path: 'job/rate', managedRoute: false, mode: 'replace', body: body(i), now: t / 1000 });
    }
    log(`loaded 1k series x 245 samples in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await seeder.close();
    // The embedded engine serves one process: the seeder must be gone before the server opens it.
    gw = await startProcess(db.env);
    for (const query of ['rate(bench_requests_total[1m])', 'sum(rate(bench_requests_total[1m]))']) {
      const times: number[] = [];
      let bytes = 0;
      const qs = `query=${encodeURIComponent(query)}&start=${(end - 3600_000) / 1000}&end=${end / 1000}&step=15`;
      for (let i = 0; i < (QUICK ? 5 : 11); i++) {
        times.push(await timed(async () => (bytes = await get(gw!.url, `/api/v1/query_range?${qs}`))));
      }
      out.push(`range 1h step 15s ${query} over 1k series: ${stats(times)}, ${bytes} bytes`);
    }
  } finally {
    await gw?.stop();
    await seeder.close().catch(() => undefined);
    await db.drop();
  }
  return out;
}

async function main(): Promise<void> {
  log(`query bench on ${EMBEDDED ? 'the embedded engine (PGlite)' : SERVER}, node ${process.version}, ${os.cpus().length} CPUs`);
  const lines: string[] = [];
  if (ONLY === undefined || ONLY === 'push') {
    for (const mode of ['off', 'latest', 'full'] as const) {
      lines.push(...(await pushLatency(mode)));
      log(lines.slice(-2).join('\n'));
    }
  }
  if (ONLY === undefined || ONLY === 'instant') {
    lines.push(...(await instantOver100k()));
    log(lines.slice(-3).join('\n'));
  }
  if (ONLY === undefined || ONLY === 'rate') {
    lines.push(...(await rateOver1k()));
    log(lines.slice(-2).join('\n'));
  }
  lines.push(
    `load average during the run: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
