import { approx, instantRows, load } from 'src/core/promql/testdata/fixtures';

/** Window at t=60 over [1m] holds the five samples 3 1 4 1 5 (15s apart). */
const fixture = () =>
  load(15, {
    'g{i="1"}': '3 1 4 1 5',
    'withnan{i="1"}': '1 NaN 3',
    'withinf{i="1"}': '1 Inf 3',
    'mixedinf{i="1"}': 'Inf -Inf',
    'withstale{i="1"}': '1 2 stale 4',
  });

describe('<aggregation>_over_time', () => {
  it.each([
    ['avg', 'avg_over_time(g[1m])', [['{i="1"}', 2.8]]], // 14 / 5
    ['min', 'min_over_time(g[1m])', [['{i="1"}', 1]]],
    ['max', 'max_over_time(g[1m])', [['{i="1"}', 5]]],
    ['sum', 'sum_over_time(g[1m])', [['{i="1"}', 14]]],
    ['count', 'count_over_time(g[1m])', [['{i="1"}', 5]]],
    ['last keeps the metric name', 'last_over_time(g[1m])', [['g{i="1"}', 5]]],
    ['present', 'present_over_time(g[1m])', [['{i="1"}', 1]]],
    // Deviations from 2.8: .2 -1.8 1.2 -1.8 2.2; squares sum to 12.8; / 5 = 2.56.
    ['stdvar', 'stdvar_over_time(g[1m])', [['{i="1"}', 2.56]]],
    ['stddev', 'stddev_over_time(g[1m])', [['{i="1"}', 1.6]]],
    // Sorted 1 1 3 4 5: rank φ × 4, interpolated.
    ['median', 'quantile_over_time(0.5, g[1m])', [['{i="1"}', 3]]],
    ['quantile between ranks', 'quantile_over_time(0.9, g[1m])', [['{i="1"}', 4.6]]], // 4 × .4 + 5 × .6
    ['quantile 0', 'quantile_over_time(0, g[1m])', [['{i="1"}', 1]]],
    ['quantile below 0', 'quantile_over_time(-1, g[1m])', [['{i="1"}', -Infinity]]],
    ['quantile above 1', 'quantile_over_time(1.5, g[1m])', [['{i="1"}', Infinity]]],
    ['quantile NaN', 'quantile_over_time(NaN, g[1m])', [['{i="1"}', NaN]]],
    ['shorter window', 'sum_over_time(g[30s])', [['{i="1"}', 10]]], // 4 1 5 at t = 30 45 60
  ])('%s: %s', async (_name, query, expected) => {
    expect(approx(await instantRows(fixture(), query, 60))).toEqual(approx(expected as [string, number][]));
  });

  it.each([
    ['min ignores NaN unless first', 'min_over_time(withnan[1m])', [['{i="1"}', 1]]],
    ['max ignores NaN', 'max_over_time(withnan[1m])', [['{i="1"}', 3]]],
    ['sum with NaN', 'sum_over_time(withnan[1m])', [['{i="1"}', NaN]]],
    ['avg with Inf', 'avg_over_time(withinf[1m])', [['{i="1"}', Infinity]]],
    ['sum with Inf', 'sum_over_time(withinf[1m])', [['{i="1"}', Infinity]]],
    ['avg of +Inf and -Inf', 'avg_over_time(mixedinf[1m])', [['{i="1"}', NaN]]],
    ['stale markers are not counted', 'count_over_time(withstale[1m])', [['{i="1"}', 3]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(approx(await instantRows(fixture(), query, 60))).toEqual(approx(expected as [string, number][]));
  });

  it.each([
    ['absent when no series has samples', 'absent_over_time(nonexistent{job="x", env=~"p.*"}[1m])', [['{job="x"}', 1]]],
    ['empty when a series has samples', 'absent_over_time(g[1m])', []],
    ['absent after the window moved past the data', 'absent_over_time(g{i="1"}[10s])', [['{i="1"}', 1]]],
  ])('%s', async (_name, query, expected) => {
    const t = query.includes('[10s]') ? 200 : 60;
    expect(await instantRows(fixture(), query, t)).toEqual(expected);
  });
});
