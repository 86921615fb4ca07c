import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig } from 'src/config/env.schema';
import { ConfigModule } from 'src/config/config.module';
import { TelemetryModule } from 'src/telemetry/telemetry.module';
import { IngestModule } from 'src/ingest/ingest.module';
import { ApiModule } from 'src/api/api.module';
import { DomainErrorFilter } from 'src/http/domain-error.filter';
import { AuthModule } from 'src/auth/auth.module';
import { QueryModule } from 'src/query/query.module';

/** The whole gateway for one validated configuration. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), TelemetryModule, AuthModule, IngestModule, ApiModule, QueryModule],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
