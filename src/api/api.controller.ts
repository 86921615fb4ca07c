import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Options, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { readTenantOfRequest } from 'src/auth/request-principal';
import { ApiService } from 'src/api/api.service';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Expose-Headers': 'Date',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
};

function corsHeaders(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const [name, value] of Object.entries(CORS)) {
      Header(name, value)(target, key, descriptor);
    }
  };
}

/** Upstream's JSON API under `/api/v1`. */
@Controller('api/v1')
export class ApiController {
  constructor(
    private readonly api: ApiService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('metrics')
  @corsHeaders()
  async metrics(@Req() req: FastifyRequest): Promise<unknown> {
    return { status: 'success', data: await this.api.metrics(readTenantOfRequest(req)) };
  }

  @Get('status')
  @corsHeaders()
  status(): unknown {
    return { status: 'success', data: this.api.status() };
  }

  @Options(['metrics', 'status', 'admin/wipe'])
  @corsHeaders()
  @HttpCode(200)
  options(): string {
    return '';
  }

  @Put('admin/wipe')
  @HttpCode(202)
  async wipe(@Req() req: FastifyRequest): Promise<void> {
    if (!this.config.adminApiEnabled) {
      throw new NotFoundException();
    }
    await this.api.wipe(readTenantOfRequest(req));
  }
}
