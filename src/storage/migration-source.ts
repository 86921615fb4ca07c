import type { DataSource } from 'typeorm';
import { CreateMetricStore1767225600000 } from '../../migrations/1767225600000-CreateMetricStore';
import { CreateAuthTokens1795667700000 } from '../../migrations/1795667700000-CreateAuthTokens';
import { CreatePushHistory1767312000000 } from '../../migrations/1767312000000-CreatePushHistory';
import { AddGroupChangeWatermark1795670000000 } from '../../migrations/1795670000000-AddGroupChangeWatermark';
import { AddPushLockAndRead1795680000000 } from '../../migrations/1795680000000-AddPushLockAndRead';
import { AddOneStatementPush1795690000000 } from '../../migrations/1795690000000-AddOneStatementPush';
import { EscapeStoredText1795700000000 } from '../../migrations/1795700000000-EscapeStoredText';
import { AddGroupTtl1795710000000 } from '../../migrations/1795710000000-AddGroupTtl';
import { EscapeTokenText1795720000000 } from '../../migrations/1795720000000-EscapeTokenText';
import { AddPushBatch1795730000000 } from '../../migrations/1795730000000-AddPushBatch';
import { BoundPushLocks1795740000000 } from '../../migrations/1795740000000-BoundPushLocks';
import { GenericPushPlans1795750000000 } from '../../migrations/1795750000000-GenericPushPlans';
import { HashedPushMembership1795760000000 } from '../../migrations/1795760000000-HashedPushMembership';
/** Every migration, in order. Listed explicitly so the build needs no glob at run time. */
export const MIGRATIONS = [
  CreateMetricStore1767225600000,
  CreatePushHistory1767312000000,
  CreateAuthTokens1795667700000,
  AddGroupChangeWatermark1795670000000,
  AddPushLockAndRead1795680000000,
  AddOneStatementPush1795690000000,
  EscapeStoredText1795700000000,
  AddGroupTtl1795710000000,
  EscapeTokenText1795720000000,
  AddPushBatch1795730000000,
  BoundPushLocks1795740000000,
  GenericPushPlans1795750000000,
  HashedPushMembership1795760000000,
];

/**
 * An initialised TypeORM data source with every migration, on one connection to `url`; the
 * caller destroys it. TypeORM (some 300 modules) is loaded here, on first use.
 */
export async function openMigrationSource(url: string, connectTimeoutMs: number): Promise<DataSource> {
  const { DataSource } = await import('typeorm');
  return new DataSource({
    type: 'postgres',
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    entities: [],
    // The URL goes to `pg` as is (TypeORM's own URL parsing drops query parameters such as host=).
    extra: { connectionString: url, max: 1, application_name: 'durable-pushgateway', connectionTimeoutMillis: connectTimeoutMs },
  }).initialize();
}
