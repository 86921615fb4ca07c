import { exponentForm, formatFloat, formatSpecial, plainForm, shortestDigits } from 'src/core/exposition/format-float';

describe('formatFloat', () => {
  it.each<[string, number, string]>([
    ['NaN', NaN, 'NaN'],
    ['positive infinity', Infinity, '+Inf'],
    ['negative infinity', -Infinity, '-Inf'],
    ['zero', 0, '0'],
    ['negative zero keeps its sign', -0, '-0'],
    ['one', 1, '1'],
    ['minus one', -1, '-1'],
    ['small integer', 42, '42'],
    ['hundred stays plain', 100, '100'],
    ['six-digit integer stays plain', 123456, '123456'],
    ['largest plain integer', 999999, '999999'],
    ['hundred thousand', 100000, '100000'],
    ['negative six-digit integer', -123456, '-123456'],
    ['million switches to exponent', 1e6, '1e+06'],
    ['seven digits use exponent', 1234567, '1.234567e+06'],
    ['eight digits use exponent', 12345678, '1.2345678e+07'],
    ['push_time_seconds value', 1795660281.0200646, '1.7956602810200646e+09'],
    ['2^53', 2 ** 53, '9.007199254740992e+15'],
    ['1e21', 1e21, '1e+21'],
    ['1e22', 1e22, '1e+22'],
    ['three-digit exponent', 1e100, '1e+100'],
    ['largest double', Number.MAX_VALUE, '1.7976931348623157e+308'],
    ['fraction with six integer digits', 123456.7, '123456.7'],
    ['plain decimal', 2398.283, '2398.283'],
    ['pi-ish', 3.14, '3.14'],
    ['shortest round-trip digits', 0.1 + 0.2, '0.30000000000000004'],
    ['one tenth', 0.1, '0.1'],
    ['negative fraction', -0.5, '-0.5'],
    ['1e-4 stays plain', 0.0001, '0.0001'],
    ['small plain with digits', 0.00012345, '0.00012345'],
    ['1e-5 switches to exponent', 0.00001, '1e-05'],
    ['just below 1e-4', 0.00009999, '9.999e-05'],
    ['small exponent with digits', 1.5e-7, '1.5e-07'],
    ['negative small exponent', -2.5e-10, '-2.5e-10'],
    ['smallest subnormal', 5e-324, '5e-324'],
    ['smallest normal', 2.2250738585072014e-308, '2.2250738585072014e-308'],
    ['quantile 0.99', 0.99, '0.99'],
    ['bucket bound 0.005', 0.005, '0.005'],
    ['bucket bound 2.5', 2.5, '2.5'],
    ['exponent 9 digits', 123456789, '1.23456789e+08'],
    ['float count', 12.75, '12.75'],
  ])('%s', (_name, value, expected) => {
    expect(formatFloat(value)).toBe(expected);
  });

  it.each([0.1, 1 / 3, 2 / 3, 1e-7, 123.456, 9.87654321e200, 4.9e-324, 1795660281.0200646])('round-trips %p through Number()', (value) => {
    expect(Number(formatFloat(value))).toBe(value);
  });
});

describe('formatFloat fast path = the general digits-and-form path', () => {
  /** The general path, composed of the exported steps formatFloat takes outside its fast path. */
  function general(v: number): string {
    const special = formatSpecial(v);
    if (special !== undefined) {
      return special;
    }
    const { digits, exp } = shortestDigits(Math.abs(v));
    return (v < 0 ? '-' : '') + (exp < -4 || exp >= 6 ? exponentForm(digits, exp) : plainForm(digits, exp + 1));
  }

  const below = (x: number) => x - Math.max(Number.MIN_VALUE, Math.abs(x) * Number.EPSILON);
  const above = (x: number) => x + Math.max(Number.MIN_VALUE, Math.abs(x) * Number.EPSILON);

  it('agrees at and around the fast path bounds', () => {
    const values = [1e-4, 1e6, 1e-5, 1e5, 9.9999e-5, 999999.9999999999, 0.000123, 0.1, 1, 2 ** 31, 123456.5].flatMap((x) => [x, below(x), above(x)]);
    for (const v of values.flatMap((x) => [x, -x])) {
      expect([v, formatFloat(v)]).toEqual([v, general(v)]);
    }
  });

  it('agrees over seeded random values of every magnitude', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < 200_000; i++) {
      const v = (next() - 0.5) * 10 ** Math.floor(next() * 24 - 12);
      const w = i % 3 === 0 ? Math.round(v) : v;
      if (formatFloat(w) !== general(w)) {
        expect([w, formatFloat(w)]).toEqual([w, general(w)]);
      }
    }
  });
});
