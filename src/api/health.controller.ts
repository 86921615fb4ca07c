import { Controller, Get, Header, HttpCode, Inject, Post, Put, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { ClientError } from 'src/http/domain-error.filter';
import { LIFECYCLE } from 'src/api/lifecycle';

/** Liveness, readiness (the database answers) and the optional lifecycle API. */
@Controller('-')
export class HealthController {
  constructor(
    private readonly repository: MetricGroupRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('healthy')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  healthy(): string {
    return 'OK';
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const ok = await Promise.race([
      this.repository.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
    ]);
    await reply
      .status(ok ? 200 : 503)
      .header('Content-Type', 'text/plain; charset=utf-8')
      .send(ok ? 'OK' : 'database unreachable');
  }

  @Put('quit')
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
