import { RegexSyntaxError, compileAnchored } from 'src/core/promql/regex';

describe('compileAnchored (Go RE2 semantics)', () => {
  it.each([
    ['fully anchored', 'ab', 'ab', true],
    ['no partial match', 'ab', 'xaby', false],
    ['alternation is anchored as a whole', 'a|b', 'ab', false],
    ['dot does not match newline', 'a.b', 'a\nb', false],
    ['dot matches carriage return', 'a.b', 'a\rb', true],
    ['(?s) lets dot match newline', '(?s)a.b', 'a\nb', true],
    ['dot matches astral characters', '.', '😀', true],
    ['\\s is ASCII only', '\\s', '\u00a0', false],
    ['\\s excludes vertical tab', '\\s', '\v', false],
    ['\\S matches vertical tab', '\\S', '\v', true],
    ['\\d is ASCII only', '\\d', '٣', false],
    ['\\w is ASCII only', '\\w', 'é', false],
    ['case-insensitive flag', '(?i)abc', 'AbC', true],
    ['case-insensitive group only', 'a(?i:b)c', 'aBc', true],
    ['case-insensitive group does not leak', 'a(?i:b)c', 'aBC', false],
    ['flag set mid-pattern', 'a(?i)bc', 'aBC', true],
    ['flag cleared', '(?i)a(?-i)b', 'Ab', true],
    ['flag cleared is case-sensitive', '(?i)a(?-i)b', 'AB', false],
    ['case folding of Kelvin sign', '(?i)k', '\u212a', true],
    ['multi-line ^', '(?m)a$\\n^b', 'a\nb', true],
    ['$ is end of text without (?m)', 'a$\\n', 'a\n', false],
    ['\\A and \\z', '\\Aab\\z', 'ab', true],
    ['POSIX class', '[[:alpha:]]+', 'abcXYZ', true],
    ['negated POSIX class', '[[:^digit:]]', '5', false],
    ['negated POSIX class matches others', '[[:^digit:]]', 'x', true],
    ['union with a negated class', '[a[:^alpha:]]', 'a', true],
    ['union with a negated class excludes', '[a[:^alpha:]]', 'b', false],
    ['negated union', '[^a\\S]', ' ', true],
    ['negated union excludes', '[^a\\S]', 'x', false],
    ['class with leading ]', '[]a]', ']', true],
    ['negated class matches newline', '[^a]', '\n', true],
    ['Unicode category', '\\pL+', 'héllo', true],
    ['Unicode script', '\\p{Greek}', 'α', true],
    ['negated Unicode script', '\\P{Greek}', 'α', false],
    ['\\p{Any}', '\\p{Any}', '\n', true],
    ['\\Q...\\E quotes', '\\Qa.b\\E', 'a.b', true],
    ['\\Q...\\E is literal', '\\Qa.b\\E', 'axb', false],
    ['hex escape', '\\x41\\x{263a}', 'A☺', true],
    ['octal escape', '\\101', 'A', true],
    ['escaped punctuation', '\\.\\*\\{', '.*{', true],
    ['literal brace when not a repeat', 'a{,2}', 'a{,2}', true],
    ['repeat counts', 'a{2,3}', 'aaa', true],
    ['repeat count upper bound', 'a{2,3}', 'aaaa', false],
    ['lazy quantifier', 'a+?', 'aaa', true],
    ['ungreedy flag', '(?U)a+', 'aa', true],
    ['named group', '(?P<x>a)b', 'ab', true],
    ['empty alternative', 'a|', '', true],
    ['wrapper closed early, as Prometheus does', 'a)|(b', 'axyz', true],
  ])('%s: /%s/ on %j → %s', (_name, pattern, input, expected) => {
    expect(compileAnchored(pattern).test(input)).toBe(expected);
  });

  it('reports named groups by index', () => {
    expect(compileAnchored('(a)(?P<second>b)').groupNames).toEqual([undefined, undefined, 'second']);
  });

  // Messages as Go's regexp package words them for Prometheus' wrapped pattern `^(?:...)$`.
  it.each([
    ['unclosed group', '(a', 'error parsing regexp: missing closing ): `^(?:(a)$`'],
    ['unexpected )', 'a)', 'error parsing regexp: unexpected ): `^(?:a))$`'],
    ['unclosed class', '[a', 'error parsing regexp: missing closing ]: `[a)$`'],
    ['backreference', '(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['lookahead', '(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['lookbehind', '(?<=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'],
    ['Go 1.19 has no (?<name>', '(?<n>a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'],
    ['empty negation', '(?-)a', 'error parsing regexp: invalid or unsupported Perl syntax: `(?-)`'],
    ['nested repetition', 'a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
    ['nested counted repetition', 'a{2}{3}', 'error parsing regexp: invalid nested repetition operator: `{2}{3}`'],
    ['missing repetition argument', '*a', 'error parsing regexp: missing argument to repetition operator: `*`'],
    ['repeat count above 1000', 'a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
    ['reversed range', '[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
    ['unknown POSIX class', '[[:foo:]]', 'error parsing regexp: invalid character class range: `[:foo:]`'],
    ['unknown Unicode class', '\\p{Foo}', 'error parsing regexp: invalid character class range: `\\p{Foo}`'],
    ['unknown escape', '\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
    ['\\k', '\\k<n>', 'error parsing regexp: invalid escape sequence: `\\k`'],
  ])('rejects %s', (_name, pattern, message) => {
    expect(() => compileAnchored(pattern)).toThrow(RegexSyntaxError);
    expect(() => compileAnchored(pattern)).toThrow(message);
  });
});
