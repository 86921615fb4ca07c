import { Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { readTenantOfRequest } from 'src/auth/request-principal';
import { QueryErrorFilter } from 'src/query/api-error';
import { ApiParams } from 'src/query/api-params';
import { compressIfAccepted } from 'src/query/compression';
import { ApiSuccess, QueryContext, QueryService } from 'src/query/query.service';
import { ExemplarService } from 'src/query/exemplar.service';

/** What an endpoint returns for Nest to send: an object (JSON) or a pre-serialised query answer. */
type Answer = ApiSuccess | string | Buffer | undefined;
/** The services an endpoint calls. */
interface Services {
  api: QueryService;
  exemplars: ExemplarService;
}
type Endpoint = (services: Services, req: FastifyRequest, reply: FastifyReply) => Answer | Promise<Answer>;

/**
 * Prometheus' HTTP API for Grafana, by path under `api/v1`: the routing table. Every endpoint
 * answers GET and form-encoded POST alike (parameters from the URL and the body, see ApiParams).
 * Which token scope each needs is decided by the auth guard from the route (core route-access).
 */
const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  query: async ({ api }, req, reply) => send(req, reply, await api.query(paramsOf(req), evaluationContext(req, reply))),
  query_range: async ({ api }, req, reply) => send(req, reply, await api.queryRange(paramsOf(req), evaluationContext(req, reply))),
  series: async ({ api }, req, reply) => send(req, reply, await api.series(paramsOf(req), readContext(req))),
  labels: async ({ api }, req, reply) => send(req, reply, await api.labels(paramsOf(req), readContext(req))),
  'label/:name/values': async ({ api }, req, reply) =>
    send(req, reply, await api.labelValues((req.params as { name: string }).name, paramsOf(req), readContext(req))),
  metadata: ({ api }, req) => api.metadata(paramsOf(req), readContext(req)),
  query_exemplars: async ({ exemplars }, req, reply) => noContentIfUndefined(reply, await exemplars.query(paramsOf(req), readContext(req))),
  rules: ({ api }, req) => api.rules(paramsOf(req)),
  'status/buildinfo': ({ api }) => api.buildInfo(),
};

const PATHS = Object.keys(ENDPOINTS);
const BASE = '/api/v1/';

@Controller('api/v1')
@UseFilters(QueryErrorFilter)
export class QueryController {
  constructor(
    private readonly api: QueryService,
    private readonly exemplars: ExemplarService,
  ) {}

  @Get(PATHS)
  get(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Answer> {
    return this.answer(req, reply);
  }

  @Post(PATHS)
  @HttpCode(200)
  post(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Answer> {
    return this.answer(req, reply);
  }

  /** Runs the endpoint of the matched route pattern (`<ROUTE_PREFIX>/api/v1/label/:name/values`). */
  private async answer(req: FastifyRequest, reply: FastifyReply): Promise<Answer> {
    const route = req.routeOptions.url ?? '';
    return ENDPOINTS[route.slice(route.lastIndexOf(BASE) + BASE.length)]({ api: this.api, exemplars: this.exemplars }, req, reply);
  }
}

/** A serialised JSON answer, gzipped when large and accepted. */
async function send(req: FastifyRequest, reply: FastifyReply, json: string | Buffer): Promise<string | Buffer> {
  void reply.type('application/json; charset=utf-8');
  const { body, gzip } = await compressIfAccepted(json, req.headers['accept-encoding']);
  if (gzip) {
    void reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
  }
  return body;
}

/** Prometheus answers 204 without a body when an endpoint has no data to give (query_exemplars without selectors). */
function noContentIfUndefined<T>(reply: FastifyReply, data: T | undefined): T | undefined {
  if (data === undefined) {
    void reply.status(204);
  }
  return data;
}

function paramsOf(req: FastifyRequest): ApiParams {
  return ApiParams.fromRequest(req.url, req.body, req.headers['content-type']);
}

/** The caller's tenant (undefined: every tenant). */
function readContext(req: FastifyRequest): QueryContext {
  return { tenant: readTenantOfRequest(req) };
}

/**
 * For PromQL evaluations, answered with pre-serialised JSON: the tenant, the JSON content type,
 * and a flag raised when the client goes away mid-evaluation (the evaluator then stops).
 */
function evaluationContext(req: FastifyRequest, reply: FastifyReply): QueryContext {
  void reply.type('application/json');
  const signal = { aborted: false };
  reply.raw.once('close', () => {
    signal.aborted = !reply.raw.writableFinished;
  });
  return { tenant: readTenantOfRequest(req), signal };
}
