import { PromqlParseError } from 'src/core/promql/errors';
import { parseExpr } from 'src/core/promql/parser';
import { instantRows, load } from 'src/core/promql/testdata/fixtures';

/**
 * Quoted UTF-8 names in PromQL as Prometheus 3 parses them (promql/parser/generated_parser.y and
 * parser.go's "metric name must not be set twice" check; research note §7), so Grafana can query
 * what was pushed under PUSH_ENABLE_UTF8_NAMES.
 */
describe('PromQL quoted names: parsing', () => {
  it.each<[string, string, Array<[string, string, string]>]>([
    ['a quoted metric name alone', '{"my.metric"}', [['=', '__name__', 'my.metric']]],
    [
      'a quoted metric name with a label matcher',
      '{"my.metric", job="x"}',
      [
        ['=', '__name__', 'my.metric'],
        ['=', 'job', 'x'],
      ],
    ],
    [
      'a quoted label name with a regex',
      '{"my.metric", "my.label"=~"a.*"}',
      [
        ['=', '__name__', 'my.metric'],
        ['=~', 'my.label', 'a.*'],
      ],
    ],
    [
      'single quotes and backquotes',
      '{\'my.metric\', `my.label`!="v"}',
      [
        ['=', '__name__', 'my.metric'],
        ['!=', 'my.label', 'v'],
      ],
    ],
    [
      'the name after a label matcher',
      '{job="x", "my.metric"}',
      [
        ['=', 'job', 'x'],
        ['=', '__name__', 'my.metric'],
      ],
    ],
    [
      'a quoted name and __name__ both apply',
      '{"a", __name__="b"}',
      [
        ['=', '__name__', 'a'],
        ['=', '__name__', 'b'],
      ],
    ],
    [
      'a quoted label name after a plain metric name',
      'foo{"my.label"="v"}',
      [
        ['=', 'my.label', 'v'],
        ['=', '__name__', 'foo'],
      ],
    ],
    ['a quoted legacy name', '{"foo"}', [['=', '__name__', 'foo']]],
    ['UTF-8 beyond ASCII', '{"温度.°C"}', [['=', '__name__', '温度.°C']]],
  ])('%s: %s', (_name, query, expected) => {
    const e = parseExpr(query);
    expect(e.type).toBe('VectorSelector');
    if (e.type === 'VectorSelector') {
      expect(e.matchers.map((m) => [m.type, m.name, m.value])).toEqual(expected);
    }
  });

  it.each([
    ['by', 'sum by ("my.label") ({"my.metric"})'],
    ['without', 'sum without ("my.label", job) ({"my.metric"})'],
    ['on and group_left', '{"a.b"} * on ("my.label") group_left ("x.y") {"c.d"}'],
    ['ignoring', '{"a.b"} + ignoring ("my.label") {"c.d"}'],
  ])('quoted names in %s', (_name, query) => {
    expect(() => parseExpr(query)).not.toThrow();
  });

  it.each([
    ['a metric name outside and inside the braces', 'foo{"bar"}', 'metric name must not be set twice: "foo" or "bar"'],
    ['a bare dotted name', 'my.metric', 'parse error'],
    ['an empty quoted grouping label', 'sum by ("") (x)', 'parse error'],
    ['a quoted name with an operator but no value', '{"my.label"=}', 'parse error'],
  ])('rejects %s', (_name, query, message) => {
    expect(() => parseExpr(query)).toThrow(PromqlParseError);
    expect(() => parseExpr(query)).toThrow(message);
  });
});

describe('PromQL quoted names: evaluation', () => {
  const fixture = () =>
    load(60, {
      '{"my.metric", job="a", "my.label"="x"}': '1',
      '{"my.metric", job="b", "my.label"="y"}': '2',
      'plain{job="a"}': '5',
    });

  it.each<[string, string, Array<[string, number]>]>([
    ['a quoted name selects the series pushed under it', '{"my.metric", job="a"}', [['my.metric{job="a", my.label="x"}', 1]]],
    ['a quoted label matcher', 'sum({"my.label"=~"x|y"})', [['{}', 3]]],
    [
      'grouping by a quoted label',
      'sum by ("my.label") ({"my.metric"})',
      [
        ['{my.label="x"}', 1],
        ['{my.label="y"}', 2],
      ],
    ],
  ])('%s', async (_name, query, expected) => {
    expect(await instantRows(fixture(), query, 60)).toEqual(expected);
  });
});
