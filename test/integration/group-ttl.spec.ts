import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { serverUrl } from '../support/test-env';
import { GroupExpiry } from '../../src/storage/group-expiry.service';

/**
 * Group TTL (issue 11 §1): a push's X-Pushgateway-TTL (or GROUP_TTL / GROUP_TTL_TENANTS), capped
 * by GROUP_TTL_MAX; push_expiry_time_seconds per group with a TTL; an expired group is gone from
 * every replica's reads at expiry, then removed by the leader with staleness markers at its expiry.
 */
async function put(url: string, groupPath: string, body: string, ttl?: string): Promise<Response> {
  return fetch(`${url}/metrics/${groupPath}`, { method: 'PUT', body, headers: ttl === undefined ? {} : { 'X-Pushgateway-TTL': ttl } });
}

function expiryOf(scrape: string, job: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith('push_expiry_time_seconds{') && l.includes(`job="${job}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function pushTimeOf(scrape: string, job: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith('push_time_seconds{') && l.includes(`job="${job}"`)) ?? '';
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('group TTL', () => {
  jest.setTimeout(120_000);
  let db: TestDatabase;
  let a: InProcessGateway;
  let b: InProcessGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { GROUP_TTL_MAX: '1h', GROUP_TTL_TENANTS: 'acme=10m' };
    a = await startInProcess(db, env);
    b = serverUrl() === undefined ? undefined : await startInProcess(db, env);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  it('a push with a TTL header exposes its expiry; with GROUP_TTL_MAX a push without one gets the maximum', async () => {
    expect((await put(a.url, 'job/short', 'short_m 1\n', '30m')).status).toBe(200);
    expect((await put(a.url, 'job/forever', 'forever_m 1\n')).status).toBe(200);
    const scrape = await (await fetch(`${a.url}/metrics`)).text();
    expect(expiryOf(scrape, 'short')).toBeCloseTo(pushTimeOf(scrape, 'short') + 1800, 3);
    // GROUP_TTL_MAX=1h caps "never" too.
    expect(expiryOf(scrape, 'forever')).toBeCloseTo(pushTimeOf(scrape, 'forever') + 3600, 3);
    expect(scrape).toMatch(/# HELP push_expiry_time_seconds Unix time when this group expires/);
  });

  it('caps a TTL above GROUP_TTL_MAX', async () => {
    expect((await put(a.url, 'job/long', 'long_m 1\n', '2d')).status).toBe(200);
    const scrape = await (await fetch(`${a.url}/metrics`)).text();
    expect(expiryOf(scrape, 'long')).toBeCloseTo(pushTimeOf(scrape, 'long') + 3600, 3);
    const listed = (await (await fetch(`${a.url}/api/v1/groups?match[]=${encodeURIComponent('{job="long"}')}`)).json()) as {
      data: { groups: { ttl_seconds: number; expires_at: string }[] };
    };
    expect(listed.data.groups[0].ttl_seconds).toBeCloseTo(3600, 3);
    expect(Date.parse(listed.data.groups[0].expires_at) / 1000).toBeCloseTo(pushTimeOf(scrape, 'long') + 3600, 2);
  });

  it.each(['soon', '1.5h', '-1m'])('refuses X-Pushgateway-TTL %j with 400 and stores nothing', async (ttl) => {
    const res = await put(a.url, 'job/badttl', 'bad_m 1\n', ttl);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^X-Pushgateway-TTL: expected a duration/);
    expect(await (await fetch(`${a.url}/metrics`)).text()).not.toMatch(/job="badttl"/);
  });

  it('an expired group disappears from every replica at expiry, and the leader removes it with staleness markers', async () => {
    expect((await put(a.url, 'job/ephemeral', '# TYPE eph_m gauge\neph_m 7\n', '2s')).status).toBe(200);
    expect((await put(a.url, 'job/renewed', 'ren_m 1\n', '2s')).status).toBe(200);
    for (const gw of [a, b].filter((g): g is InProcessGateway => g !== undefined)) {
      expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/eph_m\{instance="",job="ephemeral"\} 7/);
    }
    const present = await (await fetch(`${a.url}/api/v1/query?query=eph_m`)).json();
    expect((present as { data: { result: unknown[] } }).data.result).toHaveLength(1);
    const expiry = expiryOf(await (await fetch(`${a.url}/metrics`)).text(), 'ephemeral') as number;
    await sleep(1200);
    // A push renews the TTL from its own time.
    expect((await put(a.url, 'job/renewed', 'ren_m 2\n', '2s')).status).toBe(200);
    await sleep(1200);
    for (const gw of [a, b].filter((g): g is InProcessGateway => g !== undefined)) {
      const scrape = await (await fetch(`${gw.url}/metrics`)).text();
      expect(scrape).not.toMatch(/job="ephemeral"/);
      expect(scrape).toMatch(/ren_m\{instance="",job="renewed"\} 2/);
      const groups = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] };
      expect(groups.data.map((g) => g.labels.job)).not.toContain('ephemeral');
    }
    // The query API too, on every replica, before the leader removed anything: present until the
    // expiry, absent from it on (1 ms resolution), in instant queries, range queries and series.
    for (const gw of [a, b].filter((g): g is InProcessGateway => g !== undefined)) {
      const at = async (t: number): Promise<unknown[]> =>
        ((await (await fetch(`${gw.url}/api/v1/query?query=eph_m&time=${t.toFixed(3)}`)).json()) as { data: { result: unknown[] } }).data.result;
      expect(await at(expiry - 0.002)).toHaveLength(1);
      expect(await at(expiry + 0.001)).toHaveLength(0);
      expect(await at(Date.now() / 1000)).toHaveLength(0);
      const range = (await (
        await fetch(`${gw.url}/api/v1/query_range?query=eph_m&start=${(expiry - 1.5).toFixed(3)}&end=${(expiry + 1.5).toFixed(3)}&step=0.5`)
      ).json()) as { data: { result: { values: [number, string][] }[] } };
      const times = range.data.result[0].values.map(([t]) => t);
      expect(times.length).toBeGreaterThan(0);
      expect(Math.max(...times)).toBeLessThan(expiry);
      expect(times.length).toBe(3);
      const series = (await (await fetch(`${gw.url}/api/v1/series?match[]=eph_m&start=${(expiry + 0.001).toFixed(3)}`)).json()) as { data: unknown[] };
      expect(series.data).toHaveLength(0);
      const sum = (await (await fetch(`${gw.url}/api/v1/query?query=${encodeURIComponent('sum(eph_m)')}`)).json()) as { data: { result: unknown[] } };
      expect(sum.data.result).toHaveLength(0);
    }
    // The leader's pass removes it from the database; its series end at the expiry time.
    expect(await a.app.get(GroupExpiry).run()).toBeGreaterThanOrEqual(1);
    const after = (await (await fetch(`${a.url}/api/v1/query?query=eph_m`)).json()) as { data: { result: unknown[] } };
    expect(after.data.result).toHaveLength(0);
    const groups = (await (await fetch(`${a.url}/api/v1/groups?match[]=${encodeURIComponent('{job="ephemeral"}')}`)).json()) as { data: { total: number } };
    expect(groups.data.total).toBe(0);
  });
});
