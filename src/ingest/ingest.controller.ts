import { Controller, Delete, HttpCode, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { IngestService } from 'src/ingest/ingest.service';
import { pushPathOf } from 'src/http/request-path';
import { principalOf } from 'src/auth/request-principal';
import { TTL_HEADER } from 'src/core/grouping/group-ttl';

type RawRequest = FastifyRequest<{ Body: Buffer | undefined }>;

/** The upstream push API, also under the managed-service prefix `/api/v2`. */
@Controller()
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Put(['metrics/*', 'api/v2/metrics/*'])
  @HttpCode(200)
  replace(@Req() req: RawRequest): Promise<void> {
    return this.ingest.push({ ...pushPathOf(req), principal: principalOf(req), mode: 'replace', ...bodyOf(req) });
  }

  @Post(['metrics/*', 'api/v2/metrics/*'])
  @HttpCode(200)
  merge(@Req() req: RawRequest): Promise<void> {
    return this.ingest.push({ ...pushPathOf(req), principal: principalOf(req), mode: 'merge', ...bodyOf(req) });
  }

  @Delete(['metrics/*', 'api/v2/metrics/*'])
  @HttpCode(202)
  remove(@Req() req: RawRequest): Promise<void> {
    return this.ingest.delete({ ...pushPathOf(req), principal: principalOf(req) });
  }
}

function bodyOf(req: RawRequest): { body: Buffer; contentType?: string; contentEncoding?: string; ttl?: string } {
  const ttl = req.headers[TTL_HEADER];
  return {
    ttl: Array.isArray(ttl) ? ttl[0] : ttl,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    contentType: req.headers['content-type'],
    contentEncoding: req.headers['content-encoding'],
  };
}
