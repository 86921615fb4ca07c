import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';
import { clusterUnsupported, createPrimary, createStandby, TestCluster } from '../support/pg-cluster';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { lostPushes, PushLoad, scrapedValues, sleep } from '../support/fault-load';

/**
 * Database faults under load (issue 9): server restarts (fast and immediate), terminated backends,
 * a network cut, a database that is down at start-up, SIGTERM and SIGKILL of a replica, failover to
 * a promoted synchronous standby, and a crash on the embedded engine. Every fault runs against a
 * throwaway PostgreSQL cluster of its own (the machine's server is never stopped), with pushers on
 * two replicas; afterwards every acknowledged push must be in both replicas' scrapes. The table of
 * figures is printed at the end.
 */
const UNAVAILABLE_MS = 2000;
/** What a loaded 2-core machine may add to an answer's time on top of DB_UNAVAILABLE_TIMEOUT. */
const SLACK_MS = 1500;

interface Row {
  fault: string;
  acknowledged: number;
  lost: number;
  during: string;
  slowestMs: number;
  recoveryMs: string;
}

const rows: Row[] = [];
const unsupported = clusterUnsupported();
const describeIf = unsupported === undefined ? describe : describe.skip;
if (unsupported !== undefined) {
  process.stdout.write(`\nskipping the database fault suite: ${unsupported}\n`);
}

function dbAt(url: string | undefined): TestDatabase {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pgw-fault-'));
  return { url, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

afterAll(() => {
  if (rows.length > 0) {
    process.stdout.write(`\n${formatTable(rows)}\n`);
  }
});

const ENV = { DB_UNAVAILABLE_TIMEOUT: `${UNAVAILABLE_MS}ms`, DB_POOL_SIZE: '4', LOG_LEVEL: 'error' };

describeIf('database faults', () => {
  jest.setTimeout(180_000);
  let cluster: TestCluster;
  let proxy: TcpProxy;
  let db: TestDatabase;
  const replicas: GatewayProcess[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    cluster = await createPrimary(await freePort());
    proxy = await startTcpProxy(cluster.port);
    db = dbAt(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    for (let i = 0; i < 2; i++) {
      ports.push(await freePort());
      replicas.push(await startProcess(db, ENV, ports[i]));
    }
  });

  afterAll(async () => {
    for (const r of replicas) {
      await r.stop('SIGKILL');
    }
    await proxy?.close();
    await cluster?.destroy();
    await db?.drop();
  });

  /** Pushers on both replicas (3 each), the fault, 6 s to recover, then the checks. */
  async function underLoad(fault: string, inject: () => Promise<{ downMs: number; upMs: number }>): Promise<void> {
    const load = new PushLoad(
      fault.replace(/\W+/g, '_'),
      ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((id) => ({ id, target: () => replicas[id.startsWith('a') ? 0 : 1].url })),
    );
    load.start();
    await sleep(1500);
    const { downMs, upMs } = await inject();
    await sleep(6000);
    await load.stop();
    for (const r of replicas) {
      expect({ exit: r.proc.exitCode, signal: r.proc.signalCode }).toEqual({ exit: null, signal: null });
    }
    const lost = [];
    for (const r of replicas) {
      lost.push(...lostPushes(load, await scrapedValues(r.url, fault.replace(/\W+/g, '_'))));
    }
    const during = load.during(downMs, upMs);
    const recovery = load.recovery(upMs);
    rows.push({
      fault,
      acknowledged: load.acknowledged(),
      lost: lost.length,
      during: JSON.stringify(during.byStatus),
      slowestMs: during.slowestMs,
      recoveryMs: replicas.map((r) => recovery.get(r.url) ?? 'none').join(' / '),
    });
    expect(lost).toEqual([]);
    expect(Object.keys(during.byStatus).filter((s) => s !== '200' && s !== '503')).toEqual([]);
    expect(during.slowestMs).toBeLessThanOrEqual(UNAVAILABLE_MS + SLACK_MS);
    for (const r of replicas) {
      expect(recovery.get(r.url)).toBeLessThanOrEqual(5000);
    }
    expect(load.acknowledged()).toBeGreaterThan(50);
  }

  async function restart(mode: 'fast' | 'immediate'): Promise<{ downMs: number; upMs: number }> {
    const downMs = Date.now();
    await cluster.stop(mode);
    for (const r of replicas) {
      expect((await fetch(`${r.url}/-/ready`)).status).toBe(503);
      expect((await fetch(`${r.url}/-/healthy`)).status).toBe(200);
      const scrape = await fetch(`${r.url}/metrics`);
      expect(scrape.status).toBe(503);
      expect(await scrape.text()).toMatch(/^database unavailable: .+\n$/);
    }
    await sleep(4000);
    await cluster.start();
    return { downMs, upMs: Date.now() };
  }

  it('survives a fast restart of the server', () => underLoad('restart -m fast', () => restart('fast')));

  it('survives an immediate shutdown (crash) of the server', () => underLoad('restart -m immediate', () => restart('immediate')));

  it('survives every gateway backend being terminated, three times over', () =>
    underLoad('pg_terminate_backend x3', async () => {
      const downMs = Date.now();
      for (let i = 0; i < 3; i++) {
        const killed = await cluster.sql<{ pid: number }>(
          `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = 'durable-pushgateway'`,
        );
        expect(killed.length).toBeGreaterThan(0);
        await sleep(700);
      }
      return { downMs, upMs: Date.now() };
    }));

  it('answers 503 within DB_UNAVAILABLE_TIMEOUT during a network cut, and recovers', () =>
    underLoad('network cut 4 s', async () => {
      const downMs = Date.now();
      proxy.cut();
      await sleep(1000);
      for (const r of replicas) {
        const started = Date.now();
        const res = await fetch(`${r.url}/-/ready`);
        expect(res.status).toBe(503);
        expect(Date.now() - started).toBeLessThanOrEqual(UNAVAILABLE_MS + SLACK_MS);
      }
      await sleep(3000);
      proxy.restore();
      return { downMs, upMs: Date.now() };
    }));

  it('starts while the database is down, answers 503, and serves once it is up', async () => {
    await cluster.stop('fast');
    const late = await startProcess(db, ENV, 0, 'healthy');
    try {
      expect((await fetch(`${late.url}/-/ready`)).status).toBe(503);
      const started = Date.now();
      const push = await fetch(`${late.url}/metrics/job/late`, { method: 'PUT', body: 'late_m 1\n' });
      expect(push.status).toBe(503);
      expect(Date.now() - started).toBeLessThanOrEqual(UNAVAILABLE_MS + SLACK_MS);
      await cluster.start();
      const upMs = Date.now();
      let recoveredMs: number | undefined;
      while (Date.now() - upMs < 15_000) {
        const res = await fetch(`${late.url}/metrics/job/late`, { method: 'PUT', body: 'late_m 2\n' });
        if (res.status === 200) {
          recoveredMs = Date.now() - upMs;
          break;
        }
        await sleep(100);
      }
      rows.push({ fault: 'down at start-up', acknowledged: 1, lost: 0, during: '{"503":1}', slowestMs: 0, recoveryMs: String(recoveredMs) });
      expect(recoveredMs).toBeLessThanOrEqual(5000);
      expect(late.proc.exitCode).toBeNull();
    } finally {
      await late.stop('SIGKILL');
    }
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)('loses no acknowledged push when a replica gets %s under load', async (signal) => {
    const job = `replica_${signal}`;
    const load = new PushLoad(
      job,
      ['a1', 'a2', 'a3', 'b1'].map((id) => ({ id, target: () => replicas[id.startsWith('a') ? 0 : 1].url })),
    );
    load.start();
    await sleep(1500);
    const stoppedMs = Date.now();
    const code = await replicas[0].stop(signal);
    const exitMs = Date.now() - stoppedMs;
    await sleep(500);
    await load.stop();
    const lost = lostPushes(load, await scrapedValues(replicas[1].url, job));
    const during = load.during(stoppedMs, stoppedMs + exitMs);
    rows.push({
      fault: `replica ${signal}`,
      acknowledged: load.acknowledged(),
      lost: lost.length,
      during: JSON.stringify(during.byStatus),
      slowestMs: during.slowestMs,
      recoveryMs: `exit after ${exitMs}`,
    });
    expect(lost).toEqual([]);
    if (signal === 'SIGTERM') {
      expect(code).toBe(0);
      expect(exitMs).toBeLessThanOrEqual(10_000);
      // Whatever was in flight was answered (200 committed, or 503), not cut off.
      expect(Object.keys(during.byStatus).filter((s) => !['200', '503', '0'].includes(s))).toEqual([]);
    }
    replicas[0] = await startProcess(db, ENV, ports[0]);
  });
});

describeIf('failover to a promoted synchronous standby', () => {
  jest.setTimeout(180_000);
  let primary: TestCluster | undefined;
  let standby: TestCluster | undefined;
  let gateway: GatewayProcess | undefined;
  let db: TestDatabase | undefined;

  afterAll(async () => {
    if (process.env.PGW_TEST_VERBOSE === '1') {
      process.stdout.write(gateway?.output() ?? '');
    }
    await gateway?.stop('SIGKILL');
    await standby?.destroy();
    await primary?.destroy();
    await db?.drop();
  });

  it('follows the promoted standby within 10 s and loses no acknowledged push', async () => {
    primary = await createPrimary(await freePort(), { synchronous: true });
    standby = await createStandby(primary, await freePort());
    // Commits wait for the standby from here on.
    const deadline = Date.now() + 30_000;
    while ((await primary.sql<{ s: string }>(`SELECT sync_state AS s FROM pg_stat_replication`))[0]?.s !== 'sync') {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
    db = dbAt(`postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`);
    gateway = await startProcess(db, { ...ENV, LOG_LEVEL: 'warn' });
    const url = gateway.url;
    const load = new PushLoad(
      'failover',
      ['f1', 'f2', 'f3', 'f4'].map((id) => ({ id, target: () => url })),
    );
    load.start();
    await sleep(2000);
    const downMs = Date.now();
    await primary.stop('immediate');
    await standby.promote();
    const upMs = Date.now();
    await sleep(10_000);
    await load.stop();
    const lost = lostPushes(load, await scrapedValues(url, 'failover'));
    const during = load.during(downMs, upMs);
    const recovered = load.recovery(upMs).get(url);
    rows.push({
      fault: 'failover (sync standby)',
      acknowledged: load.acknowledged(),
      lost: lost.length,
      during: JSON.stringify(during.byStatus),
      slowestMs: during.slowestMs,
      recoveryMs: String(recovered ?? 'none'),
    });
    expect(gateway.proc.exitCode).toBeNull();
    expect(lost).toEqual([]);
    expect(recovered).toBeLessThanOrEqual(10_000);
    expect((await fetch(`${url}/-/ready`)).status).toBe(200);
  });
});

describe('embedded engine faults', () => {
  jest.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pgw-embedded-fault-'));
  const embedded: TestDatabase = { url: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  let gateway: GatewayProcess | undefined;

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await embedded.drop();
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    gateway = await startProcess(embedded, { LOG_LEVEL: 'error' });
    const second = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/src/main.js')], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(second.status).not.toBe(0);
    expect(second.stderr).toContain(`DATA_DIR ${dataDir} is in use by another gateway (pid ${gateway.proc.pid})`);
    expect((await fetch(`${gateway.url}/-/ready`)).status).toBe(200);
  });

  it('loses no acknowledged push on kill -9 under load', async () => {
    gateway ??= await startProcess(embedded, { LOG_LEVEL: 'error' });
    const url = gateway.url;
    const load = new PushLoad(
      'embedded_kill',
      ['e1', 'e2', 'e3'].map((id) => ({ id, target: () => url })),
    );
    load.start();
    await sleep(2000);
    await gateway.stop('SIGKILL');
    await load.stop();
    gateway = await startProcess(embedded, { LOG_LEVEL: 'error' });
    const lost = lostPushes(load, await scrapedValues(gateway.url, 'embedded_kill'));
    rows.push({ fault: 'embedded kill -9', acknowledged: load.acknowledged(), lost: lost.length, during: '-', slowestMs: 0, recoveryMs: 'restart' });
    expect(load.acknowledged()).toBeGreaterThan(10);
    expect(lost).toEqual([]);
  });
});

function formatTable(table: Row[]): string {
  const head = ['fault', 'acknowledged', 'lost', 'answers during the fault', 'slowest ms', 'recovery ms (per replica)'];
  const lines = table.map((r) => [r.fault, String(r.acknowledged), String(r.lost), r.during, String(r.slowestMs), r.recoveryMs]);
  return [head, ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
