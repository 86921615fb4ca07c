/**
 * Our gateway alone: resident memory (VmRSS, RssAnon, RssFile) and a V8 heap snapshot idle (2 s
 * after ready, as `npm run bench` measures) and after pushing N groups of the bench's workload and
 * scraping them (plain and gzip, twice), each snapshot summarised by heap-summary.ts.
 *
 *   npm run build && node dist/bench/memory-profile.js [--groups 10000] [--keep-snapshots]
 *       [--env KEY=VALUE ...] [--node-arg --flag ...] [--settle S]
 *
 * --settle S prints the resident memory and V8's spaces every 5 s for S seconds of quiet after the
 * scrapes (no GC forced), to see what V8 gives back by itself.
 *
 * Creates pgw_mem_<pid>, drops it at the end. Snapshots (tens of MiB each) go to a temporary
 * directory, deleted unless --keep-snapshots (then bench/results/profiles/mem-<time>/).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, runPushes, scrape } from './load';
import { askHook, BenchDatabase, runBenchMain, Server, snapshotBuild, startOurs } from './servers';
import { Workload } from './workload';
import { printHeapSummary, summarizeHeap } from './heap-summary';

const ROOT = path.resolve(__dirname, '../..');

interface Args {
  groups: number;
  keep: boolean;
  env: Record<string, string>;
  nodeArgs: string[];
  adminUrl: string;
  top: number;
  settleS: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    groups: 10000,
    keep: false,
    env: {},
    nodeArgs: [],
    top: 25,
    settleS: 0,
    adminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--groups') {
      out.groups = Number(argv[++i]);
    } else if (a === '--keep-snapshots') {
      out.keep = true;
    } else if (a === '--settle') {
      out.settleS = Number(argv[++i]);
    } else if (a === '--top') {
      out.top = Number(argv[++i]);
    } else if (a === '--env') {
      const [k, ...v] = argv[++i].split('=');
      out.env[k] = v.join('=');
    } else if (a === '--node-arg') {
      out.nodeArgs.push(argv[++i]);
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  return out;
}

/** VmRSS, RssAnon, RssFile in MiB. */
function residentMiB(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const mib = (field: string): string => (kib(field) / 1024).toFixed(1);
  return `VmRSS ${mib('VmRSS')} MiB (anon ${mib('RssAnon')}: ${anonBreakdown(pid)}; file ${mib('RssFile')}), VmHWM ${mib('VmHWM')} MiB`;
}

/**
 * Anonymous resident memory by kind of mapping: `[heap]` (the main malloc arena, brk), mappings in
 * 64 MiB-reserved malloc arenas of other threads (glibc), and the rest (V8's heap pages, thread
 * stacks, Node's own mmaps), in MiB.
 */
function anonBreakdown(pid: number): string {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n');
  const kinds = new Map<string, number>();
  let kind = '';
  let prevEnd = -1;
  let prevKind = '';
  for (const line of smaps) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head !== null) {
      const start = parseInt(head[1], 16);
      const end = parseInt(head[2], 16);
      const name = head[4];
      const size = end - start;
      if (name === '[heap]') {
        kind = 'brk heap';
      } else if (name !== '' && name !== '[anon]') {
        kind = '';
      } else if (start === prevEnd && prevKind === 'malloc arenas') {
        // The reserved, inaccessible rest of an arena follows its used part.
        kind = 'malloc arenas';
      } else {
        // Thread arenas are 64 MiB-aligned reservations (HEAP_MAX_SIZE).
        kind = start % (64 * 1024 * 1024) === 0 && size <= 64 * 1024 * 1024 ? 'malloc arenas' : 'other anon (V8 heap, stacks)';
      }
      prevEnd = end;
      prevKind = kind;
      continue;
    }
    const rss = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (rss !== null && kind !== '') {
      kinds.set(kind, (kinds.get(kind) ?? 0) + Number(rss[1]));
    }
  }
  return [...kinds.entries()].map(([k, kib]) => `${k} ${(kib / 1024).toFixed(1)}`).join(', ');
}

/**
 * The gateway's heap as memory-hook.ts reports it (after a full GC with `gc`): heap used/total,
 * external and array buffers, and the committed and resident size of the large spaces, in MiB.
 */
async function heapReport(server: Server, hookOut: string, gc: '' | 'gc' | 'last-resort'): Promise<string> {
  writeFileSync(`${hookOut}.ask`, gc);
  const r = JSON.parse(await askHook(server, hookOut)) as {
    memory: NodeJS.MemoryUsage;
    spaces: Record<string, { size: number; used: number; physical: number }>;
  };
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  const spaces = Object.entries(r.spaces)
    .filter(([, s]) => s.size > 1024 * 1024)
    .map(([name, s]) => `${name.replace(/_space$/, '')} ${mib(s.used)}/${mib(s.physical)}`)
    .join(', ');
  return `heap used ${mib(r.memory.heapUsed)} of ${mib(r.memory.heapTotal)} MiB, external ${mib(r.memory.external)} (array buffers ${mib(r.memory.arrayBuffers)}); spaces used/resident: ${spaces}`;
}

/** Sends SIGUSR2 and waits for the snapshot file to be complete (its size stops changing). */
async function heapSnapshot(server: Server, dir: string, label: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(server.pid(), 'SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file !== undefined) {
      const full = path.join(dir, file);
      let size = -1;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const now = readFileSync(full).length;
        if (now === size && now > 0) {
          const target = path.join(dir, `${label}.heapsnapshot`);
          renameSync(full, target);
          return target;
        }
        size = now;
      }
    }
  }
}

/**
 * One gateway process on a fresh database (as the bench starts one, so it migrates at start): idle
 * figures and snapshot, or, with `groups` > 0, the figures and snapshot after pushing and scraping
 * that many groups. A heap snapshot leaves ~100 MiB of malloc'd memory behind, so each phase gets
 * its own process.
 */
async function phase(args: Args, entry: string, tmp: string, groups: number, out: (line: string) => void): Promise<void> {
  const snapDir = path.join(tmp, 'snapshots');
  mkdirSync(snapDir, { recursive: true });
  const hookOut = path.join(tmp, 'memory.json');
  const db = new BenchDatabase(args.adminUrl, `pgw_mem_${process.pid}_${groups}`);
  await db.create();
  const wl = new Workload({ families: 10, seriesPerFamily: 1, labels: 2, buckets: 5 });
  let server: Server | undefined;
  try {
    server = await startOurs({
      name: 'ours-pg',
      entry,
      databaseUrl: db.url,
      dataDir: path.join(tmp, 'unused'),
      nodeArgs: [
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${snapDir}`,
        '--expose-gc',
        '--require',
        path.join(__dirname, 'memory-hook.js'),
        ...args.nodeArgs,
      ],
      env: { PGW_MEMORY_HOOK_OUT: hookOut, ...args.env },
    });
    await new Promise((r) => setTimeout(r, 2000));
    if (groups > 0) {
      const run = await runPushes(server, { concurrency: 8, max: groups, budgetS: 600, path: (i) => wl.path('bench', `i-${i}`), body: (i) => wl.body(i) });
      out(`pushed ${run.count} groups in ${run.elapsedS.toFixed(1)} s: ${residentMiB(server.pid())}`);
      for (let i = 0; i < 2; i++) {
        const plain = await scrape(server, false);
        const gzip = await scrape(server, true);
        out(`  scrape plain ${plain?.ms.toFixed(1)} ms (${((plain?.bytes ?? 0) / 1024).toFixed(0)} KiB), gzip ${gzip?.ms.toFixed(1)} ms`);
      }
      await new Promise((r) => setTimeout(r, 2000));
      for (let t = 5; t <= args.settleS; t += 5) {
        await new Promise((r) => setTimeout(r, 5000));
        out(`  quiet for ${t + 2} s: ${residentMiB(server.pid())}; ${await heapReport(server, hookOut, '')}`);
      }
    }
    const label = groups > 0 ? `${groups} groups, 2 s after the scrapes` : 'idle, 2 s after ready';
    out(`${label}: ${residentMiB(server.pid())}`);
    out(`  ${await heapReport(server, hookOut, '')}`);
    out(`  after a full GC: ${await heapReport(server, hookOut, 'gc')}`);
    out(`  ${residentMiB(server.pid())}`);
    out(`  after a memory-reducing GC: ${await heapReport(server, hookOut, 'last-resort')}`);
    out(`  ${residentMiB(server.pid())}`);
    const file = await heapSnapshot(server, snapDir, groups > 0 ? `groups-${groups}` : 'idle');
    printHeapSummary(summarizeHeap(file, args.top), out);
    if (errors.non2xx + errors.transport > 0) {
      out(`errors: ${errors.samples.join('; ')}`);
    }
  } finally {
    await server?.stop();
    await db.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pgw-mem-'));
  try {
    const entry = await snapshotBuild(path.join(tmp, 'gateway'));
    await phase(args, entry, tmp, 0, out);
    if (args.groups > 0) {
      await phase(args, entry, tmp, args.groups, out);
    }
  } finally {
    const snapDir = path.join(tmp, 'snapshots');
    if (args.keep && existsSync(snapDir)) {
      const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
      const keepDir = path.resolve(ROOT, 'bench/results/profiles', `mem-${runId}`);
      mkdirSync(keepDir, { recursive: true });
      for (const f of readdirSync(snapDir)) {
        renameSync(path.join(snapDir, f), path.join(keepDir, f));
      }
      out(`snapshots: ${path.relative(process.cwd(), keepDir)}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

runBenchMain(main);
