import { InvalidTtlError, MAX_TTL_SECONDS, parseTtl } from 'src/core/auth/ttl';

describe('parseTtl', () => {
  it.each<[string, string | number, number]>([
    ['plain seconds', '3600', 3600],
    ['number', 90, 90],
    ['seconds unit', '45s', 45],
    ['minutes', '15m', 900],
    ['hours', '12h', 43200],
    ['days', '30d', 30 * 86400],
    ['weeks', '2w', 14 * 86400],
    ['years', '1y', 365 * 86400],
    ['compound', '1h30m', 5400],
    ['surrounding spaces', ' 1d ', 86400],
    ['ten years', '10y', MAX_TTL_SECONDS],
  ])('%s', (_name, input, seconds) => {
    expect(parseTtl(input)).toBe(seconds);
  });

  it.each<[string, string | number]>([
    ['zero', '0'],
    ['negative', -5],
    ['fraction', 1.5],
    ['unknown unit', '3x'],
    ['unit only', 'd'],
    ['decimal', '1.5h'],
    ['over ten years', '11y'],
    ['empty', ''],
    ['spaces inside', '1 d'],
  ])('refuses %s', (_name, input) => {
    expect(() => parseTtl(input)).toThrow(InvalidTtlError);
  });
});
