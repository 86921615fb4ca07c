import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { createTestDatabase, GatewayProcess, startInProcess, startProcess } from '../support/gateway';
import { adminQuery, itWhen, serverUrl } from '../support/test-env';
import { pushedLines } from '../support/scrape';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

describe('operations: readiness, lifecycle, migrations CLI, embedded default', () => {
  jest.setTimeout(240000);
  const server = serverUrl();

  itWhen(server !== undefined, 'needs a PostgreSQL server to take away')(
    'answers /-/ready 503 (and pushes 503) while the database is unreachable, /-/healthy 200',
    async () => {
      const db = await createTestDatabase();
      const gw = await startInProcess(db);
      try {
        expect((await fetch(`${gw.url}/-/ready`)).status).toBe(200);
        const name = new URL(db.url!).pathname.slice(1);
        await adminQuery(server!, `DROP DATABASE ${name} WITH (FORCE)`);
        const ready = await fetch(`${gw.url}/-/ready`);
        expect(ready.status).toBe(503);
        expect(await ready.text()).toMatch(/^database unavailable: database "pgw_test_\w+" does not exist$/);
        expect((await fetch(`${gw.url}/-/healthy`)).status).toBe(200);
        const push = await fetch(`${gw.url}/metrics/job/down`, { method: 'PUT', body: 'x 1\n' });
        expect(push.status).toBe(503);
        expect(await push.text()).toMatch(/^database unavailable: database "pgw_test_\w+" does not exist\n$/);
      } finally {
        await gw.close();
        await db.drop();
      }
    },
  );

  it('exits gracefully on PUT /-/quit when LIFECYCLE_API_ENABLED=true', async () => {
    const db = await createTestDatabase();
    let gw: GatewayProcess | undefined;
    try {
      gw = await startProcess(db, { LIFECYCLE_API_ENABLED: 'true' });
      const exited = new Promise<number | null>((resolve) => gw!.proc.once('exit', (code) => resolve(code)));
      const res = await fetch(`${gw.url}/-/quit`, { method: 'PUT' });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Requesting termination... Goodbye!');
      expect(await exited).toBe(0);
    } finally {
      await gw?.stop('SIGKILL');
      await db.drop();
    }
  });

  itWhen(server !== undefined, 'needs a PostgreSQL server for an empty database')('npm run migration:show|run|revert work on an empty database', async () => {
    const db = await createTestDatabase();
    const name = `pgw_mig_${Date.now()}`;
    await adminQuery(server!, `CREATE DATABASE ${name}`);
    const url = new URL(server!);
    url.pathname = `/${name}`;
    const env = { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'error' };
    const cli = (cmd: string) => run(process.execPath, [path.join(ROOT, 'dist/src/cli/migrate.js'), cmd], { env, cwd: ROOT });
    try {
      expect((await cli('show')).stdout).toMatch(/^\[ \] CreateMetricStore1767225600000$/m);
      expect((await cli('run')).stdout).toMatch(/applied CreateMetricStore1767225600000/);
      expect((await cli('show')).stdout).not.toMatch(/^\[ \]/m);
      await cli('revert');
      const after = (await cli('show')).stdout.trim().split('\n');
      expect(after.at(-1)).toMatch(/^\[ \] /);
      expect(after.filter((l) => l.startsWith('[X]'))).toHaveLength(after.length - 1);
    } finally {
      await adminQuery(server!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await db.drop();
    }
  });

  it('runs on the embedded engine without DATABASE_URL and keeps data across a restart', async () => {
    const db = await createTestDatabase();
    const embedded = { ...db, url: undefined };
    let gw: GatewayProcess | undefined;
    try {
      gw = await startProcess(embedded);
      expect((await fetch(`${gw.url}/metrics/job/emb`, { method: 'PUT', body: '# HELP emb_metric 嵌入式\nemb_metric 42\n' })).status).toBe(200);
      expect(await gw.stop('SIGTERM')).toBe(0);
      gw = await startProcess(embedded);
      const lines = pushedLines(await (await fetch(`${gw.url}/metrics`)).text());
      expect(lines).toEqual(expect.arrayContaining(['# HELP emb_metric 嵌入式', 'emb_metric{instance="",job="emb"} 42']));
      // Each new connection's reset runs before the pool lends it, never beside a query.
      expect(gw.output()).not.toContain('DeprecationWarning');
    } finally {
      await gw?.stop('SIGKILL');
      await db.drop();
    }
  });
});
