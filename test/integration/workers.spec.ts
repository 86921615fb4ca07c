import { readFileSync } from 'node:fs';
import { createTestDatabase, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';
import { itWhen, serverUrl } from '../support/test-env';
import { sleep } from '../support/fault-load';

/** PIDs of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

/** WORKERS=N (issue 14): N gateway processes behind one port, replicas of each other on one database. */
describe('WORKERS=2', () => {
  jest.setTimeout(120_000);
  const multi = serverUrl() !== undefined;
  const reason = 'needs a PostgreSQL server: the embedded engine serves one process only';
  let db: TestDatabase;
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    if (multi) {
      db = await createTestDatabase();
    }
  });
  afterAll(async () => {
    await gw?.stop('SIGKILL');
    for (const pid of gw?.proc.pid === undefined ? [] : childrenOf(gw.proc.pid)) {
      process.kill(pid, 'SIGKILL');
    }
    if (multi) {
      await db.drop();
    }
  });

  itWhen(multi, reason)('serves one port from two processes, replaces a worker that dies, and drains all on SIGTERM', async () => {
    gw = await startProcess(db, { WORKERS: '2' });
    const primary = gw.proc.pid as number;
    const workers = await waitFor('two workers', () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined));
    // Pushes over many connections land on both workers; every one is in the next scrape of either.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fetch(`${gw?.url}/metrics/job/workers/i/${i}`, { method: 'PUT', body: `w_value ${i}\n` }).then((r) => r.status)),
    );
    expect(answers).toEqual(answers.map(() => 200));
    for (let k = 0; k < 4; k++) {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      expect(text.split('\n').filter((l) => l.startsWith('w_value{'))).toHaveLength(40);
    }
    process.kill(workers[0], 'SIGKILL');
    const replaced = await waitFor('a replacement worker', () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(workers[0]) ? now : undefined;
    });
    expect(replaced).toContain(workers[1]);
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${gw.url}/metrics/job/workers/i/after${i}`, { method: 'PUT', body: 'w_after 1\n' })).status).toBe(200);
    }
    const started = Date.now();
    expect(await gw.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const pid of replaced) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
    gw = undefined;
  });
});
