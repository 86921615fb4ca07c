/**
 * Benchmark settings: defaults, `--quick`, then environment variables (BENCH_*), then CLI flags
 * (`--name value` or `--name=value`), later ones winning. `--help` prints them all.
 */
export interface BenchOptions {
  quick: boolean;
  /** Store size of the scaling case: pushes, scrape and memory "at 10k groups". */
  groups: number;
  /** Store sizes at which GET /metrics is measured (the largest must be `groups`). */
  scrapeSizes: number[];
  /** Families per group: one classic histogram, the rest alternately gauges and counters. */
  families: number;
  /** Series per family (1 = one series per family, i.e. `families` series per group). */
  seriesPerFamily: number;
  /** Extra labels on every pushed series (besides the grouping labels). */
  labels: number;
  /** Finite buckets of the histogram (+Inf is added). */
  buckets: number;
  /** Push concurrencies measured. */
  concurrency: number[];
  /** Alternating rounds per measured point (each server runs every round once). */
  rounds: number;
  /** Pushes per server per round into the empty store. */
  emptyPushes: number;
  /** Pushes per server per round into the full store (upper bound; see fullPushBudgetS). */
  fullPushes: number;
  /** Seconds a server may keep issuing pushes in one round (then it drains what is in flight). */
  pushBudgetS: number;
  /** Same for rounds into the full store, where upstream is slow. */
  fullPushBudgetS: number;
  /** Scrapes per server, per size and per encoding. */
  scrapes: number;
  /** Scrapes per server and encoding at the largest size (upstream takes 1-3 s each there). */
  largeScrapes: number;
  /** Concurrency used to preload stores (not measured as throughput). */
  preloadConcurrency: number;
  /**
   * How upstream gets the full store: 'snapshot' builds it in a helper upstream with the consistency
   * check off, persisted to a file the measured (check-on) upstream loads at start; 'push' pushes
   * into the measured upstream until the store is full or upstreamPreloadBudgetS is spent.
   */
  upstreamPreload: 'snapshot' | 'push';
  /** Seconds to keep pushing into the measured upstream beyond the last scrape size (both modes). */
  upstreamPreloadBudgetS: number;
  /** Push-then-scrape iterations of the replica phase. */
  replicaChecks: number;
  /** Also measure our gateway on its embedded engine (PGlite). */
  embedded: boolean;
  /** Skip the replica phase. */
  skipReplicas: boolean;
  /** Only the warm-up and phase 1 (push into the empty store): quick A/B runs of the push path. */
  onlyEmpty: boolean;
  /** Admin URL of the PostgreSQL server (a database there is created and dropped per run). */
  adminDatabaseUrl: string;
  /** Keep the bench database (for EXPLAIN ANALYZE afterwards). */
  keepDb: boolean;
  upstreamBin: string;
  /** Run our gateways under `node --cpu-prof`, profiles written to bench/results/profiles/<run>/. */
  cpuProf: boolean;
  /** Where results go (JSON per run plus latest.json). */
  resultsDir: string;
  /** Do not write latest.json (exploratory runs). */
  noLatest: boolean;
  /** WORKERS of our gateway (node:cluster processes on one port); CPU and memory are summed over them. */
  workers: number;
  /** Group commit settings of our gateway (PUSH_BATCH_MAX; 1 turns it off), for A/B runs. */
  batchMax: number;
  /** More settings for our gateway, `KEY=VALUE,KEY=VALUE` (A/B runs of other knobs). */
  oursEnv: string;
  /** Groups of the scale stage (ours, and upstream only if its snapshot fits the budget); 0 skips it. */
  scaleGroups: number;
  /** Seconds the scale stage may spend preloading each server. */
  scaleBudgetS: number;
}

interface Spec {
  key: keyof BenchOptions;
  flag: string;
  env: string;
  kind: 'int' | 'ints' | 'bool' | 'string' | 'float';
  help: string;
}

const SPECS: Spec[] = [
  { key: 'quick', flag: 'quick', env: 'BENCH_QUICK', kind: 'bool', help: 'small sizes for a smoke run (< 1 minute)' },
  { key: 'groups', flag: 'groups', env: 'BENCH_GROUPS', kind: 'int', help: 'groups in the full store (default 10000)' },
  {
    key: 'scrapeSizes',
    flag: 'scrape-sizes',
    env: 'BENCH_SCRAPE_SIZES',
    kind: 'ints',
    help: 'store sizes for scrapes and memory (default groups/100,groups/5,groups)',
  },
  { key: 'families', flag: 'families', env: 'BENCH_FAMILIES', kind: 'int', help: 'families per group (default 10)' },
  { key: 'seriesPerFamily', flag: 'series-per-family', env: 'BENCH_SERIES_PER_FAMILY', kind: 'int', help: 'series per family (default 1)' },
  { key: 'labels', flag: 'labels', env: 'BENCH_LABELS', kind: 'int', help: 'extra labels per series (default 2)' },
  { key: 'buckets', flag: 'buckets', env: 'BENCH_BUCKETS', kind: 'int', help: 'histogram buckets without +Inf (default 5)' },
  { key: 'concurrency', flag: 'concurrency', env: 'BENCH_CONCURRENCY', kind: 'ints', help: 'push concurrencies (default 1,16)' },
  { key: 'rounds', flag: 'rounds', env: 'BENCH_ROUNDS', kind: 'int', help: 'rounds per push point (default 5)' },
  { key: 'emptyPushes', flag: 'empty-pushes', env: 'BENCH_EMPTY_PUSHES', kind: 'int', help: 'pushes per server per round, empty store (default 200)' },
  { key: 'fullPushes', flag: 'full-pushes', env: 'BENCH_FULL_PUSHES', kind: 'int', help: 'max pushes per server per round, full store (default 600)' },
  { key: 'pushBudgetS', flag: 'push-budget', env: 'BENCH_PUSH_BUDGET', kind: 'float', help: 'seconds of issuing per round, empty store (default 20)' },
  {
    key: 'fullPushBudgetS',
    flag: 'full-push-budget',
    env: 'BENCH_FULL_PUSH_BUDGET',
    kind: 'float',
    help: 'seconds of issuing per round, full store (default 5)',
  },
  { key: 'scrapes', flag: 'scrapes', env: 'BENCH_SCRAPES', kind: 'int', help: 'scrapes per server/size/encoding (default 30)' },
  { key: 'largeScrapes', flag: 'large-scrapes', env: 'BENCH_LARGE_SCRAPES', kind: 'int', help: 'scrapes per server/encoding at the largest size (default 6)' },
  { key: 'preloadConcurrency', flag: 'preload-concurrency', env: 'BENCH_PRELOAD_CONCURRENCY', kind: 'int', help: 'concurrency of preloads (default 8)' },
  { key: 'upstreamPreload', flag: 'upstream-preload', env: 'BENCH_UPSTREAM_PRELOAD', kind: 'string', help: "'snapshot' (default) or 'push'" },
  {
    key: 'upstreamPreloadBudgetS',
    flag: 'upstream-preload-budget',
    env: 'BENCH_UPSTREAM_PRELOAD_BUDGET',
    kind: 'float',
    help: 'seconds of pushing into upstream past the last scrape size (default 30; push mode: 300)',
  },
  { key: 'replicaChecks', flag: 'replica-checks', env: 'BENCH_REPLICA_CHECKS', kind: 'int', help: 'push-then-scrape checks per reader (default 20)' },
  { key: 'embedded', flag: 'embedded', env: 'BENCH_EMBEDDED', kind: 'bool', help: 'also measure our gateway on the embedded engine' },
  { key: 'skipReplicas', flag: 'skip-replicas', env: 'BENCH_SKIP_REPLICAS', kind: 'bool', help: 'skip the replica phase' },
  {
    key: 'onlyEmpty',
    flag: 'only-empty',
    env: 'BENCH_ONLY_EMPTY',
    kind: 'bool',
    help: 'only phase 1 (push into the empty store); targets of other phases show n/a',
  },
  {
    key: 'adminDatabaseUrl',
    flag: 'database-url',
    env: 'BENCH_DATABASE_URL',
    kind: 'string',
    help: 'PostgreSQL admin URL (default $TEST_DATABASE_URL, $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)',
  },
  { key: 'keepDb', flag: 'keep-db', env: 'BENCH_KEEP_DB', kind: 'bool', help: 'keep the bench database afterwards' },
  { key: 'upstreamBin', flag: 'upstream-bin', env: 'PUSHGATEWAY_BIN', kind: 'string', help: 'upstream binary (default /usr/bin/prometheus-pushgateway)' },
  { key: 'cpuProf', flag: 'cpu-prof', env: 'BENCH_CPU_PROF', kind: 'bool', help: 'run our gateways under node --cpu-prof' },
  { key: 'resultsDir', flag: 'results-dir', env: 'BENCH_RESULTS_DIR', kind: 'string', help: 'result directory (default bench/results)' },
  { key: 'noLatest', flag: 'no-latest', env: 'BENCH_NO_LATEST', kind: 'bool', help: 'do not overwrite latest.json (a --quick run never does)' },
  { key: 'workers', flag: 'workers', env: 'BENCH_WORKERS', kind: 'int', help: 'WORKERS of our gateway (default 1); CPU and memory summed over its processes' },
  { key: 'batchMax', flag: 'batch-max', env: 'BENCH_BATCH_MAX', kind: 'int', help: "our PUSH_BATCH_MAX (default: the gateway's; 1 turns group commit off)" },
  { key: 'oursEnv', flag: 'ours-env', env: 'BENCH_OURS_ENV', kind: 'string', help: 'more settings for our gateway: KEY=VALUE,KEY=VALUE' },
  {
    key: 'scaleGroups',
    flag: 'scale-groups',
    env: 'BENCH_SCALE_GROUPS',
    kind: 'int',
    help: 'groups of the scale stage after the replicas (default 100000 = 1M series; 0 skips it; --quick and --only-empty skip it)',
  },
  {
    key: 'scaleBudgetS',
    flag: 'scale-budget',
    env: 'BENCH_SCALE_BUDGET',
    kind: 'float',
    help: 'seconds the scale stage may preload each server (default 600)',
  },
];

const DEFAULTS: Omit<BenchOptions, 'adminDatabaseUrl' | 'resultsDir' | 'scrapeSizes'> = {
  quick: false,
  groups: 10000,
  families: 10,
  seriesPerFamily: 1,
  labels: 2,
  buckets: 5,
  concurrency: [1, 16],
  rounds: 5,
  emptyPushes: 200,
  fullPushes: 600,
  pushBudgetS: 20,
  fullPushBudgetS: 5,
  scrapes: 30,
  largeScrapes: 6,
  preloadConcurrency: 8,
  upstreamPreload: 'snapshot',
  upstreamPreloadBudgetS: 30,
  replicaChecks: 20,
  embedded: false,
  skipReplicas: false,
  onlyEmpty: false,
  keepDb: false,
  upstreamBin: '/usr/bin/prometheus-pushgateway',
  cpuProf: false,
  noLatest: false,
  workers: 1,
  batchMax: 0,
  oursEnv: '',
  scaleGroups: 100000,
  scaleBudgetS: 600,
};

const QUICK: Partial<BenchOptions> = {
  groups: 300,
  rounds: 2,
  emptyPushes: 40,
  fullPushes: 40,
  pushBudgetS: 3,
  fullPushBudgetS: 2,
  scrapes: 5,
  largeScrapes: 3,
  upstreamPreloadBudgetS: 3,
  replicaChecks: 5,
  scaleGroups: 0,
};

export class OptionsError extends Error {}

/** Gateway settings written `KEY=VALUE,KEY=VALUE` (--ours-env, push-ab's --a / --b); entries without `=` are skipped. */
export function parseSettings(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
}

export function usage(): string {
  const lines = SPECS.map((s) => `  --${s.flag.padEnd(24)} ${s.env.padEnd(30)} ${s.help}`);
  return `npm run bench -- [flags]\n\n  flag                       environment variable           meaning\n${lines.join('\n')}\n`;
}

/** Resolves the options from argv (without node and script) and the environment. */
export function parseOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const raw = new Map<keyof BenchOptions, string>();
  for (const spec of SPECS) {
    const v = env[spec.env];
    if (v !== undefined && v.trim() !== '') {
      raw.set(spec.key, v.trim());
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      throw new OptionsError(`unexpected argument ${JSON.stringify(arg)}`);
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = SPECS.find((s) => s.flag === name);
    if (spec === undefined) {
      throw new OptionsError(`unknown flag --${name}\n\n${usage()}`);
    }
    if (eq > 0) {
      raw.set(spec.key, arg.slice(eq + 1));
    } else if (spec.kind === 'bool') {
      raw.set(spec.key, 'true');
    } else {
      const next = argv[++i];
      if (next === undefined) {
        throw new OptionsError(`--${name} needs a value`);
      }
      raw.set(spec.key, next);
    }
  }
  const quick = raw.has('quick') ? parseBool('quick', raw.get('quick') as string) : false;
  const pushMode = raw.get('upstreamPreload') === 'push';
  const options: Record<string, unknown> = {
    ...DEFAULTS,
    ...(pushMode ? { upstreamPreloadBudgetS: 300 } : {}),
    ...(quick ? QUICK : {}),
    adminDatabaseUrl: env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    resultsDir: 'bench/results',
  };
  for (const [key, value] of raw) {
    const spec = SPECS.find((s) => s.key === key) as Spec;
    options[key] = convert(spec, value);
  }
  const o = options as unknown as BenchOptions;
  if (!raw.has('scrapeSizes')) {
    o.scrapeSizes = [...new Set([Math.max(1, Math.round(o.groups / 100)), Math.max(1, Math.round(o.groups / 5)), o.groups])];
  }
  validate(o);
  return o;
}

function convert(spec: Spec, value: string): unknown {
  switch (spec.kind) {
    case 'bool':
      return parseBool(spec.flag, value);
    case 'int': {
      if (!/^\d+$/.test(value)) {
        throw new OptionsError(`--${spec.flag}: expected a non-negative integer, got ${JSON.stringify(value)}`);
      }
      return Number(value);
    }
    case 'float': {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) {
        throw new OptionsError(`--${spec.flag}: expected a positive number, got ${JSON.stringify(value)}`);
      }
      return n;
    }
    case 'ints': {
      const parts = value.split(',').map((p) => p.trim());
      if (parts.some((p) => !/^\d+$/.test(p) || Number(p) === 0)) {
        throw new OptionsError(`--${spec.flag}: expected comma-separated positive integers, got ${JSON.stringify(value)}`);
      }
      return parts.map(Number);
    }
    case 'string':
      return value;
  }
}

function parseBool(flag: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) {
    return true;
  }
  if (['0', 'false', 'no', 'off'].includes(v)) {
    return false;
  }
  throw new OptionsError(`--${flag}: expected true or false, got ${JSON.stringify(value)}`);
}

function validate(o: BenchOptions): void {
  const problems: string[] = [];
  if (o.groups < 1) {
    problems.push('--groups must be at least 1');
  }
  if (o.families < 1) {
    problems.push('--families must be at least 1 (the first is the histogram)');
  }
  if (o.seriesPerFamily < 1) {
    problems.push('--series-per-family must be at least 1');
  }
  if (o.rounds < 1) {
    problems.push('--rounds must be at least 1');
  }
  if (o.workers < 1) {
    problems.push('--workers must be at least 1');
  }
  if (o.scaleGroups !== 0 && o.scaleGroups <= o.groups) {
    problems.push('--scale-groups must exceed --groups (or be 0)');
  }
  if (o.scrapeSizes.some((s) => s > o.groups)) {
    problems.push('--scrape-sizes must not exceed --groups');
  }
  if (o.upstreamPreload !== 'snapshot' && o.upstreamPreload !== 'push') {
    problems.push("--upstream-preload must be 'snapshot' or 'push'");
  }
  if (problems.length > 0) {
    throw new OptionsError(problems.join('\n'));
  }
  o.scrapeSizes = [...new Set(o.scrapeSizes)].sort((a, b) => a - b);
  if (o.scrapeSizes[o.scrapeSizes.length - 1] !== o.groups) {
    o.scrapeSizes.push(o.groups);
  }
}
