/**
 * The query side's process-wide cache of history_series labels, bounded by an estimate of the
 * bytes it holds (DESIGN §5c: what a query loads must not stay resident after it). No SQL.
 */
import { Labels } from 'src/core/model/labels';

/** A series' label set (with `__name__`) and canonical key; never change for an id. */
export interface SeriesLabels {
  labels: Labels;
  key: string;
}

/** V8 string: header plus up to two bytes per UTF-16 unit (one-byte strings take half; this errs high). */
function stringBytes(s: string): number {
  return 16 + 2 * s.length;
}

/**
 * Estimated heap bytes of one cache entry: the key string, the label object (a property slot
 * per label plus the value string; names are shared internalized strings) and the map entry.
 */
export function seriesLabelsBytes(entry: SeriesLabels): number {
  let bytes = 64 + stringBytes(entry.key);
  for (const name in entry.labels) {
    bytes += 16 + stringBytes(entry.labels[name]);
  }
  return bytes;
}

/**
 * Maps the cache's entries are spread over (by id): V8 rehashes a whole Map at once when it grows
 * or has filled with deleted slots, which for one Map of the ~190k entries of a full cache took
 * 40-50 ms inside a single set(); a sixteenth of them takes a few.
 */
const SHARDS = 16;

/**
 * Labels by series id, at most `maxBytes` (estimated). When full, the oldest entries go first
 * (insertion order); an entry larger than the whole budget is not kept. An id's labels never
 * change, so setting a cached id again changes nothing.
 */
export class SeriesLabelCache {
  private readonly shards = Array.from({ length: SHARDS }, () => new Map<number, { value: SeriesLabels; bytes: number }>());
  // Insertion order, evicted from `head`: iterating a Map from its start after many deletions
  // walks the deleted slots again each time (quadratic when evicting one by one).
  private order: number[] = [];
  private head = 0;
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.shards.reduce((n, shard) => n + shard.size, 0);
  }

  get(id: number): SeriesLabels | undefined {
    return this.shard(id).get(id)?.value;
  }

  /** Adds one entry unless cached, evicting the oldest ones beyond the budget. */
  set(id: number, value: SeriesLabels): void {
    const bytes = seriesLabelsBytes(value);
    const shard = this.shard(id);
    if (shard.has(id) || bytes > this.maxBytes) {
      return;
    }
    shard.set(id, { value, bytes });
    this.order.push(id);
    this.total += bytes;
    while (this.total > this.maxBytes) {
      const oldest = this.order[this.head++];
      const entries = this.shard(oldest);
      this.total -= entries.get(oldest)?.bytes ?? 0;
      entries.delete(oldest);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  private shard(id: number): Map<number, { value: SeriesLabels; bytes: number }> {
    return this.shards[id % SHARDS];
  }
}
