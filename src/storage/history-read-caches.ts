/**
 * The query side's process-wide caches of history_series facts, each bounded by an estimate of
 * the bytes it holds (DESIGN §5c: what a query loads must not stay resident after it). No SQL.
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
 * Labels by series id, at most `maxBytes` (estimated). When full, the oldest entries go first
 * (insertion order); an entry larger than the whole budget is not kept. An id's labels never
 * change, so setting a cached id again changes nothing.
 */
export class SeriesLabelCache {
  private readonly entries = new Map<number, { value: SeriesLabels; bytes: number }>();
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
    return this.entries.size;
  }

  get(id: number): SeriesLabels | undefined {
    return this.entries.get(id)?.value;
  }

  /** Adds one entry unless cached, evicting the oldest ones beyond the budget. */
  set(id: number, value: SeriesLabels): void {
    const bytes = seriesLabelsBytes(value);
    if (this.entries.has(id) || bytes > this.maxBytes) {
      return;
    }
    this.entries.set(id, { value, bytes });
    this.order.push(id);
    this.total += bytes;
    while (this.total > this.maxBytes) {
      const oldest = this.order[this.head++];
      this.total -= this.entries.get(oldest)?.bytes ?? 0;
      this.entries.delete(oldest);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

/** Estimated bytes per remembered position (a Map<number, number> entry). */
const ORDER_ENTRY_BYTES = 48;

/**
 * The label-set order of the last large answer per selector (see HistoryReader.findSeries),
 * at most `maxBytes` (estimated) in all; the oldest selector goes first.
 */
export class SeriesOrderCache {
  private readonly orders = new Map<string, Map<number, number>>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  /** The remembered position of each id for this selector. */
  get(selector: string): Map<number, number> | undefined {
    return this.orders.get(selector);
  }

  /** Remembers `ids` (in order) for a selector when they fit the budget at all. */
  set(selector: string, ids: readonly number[]): void {
    this.delete(selector);
    const bytes = ids.length * ORDER_ENTRY_BYTES;
    if (bytes > this.maxBytes) {
      return;
    }
    while (this.total + bytes > this.maxBytes && this.orders.size > 0) {
      this.delete(this.orders.keys().next().value as string);
    }
    const positions = new Map<number, number>();
    ids.forEach((id, i) => positions.set(id, i));
    this.orders.set(selector, positions);
    this.total += bytes;
  }

  private delete(selector: string): void {
    const old = this.orders.get(selector);
    if (old !== undefined) {
      this.orders.delete(selector);
      this.total -= old.size * ORDER_ENTRY_BYTES;
    }
  }
}
