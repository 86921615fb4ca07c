import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';

/** DI token for the validated, frozen AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Provides the AppConfig that main.ts (or a test) loaded; nothing else reads process.env. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
