import { GroupSelectorError } from 'src/core/grouping/group-selection';
import { compileStatusFilter, FilterableGroup, statusPageGroups } from 'src/core/status-page/group-filter';
import { parseStatusPageQuery } from 'src/core/status-page/page-request';

function group(labels: Record<string, string>, pushTime: number, families: string[] = [], tenant = ''): FilterableGroup {
  return { labels, pushTime, tenant, families: families.map((name) => ({ name })) };
}

const STORE = [
  group({ job: 'backup', instance: 'db1' }, 1000, ['backup_size_bytes']),
  group({ job: 'backup', instance: 'web1' }, 3000, ['backup_size_bytes']),
  group({ job: 'Nightly', path: '/var/Exports' }, 2000, ['export_rows']),
  group({ job: 'etl', shard: 's3' }, 500, ['etl_rows_total'], 'acme'),
];

const names = (groups: readonly FilterableGroup[]): string[] => groups.map((g) => Object.values(g.labels).join('/'));

describe('compileStatusFilter', () => {
  it.each<[string, string, string[]]>([
    ['nothing: every group', '', ['backup/db1', 'backup/web1', 'Nightly//var/Exports', 'etl/s3']],
    ['a selector', '{job="backup",instance=~"w.*"}', ['backup/web1']],
    ['a selector with surrounding space', '  {job="etl"} ', ['etl/s3']],
    ['a word in a value, any case', 'EXPORTS', ['Nightly//var/Exports']],
    ['name=value', 'instance=db1', ['backup/db1']],
    ['name="value"', 'instance="web', ['backup/web1']],
    ['every word must match somewhere', 'backup web', ['backup/web1']],
    ['a metric name', 'export_rows', ['Nightly//var/Exports']],
    ['part of a metric name', 'rows', ['Nightly//var/Exports', 'etl/s3']],
    ['the tenant', 'acme', ['etl/s3']],
    ['no match', 'nothing-like-this', []],
  ])('%s', (_name, text, expected) => {
    expect(names(STORE.filter(compileStatusFilter(text)))).toEqual(expected);
  });

  it('adds a pushed-before bound (exclusive)', () => {
    expect(names(STORE.filter(compileStatusFilter('backup', 3000)))).toEqual(['backup/db1']);
    expect(names(STORE.filter(compileStatusFilter('{job=~".+"}', 2000)))).toEqual(['backup/db1', 'etl/s3']);
  });

  it.each(['{job=~"("}', '{job=', '{}'])('refuses the selector %s', (text) => {
    expect(() => compileStatusFilter(text)).toThrow(GroupSelectorError);
  });
});

describe('statusPageGroups', () => {
  const request = (query: Record<string, string>) => parseStatusPageQuery(query).request;

  it("hands out pages of `limit` groups and a cursor, in the group API's key order by default", () => {
    // Tenant, then the canonical key (labels sorted by name): `instance` sorts before `job`.
    const first = statusPageGroups(STORE, request({ limit: '3' }), 4000);
    expect(names(first.items)).toEqual(['backup/db1', 'backup/web1', 'Nightly//var/Exports']);
    expect(first.total).toBe(4);
    const second = statusPageGroups(STORE, request({ limit: '3', cursor: first.nextCursor ?? '' }), 4000);
    expect(names(second.items)).toEqual(['etl/s3']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('orders by newest push', () => {
    expect(names(statusPageGroups(STORE, request({ order: 'push' }), 4000).items)).toEqual(['backup/web1', 'Nightly//var/Exports', 'backup/db1', 'etl/s3']);
  });

  it('lists only stale groups when asked: last push older than the stale age', () => {
    const page = statusPageGroups(STORE, request({ stale: '1000s', stale_only: '1', order: 'push' }), 3000);
    expect(names(page.items)).toEqual(['backup/db1', 'etl/s3']);
    expect(page.total).toBe(2);
    expect(statusPageGroups(STORE, request({ stale: '1000s' }), 3000).total).toBe(4);
  });

  it('filters before paging, so total counts matches only', () => {
    const page = statusPageGroups(STORE, request({ q: 'backup', limit: '1' }), 4000);
    expect(names(page.items)).toEqual(['backup/db1']);
    expect(page.total).toBe(2);
  });

  it('refuses a cursor of the other order', () => {
    const first = statusPageGroups(STORE, request({ limit: '1' }), 4000);
    expect(() => statusPageGroups(STORE, request({ limit: '1', order: 'push', cursor: first.nextCursor ?? '' }), 4000)).toThrow(GroupSelectorError);
  });
});
