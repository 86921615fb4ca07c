import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { Pool } from 'pg';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { CreateMetricStore1767225600000 } from '../../migrations/1767225600000-CreateMetricStore';
import { CreateAuthTokens1795667700000 } from '../../migrations/1795667700000-CreateAuthTokens';
import { CreatePushHistory1767312000000 } from '../../migrations/1767312000000-CreatePushHistory';
import { AddGroupChangeWatermark1795670000000 } from '../../migrations/1795670000000-AddGroupChangeWatermark';
import { AddPushLockAndRead1795680000000 } from '../../migrations/1795680000000-AddPushLockAndRead';
import { AddOneStatementPush1795690000000 } from '../../migrations/1795690000000-AddOneStatementPush';

/** Every migration, in order. Listed explicitly so the build needs no glob at run time. */
export const MIGRATIONS = [
  CreateMetricStore1767225600000,
  CreatePushHistory1767312000000,
  CreateAuthTokens1795667700000,
  AddGroupChangeWatermark1795670000000,
  AddPushLockAndRead1795680000000,
  AddOneStatementPush1795690000000,
];

export interface DatabaseOptions {
  /** postgres:// URL; undefined selects the embedded engine under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
}

/** An initialised TypeORM data source plus whatever must be stopped with it. */
export interface Database {
  dataSource: DataSource;
  /** The data source's own `pg` pool, for hot statements that need no TypeORM layer (see runNamed). */
  pool: Pool;
  /** 'postgres' for a server, 'embedded' for PGlite. */
  kind: 'postgres' | 'embedded';
  close(): Promise<void>;
}

/**
 * Opens the database: a PostgreSQL server when a URL is given, otherwise PGlite persisted under
 * dataDir and served in-process on a loopback socket, so both run the same SQL through `pg`.
 * PGlite is single-session, hence a pool of exactly one connection in that case.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    const dataSource = await newDataSource(options.databaseUrl, options.poolSize).initialize();
    return { dataSource, pool: poolOf(dataSource), kind: 'postgres', close: () => dataSource.destroy() };
  }
  // Loaded only in embedded mode: a replica on a PostgreSQL server never pays for the engine's code.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = path.resolve(options.dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const dataSource = await newDataSource(url, 1).initialize();
  const pool = poolOf(dataSource);
  // The engine has one session for every connection: a connection opened after another was closed
  // must not trip over prepared statements (see runNamed) the closed one left behind.
  pool.on('connect', (client) => void client.query('DEALLOCATE ALL').catch(() => undefined));
  return {
    dataSource,
    pool,
    kind: 'embedded',
    close: async () => {
      await dataSource.destroy();
      await server.stop();
      await db.close();
    },
  };
}

function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

function newDataSource(url: string, poolSize: number): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    entities: [],
    extra: { max: poolSize, application_name: 'durable-pushgateway' },
  });
}
