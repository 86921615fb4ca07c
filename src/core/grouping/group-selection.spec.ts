import {
  compileSelection,
  GroupSelection,
  GroupSelectorError,
  isRestricted,
  pageOf,
  PagedGroup,
  parseGroupSelector,
  parseTimeBound,
} from 'src/core/grouping/group-selection';

function group(labels: Record<string, string>, pushTime = 100, tenant = ''): PagedGroup {
  return { labels, pushTime, tenant };
}

const STORE = [
  group({ job: 'backup', instance: 'db1' }, 100),
  group({ job: 'backup', instance: 'db2' }, 300),
  group({ job: 'backup', instance: 'web1' }, 200),
  group({ job: 'batch' }, 50),
  group({ job: 'batch', instance: 'db1' }, 400, 'acme'),
];

describe('parseGroupSelector', () => {
  it.each([
    ['equality', '{job="backup"}', [{ type: '=', name: 'job', value: 'backup' }]],
    [
      'regex and negation',
      '{job="backup",instance=~"db.*",x!="y"}',
      [
        { type: '=', name: 'job', value: 'backup' },
        { type: '=~', name: 'instance', value: 'db.*' },
        { type: '!=', name: 'x', value: 'y' },
      ],
    ],
  ])('%s', (_name, text, matchers) => {
    expect(parseGroupSelector(text)).toEqual(matchers);
  });

  it.each([
    ['a metric name', 'up{job="x"}'],
    ['a bare name', 'backup'],
    ['only empty-matching matchers', '{job=~".*"}'],
    ['a bad regex', '{job=~"("}'],
    ['an offset', '{job="x"} offset 5m'],
    ['garbage', '{job='],
  ])('rejects %s', (_name, text) => {
    expect(() => parseGroupSelector(text)).toThrow(GroupSelectorError);
  });
});

describe('compileSelection', () => {
  const jobs = (selection: GroupSelection): string[] => STORE.filter(compileSelection(selection)).map((g) => `${g.labels.job}/${g.labels.instance ?? ''}`);

  it.each<[string, GroupSelection, string[]]>([
    ['no selector: every group', { selectors: [] }, ['backup/db1', 'backup/db2', 'backup/web1', 'batch/', 'batch/db1']],
    ['one selector', { selectors: [parseGroupSelector('{job="backup",instance=~"db.*"}')] }, ['backup/db1', 'backup/db2']],
    [
      'selectors are ORed',
      { selectors: [parseGroupSelector('{instance="web1"}'), parseGroupSelector('{job="batch"}')] },
      ['backup/web1', 'batch/', 'batch/db1'],
    ],
    ['a missing label matches ""', { selectors: [parseGroupSelector('{job="batch",instance=""}')] }, ['batch/']],
    ['pushed before (exclusive)', { selectors: [], pushedBefore: 200 }, ['backup/db1', 'batch/']],
    ['pushed after (inclusive)', { selectors: [], pushedAfter: 300 }, ['backup/db2', 'batch/db1']],
    ['both bounds and a selector', { selectors: [parseGroupSelector('{job="backup"}')], pushedAfter: 150, pushedBefore: 350 }, ['backup/db2', 'backup/web1']],
  ])('%s', (_name, selection, expected) => {
    expect(jobs(selection)).toEqual(expected);
  });

  it('isRestricted is false only without selectors and bounds', () => {
    expect(isRestricted({ selectors: [] })).toBe(false);
    expect(isRestricted({ selectors: [], pushedAfter: 0 })).toBe(true);
    expect(isRestricted({ selectors: [[{ type: '=', name: 'job', value: 'x' }]] })).toBe(true);
  });
});

describe('pageOf', () => {
  const all = compileSelection({ selectors: [] });

  it.each(['key', 'push'] as const)('pages through every group exactly once in %s order', (order) => {
    const seen: PagedGroup[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = pageOf(STORE, all, { limit: 2, cursor, order });
      expect(page.total).toBe(STORE.length);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(STORE.length);
    if (order === 'push') {
      expect(seen.map((g) => g.pushTime)).toEqual([400, 300, 200, 100, 50]);
    } else {
      expect(seen.map((g) => g.tenant)).toEqual(['', '', '', '', 'acme']);
    }
  });

  it('a cursor stays valid when the group it points at is deleted', () => {
    const first = pageOf(STORE, all, { limit: 2, order: 'key' });
    const without = STORE.filter((g) => g !== first.items[1]);
    const next = pageOf(without, all, { limit: 10, cursor: first.nextCursor, order: 'key' });
    expect(next.items).toEqual(pageOf(STORE, all, { limit: 10, cursor: first.nextCursor, order: 'key' }).items);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a cursor of the other order', pageOf(STORE, compileSelection({ selectors: [] }), { limit: 1, order: 'push' }).nextCursor ?? ''],
  ])('rejects %s', (_name, cursor) => {
    expect(() => pageOf(STORE, all, { limit: 1, cursor, order: 'key' })).toThrow(GroupSelectorError);
  });
});

describe('parseTimeBound', () => {
  it.each([
    ['Unix seconds', '1764669600', 1764669600],
    ['fractional seconds', '1764669600.5', 1764669600.5],
    ['RFC 3339 UTC', '2025-12-02T10:00:00Z', 1764669600],
    ['RFC 3339 with offset and fraction', '2025-12-02T11:00:00.250+01:00', 1764669600.25],
  ])('%s', (_name, text, seconds) => {
    expect(parseTimeBound('pushed_before', text)).toBe(seconds);
  });

  it.each(['yesterday', '2025-12-02', '2025-12-02 10:00:00', ''])('rejects %j', (text) => {
    expect(() => parseTimeBound('pushed_before', text)).toThrow(/pushed_before: expected RFC 3339 or Unix seconds/);
  });
});
