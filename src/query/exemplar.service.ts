import { Injectable } from '@nestjs/common';
import { visibleItems } from 'src/core/auth/rules';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { MAX_TIME_MS, MIN_TIME_MS } from 'src/core/promql/api-params';
import { compileExemplarSelection, ExemplarCollector, ExemplarSelection, exemplarsData, familyExemplars, familyMayMatch } from 'src/core/promql/exemplars';
import { collectSelectors, parseExpr } from 'src/core/promql/parser';
import { ApiError } from 'src/query/api-error';
import { ApiParams } from 'src/query/api-params';
import { ApiSuccess, QueryContext, timeParam } from 'src/query/query.service';
import { GroupCache } from 'src/scrape/group-cache.service';
import { FamilyBodyRepository, FamilyRef } from 'src/storage/family-body.repository';

/** Families loaded and decoded per database round trip: bounds what one request holds at once. */
const LOAD_BATCH = 500;

/** Prometheus' default --query.timeout. */
const TIMEOUT_MS = 120_000;

/**
 * `/api/v1/query_exemplars` over the current groups (the exemplars their families keep), scoped to
 * the caller's tenant like every read. Only families whose name, type and grouping labels can match
 * a selector are loaded, in batches, until the core collector is full.
 */
@Injectable()
export class ExemplarService {
  constructor(
    private readonly groups: GroupCache,
    private readonly bodies: FamilyBodyRepository,
  ) {}

  /**
   * Parameters and errors as Prometheus' `queryExemplars`: `start`/`end` default to all time and
   * must be ordered, a query that does not parse is `bad_data`. Undefined (HTTP 204, as Prometheus
   * answers) when the query has no vector selector.
   */
  async query(p: ApiParams, ctx: QueryContext): Promise<ApiSuccess<unknown[]> | undefined> {
    const startMs = timeParam(p, 'start', MIN_TIME_MS, true);
    const endMs = timeParam(p, 'end', MAX_TIME_MS, true);
    if (endMs < startMs) {
      throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
    }
    const selectors = collectSelectors(parseExpr(p.first('query') ?? ''));
    if (selectors.length === 0) {
      return undefined;
    }
    const selection = compileExemplarSelection(selectors.map((s) => s.matchers));
    const collector = new ExemplarCollector(selection, startMs, endMs);
    await this.collect(selection, collector, ctx);
    const { result, truncated } = collector.finish();
    const data = exemplarsData(result);
    return truncated ? { status: 'success', data, warnings: ['results truncated due to limit'] } : { status: 'success', data };
  }

  /** Feeds the collector every family that may match, loaded in batches. */
  private async collect(selection: ExemplarSelection, collector: ExemplarCollector, ctx: QueryContext): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    const { groups } = await this.groups.current();
    const pushedAt = new Map<string, number>();
    const refs: FamilyRef[] = [];
    for (const g of visibleItems(groups, ctx.tenant)) {
      for (const f of g.families) {
        if (familyMayMatch(selection, f.name, f.type, g.labels)) {
          refs.push({ groupId: g.id, name: f.name });
          pushedAt.set(refKey(g.id, f.name), f.pushedAt);
        }
      }
    }
    for (let i = 0; i < refs.length && !collector.full; i += LOAD_BATCH) {
      if (ctx.signal?.aborted === true) {
        throw new ApiError('canceled', 'query was canceled');
      }
      if (Date.now() > deadline) {
        throw new ApiError('timeout', 'query timed out in exemplar selection');
      }
      for (const { groupId, name, body } of await this.bodies.loadFamilyBodies(refs.slice(i, i + LOAD_BATCH))) {
        const pushedMs = (pushedAt.get(refKey(groupId, name)) ?? 0) * 1000;
        for (const mf of parseProtobufDelimited(body)) {
          familyExemplars(mf, pushedMs).forEach((s) => collector.add(s));
        }
      }
    }
  }
}

function refKey(groupId: string, name: string): string {
  return `${groupId}\x00${name}`;
}
