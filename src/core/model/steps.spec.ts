import { runAll, runPaused, Steps } from 'src/core/model/steps';

function* counting(n: number, every: number, log: string[]): Steps<number> {
  let sum = 0;
  for (let i = 1; i <= n; i++) {
    sum += i;
    log.push(`step ${i}`);
    if (i % every === 0) {
      yield;
    }
  }
  return sum;
}

describe('work in steps', () => {
  it('runAll runs every step at once and returns the result', () => {
    const log: string[] = [];
    expect(runAll(counting(10, 3, log))).toBe(55);
    expect(log).toHaveLength(10);
  });

  it('runPaused awaits the pause at every step and lets other work run there', async () => {
    const log: string[] = [];
    const pause = async (): Promise<void> => {
      log.push('pause');
      await new Promise((resolve) => setImmediate(resolve));
    };
    const other = new Promise<void>((resolve) => setImmediate(() => (log.push('other'), resolve())));
    expect(await runPaused(counting(7, 3, log), pause)).toBe(28);
    await other;
    expect(log.filter((e) => e === 'pause')).toHaveLength(2);
    // Work queued before the run gets its turn at the first pause, not after the last step.
    expect(log.indexOf('other')).toBeGreaterThan(log.indexOf('pause'));
    expect(log.indexOf('other')).toBeLessThan(log.indexOf('step 7'));
  });
});
