import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * V8 heap settings for resident memory (issue 14), set from inside the process so that
 * `npm start` and `node dist/src/main.js` get the same. V8 never shrinks its young generation once
 * grown, and `--max-semi-space-size` takes effect only on the command line, but the growth factor
 * is read at every growth, so it is what is steered here.
 */

/**
 * Both semi-spaces together, at most (V8's default lets them reach 32 MiB, all resident after the
 * first busy minute). 16 MiB (8 MiB semi-spaces) costs no measurable push CPU; 8 MiB cost ~30%.
 */
const YOUNG_GENERATION_CAP_BYTES = 16 * 1024 * 1024;
const DEFAULT_GROWTH_FACTOR = 2;

/** While the application loads: the young generation stays at its initial 2 MiB. */
export function startupHeap(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Once serving: the young generation may grow with the load again, up to the cap; growth stops
 * for good at the first collection that finds it there (it never shrinks).
 */
export function servingHeap(): void {
  if (youngGenerationBytes() >= YOUNG_GENERATION_CAP_BYTES) {
    return;
  }
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() >= YOUNG_GENERATION_CAP_BYTES) {
      v8.setFlagsFromString('--semi-space-growth-factor=1');
      observer.disconnect();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
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
