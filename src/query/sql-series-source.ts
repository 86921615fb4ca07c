import type { LabelMatcher, Sample, SelectRange, Series, SeriesSource } from 'src/core/promql/series-source';
import { HistoryRepository, HistorySeries } from 'src/storage/history.repository';

/**
 * The PromQL evaluator's SeriesSource over the push history, for one tenant (or all). Label
 * matchers go to SQL (see history-matchers.ts). A series whose latest sample is at or before the
 * range start needs no sample lookup at all: history_series holds that sample, which is what an
 * instant query at "now" over current series reads. Only series with later samples are looked up
 * in history_sample (range plus the previous sample), in one statement.
 */
export class SqlSeriesSource implements SeriesSource {
  constructor(
    private readonly history: HistoryRepository,
    private readonly tenant: string | undefined,
  ) {}

  /** See SeriesSource.select. */
  async select(matchers: LabelMatcher[], range: SelectRange): Promise<Series[]> {
    const found = await this.history.findSeries(matchers, { tenant: this.tenant, startMs: range.startMs, endMs: range.endMs }, range.includePrevious);
    const needSamples = found.filter((s) => s.lastT > range.startMs).map((s) => s.id);
    const loaded = await this.history.loadSamples(needSamples, range.startMs, range.endMs, range.includePrevious);
    const out: Series[] = [];
    for (const s of found) {
      const samples = s.lastT > range.startMs ? fromLoaded(s, loaded.get(s.id), range.endMs) : [latest(s)];
      if (samples.length > 0) {
        out.push({ labels: s.labels, samples });
      }
    }
    return out;
  }
}

function latest(s: HistorySeries): Sample {
  return s.lastStale ? { t: s.lastT, v: NaN, stale: true } : { t: s.lastT, v: s.lastV };
}

/**
 * Samples from history_sample; the series' latest sample is appended when it falls in the range
 * but is missing there (HISTORY_ENABLED=false keeps only latest values).
 */
function fromLoaded(s: HistorySeries, loaded: { t: number[]; v: number[]; stale: boolean[] } | undefined, endMs: number): Sample[] {
  const out: Sample[] = [];
  if (loaded !== undefined) {
    for (let i = 0; i < loaded.t.length; i++) {
      out.push(loaded.stale[i] ? { t: loaded.t[i], v: NaN, stale: true } : { t: loaded.t[i], v: loaded.v[i] });
    }
  }
  if (s.lastT <= endMs && (out.length === 0 || out[out.length - 1].t < s.lastT)) {
    out.push(latest(s));
  }
  return out;
}
