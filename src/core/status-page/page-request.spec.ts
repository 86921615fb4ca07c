import { DEFAULT_LINES, DEFAULT_PAGE_SIZE, parseStatusPageQuery, StatusPageRequest, statusPageQuery } from 'src/core/status-page/page-request';

const DEFAULTS: StatusPageRequest = {
  tab: 'groups',
  filter: '',
  order: 'key',
  stale: '',
  staleOnly: false,
  limit: DEFAULT_PAGE_SIZE,
  start: 1,
  lines: DEFAULT_LINES,
};

describe('parseStatusPageQuery', () => {
  it.each<[string, Record<string, string | string[]>, Partial<StatusPageRequest>]>([
    ['nothing: the defaults', {}, {}],
    ['the status tab', { tab: 'status' }, { tab: 'status' }],
    ['a filter, trimmed', { q: '  {job="x"} ' }, { filter: '{job="x"}' }],
    ['push order', { order: 'push' }, { order: 'push' }],
    ['a stale age', { stale: '1h30m' }, { stale: '1h30m', staleMs: 5_400_000 }],
    ['only stale groups (a checkbox sends "on")', { stale: '5m', stale_only: 'on' }, { stale: '5m', staleMs: 300_000, staleOnly: true }],
    ['a page size', { limit: '25' }, { limit: 25 }],
    ['a cursor and start', { cursor: 'abc', start: '101' }, { cursor: 'abc', start: 101 }],
    ['every line', { lines: 'all' }, { lines: Number.POSITIVE_INFINITY }],
    ['the first of repeated values', { order: ['push', 'key'] }, { order: 'push' }],
    ['empty values are unset', { tab: '', order: '', stale: '', cursor: '', limit: '' }, {}],
  ])('%s', (_name, query, expected) => {
    expect(parseStatusPageQuery(query)).toEqual({ request: { ...DEFAULTS, ...expected }, problems: [] });
  });

  it.each<[string, Record<string, string>, Partial<StatusPageRequest>, RegExp]>([
    ['an unknown tab', { tab: 'x' }, {}, /^tab: expected groups, status or help/],
    ['an unknown order', { order: 'name' }, {}, /^order: expected key or push/],
    ['a bad duration', { stale: '1.5h' }, { stale: '1.5h' }, /^stale: not a valid duration string: "1\.5h"/],
    ['a zero duration', { stale: '0' }, { stale: '0' }, /^stale: expected a duration above zero/],
    ['stale_only without an age', { stale_only: '1' }, {}, /^stale_only: needs a stale age/],
    ['a page too large', { limit: '1001' }, {}, /^limit: expected an integer from 1 to 1000, got "1001"/],
    ['a page of zero', { limit: '0' }, {}, /^limit: expected an integer from 1 to 1000/],
    ['a fraction', { lines: '1.5' }, {}, /^lines: expected an integer from 1 up, got "1\.5"/],
    ['a negative start', { start: '-3' }, {}, /^start: expected an integer from 1 up/],
  ])('reports %s and falls back to the default', (_name, query, expected, problem) => {
    const { request, problems } = parseStatusPageQuery(query);
    expect(request).toEqual({ ...DEFAULTS, ...expected });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });
});

describe('statusPageQuery', () => {
  it.each<[string, Partial<StatusPageRequest>, string]>([
    ['defaults leave nothing', DEFAULTS, ''],
    ['a tab', { tab: 'help' }, '?tab=help'],
    ['a filter is encoded', { filter: '{job="a b"}' }, '?q=%7Bjob%3D%22a+b%22%7D'],
    ['every line', { lines: Number.POSITIVE_INFINITY }, '?lines=all'],
    ['only stale', { stale: '1h', staleOnly: true }, '?stale=1h&stale_only=1'],
  ])('%s', (_name, request, expected) => {
    expect(statusPageQuery(request)).toBe(expected);
  });

  it.each<[string, Partial<StatusPageRequest>]>([
    ['a next-page link', { filter: 'backup db', order: 'push', stale: '2h', staleMs: 7_200_000, staleOnly: true, limit: 50, cursor: 'WyJwdXNoIl0', start: 51 }],
    ['a permalink', { filter: '{job="a&b",x="日本"}', lines: Number.POSITIVE_INFINITY }],
    ['the status tab', { tab: 'status' }],
  ])('%s parses back to the same request', (_name, partial) => {
    const request = { ...DEFAULTS, ...partial };
    const query = Object.fromEntries(new URLSearchParams(statusPageQuery(request)));
    expect(parseStatusPageQuery(query)).toEqual({ request, problems: [] });
  });
});
