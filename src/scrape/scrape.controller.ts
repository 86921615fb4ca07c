import { Controller, Get, Headers, Req, Res } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ScrapeService } from 'src/scrape/scrape.service';
import { readTenantOfRequest } from 'src/auth/request-principal';

@Controller()
export class ScrapeController {
  constructor(private readonly scrapes: ScrapeService) {}

  @Get('metrics')
  async scrape(
    @Headers('accept') accept: string | undefined,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const out = await this.scrapes.scrape(accept, acceptEncoding, readTenantOfRequest(req));
    void reply.header('Content-Type', out.contentType);
    if (out.contentEncoding !== undefined) {
      void reply.header('Content-Encoding', out.contentEncoding);
    }
    await reply.send(out.body);
  }
}
