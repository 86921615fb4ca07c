import * as v8 from 'node:v8';
import { trimDue, trimWhenQuiet, QUIET_TRIM } from 'src/runtime/heap';

const MiB = 1024 * 1024;
const newSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('trimDue', () => {
  it('collects after enough quiet intervals, and only a grown young generation', () => {
    expect(trimDue(QUIET_TRIM.quietChecks, 32 * MiB, QUIET_TRIM)).toBe(true);
    expect(trimDue(QUIET_TRIM.quietChecks - 1, 32 * MiB, QUIET_TRIM)).toBe(false);
    expect(trimDue(QUIET_TRIM.quietChecks + 5, 1 * MiB, QUIET_TRIM)).toBe(false);
  });
});

describe('trimWhenQuiet (in this process, real V8)', () => {
  it('gives a young generation grown by a burst back once the process is quiet, which V8 alone does not do as soon', async () => {
    // A burst that keeps some of what it allocates, as in-flight pushes do, grows the young
    // generation; what it kept is garbage once the function returns.
    const burst = (): number => {
      let keep: unknown[][] = [];
      const start = Date.now();
      while (Date.now() - start < 1500) {
        keep.push(new Array(100).fill({ a: 1 }));
        if (keep.length > 20_000) {
          keep = keep.slice(10_000);
        }
      }
      return keep.length;
    };
    expect(burst()).toBeGreaterThan(0);
    const grown = newSpace();
    expect(grown).toBeGreaterThan(8 * MiB);
    // Quiet for 4 s without the trim: V8 keeps it (it shrinks only in a collection, and nothing allocates).
    await sleep(4000);
    expect(newSpace()).toBeGreaterThan(8 * MiB);
    // With the trim (8 quiet half-second intervals here): given back within a few seconds.
    const stop = trimWhenQuiet({ ...QUIET_TRIM, checkMs: 500, quietChecks: 8 });
    try {
      const deadline = Date.now() + 12_000;
      while (newSpace() > 4 * MiB && Date.now() < deadline) {
        await sleep(250);
      }
      expect(newSpace()).toBeLessThanOrEqual(4 * MiB);
    } finally {
      stop();
    }
  }, 30_000);
});
