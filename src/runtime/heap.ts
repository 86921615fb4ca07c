import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/**
 * V8 heap settings for resident memory (issue 14), set from inside the process so that
 * `npm start` and `node dist/src/main.js` get the same. V8 never shrinks its young generation once
 * grown, and `--max-semi-space-size` takes effect only on the command line, but the growth factor
 * is read at every growth, so it is what is steered here.
 */

const DEFAULT_GROWTH_FACTOR = 2;

/** While the application loads: the young generation stays at its initial 2 MiB. */
export function startupHeap(): void {
  setGrowthFactor(1);
}

function setGrowthFactor(factor: number): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/** Whether servingHeap ran (until then the growth factor stays 1 whatever bulk work does). */
let serving = false;
/** Bulk loads running (see withoutYoungGrowth). */
let bulkHolds = 0;

/**
 * Once serving: the young generation grows with the load again, up to V8's default maximum (both
 * semi-spaces 32 MiB together). A cap at 16 MiB saved ~15 MiB at 10k groups but cost 20-25% push
 * throughput into a grown store (more objects promoted, more full collections over a heap holding
 * the scrape cache; bench/README.md, "Issue 14"), so the young generation is left to V8 here.
 */
export function servingHeap(): void {
  serving = true;
  if (bulkHolds === 0) {
    setGrowthFactor(DEFAULT_GROWTH_FACTOR);
  }
}

/**
 * Runs one-off bulk work (a cold load of thousands of groups into the scrape cache) with the young
 * generation held at its size: such a load allocates fast enough for V8 to grow it to its 32 MiB
 * maximum, and that growth outlives the load (V8 shrinks it only after seconds of low allocation;
 * see trimWhenQuiet), though nothing after a one-off load needs it. The cost is more objects
 * promoted during the load, which the compaction after a bulk load gives back. Pushes meanwhile
 * run with the young generation they had. Overlapping holds nest.
 */
export async function withoutYoungGrowth<T>(work: () => Promise<T>): Promise<T> {
  if (bulkHolds++ === 0) {
    setGrowthFactor(1);
  }
  try {
    return await work();
  } finally {
    if (--bulkHolds === 0 && serving) {
      setGrowthFactor(DEFAULT_GROWTH_FACTOR);
    }
  }
}

type GcFunction = (options?: { type: 'minor' | 'major' }) => void;

let gcFunction: GcFunction | undefined;

/** The gc() of a fresh context, exposed without a command-line flag. */
function collect(): GcFunction {
  if (gcFunction === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as GcFunction;
  }
  return gcFunction;
}

/**
 * A full collection that compacts every page, so the old generation gives back the pages the
 * garbage of a large load (a cold scrape cache) left half-empty. Blocks for tens of milliseconds
 * per 50 MiB of live heap: call it after bulk work, not per request.
 */
export function compactHeap(): void {
  const gc = collect();
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** When the young generation is given back (see trimWhenQuiet). */
export interface QuietTrimOptions {
  /** How often the event loop's utilisation is sampled. */
  checkMs: number;
  /** Utilisation (0-1) at or below which an interval counts as quiet. */
  quietUtilization: number;
  /** Quiet intervals in a row before the young generation is collected. */
  quietChecks: number;
  /** Only a young generation holding more than this many bytes is collected. */
  minNewSpaceBytes: number;
}

export const QUIET_TRIM: QuietTrimOptions = { checkMs: 1000, quietUtilization: 0.05, quietChecks: 6, minNewSpaceBytes: 4 * 1024 * 1024 };

/**
 * Whether a quiet spell should end in a young-generation collection: `quiet` intervals in a row at
 * or below the utilisation limit, and a young generation still grown.
 */
export function trimDue(quietIntervals: number, newSpaceBytes: number, o: QuietTrimOptions): boolean {
  return quietIntervals >= o.quietChecks && newSpaceBytes > o.minNewSpaceBytes;
}

function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Gives the young generation back once the process has gone quiet. A burst of pushes grows it to
 * V8's maximum (two 16 MiB semi-spaces, ~30 MiB resident), and V8 shrinks it only in a collection
 * that finds the allocation rate of the last 5 s low; with no allocation there is no collection,
 * so a gateway left quiet after a burst held the 30 MiB until V8's memory reducer ran ~30 s later
 * (bench/README.md, "Memory"). After `quietChecks` seconds of an idle event loop this runs one
 * minor collection (well under a millisecond on an empty young generation), which shrinks it; if
 * V8 still finds the rate too high (it looks at its collections of the last ~5 s, so the first
 * collection after a burst often does), or shrinks it only part of the way, the next quiet spell
 * tries again while more than `minNewSpaceBytes` remain. A busy gateway never
 * triggers it and keeps its young generation. Returns a function that stops the timer.
 */
export function trimWhenQuiet(o: QuietTrimOptions = QUIET_TRIM): () => void {
  let last = performance.eventLoopUtilization();
  let quiet = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    quiet = utilization <= o.quietUtilization ? quiet + 1 : 0;
    if (trimDue(quiet, newSpaceBytes(), o)) {
      collect()({ type: 'minor' });
      quiet = 0;
    }
  }, o.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Whether `loaded` groups (re)loaded into a scrape cache of `cached` groups since the last
 * compaction make one worth its pause: only a bulk load (a cold start, a wipe and refill, at least
 * `minimum` groups and half the cache) leaves the half-empty pages it reclaims. Steady churn (a busy
 * gateway reloads its changed groups on every scrape) is left to V8's ordinary collections: a
 * compacting collection of a large cache blocks the event loop for as long as it takes.
 */
export function compactionDue(loaded: number, cached: number, minimum: number): boolean {
  return loaded >= minimum && loaded * 2 >= cached;
}
