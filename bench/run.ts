/**
 * `npm run bench`: our gateway (PostgreSQL, optionally the embedded engine) against the upstream
 * Pushgateway on the same workload, in one run, on loopback, alternating servers round by round (in
 * the full store: each server's rounds back to back, see roundOrder) so machine noise hits both.
 * See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addCpu, checkedRequest, emptyCpu, errors, median, metered, percentile, runPushes, scrape, Target, waitQuiet } from './load';
import { BenchOptions, OptionsError, parseOptions, parseSettings, usage } from './options';
import { machineInfo, treeMemoryKiB } from './procstat';
import { BenchResults, MemoryPoint, PreloadStep, PushPoint, ReplicaResult, ScaleResult, ScrapePoint } from './results';
import { evaluateTargets, renderReport } from './report';
import { BenchDatabase, killAllChildren, Server, snapshotBuild, startOurs, startUpstream, upstreamVersion } from './servers';
import { countScrape, findMarker, Workload } from './workload';

const ROOT = path.resolve(__dirname, '../..');
const T0 = Date.now();

function log(message: string): void {
  process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

/** Rotates the server order by round so no server always goes first. */
function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * The order of a push phase's rounds: in the empty store the servers alternate round by round (each
 * round lasts under a second for both, so both see the machine alike). In the full store each
 * server runs its rounds back to back: upstream's rounds there last 5-18 s, so alternating left ours
 * idle 12-44 s before every other round, and on this virtual machine every process pays again for
 * the memory it touches after a quiet spell (README, "Phases"): ours' full-store figure then
 * measured the host, not the store size (c=16 540-720/s in the bench against 919-948/s into 10k
 * groups in isolation and 848/s into an empty store). The full-store ratio against upstream is
 * 200-500x, far beyond any drift that alternation guards against.
 */
function roundOrder<T>(kind: 'empty' | 'full', rounds: number, targets: T[]): [number, T][] {
  const order: [number, T][] = [];
  if (kind === 'full') {
    targets.forEach((t) => Array.from({ length: rounds }, (_, r) => order.push([r, t])));
  } else {
    Array.from({ length: rounds }, (_, r) => rotate(targets, r).forEach((t) => order.push([r, t])));
  }
  return order;
}

const pad = (n: number): string => String(n).padStart(6, '0');
/** Pushes per server and measured concurrency before anything is measured (see warmup()). */
const WARMUP_PUSHES = 3000;
/** The warm-up pushes in slices of this many groups, each deleted before the next. */
const WARMUP_SLICE = 500;
/** A server idle longer than this before a push round gets REWARM_PUSHES unmeasured pushes first. */
const IDLE_REWARM_S = 5;
const REWARM_PUSHES = 50;
/**
 * Seconds of issuing the warm-up again gets before a server's first full-store round at each
 * concurrency (upstream, at seconds per push there, runs out of them; ours does the WARMUP_PUSHES).
 */
const FULL_REWARM_BUDGET_S = 10;

const fmt = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

class Bench {
  readonly wl: Workload;
  readonly results: BenchResults;
  readonly tmp: string;
  readonly runId: string;
  db!: BenchDatabase;
  ours!: Server;
  upstream!: Server;
  embedded?: Server;
  /** Entry point of the copied build all our gateway processes run. */
  entry!: string;
  /** Groups (of job "bench") each server holds, to know what a scrape must contain. */
  readonly held = new Map<string, number>();

  constructor(readonly o: BenchOptions) {
    this.wl = new Workload({ families: o.families, seriesPerFamily: o.seriesPerFamily, labels: o.labels, buckets: o.buckets });
    this.runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    this.tmp = mkdtempSync(path.join(os.tmpdir(), 'pgw-bench-'));
    this.results = {
      meta: {},
      workload: {},
      servers: {},
      warmup: {},
      pushEmpty: [],
      pushFull: [],
      scrape: [],
      memory: [],
      preload: [],
      checks: { non2xx: 0, transportErrors: 0, errorSamples: [], seriesCountChecks: 0, seriesCountFailures: 0, passed: false },
      targets: [],
      durationS: 0,
    };
  }

  /** The measured servers, ours first. */
  get targets(): Server[] {
    return [this.ours, this.upstream, ...(this.embedded === undefined ? [] : [this.embedded])];
  }

  get ourTargets(): Server[] {
    return [this.ours, ...(this.embedded === undefined ? [] : [this.embedded])];
  }

  async run(): Promise<void> {
    const o = this.o;
    this.results.meta = {
      runId: this.runId,
      startedAt: new Date(T0).toISOString(),
      quick: o.quick,
      options: { ...o, adminDatabaseUrl: redact(o.adminDatabaseUrl) },
      machine: machineInfo(),
      ours: oursVersion(),
      upstream: upstreamVersion(o.upstreamBin),
    };
    this.results.workload = {
      groupPath: this.wl.path('bench', 'g-000000'),
      families: o.families,
      familyMix: `1 classic histogram (${o.buckets} buckets + +Inf), ${Math.ceil((o.families - 1) / 2)} gauges, ${Math.floor((o.families - 1) / 2)} counters`,
      seriesPerGroup: this.wl.seriesPerGroup,
      sampleLinesPerGroup: this.wl.linesPerGroup,
      labelsPerSeries: o.labels,
      bodyBytes: Buffer.byteLength(this.wl.body(1)),
      format: 'text 0.0.4, PUT (replace)',
      fullStore: { groups: o.groups, series: o.groups * this.wl.seriesPerGroup },
    };
    log(
      `workload: ${o.families} families/group, ${this.wl.seriesPerGroup} series (${this.wl.linesPerGroup} sample lines)/group, body ${this.results.workload.bodyBytes} B; full store ${o.groups} groups`,
    );

    this.entry = await snapshotBuild(path.join(this.tmp, 'gateway'));
    this.db = new BenchDatabase(o.adminDatabaseUrl, `pgw_bench_${this.runId.replace('-', '_')}_${process.pid}`);
    await this.db.create();
    log(`database ${this.db.name} created on ${redact(o.adminDatabaseUrl)}`);
    const profDir = o.cpuProf ? path.resolve(ROOT, o.resultsDir, 'profiles', this.runId) : undefined;
    if (profDir !== undefined) {
      mkdirSync(profDir, { recursive: true });
    }
    this.ours = await startOurs({
      name: 'ours-pg',
      entry: this.entry,
      databaseUrl: this.db.url,
      dataDir: path.join(this.tmp, 'unused'),
      cpuProfDir: profDir,
      backendPids: () => this.db.backendPids(),
      env: this.oursEnv(),
    });
    this.upstream = await startUpstream({ bin: o.upstreamBin });
    if (o.embedded) {
      this.embedded = await startOurs({ name: 'ours-embedded', entry: this.entry, dataDir: path.join(this.tmp, 'embedded'), cpuProfDir: profDir });
    }
    for (const t of this.targets) {
      this.held.set(t.name, 0);
      this.results.servers[t.name] = { port: t.port, pid: t.pid() };
    }
    log(`servers: ${this.targets.map((t) => `${t.name} on :${t.port} (pid ${t.pid()})`).join(', ')}`);
    await this.idleMemory();

    if (profDir !== undefined) {
      this.results.meta.cpuProfiles = profDir;
    }
    await this.warmup();
    await this.pushPhase('empty', 0);
    if (o.onlyEmpty) {
      return;
    }
    await this.storePhases();
    await this.pushPhase('full', o.groups);
    if (!o.skipReplicas) {
      await this.replicaPhase();
    }
    if (o.scaleGroups > 0) {
      await this.scalePhase();
    }
  }

  /** Settings of our gateway processes from the bench flags (--workers, --batch-max). */
  oursEnv(): Record<string, string> {
    return {
      ...(this.o.workers > 1 ? { WORKERS: String(this.o.workers) } : {}),
      ...(this.o.batchMax > 0 ? { PUSH_BATCH_MAX: String(this.o.batchMax) } : {}),
      ...parseSettings(this.o.oursEnv),
    };
  }

  /** Resident memory of each server started and ready, nothing pushed yet (after 2 s to settle). */
  private async idleMemory(): Promise<void> {
    await new Promise((r) => setTimeout(r, 2000));
    for (const t of this.targets) {
      const mem = treeMemoryKiB(t.pid());
      const point: MemoryPoint = { server: t.name, groups: 0, rssMiB: (mem?.rss ?? NaN) / 1024, hwmMiB: (mem?.hwm ?? NaN) / 1024, idle: true };
      this.results.memory.push(point);
      log(`  memory ${t.name.padEnd(13)} idle: VmRSS ${fmt(point.rssMiB)} MiB`);
    }
  }

  /**
   * Steady state, not start-up, is measured: every server takes WARMUP_PUSHES pushes at each
   * measured concurrency (in slices, each deleted again, so upstream's store stays small), then a
   * few scrapes; nothing of it is measured. Ours needs that many: V8 optimises the push path over
   * the first few thousand pushes of each concurrency (gateway CPU per push at c=1 2.5 → 0.9 ms, at
   * c=16 1.6 → 0.6 ms; README, "Phases"), and c=1 runs code (one push per statement) that c=16
   * (batches) hardly touches. Every pooled database connection is open with its statements prepared.
   */
  private async warmup(): Promise<void> {
    const n = this.o.quick ? 20 : WARMUP_PUSHES;
    for (const t of this.targets) {
      let pushes = 0;
      let seconds = 0;
      for (const concurrency of this.o.concurrency) {
        const run = await this.warmPushes(t, concurrency, n, Infinity, `w${concurrency}-`);
        pushes += run.pushes;
        seconds += run.seconds;
      }
      for (let i = 0; i < 3; i++) {
        await scrape(t, i % 2 === 1);
      }
      this.results.warmup[t.name] = { pushes, seconds };
      log(`  ${t.name} warmed up: ${pushes} pushes in ${fmt(seconds, 1)} s of pushing`);
    }
    if (errors.non2xx + errors.transport > 0) {
      throw new Error(`a server failed during the warm-up; not measuring a broken build:\n  ${errors.samples.join('\n  ')}`);
    }
    log('warm-up done');
  }

  /**
   * Up to `n` unmeasured pushes of new groups at one concurrency, in slices of WARMUP_SLICE each
   * deleted again (job bench_warmup), until `budgetS` seconds of issuing are spent.
   */
  private async warmPushes(t: Target, concurrency: number, n: number, budgetS: number, prefix: string): Promise<{ pushes: number; seconds: number }> {
    let pushes = 0;
    let seconds = 0;
    for (let from = 0; from < n && seconds < budgetS; from += WARMUP_SLICE) {
      const instances = Array.from({ length: Math.min(WARMUP_SLICE, n - from) }, (_, i) => `${prefix}${from + i}`);
      const run = await runPushes(t, {
        concurrency,
        max: instances.length,
        budgetS: Math.min(60, budgetS - seconds),
        path: (i) => this.wl.path('bench_warmup', instances[i]),
        body: (i) => this.wl.body(from + i),
      });
      pushes += run.count;
      seconds += run.elapsedS;
      await this.deleteGroups(t, 'bench_warmup', instances.slice(0, run.count + run.failed));
    }
    return { pushes, seconds };
  }

  private async deleteGroups(t: Target, job: string, instances: string[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < instances.length) {
        const instance = instances[next++];
        await checkedRequest(t, 'DELETE', this.wl.path(job, instance));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  /** Phases 1 and 2: closed-loop pushes of new groups at each concurrency, rounds in roundOrder's order. */
  private async pushPhase(kind: 'empty' | 'full', storeGroups: number): Promise<void> {
    const o = this.o;
    const max = kind === 'empty' ? o.emptyPushes : o.fullPushes;
    const budgetS = kind === 'empty' ? o.pushBudgetS : o.fullPushBudgetS;
    const label = kind === 'empty' ? 'phase 1: push into the empty store' : `phase 2: push into the store of ${storeGroups} groups`;
    log(`${label}: ${max} pushes (or ${budgetS} s of issuing) per server per round, ${o.rounds} rounds`);
    for (const c of o.concurrency) {
      const points = new Map<string, PushPoint & { latencies: number[] }>();
      for (const t of this.targets) {
        points.set(t.name, {
          server: t.name,
          concurrency: c,
          storeGroups: this.held.get(t.name) ?? 0,
          rounds: [],
          throughput: NaN,
          p50Ms: NaN,
          p99Ms: NaN,
          samples: 0,
          cpu: emptyCpu(),
          latencies: [],
        });
      }
      // When each server last took pushes: one left idle for a while (every server before its first
      // round of the empty-store phase; there, one whose turn came after a slow round of the other)
      // answers its first pushes slower, which a 0.3 s round cannot absorb, so such a server gets
      // an unmeasured burst first (see README, "Phases"). The full-store phase repeats the whole
      // warm-up before each server's first round instead.
      const lastPush = new Map<string, number>();
      for (const [r, t] of roundOrder(kind, o.rounds, this.targets)) {
        const prefix = `${kind[0]}${c}-r${r}-`;
        const last = lastPush.get(t.name);
        const idleS = last === undefined ? Infinity : (Date.now() - last) / 1000;
        let warmed = '';
        if (kind === 'full' && last === undefined) {
          // The phases before this one only scraped (and upstream preloaded for a minute): V8
          // deoptimised code the push path shares with the scrape path (the text parser, `pg`,
          // Node's HTTP parser, Fastify), and ours' first full-store rounds ran at 60-65% of its
          // rate while it re-optimised over ~2,000 pushes (README, "Phases"). So the warm-up is
          // repeated here, as before phase 1.
          const warm = await this.warmPushes(t, c, o.quick ? 20 : WARMUP_PUSHES, FULL_REWARM_BUDGET_S, `${prefix}warm-`);
          warmed = `; after the warm-up again (${warm.pushes} pushes in ${fmt(warm.seconds, 1)} s)`;
        } else if (idleS > IDLE_REWARM_S) {
          const warm = await this.warmPushes(t, c, REWARM_PUSHES, 1, `${prefix}warm-`);
          warmed = last === undefined ? '; after an unmeasured burst' : `; idle ${fmt(idleS, 0)} s, so after an unmeasured burst of ${warm.pushes}`;
        }
        const settle = await waitQuiet(this.targets);
        const { result: run, cpu } = await metered(t, () =>
          runPushes(t, {
            concurrency: c,
            max,
            budgetS,
            path: (i) => this.wl.path('bench_push', prefix + pad(i)),
            body: (i) => this.wl.body(i + r * 7919),
          }),
        );
        const p = points.get(t.name) as PushPoint & { latencies: number[] };
        const throughput = run.count / run.elapsedS;
        p.rounds.push({ count: run.count, failed: run.failed, elapsedS: run.elapsedS, throughput, budgetHit: run.budgetHit, quietWaitS: settle.waitedS });
        p.latencies.push(...run.latenciesMs);
        p.cpu = addCpu(p.cpu, cpu);
        log(
          `  c=${c} round ${r + 1}/${o.rounds} ${t.name.padEnd(13)} ${String(run.count).padStart(4)} pushes in ${fmt(run.elapsedS, 2)} s = ${fmt(throughput)}/s, p50 ${fmt(percentile(run.latenciesMs, 50), 2)} ms, p99 ${fmt(percentile(run.latenciesMs, 99), 2)} ms${run.budgetHit ? ' (time budget hit)' : ''}; machine busy ${fmt(settle.firstBusyCores, 2)} cores before the round, quiet after ${fmt(settle.waitedS, 1)} s${settle.quiet ? '' : ' (it was not: budget hit)'}${warmed}`,
        );
        await this.deleteGroups(
          t,
          'bench_push',
          Array.from({ length: run.count + run.failed }, (_, i) => prefix + pad(i)),
        );
        lastPush.set(t.name, Date.now());
      }
      for (const p of points.values()) {
        const { latencies, ...rest } = p;
        const point: PushPoint = {
          ...rest,
          throughput: median(p.rounds.map((x) => x.throughput)),
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          samples: latencies.length,
        };
        (kind === 'empty' ? this.results.pushEmpty : this.results.pushFull).push(point);
      }
    }
  }

  /** Preloads to each scrape size, measures scrapes and memory there (phases 3 and 4). */
  private async storePhases(): Promise<void> {
    const o = this.o;
    let from = 0;
    for (const size of o.scrapeSizes) {
      const last = size === o.groups;
      log(`preload to ${size} groups`);
      for (const t of this.ourTargets) {
        await this.preloadByPush(t, from, size, Infinity, o.preloadConcurrency);
      }
      if (!last && o.upstreamPreload === 'push') {
        await this.preloadByPush(this.upstream, from, size, Infinity, Math.min(4, o.preloadConcurrency));
      } else if (!last) {
        // Bounded like the last size: upstream slows down quadratically (minutes to 2,000 groups on a busy machine).
        await this.preloadByPush(this.upstream, from, size, o.upstreamPreloadBudgetS, Math.min(4, o.preloadConcurrency));
        if ((this.held.get('upstream') ?? 0) < size) {
          await this.upstreamFromSnapshot(size);
        }
      } else if (o.upstreamPreload === 'push') {
        await this.preloadByPush(this.upstream, from, size, o.upstreamPreloadBudgetS, Math.min(4, o.preloadConcurrency));
      } else {
        await this.preloadByPush(this.upstream, from, size, o.upstreamPreloadBudgetS, Math.min(4, o.preloadConcurrency));
        await this.upstreamFromSnapshot(size);
      }
      await this.scrapePhase(size, last ? o.largeScrapes : o.scrapes);
      for (const t of this.targets) {
        const mem = treeMemoryKiB(t.pid());
        const point: MemoryPoint = { server: t.name, groups: this.held.get(t.name) ?? 0, rssMiB: (mem?.rss ?? NaN) / 1024, hwmMiB: (mem?.hwm ?? NaN) / 1024 };
        this.results.memory.push(point);
        log(`  memory ${t.name.padEnd(13)} at ${point.groups} groups: VmRSS ${fmt(point.rssMiB)} MiB (peak ${fmt(point.hwmMiB)} MiB)`);
      }
      from = size;
    }
  }

  private async preloadByPush(t: Server, from: number, to: number, budgetS: number, concurrency: number): Promise<void> {
    const start = this.held.get(t.name) ?? 0;
    if (start >= to) {
      return;
    }
    const curve: PreloadStep['curve'] = [];
    const slice = Math.max(10, Math.round((to - start) / 20));
    let last = { done: 0, s: 0 };
    const run = await runPushes(t, {
      concurrency,
      max: to - start,
      budgetS: Number.isFinite(budgetS) ? budgetS : 24 * 3600,
      path: (i) => this.wl.path('bench', `g-${pad(start + i)}`),
      body: (i) => this.wl.body(start + i),
      progressEvery: slice,
      progress: (done, s) => {
        curve.push({ groups: start + done, ratePerS: (done - last.done) / (s - last.s) });
        last = { done, s };
      },
    });
    const reached = start + run.count + run.failed;
    this.held.set(t.name, reached);
    const step: PreloadStep = {
      server: t.name,
      from: start,
      to,
      reached,
      seconds: run.elapsedS,
      method: 'push',
      concurrency,
      curve,
      budgetHit: run.budgetHit,
    };
    this.results.preload.push(step);
    const tail = curve.length > 0 ? `, last slice ${fmt(curve[curve.length - 1].ratePerS)}/s` : '';
    log(
      `  ${t.name.padEnd(13)} ${start} -> ${reached} groups by push in ${fmt(run.elapsedS)} s (${fmt((reached - start) / run.elapsedS)}/s${tail})${run.budgetHit ? ` — time budget of ${budgetS} s hit` : ''}`,
    );
  }

  /**
   * Upstream would need hours to reach the full store by push (each push re-gathers the whole store), so
   * a helper upstream with the consistency check off takes the same groups and persists them; the
   * measured upstream (check on, default settings otherwise) is restarted from that file.
   */
  private async upstreamFromSnapshot(size: number, budgetS = 24 * 3600): Promise<boolean> {
    // One file per size: the upstream measured so far persists its own store to its file when stopped.
    const file = path.join(this.tmp, `upstream-${size}.snapshot`);
    const helper = await startUpstream({ bin: this.o.upstreamBin, name: 'upstream-helper', persistenceFile: file, disableConsistencyCheck: true });
    const started = Date.now();
    const run = await runPushes(helper, {
      concurrency: this.o.preloadConcurrency,
      max: size,
      budgetS,
      path: (i) => this.wl.path('bench', `g-${pad(i)}`),
      body: (i) => this.wl.body(i),
    });
    if (run.count < size) {
      await helper.stop();
      rmSync(file, { force: true });
      log(`  upstream helper reached only ${run.count} of ${size} groups in its ${budgetS} s budget`);
      return false;
    }
    // Upstream writes its persistence file on SIGTERM: 204 MiB at 100k groups, which once took
    // longer than the usual 10 s grace on this machine, so the helper gets 5 minutes.
    await helper.stop(300_000);
    if (!existsSync(file)) {
      throw new Error(`upstream helper wrote no persistence file:\n${helper.output()}`);
    }
    const pushedUpstream = this.held.get('upstream') ?? 0;
    await this.upstream.stop();
    this.upstream = await startUpstream({ bin: this.o.upstreamBin, persistenceFile: file });
    this.held.set('upstream', run.count);
    const seconds = (Date.now() - started) / 1000;
    this.results.servers.upstream = { ...this.results.servers.upstream, port: this.upstream.port, pid: this.upstream.pid(), restartedFromSnapshotAt: size };
    this.results.preload.push({
      server: 'upstream',
      from: 0,
      to: size,
      reached: run.count,
      seconds,
      method: 'snapshot-helper',
      concurrency: this.o.preloadConcurrency,
      curve: [],
      budgetHit: false,
      note: `helper upstream with --push.disable-consistency-check took ${run.count} pushes in ${fmt(run.elapsedS)} s and wrote ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB; the measured upstream (which had reached ${pushedUpstream} groups by push) was restarted from that file with --persistence.interval=1000h (nothing written during the run)`,
    });
    log(`  upstream restarted from a ${size}-group snapshot built in ${fmt(seconds)} s (pid ${this.upstream.pid()})`);
    return true;
  }

  /**
   * The scale stage (--scale-groups): our gateway preloaded to a store far beyond the full one
   * (bounded by --scale-budget), then a few bounded pushes at c=1 and c=16, scrapes and memory.
   * Upstream is measured the same way only if its snapshot helper builds the store within the
   * budget (pushing into the measured upstream would take days); otherwise ours only, said so.
   */
  private async scalePhase(): Promise<void> {
    const o = this.o;
    const size = o.scaleGroups;
    log(`scale stage: ${size} groups, preload budget ${o.scaleBudgetS} s per server`);
    const result: ScaleResult = { groups: size, series: size * this.wl.seriesPerGroup, preloadConcurrency: o.preloadConcurrency, servers: [] };
    const measure = async (t: Server, preloadS: number, preloadRate: number): Promise<void> => {
      const rates: number[] = [];
      for (const c of [1, 16]) {
        const prefix = `s${c}-`;
        const run = await runPushes(t, {
          concurrency: c,
          max: c === 1 ? 50 : 200,
          budgetS: 10,
          path: (i) => this.wl.path('bench_scale', prefix + pad(i)),
          body: (i) => this.wl.body(i),
        });
        rates.push(run.count / run.elapsedS);
        await this.deleteGroups(
          t,
          'bench_scale',
          Array.from({ length: run.count + run.failed }, (_, i) => prefix + pad(i)),
        );
      }
      await scrape(t, false);
      const lat: number[] = [];
      let bytes = NaN;
      for (let i = 0; i < 3; i++) {
        const s = await scrape(t, false);
        if (s !== undefined) {
          lat.push(s.ms);
          bytes = s.bytes;
          const count = countScrape(s.text);
          this.results.checks.seriesCountChecks++;
          if (count.pushTimeLines !== (this.held.get(t.name) ?? 0)) {
            this.results.checks.seriesCountFailures++;
          }
        }
      }
      const mem = treeMemoryKiB(t.pid());
      this.results.memory.push({
        server: t.name,
        groups: this.held.get(t.name) ?? 0,
        rssMiB: (mem?.rss ?? NaN) / 1024,
        hwmMiB: (mem?.hwm ?? NaN) / 1024,
        scale: true,
      });
      const entry = {
        server: t.name,
        preloadS,
        preloadRate,
        pushC1: rates[0],
        pushC16: rates[1],
        scrapeP50Ms: percentile(lat, 50),
        scrapeMiB: bytes / 2 ** 20,
        rssMiB: (mem?.rss ?? NaN) / 1024,
      };
      result.servers.push(entry);
      log(
        `  ${t.name} at ${this.held.get(t.name)} groups: push ${fmt(entry.pushC1)}/s (c=1), ${fmt(entry.pushC16)}/s (c=16); scrape p50 ${fmt(entry.scrapeP50Ms)} ms; VmRSS ${fmt(entry.rssMiB)} MiB`,
      );
    };
    const before = this.held.get(this.ours.name) ?? 0;
    const started = Date.now();
    await this.preloadByPush(this.ours, before, size, o.scaleBudgetS, o.preloadConcurrency);
    const preloadS = (Date.now() - started) / 1000;
    await measure(this.ours, preloadS, ((this.held.get(this.ours.name) ?? 0) - before) / preloadS);
    result.groups = this.held.get(this.ours.name) ?? 0;
    result.series = result.groups * this.wl.seriesPerGroup;
    const upStarted = Date.now();
    if (await this.upstreamFromSnapshot(size, o.scaleBudgetS)) {
      const upS = (Date.now() - upStarted) / 1000;
      await measure(this.upstream, upS, size / upS);
      result.note = `upstream built by its snapshot helper (consistency check off) and restarted from the file, as at ${o.groups} groups`;
    } else {
      result.note = `ours only: upstream's snapshot helper could not build ${size} groups within ${o.scaleBudgetS} s`;
    }
    this.results.scale = result;
  }

  /** Phase 3: sequential GET /metrics, plain and gzip, servers alternating every scrape. */
  private async scrapePhase(size: number, n: number): Promise<void> {
    const points = new Map<string, ScrapePoint & { lat: number[]; bytesAll: number[]; decodedAll: number[] }>();
    for (const t of this.targets) {
      // One unmeasured scrape: a cold cache after the preload (reported as firstMs).
      const first = await scrape(t, false);
      for (const gzip of [false, true]) {
        const groups = this.held.get(t.name) ?? 0;
        points.set(`${t.name}/${gzip}`, {
          server: t.name,
          groups,
          gzip,
          samples: 0,
          p50Ms: NaN,
          p99Ms: NaN,
          bytes: NaN,
          decodedBytes: NaN,
          firstMs: gzip ? undefined : first?.ms,
          expectedBenchLines: groups * this.wl.linesPerGroup,
          expectedGroups: groups,
          countOk: 0,
          countBad: 0,
          cpu: emptyCpu(),
          lat: [],
          bytesAll: [],
          decodedAll: [],
        });
      }
    }
    for (let i = 0; i < n; i++) {
      for (const gzip of i % 2 === 0 ? [false, true] : [true, false]) {
        for (const t of rotate(this.targets, i)) {
          const p = points.get(`${t.name}/${gzip}`) as ScrapePoint & { lat: number[]; bytesAll: number[]; decodedAll: number[] };
          const { result, cpu } = await metered(t, () => scrape(t, gzip));
          p.cpu = addCpu(p.cpu, cpu);
          if (result === undefined) {
            p.countBad++;
            continue;
          }
          p.lat.push(result.ms);
          p.bytesAll.push(result.bytes);
          p.decodedAll.push(result.text.length);
          const count = countScrape(result.text);
          this.results.checks.seriesCountChecks++;
          if (count.benchLines === p.expectedBenchLines && count.pushTimeLines === p.expectedGroups && (!gzip || result.gzip)) {
            p.countOk++;
          } else {
            p.countBad++;
            this.results.checks.seriesCountFailures++;
            p.badExample ??= `got ${count.benchLines} bench_ lines and ${count.pushTimeLines} push_time_seconds lines, expected ${p.expectedBenchLines} and ${p.expectedGroups}${gzip && !result.gzip ? ', and the answer was not gzip' : ''}`;
          }
        }
      }
    }
    for (const p of points.values()) {
      const { lat, bytesAll, decodedAll, ...rest } = p;
      const point: ScrapePoint = {
        ...rest,
        samples: lat.length,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        bytes: median(bytesAll),
        decodedBytes: median(decodedAll),
      };
      this.results.scrape.push(point);
      log(
        `  scrape ${point.server.padEnd(13)} ${String(point.groups).padStart(6)} groups ${point.gzip ? 'gzip ' : 'plain'}: p50 ${fmt(point.p50Ms, 2)} ms, p99 ${fmt(point.p99Ms, 2)} ms, ${fmt(point.bytes / 1024)} KiB${point.firstMs === undefined ? '' : `, first ${fmt(point.firstMs, 1)} ms`}; series check ${point.countOk}/${point.countOk + point.countBad}${point.badExample ? ` (${point.badExample})` : ''}`,
      );
    }
  }

  /**
   * Phase 5: a second gateway process on the same database. Each check pushes a unique value to
   * replica A and at once scrapes replica B; a scrape without the value is a read-after-write miss.
   */
  private async replicaPhase(): Promise<void> {
    const o = this.o;
    log(`phase 5: replicas (${o.replicaChecks} checks)`);
    const a = this.ours;
    const b = await startOurs({
      name: 'ours-pg-replica',
      entry: this.entry,
      databaseUrl: this.db.url,
      dataDir: path.join(this.tmp, 'unused'),
      backendPids: () => this.db.backendPids(),
      env: this.oursEnv(),
    });
    try {
      const cold = await scrape(b, false);
      const idle: number[] = [];
      for (let i = 0; i < o.replicaChecks; i++) {
        const s = await scrape(b, false);
        if (s !== undefined) {
          idle.push(s.ms);
        }
      }
      const cross: number[] = [];
      const same: number[] = [];
      const push: number[] = [];
      const missExamples: string[] = [];
      let misses = 0;
      const instances = new Set<string>();
      for (let i = 0; i < 2 * o.replicaChecks; i++) {
        const reader = i % 2 === 0 ? b : a;
        const instance = `r-${i % 10}`;
        instances.add(instance);
        const value = 100000 + i * 1000 + Math.floor(Math.random() * 1000);
        const put = await checkedRequest(a, 'PUT', this.wl.path('bench_replica', instance), this.wl.markerBody(i, value));
        if (put === undefined || put.status !== 200) {
          continue;
        }
        push.push(put.ms);
        const s = await scrape(reader, false);
        if (s === undefined) {
          continue;
        }
        (reader === b ? cross : same).push(s.ms);
        const seen = findMarker(s.text, instance);
        if (seen === undefined || Number(seen) !== value) {
          misses++;
          if (missExamples.length < 5) {
            missExamples.push(`${reader.name} after push ${i} to ${instance}: expected ${value}, saw ${seen ?? 'nothing'}`);
          }
        }
      }
      await this.deleteGroups(a, 'bench_replica', [...instances]);
      const stat = (xs: number[]): { p50: number; p99: number; samples: number } => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), samples: xs.length });
      const result: ReplicaResult = {
        checks: cross.length + same.length,
        misses,
        missExamples,
        pushMs: { p50: percentile(push, 50), p99: percentile(push, 99) },
        idle: stat(idle),
        crossReplica: stat(cross),
        sameReplica: stat(same),
        addedP50Ms: percentile(cross, 50) - percentile(idle, 50),
        addedVsSameP50Ms: percentile(cross, 50) - percentile(same, 50),
        coldFirstScrapeMs: cold?.ms ?? NaN,
        groups: this.held.get(a.name) ?? 0,
      };
      this.results.replica = result;
      log(
        `  misses ${misses}/${result.checks}; replica B scrape p50 idle ${fmt(result.idle.p50, 2)} ms, right after a push to A ${fmt(result.crossReplica.p50, 2)} ms (A after its own push ${fmt(result.sameReplica.p50, 2)} ms); cold first scrape ${fmt(result.coldFirstScrapeMs)} ms`,
      );
    } finally {
      await b.stop();
    }
  }

  private finished: Promise<void> | undefined;

  /** Stops every server and drops the database (once, however often called). */
  finish(): Promise<void> {
    this.finished ??= this.doFinish();
    return this.finished;
  }

  private async doFinish(): Promise<void> {
    for (const t of [this.ours, this.upstream, this.embedded]) {
      await t?.stop().catch(() => undefined);
    }
    if (this.db !== undefined) {
      if (this.o.keepDb) {
        await this.db.close();
        log(`kept database ${this.db.name} (${redact(this.db.url)})`);
      } else {
        await this.db.drop().catch((e: unknown) => log(`could not drop ${this.db.name}: ${(e as Error).message}`));
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }

  report(): string {
    const r = this.results;
    r.durationS = (Date.now() - T0) / 1000;
    (r.meta.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    r.checks.non2xx = errors.non2xx;
    r.checks.transportErrors = errors.transport;
    r.checks.errorSamples = errors.samples;
    r.checks.replicaMisses = r.replica?.misses;
    r.checks.passed = errors.non2xx === 0 && errors.transport === 0 && r.checks.seriesCountFailures === 0 && (r.replica?.misses ?? 0) === 0;
    r.targets = evaluateTargets(r, this.o);
    return renderReport(r, this.o);
  }

  writeJson(): string[] {
    const dir = path.resolve(ROOT, this.o.resultsDir);
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(this.results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
    const files = [path.join(dir, `${this.runId}${this.o.quick ? '-quick' : ''}.json`)];
    // A quick run is a smoke test: its figures must not replace the committed full-run figures.
    if (!this.o.noLatest && !this.o.quick) {
      files.push(path.join(dir, 'latest.json'));
    }
    for (const f of files) {
      writeFileSync(f, json);
    }
    return files;
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') {
      u.password = '***';
    }
    return u.toString();
  } catch {
    return url;
  }
}

function oursVersion(): Record<string, unknown> {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return {
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', 'src', 'migrations']) !== '',
    node: process.version,
  };
}

async function main(): Promise<void> {
  let options: BenchOptions;
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (error instanceof OptionsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Checked before anything is started or created: a missing binary would otherwise surface as an
  // unhandled spawn error after the bench database exists.
  if (!existsSync(options.upstreamBin)) {
    process.stderr.write(
      `upstream Pushgateway not found at ${options.upstreamBin}: install Debian's prometheus-pushgateway (.ci/run does) or pass --upstream-bin\n`,
    );
    process.exit(2);
  }
  const bench = new Bench(options);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      killAllChildren();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping servers and dropping the database`);
    killAllChildren();
    void bench.finish().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllChildren);
  let failure: unknown;
  try {
    await bench.run();
  } catch (error) {
    failure = error;
  }
  await bench.finish();
  if (failure !== undefined) {
    process.stderr.write(`bench failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
    if (errors.samples.length > 0) {
      process.stderr.write(`errors seen:\n  ${errors.samples.join('\n  ')}\n`);
    }
    process.exit(1);
  }
  const table = bench.report();
  const files = bench.writeJson();
  process.stdout.write(`${table}\nresults: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  process.exit(bench.results.checks.passed ? 0 : 1);
}

void main();
