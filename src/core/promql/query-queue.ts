/**
 * The concurrency cap of the query API (DESIGN §5c, Prometheus' --query.max-concurrency): at most
 * `maxConcurrent` reads of the history run at once; the rest wait in arrival order (FIFO). Time
 * spent waiting counts against the query's timeout: a query still waiting at its deadline leaves
 * the queue with PromqlEvalError('timeout', 'query timed out in query queue') and never runs.
 */

import { PromqlEvalError } from 'src/core/promql/errors';

/** How long one caller may wait. */
export interface QueueWait {
  /** ms from now after which the caller gives up waiting; Infinity: no limit. */
  timeoutMs: number;
}

interface Waiter {
  start(): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A FIFO counting semaphore. */
export class QueryQueue {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly maxConcurrent: number) {
    if (!(maxConcurrent >= 1)) {
      throw new RangeError('maxConcurrent must be at least 1');
    }
  }

  /** Queries running now. */
  get running(): number {
    return this.active;
  }

  /** Queries waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `fn` once a slot is free (at once when one is and nobody waits) and frees the slot when
   * it settles, whatever the outcome. Rejects with PromqlEvalError('timeout') when no slot freed up
   * within `wait.timeoutMs`; `fn` is then never called.
   */
  async run<T>(fn: () => Promise<T>, wait: QueueWait): Promise<T> {
    await this.acquire(wait);
    try {
      return await fn();
    } finally {
      this.releaseSlot();
    }
  }

  private acquire(wait: QueueWait): Promise<void> {
    if (this.active < this.maxConcurrent && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: undefined,
      };
      if (wait.timeoutMs <= 0) {
        reject(queueTimeout());
        return;
      }
      if (Number.isFinite(wait.timeoutMs)) {
        waiter.timer = setTimeout(() => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(queueTimeout());
          }
        }, wait.timeoutMs);
      }
      this.waiting.push(waiter);
    });
  }

  /** Hands the slot to the longest waiter, or frees it. */
  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.active--;
    } else {
      next.start();
    }
  }
}

function queueTimeout(): PromqlEvalError {
  return new PromqlEvalError('timeout', 'query timed out in query queue');
}
