/**
 * An in-memory SeriesSource for tests and benchmarks. It implements the port's contract
 * exactly (matchers, inclusive range, previous sample, label-set order) but skips everything a
 * real store does: no persistence, no retention, no concurrency control.
 */

import { labelValue } from 'src/core/model/labels';
import { compareLabels, labelsFromRecord } from 'src/core/promql/labels';
import { compileMatchers, matchesAll } from 'src/core/promql/matchers';
import { CHECKPOINT_EVERY } from 'src/core/promql/query-budget';
import type { LabelMatcher, LoadBudget, Sample, SelectRange, Series, SeriesSource } from 'src/core/promql/series-source';
import { firstAtOrAfter, lastAtOrBefore } from 'src/core/promql/values';

interface StoredSeries {
  labels: Record<string, string>;
  samples: Sample[];
}

/** Holds series in memory; `add`/`push` copy their input, so callers may reuse it. */
export class MemorySeriesSource implements SeriesSource {
  private readonly series = new Map<string, StoredSeries>();
  private sorted: StoredSeries[] | undefined;

  /** Creates a source holding copies of `series` (samples need not be sorted). */
  constructor(series: Series[] = []) {
    for (const s of series) {
      this.add(s.labels, s.samples);
    }
  }

  /** Adds samples to the series with these labels, creating it when new; keeps samples sorted by t. */
  add(labels: Record<string, string>, samples: Sample[]): this {
    const normal = { ...labelsFromRecord(labels) };
    const key = JSON.stringify(Object.entries(normal));
    let s = this.series.get(key);
    if (!s) {
      s = { labels: normal, samples: [] };
      this.series.set(key, s);
      this.sorted = undefined;
    }
    const wasSorted = s.samples.length === 0 || samples.length === 0 || s.samples[s.samples.length - 1].t <= samples[0].t;
    for (const x of samples) {
      s.samples.push({ ...x });
    }
    if (!wasSorted || samples.some((x, i) => i > 0 && samples[i - 1].t > x.t)) {
      s.samples.sort((a, b) => a.t - b.t);
    }
    return this;
  }

  /** See SeriesSource.select: counts samples per series and checkpoints every few thousand series. */
  async select(matchers: LabelMatcher[], range: SelectRange, budget?: LoadBudget): Promise<Series[]> {
    const predicates = compileMatchers(matchers);
    this.sorted ??= [...this.series.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    const out: Series[] = [];
    for (let i = 0; i < this.sorted.length; i++) {
      if (budget !== undefined && i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await budget.checkpoint();
      }
      const s = this.sorted[i];
      if (!matchesAll(s.labels, predicates)) {
        continue;
      }
      let from = firstAtOrAfter(s.samples, range.startMs);
      if (range.includePrevious) {
        const prev = lastAtOrBefore(s.samples, range.startMs);
        from = prev >= 0 ? prev : from;
      }
      const to = lastAtOrBefore(s.samples, range.endMs) + 1;
      if (to > from) {
        budget?.hold(to - from);
        out.push({ labels: s.labels, samples: s.samples.slice(from, to) });
      }
    }
    return out;
  }

  /**
   * See SeriesSource.selectPages: `select`'s answer cut into pages (tests use it with any page
   * size), each page's samples counted when it is handed out.
   */
  async *selectPages(matchers: LabelMatcher[], range: SelectRange, pageSize: number, budget?: LoadBudget, only?: readonly string[]): AsyncGenerator<Series[]> {
    const all = await this.select(matchers, range);
    for (let at = 0; at < all.length; at += pageSize) {
      const page = all.slice(at, at + pageSize).map((s) => (only === undefined ? s : { labels: pick(s.labels, only), samples: s.samples }));
      budget?.hold(page.reduce((n, s) => n + s.samples.length, 0));
      await budget?.checkpoint();
      yield page;
    }
  }
}

/** The labels of `labels` named in `only`. */
function pick(labels: Record<string, string>, only: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of only) {
    const v = labelValue(labels, name);
    if (v !== undefined) {
      out[name] = v;
    }
  }
  return out;
}
