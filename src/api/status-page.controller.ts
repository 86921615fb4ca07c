import { Controller, Get, Header, Inject } from '@nestjs/common';
import { GroupCache } from 'src/storage/group-cache.service';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { renderStatusPage } from 'src/api/status-page';

/** `GET /` and `/status`: an HTML page listing groups with delete buttons. */
@Controller()
export class StatusPageController {
  constructor(
    private readonly cache: GroupCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(['', 'status'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(): Promise<string> {
    const { groups } = await this.cache.current();
    return renderStatusPage(groups, { routePrefix: this.config.routePrefix, adminApiEnabled: this.config.adminApiEnabled });
  }
}
