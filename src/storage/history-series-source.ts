import type { LabelMatcher, LoadBudget, Sample, SelectRange, Series, SeriesSource } from 'src/core/promql/series-source';
import { HistoryReader, HistorySeries } from 'src/storage/history-reader';

/** Pages of series whose samples are loaded by one pair of statements: sized for about this many samples. */
const SAMPLES_PER_PAGE = 200_000;
const MIN_PAGE = 256;
const MAX_PAGE = 20_000;

/**
 * The PromQL evaluator's SeriesSource over the push history, for one tenant (or all). Label
 * matchers go to SQL (see history-matchers.ts). A series whose latest sample is at or before the
 * range start needs no sample lookup at all: history_series holds that sample, which is what an
 * instant query at "now" over current series reads. Only series with later samples are looked up
 * in history_sample (range plus the previous sample), page by page in id order (a page of a dense
 * selection is one index range): each page's samples are counted against the query's budget as
 * soon as they arrive (so an oversized query stops at the limit, not after loading everything),
 * and the budget's checkpoint runs between pages.
 */
export class HistorySeriesSource implements SeriesSource {
  constructor(
    private readonly history: HistoryReader,
    private readonly tenant: string | undefined,
  ) {}

  /** See SeriesSource.select. */
  async select(matchers: LabelMatcher[], range: SelectRange, budget?: LoadBudget): Promise<Series[]> {
    const scope = { tenant: this.tenant, startMs: range.startMs, endMs: range.endMs };
    return this.withSamples(await this.history.findSeries(matchers, scope, range.includePrevious, { budget }), range, budget);
  }

  /** See SeriesSource.selectPages: series pages from HistoryReader.seriesPages, each with its samples. */
  async *selectPages(matchers: LabelMatcher[], range: SelectRange, pageSize: number, budget?: LoadBudget, only?: readonly string[]): AsyncGenerator<Series[]> {
    const scope = { tenant: this.tenant, startMs: range.startMs, endMs: range.endMs };
    for await (const found of this.history.seriesPages(matchers, scope, range.includePrevious, pageSize, budget, only)) {
      yield await this.withSamples(found, range, budget);
    }
  }

  /** The series with their samples in the range, in the order given; loads in pages (see the class). */
  private async withSamples(found: HistorySeries[], range: SelectRange, budget: LoadBudget | undefined): Promise<Series[]> {
    const need = found.filter((s) => s.lastT > range.startMs);
    const ids = Float64Array.from(need, (s) => s.id).sort();
    const loaded = new Map<number, Sample[]>();
    let pageSize = MIN_PAGE;
    for (let at = 0; at < ids.length;) {
      const page = Array.from(ids.subarray(at, at + pageSize));
      at += page.length;
      const samples = await this.history.loadSamples(page, range.startMs, range.endMs, range.includePrevious, budget);
      let held = 0;
      for (const [id, s] of samples) {
        loaded.set(id, s);
        held += s.length;
      }
      budget?.hold(held);
      await budget?.checkpoint();
      pageSize = nextPageSize(held, page.length);
    }
    budget?.hold(found.length - need.length);
    const out: Series[] = [];
    for (const s of found) {
      const samples = s.lastT > range.startMs ? withLatest(s, loaded.get(s.id), range.endMs) : [latest(s)];
      if (s.expiresT !== undefined && s.expiresT <= range.endMs && (samples.length === 0 || samples[samples.length - 1].t < s.expiresT)) {
        // The group expired and the leader has not removed it yet: the marker it will write.
        samples.push({ t: s.expiresT, v: NaN, stale: true });
      }
      if (samples.length > 0) {
        out.push({ labels: s.labels, samples });
      }
    }
    return out;
  }
}

/** Adapts the page to the samples per series seen so far: about SAMPLES_PER_PAGE per page. */
function nextPageSize(samples: number, series: number): number {
  const perSeries = Math.max(1, samples / Math.max(1, series));
  return Math.max(MIN_PAGE, Math.min(MAX_PAGE, Math.floor(SAMPLES_PER_PAGE / perSeries)));
}

function latest(s: HistorySeries): Sample {
  return s.lastStale ? { t: s.lastT, v: NaN, stale: true } : { t: s.lastT, v: s.lastV };
}

/**
 * Samples from history_sample; the series' latest sample is appended when it falls in the range
 * but is missing there (HISTORY_ENABLED=false keeps only latest values).
 */
function withLatest(s: HistorySeries, loaded: Sample[] | undefined, endMs: number): Sample[] {
  const out = loaded ?? [];
  if (s.lastT <= endMs && (out.length === 0 || out[out.length - 1].t < s.lastT)) {
    out.push(latest(s));
  }
  return out;
}
