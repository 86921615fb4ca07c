import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase, useAuthGateway } from '../support/gateway';
import { serverUrl } from '../support/test-env';

/**
 * The group API (issue 11 §2): GET /api/v1/groups lists groups by selectors over grouping labels
 * and push times with cursor paging; DELETE /api/v1/groups deletes every match in one transaction,
 * on every replica's next scrape, with staleness markers in the history. The exact-key DELETE keeps
 * upstream's meaning.
 */
async function push(url: string, groupPath: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${url}/metrics/${groupPath}`, { method: 'PUT', body, headers });
  expect(res.status).toBe(200);
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface QueryAnswer {
  data: { result: { value: [number, string] }[] };
}

interface Listing {
  groups: { labels: Record<string, string>; tenant: string; last_push_time: string | null; families: number; series: number }[];
  total: number;
  next_cursor?: string;
}

describe('group API', () => {
  jest.setTimeout(120_000);
  let db: TestDatabase;
  let a: InProcessGateway;
  let b: InProcessGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startInProcess(db);
    // A second replica on the same database (only with a server: the embedded engine has one process).
    b = serverUrl() === undefined ? undefined : await startInProcess(db);
    await push(a.url, 'job/backup/instance/db1', '# TYPE backup_ok gauge\nbackup_ok 1\n');
    await push(
      a.url,
      'job/backup/instance/db2',
      '# TYPE backup_ok gauge\nbackup_ok 1\n# TYPE backup_bytes histogram\nbackup_bytes_bucket{le="1"} 1\nbackup_bytes_bucket{le="+Inf"} 2\nbackup_bytes_sum 3\nbackup_bytes_count 2\n',
    );
    await push(a.url, 'job/backup/instance/web1', '# TYPE backup_ok gauge\nbackup_ok 0\n');
    await push(a.url, 'job/batch', 'batch_done 1\n');
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  it('lists groups matching any selector, with their push times and sizes', async () => {
    const { status, body } = await json(`${a.url}/api/v1/groups?match[]=${encodeURIComponent('{job="backup",instance=~"db.*"}')}`);
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    const data = body.data as Listing;
    expect(data.total).toBe(2);
    expect(data.groups.map((g) => g.labels)).toEqual([
      { instance: 'db1', job: 'backup' },
      { instance: 'db2', job: 'backup' },
    ]);
    expect(data.groups[1]).toMatchObject({ tenant: '', families: 2, series: 5 });
    expect(Date.parse(data.groups[0].last_push_time ?? '')).toBeGreaterThan(Date.now() - 120_000);
  });

  it('pages with a cursor in grouping-key and newest-push order', async () => {
    for (const order of ['key', 'push']) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const { status, body } = await json(`${a.url}/api/v1/groups?limit=3&order=${order}${cursor === undefined ? '' : `&cursor=${cursor}`}`);
        expect(status).toBe(200);
        const data = body.data as Listing;
        seen.push(...data.groups.map((g) => JSON.stringify(g.labels)));
        cursor = data.next_cursor;
      } while (cursor !== undefined);
      expect(seen).toHaveLength(4);
      expect(new Set(seen).size).toBe(4);
      if (order === 'push') {
        expect(JSON.parse(seen[0])).toEqual({ job: 'batch' });
      }
    }
  });

  it.each([
    ['a metric name in match[]', 'match[]=up', /match\[\] "up": expected a selector over grouping labels/],
    ['a bad regex', `match[]=${encodeURIComponent('{job=~"("}')}`, /match\[\]/],
    ['a bad time', 'pushed_before=yesterday', /pushed_before: expected RFC 3339 or Unix seconds/],
    ['a bad limit', 'limit=0', /limit: expected an integer from 1 to 10000/],
    ['a foreign cursor', 'cursor=abc', /cursor: not a cursor of this listing/],
  ])('answers 400 bad_data for %s', async (_name, query, message) => {
    const { status, body } = await json(`${a.url}/api/v1/groups?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect(body.error).toMatch(message);
  });

  it('refuses a bulk delete without any filter', async () => {
    const { status, body } = await json(`${a.url}/api/v1/groups`, { method: 'DELETE' });
    expect(status).toBe(400);
    expect(body.error).toMatch(/at least one of match\[\], pushed_before or pushed_after is required/);
    expect(((await json(`${a.url}/api/v1/groups`)).body.data as Listing).total).toBe(4);
  });

  it('deletes every match in one go: gone from every replica, stale in the history, others untouched', async () => {
    const before = (await (await fetch(`${a.url}/api/v1/query?query=${encodeURIComponent('count(backup_ok)')}`)).json()) as QueryAnswer;
    expect(before.data.result[0].value[1]).toBe('3');
    const { status, body } = await json(`${a.url}/api/v1/groups?match[]=${encodeURIComponent('{job="backup",instance=~"db.*"}')}`, { method: 'DELETE' });
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'success', data: { deleted: 2 } });
    for (const gw of [a, b].filter((g): g is InProcessGateway => g !== undefined)) {
      const scrape = await (await fetch(`${gw.url}/metrics`)).text();
      expect(scrape).not.toMatch(/instance="db1"/);
      expect(scrape).not.toMatch(/backup_bytes/);
      expect(scrape).toMatch(/backup_ok\{instance="web1",job="backup"\} 0/);
      expect(scrape).toMatch(/batch_done\{instance="",job="batch"\} 1/);
    }
    // The deleted series end with a staleness marker: an instant query no longer sees them.
    const after = (await (await fetch(`${a.url}/api/v1/query?query=${encodeURIComponent('count(backup_ok)')}`)).json()) as QueryAnswer;
    expect(after.data.result[0].value[1]).toBe('1');
    // The exact-key DELETE keeps upstream's meaning: one group, 202, also when absent.
    expect((await fetch(`${a.url}/metrics/job/batch`, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(`${a.url}/metrics/job/batch`, { method: 'DELETE' })).status).toBe(202);
    expect(((await json(`${a.url}/api/v1/groups`)).body.data as Listing).groups.map((g) => g.labels)).toEqual([{ instance: 'web1', job: 'backup' }]);
  });

  it('deletes by push time', async () => {
    const cut = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, 20));
    await push(a.url, 'job/fresh', 'fresh_m 1\n');
    const { body } = await json(`${a.url}/api/v1/groups?pushed_before=${cut}`, { method: 'DELETE' });
    expect(body).toEqual({ status: 'success', data: { deleted: 1 } });
    expect(((await json(`${a.url}/api/v1/groups`)).body.data as Listing).groups.map((g) => g.labels)).toEqual([{ job: 'fresh' }]);
  });
});

describe('group API with tenant tokens', () => {
  jest.setTimeout(120_000);
  const gw = useAuthGateway();
  const token = (tenant: string | undefined, scope: string): Promise<string> => gw.token({ tenant, scope });

  it('a tenant sees and deletes only its own groups; deleting needs the push scope', async () => {
    const acme = { Authorization: `Bearer ${await token('acme', 'push read')}` };
    const other = { Authorization: `Bearer ${await token('other', 'push read')}` };
    await push(gw.url, 'job/nightly', 'n 1\n', acme);
    await push(gw.url, 'job/nightly', 'n 2\n', other);
    const mine = (await json(`${gw.url}/api/v1/groups`, { headers: acme })).body.data as Listing;
    expect(mine.groups.map((g) => [g.tenant, g.labels])).toEqual([['acme', { job: 'nightly' }]]);
    const readOnly = { Authorization: `Bearer ${await token('acme', 'read')}` };
    expect((await fetch(`${gw.url}/api/v1/groups?match[]=${encodeURIComponent('{job="nightly"}')}`, { method: 'DELETE', headers: readOnly })).status).toBe(403);
    const deleted = await json(`${gw.url}/api/v1/groups?match[]=${encodeURIComponent('{job="nightly"}')}`, { method: 'DELETE', headers: acme });
    expect(deleted.body).toEqual({ status: 'success', data: { deleted: 1 } });
    const theirs = (await json(`${gw.url}/api/v1/groups`, { headers: other })).body.data as Listing;
    expect(theirs.groups.map((g) => [g.tenant, g.labels])).toEqual([['other', { job: 'nightly' }]]);
  });
});
