import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL server of its own (initdb into a temporary directory, its own port), for
 * tests that stop, crash, fail over or cut the database: the machine's shared server is never
 * touched. Created with Debian's PostgreSQL binaries; as root they run as the `postgres` user.
 */
export interface TestCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres:// URL of its `postgres` database on 127.0.0.1. */
  readonly url: string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Promotes a standby to primary and waits until it takes writes. */
  promote(): Promise<void>;
  /** Runs SQL as the superuser (a fresh connection). */
  sql<T = Record<string, unknown>>(text: string): Promise<T[]>;
  destroy(): Promise<void>;
}

/** Why clusters cannot be made here, or undefined when they can. */
export function clusterUnsupported(): string | undefined {
  if (binDir() === undefined) {
    return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  }
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser')) {
    return 'running as root without runuser to drop to the postgres user';
  }
  return undefined;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) {
    return undefined;
  }
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? undefined : path.join(root, versions[0], 'bin');
}

async function pgTool(tool: string, args: string[]): Promise<string> {
  const bin = path.join(binDir() ?? '', tool);
  const asRoot = process.getuid?.() === 0;
  const { stdout } = await run(asRoot ? '/usr/sbin/runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, { timeout: 60_000 });
  return stdout;
}

function ownedDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  return dir;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined) {
    throw new Error('no postgres user');
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Settings common to primaries and standbys: loopback only, durable commits, replication on. */
function baseConfig(port: number, dir: string): string {
  return [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    'fsync = on',
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    'max_connections = 60',
    'shared_buffers = 16MB',
    `log_min_messages = warning`,
    '',
  ].join('\n');
}

class Cluster implements TestCluster {
  readonly url: string;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  async start(): Promise<void> {
    await pgTool('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', 'start']);
  }

  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await pgTool('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async promote(): Promise<void> {
    await pgTool('pg_ctl', ['-D', this.data, '-w', '-t', '60', 'promote']);
  }

  async sql<T>(text: string): Promise<T[]> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Creates and starts a primary on `port`; `synchronous` makes every commit wait for a standby. */
export async function createPrimary(port: number, options: { synchronous?: boolean } = {}): Promise<TestCluster> {
  const dir = ownedDir('pgw-cluster-');
  const cluster = new Cluster(port, dir);
  await pgTool('initdb', ['-D', cluster.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  appendFileSync(
    path.join(cluster.data, 'postgresql.conf'),
    baseConfig(port, dir) + (options.synchronous === true ? "synchronous_standby_names = '*'\nsynchronous_commit = on\n" : ''),
  );
  appendFileSync(path.join(cluster.data, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
  await cluster.start();
  return cluster;
}

/** Creates and starts a streaming standby of `primary` on `port` (pg_basebackup -R). */
export async function createStandby(primary: TestCluster, port: number): Promise<TestCluster> {
  const dir = ownedDir('pgw-standby-');
  const cluster = new Cluster(port, dir);
  await pgTool('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', cluster.data, '-R', '-X', 'stream', '--no-sync']);
  // The base backup copied the primary's synchronous_standby_names: once promoted, this server has
  // no standby of its own and every commit would wait for one forever (an HA manager such as
  // pg_auto_failover relaxes this itself when the other node is gone).
  appendFileSync(path.join(cluster.data, 'postgresql.conf'), `${baseConfig(port, dir)}synchronous_standby_names = ''\n`);
  await cluster.start();
  return cluster;
}
