/**
 * What a push may hold so that the store can index it. PostgreSQL's B-tree indexes hold entries of
 * at most 2,704 bytes (a third of a page), and the store indexes grouping keys, metric names and
 * series keys (every label of a series), so a push whose label values run to kilobytes would fail
 * inside its statement. Upstream keeps everything in memory and has no such limit; here such a
 * push is refused before anything is written, with a 400 that names the key, instead of failing
 * as a server error. The number of families per push is bounded too (the push statement numbers
 * the names it looks up with 16-bit integers). docs/compatibility.md lists both limits.
 */
import type { GroupRef, PushWrite } from 'src/storage/push-statements';
import type { PushHistoryArgs } from 'src/storage/history-writer';
import { toDbText } from 'src/storage/db-text';
import type { MetricFamily } from 'src/core/model/metric-family';

/**
 * Bytes of text one index entry may hold (the sum of its text columns: tenant and grouping key,
 * exposed key, metric name, tenant and series key). With the entry's header, the other columns and
 * the length words this stays below PostgreSQL's 2,704 whatever the text, compressible or not.
 */
export const MAX_INDEXED_BYTES = 2400;

/** Metric families one push may hold. */
export const MAX_FAMILIES_PER_PUSH = 5000;

/**
 * Series one push may hold. Each step of a push (parse, check, plan, history, statement) takes time
 * linear in its series on the one JavaScript thread; a push of more than LARGE_PUSH_SERIES yields to
 * the event loop between the steps, and this bound keeps each step to ~0.2 s on the benchmark
 * machine (a 16 MiB body of 300k series blocked every other request for 9-10 s).
 */
export const MAX_SERIES_PER_PUSH = 50_000;

/** Above this many series a push yields to the event loop between its steps (see MAX_SERIES_PER_PUSH). */
export const LARGE_PUSH_SERIES = 2000;

/** Lets other requests run between the steps of a large push. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The series of the families (one per metric). */
export function seriesCount(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const f of families) {
    n += f.metric.length;
  }
  return n;
}

/** Whether a push is large enough to let other requests run between (and within) its steps. */
export function isLargePush(families: readonly MetricFamily[]): boolean {
  return seriesCount(families) > LARGE_PUSH_SERIES;
}

/** A push the store cannot index (see the module comment). Maps to HTTP 400. */
export class PushTooLargeError extends Error {}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A name for the message: JSON-quoted, cut after 80 characters. */
const excerpt = (s: string): string => (s.length > 80 ? `${JSON.stringify(s.slice(0, 80))}…` : JSON.stringify(s));

function tooLong(what: string, size: number, bound = ''): PushTooLargeError {
  return new PushTooLargeError(
    `push refused: ${what} takes ${bound}${size} bytes, more than the ${MAX_INDEXED_BYTES} a stored key may hold (shorten its labels)`,
  );
}

/** The group's keys; checked before anything of the push, including a recorded failure, is written. */
export function checkGroupStorable(group: Pick<GroupRef, 'tenant' | 'groupingKey' | 'exposedKey'>): void {
  const key = bytes(group.tenant) + bytes(group.groupingKey);
  if (key > MAX_INDEXED_BYTES) {
    throw tooLong('the grouping key', key);
  }
  const exposed = bytes(group.exposedKey);
  if (exposed > MAX_INDEXED_BYTES) {
    throw tooLong('the grouping key with its tenant', exposed);
  }
}

/**
 * A first, cheap look right after parsing, before the push's series are sorted, checked and keyed
 * (work that grows with their labels): a series whose label names and values alone have more
 * characters than a key may hold bytes is refused at once, and so is a push of more than
 * MAX_SERIES_PER_PUSH series. checkPushStorable does the exact check. Returns the push's series.
 */
export function checkParsedSeries(families: readonly MetricFamily[]): number {
  const series = seriesCount(families);
  if (series > MAX_SERIES_PER_PUSH) {
    throw new PushTooLargeError(`push refused: it holds ${series} series, at most ${MAX_SERIES_PER_PUSH} per push`);
  }
  for (const f of families) {
    for (const m of f.metric) {
      let chars = f.name.length;
      for (const l of m.label) {
        chars += l.name.length + l.value.length;
      }
      if (chars > MAX_INDEXED_BYTES) {
        throw tooLong(`a series of ${excerpt(f.name)} (its name and labels)`, chars, 'at least ');
      }
    }
  }
  return series;
}

/** The push's families and, when the history is written, its series keys, as the statement stores them. */
export function checkPushStorable(write: PushWrite, history: PushHistoryArgs | undefined): void {
  checkGroupStorable(write.group);
  const families = write.plan.families;
  if (families.length > MAX_FAMILIES_PER_PUSH) {
    throw new PushTooLargeError(`push refused: it holds ${families.length} metric families, at most ${MAX_FAMILIES_PER_PUSH} per push`);
  }
  for (const f of families) {
    const name = bytes(toDbText(f.name));
    if (name > MAX_INDEXED_BYTES) {
      throw tooLong(`the name of metric family ${excerpt(f.name)}`, name);
    }
  }
  if (history !== undefined) {
    const tenant = bytes(write.group.tenant);
    for (let i = 0; i < history.keys.length; i++) {
      const key = tenant + bytes(history.keys[i]);
      if (key > MAX_INDEXED_BYTES) {
        throw tooLong(`the label set of a series of ${excerpt(history.names[i])}`, key);
      }
    }
  }
}
