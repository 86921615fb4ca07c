/**
 * Two builds or settings of our gateway side by side, pushing: the A/B tool for a change to the push
 * path when the machine's own speed drifts. This machine's speed moves by 30-40% within a minute
 * (a virtual machine: see README, "Phases"), which swamps a 5% difference between two
 * `push-profile` runs made one after the other. Here both gateways run at once, each on its own
 * database, and take turns in short rounds (order alternating), so each A round has a B round next to
 * it in time; the verdict is the median of the per-pair ratios B/A.
 *
 *   npm run build && node dist/bench/push-ab.js [--a K=V,K=V] [--b K=V,K=V] [--a-sql SQL] [--b-sql SQL]
 *       [--a-root DIR] [--b-root DIR] [--concurrency 16] [--rounds 12] [--pushes 1000] [--warmup 3000]
 *
 * --a-root / --b-root: run the build in that checkout's dist/ instead of this one's, to compare two
 * versions of the code (e.g. `git worktree add /tmp/base HEAD~1`, `npm run build` there with this
 * checkout's node_modules linked in).
 * --a / --b: settings (environment variables) of each gateway; --a-sql / --b-sql: SQL run on its
 * database once it is migrated (an index dropped, a table setting). Each round pushes new groups,
 * which are wiped (admin API) before the next round, as the bench's phase 1 deletes its rounds'
 * groups. Creates pgw_ab_<pid>_a and _b, drops them at the end.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { checkedRequest, errors, median, metered, percentile, runPushes, waitQuiet } from './load';
import { parseSettings } from './options';
import { BenchDatabase, runBenchMain, Server, snapshotBuild, startOurs } from './servers';
import { Workload } from './workload';

interface Args {
  env: [Record<string, string>, Record<string, string>];
  sql: [string[], string[]];
  roots: [string | undefined, string | undefined];
  concurrency: number;
  rounds: number;
  pushes: number;
  warmup: number;
  adminUrl: string;
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    env: [{}, {}],
    sql: [[], []],
    roots: [undefined, undefined],
    concurrency: 16,
    rounds: 12,
    pushes: 1000,
    warmup: 3000,
    adminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => argv[++i];
    if (a === '--a' || a === '--b') {
      out.env[a === '--a' ? 0 : 1] = parseSettings(next());
    } else if (a === '--a-sql' || a === '--b-sql') {
      out.sql[a === '--a-sql' ? 0 : 1].push(next());
    } else if (a === '--a-root' || a === '--b-root') {
      out.roots[a === '--a-root' ? 0 : 1] = path.resolve(next());
    } else if (a === '--concurrency') {
      out.concurrency = Number(next());
    } else if (a === '--rounds') {
      out.rounds = Number(next());
    } else if (a === '--pushes') {
      out.pushes = Number(next());
    } else if (a === '--warmup') {
      out.warmup = Number(next());
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  return out;
}

interface Round {
  rate: number;
  gatewayMs: number;
  databaseMs: number;
  p50Ms: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wl = new Workload({ families: 10, seriesPerFamily: 1, labels: 2, buckets: 5 });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pgw-ab-'));
  const entries = await Promise.all(args.roots.map((root, i) => snapshotBuild(path.join(tmp, `gateway-${i}`), root)));
  const dbs = [new BenchDatabase(args.adminUrl, `pgw_ab_${process.pid}_a`), new BenchDatabase(args.adminUrl, `pgw_ab_${process.pid}_b`)];
  const servers: Server[] = [];
  const c = args.concurrency;
  try {
    for (const [i, db] of dbs.entries()) {
      await db.create();
      servers.push(
        await startOurs({
          name: i === 0 ? 'A' : 'B',
          entry: entries[i],
          databaseUrl: db.url,
          dataDir: path.join(tmp, 'unused'),
          backendPids: () => db.backendPids(),
          env: { ADMIN_API_ENABLED: 'true', ...args.env[i] },
        }),
      );
      for (const sql of args.sql[i]) {
        await db.query(sql);
      }
    }
    for (const s of servers) {
      await runPushes(s, { concurrency: c, max: args.warmup, budgetS: 120, path: (i) => wl.path('warm', `w-${i}`), body: (i) => wl.body(i) });
      await checkedRequest(s, 'PUT', '/api/v1/admin/wipe');
    }
    const rounds: [Round[], Round[]] = [[], []];
    for (let r = 0; r < args.rounds; r++) {
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const s = servers[i];
        await waitQuiet(servers);
        const { result, cpu } = await metered(s, () =>
          runPushes(s, { concurrency: c, max: args.pushes, budgetS: 60, path: (k) => wl.path('ab', `r${r}-${k}`), body: (k) => wl.body(k + r * 7919) }),
        );
        const n = result.count;
        rounds[i].push({
          rate: n / result.elapsedS,
          gatewayMs: (cpu.serverS / n) * 1000,
          databaseMs: (cpu.databaseS / n) * 1000,
          p50Ms: percentile(result.latenciesMs, 50),
        });
        await checkedRequest(s, 'PUT', '/api/v1/admin/wipe');
      }
      const [a, b] = [rounds[0][r], rounds[1][r]];
      process.stdout.write(
        `round ${String(r + 1).padStart(2)}: A ${a.rate.toFixed(1)}/s (gw ${a.gatewayMs.toFixed(3)}, pg ${a.databaseMs.toFixed(3)} ms)  ` +
          `B ${b.rate.toFixed(1)}/s (gw ${b.gatewayMs.toFixed(3)}, pg ${b.databaseMs.toFixed(3)} ms)  B/A ${(b.rate / a.rate).toFixed(3)}\n`,
      );
    }
    const med = (i: number, k: keyof Round): string => median(rounds[i].map((x) => x[k])).toFixed(k === 'rate' ? 1 : 3);
    for (const i of [0, 1]) {
      process.stdout.write(
        `${i === 0 ? 'A' : 'B'}${args.roots[i] === undefined ? '' : ` ${args.roots[i]}`} ${JSON.stringify(args.env[i])}${args.sql[i].length > 0 ? ` + ${JSON.stringify(args.sql[i])}` : ''}: median ${med(i, 'rate')}/s, p50 ${med(i, 'p50Ms')} ms, CPU per push gateway ${med(i, 'gatewayMs')} ms, postgres ${med(i, 'databaseMs')} ms\n`,
      );
    }
    const ratios = rounds[0].map((a, r) => rounds[1][r].rate / a.rate).sort((x, y) => x - y);
    process.stdout.write(
      `c=${c}, ${args.rounds} rounds of ${args.pushes}: B/A per pair median ${median(ratios).toFixed(3)} (range ${ratios[0].toFixed(3)}-${ratios[ratios.length - 1].toFixed(3)}; B ahead in ${ratios.filter((x) => x > 1).length} of ${ratios.length})\n`,
    );
    if (errors.non2xx + errors.transport > 0) {
      process.stdout.write(`errors: ${errors.samples.join('; ')}\n`);
    }
  } finally {
    for (const s of servers) {
      await s.stop();
    }
    for (const db of dbs) {
      await db.drop().catch(() => undefined);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

runBenchMain(main);
