import { approx, instantRows, load } from 'src/core/promql/testdata/fixtures';

/**
 * Samples 15s apart from t=0. Expected figures are worked out from Prometheus' extrapolatedRate:
 * result = (last - first + resets) × (sampled + extrapolation) / sampled, where each boundary
 * gap is added if shorter than 1.1 × the average sample interval, else half an interval.
 */
const fixture = () =>
  load(15, {
    'c{i="steady"}': '0+10x40', // 0, 10, ... at t = 0, 15, ... 600
    'c{i="reset"}': '0 10 20 5 15', // reset between t=30 and t=45
    'late{i="1"}': '_x4 1 11 21 31', // first sample 1 at t=60
    'g{i="1"}': '_x6 10 20 30', // t = 90, 105, 120
    'one{i="1"}': '7',
    'flat{i="1"}': '3 3 3',
    'infinite{i="1"}': 'Inf Inf',
  });

describe('rate / increase / delta', () => {
  it.each([
    // Window [240,300] holds 160..200 at both boundaries: no extrapolation; 40 / 60s.
    ['rate, samples on both boundaries', 'rate(c{i="steady"}[1m])', 300, [['{i="steady"}', 0.666666666667]]],
    ['increase, samples on both boundaries', 'increase(c{i="steady"}[1m])', 300, [['{i="steady"}', 40]]],
    // Window [250,300]: 170..200 over 45s; start gap 5s < 16.5s is extrapolated: 30 × 50/45.
    ['increase extrapolates a short gap', 'increase(c{i="steady"}[50s])', 300, [['{i="steady"}', 33.3333333333]]],
    ['rate divides by the range', 'rate(c{i="steady"}[50s])', 300, [['{i="steady"}', 0.666666666667]]],
    // 15 - 0 + 20 (reset from 20 to 5) = 35 over exactly the window.
    ['counter reset is compensated', 'increase(c{i="reset"}[1m])', 60, [['{i="reset"}', 35]]],
    ['rate with a reset', 'rate(c{i="reset"}[1m])', 60, [['{i="reset"}', 0.583333333333]]],
    // Window [50,110]: 1..31 over 45s; start gap 10s, but the counter would hit zero after
    // 45 × 1/30 = 1.5s, so only 1.5s is added; end gap 5s: 30 × (45 + 1.5 + 5) / 45.
    ['extrapolation stops at the counter zero point', 'increase(late[1m])', 110, [['{i="1"}', 34.3333333333]]],
    // delta does not treat the series as a counter: start gap 270s >= 16.5s adds 7.5s: 20 × 37.5 / 30.
    ['delta adds half an interval for a long gap', 'delta(g[5m])', 120, [['{i="1"}', 25]]],
    ['delta of a reset is negative', 'delta(c{i="reset"}[1m])', 60, [['{i="reset"}', 15]]],
    ['a single sample gives no result', 'rate(one[5m])', 60, []],
    ['constant series', 'increase(flat[1m])', 30, [['{i="1"}', 0]]],
    ['infinite counter', 'rate(infinite[1m])', 15, [['{i="1"}', NaN]]],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(approx(await instantRows(fixture(), query, t))).toEqual(approx(expected as [string, number][]));
  });
});

describe('irate / idelta', () => {
  it.each([
    ['irate uses the last two samples', 'irate(c{i="reset"}[1m])', 60, [['{i="reset"}', 0.666666666667]]], // (15-5)/15
    ['irate after a reset uses the new value', 'irate(c{i="reset"}[1m])', 45, [['{i="reset"}', 0.333333333333]]], // 5/15
    ['idelta does not compensate resets', 'idelta(c{i="reset"}[1m])', 45, [['{i="reset"}', -15]]],
    ['one sample is not enough', 'irate(one[1m])', 0, []],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(approx(await instantRows(fixture(), query, t))).toEqual(approx(expected as [string, number][]));
  });
});

describe('deriv / resets / changes', () => {
  it.each([
    ['deriv is the least-squares slope per second', 'deriv(c{i="steady"}[1m])', 300, [['{i="steady"}', 0.666666666667]]],
    ['deriv of a constant series is 0', 'deriv(flat[1m])', 30, [['{i="1"}', 0]]],
    ['deriv of a constant infinite series is NaN', 'deriv(infinite[1m])', 15, [['{i="1"}', NaN]]],
    ['resets counts decreases', 'resets(c{i="reset"}[1m])', 60, [['{i="reset"}', 1]]],
    ['changes counts value changes', 'changes(c{i="reset"}[1m])', 60, [['{i="reset"}', 4]]],
    ['changes of a constant series', 'changes(flat[1m])', 30, [['{i="1"}', 0]]],
    ['changes needs only one sample', 'changes(one[1m])', 0, [['{i="1"}', 0]]],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(approx(await instantRows(fixture(), query, t))).toEqual(approx(expected as [string, number][]));
  });
});

describe('range functions drop the metric name', () => {
  it('keeps labels apart from __name__', async () => {
    expect(await instantRows(fixture(), 'rate({__name__="c", i="steady"}[1m])', 300)).toEqual([['{i="steady"}', 0.6666666666666666]]);
  });

  it('rejects label sets that collide once the name is gone', async () => {
    await expect(instantRows(fixture(), 'changes({__name__=~"one|flat"}[1m])', 30)).rejects.toThrow('vector cannot contain metrics with the same labelset');
  });
});
