import { Controller, Delete, Get, Header, HttpCode, Inject, NotFoundException, Options, Put, Req, UseFilters } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { readTenantOfRequest } from 'src/auth/request-principal';
import { ApiService } from 'src/api/api.service';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { ApiError, QueryErrorFilter } from 'src/query/api-error';
import { boundedMatchSelectors } from 'src/query/api-params';
import { GroupSelection, GroupSelectorError, isRestricted, PageRequest, parseGroupSelector, parseTimeBound } from 'src/core/grouping/group-selection';

/** Largest page of `GET /api/v1/groups`, and the default. */
const MAX_GROUP_PAGE = 10_000;
const DEFAULT_GROUP_PAGE = 100;

type Query = Record<string, string | string[] | undefined>;

function queryOf(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

function allOf(query: Query, name: string): string[] {
  const v = query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function firstOf(query: Query, name: string): string | undefined {
  return allOf(query, name)[0];
}

/** match[], pushed_before and pushed_after of a group API request; bad values are `bad_data`. */
function selectionOf(query: Query): GroupSelection {
  try {
    const before = firstOf(query, 'pushed_before');
    const after = firstOf(query, 'pushed_after');
    return {
      selectors: boundedMatchSelectors(allOf(query, 'match[]')).map(parseGroupSelector),
      pushedBefore: before === undefined ? undefined : parseTimeBound('pushed_before', before),
      pushedAfter: after === undefined ? undefined : parseTimeBound('pushed_after', after),
    };
  } catch (error) {
    throw error instanceof GroupSelectorError ? new ApiError('bad_data', error.message) : error;
  }
}

function limitOf(query: Query): number {
  const text = firstOf(query, 'limit');
  if (text === undefined) {
    return DEFAULT_GROUP_PAGE;
  }
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_GROUP_PAGE) {
    throw new ApiError('bad_data', `limit: expected an integer from 1 to ${MAX_GROUP_PAGE}`);
  }
  return Number(text);
}

function orderOf(query: Query): 'key' | 'push' {
  const text = firstOf(query, 'order') ?? 'key';
  if (text !== 'key' && text !== 'push') {
    throw new ApiError('bad_data', 'order: expected key (grouping labels) or push (newest push first)');
  }
  return text;
}

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

  /** The group API (issue 11): see docs/groups.md. */
  @Get('groups')
  @corsHeaders()
  @UseFilters(QueryErrorFilter)
  async listGroups(@Req() req: FastifyRequest): Promise<unknown> {
    const query = queryOf(req);
    const page: PageRequest = { limit: limitOf(query), cursor: firstOf(query, 'cursor'), order: orderOf(query) };
    return { status: 'success', data: await this.api.listGroups(selectionOf(query), page, readTenantOfRequest(req)) };
  }

  @Delete('groups')
  @corsHeaders()
  @UseFilters(QueryErrorFilter)
  async deleteGroups(@Req() req: FastifyRequest): Promise<unknown> {
    const selection = selectionOf(queryOf(req));
    if (!isRestricted(selection)) {
      throw new ApiError('bad_data', 'at least one of match[], pushed_before or pushed_after is required (PUT /api/v1/admin/wipe deletes every group)');
    }
    return { status: 'success', data: { deleted: await this.api.deleteGroups(selection, readTenantOfRequest(req)) } };
  }

  @Options(['metrics', 'status', 'admin/wipe', 'groups'])
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
