import { parseDuration } from 'src/core/promql/duration';

/**
 * The status page's URL parameters: which tab, and for the groups tab the filter, order, stale age
 * and page. Every parameter is optional; the page's own links and filter form write them.
 */

export type StatusTab = 'groups' | 'status' | 'help';

export interface StatusPageRequest {
  tab: StatusTab;
  /** `q`: a selector over grouping labels (`{job="backup"}`) or free text; '' shows every group. */
  filter: string;
  /** `order`: grouping key ascending, or newest push first. */
  order: 'key' | 'push';
  /** `stale`: the age, as typed (a Prometheus duration), after which a group is marked stale; '' for none. */
  stale: string;
  /** `stale` in milliseconds; undefined when unset or invalid. */
  staleMs?: number;
  /** `stale_only`: list only groups marked stale (needs `stale`). */
  staleOnly: boolean;
  /** `limit`: groups per page. */
  limit: number;
  /** `cursor`: where the page starts (the previous page's next cursor). */
  cursor?: string;
  /** `start`: 1-based position of the page's first group, for the "groups 101-200" caption only. */
  start: number;
  /** `lines`: sample lines shown per family (`all`: Infinity). */
  lines: number;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_LINES = 100;

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

type Query = Record<string, string | string[] | undefined>;

/**
 * Reads the page's parameters. A bad value never fails the page: it falls back to the default and
 * is reported in `problems` (shown above the listing), except that the filter is kept as typed for
 * the caller to compile (and report).
 */
export function parseStatusPageQuery(query: Query): { request: StatusPageRequest; problems: string[] } {
  const problems: string[] = [];
  const first = (name: string): string | undefined => {
    const v = query[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const request: StatusPageRequest = { ...DEFAULTS };

  const tab = first('tab');
  if (tab === 'groups' || tab === 'status' || tab === 'help') {
    request.tab = tab;
  } else if (tab !== undefined && tab !== '') {
    problems.push(`tab: expected groups, status or help, got ${JSON.stringify(tab)}`);
  }

  request.filter = (first('q') ?? '').trim();

  const order = first('order');
  if (order === 'key' || order === 'push') {
    request.order = order;
  } else if (order !== undefined && order !== '') {
    problems.push(`order: expected key or push, got ${JSON.stringify(order)}`);
  }

  const stale = (first('stale') ?? '').trim();
  if (stale !== '') {
    request.stale = stale;
    try {
      const ms = parseDuration(stale);
      if (ms > 0) {
        request.staleMs = ms;
      } else {
        problems.push('stale: expected a duration above zero, such as 1h or 30m');
      }
    } catch (error) {
      problems.push(`stale: ${(error as Error).message} (expected a duration such as 1h, 30m or 1d12h)`);
    }
  }

  const staleOnly = first('stale_only');
  request.staleOnly = staleOnly !== undefined && staleOnly !== '' && staleOnly !== '0';
  if (request.staleOnly && request.staleMs === undefined) {
    problems.push('stale_only: needs a stale age (stale=1h, for example)');
    request.staleOnly = false;
  }

  request.limit = integerParam(first('limit'), 'limit', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, problems);
  request.start = integerParam(first('start'), 'start', 1, Number.MAX_SAFE_INTEGER, 1, problems);

  const lines = first('lines');
  request.lines = lines === 'all' ? Number.POSITIVE_INFINITY : integerParam(lines, 'lines', 1, Number.MAX_SAFE_INTEGER, DEFAULT_LINES, problems);

  const cursor = first('cursor');
  if (cursor !== undefined && cursor !== '') {
    request.cursor = cursor;
  }
  return { request, problems };
}

function integerParam(text: string | undefined, name: string, min: number, max: number, fallback: number, problems: string[]): number {
  if (text === undefined || text === '') {
    return fallback;
  }
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    problems.push(`${name}: expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${JSON.stringify(text)}`);
    return fallback;
  }
  return n;
}

/**
 * The query string (with its `?`, or '' when every value is the default) that asks for `request`:
 * what the page's own links use, so parseStatusPageQuery(statusPageQuery(r)) gives r back.
 */
export function statusPageQuery(request: Partial<StatusPageRequest>): string {
  const params = new URLSearchParams();
  const set = (name: string, value: string | undefined, fallback: string): void => {
    if (value !== undefined && value !== fallback) {
      params.set(name, value);
    }
  };
  set('tab', request.tab, DEFAULTS.tab);
  set('q', request.filter, DEFAULTS.filter);
  set('order', request.order, DEFAULTS.order);
  set('stale', request.stale, DEFAULTS.stale);
  set('stale_only', request.staleOnly === true ? '1' : undefined, '');
  set('limit', request.limit?.toString(), String(DEFAULTS.limit));
  set('lines', request.lines === undefined ? undefined : request.lines === Number.POSITIVE_INFINITY ? 'all' : String(request.lines), String(DEFAULTS.lines));
  set('start', request.start?.toString(), String(DEFAULTS.start));
  set('cursor', request.cursor, '');
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
