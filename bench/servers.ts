import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { request, Target } from './load';

const ROOT = path.resolve(__dirname, '../..');

/** Every child the bench started, stopped on exit whatever happens. */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
}

/**
 * Runs a benchmark script's `main`: every child server is killed when the process exits, and a
 * failure prints its stack and exits 1.
 */
export function runBenchMain(main: () => Promise<void>): void {
  process.on('exit', killAllChildren);
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAllChildren();
    process.exit(1);
  });
}

/** A started server process with its log. */
export interface Server extends Target {
  proc: ChildProcess;
  output(): string;
  /** Stops the process: SIGTERM (or the given request first), SIGKILL after graceMs (10 s). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Asks a `--require`d hook in the server (memory-hook.ts, latency-hook.ts) for its report: removes
 * the old report, sends SIGHUP, waits up to 10 s for the hook to write `outFile`, and reads it.
 */
export async function askHook(server: Server, outFile: string): Promise<string> {
  rmSync(outFile, { force: true });
  process.kill(server.pid(), 'SIGHUP');
  for (let i = 0; i < 100 && !existsSync(outFile); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  // The file exists once the hook opened it; give its synchronous write time to finish.
  await new Promise((r) => setTimeout(r, 100));
  return readFileSync(outFile, 'utf8');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  readyPath: string;
  helperPids?: () => Promise<number[]>;
  /** How to ask for a clean exit (e.g. to flush a CPU profile); default SIGTERM. */
  gracefulStop?: (server: Server) => Promise<void>;
}

export async function startServer(spec: SpawnSpec): Promise<Server> {
  let log = '';
  const proc = spawn(spec.command, spec.args, { cwd: ROOT, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const append = (d: Buffer): void => {
    log += d.toString();
    if (log.length > 200_000) {
      log = log.slice(-100_000);
    }
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  proc.once('exit', () => children.delete(proc));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server: Server = {
    name: spec.name,
    host: '127.0.0.1',
    port: spec.port,
    agent,
    proc,
    pid: () => proc.pid as number,
    helperPids: spec.helperPids ?? (async () => []),
    output: () => log,
    stop: async (graceMs = 10_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        return;
      }
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      if (spec.gracefulStop !== undefined) {
        await spec.gracefulStop(server).catch(() => proc.kill('SIGTERM'));
      } else {
        proc.kill('SIGTERM');
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      agent.destroy();
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`${spec.name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${log}`);
    }
    try {
      const reply = await request(server, 'GET', spec.readyPath);
      if (reply.status === 200) {
        return server;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${spec.name} not ready after 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface UpstreamOptions {
  bin: string;
  name?: string;
  /** Load (and on shutdown write) this file; '' keeps the store in memory only. */
  persistenceFile?: string;
  disableConsistencyCheck?: boolean;
}

/** The upstream Pushgateway, memory only unless a persistence file is given. */
export async function startUpstream(options: UpstreamOptions): Promise<Server> {
  const port = await freePort();
  const args = [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${options.persistenceFile ?? ''}`, '--log.level=warn'];
  if (options.persistenceFile) {
    // Written only on shutdown: no periodic persistence during the measurements.
    args.push('--persistence.interval=1000h');
  }
  if (options.disableConsistencyCheck) {
    args.push('--push.disable-consistency-check');
  }
  return startServer({
    name: options.name ?? 'upstream',
    command: options.bin,
    args,
    env: { PATH: process.env.PATH, ...(process.env.GOMAXPROCS === undefined ? {} : { GOMAXPROCS: process.env.GOMAXPROCS }) },
    port,
    readyPath: '/-/ready',
  });
}

export function upstreamVersion(bin: string): string {
  try {
    // Go's kingpin prints the version on stderr.
    const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    return `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n')[0].trim() || 'unknown';
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

/**
 * Copies the built gateway (dist/src, dist/migrations, proto/, package.json; node_modules linked)
 * into dir, so every gateway process of a run executes the same build even when dist/ is rebuilt
 * meanwhile (tsc writes `require("src/...")` before tsc-alias rewrites it). Retries while the copy
 * looks half-built. Returns the entry point.
 */
export async function snapshotBuild(dir: string, root = ROOT): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    mkdirSync(dir, { recursive: true });
    for (const part of ['dist/src', 'dist/migrations', 'proto', 'package.json']) {
      if (existsSync(path.join(root, part))) {
        cpSync(path.join(root, part), path.join(dir, part), { recursive: true, force: true });
      }
    }
    if (!existsSync(path.join(dir, 'node_modules'))) {
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    }
    const entry = path.join(dir, 'dist/src/main.js');
    const unaliased = findUnaliased(path.join(dir, 'dist'));
    if (existsSync(entry) && unaliased === undefined) {
      return entry;
    }
    if (attempt >= 30) {
      throw new Error(`dist/ looks half-built (${unaliased ?? 'no dist/src/main.js'}); run npm run build`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function findUnaliased(dir: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findUnaliased(full);
      if (found !== undefined) {
        return found;
      }
    } else if (entry.name.endsWith('.js') && /require\("src\//.test(readFileSync(full, 'utf8'))) {
      return full;
    }
  }
  return undefined;
}

export interface OursOptions {
  name: string;
  /** Entry point from snapshotBuild. */
  entry: string;
  /** postgres:// URL, or undefined for the embedded engine under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** node --cpu-prof into this directory. */
  cpuProfDir?: string;
  /** More node options (e.g. --heapsnapshot-signal), before the entry point. */
  nodeArgs?: string[];
  /** Lists this gateway's PostgreSQL backends (undefined for the embedded engine). */
  backendPids?: () => Promise<number[]>;
  /** More settings (environment variables) for the gateway. */
  env?: Record<string, string>;
}

/** Our gateway as its own `node dist/src/main.js` process. */
export async function startOurs(options: OursOptions): Promise<Server> {
  const port = await freePort();
  const nodeArgs = [...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]), ...(options.nodeArgs ?? [])];
  return startServer({
    name: options.name,
    command: process.execPath,
    args: [...nodeArgs, options.entry],
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
      LOG_LEVEL: 'warn',
      // The profile is written only on a clean exit, which /-/quit gives.
      ...(options.cpuProfDir === undefined ? {} : { LIFECYCLE_API_ENABLED: 'true' }),
      ...options.env,
    },
    port,
    readyPath: '/-/ready',
    helperPids: options.backendPids,
    gracefulStop: options.cpuProfDir === undefined ? undefined : async (s) => void (await request(s, 'PUT', '/-/quit')),
  });
}

/** A database on the PostgreSQL server, created for this run and dropped at its end. */
export class BenchDatabase {
  private admin: Client | undefined;

  constructor(
    readonly serverUrl: string,
    readonly name: string,
  ) {}

  /** URL of the bench database itself. */
  get url(): string {
    const u = new URL(this.serverUrl);
    u.pathname = `/${this.name}`;
    return u.toString();
  }

  async create(): Promise<void> {
    await adminQuery(this.serverUrl, `CREATE DATABASE ${this.name}`);
    this.admin = new Client({ connectionString: this.url, application_name: 'pgw-bench-admin' });
    await this.admin.connect();
  }

  /** PIDs of the backends serving our gateways (not this admin connection). */
  async backendPids(): Promise<number[]> {
    if (this.admin === undefined) {
      return [];
    }
    const { rows } = await this.admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'durable-pushgateway'`,
      [this.name],
    );
    return rows.map((r) => r.pid);
  }

  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.admin === undefined) {
      throw new Error('bench database not created');
    }
    return (await this.admin.query<T>(sql, params)).rows;
  }

  async drop(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
    await adminQuery(this.serverUrl, `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  async close(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
  }
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl, application_name: 'pgw-bench-admin' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
