import type { Expr } from 'src/core/promql/ast';
import { PromqlParseError } from 'src/core/promql/errors';
import { collectSelectors, formatExpr, parseExpr, valueTypeOf } from 'src/core/promql/parser';

/** Fully parenthesised structure, to check precedence and associativity. */
function shape(e: Expr): string {
  switch (e.type) {
    case 'BinaryExpr':
      return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
    case 'UnaryExpr':
      return `(${e.op}${shape(e.expr)})`;
    case 'ParenExpr':
      return shape(e.expr);
    default:
      return formatExpr(e);
  }
}

/** The tree without source positions and with matchers in printed order, for structural comparisons. */
function withoutPositions(e: Expr): unknown {
  return JSON.parse(
    JSON.stringify(e, (k, v) => {
      if (k === 'pos') {
        return undefined;
      }
      return k === 'matchers' ? [...v].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)) : v;
    }),
  );
}

describe('parseExpr / formatExpr round trip', () => {
  // Canonical forms are what Prometheus 2.42's String() prints for the same query.
  it.each([
    ['plain selector', 'foo', 'foo'],
    ['matchers are sorted and unspaced', 'foo{z="1", a=~"b.*"}', 'foo{a=~"b.*",z="1"}'],
    ['name matcher only', '{__name__=~"a.*"}', '{__name__=~"a.*"}'],
    ['trailing comma in matchers', 'foo{a="b",}', 'foo{a="b"}'],
    ['empty braces', 'foo{}', 'foo'],
    ['Go quoting of label values', 'foo{a=`x"y\\z`}', 'foo{a="x\\"y\\\\z"}'],
    ['non-printable characters are escaped', 'foo{a="\\x01\\u00e9"}', 'foo{a="\\x01é"}'],
    ['range selector', 'foo[5m]', 'foo[5m]'],
    ['compound duration is normalised', 'foo[90m]', 'foo[1h30m]'],
    ['1m0s', 'foo[1m0s]', 'foo[1m]'],
    ['weeks and years only when exact', 'foo[14d] offset 365d', 'foo[2w] offset 1y'],
    ['negative offset', 'foo offset -5m', 'foo offset -5m'],
    ['@ is printed before offset', 'foo offset 5m @ 100', 'foo @ 100.000 offset 5m'],
    ['@ with milliseconds', 'foo @ 1.5', 'foo @ 1.500'],
    ['@ start() and end()', 'foo @ start() + bar @ end()', 'foo @ start() + bar @ end()'],
    ['range selector modifiers', 'rate(foo[5m] @ 10 offset 1m)', 'rate(foo[5m] @ 10.000 offset 1m)'],
    ['subquery', 'max_over_time(rate(foo[5m])[1h:5m])', 'max_over_time(rate(foo[5m])[1h:5m])'],
    ['subquery without step', 'foo[30m:]', 'foo[30m:]'],
    ['subquery with modifiers', '(a + b)[5m:1m] offset 1m', '(a + b)[5m:1m] offset 1m'],
    ['number literals in Go %v form', '1e6 + 0.00001 + 123456 + 0x10 + 010', '1e+06 + 1e-05 + 123456 + 16 + 8'],
    ['Inf and NaN', 'Inf + -inf + NaN', '+Inf + -Inf + NaN'],
    ['Inf as the base of ^ stays unsigned (differs from Prometheus)', 'Inf ^ 2', 'Inf ^ 2'],
    ['unary minus folds into numbers', '-1 + - 2', '-1 + -2'],
    ['unary minus on selectors', '-foo', '-foo'],
    ['strings', "'a\\'b'", '"a\'b"'],
    ['parentheses are kept', '((foo))', '((foo))'],
    ['bool modifier', 'a > bool 1', 'a > bool 1'],
    ['on/group_left', 'a * on(x,y) group_left(z) b', 'a * on (x, y) group_left (z) b'],
    ['ignoring/group_right without labels', 'a / ignoring(x) group_right b', 'a / ignoring (x) group_right () b'],
    ['empty on()', 'a and on() b', 'a and on () b'],
    ['aggregation by prefix', 'sum by (a, b) (x)', 'sum by (a, b) (x)'],
    ['aggregation by postfix', 'sum(x) by (a)', 'sum by (a) (x)'],
    ['aggregation without', 'avg without(a)(x)', 'avg without (a) (x)'],
    ['empty by is dropped', 'sum by () (x)', 'sum(x)'],
    ['empty without is kept', 'sum without () (x)', 'sum without () (x)'],
    ['aggregation parameter', 'topk(5, x) by (job)', 'topk by (job) (5, x)'],
    ['count_values', 'count_values("v", x)', 'count_values("v", x)'],
    ['keywords as grouping labels', 'sum by (on, by, bool) (x)', 'sum by (on, by, bool) (x)'],
    ['keyword as metric name', 'sum + start', 'sum + start'],
    ['upper-case keywords', 'SUM BY (a) (x OFFSET 5m)', 'sum by (a) (x offset 5m)'],
    ['function call', 'label_replace(up, "a", "$1", "b", "(.*)")', 'label_replace(up, "a", "$1", "b", "(.*)")'],
    ['optional argument', 'round(x, 5)', 'round(x, 5)'],
    ['zero-argument date function', 'hour()', 'hour()'],
    ['comments are ignored', 'foo # bar\n+ 1', 'foo + 1'],
  ])('%s', (_name, input, canonical) => {
    const parsed = parseExpr(input);
    expect(formatExpr(parsed)).toBe(canonical);
    expect(withoutPositions(parseExpr(canonical))).toEqual(withoutPositions(parsed));
  });
});

describe('operator precedence and associativity', () => {
  it.each([
    ['* before +', '1 + 2 * 3', '(1 + (2 * 3))'],
    ['left associative -', 'a - b - c', '((a - b) - c)'],
    ['left associative /', 'a / b / c', '((a / b) / c)'],
    ['right associative ^', 'a ^ b ^ c', '(a ^ (b ^ c))'],
    ['^ before unary minus', '-a ^ 2', '(-(a ^ 2))'],
    ['unary minus before *', '-a * b', '((-a) * b)'],
    ['number literal folds before ^', '-2 ^ 2', '(-(2 ^ 2))'],
    ['comparison below arithmetic', 'a + 1 > b * 2', '((a + 1) > (b * 2))'],
    ['and above or', 'a or b and c', '(a or (b and c))'],
    ['unless like and', 'a and b unless c', '((a and b) unless c)'],
    ['comparisons are left associative', 'a == b != c', '((a == b) != c)'],
    ['atan2 like *', 'a + b atan2 c', '(a + (b atan2 c))'],
    ['% like *', 'a % b * c', '((a % b) * c)'],
    ['offset binds to the selector', 'a + b offset 5m', '(a + b offset 5m)'],
    ['parentheses override', '(a + b) * c', '((a + b) * c)'],
  ])('%s', (_name, input, expected) => {
    expect(shape(parseExpr(input))).toBe(expected);
  });
});

describe('parse errors', () => {
  // Texts and positions as Prometheus 2.42 reports them, except the two gateway-specific ones.
  it.each([
    ['empty query', '', '1:1: parse error: no expression found in input'],
    ['missing operand', '1 +', '1:4: parse error: unexpected end of input'],
    ['two expressions', 'foo bar', '1:5: parse error: unexpected identifier "bar"'],
    ['operator token', 'foo * * 2', '1:7: parse error: unexpected <op:*>'],
    ['keyword token', 'on', '1:1: parse error: unexpected <on>'],
    ['matcher without operator', 'foo{a}', '1:6: parse error: unexpected "}" in label matching, expected label matching operator'],
    ['matcher without string', 'foo{a=b}', '1:7: parse error: unexpected identifier "b" in label matching, expected string'],
    ['matchers without comma', 'foo{a="b" c="d"}', '1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['empty selector', '{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['selector matching empty only', '{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['metric name twice', 'foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['invalid regex', 'foo{a=~"("}', '1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`'],
    ['unsupported regex', 'foo{a=~"(?=x)"}', '1:5: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['zero range', 'foo[0s]', '1:5: parse error: duration must be greater than 0'],
    ['fractional duration', 'foo[1.5m]', '1:5: parse error: not a valid duration string: "1.5m"'],
    ['duration overflow', 'x offset 300y', '1:10: parse error: duration out of range'],
    ['range on a non-selector', '(foo)[5m]', '1:6: parse error: ranges only allowed for vector selectors'],
    ['offset before range', 'foo offset 1m [5m]', '1:15: parse error: no offset modifiers allowed before range'],
    ['offset twice', 'foo offset 5m offset 3m', '1:1: parse error: offset may not be set multiple times'],
    [
      'offset on parentheses',
      '(foo) offset 5m',
      '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    ],
    ['@ twice', 'foo @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
    ['@ without time', 'foo @ ', '1:7: parse error: unexpected end of input in @, expected timestamp'],
    ['@ out of range', 'x @ 1e20', '1:1: parse error: timestamp out of bounds for @ modifier: 100000000000000000000.000000'],
    ['offset without duration', 'foo offset 5', '1:12: parse error: unexpected number "5" in offset, expected duration'],
    ['scalar comparison without bool', '1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['bool on arithmetic', 'foo + bool bar', '1:5: parse error: bool modifier can only be used on comparison operators'],
    ['set operator with scalar', 'foo and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['grouping on set operator', 'x unless on() group_left y', '1:1: parse error: no grouping allowed for "unless" operation'],
    ['label in on and group', 'x + on(a) group_left(a) y', '1:3: parse error: label "a" must not occur in ON and GROUP clause at once'],
    ['vector matching with scalar', 'foo + on(a) 1', '1:1: parse error: vector matching only allowed between instant vectors'],
    ['range vector in binary expression', 'foo[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    ['string in binary expression', '"a" == bool "b"', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    [
      'unary minus on range vector',
      '-x[5m]',
      '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
    ],
    ['wrong argument type', 'rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['too many arguments', 'rate(foo[5m], 1)', '1:1: parse error: expected 1 argument(s) in call to "rate", got 2'],
    ['too few variadic arguments', 'label_join(foo)', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1'],
    ['too many optional arguments', 'round(foo, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['trailing comma in call', 'abs(x,)', '1:6: parse error: trailing commas not allowed in function call args'],
    ['aggregation argument count', 'sum(a,b,c)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 3'],
    ['missing aggregation parameter', 'topk(a)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['no aggregation arguments', 'sum()', '1:1: parse error: no arguments for aggregate expression provided'],
    ['aggregation parameter type', 'count_values(1, foo)', '1:14: parse error: expected type string in aggregation parameter, got scalar'],
    ['grouping label with colon', 'sum by (foo:bar) (x)', '1:9: parse error: unexpected metric identifier "foo:bar" in grouping opts, expected label'],
    ['subquery of a range vector', 'foo[5m][10m:]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
    ['unknown function', 'nosuchfn(foo)', '1:1: parse error: unknown function with name "nosuchfn"'],
    ['unsupported function', 'predict_linear(foo[5m], 1)', '1:1: parse error: function "predict_linear" is not supported by this gateway'],
    ['unsupported native histogram function', 'histogram_count(foo)', '1:1: parse error: function "histogram_count" is not supported by this gateway'],
    ['unsupported holt_winters', 'holt_winters(foo[5m], 0.5, 0.5)', '1:1: parse error: function "holt_winters" is not supported by this gateway'],
  ])('rejects %s', (_name, input, message) => {
    expect(() => parseExpr(input)).toThrow(PromqlParseError);
    expect(() => parseExpr(input)).toThrow(message);
  });
});

describe('valueTypeOf', () => {
  it.each([
    ['number', '1', 'scalar'],
    ['string', '"a"', 'string'],
    ['selector', 'foo', 'vector'],
    ['range selector', 'foo[5m]', 'matrix'],
    ['subquery', 'foo[5m:]', 'matrix'],
    ['scalar arithmetic', '(1 + 2) * 3', 'scalar'],
    ['vector arithmetic', '1 + foo', 'vector'],
    ['scalar function', 'time()', 'scalar'],
    ['aggregation', 'sum(foo)', 'vector'],
  ])('%s', (_name, input, type) => {
    expect(valueTypeOf(parseExpr(input))).toBe(type);
  });
});

describe('collectSelectors', () => {
  it('returns every selector with its matchers, in source order', () => {
    const selectors = collectSelectors(parseExpr('sum(rate(a{x="1"}[5m])) / on() b offset 1m + max_over_time(c[10m:1m])'));
    expect(selectors.map((s) => formatExpr(s))).toEqual(['a{x="1"}', 'b offset 1m', 'c']);
    expect(selectors[0].matchers).toEqual([
      { type: '=', name: 'x', value: '1' },
      { type: '=', name: '__name__', value: 'a' },
    ]);
  });
});

describe('round-trip property on generated queries', () => {
  /** Deterministic PRNG (mulberry32) so failures are reproducible. */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function generator(random: () => number) {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const duration = () => pick(['1m', '5m', '90s', '1h30m', '2d', '100ms', '1w']);
    const modifiers = () =>
      `${random() < 0.2 ? ` @ ${pick(['100', 'start()', 'end()', '1.5'])}` : ''}${random() < 0.2 ? ` offset ${pick(['', '-'])}${duration()}` : ''}`;
    const selector = () => {
      const name = pick(['up', 'http_requests_total', 'job:rate5m', '']);
      const labels = name === '' ? ['job', 'instance', '__name__', 'le'] : ['job', 'instance', 'le'];
      const matchers = Array.from(
        { length: Math.floor(random() * 3) },
        () => `${pick(labels)}${pick(['=', '!=', '=~', '!~'])}${pick(['"a"', '"b.*"', "'x\\ty'", '`c|d`'])}`,
      );
      if (name === '') {
        matchers.push('job="x"');
      }
      return `${name}${matchers.length ? `{${matchers.join(', ')}}` : ''}`;
    };
    const scalar = (depth: number): string => {
      const options = [
        () => pick(['1', '2.5', '1e3', '0x10', 'Inf', 'NaN', '-3', '.5']),
        () => 'time()',
        () => `scalar(${vector(depth - 1)})`,
        () => `(${scalar(depth - 1)} ${pick(['+', '-', '*', '/', '%', '^', 'atan2'])} ${scalar(depth - 1)})`,
        () => `(${scalar(depth - 1)} ${pick(['==', '>', '<='])} bool ${scalar(depth - 1)})`,
      ];
      return depth <= 0 ? options[0]() : pick(options)();
    };
    const matrix = (depth: number): string =>
      random() < 0.7 ? `${selector()}[${duration()}]${modifiers()}` : `(${vector(depth - 1)})[${duration()}:${pick(['', '1m', '30s'])}]${modifiers()}`;
    const vector = (depth: number): string => {
      const options = [
        () => `${selector()}${modifiers()}`,
        () => `${pick(['rate', 'increase', 'max_over_time', 'last_over_time', 'absent_over_time'])}(${matrix(depth - 1)})`,
        () => `quantile_over_time(${scalar(depth - 1)}, ${matrix(depth - 1)})`,
        () => `${pick(['sum', 'avg', 'count', 'stddev', 'group'])}${pick(['', ' by (job)', ' without (instance, le)'])} (${vector(depth - 1)})`,
        () => `${pick(['topk', 'bottomk', 'quantile'])}(${scalar(depth - 1)}, ${vector(depth - 1)})${pick(['', ' by (job)'])}`,
        () => `count_values("value", ${vector(depth - 1)})`,
        () => `(${vector(depth - 1)} ${pick(['+', '*', '/', '>', '== bool', 'and', 'or', 'unless'])} ${vector(depth - 1)})`,
        () => `(${vector(depth - 1)} ${pick(['+', '-', '<'])} on(job) group_left(instance) ${vector(depth - 1)})`,
        () => `(${vector(depth - 1)} ${pick(['-', '^', '!= bool'])} ${scalar(depth - 1)})`,
        () => `-(${vector(depth - 1)})`,
        () => `${pick(['abs', 'sort_desc', 'timestamp', 'absent'])}(${vector(depth - 1)})`,
        () => `round(${vector(depth - 1)}, ${scalar(depth - 1)})`,
        () => `label_replace(${vector(depth - 1)}, "dst", "$1", "src", "(.*)")`,
        () => `histogram_quantile(0.9, ${vector(depth - 1)})`,
        () => `vector(${scalar(depth - 1)})`,
        () => pick(['hour()', 'year(up)']),
      ];
      return depth <= 0 ? options[0]() : pick(options)();
    };
    return () => (random() < 0.8 ? vector(3) : scalar(3));
  }

  const strip = (e: Expr): string =>
    JSON.stringify(e, (k, v) => (k === 'pos' ? undefined : k === 'matchers' ? [...v].map((m: object) => JSON.stringify(m)).sort() : v));

  it('parse(format(parse(q))) equals parse(q), and format is a fixed point, for 1000 generated queries', () => {
    const next = generator(rng(20240501));
    for (let i = 0; i < 1000; i++) {
      const query = next();
      const parsed = parseExpr(query);
      const printed = formatExpr(parsed);
      const reparsed = parseExpr(printed);
      expect({ query, tree: strip(reparsed) }).toEqual({ query, tree: strip(parsed) });
      expect(formatExpr(reparsed)).toBe(printed);
    }
  });
});
