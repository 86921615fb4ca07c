/**
 * Work done in steps: a generator that yields between slices of a large input and returns its
 * result. Run at once (`runAll`) it is a plain function call; run with `runPaused` it lets the event
 * loop serve other requests at every step, so one large push or query cannot hold the gateway for
 * the whole of its linear work.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step at once and returns the result. */
export function runAll<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) {
      return r.value;
    }
  }
}

/** Runs the steps with `pause` awaited between them. */
export async function runPaused<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done === true) {
      return r.value;
    }
    await pause();
  }
}
