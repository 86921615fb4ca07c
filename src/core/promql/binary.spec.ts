import { approx, instantRows, load } from 'src/core/promql/testdata/fixtures';

/** One sample per series at t=0; all queries run at t=0. */
const fixture = () =>
  load(60, {
    'up{job="api", instance="a"}': '1',
    'up{job="api", instance="b"}': '0',
    'up{job="web", instance="c"}': '1',
    'info{instance="a", os="linux"}': '1',
    'info{instance="b", os="mac"}': '1',
    'x{k="1"}': '10',
    'x{k="2"}': '-3',
    'y{k="1"}': '4',
    'y{k="2"}': '0',
    'y{k="3"}': '5',
  });

const run = async (query: string) => approx(await instantRows(fixture(), query, 0));

describe('scalar op scalar', () => {
  it.each([
    ['precedence', '1 + 2 * 3', 7],
    ['power is right associative', '2 ^ 3 ^ 2', 512],
    ['unary minus binds looser than ^', '-2 ^ 2', -4],
    ['modulo keeps the dividend sign', '-7 % 3', -1],
    ['modulo by a negative', '5 % -3', 2],
    ['division by zero', '1 / 0', Infinity],
    ['zero by zero', '0 / 0', NaN],
    ['Go Pow: anything ^ 0 is 1', 'NaN ^ 0', 1],
    ['Go Pow: 1 ^ anything is 1', '1 ^ NaN', 1],
    ['Go Pow: -1 ^ Inf is 1', '(-1) ^ Inf', 1],
    ['negative base, fractional exponent', '(-8) ^ (1/3)', NaN],
    ['atan2', '1 atan2 1', 0.785398163397],
    ['bool comparison true', '2 > bool 1', 1],
    ['bool comparison false', '2 < bool 1', 0],
    ['NaN is not equal to itself', 'NaN == bool NaN', 0],
    ['NaN differs from itself', 'NaN != bool NaN', 1],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx([['scalar', expected]]));
  });
});

describe('vector op scalar', () => {
  it.each([
    [
      'arithmetic drops the name',
      'x * 2',
      [
        ['{k="1"}', 20],
        ['{k="2"}', -6],
      ],
    ],
    [
      'scalar on the left',
      '2 - x',
      [
        ['{k="1"}', -8],
        ['{k="2"}', 5],
      ],
    ],
    [
      'modulo',
      'x % 4',
      [
        ['{k="1"}', 2],
        ['{k="2"}', -3],
      ],
    ],
    ['filter keeps the name and value', 'x > 0', [['x{k="1"}', 10]]],
    ['filter with the scalar on the left keeps the vector value', '0 < x', [['x{k="1"}', 10]]],
    [
      'bool returns 0/1 without the name',
      'x > bool 0',
      [
        ['{k="1"}', 1],
        ['{k="2"}', 0],
      ],
    ],
    [
      'unary minus drops the name',
      '-x',
      [
        ['{k="1"}', -10],
        ['{k="2"}', 3],
      ],
    ],
    [
      'unary plus keeps everything',
      '+x',
      [
        ['x{k="1"}', 10],
        ['x{k="2"}', -3],
      ],
    ],
    // Prometheus 2.42 does not drop __name__ for atan2.
    [
      'atan2 keeps the name',
      'x atan2 0',
      [
        ['x{k="1"}', 1.57079632679],
        ['x{k="2"}', -1.57079632679],
      ],
    ],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });
});

describe('vector op vector', () => {
  it.each([
    [
      'one-to-one on all labels but the name',
      'x + y',
      [
        ['{k="1"}', 14],
        ['{k="2"}', -3],
      ],
    ],
    ['filter keeps the left side', 'x > y', [['x{k="1"}', 10]]],
    [
      'bool comparison',
      'x < bool y',
      [
        ['{k="1"}', 0],
        ['{k="2"}', 1],
      ],
    ],
    [
      'on() keeps only the matching labels',
      'up + on(instance) info',
      [
        ['{instance="a"}', 2],
        ['{instance="b"}', 1],
      ],
    ],
    [
      'ignoring()',
      'up * ignoring(job, os) info',
      [
        ['{instance="a"}', 1],
        ['{instance="b"}', 0],
      ],
    ],
    [
      'group_left copies labels from the one side',
      'up * on(instance) group_left(os) info',
      [
        ['{instance="a", job="api", os="linux"}', 1],
        ['{instance="b", job="api", os="mac"}', 0],
      ],
    ],
    [
      'group_left without labels',
      'up * on(instance) group_left info',
      [
        ['{instance="a", job="api"}', 1],
        ['{instance="b", job="api"}', 0],
      ],
    ],
    [
      'group_right keeps the right side labels',
      'info * on(instance) group_right up',
      [
        ['{instance="a", job="api"}', 1],
        ['{instance="b", job="api"}', 0],
      ],
    ],
    ['group_left filter keeps the name', 'up == on(instance) group_left info', [['up{instance="a", job="api"}', 1]]],
    [
      'many-to-one against an aggregate',
      'up / on(job) group_left sum by (job) (up)',
      [
        ['{instance="a", job="api"}', 1],
        ['{instance="b", job="api"}', 0],
        ['{instance="c", job="web"}', 1],
      ],
    ],
    ['vector() on both sides', 'vector(1) + vector(2)', [['{}', 3]]],
    [
      'and matches label sets without the name',
      'x and y',
      [
        ['x{k="1"}', 10],
        ['x{k="2"}', -3],
      ],
    ],
    ['and with disjoint label names', 'up and info', []],
    [
      'and on()',
      'up and on(instance) info',
      [
        ['up{instance="a", job="api"}', 1],
        ['up{instance="b", job="api"}', 0],
      ],
    ],
    [
      'or adds unmatched right elements',
      'x or y',
      [
        ['x{k="1"}', 10],
        ['x{k="2"}', -3],
        ['y{k="3"}', 5],
      ],
    ],
    [
      'or on()',
      'info or on(instance) up',
      [
        ['info{instance="a", os="linux"}', 1],
        ['info{instance="b", os="mac"}', 1],
        ['up{instance="c", job="web"}', 1],
      ],
    ],
    ['unless', 'y unless x', [['y{k="3"}', 5]]],
    ['unless on()', 'up unless on(instance) info', [['up{instance="c", job="web"}', 1]]],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await run(query)).toEqual(approx(expected as [string, number][]));
  });

  // Messages as Prometheus 2.42 words them.
  it.each([
    [
      'duplicate series on the one side',
      'x + on() y',
      'found duplicate series for the match group {} on the right hand-side of the operation: [{__name__="y", k="2"}, {__name__="y", k="1"}];many-to-many matching not allowed: matching labels must be unique on one side',
    ],
    [
      'duplicate series on the left with group_right',
      'up * on(job) group_right info',
      'found duplicate series for the match group {job="api"} on the left hand-side of the operation: [{__name__="up", instance="b", job="api"}, {__name__="up", instance="a", job="api"}];many-to-many matching not allowed: matching labels must be unique on one side',
    ],
    ['implicit many-to-one', 'up * on(job) sum by (job) (up)', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)'],
    ['group_left result collision', '{__name__=~"x|y"} * on(k) group_left x', 'multiple matches for labels: grouping labels must ensure unique matches'],
    ['name dropped by arithmetic', '{__name__=~"x|y"} * 2', 'vector cannot contain metrics with the same labelset'],
  ])('rejects %s', async (_name, query, message) => {
    await expect(run(query)).rejects.toMatchObject({ errorType: 'execution', message });
  });
});
