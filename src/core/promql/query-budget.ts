/**
 * What one query may spend (DESIGN §5c): wall time, samples held in memory, and the event loop.
 *
 * - Time: a deadline on the injected clock; `checkpoint()` throws PromqlEvalError('timeout') past
 *   it (Prometheus' "query timed out in query execution") and 'canceled' once the signal is raised.
 * - Samples: `hold(n)` counts samples the query holds at once (see EvalOptions.maxSamples for what
 *   counts); past the limit it throws Prometheus' "query processing would load too many samples
 *   into memory in query execution" (errorType execution).
 * - The event loop: hot loops call `checkpoint()` every few thousand items; once the query has run
 *   for `sliceMs` since it last yielded, the checkpoint yields (setImmediate), so pushes, scrapes and
 *   `/-/healthy` are served between slices of a long query.
 */

import { PromqlEvalError } from 'src/core/promql/errors';

/** Prometheus' default --query.max-samples. */
export const DEFAULT_MAX_SAMPLES = 50_000_000;
/** Work between two yields to the event loop, in ms of the budget's clock. */
export const DEFAULT_SLICE_MS = 10;
/** Items a hot loop processes between two checkpoints (a checkpoint reads the clock). */
export const CHECKPOINT_EVERY = 2048;

/** Settings of one query's budget. Every field is optional. */
export interface BudgetOptions {
  /** Most samples held at once. Default 50,000,000. */
  maxSamples?: number;
  /** Evaluation budget in ms from the budget's creation, on `now`. Default: none. */
  timeoutMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** When `aborted` becomes true, the next checkpoint throws PromqlEvalError('canceled'). */
  signal?: { readonly aborted: boolean };
  /** Work between two yields, in ms. Default 10. */
  sliceMs?: number;
  /** Lets other work run; default: resolve on setImmediate (setTimeout 0 where there is none). */
  yieldToLoop?: () => Promise<void>;
}

/** The part of a budget a SeriesSource sees (see SeriesSource.select). */
export interface LoadBudget {
  /** Counts samples now held; throws PromqlEvalError('execution') past the limit. */
  hold(samples: number): void;
  /** Throws when the query must stop (timeout, cancel); yields when the slice is used up. */
  checkpoint(): Promise<void>;
  /** ms before the deadline (Infinity without one): a bound for one storage statement. */
  remainingMs(): number;
}

const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';

function defaultYield(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** One query's budget. Not shared between queries. */
export class QueryBudget implements LoadBudget {
  private readonly now: () => number;
  private readonly maxSamples: number;
  private readonly deadline: number;
  private readonly sliceMs: number;
  private readonly yieldToLoop: () => Promise<void>;
  private sliceStart: number;
  private heldSamples = 0;
  private peakSamples = 0;
  private stopped = false;

  constructor(private readonly opts: BudgetOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
    this.yieldToLoop = opts.yieldToLoop ?? defaultYield;
    this.sliceStart = this.now();
    this.deadline = opts.timeoutMs === undefined ? Infinity : this.sliceStart + opts.timeoutMs;
  }

  /** Samples held now. */
  get held(): number {
    return this.heldSamples;
  }

  /** The most samples held at any time so far. */
  get peak(): number {
    return this.peakSamples;
  }

  /** See LoadBudget.hold. A negative count releases samples. */
  hold(samples: number): void {
    this.heldSamples += samples;
    if (this.heldSamples > this.peakSamples) {
      this.peakSamples = this.heldSamples;
      if (this.heldSamples > this.maxSamples) {
        throw new PromqlEvalError('execution', TOO_MANY_SAMPLES);
      }
    }
  }

  /**
   * Refuses up front work that would hold `samples` more than the limit allows, with the error
   * hold() would throw once they were held (a subquery of 3e10 steps would otherwise run until
   * the query's timeout before it held enough to hit the limit).
   */
  ensureRoom(samples: number): void {
    if (this.heldSamples + samples > this.maxSamples) {
      throw new PromqlEvalError('execution', TOO_MANY_SAMPLES);
    }
  }

  /** Releases samples no longer held (a step's intermediate values, a page handed on). */
  release(samples: number): void {
    this.heldSamples -= samples;
  }

  /** Throws PromqlEvalError('canceled') or ('timeout') when the query must stop; never yields. */
  check(): void {
    this.checkAt(this.now());
  }

  /** See LoadBudget.checkpoint. */
  async checkpoint(): Promise<void> {
    const t = this.now();
    this.checkAt(t);
    if (t - this.sliceStart >= this.sliceMs) {
      await this.yieldToLoop();
      this.sliceStart = this.now();
      this.checkAt(this.sliceStart);
    }
  }

  /**
   * Ends the query from inside: every later checkpoint throws PromqlEvalError('canceled'). The
   * evaluator stops its budget when one part failed, so loads still in flight give up.
   */
  stop(): void {
    this.stopped = true;
  }

  /** See LoadBudget.remainingMs. */
  remainingMs(): number {
    return this.deadline - this.now();
  }

  private checkAt(t: number): void {
    if (this.stopped || this.opts.signal?.aborted) {
      throw new PromqlEvalError('canceled', 'query was canceled in query execution');
    }
    if (t > this.deadline) {
      throw new PromqlEvalError('timeout', 'query timed out in query execution');
    }
  }
}
