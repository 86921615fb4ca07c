import { createTestDatabase, startProcess, TestDatabase, GatewayProcess } from '../support/gateway';
import { itWhen, serverUrl } from '../support/test-env';
import { pushedLines } from '../support/scrape';
import { lostPushes, PushLoad, scrapedValues, sleep } from '../support/fault-load';

async function put(url: string, path: string, body: string, method = 'PUT'): Promise<number> {
  const res = await fetch(`${url}${path}`, { method, body });
  await res.text();
  return res.status;
}

async function scrapePushed(url: string): Promise<string[]> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return pushedLines(await res.text());
}

const BODY = (i: number): string =>
  `# HELP dur_gauge 持久 gauge ${i}\n# TYPE dur_gauge gauge\ndur_gauge{k="${i}"} ${i}.5\n# TYPE dur_hist histogram\ndur_hist_bucket{le="1"} ${i}\ndur_hist_bucket{le="+Inf"} ${i + 1}\ndur_hist_sum 3.5\ndur_hist_count ${i + 1}\n`;

describe('durability across restarts and crashes', () => {
  jest.setTimeout(240000);
  let db: TestDatabase;
  let gw: GatewayProcess | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await gw?.stop('SIGKILL');
    await db.drop();
  });

  it('keeps every acknowledged push, with identical scrape output, across a graceful restart', async () => {
    gw = await startProcess(db);
    for (let i = 0; i < 5; i++) {
      expect(await put(gw.url, `/metrics/job/restart/i/${i}`, BODY(i))).toBe(200);
    }
    const before = await scrapePushed(gw.url);
    expect(before.filter((l) => l.startsWith('dur_gauge{'))).toHaveLength(5);
    expect(await gw.stop('SIGTERM')).toBe(0);
    gw = await startProcess(db);
    expect(await scrapePushed(gw.url)).toEqual(before);
  });

  it('keeps every acknowledged push after kill -9 right after the acknowledgement', async () => {
    gw = await startProcess(db);
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) {
      if ((await put(gw.url, `/metrics/job/crash/i/${i}`, BODY(i))) === 200) {
        acked.push(i);
      }
    }
    await gw.stop('SIGKILL');
    gw = await startProcess(db);
    const lines = await scrapePushed(gw.url);
    for (const i of acked) {
      expect(lines).toContain(`dur_gauge{i="${i}",instance="",job="crash",k="${i}"} ${i}.5`);
    }
    expect(acked).toHaveLength(20);
  });

  it('keeps every acknowledged push of 24 concurrent pushers (group commit) after kill -9 in the middle of the load', async () => {
    gw = await startProcess(db, { PUSH_BATCH_WINDOW_US: '2000' });
    const url = gw.url;
    const load = new PushLoad(
      'crash_batch',
      Array.from({ length: 24 }, (_, i) => ({ id: `c${i}`, target: () => url })),
      0,
    );
    load.start();
    await sleep(1500);
    await gw.stop('SIGKILL');
    await load.stop();
    gw = await startProcess(db);
    expect(lostPushes(load, await scrapedValues(gw.url, 'crash_batch'))).toEqual([]);
    expect(load.acknowledged()).toBeGreaterThan(48);
  });
});

describe('replicas sharing one PostgreSQL database', () => {
  const multi = serverUrl() !== undefined;
  const reason = 'needs a PostgreSQL server: the embedded engine serves one process only';
  let db: TestDatabase;
  let a: GatewayProcess | undefined;
  let b: GatewayProcess | undefined;

  beforeAll(async () => {
    if (!multi) {
      return;
    }
    db = await createTestDatabase();
    [a, b] = await Promise.all([startProcess(db), startProcess(db)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    if (multi) {
      await db.drop();
    }
  });

  itWhen(multi, reason)('a push acknowledged by one replica is in the next scrape of the other (100 rounds, 0 misses)', async () => {
    let misses = 0;
    for (let i = 0; i < 100; i++) {
      const [writer, reader] = i % 2 === 0 ? [a!, b!] : [b!, a!];
      expect(await put(writer.url, '/metrics/job/raw', `raw_value ${i}\n`, i % 3 === 0 ? 'POST' : 'PUT')).toBe(200);
      const lines = await scrapePushed(reader.url);
      if (!lines.includes(`raw_value{instance="",job="raw"} ${i}`)) {
        misses++;
      }
    }
    expect(misses).toBe(0);
  });

  itWhen(multi, reason)('a delete acknowledged by one replica is gone from the other', async () => {
    expect(await put(a!.url, '/metrics/job/del', 'del_me 1\n')).toBe(200);
    expect(await scrapePushed(b!.url)).toContain('del_me{instance="",job="del"} 1');
    expect(await put(b!.url, '/metrics/job/del', '', 'DELETE')).toBe(202);
    expect((await scrapePushed(a!.url)).filter((l) => l.includes('del'))).toEqual([]);
  });

  itWhen(multi, reason)('concurrent pushes of one name with different types through both replicas: exactly one type wins', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `race_${round}`;
      const pushes = Array.from({ length: 16 }, (_, i) => {
        const type = i % 2 === 0 ? 'gauge' : 'counter';
        const via = i % 4 < 2 ? a! : b!;
        return put(via.url, `/metrics/job/race/g/${i}`, `# TYPE ${name} ${type}\n${name} ${i}\n`).then((status) => ({ type, status }));
      });
      const results = await Promise.all(pushes);
      const accepted = results.filter((r) => r.status === 200);
      expect(results.every((r) => r.status === 200 || r.status === 400)).toBe(true);
      expect(accepted.length).toBeGreaterThanOrEqual(8);
      expect(new Set(accepted.map((r) => r.type)).size).toBe(1);
      const scrape = await (await fetch(`${a!.url}/metrics`)).text();
      expect(scrape.match(new RegExp(`^# TYPE ${name} `, 'gm'))).toHaveLength(1);
      expect(scrape).toContain(`# TYPE ${name} ${accepted[0].type}`);
    }
  });
});
