import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { Database, openDatabase } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';
import { HistoryReader } from 'src/storage/history-reader';
import { HistoryWriter } from 'src/storage/history-writer';
import { HistoryPartitions } from 'src/storage/history-partitions';
import { HistoryMaintenance } from 'src/storage/history-maintenance.service';
import { TableUpkeep } from 'src/storage/table-upkeep.service';
import { TableUpkeepRepository } from 'src/storage/table-upkeep.repository';
import { GroupExpiry } from 'src/storage/group-expiry.service';
import { FamilyBodyRepository } from 'src/storage/family-body.repository';

/** Opens the database (server or embedded), applies pending migrations unless disabled, exports repositories. */
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<Database> => {
        const db = await openDatabase({
          databaseUrl: config.databaseUrl,
          dataDir: config.dataDir,
          poolSize: config.dbPoolSize,
          unavailableTimeoutMs: config.dbUnavailableTimeoutMs,
          migrate: config.migrationsRun,
        });
        new Logger('Storage').log(db.kind === 'embedded' ? `embedded PostgreSQL (PGlite) under ${config.dataDir}` : 'PostgreSQL server');
        return db;
      },
    },
    MetricGroupRepository,
    FamilyBodyRepository,
    HistoryReader,
    HistoryWriter,
    HistoryPartitions,
    HistoryMaintenance,
    TableUpkeep,
    TableUpkeepRepository,
    GroupExpiry,
  ],
  exports: [MetricGroupRepository, FamilyBodyRepository, DATABASE, HistoryReader, HistoryMaintenance, TableUpkeep, GroupExpiry],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
