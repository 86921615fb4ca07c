import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Client, ClientConfig, Pool, PoolClient, QueryResultRow } from 'pg';
// Relative imports: jest's globalSetup loads this file without the src/ path mapping.
import { ConnectionTarget, parseConnectionUrl } from './connection-url';
import { asUnavailable, DatabaseUnavailableError, sqlStateOf } from './database-errors';
import { EmbeddedEngine, startEmbedded } from './embedded-engine';
import { MIGRATIONS, openMigrationSource } from './migration-source';
import { runMigrationsInWorker, WORKER_AVAILABLE } from './migration-worker';

export { MIGRATIONS };

export interface DatabaseOptions {
  /** postgres:// URL (libpq multi-host form allowed); undefined selects the embedded engine under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
  /** How long a caller waits for the database to answer at all before DatabaseUnavailableError (ms). */
  unavailableTimeoutMs?: number;
  /**
   * Apply pending migrations. While the server cannot be reached they are retried in the
   * background and every statement answers DatabaseUnavailableError until they are applied.
   */
  migrate?: boolean;
}

/** Statements on one connection: a transaction's or a session's. */
export interface Executor {
  /** Runs one statement and returns its rows. */
  query<T extends QueryResultRow = QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs one statement as a named prepared statement, so PostgreSQL parses and plans it once per
   * connection (hot statements only: the name must always denote the same text).
   */
  named<T extends QueryResultRow = QueryResultRow>(name: string, sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Runs one statement and returns how many rows it affected. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What readiness reports. */
export interface DatabaseStatus {
  available: boolean;
  /** One line: why not, when not available. */
  reason?: string;
}

/**
 * The one way into the database (a PostgreSQL server, or the embedded engine): statements on any
 * pooled connection, transactions and sessions. Every failure to reach the database, however it
 * shows (refused, cut, terminated, timed out, a standby after failover), surfaces as
 * DatabaseUnavailableError within about `unavailableTimeoutMs`; SQL errors surface as `pg`'s
 * DatabaseError. No fault of the database ends the process: every connection has an error handler,
 * and broken connections are dropped instead of going back to the pool.
 */
export interface Database extends Executor {
  /** 'postgres' for a server, 'embedded' for PGlite. */
  readonly kind: 'postgres' | 'embedded';
  /**
   * Runs fn in a READ COMMITTED transaction on one connection and commits; rolls back when fn
   * throws. Retried from the start (fn runs again) on deadlock or serialization failure.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Runs fn with one connection (autocommit) for session state such as advisory locks or VACUUM. */
  session<T>(fn: (session: Executor) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial statement. */
  ping(): Promise<void>;
  /** Whether the last contact with the database succeeded. */
  status(): DatabaseStatus;
  /** Applies pending migrations now (the names applied). */
  runMigrations(): Promise<string[]>;
  /** TypeORM's migration commands on a short-lived data source of the same database. */
  withMigrationSource<T>(fn: (dataSource: DataSource) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_UNAVAILABLE_MS = 2000;
const RETRYABLE = new Set(['40001', '40P01']);
const UNDEFINED_TABLE = '42P01';
const MAX_ATTEMPTS = 5;
const MIGRATION_RETRY_MS = 1000;

/**
 * Opens the database: a PostgreSQL server when a URL is given, otherwise PGlite persisted under
 * dataDir and served in-process on a Unix socket inside dataDir, so both run the same SQL through
 * `pg`. PGlite is single-session, hence a pool of exactly one connection in that case.
 * With `migrate`, pending migrations are applied before this resolves, unless the server cannot be
 * reached: then they are retried in the background (the process keeps serving, with 503s).
 * Throws for a migration that fails for any other reason.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const unavailableMs = options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_MS;
  let db: PgDatabase;
  if (options.databaseUrl !== undefined) {
    db = new PgDatabase('postgres', parseConnectionUrl(options.databaseUrl), options.poolSize, unavailableMs);
  } else {
    const engine = await startEmbedded(options.dataDir);
    db = new PgDatabase('embedded', { hosts: [], urls: [engine.url], requireWritable: false }, 1, unavailableMs, engine);
  }
  if (options.migrate === true) {
    await db.migrateAtStart();
  } else {
    db.markMigrated();
  }
  return db;
}

/** A pooled connection lent to one caller; remembers whether the connection broke meanwhile. */
class Lease {
  broken: Error | undefined;
  private readonly onError = (error: Error): void => {
    this.broken = error;
  };

  constructor(readonly client: PoolClient) {
    // Without a listener, a connection that dies between two statements would emit 'error' with
    // nobody listening and end the process.
    client.on('error', this.onError);
  }

  release(): void {
    this.client.removeListener('error', this.onError);
    this.client.release(this.broken);
  }
}

class PgDatabase implements Database {
  private readonly logger = new Logger('Database');
  private readonly pool: Pool;
  private readonly hosts: HostSelector;
  private available: DatabaseStatus = { available: true };
  private migrated = false;
  private migrationError: string | undefined;
  private readonly migratedWaiters: (() => void)[] = [];
  private closing = false;
  private probing: Promise<boolean> | undefined;

  constructor(
    readonly kind: 'postgres' | 'embedded',
    target: ConnectionTarget,
    poolSize: number,
    private readonly unavailableMs: number,
    private readonly engine?: EmbeddedEngine,
  ) {
    this.hosts = new HostSelector(target, Math.max(250, unavailableMs / 2), this.logger);
    const hosts = this.hosts;
    // The embedded engine has one session for every connection: a connection opened after another
    // was closed must not trip over prepared statements the closed one left behind. The reset is
    // part of connecting, so the pool lends the connection only after it (a query sent beside it
    // would be a second query on a busy client, which pg 8 warns about and pg 9 refuses).
    const resetOnConnect = kind === 'embedded';
    // Each new connection goes to the host currently chosen (see HostSelector).
    class RoutedClient extends Client {
      constructor(config?: ClientConfig) {
        super({ ...config, connectionString: hosts.currentUrl() });
      }

      connect(): Promise<void>;
      connect(callback: (err: Error) => void): void;
      connect(callback?: (err: Error) => void): Promise<void> | void {
        const connected = super.connect();
        const ready = resetOnConnect
          ? connected.then(() =>
              super.query('DEALLOCATE ALL').then(
                () => undefined,
                () => undefined,
              ),
            )
          : connected;
        if (callback === undefined) {
          return ready;
        }
        ready.then(() => callback(undefined as unknown as Error), callback);
      }
    }
    this.pool = new Pool({
      Client: RoutedClient,
      max: poolSize,
      connectionTimeoutMillis: unavailableMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'durable-pushgateway',
    });
    // An idle connection that dies (server restart, terminated backend) is removed by the pool;
    // this only records it. Without a listener the process would exit.
    this.pool.on('error', (error) => this.noteFailure(error));
  }

  query<T extends QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.withLease((lease) => this.run<T>(lease, { text: sql, values: params as unknown[] | undefined }).then((r) => r.rows));
  }

  named<T extends QueryResultRow>(name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.withLease((lease) => this.run<T>(lease, { name, text: sql, values: params as unknown[] }).then((r) => r.rows));
  }

  execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.withLease((lease) => this.run(lease, { text: sql, values: params as unknown[] | undefined }).then((r) => r.rowCount ?? 0));
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withLease(async (lease) => {
          const tx = this.executorOn(lease);
          await tx.query('BEGIN');
          try {
            const result = await fn(tx);
            await tx.query('COMMIT');
            return result;
          } catch (error) {
            if (lease.broken === undefined) {
              await tx.query('ROLLBACK').catch(() => undefined);
            }
            throw error;
          }
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(sqlStateOf(error) ?? '')) {
          throw error;
        }
      }
    }
  }

  session<T>(fn: (session: Executor) => Promise<T>): Promise<T> {
    return this.withLease((lease) => fn(this.executorOn(lease)));
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  status(): DatabaseStatus {
    if (!this.migrated) {
      return { available: false, reason: `migrations not applied yet${this.migrationError === undefined ? '' : `: ${this.migrationError}`}` };
    }
    return this.available;
  }

  async runMigrations(): Promise<string[]> {
    if (!(await this.migrationsPending())) {
      return [];
    }
    // In a child process when it can run the compiled file (not under ts-jest): TypeORM's modules
    // and heap then leave with it instead of staying resident (issue 14).
    return WORKER_AVAILABLE
      ? runMigrationsInWorker(this.hosts.currentUrl(), this.unavailableMs)
      : this.withMigrationSource(async (ds) => (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name));
  }

  /**
   * Whether any migration is not recorded as applied, by one plain query: TypeORM (some 300
   * modules, 10-20 MiB resident) is then loaded only when there is something to apply or a
   * migration command runs. A missing migrations table counts as pending.
   */
  private async migrationsPending(): Promise<boolean> {
    let applied: Set<string>;
    try {
      applied = new Set((await this.pool.query<{ name: string }>('SELECT name FROM migrations')).rows.map((r) => r.name));
    } catch (error) {
      if (sqlStateOf(error) === UNDEFINED_TABLE) {
        return true;
      }
      throw error;
    }
    return MIGRATIONS.some((m) => !applied.has(m.name));
  }

  async withMigrationSource<T>(fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const ds = await openMigrationSource(this.hosts.currentUrl(), this.unavailableMs);
    try {
      return await fn(ds);
    } finally {
      await ds.destroy();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.pool.end();
    await this.engine?.stop();
  }

  /** Applies migrations once now; when the server is unreachable, keeps retrying in the background. */
  async migrateAtStart(): Promise<void> {
    try {
      this.logApplied(await this.runMigrations());
      this.markMigrated();
    } catch (error) {
      const unavailable = asUnavailable(error);
      if (unavailable === undefined) {
        throw error;
      }
      this.migrationError = unavailable.message;
      this.logger.warn(`${unavailable.message}; serving 503 and retrying the migrations every ${MIGRATION_RETRY_MS / 1000} s`);
      void this.retryMigrations();
    }
  }

  markMigrated(): void {
    this.migrated = true;
    this.migratedWaiters.splice(0).forEach((wake) => wake());
  }

  private async retryMigrations(): Promise<void> {
    while (!this.closing && !this.migrated) {
      await sleep(MIGRATION_RETRY_MS);
      this.hosts.noteFailure();
      try {
        this.logApplied(await this.runMigrations());
        this.logger.log('database reachable again; migrations applied');
        this.markMigrated();
      } catch (error) {
        this.migrationError = (asUnavailable(error) ?? (error as Error)).message.split('\n')[0];
      }
    }
  }

  private logApplied(names: string[]): void {
    if (names.length > 0) {
      this.logger.log(`applied migrations: ${names.join(', ')}`);
    }
  }

  /** Waits (at most unavailableMs) for the migrations; throws DatabaseUnavailableError if they are not applied by then. */
  private async whenMigrated(): Promise<void> {
    if (this.migrated) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.unavailableMs);
      this.migratedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (!this.migrated) {
      throw new DatabaseUnavailableError(this.status().reason ?? 'not ready');
    }
  }

  /** Lends a connection to fn; connection failures become DatabaseUnavailableError. */
  private async withLease<T>(fn: (lease: Lease) => Promise<T>): Promise<T> {
    await this.whenMigrated();
    let lease: Lease;
    try {
      lease = new Lease(await this.pool.connect());
    } catch (error) {
      throw this.unavailableOr(error);
    }
    try {
      const result = await fn(lease);
      if (!this.available.available) {
        this.logger.log('database reachable again');
        this.available = { available: true };
      }
      return result;
    } catch (error) {
      throw this.unavailableOr(error, lease);
    } finally {
      lease.release();
    }
  }

  private executorOn(lease: Lease): Executor {
    return {
      query: async <T extends QueryResultRow>(sql: string, params?: readonly unknown[]) =>
        (await this.run<T>(lease, { text: sql, values: params as unknown[] | undefined })).rows,
      named: async <T extends QueryResultRow>(name: string, sql: string, params: readonly unknown[]) =>
        (await this.run<T>(lease, { name, text: sql, values: params as unknown[] })).rows,
      execute: async (sql: string, params?: readonly unknown[]) =>
        (await this.run(lease, { text: sql, values: params as unknown[] | undefined })).rowCount ?? 0,
    };
  }

  /**
   * Runs one statement on the lease's connection. A statement still running after half of
   * unavailableMs is not given up on for being slow: a fresh connection probes the server, and only
   * when that gets no answer either (server gone, network cut) is the statement abandoned, its
   * connection dropped, and DatabaseUnavailableError thrown. So no caller waits much longer than
   * unavailableMs on a database that is away, and a slow statement on a healthy one still completes.
   */
  private run<T extends QueryResultRow>(lease: Lease, query: { name?: string; text: string; values?: unknown[] }) {
    const pending = lease.client.query<T>(query);
    if (this.kind === 'embedded') {
      return pending; // in-process: nothing to cut, and one session only (no room for a probe)
    }
    return new Promise<Awaited<typeof pending>>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout;
      const watch = (): void => {
        timer = setTimeout(() => {
          void this.probe().then((answers) => {
            if (settled) {
              return;
            }
            if (answers) {
              watch();
              return;
            }
            settled = true;
            const error = new DatabaseUnavailableError(`no answer within ${this.unavailableMs} ms`);
            lease.broken = error;
            reject(error);
          });
        }, this.unavailableMs / 2);
      };
      watch();
      pending.then(
        (result) => {
          settled = true;
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!settled) {
            settled = true;
            reject(error);
          }
        },
      );
    });
  }

  /** Whether a new connection gets an answer within unavailableMs / 2 (one probe at a time). */
  private probe(): Promise<boolean> {
    this.probing ??= this.hosts
      .answers(this.hosts.currentUrl(), this.unavailableMs / 2)
      .then((r) => r !== undefined)
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  private unavailableOr(error: unknown, lease?: Lease): unknown {
    const unavailable = asUnavailable(error);
    if (unavailable === undefined) {
      return error;
    }
    if (lease !== undefined) {
      lease.broken ??= unavailable;
    }
    this.noteFailure(unavailable);
    return unavailable;
  }

  private noteFailure(error: Error): void {
    const reason = (asUnavailable(error) ?? error).message.replace(/^database unavailable: /, '');
    if (this.available.available && !this.closing) {
      this.logger.warn(`database unavailable: ${reason}`);
    }
    this.available = { available: false, reason };
    this.hosts.noteFailure();
  }
}

/**
 * Chooses which host new connections go to. With several hosts, a connection failure starts a
 * scan (at most one at a time, at most every `scanIntervalMs`) that probes each host in order and
 * picks the first that answers and, when required, is writable (not in recovery): after a standby
 * is promoted, new connections follow it.
 */
class HostSelector {
  private index = 0;
  private scanning = false;
  private lastScan = 0;

  constructor(
    private readonly target: ConnectionTarget,
    private readonly scanIntervalMs: number,
    private readonly logger: Logger,
  ) {}

  currentUrl(): string {
    return this.target.urls[this.index];
  }

  noteFailure(): void {
    if (this.target.urls.length < 2 || this.scanning || Date.now() - this.lastScan < this.scanIntervalMs) {
      return;
    }
    this.scanning = true;
    void this.scan().finally(() => {
      this.scanning = false;
      this.lastScan = Date.now();
    });
  }

  private async scan(): Promise<void> {
    const answers = await Promise.all(this.target.urls.map((url) => this.answers(url, this.scanIntervalMs)));
    const pick = answers.findIndex((a) => a !== undefined && (!this.target.requireWritable || a.writable));
    if (pick >= 0 && pick !== this.index) {
      const { host, port } = this.target.hosts[pick];
      this.logger.warn(`switching to ${host}:${port}${this.target.requireWritable ? ' (writable)' : ''}`);
      this.index = pick;
    }
  }

  /** Whether the server at url answers within timeoutMs, and if so whether it takes writes. */
  async answers(url: string, timeoutMs: number): Promise<{ writable: boolean } | undefined> {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      return { writable: !rows[0].standby };
    } catch {
      return undefined;
    } finally {
      void client.end().catch(() => undefined);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
