import { CpuUse } from './load';

/** One measured push point (a concurrency, a store size) for one server, over all rounds. */
export interface PushPoint {
  server: string;
  concurrency: number;
  /** Groups in the store when each round started. */
  storeGroups: number;
  rounds: { count: number; failed: number; elapsedS: number; throughput: number; budgetHit: boolean; quietWaitS: number }[];
  /** Median over rounds of pushes per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  cpu: CpuUse;
}

export interface ScrapePoint {
  server: string;
  groups: number;
  gzip: boolean;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  /** Median bytes on the wire. */
  bytes: number;
  /** Median decoded bytes. */
  decodedBytes: number;
  /** Latency of the first (unmeasured) scrape at this size: a cold cache. */
  firstMs?: number;
  expectedBenchLines: number;
  expectedGroups: number;
  countOk: number;
  countBad: number;
  badExample?: string;
  cpu: CpuUse;
}

export interface PreloadStep {
  server: string;
  from: number;
  to: number;
  reached: number;
  seconds: number;
  method: 'push' | 'snapshot-helper';
  concurrency: number;
  /** Pushes/s over successive slices of the preload (upstream's collapse shows here). */
  curve: { groups: number; ratePerS: number }[];
  budgetHit: boolean;
  note?: string;
}

export interface MemoryPoint {
  server: string;
  groups: number;
  rssMiB: number;
  hwmMiB: number;
  /** Measured right after start, before the warm-up: nothing ever pushed. */
  idle?: boolean;
  /** Measured in the scale stage. */
  scale?: boolean;
}

/** The scale stage (--scale-groups): how cost grows far beyond the full store. */
export interface ScaleResult {
  groups: number;
  series: number;
  preloadConcurrency: number;
  servers: {
    server: string;
    preloadS: number;
    preloadRate: number;
    pushC1: number;
    pushC16: number;
    scrapeP50Ms: number;
    scrapeMiB: number;
    rssMiB: number;
  }[];
  note?: string;
}

export interface ReplicaResult {
  checks: number;
  misses: number;
  missExamples: string[];
  pushMs: { p50: number; p99: number };
  /** Scrapes of replica B with no write in between (its cache is current). */
  idle: { p50: number; p99: number; samples: number };
  /** Scrapes of replica B right after a push acknowledged by replica A. */
  crossReplica: { p50: number; p99: number; samples: number };
  /** Scrapes of replica A right after a push to A (reference: same process). */
  sameReplica: { p50: number; p99: number; samples: number };
  /** crossReplica.p50 - idle.p50. */
  addedP50Ms: number;
  /** crossReplica.p50 - sameReplica.p50. */
  addedVsSameP50Ms: number;
  coldFirstScrapeMs: number;
  groups: number;
}

export interface TargetCheck {
  name: string;
  goal: string;
  ours: number;
  upstream?: number;
  ratio?: number;
  met: boolean;
  note?: string;
}

export interface BenchResults {
  meta: Record<string, unknown>;
  workload: Record<string, unknown>;
  servers: Record<string, Record<string, unknown>>;
  warmup: Record<string, unknown>;
  pushEmpty: PushPoint[];
  pushFull: PushPoint[];
  scrape: ScrapePoint[];
  memory: MemoryPoint[];
  preload: PreloadStep[];
  replica?: ReplicaResult;
  scale?: ScaleResult;
  checks: {
    non2xx: number;
    transportErrors: number;
    errorSamples: string[];
    seriesCountChecks: number;
    seriesCountFailures: number;
    replicaMisses?: number;
    passed: boolean;
  };
  targets: TargetCheck[];
  durationS: number;
}
