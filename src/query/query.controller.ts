import { Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { readTenantOfRequest } from 'src/auth/request-principal';
import { QueryErrorFilter } from 'src/query/api-error';
import { ApiParams } from 'src/query/api-params';
import { compressIfAccepted } from 'src/query/compression';
import { ApiSuccess, QueryContext, QueryService } from 'src/query/query.service';
import { ExemplarService } from 'src/query/exemplar.service';

type Reply = FastifyReply;

/** Prometheus' HTTP API for Grafana: every endpoint answers GET and form-encoded POST. */
@Controller('api/v1')
@UseFilters(QueryErrorFilter)
export class QueryController {
  constructor(
    private readonly api: QueryService,
    private readonly exemplars: ExemplarService,
  ) {}

  @Get('query')
  async getQuery(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<string | Buffer> {
    return send(req, reply, await this.api.query(paramsOf(req), contextOf(req, reply)));
  }

  @Post('query')
  @HttpCode(200)
  async postQuery(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<string | Buffer> {
    return send(req, reply, await this.api.query(paramsOf(req), contextOf(req, reply)));
  }

  @Get('query_range')
  async getQueryRange(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<string | Buffer> {
    return send(req, reply, await this.api.queryRange(paramsOf(req), contextOf(req, reply)));
  }

  @Post('query_range')
  @HttpCode(200)
  async postQueryRange(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<string | Buffer> {
    return send(req, reply, await this.api.queryRange(paramsOf(req), contextOf(req, reply)));
  }

  @Get('series')
  getSeries(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.series(paramsOf(req), contextOf(req));
  }

  @Post('series')
  @HttpCode(200)
  postSeries(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.series(paramsOf(req), contextOf(req));
  }

  @Get('labels')
  getLabels(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.labels(paramsOf(req), contextOf(req));
  }

  @Post('labels')
  @HttpCode(200)
  postLabels(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.labels(paramsOf(req), contextOf(req));
  }

  @Get('label/:name/values')
  getLabelValues(@Param('name') name: string, @Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.labelValues(name, paramsOf(req), contextOf(req));
  }

  @Post('label/:name/values')
  @HttpCode(200)
  postLabelValues(@Param('name') name: string, @Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.labelValues(name, paramsOf(req), contextOf(req));
  }

  @Get('metadata')
  getMetadata(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.metadata(paramsOf(req), contextOf(req));
  }

  @Post('metadata')
  @HttpCode(200)
  postMetadata(@Req() req: FastifyRequest): Promise<ApiSuccess> {
    return this.api.metadata(paramsOf(req), contextOf(req));
  }

  @Get('query_exemplars')
  async getExemplars(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<ApiSuccess | undefined> {
    return noContentIfUndefined(reply, await this.exemplars.query(paramsOf(req), contextOf(req)));
  }

  @Post('query_exemplars')
  @HttpCode(200)
  async postExemplars(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: Reply): Promise<ApiSuccess | undefined> {
    return noContentIfUndefined(reply, await this.exemplars.query(paramsOf(req), contextOf(req)));
  }

  @Get('rules')
  getRules(@Req() req: FastifyRequest): ApiSuccess {
    return this.api.rules(paramsOf(req));
  }

  @Post('rules')
  @HttpCode(200)
  postRules(@Req() req: FastifyRequest): ApiSuccess {
    return this.api.rules(paramsOf(req));
  }

  @Get('status/buildinfo')
  getBuildInfo(): ApiSuccess {
    return this.api.buildInfo();
  }

  @Post('status/buildinfo')
  @HttpCode(200)
  postBuildInfo(): ApiSuccess {
    return this.api.buildInfo();
  }
}

/** A serialised query answer, gzipped when large and accepted. */
async function send(req: FastifyRequest, reply: Reply, json: string): Promise<string | Buffer> {
  const { body, gzip } = await compressIfAccepted(json, req.headers['accept-encoding']);
  if (gzip) {
    void reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
  }
  return body;
}

/** Prometheus answers 204 without a body when an endpoint has no data to give (query_exemplars without selectors). */
function noContentIfUndefined<T>(reply: Reply, data: T | undefined): T | undefined {
  if (data === undefined) {
    void reply.status(204);
  }
  return data;
}

function paramsOf(req: FastifyRequest): ApiParams {
  return ApiParams.fromRequest(req.url, req.body, req.headers['content-type']);
}

/**
 * The caller's tenant; for queries (answered with pre-serialised JSON) also the content type and a
 * flag raised when the client goes away mid-evaluation.
 */
function contextOf(req: FastifyRequest, reply?: Reply): QueryContext {
  const tenant = readTenantOfRequest(req);
  if (reply === undefined) {
    return { tenant };
  }
  void reply.type('application/json');
  const signal = { aborted: false };
  reply.raw.once('close', () => {
    signal.aborted = !reply.raw.writableFinished;
  });
  return { tenant, signal };
}
