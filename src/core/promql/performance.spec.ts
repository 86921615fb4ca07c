import { evaluateInstant, evaluateRange } from 'src/core/promql/evaluator';
import { MemorySeriesSource } from 'src/core/promql/memory-series-source';

/**
 * Guards against accidental O(n²) work per step. CPU time of this process is measured rather than
 * wall-clock time, so a busy machine does not make the tests flaky, and a small warm-up query runs
 * first so the figure reflects a warm server rather than JIT compilation.
 */
async function cpuMs<T>(f: () => Promise<T>): Promise<[T, number]> {
  const before = process.cpuUsage();
  const result = await f();
  const used = process.cpuUsage(before);
  return [result, (used.user + used.system) / 1000];
}

describe('performance', () => {
  it('evaluates an instant selector over 100k series well under a second', async () => {
    const src = new MemorySeriesSource();
    for (let i = 0; i < 100_000; i++) {
      src.add({ __name__: 'm', instance: `i${i}`, job: `j${i % 10}` }, [{ t: 0, v: i }]);
    }
    await evaluateInstant('sum by (job) (m{job="j1", instance=~"i1.."})', 3_600_000, src);
    const [r, elapsed] = await cpuMs(() => evaluateInstant('sum by (job) (m)', 3_600_000, src));
    expect(r.resultType === 'vector' && r.result.length).toBe(10);
    expect(elapsed).toBeLessThan(1000);
  });

  it('evaluates a 1-hour rate() range query over 1k series at a 15s step well under a second', async () => {
    const src = new MemorySeriesSource();
    for (let i = 0; i < 1000; i++) {
      const samples = [];
      for (let t = 0; t <= 7200; t += 15) {
        samples.push({ t: t * 1000, v: t * (i + 1) });
      }
      src.add({ __name__: 'c', instance: `i${i}` }, samples);
    }
    await evaluateRange('rate(c{instance="i1"}[5m])', 3_600_000, 7_200_000 - 15_000, 15_000, src);
    const [r, elapsed] = await cpuMs(() => evaluateRange('rate(c[5m])', 3_600_000, 7_200_000 - 15_000, 15_000, src));
    expect(r.result).toHaveLength(1000);
    expect(r.result[0].points).toHaveLength(240);
    expect(elapsed).toBeLessThan(1000);
  });
});
