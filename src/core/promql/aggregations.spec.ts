import { approx, instantRows, load } from 'src/core/promql/testdata/fixtures';

/** One sample per series at t=0; all queries run at t=0. */
const fixture = () =>
  load(60, {
    'x{g="a", i="1"}': '1',
    'x{g="a", i="2"}': '2',
    'x{g="b", i="3"}': '4',
    'n{i="1"}': 'NaN',
    'n{i="2"}': '3',
    'n{i="3"}': '1',
    'infs{i="1"}': 'Inf',
    'infs{i="2"}': '1',
    'mixed{i="1"}': 'Inf',
    'mixed{i="2"}': '-Inf',
    'big{i="1"}': '1e308',
    'big{i="2"}': '1e308',
    'tie{i="1"}': '1',
    'tie{i="2"}': '0',
    'tie{i="3"}': '1',
    'tie{i="4"}': '0',
  });

const run = async (query: string) => approx(await instantRows(fixture(), query, 0));

describe('aggregation operators', () => {
  it.each([
    ['sum', 'sum(x)', [['{}', 7]]],
    [
      'sum by',
      'sum by (g) (x)',
      [
        ['{g="a"}', 3],
        ['{g="b"}', 4],
      ],
    ],
    [
      'sum by, postfix form',
      'sum(x) by (g)',
      [
        ['{g="a"}', 3],
        ['{g="b"}', 4],
      ],
    ],
    [
      'sum without drops the name',
      'sum without (i) (x)',
      [
        ['{g="a"}', 3],
        ['{g="b"}', 4],
      ],
    ],
    ['by __name__ keeps it', 'sum by (__name__) (x)', [['x', 7]]],
    ['by a missing label', 'sum by (nope) (x)', [['{}', 7]]],
    [
      'avg',
      'avg by (g) (x)',
      [
        ['{g="a"}', 1.5],
        ['{g="b"}', 4],
      ],
    ],
    [
      'count',
      'count by (g) (x)',
      [
        ['{g="a"}', 2],
        ['{g="b"}', 1],
      ],
    ],
    ['min', 'min(x)', [['{}', 1]]],
    ['max', 'max(x)', [['{}', 4]]],
    [
      'group',
      'group by (g) (x)',
      [
        ['{g="a"}', 1],
        ['{g="b"}', 1],
      ],
    ],
    // Values 1 2 4: mean 7/3, squared deviations 16/9 1/9 25/9, population variance 14/9.
    ['stdvar', 'stdvar(x)', [['{}', 1.55555555556]]],
    ['stddev', 'stddev(x)', [['{}', 1.24721912892]]],
    [
      'stddev of one element',
      'stddev by (g) (x)',
      [
        ['{g="a"}', 0.5],
        ['{g="b"}', 0],
      ],
    ],
    [
      'topk keeps the series, highest first',
      'topk(2, x)',
      [
        ['x{g="b", i="3"}', 4],
        ['x{g="a", i="2"}', 2],
      ],
    ],
    [
      'topk per group, groups in first-seen order',
      'topk(1, x) by (g)',
      [
        ['x{g="a", i="2"}', 2],
        ['x{g="b", i="3"}', 4],
      ],
    ],
    ['topk k is truncated', 'topk(1.9, x)', [['x{g="b", i="3"}', 4]]],
    ['topk of zero', 'topk(0, x)', []],
    [
      'topk larger than the input',
      'topk(10, x)',
      [
        ['x{g="b", i="3"}', 4],
        ['x{g="a", i="2"}', 2],
        ['x{g="a", i="1"}', 1],
      ],
    ],
    [
      'bottomk',
      'bottomk(2, x)',
      [
        ['x{g="a", i="1"}', 1],
        ['x{g="a", i="2"}', 2],
      ],
    ],
    // Ties: the full heap replaces its top by pop + push, so equal values keep input order
    // (the answers Prometheus 2.42 gives for the same data).
    [
      'topk ties in input order',
      'topk(2, tie)',
      [
        ['tie{i="1"}', 1],
        ['tie{i="3"}', 1],
      ],
    ],
    [
      'bottomk ties in input order',
      'bottomk(2, tie)',
      [
        ['tie{i="2"}', 0],
        ['tie{i="4"}', 0],
      ],
    ],
    [
      'topk ties below the top',
      'topk(3, tie)',
      [
        ['tie{i="1"}', 1],
        ['tie{i="3"}', 1],
        ['tie{i="2"}', 0],
      ],
    ],
    // Sorted 1 2 4: rank φ × 2.
    ['quantile at a rank', 'quantile(0.5, x)', [['{}', 2]]],
    ['quantile between ranks', 'quantile(0.75, x)', [['{}', 3]]],
    ['quantile above 1', 'quantile(2, x)', [['{}', Infinity]]],
    ['quantile below 0', 'quantile(-1, x)', [['{}', -Infinity]]],
    [
      'count_values',
      'count_values("v", x)',
      [
        ['{v="1"}', 1],
        ['{v="2"}', 1],
        ['{v="4"}', 1],
      ],
    ],
    [
      'count_values counts equal values',
      'count_values("v", x > bool 1)',
      [
        ['{v="0"}', 1],
        ['{v="1"}', 2],
      ],
    ],
    [
      'count_values overwrites an existing label',
      'count_values("g", x)',
      [
        ['{g="1"}', 1],
        ['{g="2"}', 1],
        ['{g="4"}', 1],
      ],
    ],
    [
      'count_values without',
      'count_values without (i) ("v", x)',
      [
        ['{g="a", v="1"}', 1],
        ['{g="a", v="2"}', 1],
        ['{g="b", v="4"}', 1],
      ],
    ],
    [
      'count_values by',
      'count_values by (g) ("v", x)',
      [
        ['{g="a", v="1"}', 1],
        ['{g="a", v="2"}', 1],
        ['{g="b", v="4"}', 1],
      ],
    ],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });

  it.each([
    ['max skips NaN', 'max(n)', [['{}', 3]]],
    ['min skips NaN', 'min(n)', [['{}', 1]]],
    ['sum with NaN', 'sum(n)', [['{}', NaN]]],
    [
      'topk puts NaN last',
      'topk(3, n)',
      [
        ['n{i="2"}', 3],
        ['n{i="3"}', 1],
        ['n{i="1"}', NaN],
      ],
    ],
    ['topk prefers numbers over NaN', 'topk(1, n)', [['n{i="2"}', 3]]],
    [
      'bottomk puts NaN last',
      'bottomk(3, n)',
      [
        ['n{i="3"}', 1],
        ['n{i="2"}', 3],
        ['n{i="1"}', NaN],
      ],
    ],
    [
      'count_values of NaN',
      'count_values("v", n)',
      [
        ['{v="NaN"}', 1],
        ['{v="3"}', 1],
        ['{v="1"}', 1],
      ],
    ],
    ['avg with +Inf', 'avg(infs)', [['{}', Infinity]]],
    ['avg of +Inf and -Inf', 'avg(mixed)', [['{}', NaN]]],
    ['sum overflows', 'sum(big)', [['{}', Infinity]]],
    ['avg does not overflow', 'avg(big)', [['{}', 1e308]]],
    ['count_values of large values uses plain notation', 'count_values("v", big)', [[`{v="1${'0'.repeat(308)}"}`, 2]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });

  it('evaluates the parameter per step', async () => {
    const src = load(60, { 'k{}': '1 2', 'v{i="1"}': '1 1', 'v{i="2"}': '2 2' });
    const { rangeRows } = await import('src/core/promql/testdata/fixtures');
    expect(await rangeRows(src, 'topk(scalar(k), v)', 0, 60, 60)).toEqual([
      ['v{i="1"}', '1@60'],
      ['v{i="2"}', '2@0 2@60'],
    ]);
  });

  it.each([
    ['invalid count_values label', 'count_values("a b", x)', 'invalid label name "a b"'],
    ['NaN k', 'topk(NaN, x)', 'Scalar value NaN overflows int64'],
  ])('rejects %s', async (_name, query, message) => {
    await expect(run(query)).rejects.toMatchObject({ errorType: 'execution', message });
  });
});
