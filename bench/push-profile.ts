/**
 * Our gateway alone, pushing: CPU per push of the gateway and of its PostgreSQL backends at given
 * concurrencies, optionally under `node --cpu-prof` (one profile per concurrency). CPU per push
 * varies far less with load from elsewhere on the machine than throughput does, so this is the
 * A/B tool for the push path; `npm run bench` stays the judge against upstream.
 *
 *   npm run build && node dist/bench/push-profile.js [--pushes 3000] [--concurrency 1,16]
 *       [--cpu-prof] [--env KEY=VALUE ...] [--node-arg --flag ...] [--preload N] [--idle S] [--rewarm S] [--warmup N] [--db-sql SQL]
 *       [--latency-split | --alloc-prof]
 *
 * --latency-split runs the gateway with bench/latency-hook.ts and prints, per concurrency, the medians
 * of a push's time inside the gateway: before its statement, the statement's round trip, after it
 * (exact at concurrency 1 only).
 *
 * --alloc-prof runs the gateway with bench/alloc-hook.ts and prints, per concurrency, the bytes a
 * measured push allocates (V8's sampling heap profiler, freed objects included) by package and by
 * function; the profile is kept as bench/results/profiles/push-<time>/c<N>-alloc.heapprofile.
 *
 * --preload N pushes N groups (c=8) and scrapes them twice before each concurrency's warm-up, so
 * the pushes measured go into a grown store as in the bench's phase 2 (default 0: an empty store).
 *
 * --warmup N: unmeasured pushes at the measured concurrency before the measured ones (default 3000;
 * until 2026-12-04 400 at max(4, c), which left the push path half-optimised).
 *
 * --rewarm S pushes for S seconds, unmeasured, right before the measured pushes (after --idle).
 *
 * --idle S leaves the gateway quiet for S seconds between the warm-up and the measured pushes (as a
 * server waits while the bench measures the other one): V8's memory reducer runs after ~30 s of quiet.
 *
 * --db-sql SQL runs SQL on the profile's database once the gateway has migrated it (before any push):
 * the A/B tool for the database side (an index dropped, a table setting changed). Repeatable.
 *
 * Creates pgw_prof_<pid>, drops it at the end. Profiles go to bench/results/profiles/push-<time>/.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { metered, percentile, runPushes, checkedRequest, errors, scrape } from './load';
import { formatAllocations, summariseAllocations } from './alloc-summary';
import { askHook, BenchDatabase, runBenchMain, Server, snapshotBuild, startOurs } from './servers';
import { Workload } from './workload';

const ROOT = path.resolve(__dirname, '../..');

interface Args {
  pushes: number;
  concurrency: number[];
  cpuProf: boolean;
  env: Record<string, string>;
  adminUrl: string;
  preload: number;
  latencySplit: boolean;
  allocProf: boolean;
  nodeArgs: string[];
  idleS: number;
  rewarmS: number;
  warmup: number;
  dbSql: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    pushes: 3000,
    concurrency: [1, 16],
    cpuProf: false,
    env: {},
    preload: 0,
    latencySplit: false,
    allocProf: false,
    nodeArgs: [],
    idleS: 0,
    rewarmS: 0,
    warmup: 3000,
    dbSql: [],
    adminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pushes') {
      out.pushes = Number(argv[++i]);
    } else if (a === '--concurrency') {
      out.concurrency = argv[++i].split(',').map(Number);
    } else if (a === '--node-arg') {
      out.nodeArgs.push(argv[++i]);
    } else if (a === '--idle') {
      out.idleS = Number(argv[++i]);
    } else if (a === '--warmup') {
      out.warmup = Number(argv[++i]);
    } else if (a === '--rewarm') {
      out.rewarmS = Number(argv[++i]);
    } else if (a === '--db-sql') {
      out.dbSql.push(argv[++i]);
    } else if (a === '--latency-split') {
      out.latencySplit = true;
    } else if (a === '--alloc-prof') {
      out.allocProf = true;
    } else if (a === '--preload') {
      out.preload = Number(argv[++i]);
    } else if (a === '--cpu-prof') {
      out.cpuProf = true;
    } else if (a === '--env') {
      const [k, ...v] = argv[++i].split('=');
      out.env[k] = v.join('=');
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if (out.latencySplit && out.allocProf) {
    throw new Error('--latency-split and --alloc-prof both answer SIGHUP: use one at a time');
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wl = new Workload({ families: 10, seriesPerFamily: 1, labels: 2, buckets: 5 });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pgw-prof-'));
  const entry = await snapshotBuild(path.join(tmp, 'gateway'));
  const db = new BenchDatabase(args.adminUrl, `pgw_prof_${process.pid}`);
  await db.create();
  const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const latencyOut = path.join(tmp, 'latency.json');
  const allocOut = path.join(tmp, 'alloc.heapprofile');
  const profRoot = path.resolve(ROOT, 'bench/results/profiles', `push-${runId}`);
  try {
    for (const c of args.concurrency) {
      const profDir = args.cpuProf ? path.join(tmp, `prof-c${c}`) : undefined;
      const server: Server = await startOurs({
        name: 'ours-pg',
        entry,
        databaseUrl: db.url,
        dataDir: path.join(tmp, 'unused'),
        cpuProfDir: profDir,
        backendPids: () => db.backendPids(),
        nodeArgs: [
          ...(args.latencySplit ? ['--require', path.join(__dirname, 'latency-hook.js')] : []),
          ...(args.allocProf ? ['--require', path.join(__dirname, 'alloc-hook.js')] : []),
          ...args.nodeArgs,
        ],
        env: {
          ADMIN_API_ENABLED: 'true',
          ...(args.latencySplit ? { PGW_LATENCY_HOOK_OUT: latencyOut } : {}),
          ...(args.allocProf ? { PGW_ALLOC_HOOK_OUT: allocOut } : {}),
          ...args.env,
        },
      });
      try {
        for (const sql of args.dbSql) {
          await db.query(sql);
        }
        if (args.preload > 0) {
          await runPushes(server, { concurrency: 8, max: args.preload, budgetS: 600, path: (i) => wl.path('preload', `p-${i}`), body: (i) => wl.body(i) });
          await scrape(server, false);
          await scrape(server, true);
        }
        // As the bench's warm-up: ours' push path takes a few thousand pushes at a concurrency to be optimised.
        await runPushes(server, { concurrency: c, max: args.warmup, budgetS: 120, path: (i) => wl.path('warm', `w-${i}`), body: (i) => wl.body(i) });
        if (args.latencySplit) {
          await askHook(server, latencyOut); // forgets the warm-up's timings
        }
        if (args.idleS > 0) {
          await new Promise((r) => setTimeout(r, args.idleS * 1000));
        }
        if (args.rewarmS > 0) {
          const burst = await runPushes(server, {
            concurrency: c,
            max: 100_000,
            budgetS: args.rewarmS,
            path: (i) => wl.path('rewarm', `r-${i}`),
            body: (i) => wl.body(i),
          });
          process.stdout.write(`c=${c}: ${burst.count} unmeasured pushes in ${burst.elapsedS.toFixed(2)} s before the measured ones\n`);
        }
        if (args.allocProf) {
          const started = await askHook(server, allocOut);
          if (started !== 'started') {
            throw new Error(`allocation sampling did not start: ${started}`);
          }
        }
        const { result, cpu } = await metered(server, () =>
          runPushes(server, { concurrency: c, max: args.pushes, budgetS: 120, path: (i) => wl.path(`prof_c${c}`, `g-${i}`), body: (i) => wl.body(i) }),
        );
        const n = result.count;
        process.stdout.write(
          `c=${c}: ${n} pushes in ${result.elapsedS.toFixed(2)} s = ${(n / result.elapsedS).toFixed(1)}/s; p50 ${percentile(result.latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(2)} ms; ` +
            `CPU per push: gateway ${((cpu.serverS / n) * 1000).toFixed(3)} ms, postgres ${((cpu.databaseS / n) * 1000).toFixed(3)} ms, load generator ${((cpu.clientS / n) * 1000).toFixed(3)} ms; ` +
            `machine busy ${((cpu.machineBusyS / cpu.wallS) * 100).toFixed(0)}% of a core; load ${os
              .loadavg()
              .map((x) => x.toFixed(2))
              .join(' ')}\n`,
        );
        if (args.latencySplit) {
          const m = JSON.parse(await askHook(server, latencyOut)) as Record<string, number>;
          const f = (k: string): string => (m[k] ?? NaN).toFixed(2);
          process.stdout.write(
            `  inside the gateway (medians of ${m.requests} PUTs, ${m.statements} statements): request ${f('requestMs')} ms = before the statement ${f('beforeStatementMs')} + statement round trip ${f('statementMs')} + after it ${f('afterStatementMs')} ms${c > 1 ? ' (the split is exact at c=1 only)' : ''}\n`,
          );
        }
        if (args.allocProf) {
          const profile = await askHook(server, allocOut);
          mkdirSync(profRoot, { recursive: true });
          const kept = path.join(profRoot, `c${c}-alloc.heapprofile`);
          writeFileSync(kept, profile);
          process.stdout.write(formatAllocations(summariseAllocations(JSON.parse(profile) as Parameters<typeof summariseAllocations>[0]), n, 15));
          process.stdout.write(`  profile: ${path.relative(process.cwd(), kept)}\n`);
        }
        // The next concurrency starts from an empty store again.
        await checkedRequest(server, 'PUT', '/api/v1/admin/wipe');
      } finally {
        await server.stop();
      }
      if (profDir !== undefined) {
        mkdirSync(profRoot, { recursive: true });
        for (const f of readdirSync(profDir)) {
          renameSync(path.join(profDir, f), path.join(profRoot, `c${c}-${f}`));
        }
        process.stdout.write(`  profile: ${path.relative(process.cwd(), profRoot)}/c${c}-*.cpuprofile\n`);
      }
    }
    if (errors.non2xx + errors.transport > 0) {
      process.stdout.write(`errors: ${errors.samples.join('; ')}\n`);
    }
  } finally {
    await db.drop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

runBenchMain(main);
