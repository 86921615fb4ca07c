import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { freePort, useAuthGateway } from '../support/gateway';
import { itWhen } from '../support/test-env';
import { pushedLines } from '../support/scrape';

/** Real clients with a token: prom-client (headers / auth options), Python prometheus_client (basic_auth_handler), Prometheus. */

const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import prometheus_client'], { stdio: 'ignore' }).status === 0);
const PROMETHEUS = ['/usr/bin/prometheus'].find((p) => existsSync(p));
const itPython = itWhen(PYTHON !== undefined, 'no python3 can import prometheus_client (Debian package python3-prometheus-client)');
const itPrometheus = itWhen(PROMETHEUS !== undefined, 'no Prometheus binary at /usr/bin/prometheus (Debian package prometheus)');

/** Runs a command without blocking the event loop (the in-process gateway must keep serving). */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** push_to_gateway / delete_from_gateway with the token as the BasicAuth password; prints the HTTP error code if any. */
const PY = `
import sys, urllib.error
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, delete_from_gateway
from prometheus_client.exposition import basic_auth_handler

url, token, action = sys.argv[1], sys.argv[2], sys.argv[3]

def handler(url, method, timeout, headers, data):
    return basic_auth_handler(url, method, timeout, headers, data, 'python-job', token)

r = CollectorRegistry()
Gauge('py_auth_gauge', 'Pushed by Python with a token.', registry=r).set(42)
try:
    if action == 'push':
        push_to_gateway(url, job='py', registry=r, grouping_key={'instance': 'py1'}, handler=handler)
    else:
        delete_from_gateway(url, job='py', grouping_key={'instance': 'py1'}, handler=handler)
    print('ok')
except urllib.error.HTTPError as e:
    print('http', e.code)
`;

describe('real clients with a token', () => {
  const gw = useAuthGateway();
  let operatorRead: string;
  let tenantPushRead: string;

  beforeAll(async () => {
    operatorRead = await gw.token({ scope: 'read' });
    tenantPushRead = await gw.token({ tenant: 'clients', scope: 'push read' });
  });

  const scrapeAs = async (token: string): Promise<string[]> => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return pushedLines(await res.text());
  };

  it('prom-client Pushgateway: Bearer token via the headers option, BasicAuth via the auth option, 401 without', async () => {
    const registry = new Registry();
    new Gauge({ name: 'js_auth_gauge', help: 'Pushed by prom-client with a token.', registers: [registry] }).set(7);
    const withHeader = new Pushgateway(gw.url, { headers: { Authorization: `Bearer ${tenantPushRead}` } }, registry);
    const pushed = await withHeader.pushAdd({ jobName: 'js', groupings: { instance: 'header' } });
    expect((pushed.resp as IncomingMessage).statusCode).toBe(200);
    const withBasic = new Pushgateway(gw.url, { auth: `any-user:${tenantPushRead}` }, registry);
    await withBasic.push({ jobName: 'js', groupings: { instance: 'basic' } });
    expect((await scrapeAs(tenantPushRead)).filter((l) => l.startsWith('js_auth_gauge'))).toEqual([
      'js_auth_gauge{instance="basic",job="js",tenant_userid="clients"} 7',
      'js_auth_gauge{instance="header",job="js",tenant_userid="clients"} 7',
    ]);
    const anonymous = new Pushgateway(gw.url, {}, registry);
    await expect(anonymous.pushAdd({ jobName: 'js' })).rejects.toThrow(/401/);
    await withHeader.delete({ jobName: 'js', groupings: { instance: 'header' } });
    expect((await scrapeAs(operatorRead)).filter((l) => l.startsWith('js_auth_gauge'))).toEqual([
      'js_auth_gauge{instance="basic",job="js",tenant_userid="clients"} 7',
    ]);
  });

  itPython('Python prometheus_client: basic_auth_handler with the token as password pushes and deletes; a read token gets 403', async () => {
    const push = await run(PYTHON!, ['-c', PY, gw.url, tenantPushRead, 'push']);
    expect([push.code, push.stdout.trim(), push.stderr]).toEqual([0, 'ok', '']);
    expect((await scrapeAs(tenantPushRead)).filter((l) => l.startsWith('py_auth_gauge'))).toEqual([
      'py_auth_gauge{instance="py1",job="py",tenant_userid="clients"} 42',
    ]);
    const refused = await run(PYTHON!, ['-c', PY, gw.url, operatorRead, 'push']);
    expect(refused.stdout.trim()).toBe('http 403');
    const wrong = await run(PYTHON!, ['-c', PY, gw.url, 'not-a-token', 'push']);
    expect(wrong.stdout.trim()).toBe('http 401');
    const del = await run(PYTHON!, ['-c', PY, gw.url, tenantPushRead, 'delete']);
    expect(del.stdout.trim()).toBe('ok');
    expect((await scrapeAs(operatorRead)).filter((l) => l.startsWith('py_auth_gauge'))).toEqual([]);
  });

  describe('Prometheus scraping the gateway', () => {
    let prom: ChildProcess | undefined;
    let dir: string;
    let promUrl: string;
    let promLog = '';

    afterAll(async () => {
      if (prom !== undefined && prom.exitCode === null) {
        const exited = new Promise((r) => prom!.once('exit', r));
        prom.kill('SIGTERM');
        await exited;
      }
      if (dir !== undefined) {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return body.status === 'success' ? body.data.result : [];
    };

    const until = async <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> => {
      const deadline = Date.now() + 45000;
      for (;;) {
        const value = await probe().catch(() => undefined);
        if (value !== undefined) {
          return value;
        }
        if (Date.now() > deadline || (prom !== undefined && prom.exitCode !== null)) {
          throw new Error(`Prometheus: ${what} not seen in time\n${promLog.slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    itPrometheus(
      'scrapes with a read token (authorization and basic_auth); a tenant token sees only its tenant; a bad token makes the target down',
      async () => {
        const otherTenant = await gw.token({ tenant: 'other', scope: 'push' });
        for (const [token, value] of [
          [tenantPushRead, 1],
          [otherTenant, 2],
        ] as const) {
          const res = await fetch(`${gw.url}/metrics/job/batch`, {
            method: 'PUT',
            headers: { Authorization: `Bearer ${token}` },
            body: `prom_auth_pushed ${value}\n`,
          });
          expect(res.status).toBe(200);
        }
        const tenantRead = await gw.token({ tenant: 'clients', scope: 'read' });
        dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-prom-'));
        const port = await freePort();
        promUrl = `http://127.0.0.1:${port}`;
        const target = new URL(gw.url).host;
        const config = {
          global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
          scrape_configs: [
            { job_name: 'pgw-bearer', honor_labels: true, authorization: { credentials: tenantRead }, static_configs: [{ targets: [target] }] },
            {
              job_name: 'pgw-basic',
              honor_labels: false,
              basic_auth: { username: 'prometheus', password: operatorRead },
              static_configs: [{ targets: [target] }],
            },
            { job_name: 'pgw-badtoken', authorization: { credentials: 'not-a-token' }, static_configs: [{ targets: [target] }] },
          ],
        };
        writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config));
        prom = spawn(
          PROMETHEUS!,
          [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        prom.stdout?.on('data', (d: Buffer) => (promLog += d.toString()));
        prom.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));

        const up = await until(async () => {
          const r = await query('up');
          return r.length === 3 ? Object.fromEntries(r.map((s) => [s.metric.job, s.value[1]])) : undefined;
        }, 'up for all three jobs');
        expect(up).toEqual({ 'pgw-bearer': '1', 'pgw-basic': '1', 'pgw-badtoken': '0' });

        const viaTenant = await until(async () => {
          const r = await query('prom_auth_pushed{job="batch"}');
          return r.length > 0 ? r : undefined;
        }, 'pushed series via the tenant token');
        expect(viaTenant.map((s) => [s.metric.tenant_userid, s.value[1]])).toEqual([['clients', '1']]);

        const viaOperator = await until(async () => {
          const r = await query('prom_auth_pushed{job="pgw-basic"}');
          return r.length === 2 ? r : undefined;
        }, 'pushed series of both tenants via the operator token');
        expect(viaOperator.map((s) => [s.metric.tenant_userid, s.value[1]]).sort()).toEqual([
          ['clients', '1'],
          ['other', '2'],
        ]);
        expect((await query('pushgateway_build_info{job="pgw-basic"}')).length).toBe(1);
        expect((await query('pushgateway_build_info{job="pgw-bearer"}')).length).toBe(0);
      },
      90000,
    );
  });
});
