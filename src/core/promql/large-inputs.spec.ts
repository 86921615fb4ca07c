import { evaluateInstant, evaluateRange } from 'src/core/promql/evaluator';
import { MemorySeriesSource } from 'src/core/promql/memory-series-source';

/**
 * Correctness at the sizes the query API must serve (100k current series; 1k series over 240
 * steps). Speed itself is measured by `bench/query-bench.ts`, never asserted in tests.
 */
describe('large inputs', () => {
  it('sums an instant selector over 100k series', async () => {
    const src = new MemorySeriesSource();
    for (let i = 0; i < 100_000; i++) {
      src.add({ __name__: 'm', instance: `i${i}`, job: `j${i % 10}` }, [{ t: 0, v: i }]);
    }
    await evaluateInstant('sum by (job) (m{job="j1", instance=~"i1.."})', 3_600_000, src);
    const r = await evaluateInstant('sum by (job) (m)', 3_600_000, src);
    expect(r.resultType === 'vector' && r.result.length).toBe(10);
  });

  it('evaluates a 1-hour rate() range query over 1k series at a 15s step', async () => {
    const src = new MemorySeriesSource();
    for (let i = 0; i < 1000; i++) {
      const samples = [];
      for (let t = 0; t <= 7200; t += 15) {
        samples.push({ t: t * 1000, v: t * (i + 1) });
      }
      src.add({ __name__: 'c', instance: `i${i}` }, samples);
    }
    await evaluateRange('rate(c{instance="i1"}[5m])', 3_600_000, 7_200_000 - 15_000, 15_000, src);
    const r = await evaluateRange('rate(c[5m])', 3_600_000, 7_200_000 - 15_000, 15_000, src);
    expect(r.result).toHaveLength(1000);
    expect(r.result[0].points).toHaveLength(240);
  });
});
