import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { readTenantOfRequest } from 'src/auth/request-principal';
import { GroupCache } from 'src/scrape/group-cache.service';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { renderStatusPage } from 'src/api/status-page';
import { visibleItems } from 'src/core/auth/rules';

/** `GET /` and `/status`: an HTML page listing groups with delete buttons. */
@Controller()
export class StatusPageController {
  constructor(
    private readonly cache: GroupCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(['', 'status'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(@Req() req: FastifyRequest): Promise<string> {
    const tenant = readTenantOfRequest(req);
    const { groups: all } = await this.cache.current();
    const groups = visibleItems(all, tenant);
    return renderStatusPage(groups, { routePrefix: this.config.routePrefix, adminApiEnabled: this.config.adminApiEnabled });
  }
}
