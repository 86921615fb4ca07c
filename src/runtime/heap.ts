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
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Once serving: the young generation grows with the load again, up to V8's default maximum (both
 * semi-spaces 32 MiB together). A cap at 16 MiB saved ~15 MiB at 10k groups but cost 20-25% push
 * throughput into a grown store (more objects promoted, more full collections over a heap holding
 * the scrape cache; bench/README.md, "Issue 14"), so the young generation is left to V8 here.
 */
export function servingHeap(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}

let gc: (() => void) | undefined;

/**
 * A full collection that compacts every page, so the old generation gives back the pages the
 * garbage of a large load (a cold scrape cache) left half-empty. Blocks for tens of milliseconds
 * per 50 MiB of live heap: call it after bulk work, not per request.
 */
export function compactHeap(): void {
  if (gc === undefined) {
    // The gc() of a fresh context, exposed without a command-line flag.
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
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
