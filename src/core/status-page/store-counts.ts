/**
 * Lines in a family's pre-rendered exposition, which is one series (sample line) each: every
 * bucket, quantile, `_sum` and `_count` counts. A last line without its `\n` counts too.
 */
export function countSampleLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    n++;
  }
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

export interface StoreCounts {
  groups: number;
  families: number;
  /** Sample lines, as countSampleLines counts them. */
  series: number;
}

/** Totals over `groups` for the status tab. */
export function storeCounts(groups: readonly { families: readonly { exposition: string }[] }[]): StoreCounts {
  let families = 0;
  let series = 0;
  for (const g of groups) {
    families += g.families.length;
    for (const f of g.families) {
      series += countSampleLines(f.exposition);
    }
  }
  return { groups: groups.length, families, series };
}
