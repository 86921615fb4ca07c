import { RE2JS } from 're2js';
import { MAX_PROGRAM_SIZE, compileAnchored, limitDfaMemory, programSizeBound, requiredPrefix } from 'src/core/promql/regex';

/**
 * Pins compileAnchored (fast paths and the `(?<` check in front of re2js) to its plain
 * definition: re2js searching Prometheus' wrapped pattern `^(?:pattern)$`, on seeded random
 * patterns and inputs. A failure prints the seed, pattern and input that disagree.
 */

/** mulberry32: small, seedable, good enough to spread test cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/**
 * Characters chosen for their edge cases: RE2 metacharacters, case-folding orbits (K k U+212A,
 * S s U+017F), newline, astral, and the halves of one (no HTTP client can send a lone surrogate,
 * but a shortcut must not treat it differently from re2js either).
 */
const CHARS = [
  'a',
  'b',
  'c',
  'A',
  'k',
  'K',
  '\u212a',
  's',
  '\u017f',
  'é',
  'α',
  '😀',
  '\n',
  ' ',
  '-',
  '_',
  ':',
  '/',
  '.',
  '*',
  '+',
  '?',
  '(',
  ')',
  '|',
  '[',
  ']',
  '{',
  '}',
  '^',
  '$',
  '\\',
  '\ud83d',
  '\ude00',
];
const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);
const VALUE_CHARS = [...CHARS, '\ufffd', 'B', 'S'];

function literal(r: Rand, max: number): { text: string; pattern: string } {
  let text = '';
  let pattern = '';
  for (let n = int(r, 0, max); n > 0; n--) {
    const c = pick(r, CHARS);
    text += c;
    pattern += META.has(c) ? `\\${c}` : c;
  }
  return { text, pattern };
}

/** Tokens that turn a fast-path shape into a near miss (some make the pattern invalid). */
const NOISE = [
  '.',
  '.*?',
  '.+?',
  '(?i)',
  '(?s)',
  '(?m)',
  '\\n',
  '[ab]',
  'a*',
  'b?',
  '\\.*',
  '^',
  '$',
  '\\d',
  '(a)',
  '.*',
  '.+',
  '|',
  '(',
  ')',
  '{2}',
  '\\Q.*\\E',
  '\\x41',
  '\n',
  '\\-',
  '(?:',
  '(?P<n>a)',
  '\\pL',
  '{',
  '}',
  'a{1,2}',
];

/** A fast-path shape (literal set, `.*`, `.+`, prefix/suffix/contains), sometimes with noise inserted. */
function simplePattern(r: Rand): { pattern: string; literals: string[] } {
  const lits = Array.from({ length: int(r, 1, 4) }, () => literal(r, 4));
  const [first] = lits;
  const alternation = lits.map((l) => l.pattern).join('|');
  const group = (): string => pick(r, [`(${alternation})`, `(?:${alternation})`]);
  const lit = (): string => (r() < 0.5 ? first.pattern : group());
  const shapes = [
    () => alternation,
    group,
    () => `${first.pattern}|${group()}|`,
    () => '.*',
    () => '.+',
    () => `${lit()}.*`,
    () => `.*${lit()}`,
    () => `.*${lit()}.*`,
    () => `${lit()}.+`,
    () => `${first.pattern}${group()}`,
    () => `${group()}${first.pattern}`,
    () => `${group()}${group()}.*`,
  ];
  let pattern = pick(r, shapes)();
  for (let n = r() < 0.4 ? int(r, 1, 2) : 0; n > 0; n--) {
    const at = int(r, 0, pattern.length);
    pattern = pattern.slice(0, at) + pick(r, NOISE) + pattern.slice(at);
  }
  return { pattern, literals: lits.map((l) => l.text) };
}

/** Values near the pattern's literals (exact, extended, with a newline or surrogate spliced in) and random ones. */
function values(r: Rand, literals: readonly string[], count: number): string[] {
  const randomText = (max: number): string => Array.from({ length: int(r, 0, max) }, () => pick(r, VALUE_CHARS)).join('');
  const out = ['', '\n'];
  while (out.length < count) {
    const base = pick(r, literals);
    const v = pick(r, [
      () => base,
      () => randomText(3) + base,
      () => base + randomText(3),
      () => randomText(2) + base + randomText(2),
      () => base + base,
      () => randomText(6),
      () => base.slice(0, int(r, 0, base.length)),
    ])();
    if (r() < 0.15) {
      const at = int(r, 0, v.length);
      out.push(v.slice(0, at) + pick(r, ['\n', '\ud83d', '\ude00']) + v.slice(at));
    } else {
      out.push(v);
    }
  }
  return out;
}

/** A random RE2 syntax tree, printed as a pattern together with a sampler of (mostly) matching text. */
interface Node {
  pattern: string;
  sample: (r: Rand) => string;
}

const CLASSES: readonly [string, string][] = [
  ['[ab]', 'ab'],
  ['[^a]', 'b\nK'],
  ['[a-c]', 'abc'],
  ['[[:alpha:]]', 'aZ'],
  ['[[:^digit:]]', 'x\n'],
  ['\\d', '07'],
  ['\\s', ' \t\n'],
  ['\\w', 'a_9'],
  ['\\W', '-é'],
  ['\\pL', 'aé'],
  ['\\p{Greek}', 'α'],
  ['[\\x{263a}-\\x{1F600}]', '☺😀'],
  ['.', 'a😀'],
];

function node(r: Rand, depth: number): Node {
  const leaf = depth <= 0 || r() < 0.3;
  const kind = leaf ? pick(r, ['lit', 'lit', 'class', 'anchor']) : pick(r, ['concat', 'concat', 'alt', 'repeat', 'repeat', 'group', 'flags']);
  switch (kind) {
    case 'lit': {
      const l = literal(r, 2);
      return { pattern: l.pattern, sample: () => l.text };
    }
    case 'class': {
      const [pattern, members] = pick(r, CLASSES);
      return { pattern, sample: (rr) => pick(rr, [...members]) };
    }
    case 'anchor':
      return { pattern: pick(r, ['^', '$', '\\b', '\\B', '\\A', '\\z', '']), sample: () => '' };
    case 'concat': {
      const parts = Array.from({ length: int(r, 2, 3) }, () => node(r, depth - 1));
      return { pattern: parts.map((p) => p.pattern).join(''), sample: (rr) => parts.map((p) => p.sample(rr)).join('') };
    }
    case 'alt': {
      const parts = Array.from({ length: int(r, 2, 3) }, () => node(r, depth - 1));
      return { pattern: `(?:${parts.map((p) => p.pattern).join('|')})`, sample: (rr) => pick(rr, parts).sample(rr) };
    }
    case 'repeat': {
      const inner = node(r, depth - 1);
      const [op, min, max] = pick(r, [
        ['*', 0, 3],
        ['+', 1, 3],
        ['?', 0, 1],
        ['{2}', 2, 2],
        ['{1,3}', 1, 3],
        ['{2,}', 2, 4],
        ['{0,12}', 0, 12],
        ['*?', 0, 3],
        ['+?', 1, 3],
      ] as const);
      return {
        pattern: `(?:${inner.pattern})${op}`,
        sample: (rr) => Array.from({ length: int(rr, min, max) }, () => inner.sample(rr)).join(''),
      };
    }
    case 'group': {
      const inner = node(r, depth - 1);
      return { pattern: r() < 0.5 ? `(${inner.pattern})` : `(?P<g${int(r, 0, 999)}>${inner.pattern})`, sample: inner.sample };
    }
    default: {
      const inner = node(r, depth - 1);
      const flags = pick(r, ['i', 's', 'm', 'U', 'is', '-i']);
      const flip = (s: string, rr: Rand): string => (flags === 'i' || flags === 'is' ? [...s].map((c) => (rr() < 0.5 ? c.toUpperCase() : c)).join('') : s);
      return { pattern: `(?${flags}:${inner.pattern})`, sample: (rr) => flip(inner.sample(rr), rr) };
    }
  }
}

function simpleCase(r: Rand): { pattern: string; inputs: string[] } {
  const { pattern, literals } = simplePattern(r);
  return { pattern, inputs: values(r, literals, 16) };
}

function treeCase(r: Rand): { pattern: string; inputs: string[] } {
  const tree = node(r, 4);
  return { pattern: tree.pattern, inputs: Array.from({ length: 12 }, (_, k) => (k < 8 ? tree.sample(r) : values(r, [tree.sample(r)], 3)[2])) };
}

/** re2js on the wrapped pattern: the definition compileAnchored must keep. */
function reference(pattern: string): ((v: string) => boolean) | Error {
  try {
    const re = RE2JS.compile(`^(?:${pattern})$`);
    return (v) => re.test(v);
  } catch (e) {
    return e as Error;
  }
}

interface Disagreement {
  pattern: string;
  value?: string;
  expected: boolean | string;
  actual: boolean | string;
}

function compare(pattern: string, inputs: readonly string[], fastPaths: Map<string, number>): Disagreement | undefined {
  const ref = reference(pattern);
  let compiled;
  try {
    compiled = compileAnchored(pattern);
  } catch (e) {
    return ref instanceof Error ? undefined : { pattern, expected: 'compiles', actual: (e as Error).message };
  }
  if (ref instanceof Error) {
    return { pattern, expected: ref.message, actual: 'compiles' };
  }
  const kind = compiled.fastPath ?? 're2js';
  fastPaths.set(kind, (fastPaths.get(kind) ?? 0) + 1);
  for (const value of inputs) {
    const [expected, actual] = [ref(value), compiled.test(value)];
    if (expected !== actual) {
      return { pattern, value, expected, actual };
    }
  }
  return undefined;
}

describe('compileAnchored agrees with re2js on the wrapped pattern', () => {
  it.each([1, 2, 3])('fast-path shapes and near misses (seed %i, 1500 patterns × 16 values)', (seed) => {
    const r = rng(seed);
    const fastPaths = new Map<string, number>();
    const failures: Disagreement[] = [];
    for (let i = 0; i < 1500; i++) {
      const { pattern, inputs } = simpleCase(r);
      const d = compare(pattern, inputs, fastPaths);
      if (d) {
        failures.push(d);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // Every shortcut must actually be exercised, or this test proves nothing about it.
    const kinds = ['equal', 'set', 'any', 'nonEmpty', 'prefix', 'suffix', 'contains', 're2js'];
    expect(kinds.filter((kind) => (fastPaths.get(kind) ?? 0) < 20)).toEqual([]);
  });

  it.each([11, 12])('random RE2 syntax trees (seed %i, 1000 patterns × 12 values)', (seed) => {
    const r = rng(seed);
    const failures: Disagreement[] = [];
    for (let i = 0; i < 1000; i++) {
      const { pattern, inputs } = treeCase(r);
      const d = compare(pattern, inputs, new Map());
      if (d) {
        failures.push(d);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe('requiredPrefix', () => {
  it.each([1, 2, 11, 12])('every matching value starts with it (seed %i)', (seed) => {
    const r = rng(seed);
    const wrong: Disagreement[] = [];
    let nonEmpty = 0;
    for (let i = 0; i < 1500; i++) {
      const { pattern, inputs } = seed < 10 ? simpleCase(r) : treeCase(r);
      const ref = reference(pattern);
      if (ref instanceof Error) {
        continue;
      }
      const prefix = requiredPrefix(pattern);
      nonEmpty += prefix === '' ? 0 : 1;
      const bad = inputs.find((v) => ref(v) && !v.startsWith(prefix));
      if (bad !== undefined) {
        wrong.push({ pattern, value: bad, expected: prefix, actual: 'matches without it' });
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it.each([
    ['http_.*_total', 'http_'],
    ['api-[0-9]+', 'api-'],
    ['ab*c', 'a'],
    ['ab?', 'a'],
    ['ab{2}', 'a'],
    ['ab+', 'ab'],
    ['a😀*', 'a'],
    ['ab(?i)*', 'a'],
    ['a\\.b(?i)c', 'a.b'],
    ['ab|cd', ''],
    ['ab)|(cd', ''],
    ['ab(c|d)', 'ab'],
    ['ab[|]', 'ab'],
    ['(?i)ab', ''],
  ])('%s → %j', (pattern, prefix) => {
    expect(requiredPrefix(pattern)).toBe(prefix);
  });
});

describe('linear time on hostile patterns', () => {
  const long = 'a'.repeat(10000);
  // Each of these takes V8's backtracking engine longer than the age of the universe on these
  // inputs; re2js answers in milliseconds, so the whole table runs within the test timeout.
  it.each([
    // Inputs contain every literal the pattern needs, so no literal prefilter can answer early.
    ['nested plus', '(a+)+b', `b${long}c`, false],
    ['nested plus, match', '(a+)+b', `${long}b`, true],
    ['overlapping alternation', '(a|aa)*c', `${long}c`, true],
    ['overlapping alternation, no match', '(a|aa)*c', `${long}cb`, false],
    ['counted star group', '(.*a){20}', `${long}c`, false],
    ['counted star group, match', '(.*a){20}', long, true],
    ['nested stars', '(a*)*b', `b${long}`, false],
    ['stacked dot stars', '.*.*.*.*.*.*.*.*=.*', `=${long}\n`, false],
    ['negated class in a loop', '([^b]+)+b', `${long}bc`, false],
    ['case-insensitive nested', '(?i)(A+)+B', `b${long}c`, false],
  ])('%s: /%s/', (_name, pattern, input, expected) => {
    const re = compileAnchored(pattern);
    expect(re.fastPath).toBeUndefined();
    expect(re.test(input)).toBe(expected);
  });

  it('label_replace captures of a 10,000-character value', () => {
    const m = compileAnchored('(a+)+(c)').exec(`${long}c`);
    expect(m?.[2]).toBe('c');
    expect(m?.[1]).toBe(long);
  });
});

describe('program size', () => {
  it.each([11, 12, 13])('programSizeBound is an upper bound of re2js programSize, and not a loose one (seed %i, 1000 trees)', (seed) => {
    const r = rng(seed);
    const under: [string, number, number][] = [];
    let loose = 0;
    for (let i = 0; i < 1000; i++) {
      const { pattern } = node(r, 5);
      const compiled = reference(pattern);
      if (compiled instanceof Error) {
        continue; // nested counts beyond Go's 1000
      }
      const bound = programSizeBound(pattern);
      const size = RE2JS.compile(`^(?:${pattern})$`).programSize();
      if (bound < size) {
        under.push([pattern, size, bound]);
      }
      // re2js simplifies empty groups and repeats of them away; the bound counts them.
      loose += bound > 3 * size + 20 ? 1 : 0;
    }
    expect(under.slice(0, 5)).toEqual([]);
    expect(loose).toBeLessThan(50);
  });

  it.each([
    ['counted repeats in a row', '[a-z]{0,1000}'.repeat(3)],
    ['a near-limit program for Go (seconds to compile in re2js)', 'a{1000}'.repeat(1300)],
    ['nested counts', '((a{100}){10}b){5}'],
    ['before a (?<', `${'a{1000}'.repeat(1300)}(?<n>x)`],
  ])('rejects %s as too large, before compiling', (_name, pattern) => {
    expect(() => compileAnchored(pattern)).toThrow('error parsing regexp: expression too large');
  });

  // Each would take minutes if any scan before re2js were quadratic in the pattern's length.
  it.each([
    ['unclosed braced escapes', '\\x{'.repeat(100000)],
    ['unclosed POSIX classes (quadratic in the parsers of re2js and Go)', '[[:'.repeat(100000)],
    ['unclosed quotes', '\\Q\\'.repeat(100000)],
    ['groups', '('.repeat(100000)],
    ['counted repeats', 'a{1000}'.repeat(50000)],
  ])('scans a long hostile pattern in linear time: %s', (_name, pattern) => {
    expect(() => compileAnchored(pattern)).toThrow(/^error parsing regexp: /);
  });

  it("keeps Go's message for a count above 1000", () => {
    expect(() => compileAnchored('a{5000}')).toThrow('error parsing regexp: invalid repeat count: `{5000}`');
  });

  it('lets the fast path take a literal alternation of any size, and holds captures to the limit', () => {
    const hosts = Array.from({ length: 2000 }, (_, i) => `host-${i}\\.example\\.org`);
    const re = compileAnchored(`(${hosts.join('|')})`);
    expect(re.fastPath).toBe('set');
    expect([re.test('host-1999.example.org'), re.test('host-2000.example.org')]).toEqual([true, false]);
    expect(() => compileAnchored(`(${hosts.join('|')})`, { captures: true })).toThrow('expression too large');
  });

  it('compiles a fast-path pattern for captures on first use', () => {
    const re = compileAnchored('(?:a|b).*');
    expect(re.fastPath).toBe('prefix');
    expect(re.groupNames).toEqual([undefined]);
    expect(Array.from(re.exec('bcd') ?? [])).toEqual(['bcd']);
    expect(re.exec('cd')).toBeNull();
  });

  it('bounds the lazy DFA memory of this re2js version', () => {
    const re = RE2JS.compile('^(?:(a|b)*a(a|b){20})$');
    expect(limitDfaMemory(re)).toBe(true);
    expect(re.re2().dfa.memBudget).toBeLessThan(8 * 1024 * 1024);
  });

  it('the limit leaves room for realistic patterns', () => {
    const pattern = `(${Array.from({ length: 100 }, (_, i) => `api-${i}`).join('|')}):[0-9]+`;
    expect(RE2JS.compile(`^(?:${pattern})$`).programSize()).toBeLessThan(MAX_PROGRAM_SIZE);
    expect(compileAnchored(pattern).test('api-42:9090')).toBe(true);
  });
});
