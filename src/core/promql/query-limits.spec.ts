import { sortAsync } from 'src/core/promql/async-sort';
import { PromqlEvalError } from 'src/core/promql/errors';
import { evaluateInstant, evaluateRange, streamPlan } from 'src/core/promql/evaluator';
import { parseExpr } from 'src/core/promql/parser';
import { MemorySeriesSource } from 'src/core/promql/memory-series-source';
import { QueryBudget } from 'src/core/promql/query-budget';
import { QueryQueue } from 'src/core/promql/query-queue';
import type { LabelMatcher, LoadBudget, SelectRange, Series, SeriesSource } from 'src/core/promql/series-source';

/** Issue 10, bounded queries: the budget, the queue, the sliced sort and what the evaluator does with them. */

const TOO_MANY = 'query processing would load too many samples into memory in query execution';

/** A clock the test moves by hand. */
function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A seeded generator (mulberry32), so failures reproduce. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` series `big{i="k"}`, one sample a minute for `minutes` minutes. */
function bigSource(n: number, minutes: number): MemorySeriesSource {
  const source = new MemorySeriesSource();
  for (let i = 0; i < n; i++) {
    const samples = Array.from({ length: minutes }, (_, m) => ({ t: m * 60_000, v: i + m }));
    source.add({ __name__: 'big', i: String(i) }, samples);
  }
  return source;
}

describe('QueryBudget', () => {
  it('counts held samples and throws Prometheus’ error just past the limit', () => {
    const budget = new QueryBudget({ maxSamples: 10 });
    budget.hold(6);
    budget.hold(4);
    expect(budget.held).toBe(10);
    expect(() => budget.hold(1)).toThrow(new PromqlEvalError('execution', TOO_MANY));
  });

  it('lets released samples be held again; the peak stays', () => {
    const budget = new QueryBudget({ maxSamples: 10 });
    budget.hold(8);
    budget.release(8);
    budget.hold(10);
    expect(budget.peak).toBe(10);
    expect(budget.held).toBe(10);
  });

  it('times out on its clock at the next checkpoint, not before', async () => {
    const clock = manualClock();
    const budget = new QueryBudget({ timeoutMs: 100, now: clock.now, sliceMs: Infinity });
    clock.advance(100);
    await expect(budget.checkpoint()).resolves.toBeUndefined();
    expect(budget.remainingMs()).toBe(0);
    clock.advance(1);
    await expect(budget.checkpoint()).rejects.toThrow(new PromqlEvalError('timeout', 'query timed out in query execution'));
  });

  it('is canceled by its signal and by stop()', async () => {
    const signal = { aborted: false };
    const budget = new QueryBudget({ signal });
    await budget.checkpoint();
    signal.aborted = true;
    await expect(budget.checkpoint()).rejects.toMatchObject({ errorType: 'canceled', message: 'query was canceled in query execution' });
    const stopped = new QueryBudget();
    stopped.stop();
    expect(() => stopped.check()).toThrow(PromqlEvalError);
  });

  it('yields only once a slice of work is used up', async () => {
    const clock = manualClock();
    let yields = 0;
    const budget = new QueryBudget({ now: clock.now, sliceMs: 10, yieldToLoop: async () => void yields++ });
    await budget.checkpoint();
    clock.advance(9);
    await budget.checkpoint();
    expect(yields).toBe(0);
    clock.advance(1);
    await budget.checkpoint();
    expect(yields).toBe(1);
    // A new slice starts after the yield.
    clock.advance(9);
    await budget.checkpoint();
    expect(yields).toBe(1);
  });

  it('has no deadline without a timeout', () => {
    expect(new QueryBudget().remainingMs()).toBe(Infinity);
  });
});

describe('QueryQueue', () => {
  /** A task that runs until released, recording the order tasks started in. */
  function gate(): { promise: Promise<void>; open: () => void } {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { promise, open };
  }

  it('runs at most maxConcurrent at once and starts the rest in arrival order', async () => {
    const queue = new QueryQueue(2);
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    let active = 0;
    let most = 0;
    const runs = gates.map((g, i) =>
      queue.run(
        async () => {
          started.push(i);
          active++;
          most = Math.max(most, active);
          await g.promise;
          active--;
          return i;
        },
        { timeoutMs: Infinity },
      ),
    );
    await new Promise(setImmediate);
    expect(started).toEqual([0, 1]);
    expect(queue.queued).toBe(3);
    gates[1].open();
    await new Promise(setImmediate);
    expect(started).toEqual([0, 1, 2]);
    gates.forEach((g) => g.open());
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(queue.running).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it('gives up on a caller still waiting at its deadline without running it', async () => {
    const queue = new QueryQueue(1);
    const busy = gate();
    const first = queue.run(() => busy.promise, { timeoutMs: Infinity });
    let ran = false;
    const second = queue.run(async () => void (ran = true), { timeoutMs: 20 });
    await expect(second).rejects.toThrow(new PromqlEvalError('timeout', 'query timed out in query queue'));
    busy.open();
    await first;
    expect(ran).toBe(false);
    expect(queue.running).toBe(0);
    // The slot is free again.
    await expect(queue.run(async () => 'next', { timeoutMs: 0 })).resolves.toBe('next');
  });

  it('frees the slot when the task fails', async () => {
    const queue = new QueryQueue(1);
    await expect(queue.run(() => Promise.reject(new Error('boom')), { timeoutMs: Infinity })).rejects.toThrow('boom');
    await expect(queue.run(async () => 1, { timeoutMs: Infinity })).resolves.toBe(1);
  });

  it('refuses a cap below one', () => {
    expect(() => new QueryQueue(0)).toThrow(RangeError);
  });
});

describe('sortAsync', () => {
  it.each([0, 1, 4096, 4097, 10_000, 50_001])('sorts %i items exactly as a stable Array.sort', async (n) => {
    const random = seeded(n + 1);
    const items = Array.from({ length: n }, (_, i) => ({ k: Math.floor(random() * 100), i }));
    const expected = [...items].sort((a, b) => a.k - b.k);
    let checkpoints = 0;
    const sorted = await sortAsync(
      items,
      (a, b) => a.k - b.k,
      async () => void checkpoints++,
    );
    expect(sorted).toBe(items);
    expect(sorted).toEqual(expected);
    if (n > 4096) {
      expect(checkpoints).toBeGreaterThan(1);
    }
  });

  it('stops when a checkpoint throws', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => 20_000 - i);
    const stop = new PromqlEvalError('canceled', 'query was canceled in query execution');
    await expect(
      sortAsync(
        items,
        (a, b) => a - b,
        () => Promise.reject(stop),
      ),
    ).rejects.toBe(stop);
  });
});

describe('the evaluator within its budget', () => {
  it('lets timers run while a long range query evaluates', async () => {
    const source = bigSource(2000, 60);
    const timerFired: boolean[] = [];
    let finished = false;
    const timer = setTimeout(() => timerFired.push(finished), 0);
    try {
      const result = await evaluateRange('sum(rate(big[5m]))', 0, 3_600_000, 15_000, source, { sliceMs: 1 });
      finished = true;
      expect(result.result).toHaveLength(1);
    } finally {
      clearTimeout(timer);
    }
    // The timer ran before the evaluation ended: the evaluation yielded to the event loop.
    expect(timerFired).toEqual([false]);
  });

  it('yields in slices, and evaluates the same with any slice', async () => {
    const source = bigSource(3000, 10);
    let yields = 0;
    const sliced = await evaluateRange('count(big > 5)', 0, 600_000, 60_000, source, { sliceMs: 0, yieldToLoop: async () => void yields++ });
    const whole = await evaluateRange('count(big > 5)', 0, 600_000, 60_000, source, { sliceMs: Infinity });
    expect(yields).toBeGreaterThan(10);
    expect(sliced).toEqual(whole);
  });

  it('stops loading at the sample limit instead of after everything', async () => {
    const inner = bigSource(1000, 10);
    let loadedSeries = 0;
    const counting: SeriesSource = {
      async select(matchers: LabelMatcher[], range: SelectRange, budget?: LoadBudget): Promise<Series[]> {
        // A paged source: 100 series per page, counted as each page arrives.
        const all = await inner.select(matchers, range);
        const out: Series[] = [];
        for (let at = 0; at < all.length; at += 100) {
          const page = all.slice(at, at + 100);
          loadedSeries += page.length;
          budget?.hold(page.reduce((n, s) => n + s.samples.length, 0));
          await budget?.checkpoint();
          out.push(...page);
        }
        return out;
      },
    };
    await expect(evaluateInstant('count_over_time(big[10m])', 600_000, counting, { maxSamples: 2500 })).rejects.toThrow(
      new PromqlEvalError('execution', TOO_MANY),
    );
    expect(loadedSeries).toBeLessThanOrEqual(300);
  });

  it('counts the result too: a vector of n elements needs n samples beyond what it loaded', async () => {
    const source = bigSource(100, 1);
    // 100 loaded + 100 in the result.
    await expect(evaluateInstant('big', 0, source, { maxSamples: 200 })).resolves.toMatchObject({ resultType: 'vector' });
    await expect(evaluateInstant('big', 0, source, { maxSamples: 199 })).rejects.toThrow(TOO_MANY);
  });

  it('times out during a long evaluation on the injected clock', async () => {
    const clock = manualClock();
    const source = bigSource(5000, 10);
    const run = evaluateRange('sum(big)', 0, 600_000, 1000, source, {
      timeoutMs: 1000,
      now: () => {
        clock.advance(1);
        return clock.now();
      },
    });
    await expect(run).rejects.toMatchObject({ errorType: 'timeout', message: 'query timed out in query execution' });
  });

  it('is canceled mid-evaluation when the client goes away', async () => {
    const signal = { aborted: false };
    const source = bigSource(5000, 10);
    let yields = 0;
    const run = evaluateRange('sum(big)', 0, 600_000, 1000, source, {
      signal,
      sliceMs: 0,
      yieldToLoop: async () => {
        if (++yields === 5) {
          signal.aborted = true;
        }
      },
    });
    await expect(run).rejects.toMatchObject({ errorType: 'canceled' });
    expect(yields).toBe(5);
  });
});

describe('streamed aggregations (page by page of one selector)', () => {
  /** Two metrics over three jobs, with gaps, stale markers and NaN, one sample a minute. */
  function fixtureSource(): MemorySeriesSource {
    const random = seeded(42);
    const source = new MemorySeriesSource();
    for (const name of ['req', 'other']) {
      for (let i = 0; i < 23; i++) {
        const samples = [];
        for (let m = 0; m < 30; m++) {
          const r = random();
          if (r < 0.1) {
            continue;
          }
          samples.push(r < 0.15 ? { t: m * 60_000, v: NaN, stale: true } : { t: m * 60_000, v: r < 0.2 ? NaN : Math.round(random() * 1000) / 8 + m * i });
        }
        source.add({ __name__: name, job: `j${i % 3}`, instance: `i${i}` }, samples);
      }
    }
    return source;
  }

  const STREAMED = [
    'sum(req)',
    'count by (job) (req)',
    'avg without (instance) (req)',
    'min(req)',
    'max by (job) (req)',
    'topk(3, req)',
    'bottomk by (job) (2, req)',
    'quantile(0.9, req)',
    'count_values("value", req > 100)',
    'stddev by (job) (req)',
    'stdvar(req)',
    'group by (job) (req)',
    'sum(rate(req[5m]))',
    'sum by (job) (increase(req[10m]))',
    'count(count_over_time(req[1h]))',
    'max(last_over_time({__name__=~"req|other"}[10m]))',
    'avg(quantile_over_time(0.5, req[15m]))',
    'sum by (job) (req > 50)',
    'sum(req * 2)',
    'sum(-req)',
    '(sum(req offset 1m))',
    'sum(req @ 600)',
    'count({__name__=~"req|other"})',
  ];

  it.each(STREAMED)('%s: the same answer in pages of 1, 2 and 7 series as whole', async (query) => {
    const source = fixtureSource();
    expect(streamPlan(parseExpr(query), { startMs: 0, endMs: 1_800_000 }, 60_000)).toBeDefined();
    const whole = await evaluateRange(query, 0, 1_800_000, 45_000, source, { streamPageSize: 0 });
    const instant = await evaluateInstant(query, 1_200_000, source, { streamPageSize: 0 });
    expect(whole.result.length).toBeGreaterThan(0);
    for (const pageSize of [1, 2, 7]) {
      expect(await evaluateRange(query, 0, 1_800_000, 45_000, source, { streamPageSize: pageSize })).toEqual(whole);
      expect(await evaluateInstant(query, 1_200_000, source, { streamPageSize: pageSize })).toEqual(instant);
    }
  });

  it.each([
    ['names dropped without a fixed name', 'sum(rate({__name__=~"req|other"}[5m]))'],
    ['two selectors', 'sum(req + other)'],
    ['a subquery', 'sum(rate(req[5m:1m]))'],
    ['not an aggregation at the top', 'sum(req) / 2'],
    ['a parameter that is not a literal', 'topk(scalar(sum(req)), req)'],
    ['a function other than a range function', 'sum(label_replace(req, "a", "b", "job", ".*"))'],
    ['absent_over_time', 'count(absent_over_time(req[5m]))'],
  ])('is not used for %s: %s', (_why, query) => {
    expect(streamPlan(parseExpr(query), { startMs: 0, endMs: 1_800_000 }, 60_000)).toBeUndefined();
  });

  it('keeps Prometheus’ duplicate-labelset error where names are dropped (whole selector)', async () => {
    await expect(evaluateInstant('sum(rate({__name__=~"req|other"}[5m]))', 1_200_000, fixtureSource(), { streamPageSize: 1 })).rejects.toThrow(
      'vector cannot contain metrics with the same labelset',
    );
  });

  it('holds one page at a time: a query over more samples than the limit still answers', async () => {
    // 1,000 series × 60 samples = 60,000 samples; the limit is 10,000.
    const source = bigSource(1000, 60);
    const query = 'sum(count_over_time(big[1h]))';
    await expect(evaluateInstant(query, 3_540_000, source, { maxSamples: 10_000, streamPageSize: 0 })).rejects.toThrow(TOO_MANY);
    const streamed = await evaluateInstant(query, 3_540_000, source, { maxSamples: 10_000, streamPageSize: 100 });
    expect(streamed).toMatchObject({ resultType: 'vector', result: [{ v: 60_000 }] });
  });
});
