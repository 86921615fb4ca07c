/**
 * Micro-benchmark of the per-push exposition work on the push-profile workload (10 families: one
 * classic histogram with 5 buckets, gauges and counters, 2 labels besides job/instance): ns per
 * family (or per body) for each case, best and median of several rounds. A measuring tool, not a
 * test: nothing here asserts a time.
 *
 *   npm run build && node dist/bench/encode-bench.js [--rounds 15] [--ms 200]
 */
import { encodeFamilyDelimited, encodeFamilyDelimitedReflective } from 'src/core/exposition/protobuf-delimited';
import { encodeSamples } from 'src/core/exposition/text-encoder';
import { parseText } from 'src/core/exposition/text-parser';
import { MetricFamily } from 'src/core/model/metric-family';
import { Workload } from './workload';

interface Case {
  name: string;
  /** What one call handles, for the unit of the figures. */
  unit: string;
  items: number;
  run(i: number): unknown;
}

function parseArgs(argv: string[]): { rounds: number; ms: number } {
  const out = { rounds: 15, ms: 200 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') {
      out.rounds = Number(argv[++i]);
    } else if (argv[i] === '--ms') {
      out.ms = Number(argv[++i]);
    } else {
      throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}

/** Families as the gateway holds them after a push: job and instance labels first. */
function pushedFamilies(wl: Workload, seed: number): MetricFamily[] {
  return parseText(wl.body(seed)).map((f) => ({
    ...f,
    metric: f.metric.map((m) => ({ ...m, label: [{ name: 'instance', value: `g-${seed % 1000}` }, { name: 'job', value: 'bench' }, ...m.label] })),
  }));
}

/** ns per call of `c.run`, over `ms` milliseconds per round. */
function round(c: Case, ms: number): number {
  let calls = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms * 1e6);
  let now = start;
  while (now < end) {
    for (let k = 0; k < 256; k++) {
      sink ^= c.run(calls++) === undefined ? 1 : 0;
    }
    now = process.hrtime.bigint();
  }
  if (sink === -1) {
    console.log(sink); // keeps the results alive
  }
  return Number(now - start) / calls;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const wl = new Workload({ families: 10, seriesPerFamily: 1, labels: 2, buckets: 5 });
  const bodies = Array.from({ length: 64 }, (_, seed) => wl.body(seed));
  const families = Array.from({ length: 64 }, (_, seed) => pushedFamilies(wl, seed)).flat();
  const n = families.length;
  const cases: Case[] = [
    { name: 'protobuf encode, protobufjs reflection (old)', unit: 'family', items: 1, run: (i) => encodeFamilyDelimitedReflective(families[i % n]) },
    { name: 'protobuf encode, hand-written (new)', unit: 'family', items: 1, run: (i) => encodeFamilyDelimited(families[i % n]) },
    { name: 'text encodeSamples', unit: 'family', items: 1, run: (i) => encodeSamples(families[i % n]) },
    { name: 'text parseText', unit: 'body', items: 1, run: (i) => parseText(bodies[i % bodies.length]) },
  ];
  for (const c of cases) {
    round(c, args.ms); // warm-up
  }
  const results = cases.map((c) => ({ c, times: [] as number[] }));
  for (let r = 0; r < args.rounds; r++) {
    for (const res of results) {
      res.times.push(round(res.c, args.ms));
    }
  }
  console.log(`workload: ${bodies[0].length} B text bodies, 10 families each; ${args.rounds} rounds of ${args.ms} ms, interleaved`);
  for (const { c, times } of results) {
    times.sort((a, b) => a - b);
    const best = times[0];
    const median = times[Math.floor(times.length / 2)];
    console.log(`${c.name.padEnd(48)} best ${best.toFixed(0).padStart(6)} ns/${c.unit}, median ${median.toFixed(0).padStart(6)} ns/${c.unit}`);
  }
}

main();
