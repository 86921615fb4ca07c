import { PromqlParseError } from 'src/core/promql/errors';
import { lex } from 'src/core/promql/lexer';

/** Tokens as `kind:text` (or `kind=value` for strings), EOF omitted. */
function tokens(input: string): string[] {
  return lex(input)
    .filter((t) => t.kind !== 'EOF')
    .map((t) => (t.kind === 'STRING' ? `STRING=${t.value}` : `${t.kind}:${t.text}`));
}

describe('lex', () => {
  it.each([
    ['metric name', 'foo', ['IDENTIFIER:foo']],
    ['metric name with colons', 'job:rate5m', ['METRIC_IDENTIFIER:job:rate5m']],
    ['leading colon', ':foo', ['METRIC_IDENTIFIER::foo']],
    ['keywords are case-insensitive', 'SUM BY Offset', ['KEYWORD:sum', 'KEYWORD:by', 'KEYWORD:offset']],
    ['inf and nan are numbers', 'Inf nan', ['NUMBER:Inf', 'NUMBER:nan']],
    [
      'decimal, exponent, hex numbers',
      '1 1.5 .5 5. 1e3 1E-3 0x1F',
      ['NUMBER:1', 'NUMBER:1.5', 'NUMBER:.5', 'NUMBER:5.', 'NUMBER:1e3', 'NUMBER:1E-3', 'NUMBER:0x1F'],
    ],
    ['durations outside brackets', 'offset 5m', ['KEYWORD:offset', 'DURATION:5m']],
    ['compound duration', 'x[1h30m]', ['IDENTIFIER:x', '[:[', 'DURATION:1h30m', ']:]']],
    ['milliseconds', 'x[100ms]', ['IDENTIFIER:x', '[:[', 'DURATION:100ms', ']:]']],
    ['subquery colon', 'x[5m:1m]', ['IDENTIFIER:x', '[:[', 'DURATION:5m', ':::', 'DURATION:1m', ']:]']],
    ['spaces inside brackets', 'x[ 5m : ]', ['IDENTIFIER:x', '[:[', 'DURATION:5m', ':::', ']:]']],
    ['operators', '+ - * / % ^ == != > < >= <=', ['+:+', '-:-', '*:*', '/:/', '%:%', '^:^', '==:==', '!=:!=', '>:>', '<:<', '>=:>=', '<=:<=']],
    [
      'matchers inside braces',
      '{a="b",c!="d",e=~"f",g!~"h"}',
      [
        '{:{',
        'IDENTIFIER:a',
        '=:=',
        'STRING=b',
        ',:,',
        'IDENTIFIER:c',
        '!=:!=',
        'STRING=d',
        ',:,',
        'IDENTIFIER:e',
        '=~:=~',
        'STRING=f',
        ',:,',
        'IDENTIFIER:g',
        '!~:!~',
        'STRING=h',
        '}:}',
      ],
    ],
    ['keywords are plain identifiers inside braces', '{by="x"}', ['{:{', 'IDENTIFIER:by', '=:=', 'STRING=x', '}:}']],
    ['double-quoted Go escapes', '"a\\n\\t\\"\\\\\\x41\\u00e9\\U0001F600\\101"', ['STRING=a\n\t"\\A\u00e9\u{1F600}A']],
    ['byte escapes spelling UTF-8 are that character', '"\\xc3\\xa9-\\303\\251-\\xf0\\x9f\\x98\\x80"', ['STRING=\u00e9-\u00e9-\u{1F600}']],
    ['byte escapes that are not UTF-8 stay Latin-1 code points', '"\\xff\\xc3a"', ['STRING=\u00ff\u00c3a']],
    ['a byte escape for U+0000', '"a\\x00b\\000"', ['STRING=a\u0000b\u0000']],
    ['single quotes allow a double quote', `'say "hi" \\''`, [`STRING=say "hi" '`]],
    ['raw strings keep backslashes', '`a\\nb`', ['STRING=a\\nb']],
    ['comments are skipped', 'foo # comment\n+ 1', ['IDENTIFIER:foo', '+:+', 'NUMBER:1']],
    ['at modifier', 'x @ start()', ['IDENTIFIER:x', '@:@', 'KEYWORD:start', '(:(', '):)']],
  ])('%s', (_name, input, expected) => {
    expect(tokens(input)).toEqual(expected);
  });

  // Messages and positions as reported by Prometheus 2.42 for the same input.
  it.each([
    ['unterminated string', 'foo{a="b', '1:7: parse error: unterminated quoted string'],
    ['newline in string', '"a\nb"', '1:1: parse error: unterminated quoted string'],
    ['unterminated raw string', '`abc', '1:1: parse error: unterminated raw string'],
    ['unknown escape', 'foo{a="\\q"}', "1:7: parse error: unknown escape sequence U+0071 'q'"],
    ['escaped double quote in single quotes', `foo{a='\\"'}`, `1:7: parse error: unknown escape sequence U+0022 '"'`],
    ['short hex escape', 'foo{a="\\x8"}', `1:7: parse error: illegal character U+0022 '"' in escape sequence`],
    ['octal above 255', 'foo{a="\\400"}', '1:7: parse error: escape sequence is an invalid Unicode code point'],
    ['surrogate code point', 'foo{a="\\uD800"}', '1:7: parse error: escape sequence is an invalid Unicode code point'],
    ['unclosed brace', 'foo{', '1:5: parse error: unexpected end of input inside braces'],
    ['stray right brace', 'foo}', "1:4: parse error: unexpected character: '}'"],
    ['unclosed paren', 'rate(foo[5m]', '1:13: parse error: unclosed left parenthesis'],
    ['stray right paren', 'foo)', "1:5: parse error: unexpected right parenthesis ')'"],
    ['unclosed bracket', 'foo[5m', '1:7: parse error: unclosed left bracket'],
    ['number in brackets', 'foo[5]', '1:5: parse error: missing unit character in duration'],
    ['bad duration in brackets', 'foo[5mm]', '1:5: parse error: bad duration syntax: "5mm"'],
    ['bad number', '1_000', '1:1: parse error: bad number or duration syntax: "1"'],
    ['second colon in subquery', 'x[5m:1m:2m]', "1:8: parse error: unexpected colon ':'"],
    ['regex operator outside braces', 'foo =~ bar', "1:5: parse error: unexpected character after '=': '~'"],
    ['negated regex outside braces', 'foo !~ bar', "1:5: parse error: unexpected character after '!': '~'"],
    ['number label name', 'foo{1="a"}', "1:5: parse error: unexpected character inside braces: '1'"],
    ['unexpected character', 'foo$', "1:4: parse error: unexpected character: '$'"],
    ['second line position', 'foo +\n  $', "2:3: parse error: unexpected character: '$'"],
  ])('rejects %s', (_name, input, message) => {
    expect(() => lex(input)).toThrow(PromqlParseError);
    expect(() => lex(input)).toThrow(message);
  });

  it('reports line and column on the error', () => {
    try {
      lex('foo +\n  $');
      fail('expected an error');
    } catch (e) {
      expect((e as PromqlParseError).position).toEqual({ offset: 8, line: 2, column: 3 });
      expect((e as PromqlParseError).detail).toBe("unexpected character: '$'");
    }
  });
});
