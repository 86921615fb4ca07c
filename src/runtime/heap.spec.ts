import { compactionDue } from 'src/runtime/heap';

describe('compactionDue', () => {
  it('compacts after a bulk load: a cold start or a refill of most of the cache', () => {
    expect(compactionDue(10_000, 10_000, 1000)).toBe(true);
    expect(compactionDue(8000, 10_000, 1000)).toBe(true);
    expect(compactionDue(1900, 2000, 1000)).toBe(true);
  });

  it('leaves steady churn of a large cache and small loads to ordinary collections', () => {
    expect(compactionDue(1500, 100_000, 1000)).toBe(false);
    expect(compactionDue(4999, 10_000, 1000)).toBe(false);
    expect(compactionDue(999, 999, 1000)).toBe(false);
  });
});
