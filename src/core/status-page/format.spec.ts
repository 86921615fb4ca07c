import { displayLabelName, escapeLabelName, formatAge, formatCount, groupPath, groupSelector, orderedLabels } from 'src/core/status-page/format';
import { parseGroupingPath, unescapeLabelName } from 'src/core/grouping/grouping-path';
import { compileSelection, parseGroupSelector } from 'src/core/grouping/group-selection';
import { Labels } from 'src/core/model/labels';

describe('formatAge', () => {
  it.each([
    ['zero', 0, '0s'],
    ['under a second', 0.9, '0s'],
    ['negative (clock skew)', -5, '0s'],
    ['seconds', 45, '45s'],
    ['minutes and seconds', 192, '3m 12s'],
    ['whole minutes', 120, '2m'],
    ['hours and minutes, seconds dropped', 2 * 3600 + 5 * 60 + 9, '2h 5m'],
    ['whole hours, a gap stops the precision', 2 * 3600 + 9, '2h'],
    ['days and hours', 4 * 86400 + 3600 + 59, '4d 1h'],
    ['many days', 400 * 86400, '400d'],
  ])('%s', (_name, seconds, expected) => {
    expect(formatAge(seconds)).toBe(expected);
  });
});

describe('formatCount', () => {
  it.each([0, 7, 999, 1000, 12345, 999999, 1000000, 1234567890, -1, -1234, -1000000, Number.MAX_SAFE_INTEGER])('%d as en-US writes it', (n) => {
    expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });

  it.each([
    [1.5, '1.5'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ])('%d as it is', (n, expected) => {
    expect(formatCount(n)).toBe(expected);
  });
});

describe('orderedLabels', () => {
  it('puts job first, then names in byte order', () => {
    expect(orderedLabels({ zone: 'a', instance: 'i', job: 'j', Alpha: 'x' })).toEqual([
      ['job', 'j'],
      ['Alpha', 'x'],
      ['instance', 'i'],
      ['zone', 'a'],
    ]);
  });
});

describe('groupPath', () => {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
  it.each<[string, Labels, string]>([
    ['job only', { job: 'backup' }, 'metrics/job/backup'],
    [
      'plain values stay readable, job first',
      { instance: 'db-1.example', job: 'backup', zone: 'eu_1~a' },
      'metrics/job/backup/instance/db-1.example/zone/eu_1~a',
    ],
    ['a slash in a value', { job: 'backup', path: '/var/x' }, `metrics/job/backup/path@base64/${b64('/var/x')}`],
    ['a slash in the job', { job: 'a/b' }, `metrics/job@base64/${b64('a/b')}`],
    ['an empty value', { job: 'backup', instance: '' }, 'metrics/job/backup/instance@base64/='],
    ['a dot segment', { job: '.', instance: '..' }, `metrics/job@base64/${b64('.')}/instance@base64/${b64('..')}`],
    [
      'spaces, percent signs and UTF-8',
      { job: 'nightly run', x: '100%', y: '日本' },
      `metrics/job@base64/${b64('nightly run')}/x@base64/${b64('100%')}/y@base64/${b64('日本')}`,
    ],
    ['no job: the managed-service route', { team: 'a', env: 'prod' }, 'api/v2/metrics/env/prod/team/a'],
  ])('%s', (_name, labels, expected) => {
    expect(groupPath(labels, { utf8Names: false })).toBe(expected);
  });

  it.each<[string, Labels, boolean, string]>([
    ['a UTF-8 name is escaped when the route decodes names', { job: 'j', 'my.label': 'v' }, true, 'metrics/job/j/U__my_2e_label/v'],
    ['a name that looks escaped is escaped again', { job: 'j', U__x: 'v' }, true, 'metrics/job/j/U__U____x/v'],
    ['without UTF-8 names a U__ name is literal', { job: 'j', U__x: 'v' }, false, 'metrics/job/j/U__x/v'],
  ])('%s', (_name, labels, utf8Names, expected) => {
    expect(groupPath(labels, { utf8Names })).toBe(expected);
  });

  // The path must name exactly the group it came from, as the push route reads it.
  it('round-trips through the push route for random grouping keys', () => {
    const random = seeded(11);
    const alphabet = ['a', 'Z', '0', '_', '-', '.', '~', '/', '%', ' ', '=', '@', '?', '#', '\\', '"', '日', '\u0000', '😀', '+'];
    const text = (min: number): string => {
      const n = min + Math.floor(random() * 6);
      return Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    };
    for (let i = 0; i < 2000; i++) {
      const labels: Labels = { job: text(1) };
      for (let k = Math.floor(random() * 4); k > 0; k--) {
        labels[`l${k}`] = text(0);
      }
      const path = groupPath(labels, { utf8Names: false });
      expect(parseGroupingPath(encodeURI(path.slice('metrics/'.length)))).toEqual(labels);
    }
  });
});

describe('escapeLabelName', () => {
  it.each(['my.label', 'a_b', 'U__x', 'ümlaut 😀', '0starts_with_digit', '_'])('%s round-trips through unescapeLabelName', (name) => {
    expect(unescapeLabelName(escapeLabelName(name))).toBe(name);
  });
});

describe('displayLabelName (Prometheus 3 quotes names that are not legacy names)', () => {
  it.each([
    ['a legacy name stays bare', 'job', 'job'],
    ['a reserved-looking legacy name stays bare', '__name__', '__name__'],
    ['a dotted name is quoted', 'some.label', '"some.label"'],
    ['a leading digit is quoted', '1a', '"1a"'],
    ['a dash is quoted', 'a-b', '"a-b"'],
    ['quotes and backslashes are escaped', 'a"b\\c', '"a\\"b\\\\c"'],
    ['non-ASCII is kept', 'größe', '"größe"'],
    ['a control character is escaped', 'a\nb', '"a\\nb"'],
  ])('%s: %p → %s', (_, name, shown) => {
    expect(displayLabelName(name)).toBe(shown);
  });
});

describe('groupSelector', () => {
  it.each<[string, Labels]>([
    ['plain', { job: 'backup', instance: 'db1' }],
    ['quotes, backslashes, newlines, U+0000', { job: 'a"b\\c\nd\u0000e' }],
    ['a UTF-8 label name', { job: 'j', 'my.label': '日本' }],
  ])('%s: parses back into a selection that matches the group', (_name, labels) => {
    const text = groupSelector(labels);
    const matches = compileSelection({ selectors: [parseGroupSelector(text)] });
    expect(matches({ labels, pushTime: 1 })).toBe(true);
    expect(matches({ labels: { ...labels, job: `${labels.job}x` }, pushTime: 1 })).toBe(false);
  });

  it('writes job first', () => {
    expect(groupSelector({ instance: 'db1', job: 'backup' })).toBe('{job="backup",instance="db1"}');
  });
});

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
