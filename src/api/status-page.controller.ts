import { Controller, Get, Header, Inject, OnModuleInit, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from 'src/auth/request-principal';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { renderStatusPage, STATUS_PAGE_CSP } from 'src/api/status-page';
import { StatusPageService } from 'src/api/status-page.service';
import { parseStatusPageQuery } from 'src/core/status-page/page-request';

/** `GET /` and `/status`: the status page (docs/status-page.md); its tabs and filters are URL parameters. */
@Controller()
export class StatusPageController implements OnModuleInit {
  constructor(
    private readonly page: StatusPageService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * Under a route prefix Nest serves the page at `/prefix` only; `/prefix/` (upstream's address of
   * the page) is redirected there, query kept. It only redirects, so it needs no guard.
   */
  onModuleInit(): void {
    const prefix = this.config.routePrefix;
    if (prefix === '') {
      return;
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.get(`${prefix}/`, (req, reply) => {
      const query = req.url.indexOf('?');
      void reply.redirect(`${prefix}${query < 0 ? '' : req.url.slice(query)}`, 302);
    });
  }

  @Get(['', 'status'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', STATUS_PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-store')
  async show(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const started = performance.now();
    let storeMs: number | undefined;
    const { request, problems } = parseStatusPageQuery((req.query ?? {}) as Record<string, string | string[] | undefined>);
    const view = await this.page.view(request, problems, {
      principal: principalOf(req),
      scheme: req.protocol,
      host: req.headers.host ?? `${this.config.host}:${this.config.port}`,
      timing: (_name, ms) => (storeMs = ms),
    });
    const viewed = performance.now();
    const html = renderStatusPage(view);
    const done = performance.now();
    // The page's server time and its parts (docs/status-page.md reports them at 10,000 groups).
    const parts = [
      ...(storeMs === undefined ? [] : [`store;dur=${storeMs.toFixed(1)}`]),
      `select;dur=${(viewed - started - (storeMs ?? 0)).toFixed(1)}`,
      `render;dur=${(done - viewed).toFixed(1)}`,
      `page;dur=${(done - started).toFixed(1)}`,
    ];
    void reply.header('Server-Timing', parts.join(', '));
    return html;
  }
}
