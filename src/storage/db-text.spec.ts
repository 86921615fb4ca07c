import { DB_TEXT_ESCAPE, decodeSortedDbTexts, fromDbLabels, fromDbText, toDbJson, toDbText } from 'src/storage/db-text';

const ESC = DB_TEXT_ESCAPE;

/** A seeded xorshift generator: the random cases are the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Random strings over an alphabet rich in the characters that matter (U+0000, ESC, '0', surrogate pairs). */
function randomStrings(n: number, seed: number): string[] {
  const next = rng(seed);
  const alphabet = ['\u0000', ESC, '0', 'a', '\\', '"', '\n', '\u0001', '\u0002', '\uFDD1', 'é', '😀', 'u'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const len = Math.floor(next() * 12);
    for (let j = 0; j < len; j++) {
      s += alphabet[Math.floor(next() * alphabet.length)];
    }
    out.push(s);
  }
  return out;
}

describe('toDbText / fromDbText', () => {
  it.each([
    ['empty', '', ''],
    ['plain ASCII (fast path)', 'abc', 'abc'],
    ['non-ASCII without escapes', 'Größe 日本 😀', 'Größe 日本 😀'],
    ['lone U+0000', '\u0000', `${ESC}0`],
    ['U+0000 inside', 'a\u0000b', `a${ESC}0b`],
    ['the escape character', ESC, `${ESC}${ESC}`],
    ['escape then zero digit', `${ESC}0`, `${ESC}${ESC}0`],
    ['U+0000 then zero digit', '\u00000', `${ESC}00`],
    ['run of both', `\u0000${ESC}\u0000${ESC}`, `${ESC}0${ESC}${ESC}${ESC}0${ESC}${ESC}`],
  ])('%s', (_name, raw, stored) => {
    expect(toDbText(raw)).toBe(stored);
    expect(fromDbText(stored)).toBe(raw);
  });

  it('round-trips random strings and never stores U+0000', () => {
    const failures = randomStrings(20000, 7).filter((s) => {
      const stored = toDbText(s);
      return stored.includes('\u0000') || fromDbText(stored) !== s;
    });
    expect(failures).toEqual([]);
  });

  it('is injective (equality of stored forms is equality of strings)', () => {
    const seen = new Map<string, string>();
    const clashes: string[][] = [];
    for (const s of randomStrings(20000, 11)) {
      const stored = toDbText(s);
      const before = seen.get(stored);
      if (before !== undefined && before !== s) {
        clashes.push([before, s]);
      }
      seen.set(stored, s);
    }
    expect(seen.size).toBeGreaterThan(1000);
    expect(clashes).toEqual([]);
  });

  it('returns the same string object on the fast path', () => {
    const s = 'no escapes here';
    expect(toDbText(s)).toBe(s);
    expect(fromDbText(s)).toBe(s);
  });
});

describe('toDbJson / fromDbLabels', () => {
  it.each([
    ['plain labels', { job: 'a', instance: '' }],
    ['U+0000 in a value', { job: '\u0000', x: 'a\u0000b' }],
    ['escape character in a value', { job: ESC }],
    ['the six characters \\u0000 (not U+0000)', { job: '\\u0000' }],
  ])('%s round-trips through JSON', (_name, labels: Record<string, string>) => {
    const json = toDbJson(labels);
    expect(json.includes('\\u0000')).toBe(labels.job === '\\u0000');
    expect(fromDbLabels(JSON.parse(json) as Record<string, string>)).toEqual(labels);
  });

  it('keeps the parsed object when nothing was escaped', () => {
    const parsed = { job: 'a' };
    expect(fromDbLabels(parsed)).toBe(parsed);
  });
});

describe('decodeSortedDbTexts', () => {
  const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

  it('restores the raw order the encoding does not keep', () => {
    const raw = ['a', 'a\u0000', `a${ESC}`, 'b', '\u0000'];
    const storedSorted = raw.map(toDbText).sort(byCodeUnit);
    expect(decodeSortedDbTexts(storedSorted, byCodeUnit)).toEqual([...raw].sort(byCodeUnit));
  });

  it('leaves unescaped lists untouched', () => {
    const values = ['b', 'a'];
    expect(decodeSortedDbTexts(values, byCodeUnit)).toBe(values);
  });
});
