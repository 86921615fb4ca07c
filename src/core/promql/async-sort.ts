/**
 * A stable sort of large arrays that lets other work run: runs of RUN items are sorted with the
 * built-in sort, then merged pairwise, pass after pass, awaiting `checkpoint` every RUN items
 * merged. Sorting 600k label sets in one `Array.prototype.sort` call holds the event loop for a
 * second or more; this spreads the same work over many short slices.
 */

const RUN = 4096;

/**
 * Sorts `items` in place (stable, by `compare`) and returns it. `checkpoint` is awaited between
 * slices of work; whatever it throws aborts the sort (the array is then in an unspecified order).
 */
export async function sortAsync<T>(items: T[], compare: (a: T, b: T) => number, checkpoint: () => Promise<void>): Promise<T[]> {
  if (items.length <= RUN) {
    return items.sort(compare);
  }
  for (let lo = 0; lo < items.length; lo += RUN) {
    const run = items.slice(lo, lo + RUN).sort(compare);
    for (let i = 0; i < run.length; i++) {
      items[lo + i] = run[i];
    }
    await checkpoint();
  }
  let from = items;
  // A copy, not `new Array(n)`: V8 makes arrays preallocated beyond 100k elements dictionary-backed (slow).
  let to = items.slice();
  for (let width = RUN; width < items.length; width *= 2) {
    for (let lo = 0; lo < items.length; lo += 2 * width) {
      await mergeRuns(from, to, lo, Math.min(lo + width, items.length), Math.min(lo + 2 * width, items.length), compare, checkpoint);
    }
    [from, to] = [to, from];
  }
  if (from !== items) {
    for (let i = 0; i < items.length; i++) {
      items[i] = from[i];
    }
  }
  return items;
}

/** Merges from[lo, mid) and from[mid, hi) into to[lo, hi); ties take the left run first (stability). */
async function mergeRuns<T>(
  from: T[],
  to: T[],
  lo: number,
  mid: number,
  hi: number,
  compare: (a: T, b: T) => number,
  checkpoint: () => Promise<void>,
): Promise<void> {
  let i = lo;
  let j = mid;
  for (let k = lo; k < hi; k++) {
    if (i < mid && (j >= hi || compare(from[j], from[i]) >= 0)) {
      to[k] = from[i++];
    } else {
      to[k] = from[j++];
    }
    if ((k - lo) % RUN === RUN - 1) {
      await checkpoint();
    }
  }
}
