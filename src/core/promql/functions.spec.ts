import { approx, instantRows, load } from 'src/core/promql/testdata/fixtures';

/** All queries run at t = 1700000000 (2023-11-14T22:13:20Z, a Tuesday). */
const T = 1700000000;
const fixture = () => {
  const src = load(60, {});
  const at = (v: number) => [{ t: T * 1000, v }];
  src.add({ __name__: 'v', i: '1' }, at(-2.5));
  src.add({ __name__: 'v', i: '2' }, at(0.5));
  src.add({ __name__: 'v', i: '3' }, at(10));
  src.add({ __name__: 'notanumber', i: '1' }, at(NaN));
  src.add({ __name__: 'ts', i: '1' }, at(951782400)); // 2000-02-29T00:00:00Z
  src.add({ __name__: 'ts', i: '2' }, at(-1)); // 1969-12-31T23:59:59Z
  src.add({ __name__: 'old', i: '1' }, [{ t: 1000 * 1000, v: 1 }]);
  src.add({ __name__: 'up', job: 'api', instance: 'host-1:9100' }, at(1));
  src.add({ __name__: 'up', job: 'web', instance: 'host-2:9100' }, at(0));
  return src;
};

const run = async (query: string) => approx(await instantRows(fixture(), query, T));

describe('math functions (drop the metric name)', () => {
  it.each([
    [
      'abs',
      'abs(v)',
      [
        ['{i="1"}', 2.5],
        ['{i="2"}', 0.5],
        ['{i="3"}', 10],
      ],
    ],
    [
      'ceil',
      'ceil(v)',
      [
        ['{i="1"}', -2],
        ['{i="2"}', 1],
        ['{i="3"}', 10],
      ],
    ],
    [
      'floor',
      'floor(v)',
      [
        ['{i="1"}', -3],
        ['{i="2"}', 0],
        ['{i="3"}', 10],
      ],
    ],
    [
      'round: ties go up',
      'round(v)',
      [
        ['{i="1"}', -2],
        ['{i="2"}', 1],
        ['{i="3"}', 10],
      ],
    ],
    [
      'round to nearest 4',
      'round(v, 4)',
      [
        ['{i="1"}', -4],
        ['{i="2"}', 0],
        ['{i="3"}', 12],
      ],
    ],
    [
      'round to nearest 0.2',
      'round(v, 0.2)',
      [
        ['{i="1"}', -2.4],
        ['{i="2"}', 0.6],
        ['{i="3"}', 10],
      ],
    ],
    ['exp', 'exp(v{i="2"})', [['{i="2"}', 1.6487212707]]],
    [
      'ln of a negative is NaN',
      'ln(v)',
      [
        ['{i="1"}', NaN],
        ['{i="2"}', -0.69314718056],
        ['{i="3"}', 2.30258509299],
      ],
    ],
    [
      'log2',
      'log2(v)',
      [
        ['{i="1"}', NaN],
        ['{i="2"}', -1],
        ['{i="3"}', 3.32192809489],
      ],
    ],
    [
      'log10',
      'log10(v)',
      [
        ['{i="1"}', NaN],
        ['{i="2"}', -0.301029995664],
        ['{i="3"}', 1],
      ],
    ],
    [
      'sqrt',
      'sqrt(v)',
      [
        ['{i="1"}', NaN],
        ['{i="2"}', 0.707106781187],
        ['{i="3"}', 3.16227766017],
      ],
    ],
    [
      'sgn',
      'sgn(v)',
      [
        ['{i="1"}', -1],
        ['{i="2"}', 1],
        ['{i="3"}', 1],
      ],
    ],
    ['sgn of NaN', 'sgn(notanumber)', [['{i="1"}', NaN]]],
    [
      'clamp',
      'clamp(v, 0, 5)',
      [
        ['{i="1"}', 0],
        ['{i="2"}', 0.5],
        ['{i="3"}', 5],
      ],
    ],
    ['clamp with max < min is empty', 'clamp(v, 5, 0)', []],
    [
      'clamp_min',
      'clamp_min(v, 1)',
      [
        ['{i="1"}', 1],
        ['{i="2"}', 1],
        ['{i="3"}', 10],
      ],
    ],
    [
      'clamp_max',
      'clamp_max(v, 1)',
      [
        ['{i="1"}', -2.5],
        ['{i="2"}', 0.5],
        ['{i="3"}', 1],
      ],
    ],
    ['clamp of NaN', 'clamp(notanumber, 0, 1)', [['{i="1"}', NaN]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });

  // Checked against Prometheus 2.42: log10(1000) is exactly 3 and log2(10) is 3.321928094887362.
  it.each([
    ['log10', 'log10(v * 100)', 3],
    ['log2', 'log2(v)', 3.321928094887362],
  ])('%s is exact', async (_name, query, expected) => {
    expect(await instantRows(fixture(), query, T)).toContainEqual(['{i="3"}', expected]);
  });
});

describe('time, vector, scalar, timestamp, absent', () => {
  it.each([
    ['time', 'time()', [['scalar', T]]],
    ['vector', 'vector(time())', [['{}', T]]],
    ['scalar of one element', 'scalar(v{i="3"})', [['scalar', 10]]],
    ['scalar of several elements is NaN', 'scalar(v)', [['scalar', NaN]]],
    ['scalar of nothing is NaN', 'scalar(nope)', [['scalar', NaN]]],
    ['timestamp is the sample time', 'timestamp(old)', [['{i="1"}', 1000]]],
    ['timestamp through parentheses', 'timestamp((old))', [['{i="1"}', 1000]]],
    ['timestamp of an expression is the evaluation time', 'timestamp(old * 1)', [['{i="1"}', T]]],
    ['absent of a present series', 'absent(v)', []],
    ['absent takes equality matchers as labels', 'absent(nope{job="x", env="prod"})', [['{env="prod", job="x"}', 1]]],
    ['absent skips other matcher types', 'absent(nope{job="x", env=~"p.*", dc!="a"})', [['{job="x"}', 1]]],
    ['absent drops a label matched twice', 'absent(nope{job="x", job="y"})', [['{}', 1]]],
    ['absent of an expression has no labels', 'absent(sum(nope{job="x"}))', [['{}', 1]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });
});

describe('sort', () => {
  it.each([
    [
      'sort ascending, NaN last',
      'sort({__name__=~"v|notanumber"})',
      [
        ['v{i="1"}', -2.5],
        ['v{i="2"}', 0.5],
        ['v{i="3"}', 10],
        ['notanumber{i="1"}', NaN],
      ],
    ],
    [
      'sort_desc, NaN last',
      'sort_desc({__name__=~"v|notanumber"})',
      [
        ['v{i="3"}', 10],
        ['v{i="2"}', 0.5],
        ['v{i="1"}', -2.5],
        ['notanumber{i="1"}', NaN],
      ],
    ],
    [
      'sort keeps the metric name',
      'sort(v > 0)',
      [
        ['v{i="2"}', 0.5],
        ['v{i="3"}', 10],
      ],
    ],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(expected);
  });
});

describe('label_replace / label_join', () => {
  it.each([
    [
      'capture groups',
      'label_replace(up, "host", "$1", "instance", "(.*):.*")',
      [
        ['up{host="host-1", instance="host-1:9100", job="api"}', 1],
        ['up{host="host-2", instance="host-2:9100", job="web"}', 0],
      ],
    ],
    ['${1} braces', 'label_replace(up{job="api"}, "x", "${1}_port", "instance", ".*:(.*)")', [['up{instance="host-1:9100", job="api", x="9100_port"}', 1]]],
    ['$1x is the group named 1x (empty)', 'label_replace(up{job="api"}, "x", "$1x", "instance", "(.*)")', [['up{instance="host-1:9100", job="api"}', 1]]],
    ['named group', 'label_replace(up{job="api"}, "x", "$port", "instance", ".*:(?P<port>.*)")', [['up{instance="host-1:9100", job="api", x="9100"}', 1]]],
    ['$$ is a dollar', 'label_replace(up{job="api"}, "x", "$$1", "job", ".*")', [['up{instance="host-1:9100", job="api", x="$1"}', 1]]],
    [
      'no match leaves the series alone',
      'label_replace(up, "x", "y", "job", "api")',
      [
        ['up{instance="host-1:9100", job="api", x="y"}', 1],
        ['up{instance="host-2:9100", job="web"}', 0],
      ],
    ],
    [
      'empty replacement deletes the label',
      'label_replace(up, "job", "", "job", ".*")',
      [
        ['up{instance="host-1:9100"}', 1],
        ['up{instance="host-2:9100"}', 0],
      ],
    ],
    [
      'the regex is anchored',
      'label_replace(up, "x", "y", "job", "ap")',
      [
        ['up{instance="host-1:9100", job="api"}', 1],
        ['up{instance="host-2:9100", job="web"}', 0],
      ],
    ],
    ['missing source label is empty', 'label_replace(up{job="api"}, "x", "empty", "nope", "")', [['up{instance="host-1:9100", job="api", x="empty"}', 1]]],
    ['can rename the metric', 'label_replace(up{job="api"}, "__name__", "renamed", "job", ".*")', [['renamed{instance="host-1:9100", job="api"}', 1]]],
    [
      'label_join',
      'label_join(up, "x", "/", "job", "instance")',
      [
        ['up{instance="host-1:9100", job="api", x="api/host-1:9100"}', 1],
        ['up{instance="host-2:9100", job="web", x="web/host-2:9100"}', 0],
      ],
    ],
    ['label_join of missing labels deletes', 'label_join(up{job="api"}, "job", "-", "nope")', [['up{instance="host-1:9100"}', 1]]],
    ['label_join without sources', 'label_join(up{job="api"}, "job", ",")', [['up{instance="host-1:9100"}', 1]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(expected);
  });

  // Messages as Prometheus 2.42 words them.
  it.each([
    ['bad regex', 'label_replace(up, "x", "y", "job", "(")', 'invalid regular expression in label_replace(): ('],
    ['bad destination', 'label_replace(up, "1x", "y", "job", ".*")', 'invalid destination label name in label_replace(): 1x'],
    ['bad join destination', 'label_join(up, "a-b", ",", "job")', 'invalid destination label name in label_join(): a-b'],
    ['bad join source', 'label_join(up, "x", ",", "1bad")', 'invalid source label name in label_join(): 1bad'],
    ['collision', 'label_replace(label_join(up, "instance", "", "nope"), "job", "", "", "")', 'vector cannot contain metrics with the same labelset'],
  ])('rejects %s', async (_name, query, message) => {
    await expect(run(query)).rejects.toMatchObject({ errorType: 'execution', message });
  });
});

describe('date functions (UTC)', () => {
  it.each([
    ['day_of_month', 'day_of_month()', 14],
    ['day_of_week (Sunday = 0)', 'day_of_week()', 2],
    ['day_of_year', 'day_of_year()', 318], // 304 days before November + 14
    ['days_in_month', 'days_in_month()', 30],
    ['hour', 'hour()', 22],
    ['minute', 'minute()', 13],
    ['month', 'month()', 11],
    ['year', 'year()', 2023],
  ])('%s defaults to the evaluation time', async (_name, query, expected) => {
    expect(await run(query)).toEqual([['{}', expected]]);
  });

  it.each([
    [
      'leap day',
      'day_of_year(ts)',
      [
        ['{i="1"}', 60],
        ['{i="2"}', 365],
      ],
    ],
    [
      'days in a leap February',
      'days_in_month(ts)',
      [
        ['{i="1"}', 29],
        ['{i="2"}', 31],
      ],
    ],
    [
      'year before the epoch',
      'year(ts)',
      [
        ['{i="1"}', 2000],
        ['{i="2"}', 1969],
      ],
    ],
    [
      'minute before the epoch',
      'minute(ts)',
      [
        ['{i="1"}', 0],
        ['{i="2"}', 59],
      ],
    ],
    [
      'day_of_week',
      'day_of_week(ts)',
      [
        ['{i="1"}', 2],
        ['{i="2"}', 3],
      ],
    ],
    ['fractions are truncated', 'hour(vector(3599.9))', [['{}', 0]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(expected);
  });

  // Go converts with int64(v): NaN, ±Inf and out-of-range values become -2^63 (amd64), and its
  // calendar arithmetic wraps around; figures are Prometheus 2.42's answers for the same input.
  it.each([
    ['NaN', 'notanumber', [292277026596, 12, 4, 339, 0, 31, 15, 30]],
    ['+Inf', 'vector(Inf)', [292277026596, 12, 4, 339, 0, 31, 15, 30]],
    ['beyond JavaScript dates', 'vector(1e15)', [31690708, 7, 5, 187, 0, 31, 1, 46]],
    ['far before the epoch', 'vector(-1e15)', [-31686769, 6, 29, 180, 0, 30, 22, 13]],
    ['last second of year 0', 'vector(-62135596801)', [0, 12, 31, 366, 0, 31, 23, 59]],
    ['year 10000', 'vector(253402300800)', [10000, 1, 1, 1, 6, 31, 0, 0]],
  ])('%s input', async (_name, arg, expected) => {
    const fns = ['year', 'month', 'day_of_month', 'day_of_year', 'day_of_week', 'days_in_month', 'hour', 'minute'];
    const values = await Promise.all(fns.map(async (f) => (await run(`${f}(${arg})`))[0][1]));
    expect(values).toEqual(expected);
  });
});

describe('histogram_quantile (classic buckets)', () => {
  const buckets = (counts: Record<string, number>, extra: Record<string, string> = {}) => {
    const src = load(60, {});
    for (const [le, v] of Object.entries(counts)) {
      src.add({ __name__: 'h_bucket', job: 'a', le, ...extra }, [{ t: 0, v }]);
    }
    return src;
  };
  const standard = { '0.1': 10, '0.5': 20, '1': 40, '+Inf': 50 };

  it.each([
    // Rank 25 falls in (0.5, 1] holding 20 observations, 5 of them needed: 0.5 + 0.5 × 5/20.
    ['interpolates inside a bucket', 0.5, standard, 0.625],
    ['first bucket starts at 0', 0.1, standard, 0.05], // 0.1 × 5/10
    ['quantile 0', 0, standard, 0],
    ['rank in the +Inf bucket returns the highest finite bound', 0.95, standard, 1],
    ['quantile 1', 1, standard, 1],
    ['φ above 1', 1.5, standard, Infinity],
    ['φ below 0', -0.5, standard, -Infinity],
    ['φ NaN', NaN, standard, NaN],
    ['no +Inf bucket', 0.5, { '0.1': 10, '1': 20 }, NaN],
    ['only the +Inf bucket', 0.5, { '+Inf': 10 }, NaN],
    ['no observations', 0.5, { '0.1': 0, '+Inf': 0 }, NaN],
    // Counts 10 8 40 50 are made monotonic (10 10 40 50); rank 15 → 0.5 + 0.5 × 5/30.
    ['non-monotonic counts are fixed', 0.3, { '0.1': 10, '0.5': 8, '1': 40, '+Inf': 50 }, 0.583333333333],
    ['a negative lowest bound is returned as is', 0.1, { '-1': 10, '0': 20, '+Inf': 30 }, -1],
    ['bucket bounds in other notations', 0.5, { '1e-1': 10, '0.50': 20, '1.0': 40, '+Inf': 50 }, 0.625],
  ])('%s', async (_name, q, counts, expected) => {
    const rows = await instantRows(buckets(counts), `histogram_quantile(${q}, h_bucket)`, 0);
    expect(approx(rows)).toEqual(approx([['{job="a"}', expected]]));
  });

  it('groups by all labels except le and drops the name', async () => {
    const src = buckets(standard);
    for (const [le, v] of Object.entries({ '1': 5, '+Inf': 10 })) {
      src.add({ __name__: 'h_bucket', job: 'b', le }, [{ t: 0, v }]);
    }
    src.add({ __name__: 'h_bucket', job: 'c', le: 'oops' }, [{ t: 0, v: 1 }]);
    expect(await instantRows(src, 'histogram_quantile(0.5, h_bucket)', 0)).toEqual([
      ['{job="a"}', 0.625],
      ['{job="b"}', 1], // rank 5 of 10 is reached at the end of (0, 1]: 0 + 1 × 5/5
    ]);
  });

  it('works on rates of buckets', async () => {
    const src = load(15, { 'h_bucket{le="1"}': '0+1x4', 'h_bucket{le="+Inf"}': '0+2x4' });
    // Rates 1/15 and 2/15 per second: rank 1/15 is the whole first bucket → its upper bound 1.
    expect(await instantRows(src, 'histogram_quantile(0.5, rate(h_bucket[1m]))', 60)).toEqual([['{}', 1]]);
  });
});
