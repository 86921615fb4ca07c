/**
 * The gateway's CPU per push without HTTP or PostgreSQL: the steps `IngestService.push` and
 * `MetricGroupRepository.applyPush` run before the statement goes on the wire (parse, sanitise,
 * validate, plan the consistency check, the history arguments, the statement with its encoded
 * parameters), on the benchmark's workload, in one process. Repeatable to a few percent on a
 * shared machine, where push-profile.ts's CPU per push varies by 10-20%: the A/B tool for changes to
 * those steps. Prints microseconds per push (median of --runs runs) and per step.
 *
 *   npm run build && node dist/bench/push-pipeline.js [--pushes 5000] [--runs 7] [--batch 16]
 */
import { parseText } from 'src/core/exposition/text-parser';
import { sanitizeFamilies } from 'src/core/grouping/sanitize';
import { validatePushedFamilies } from 'src/core/consistency/validate-push';
import { planPushCheck } from 'src/core/consistency/push-check';
import { canonicalLabels, exposedGroupLabels } from 'src/core/grouping/grouping-key';
import { parseGroupingPath } from 'src/core/grouping/grouping-path';
import { batchStatement, probeStatement, PushWrite } from 'src/storage/push-statements';
import { HistoryWriter } from 'src/storage/history-writer';
import { HistoryPartitions } from 'src/storage/history-partitions';
import type { AppConfig } from 'src/config/env.schema';
import type { Database } from 'src/storage/database';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { Workload } from './workload';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const STEPS = ['parse', 'sanitise+validate', 'plan', 'history args', 'statement'] as const;

async function main(): Promise<void> {
  const pushes = arg('pushes', 5000);
  const runs = arg('runs', 7);
  const batch = arg('batch', 16);
  const wl = new Workload({ families: 10, seriesPerFamily: 1, labels: 2, buckets: 5 });
  const bodies = Array.from({ length: 64 }, (_, i) => wl.body(i));
  // The gateway's own families, which every push is checked against as in the service.
  const own = await new GatewayMetrics().types();
  // The writer only needs its partitions' day cache and the recording flag here: no database call.
  const partitions = new HistoryPartitions(undefined as unknown as Database);
  const history = new HistoryWriter(undefined as unknown as Database, { history: { enabled: true } } as AppConfig, partitions);
  const day = 86_400_000;
  partitions.markKnown([Math.floor(Date.now() / day) * day, Math.floor(Date.now() / day) * day + day]);

  const perStep = new Map<string, number[]>(STEPS.map((s) => [s, []]));
  const totals: number[] = [];
  let sink = 0;
  for (let r = 0; r < runs + 1; r++) {
    const spent = new Map<string, bigint>(STEPS.map((s) => [s, 0n]));
    const time = <T>(step: string, f: () => T): T => {
      const t0 = process.hrtime.bigint();
      const out = f();
      spent.set(step, (spent.get(step) as bigint) + process.hrtime.bigint() - t0);
      return out;
    };
    const t0 = process.hrtime.bigint();
    let pending: { write: PushWrite; history: ReturnType<HistoryWriter['pushArgs']> }[] = [];
    for (let i = 0; i < pushes; i++) {
      const labels = parseGroupingPath(`job/bench_push/instance/p-${r}-${i}`, {});
      const exposedLabels = exposedGroupLabels(labels, undefined);
      const group = { tenant: '', groupingKey: canonicalLabels(labels), exposedLabels, exposedKey: canonicalLabels(exposedLabels), labels };
      const families = time('parse', () => parseText(bodies[i % bodies.length]));
      const sanitized = time('sanitise+validate', () => {
        const s = sanitizeFamilies(families, labels);
        validatePushedFamilies(s, {});
        return s;
      });
      const plan = time('plan', () => planPushCheck(sanitized, exposedLabels, own, true));
      const now = Date.now() / 1000;
      const write: PushWrite = { group, mode: 'replace', now, plan };
      const h = time('history args', () => history.pushArgs({ tenant: '', exposedLabels, mode: 'replace', families: sanitized, now }));
      if (batch <= 1) {
        sink += time('statement', () => probeStatement(write, h)).values.length;
      } else {
        pending.push({ write, history: h });
        if (pending.length === batch) {
          const jobs = pending;
          sink += time('statement', () => batchStatement(jobs)).values.length;
          pending = [];
        }
      }
    }
    const total = Number(process.hrtime.bigint() - t0) / 1000 / pushes;
    if (r > 0) {
      // Run 0 warms the JIT up.
      totals.push(total);
      for (const s of STEPS) {
        (perStep.get(s) as number[]).push(Number(spent.get(s)) / 1000 / pushes);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `push pipeline, ${pushes} pushes x ${runs} runs, statement per ${batch <= 1 ? 'push' : `${batch} pushes`}: median ${median(totals).toFixed(1)} us/push (runs ${totals.map((t) => t.toFixed(0)).join(' ')})`,
  );
  for (const s of STEPS) {
    console.log(`  ${s.padEnd(18)} ${median(perStep.get(s) as number[]).toFixed(1)} us`);
  }
  if (sink < 0) {
    console.log(sink);
  }
}

// GatewayMetrics' default collectors may hold the event loop open: exit when done.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
