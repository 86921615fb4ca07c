import { Controller, Get, Header, HttpCode, Inject, Post, Put, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ApiService } from 'src/api/api.service';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { ClientError } from 'src/http/domain-error.filter';
import { LIFECYCLE } from 'src/api/lifecycle';
import { DatabaseUnavailableError } from 'src/storage/database-errors';

/** Liveness, readiness (the database answers) and the optional lifecycle API. */
@Controller('-')
export class HealthController {
  constructor(
    private readonly api: ApiService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('healthy')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  healthy(): string {
    return 'OK';
  }

  /** 200 when the database answers now (within DB_UNAVAILABLE_TIMEOUT), else 503 with the reason. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const problem = await this.api.ping().then(
      () => undefined,
      (error: unknown) => (error instanceof DatabaseUnavailableError ? error.message : 'database unavailable'),
    );
    await reply
      .status(problem === undefined ? 200 : 503)
      .header('Content-Type', 'text/plain; charset=utf-8')
      .send(problem ?? 'OK');
  }

  @Put('quit')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  quitPut(): string {
    return this.quit();
  }

  @Post('quit')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  quit(): string {
    if (!this.config.lifecycleApiEnabled) {
      throw new ClientError(403, 'Lifecycle API is not enabled.');
    }
    setTimeout(() => LIFECYCLE.requestShutdown(), 50).unref();
    return 'Requesting termination... Goodbye!';
  }
}
