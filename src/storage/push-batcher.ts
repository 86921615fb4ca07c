/**
 * The scheduling half of group commit (issue 14), free of SQL: submitted pushes queue up, and
 * whenever fewer than `inFlight` batches are running the queue is cut into a batch of at most
 * `maxPushes` pushes to pairwise different groups. A push whose group is already in the batch
 * being formed waits for a later batch, so two pushes to one group never share a statement and
 * keep their order. The batch forms on the next event-loop turn (setImmediate), so every push
 * received in the same turn can join; `windowUs` can make a batch wait a little longer for
 * company. A push that finds nothing running goes out on that turn: group commit costs a lone
 * push (concurrency 1) no waiting beyond it.
 */

/** What became of one push of a batch: its result, its error, or "run it by itself". */
export type BatchOutcome<R> = { value: R } | { error: unknown } | 'alone';

export interface BatcherSettings {
  maxPushes: number;
  windowUs: number;
  inFlight: number;
}

interface Pending<I, R> {
  item: I;
  key: string;
  at: bigint;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class PushBatcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private running = 0;
  private scheduled = false;

  /**
   * @param keyOf the group a push writes (pushes with equal keys never share a batch)
   * @param runBatch runs two or more pushes as one statement; answers one outcome per push, in order
   * @param runAlone runs one push by itself (a batch of one, or a push its batch sent back)
   * @param failsQueue whether an error a batch ended with also answers every push still queued
   *   (the database is away: queued pushes would otherwise wait for it once more in their own batch)
   */
  constructor(
    private readonly settings: BatcherSettings,
    private readonly keyOf: (item: I) => string,
    private readonly runBatch: (items: I[]) => Promise<BatchOutcome<R>[]>,
    private readonly runAlone: (item: I) => Promise<R>,
    private readonly failsQueue: (error: unknown) => boolean = () => false,
  ) {}

  /** Queues a push; resolves with its own outcome once its batch has finished. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, key: this.keyOf(item), at: process.hrtime.bigint(), resolve, reject });
      this.schedule();
    });
  }

  /** Pushes queued and batches running (for tests and metrics). */
  get state(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running };
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.settings.inFlight || this.queue.length === 0) {
      return;
    }
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    if (this.running >= this.settings.inFlight || this.queue.length === 0) {
      return;
    }
    const waitedNs = process.hrtime.bigint() - this.queue[0].at;
    if (this.queue.length < this.settings.maxPushes && waitedNs < BigInt(this.settings.windowUs) * 1000n) {
      this.scheduled = true;
      setImmediate(() => this.tick());
      return;
    }
    this.dispatch(this.take());
    this.schedule();
  }

  /** The next batch: queue order, at most maxPushes, one push per group; the rest stays queued in order. */
  private take(): Pending<I, R>[] {
    const batch: Pending<I, R>[] = [];
    const keys = new Set<string>();
    const rest: Pending<I, R>[] = [];
    for (const p of this.queue) {
      if (batch.length < this.settings.maxPushes && !keys.has(p.key)) {
        keys.add(p.key);
        batch.push(p);
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private dispatch(batch: Pending<I, R>[]): void {
    this.running++;
    const outcomes: Promise<BatchOutcome<R>[]> =
      batch.length === 1
        ? this.runAlone(batch[0].item).then(
            (value) => [{ value }],
            (error: unknown) => [{ error }],
          )
        : this.runBatch(batch.map((p) => p.item)).catch((error: unknown) => batch.map(() => ({ error })));
    void outcomes.then((results) => {
      this.running--;
      results.forEach((outcome, i) => this.settle(batch[i], outcome));
      const fatal = results.find((o): o is { error: unknown } => typeof o === 'object' && 'error' in o && this.failsQueue(o.error));
      if (fatal !== undefined) {
        this.queue.splice(0).forEach((p) => p.reject(fatal.error));
      }
      this.schedule();
    });
  }

  private settle(p: Pending<I, R>, outcome: BatchOutcome<R> | undefined): void {
    if (outcome === 'alone') {
      this.runAlone(p.item).then(p.resolve, p.reject);
    } else if (outcome === undefined) {
      p.reject(new Error('push batch answered no outcome for a push'));
    } else if ('value' in outcome) {
      p.resolve(outcome.value);
    } else {
      p.reject(outcome.error);
    }
  }
}
