import { BatchOutcome, BatcherSettings, PushBatcher } from 'src/storage/push-batcher';

interface Job {
  group: string;
  n: number;
}

/** A batcher over fake statements: records every batch, answers each job with its n (or as told). */
function harness(settings: Partial<BatcherSettings> = {}, answer?: (jobs: Job[]) => BatchOutcome<number>[] | Promise<BatchOutcome<number>[]>) {
  const batches: number[][] = [];
  const alone: number[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const batcher = new PushBatcher<Job, number>(
    { maxPushes: 8, windowUs: 0, inFlight: 1, ...settings },
    (job) => job.group,
    async (jobs) => {
      batches.push(jobs.map((j) => j.n));
      await gate;
      return answer === undefined ? jobs.map((j) => ({ value: j.n })) : answer(jobs);
    },
    async (job) => {
      alone.push(job.n);
      await gate;
      return job.n;
    },
  );
  return {
    batcher,
    batches,
    alone,
    hold(): void {
      gate = new Promise((r) => (release = r));
    },
    open(): void {
      release?.();
      gate = undefined;
    },
  };
}

const job = (n: number, group = `g${n}`): Job => ({ group, n });

describe('PushBatcher', () => {
  it('sends a lone push by itself, at once', async () => {
    const h = harness();
    await expect(h.batcher.submit(job(1))).resolves.toBe(1);
    expect(h.alone).toEqual([1]);
    expect(h.batches).toEqual([]);
  });

  it('puts pushes received in the same turn into one batch, each answered with its own result', async () => {
    const h = harness();
    const results = await Promise.all([1, 2, 3, 4].map((n) => h.batcher.submit(job(n))));
    expect(results).toEqual([1, 2, 3, 4]);
    expect(h.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('forms the next batch from what queued while one ran, at most maxPushes per batch', async () => {
    const h = harness({ maxPushes: 3 });
    h.hold();
    const first = [1, 2].map((n) => h.batcher.submit(job(n)));
    await new Promise((r) => setImmediate(r));
    const later = [3, 4, 5, 6, 7].map((n) => h.batcher.submit(job(n)));
    expect(h.batcher.state).toEqual({ queued: 5, running: 1 });
    h.open();
    expect(await Promise.all([...first, ...later])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(h.batches).toEqual([
      [1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });

  it('never puts two pushes to one group into a batch, and keeps their order', async () => {
    const h = harness();
    const results = await Promise.all([job(1, 'a'), job(2, 'b'), job(3, 'a'), job(4, 'c'), job(5, 'a')].map((j) => h.batcher.submit(j)));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(h.batches).toEqual([[1, 2, 4]]);
    expect(h.alone).toEqual([3, 5]);
  });

  it('runs up to inFlight batches at once', async () => {
    const h = harness({ inFlight: 2, maxPushes: 2 });
    h.hold();
    const all = [1, 2, 3, 4, 5, 6].map((n) => h.batcher.submit(job(n)));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(h.batcher.state).toEqual({ queued: 2, running: 2 });
    h.open();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails only the push its outcome fails, and runs alone the pushes sent back', async () => {
    const h = harness({}, (jobs) => jobs.map((j) => (j.n === 2 ? { error: new Error('bad 2') } : j.n === 3 ? 'alone' : { value: j.n * 10 })));
    const settled = await Promise.allSettled([1, 2, 3].map((n) => h.batcher.submit(job(n))));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([10, 'bad 2', 3]);
    expect(h.alone).toEqual([3]);
  });

  it('rejects every push of a batch whose statement threw, and keeps serving', async () => {
    let fail = true;
    const h = harness({}, (jobs) => {
      if (fail) {
        fail = false;
        throw new Error('database unavailable');
      }
      return jobs.map((j) => ({ value: j.n }));
    });
    const settled = await Promise.allSettled([1, 2].map((n) => h.batcher.submit(job(n))));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(await Promise.all([3, 4].map((n) => h.batcher.submit(job(n))))).toEqual([3, 4]);
  });

  it('answers the pushes still queued with an error that says the database is away', async () => {
    const away = new Error('database unavailable');
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new PushBatcher<Job, number>(
      { maxPushes: 2, windowUs: 0, inFlight: 1 },
      (j) => j.group,
      async (jobs) => {
        batches.push(jobs.map((j) => j.n));
        await gate;
        throw away;
      },
      async (j) => j.n,
      (error) => error === away,
    );
    const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(job(n)));
    await new Promise((r) => setImmediate(r));
    release();
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => (s.status === 'rejected' ? s.reason : s.value))).toEqual([away, away, away, away, away]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('with a window, waits for company before sending a push alone', async () => {
    // A window far longer than the 5 ms between the pushes (20 ms failed on a loaded machine, where
    // the 5 ms timer fired late); a batch of two is full, so it goes without waiting the window out.
    const h = harness({ windowUs: 2_000_000, maxPushes: 2 });
    const first = h.batcher.submit(job(1));
    await new Promise((r) => setTimeout(r, 5));
    const second = h.batcher.submit(job(2));
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(h.batches).toEqual([[1, 2]]);
  });
});
