import { MAX_TIME_MS, MIN_TIME_MS, parseDurationParam, parseTimeParam } from 'src/core/promql/api-params';
import { PromqlEvalError } from 'src/core/promql/errors';

describe('parseTimeParam', () => {
  it.each([
    ['integer seconds', '4', 4000],
    ['float seconds', '1435781451.781', 1435781451781],
    ['rounded to milliseconds', '1.0006', 1001],
    ['negative seconds', '-1.5', -1500],
    ['exponent', '1.5e3', 1_500_000],
    ['RFC 3339 UTC', '2015-07-01T20:10:51.781Z', 1435781451781],
    ['RFC 3339 without fraction', '2015-07-01T20:10:51Z', 1435781451000],
    ['RFC 3339 with offset', '2015-07-01T22:10:51+02:00', 1435781451000],
    ['RFC 3339 year 0050', '0050-01-01T00:00:00Z', -60589296000000],
    ['RFC 3339 nanoseconds are truncated', '2015-07-01T20:10:51.781999999Z', 1435781451781],
    ["Prometheus' formatted MinTime", '-292275055-05-16T16:47:04.192Z', MIN_TIME_MS],
    ["Prometheus' formatted MaxTime", '292277025-08-18T07:12:54.999Z', MAX_TIME_MS],
  ])('%s: %s', (_name, text, ms) => {
    expect(parseTimeParam(text)).toBe(ms);
  });

  it.each([
    ['words', 'now'],
    ['empty', ''],
    ['NaN', 'NaN'],
    ['invalid date', '2015-02-30T00:00:00Z'],
    ['missing zone', '2015-07-01T20:10:51'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseTimeParam(text)).toThrow(new PromqlEvalError('bad_data', `cannot parse "${text}" to a valid timestamp`));
  });
});

describe('parseDurationParam', () => {
  it.each([
    ['float seconds', '15', 15_000],
    ['fractional seconds', '0.5', 500],
    ['duration', '15s', 15_000],
    ['1m0s', '1m0s', 60_000],
    ['1h0m15s', '1h0m15s', 3_615_000],
  ])('%s: %s', (_name, text, ms) => {
    expect(parseDurationParam(text)).toBe(ms);
  });

  it.each([
    ['words', 'soon', 'cannot parse "soon" to a valid duration'],
    ['overflow', '1e20', 'cannot parse "1e20" to a valid duration. It overflows int64'],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseDurationParam(text)).toThrow(new PromqlEvalError('bad_data', message));
  });
});
