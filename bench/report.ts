import { CpuUse } from './load';
import { BenchOptions } from './options';
import { BenchResults, PushPoint, ScrapePoint, TargetCheck } from './results';

const OURS = 'ours-pg';
const UP = 'upstream';
const EMB = 'ours-embedded';

const fmt = (n: number | undefined, d = 1): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));
const ms = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
const ratio = (a: number | undefined, b: number | undefined): number => (a === undefined || b === undefined || b === 0 ? NaN : a / b);

function pushOf(points: PushPoint[], server: string, c: number): PushPoint | undefined {
  return points.find((p) => p.server === server && p.concurrency === c);
}

function scrapeOf(points: ScrapePoint[], server: string, size: number, gzip: boolean): ScrapePoint | undefined {
  // Upstream may hold fewer groups than asked in push-preload mode: match by the size step, not the held count.
  const ofServer = points.filter((p) => p.server === server && p.gzip === gzip);
  const sizes = [...new Set(points.filter((p) => p.server === OURS).map((p) => p.groups))].sort((a, b) => a - b);
  const index = sizes.indexOf(size);
  return ofServer[index];
}

/** Memory points measured at the scrape sizes (not idle, not the scale stage). */
function sizedMemory(r: BenchResults, server: string): BenchResults['memory'] {
  return r.memory.filter((m) => m.server === server && m.idle !== true && m.scale !== true);
}

/** The scrape size the "memory at 2,000 groups" target is read at: the one nearest 2,000 below the full store. */
export function middleSize(o: BenchOptions): number | undefined {
  const below = o.scrapeSizes.filter((x) => x < o.groups);
  return below.length === 0 ? undefined : below.reduce((best, x) => (Math.abs(x - 2000) < Math.abs(best - 2000) ? x : best));
}

/** Issue 14's targets, evaluated on this run's medians. */
export function evaluateTargets(r: BenchResults, o: BenchOptions): TargetCheck[] {
  const out: TargetCheck[] = [];
  const upHeld = sizedMemory(r, UP).at(-1)?.groups ?? 0;
  const shortNote = upHeld < o.groups ? `upstream held only ${upHeld} groups (push preload budget): ratio flatters upstream` : undefined;
  for (const c of o.concurrency) {
    const oe = pushOf(r.pushEmpty, OURS, c);
    const ue = pushOf(r.pushEmpty, UP, c);
    const goal = c === 1 ? 1 : 2;
    const emptyRatio = ratio(oe?.throughput, ue?.throughput);
    out.push({
      name: `push throughput into the empty store, c=${c}`,
      goal: `>= ${goal.toFixed(1)}x upstream`,
      ours: oe?.throughput ?? NaN,
      upstream: ue?.throughput,
      ratio: emptyRatio,
      met: emptyRatio >= goal,
    });
  }
  for (const c of o.concurrency) {
    const of = pushOf(r.pushFull, OURS, c);
    const uf = pushOf(r.pushFull, UP, c);
    const oe = pushOf(r.pushEmpty, OURS, c);
    const fullRatio = ratio(of?.throughput, uf?.throughput);
    out.push({
      name: `push throughput into ${o.groups} groups, c=${c}`,
      goal: '>= 250x upstream',
      ours: of?.throughput ?? NaN,
      upstream: uf?.throughput,
      ratio: fullRatio,
      met: fullRatio >= 250,
      note: shortNote,
    });
    const own = ratio(of?.throughput, oe?.throughput);
    out.push({
      name: `push throughput into ${o.groups} groups vs our empty store, c=${c}`,
      goal: '>= 0.9x our empty-store figure',
      ours: of?.throughput ?? NaN,
      upstream: undefined,
      ratio: own,
      met: own >= 0.9,
      note: `ours empty ${fmt(oe?.throughput)}/s`,
    });
  }
  const idle = r.memory.find((m) => m.server === OURS && m.idle === true);
  const upIdle = r.memory.find((m) => m.server === UP && m.idle === true);
  out.push({
    name: 'resident memory (VmRSS) idle, MiB',
    goal: '<= 60 MiB',
    ours: idle?.rssMiB ?? NaN,
    upstream: upIdle?.rssMiB,
    ratio: ratio(idle?.rssMiB, upIdle?.rssMiB),
    met: (idle?.rssMiB ?? Infinity) <= 60,
    note: o.workers > 1 ? `sum over the primary and ${o.workers} workers` : undefined,
  });
  const mid = middleSize(o);
  const memAt = (size: number | undefined): [number | undefined, number | undefined] => {
    const index = size === undefined ? -1 : o.scrapeSizes.indexOf(size);
    return [sizedMemory(r, OURS)[index]?.rssMiB, sizedMemory(r, UP)[index]?.rssMiB];
  };
  for (const [size, goal] of [
    [mid, 1.2],
    [o.groups, 0.6],
  ] as const) {
    const [ours, up] = memAt(size);
    const mr = ratio(ours, up);
    out.push({
      name: `resident memory (VmRSS) at ${size ?? 'n/a'} groups, MiB`,
      goal: `<= ${goal}x upstream`,
      ours: ours ?? NaN,
      upstream: up,
      ratio: mr,
      met: mr <= goal,
      note: 'PostgreSQL server memory not included (shared, holds the data)',
    });
  }
  for (const gzip of [false, true]) {
    const os = scrapeOf(r.scrape, OURS, o.groups, gzip);
    const us = scrapeOf(r.scrape, UP, o.groups, gzip);
    const sr = ratio(os?.p50Ms, us?.p50Ms);
    out.push({
      name: `scrape p50 at ${o.groups} groups, ${gzip ? 'gzip' : 'plain'}`,
      goal: '<= 0.05x upstream',
      ours: os?.p50Ms ?? NaN,
      upstream: us?.p50Ms,
      ratio: sr,
      met: sr <= 0.05,
      note: shortNote,
    });
  }
  if (r.replica !== undefined) {
    out.push({ name: 'replica read-after-write misses', goal: '0', ours: r.replica.misses, met: r.replica.misses === 0 && r.replica.checks > 0 });
  }
  out.push({
    name: 'non-2xx answers and transport errors',
    goal: '0',
    ours: r.checks.non2xx + r.checks.transportErrors,
    met: r.checks.non2xx + r.checks.transportErrors === 0,
  });
  const scale = r.scale;
  out.push({
    name: `scale stage (${o.scaleGroups || 100000} groups): push rate, scrape p50, memory`,
    goal: 'measured',
    ours: scale?.groups ?? NaN,
    met: scale !== undefined && scale.groups >= (o.scaleGroups || Infinity),
    note: scale === undefined ? 'not run (skipped by --scale-groups 0, --quick or --only-empty)' : undefined,
  });
  return out;
}

function table(rows: string[][], align: ('l' | 'r')[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (align[i] === 'l' ? (cell ?? '').padEnd(widths[i]) : (cell ?? '').padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Which side limited a measured point, from CPU used per second of wall time. */
export function bottleneck(cpu: CpuUse, server: string, cores: number): string {
  if (cpu.wallS <= 0) {
    return 'n/a';
  }
  const client = cpu.clientS / cpu.wallS;
  const srv = cpu.serverS / cpu.wallS;
  const db = cpu.databaseS / cpu.wallS;
  const machine = cpu.machineTotalS > 0 ? cpu.machineBusyS / cpu.machineTotalS : NaN;
  const other = Math.max(0, (cpu.machineBusyS - cpu.clientS - cpu.serverS - cpu.databaseS) / cpu.wallS);
  // Node runs JavaScript on one thread: ~1 core is its ceiling. Go and PostgreSQL can use every core.
  const serverCap = server === UP ? cores : 1;
  const parts: [string, number][] = [
    ['load generator', client / 1],
    ['server', srv / serverCap],
    ['postgres', db / cores],
  ];
  parts.sort((a, b) => b[1] - a[1]);
  const notes: string[] = [];
  if (other > 0.3) {
    notes.push(`other processes ${fmt(other * 100, 0)}% of a core`);
  }
  let verdict: string;
  if (parts[0][1] >= 0.85) {
    verdict = `${parts[0][0]}-bound`;
  } else if (machine >= 0.9) {
    verdict = 'machine saturated';
  } else {
    verdict = `no side saturated (latency-bound; busiest: ${parts[0][0]})`;
  }
  return notes.length > 0 ? `${verdict}; ${notes.join(', ')}` : verdict;
}

export function renderReport(r: BenchResults, o: BenchOptions): string {
  const servers = [OURS, UP, ...(Object.keys(r.servers).includes(EMB) ? [EMB] : [])];
  const hasEmb = servers.includes(EMB);
  const machine = r.meta.machine as Record<string, unknown>;
  const cores = Number(machine.cpuCount) || 1;
  const lines: string[] = [];
  lines.push('');
  lines.push(`Pushgateway benchmark ${String(r.meta.runId)}${o.quick ? ' (QUICK: small sizes, smoke run only)' : ''}`);
  lines.push(
    `machine: ${String(machine.cpuModel)}, ${cores} cores, ${String(machine.memoryGiB)} GiB, ${String(machine.kernel)}, node ${String(machine.node)}; load average at start ${JSON.stringify(machine.loadAverage)}, at end ${JSON.stringify(machine.loadAverageAtEnd)}`,
  );
  const ours = r.meta.ours as Record<string, unknown>;
  lines.push(`ours: commit ${String(ours.commit)}${ours.dirty ? ' (+ uncommitted changes in src/)' : ''}; upstream: ${String(r.meta.upstream)} (memory only)`);
  const wl = r.workload;
  lines.push(
    `workload: ${String(wl.familyMix)}, ${String(wl.labelsPerSeries)} labels/series; ${String(wl.seriesPerGroup)} series = ${String(wl.sampleLinesPerGroup)} sample lines per group; ${String(wl.bodyBytes)} B bodies, ${String(wl.format)}; full store ${o.groups} groups = ${o.groups * Number(wl.seriesPerGroup)} series`,
  );
  lines.push(
    `duration ${fmt(r.durationS, 0)} s; throughput = median of ${o.rounds} rounds (alternating in the empty store); latency percentiles pooled over rounds`,
  );
  lines.push('');

  const header = ['measure', ...servers.flatMap((s) => (s === OURS ? [s] : s === UP ? [s, 'ours/up'] : [s, 'emb/up']))];
  const rows: string[][] = [header];
  const add = (label: string, values: Record<string, number | undefined>, f: (n: number | undefined) => string): void => {
    const row = [label];
    for (const s of servers) {
      row.push(f(values[s]));
      if (s === UP) {
        row.push(fmt(ratio(values[OURS], values[UP]), 2));
      }
      if (s === EMB) {
        row.push(fmt(ratio(values[EMB], values[UP]), 2));
      }
    }
    rows.push(row);
  };
  const pushRows = (kind: 'empty' | 'full', points: PushPoint[]): void => {
    for (const c of o.concurrency) {
      const by = (s: string): PushPoint | undefined => pushOf(points, s, c);
      const where = kind === 'empty' ? 'empty store' : `${o.groups} groups`;
      add(`push ${where}, c=${c}: pushes/s`, Object.fromEntries(servers.map((s) => [s, by(s)?.throughput])), (n) => fmt(n));
      add(`  p50 latency ms`, Object.fromEntries(servers.map((s) => [s, by(s)?.p50Ms])), ms);
      add(`  p99 latency ms`, Object.fromEntries(servers.map((s) => [s, by(s)?.p99Ms])), ms);
      add(`  pushes measured`, Object.fromEntries(servers.map((s) => [s, by(s)?.samples])), (n) => fmt(n, 0));
    }
  };
  pushRows('empty', r.pushEmpty);
  pushRows('full', r.pushFull);
  for (const size of o.scrapeSizes) {
    for (const gzip of [false, true]) {
      const by = (s: string): ScrapePoint | undefined => scrapeOf(r.scrape, s, size, gzip);
      const tag = `scrape ${size} groups ${gzip ? 'gzip' : 'plain'}`;
      add(`${tag}: p50 ms`, Object.fromEntries(servers.map((s) => [s, by(s)?.p50Ms])), ms);
      add(`  p99 ms`, Object.fromEntries(servers.map((s) => [s, by(s)?.p99Ms])), ms);
      add(`  size KiB`, Object.fromEntries(servers.map((s) => [s, (by(s)?.bytes ?? NaN) / 1024])), (n) => fmt(n, 0));
      if (!gzip) {
        add(`  first scrape after preload ms`, Object.fromEntries(servers.map((s) => [s, by(s)?.firstMs])), ms);
      }
    }
  }
  add('VmRSS idle MiB', Object.fromEntries(servers.map((s) => [s, r.memory.find((m) => m.server === s && m.idle === true)?.rssMiB])), (n) => fmt(n));
  for (const size of o.scrapeSizes) {
    const index = o.scrapeSizes.indexOf(size);
    const mem = (s: string): number | undefined => sizedMemory(r, s)[index]?.rssMiB;
    add(`VmRSS at ${size} groups MiB`, Object.fromEntries(servers.map((s) => [s, mem(s)])), (n) => fmt(n));
  }
  lines.push(table(rows, ['l', ...header.slice(1).map(() => 'r' as const)]));
  const upHeld = sizedMemory(r, UP).map((m) => m.groups);
  if (upHeld.at(-1) !== o.groups) {
    lines.push(`NOTE: upstream held ${upHeld.join(', ')} groups at the scrape steps (push preload budget), not ${o.scrapeSizes.join(', ')}.`);
  }
  lines.push('');

  lines.push('Targets (issue 14)');
  lines.push(
    table(
      [
        ['target', 'goal', 'ours', 'upstream', 'ratio', 'met'],
        ...r.targets.map((t) => [
          t.name,
          t.goal,
          fmt(t.ours, Number.isInteger(t.ours) ? 0 : 1),
          t.upstream === undefined ? '' : fmt(t.upstream, 1),
          t.ratio === undefined ? '' : fmt(t.ratio, 2),
          t.met ? 'MET' : 'NOT MET',
        ]),
      ],
      ['l', 'l', 'r', 'r', 'r', 'l'],
    ),
  );
  for (const t of r.targets.filter((x) => x.note !== undefined)) {
    lines.push(`  (${t.name}: ${t.note})`);
  }
  lines.push('  query targets: see bench/query-*.ts (query side, against Prometheus)');
  lines.push('');
  if (r.scale !== undefined) {
    lines.push(...renderScale(r));
  }

  lines.push('Preloads (not measured as throughput)');
  for (const p of r.preload) {
    const curve =
      p.curve.length > 0 ? `; rate ${fmt(p.curve[0].ratePerS)}/s at first, ${fmt(p.curve.at(-1)?.ratePerS)}/s at ${p.curve.at(-1)?.groups} groups` : '';
    lines.push(
      `  ${p.server.padEnd(13)} ${p.method.padEnd(15)} ${String(p.from).padStart(6)} -> ${String(p.reached).padStart(6)} groups (asked ${p.to}) in ${fmt(p.seconds)} s at c=${p.concurrency}${curve}${p.budgetHit ? ' — TIME BUDGET HIT' : ''}`,
    );
    if (p.note !== undefined) {
      lines.push(`    ${p.note}`);
    }
  }
  lines.push('');

  if (r.replica !== undefined) {
    const rp = r.replica;
    lines.push(`Replicas (two ours-pg processes on one database, ${rp.groups} groups stored)`);
    lines.push(`  read-after-write misses: ${rp.misses} of ${rp.checks} scrapes${rp.missExamples.length > 0 ? ` (${rp.missExamples.join('; ')})` : ''}`);
    lines.push(`  push to A: p50 ${ms(rp.pushMs.p50)} ms, p99 ${ms(rp.pushMs.p99)} ms`);
    lines.push(`  scrape B, nothing changed:       p50 ${ms(rp.idle.p50)} ms, p99 ${ms(rp.idle.p99)} ms (${rp.idle.samples})`);
    lines.push(`  scrape B right after push to A:  p50 ${ms(rp.crossReplica.p50)} ms, p99 ${ms(rp.crossReplica.p99)} ms (${rp.crossReplica.samples})`);
    lines.push(`  scrape A right after push to A:  p50 ${ms(rp.sameReplica.p50)} ms, p99 ${ms(rp.sameReplica.p99)} ms (${rp.sameReplica.samples})`);
    lines.push(`  added scrape latency on B: ${ms(rp.addedP50Ms)} ms at p50 vs idle, ${ms(rp.addedVsSameP50Ms)} ms vs scraping the replica that took the push`);
    lines.push(`  B's first (cold) scrape: ${ms(rp.coldFirstScrapeMs)} ms`);
    lines.push('');
  }

  const c = r.checks;
  lines.push(
    `Honesty checks: non-2xx answers ${c.non2xx}, transport errors ${c.transportErrors}, scrape series counts ${c.seriesCountChecks - c.seriesCountFailures}/${c.seriesCountChecks} as expected${c.replicaMisses === undefined ? '' : `, replica misses ${c.replicaMisses}`} => ${c.passed ? 'PASSED' : 'FAILED'}`,
  );
  for (const s of c.errorSamples) {
    lines.push(`  ${s}`);
  }
  lines.push('');

  lines.push(`CPU while measuring (% of one core; ${cores} cores; "other" = rest of the machine)`);
  const cpuRows: string[][] = [['point', 'server', 'wall s', 'load gen', 'server', 'postgres', 'other', 'verdict']];
  const cpuRow = (label: string, server: string, cpu: CpuUse): void => {
    const pct = (x: number): string => fmt((x / cpu.wallS) * 100, 0);
    const other = Math.max(0, cpu.machineBusyS - cpu.clientS - cpu.serverS - cpu.databaseS);
    cpuRows.push([
      label,
      server,
      fmt(cpu.wallS, 1),
      pct(cpu.clientS),
      pct(cpu.serverS),
      server === UP ? '-' : pct(cpu.databaseS),
      pct(other),
      bottleneck(cpu, server, cores),
    ]);
  };
  for (const p of r.pushEmpty) {
    cpuRow(`push empty c=${p.concurrency}`, p.server, p.cpu);
  }
  for (const p of r.pushFull) {
    cpuRow(`push ${o.groups} c=${p.concurrency}`, p.server, p.cpu);
  }
  for (const gzip of [false, true]) {
    for (const s of servers) {
      const p = scrapeOf(r.scrape, s, o.groups, gzip);
      if (p !== undefined) {
        cpuRow(`scrape ${o.groups} ${gzip ? 'gzip' : 'plain'}`, s, p.cpu);
      }
    }
  }
  lines.push(table(cpuRows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']));
  if (hasEmb) {
    lines.push('(ours-embedded runs PGlite inside its own process: its database work is in the server column)');
  }
  lines.push('');
  return lines.join('\n');
}

/** The scale stage: our cost at a store far beyond the full one (upstream only if it fit its budget). */
function renderScale(r: BenchResults): string[] {
  const sc = r.scale;
  if (sc === undefined) {
    return [];
  }
  const lines = [`Scale stage: ${sc.groups} groups (${sc.series} series)`];
  for (const p of sc.servers) {
    lines.push(
      `  ${p.server.padEnd(13)} preload ${fmt(p.preloadS)} s (${fmt(p.preloadRate)}/s at c=${sc.preloadConcurrency}); ` +
        `push c=1 ${fmt(p.pushC1)}/s, c=16 ${fmt(p.pushC16)}/s; scrape p50 ${ms(p.scrapeP50Ms)} ms (${fmt(p.scrapeMiB)} MiB); VmRSS ${fmt(p.rssMiB)} MiB`,
    );
  }
  if (sc.note !== undefined) {
    lines.push(`  ${sc.note}`);
  }
  lines.push('');
  return lines;
}
