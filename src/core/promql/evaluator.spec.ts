import { PromqlEvalError } from 'src/core/promql/errors';
import { evaluateInstant, evaluateRange } from 'src/core/promql/evaluator';
import { instantRows, load, rangeRows } from 'src/core/promql/testdata/fixtures';

/** Samples one minute apart from t=0; `stale` is the marker the gateway writes on replace/delete. */
const fixture = () =>
  load(60, {
    'pushed_once{job="a"}': '5',
    'replaced{job="a"}': '1 2 stale',
    'revived{job="a"}': '1 stale _ 3',
    'other{job="b", env="prod"}': '10 20 30',
  });

describe('instant vector selectors (gateway semantics: no lookback cut-off)', () => {
  it.each([
    ['value pushed long ago is still current', 'pushed_once', 86400, [['pushed_once{job="a"}', 5]]],
    ['latest sample at or before t', 'replaced', 90, [['replaced{job="a"}', 2]]],
    ['stale marker ends the series', 'replaced', 120, []],
    ['stays absent after the stale marker', 'replaced', 100000, []],
    ['absent while stale', 'revived', 150, []],
    ['pushed again after deletion', 'revived', 180, [['revived{job="a"}', 3]]],
    ['nothing before the first push', 'pushed_once', -1, []],
    ['sample exactly at t', 'other', 60, [['other{env="prod", job="b"}', 20]]],
    ['offset looks back', 'replaced offset 1m', 120, [['replaced{job="a"}', 2]]],
    ['offset into the stale marker', 'replaced offset 1m', 180, []],
    ['negative offset looks ahead', 'pushed_once offset -1m', -60, [['pushed_once{job="a"}', 5]]],
    ['@ pins the time', 'replaced @ 60', 100000, [['replaced{job="a"}', 2]]],
    ['@ with offset', 'other @ 120 offset 1m', 0, [['other{env="prod", job="b"}', 20]]],
    ['@ start() in an instant query is the query time', 'other @ start()', 60, [['other{env="prod", job="b"}', 20]]],
    [
      'regex on __name__',
      '{__name__=~"pushed.*|other"}',
      60,
      [
        ['other{env="prod", job="b"}', 20],
        ['pushed_once{job="a"}', 5],
      ],
    ],
    ['negative regex', '{__name__=~".+", job!~"a"}', 60, [['other{env="prod", job="b"}', 20]]],
    ['missing label equals empty string', 'other{missing=""}', 60, [['other{env="prod", job="b"}', 20]]],
    ['not-equal includes series without the label', '{__name__=~"p.*", env!="prod"}', 60, [['pushed_once{job="a"}', 5]]],
    ['regexes are fully anchored', '{__name__=~"push"}', 60, []],
    ['case-insensitive regex flag', '{__name__=~"(?i)PUSHED_ONCE"}', 60, [['pushed_once{job="a"}', 5]]],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(await instantRows(fixture(), query, t)).toEqual(expected);
  });

  it('applies a Prometheus-style lookback delta when asked to', async () => {
    const opts = { lookbackDeltaMs: 300_000 };
    expect(await instantRows(fixture(), 'pushed_once', 300, opts)).toEqual([['pushed_once{job="a"}', 5]]);
    expect(await instantRows(fixture(), 'pushed_once', 301, opts)).toEqual([]);
  });
});

describe('range selectors (Prometheus 2.x: both ends inclusive, stale markers dropped)', () => {
  it.each([
    ['left boundary is included', 'other[1m]', 120, [['other{env="prod", job="b"}', '20@60 30@120']]],
    ['shorter window', 'other[59s]', 120, [['other{env="prod", job="b"}', '30@120']]],
    ['stale markers are not samples', 'replaced[5m]', 180, [['replaced{job="a"}', '1@0 2@60']]],
    ['offset shifts the window, not the timestamps', 'other[1m] offset 1m', 120, [['other{env="prod", job="b"}', '10@0 20@60']]],
    ['@ pins the window', 'other[1m] @ 60', 1000, [['other{env="prod", job="b"}', '10@0 20@60']]],
    ['series without samples in the window are left out', 'revived[30s]', 90, []],
  ])('%s: %s @ %ss', async (_name, query, t, expected) => {
    expect(await instantRows(fixture(), query, t)).toEqual(expected);
  });
});

describe('evaluateInstant result types', () => {
  it.each([
    ['scalar', '1 + 2', { resultType: 'scalar', result: { t: 60000, v: 3 } }],
    ['string', '"hello"', { resultType: 'string', result: { t: 60000, v: 'hello' } }],
    ['vector', 'pushed_once', { resultType: 'vector', result: [{ metric: { __name__: 'pushed_once', job: 'a' }, t: 60000, v: 5 }] }],
    ['time()', 'time()', { resultType: 'scalar', result: { t: 60000, v: 60 } }],
  ])('%s', async (_name, query, expected) => {
    expect(await evaluateInstant(query, 60000, fixture())).toEqual(expected);
  });

  it('accepts a parsed expression', async () => {
    const { parseExpr } = await import('src/core/promql/parser');
    const r = await evaluateInstant(parseExpr('other * 2'), 0, fixture());
    expect(r).toEqual({ resultType: 'vector', result: [{ metric: { env: 'prod', job: 'b' }, t: 0, v: 20 }] });
  });
});

describe('evaluateRange', () => {
  it.each([
    ['series ends at its stale marker', 'replaced', [['replaced{job="a"}', '1@0 2@60']]],
    ['series resumes after being pushed again', 'revived', [['revived{job="a"}', '1@0 3@180 3@240']]],
    ['old value stays current', 'pushed_once', [['pushed_once{job="a"}', '5@0 5@60 5@120 5@180 5@240']]],
    ['scalar becomes one unlabelled series', 'time() * 2', [['{}', '0@0 120@60 240@120 360@180 480@240']]],
    [
      'result sorted by label set',
      '{__name__=~"other|replaced"}',
      [
        ['other{env="prod", job="b"}', '10@0 20@60 30@120 30@180 30@240'],
        ['replaced{job="a"}', '1@0 2@60'],
      ],
    ],
    ['@ start() is the range start', 'other @ start()', [['other{env="prod", job="b"}', '10@0 10@60 10@120 10@180 10@240']]],
    ['@ end() is the range end', 'other @ end()', [['other{env="prod", job="b"}', '30@0 30@60 30@120 30@180 30@240']]],
    ['offset per step', 'other offset 1m', [['other{env="prod", job="b"}', '10@60 20@120 30@180 30@240']]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await rangeRows(fixture(), query, 0, 240, 60)).toEqual(expected);
  });

  it('fetches each selector once for the whole range', async () => {
    const src = fixture();
    const select = jest.spyOn(src, 'select');
    await evaluateRange('other + other offset 1m', 0, 3_600_000, 15_000, src);
    expect(select).toHaveBeenCalledTimes(2);
    expect(select.mock.calls[0][1]).toEqual({ startMs: 0, endMs: 3600000, includePrevious: true });
    expect(select.mock.calls[1][1]).toEqual({ startMs: -60000, endMs: 3540000, includePrevious: true });
  });

  it('fetches range selectors from start - range - offset', async () => {
    const src = fixture();
    const select = jest.spyOn(src, 'select');
    await evaluateRange('rate(other[5m] offset 1m)', 600_000, 900_000, 60_000, src);
    expect(select.mock.calls[0][1]).toEqual({ startMs: 240000, endMs: 840000, includePrevious: false });
  });

  // Parameter errors carry Prometheus' API wording and the bad_data error type.
  it.each([
    ['end before start', 'other', 10, 0, 1, 'end timestamp must not be before start time'],
    ['zero step', 'other', 0, 10, 0, 'zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['too many points', 'other', 0, 11001, 1, 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
    ['range vector', 'other[5m]', 0, 10, 1, 'invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
    ['string', '"a"', 0, 10, 1, 'invalid expression type "string" for range query, must be Scalar or instant Vector'],
  ])('rejects %s', async (_name, query, start, end, step, message) => {
    const run = evaluateRange(query, start * 1000, end * 1000, step * 1000, fixture());
    await expect(run).rejects.toThrow(new PromqlEvalError('bad_data', message));
    await expect(run).rejects.toMatchObject({ errorType: 'bad_data' });
  });
});

describe('limits', () => {
  it('stops when too many samples would be held', async () => {
    const run = evaluateRange('other', 0, 3600, 1, fixture(), { maxSamples: 100 });
    await expect(run).rejects.toMatchObject({
      errorType: 'execution',
      message: 'query processing would load too many samples into memory in query execution',
    });
  });

  it('times out on the injected clock', async () => {
    let now = 0;
    const clock = () => (now += 1000);
    const run = evaluateRange('other', 0, 3600, 1, fixture(), { timeoutMs: 10_000, now: clock });
    await expect(run).rejects.toMatchObject({ errorType: 'timeout', message: 'query timed out in query execution' });
  });

  it('can be canceled', async () => {
    const run = evaluateRange('other', 0, 3600, 1, fixture(), { signal: { aborted: true } });
    await expect(run).rejects.toMatchObject({ errorType: 'canceled' });
  });
});
