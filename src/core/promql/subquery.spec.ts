import { instantRows, load, rangeRows } from 'src/core/promql/testdata/fixtures';

/** g rises by 1 per minute: 1 at t=0 ... 10 at t=540. */
const fixture = () =>
  load(60, {
    'g{i="1"}': '1+1x9',
    'once{i="1"}': '5',
    'replaced{i="1"}': '1 2 stale',
  });

describe('subqueries', () => {
  it.each([
    // Inner steps are the multiples of the step inside [t - range, t], both ends included.
    ['raw subquery result', 'g[5m:1m]', 300, [['g{i="1"}', '1@0 2@60 3@120 4@180 5@240 6@300']]],
    ['steps aligned to multiples of the step', 'g[5m:2m]', 300, [['g{i="1"}', '1@0 3@120 5@240']]],
    ['window start not on a step', 'g[4m:2m]', 300, [['g{i="1"}', '3@120 5@240']]],
    ['offset shifts the window', 'g[2m:1m] offset 1m', 300, [['g{i="1"}', '3@120 4@180 5@240']]],
    ['@ pins the window', 'g[2m:1m] @ 120', 100000, [['g{i="1"}', '1@0 2@60 3@120']]],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(await instantRows(fixture(), query, t)).toEqual(expected);
  });

  it.each([
    ['max_over_time', 'max_over_time(g[5m:1m])', 300, [['{i="1"}', 6]]],
    ['sum_over_time of a coarser subquery', 'sum_over_time(g[5m:2m])', 300, [['{i="1"}', 9]]], // 1 + 3 + 5
    ['default step is one minute', 'count_over_time(g[5m:])', 300, [['{i="1"}', 6]]],
    // rate(g[2m]) is 1/60 at every inner step (for t=60 the zero-point rule limits extrapolation).
    ['nested range function', 'max_over_time(rate(g[2m])[4m:1m])', 300, [['{i="1"}', 1 / 60]]],
    ['subquery of a subquery', 'max_over_time(max_over_time(g[2m:1m])[2m:1m])', 300, [['{i="1"}', 6]]],
    ['old values stay visible inside subqueries', 'max_over_time(once[10m:1m])', 10000, [['{i="1"}', 5]]],
    ['stale markers end the series inside subqueries', 'count_over_time(replaced[10m:1m])', 600, [['{i="1"}', 2]]],
    ['subquery of an aggregation', 'avg_over_time(sum(g)[2m:1m])', 300, [['{}', 5]]], // (4 + 5 + 6) / 3
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(await instantRows(fixture(), query, t)).toEqual(expected);
  });

  it('uses the configured default step', async () => {
    const rows = await instantRows(fixture(), 'count_over_time(g[5m:])', 300, { defaultSubqueryStepMs: 120_000 });
    expect(rows).toEqual([['{i="1"}', 3]]);
  });

  it.each([
    ['aligned range query', 'max_over_time(g[2m:1m])', 0, 300, 60, [['{i="1"}', '1@0 2@60 3@120 4@180 5@240 6@300']]],
    ['range query steps between subquery steps', 'count_over_time(g[1m:1m])', 30, 270, 60, [['{i="1"}', '1@30 1@90 1@150 1@210 1@270']]],
    // At t=180 the inner steps 120, 150, 180 see g = 3, 3, 4 (150 still sees the sample from 120).
    ['sparse range query', 'sum_over_time(g[1m:30s])', 0, 540, 180, [['{i="1"}', '1@0 10@180 19@360 28@540']]],
  ])('%s: %s', async (_name, query, start, end, step, expected) => {
    expect(await rangeRows(fixture(), query, start, end, step)).toEqual(expected);
  });
});
