import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { AppConfig, loadConfig } from '../../src/config/env.schema';
import { adminQuery, serverUrl, templateName, withDatabase } from './test-env';
import { AuthKeys, hsToken, makeAuthKeys, TokenSpec } from '../integration/auth-support';

/** A fresh database for one spec file: a copy of the migrated template, or an empty embedded data dir. */
export interface TestDatabase {
  /** postgres:// URL, undefined on the embedded engine. */
  url?: string;
  /** Data dir for the embedded engine (also used as scratch space). */
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pgw-test-'));
  const server = serverUrl();
  if (server === undefined) {
    return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `pgw_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE ${name} TEMPLATE ${templateName()}`);
  return {
    url: withDatabase(server, name),
    dataDir,
    drop: async () => {
      await adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Settings for a test gateway on a test database; env-style overrides as operators would set them. */
export function testConfig(db: TestDatabase, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: db.dataDir,
    ...(db.url === undefined ? {} : { DATABASE_URL: db.url }),
    LOG_LEVEL: 'error',
    ...env,
  });
}

/** An in-process gateway listening on a random loopback port. */
export interface InProcessGateway {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

export async function startInProcess(db: TestDatabase, env: Record<string, string> = {}): Promise<InProcessGateway> {
  const app = await createApp(testConfig(db, env));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** A gateway running as its own `node dist/src/main.js` process (restart, kill -9, replica tests). */
export interface GatewayProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = path.resolve(__dirname, '../..');

/** Starts `node dist/src/main.js`; resolves once `/-/<waitFor>` answers 200 (default ready: the database answers too). */
export async function startProcess(
  db: TestDatabase,
  env: Record<string, string> = {},
  port = 0,
  waitFor: 'ready' | 'healthy' = 'ready',
): Promise<GatewayProcess> {
  const chosen = port === 0 ? await freePort() : port;
  let log = '';
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(chosen),
      DATA_DIR: db.dataDir,
      ...(db.url === undefined ? {} : { DATABASE_URL: db.url }),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${chosen}`;
  await waitReady(url, proc, () => log, waitFor);
  return {
    url,
    proc,
    output: () => log,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          resolve(proc.exitCode);
          return;
        }
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}

async function waitReady(url: string, proc: ChildProcess, log: () => string, waitFor: 'ready' | 'healthy'): Promise<void> {
  // The embedded engine starts in seconds, but a loaded 2-core CI machine can take much longer.
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`gateway exited with ${proc.exitCode}:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/-/${waitFor}`);
      if (res.status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`gateway at ${url} not ready after 90s:\n${log()}`);
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A gateway started by useGateway; its fields are readable once the suite's beforeAll has run. */
export interface GatewayHandle {
  readonly url: string;
  readonly db: TestDatabase;
  readonly app: NestFastifyApplication;
}

/**
 * Registers a beforeAll that starts an in-process gateway on a fresh test database and an
 * afterAll that stops it and drops the database; tests read `handle.url`.
 */
export function useGateway(env: Record<string, string> = {}): GatewayHandle {
  return useStartedGateway(async () => env);
}

/** A gateway started by useAuthGateway: auth on, with the keys of makeAuthKeys. */
export interface AuthGatewayHandle extends GatewayHandle {
  readonly keys: AuthKeys;
  /** A token signed with the gateway's HS256 secret, e.g. `token({ tenant: 'acme', scope: 'push read' })`. */
  token(spec: TokenSpec): Promise<string>;
}

/**
 * useGateway with auth enabled: fresh keys (HS secret, JWKS and PEM files in the test database's
 * data dir, removed with it), their settings merged under `env`.
 */
export function useAuthGateway(env: Record<string, string> = {}): AuthGatewayHandle {
  let keys: AuthKeys | undefined;
  const gateway = useStartedGateway(async (db) => {
    keys = await makeAuthKeys(db.dataDir);
    return { ...keys.env, ...env };
  });
  const made = (): AuthKeys => started(keys);
  return {
    get url() {
      return gateway.url;
    },
    get db() {
      return gateway.db;
    },
    get app() {
      return gateway.app;
    },
    get keys() {
      return made();
    },
    token: (spec) => hsToken(made().secret, spec),
  };
}

/** The hooks of useGateway; `envOf` runs in beforeAll once the database exists. */
function useStartedGateway(envOf: (db: TestDatabase) => Promise<Record<string, string>>): GatewayHandle {
  let db: TestDatabase | undefined;
  let gw: InProcessGateway | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startInProcess(db, await envOf(db));
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });
  return {
    get url() {
      return started(gw).url;
    },
    get db() {
      return started(db);
    },
    get app() {
      return started(gw).app;
    },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new Error('gateway not started yet: read it inside a test or hook');
  }
  return value;
}
