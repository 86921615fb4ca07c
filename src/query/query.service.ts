import { Inject, Injectable } from '@nestjs/common';
import { visibleItems } from 'src/core/auth/rules';
import type { Expr, VectorSelector } from 'src/core/promql/ast';
import { EvalOptions, evaluateInstant, evaluateRange } from 'src/core/promql/evaluator';
import { QueryBudget } from 'src/core/promql/query-budget';
import { QueryQueue } from 'src/core/promql/query-queue';
import { parseExpr } from 'src/core/promql/parser';
import { MAX_TIME_MS, MIN_TIME_MS, parseDurationParam, parseTimeParam } from 'src/core/promql/api-params';
import type { LabelMatcher } from 'src/core/promql/series-source';
import { compareStrings } from 'src/core/model/labels';
import { labelNameFromPath } from 'src/core/promql/label-name-param';
import { MetricType, TEXT_TYPE_NAMES } from 'src/core/model/metric-family';
import { PUSH_TIME_METRIC } from 'src/core/grouping/sanitize';
import { PUSH_TIME_HELP } from 'src/core/scrape/render';
import { HistoryReader, LabelAnswer, SeriesScope } from 'src/storage/history-reader';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { GroupCache } from 'src/scrape/group-cache.service';
import { BUILD_INFO } from 'src/telemetry/build-info';
import { ApiError } from 'src/query/api-error';
import { ApiParams, boundedMatchSelectors } from 'src/query/api-params';
import { HistorySeriesSource } from 'src/storage/history-series-source';
import { listAnswerJson, queryResultJson } from 'src/query/api-json';

/** A successful API answer (`status` first, as Prometheus writes it). */
export interface ApiSuccess<T = unknown> {
  status: 'success';
  data: T;
  warnings?: string[];
}

/** Who asks: the tenant whose series a read may see (undefined: all), and a cancellation flag. */
export interface QueryContext {
  tenant?: string;
  signal?: { readonly aborted: boolean };
}

const TRUNCATED = 'results truncated due to limit';

/**
 * The Prometheus HTTP API (query, query_range, series, labels, label values, metadata and the
 * stubs Grafana probes) over the push history. Parameter parsing and PromQL are core functions;
 * data comes from HistoryReader (series, samples) and GroupCache (metadata).
 *
 * Bounds (DESIGN §5c): every read of the history (query, query_range, series, labels, label
 * values) waits its turn in one FIFO queue of QUERY_MAX_CONCURRENCY slots per replica, and has
 * QUERY_TIMEOUT (or a shorter `timeout` parameter, queries only) from its arrival: queueing counts.
 * Queries hold at most QUERY_MAX_SAMPLES samples (EvalOptions.maxSamples says what counts).
 */
@Injectable()
export class QueryService {
  private readonly queue: QueryQueue;

  constructor(
    private readonly history: HistoryReader,
    private readonly groups: GroupCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.queue = new QueryQueue(config.query.maxConcurrency);
  }

  /** `/api/v1/query`: instant query at `time` (default now). Returns the serialised JSON answer. */
  async query(p: ApiParams, ctx: QueryContext): Promise<string> {
    const arrived = Date.now();
    const timeMs = timeParam(p, 'time', arrived, true);
    const timeoutMs = this.timeoutParam(p);
    const expr = parseQueryParam(p.first('query'));
    return this.inTurn(arrived, timeoutMs, async (remainingMs) =>
      queryResultJson(await evaluateInstant(expr, timeMs, this.source(ctx), this.evalOptions(remainingMs, ctx))),
    );
  }

  /** `/api/v1/query_range`: `start`, `end` (inclusive) and `step` are required. Returns the serialised JSON answer. */
  async queryRange(p: ApiParams, ctx: QueryContext): Promise<string> {
    const startMs = timeParam(p, 'start', undefined, false);
    const endMs = timeParam(p, 'end', undefined, false);
    if (endMs < startMs) {
      throw ApiError.invalidParam('end', new Error('end timestamp must not be before start time'));
    }
    const stepMs = durationParam(p, 'step');
    if (!(stepMs > 0)) {
      throw ApiError.invalidParam('step', new Error('zero or negative query resolution step widths are not accepted. Try a positive integer'));
    }
    const arrived = Date.now();
    const timeoutMs = this.timeoutParam(p);
    const expr = parseQueryParam(p.first('query'));
    return this.inTurn(arrived, timeoutMs, async (remainingMs) =>
      queryResultJson(await evaluateRange(expr, startMs, endMs, stepMs, this.source(ctx), this.evalOptions(remainingMs, ctx))),
    );
  }

  /** `/api/v1/series`: label sets of the series matching any `match[]`, sorted. Returns the serialised JSON answer. */
  async series(p: ApiParams, ctx: QueryContext): Promise<Buffer> {
    if (p.all('match[]').length === 0) {
      throw new ApiError('bad_data', 'no match[] parameter provided');
    }
    const scope = scopeParams(p, ctx);
    const limit = limitParam(p);
    const sets = matchSets(p);
    const found = await this.inTurn(Date.now(), this.config.query.timeoutMs, (remainingMs) =>
      this.history.findSeriesOfAny(sets, scope, { budget: this.readBudget(remainingMs, ctx), limit: Number.isFinite(limit) ? limit + 1 : undefined }),
    );
    const out = found.slice(0, limit).map((s) => s.labels);
    return listAnswerJson(out, found.length > limit ? [TRUNCATED] : undefined, this.encodeBudget(ctx));
  }

  /** `/api/v1/labels`: label names of the series in range (matching any `match[]` when given). Returns the serialised JSON answer. */
  async labels(p: ApiParams, ctx: QueryContext): Promise<Buffer> {
    const scope = scopeParams(p, ctx);
    const matchers = matchSets(p);
    const limit = limitParam(p);
    const answer = await this.inTurn(Date.now(), this.config.query.timeoutMs, (remainingMs) =>
      this.history.labelNames(scope, { matchers, limit, budget: this.readBudget(remainingMs, ctx) }),
    );
    return this.limited(answer, ctx);
  }

  /**
   * `/api/v1/label/<name>/values`: values of one label (`__name__`: metric names); `U__` names
   * decoded. Returns the serialised JSON answer.
   */
  async labelValues(segment: string, p: ApiParams, ctx: QueryContext): Promise<Buffer> {
    const name = labelNameFromPath(segment);
    const scope = scopeParams(p, ctx);
    const matchers = matchSets(p);
    const limit = limitParam(p);
    const answer = await this.inTurn(Date.now(), this.config.query.timeoutMs, (remainingMs) =>
      this.history.labelValues(name, scope, { matchers, limit, budget: this.readBudget(remainingMs, ctx) }),
    );
    return this.limited(answer, ctx);
  }

  /**
   * `/api/v1/metadata`: type and HELP per metric family of the current groups (untyped is
   * "unknown", as Prometheus reports it), plus push_time_seconds. `metric`, `limit` and
   * `limit_per_metric` as in Prometheus.
   */
  async metadata(p: ApiParams, ctx: QueryContext): Promise<ApiSuccess<Record<string, { type: string; help: string; unit: string }[]>>> {
    const limit = integerParam(p, 'limit', 'limit must be a number');
    const perMetric = integerParam(p, 'limit_per_metric', 'limit_per_metric must be a number');
    const only = p.first('metric');
    const byName = new Map<string, Map<string, { type: string; help: string; unit: string }>>();
    const add = (name: string, type: string, help: string): void => {
      if (only !== undefined && name !== only) {
        return;
      }
      const entries = byName.get(name) ?? new Map();
      entries.set(`${type}\x00${help}`, { type, help, unit: '' });
      byName.set(name, entries);
    };
    const { groups } = await this.groups.current();
    for (const g of visibleItems(groups, ctx.tenant)) {
      g.families.forEach((f) => add(f.name, metadataType(f.type), f.help));
      if (g.pushTime > 0) {
        add(PUSH_TIME_METRIC, 'gauge', PUSH_TIME_HELP);
      }
    }
    const data: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const name of [...byName.keys()].sort(compareStrings)) {
      if (limit !== undefined && limit >= 0 && Object.keys(data).length >= limit) {
        break;
      }
      const entries = [...byName.get(name)!.values()];
      data[name] = perMetric !== undefined && perMetric > 0 ? entries.slice(0, perMetric) : entries;
    }
    return success(data);
  }

  /** `/api/v1/rules`: the gateway evaluates no rules. */
  rules(p: ApiParams): ApiSuccess<{ groups: never[] }> {
    const type = p.first('type');
    if (type !== undefined && type !== 'alert' && type !== 'record') {
      throw ApiError.invalidParam('type', new Error(`not supported value ${JSON.stringify(type)}`));
    }
    return success({ groups: [] });
  }

  /** `/api/v1/status/buildinfo`, without `features` so Grafana treats the gateway as plain Prometheus. */
  buildInfo(): ApiSuccess<Record<string, string>> {
    return success({
      version: BUILD_INFO.version,
      revision: BUILD_INFO.revision,
      branch: BUILD_INFO.branch,
      buildUser: BUILD_INFO.buildUser,
      buildDate: BUILD_INFO.buildDate,
      goVersion: `node ${process.version}`,
    });
  }

  private source(ctx: QueryContext): HistorySeriesSource {
    return new HistorySeriesSource(this.history, ctx.tenant);
  }

  /**
   * Runs `read` in the query queue, with the ms left of `timeoutMs` counted from `arrived` (the
   * wait in the queue included). A read still queued at its deadline fails with a timeout.
   */
  private inTurn<T>(arrived: number, timeoutMs: number, read: (remainingMs: number) => Promise<T>): Promise<T> {
    const remaining = (): number => arrived + timeoutMs - Date.now();
    return this.queue.run(() => read(remaining()), { timeoutMs: remaining() });
  }

  /** `timeout` of query and query_range: a duration that can only shorten QUERY_TIMEOUT. */
  private timeoutParam(p: ApiParams): number {
    const max = this.config.query.timeoutMs;
    return p.first('timeout') === undefined ? max : Math.min(durationParam(p, 'timeout'), max);
  }

  private evalOptions(remainingMs: number, ctx: QueryContext): EvalOptions {
    return { timeoutMs: remainingMs, maxSamples: this.config.query.maxSamples, signal: ctx.signal };
  }

  /** The budget of a series/labels/values read: its time only (no sample limit applies there). */
  private readBudget(remainingMs: number, ctx: QueryContext): QueryBudget {
    return new QueryBudget({ timeoutMs: remainingMs, maxSamples: Infinity, signal: ctx.signal });
  }

  /** The budget of encoding an answer already read: it only yields (no deadline, no sample limit). */
  private encodeBudget(ctx: QueryContext): () => Promise<void> {
    const budget = new QueryBudget({ maxSamples: Infinity, signal: ctx.signal });
    return () => budget.checkpoint();
  }

  /** The JSON answer of labels or label values, with the truncation warning when a limit cut values off. */
  private limited(answer: LabelAnswer, ctx: QueryContext): Promise<Buffer> {
    return listAnswerJson(answer.values, answer.truncated ? [TRUNCATED] : undefined, this.encodeBudget(ctx));
  }
}

function success<T>(data: T, warnings?: string[]): ApiSuccess<T> {
  return warnings === undefined ? { status: 'success', data } : { status: 'success', data, warnings };
}

/** Prometheus' parseTimeParam (`time`, `start`, `end`); required params have no default. */
export function timeParam(p: ApiParams, name: string, fallback: number | undefined, wrapped: boolean): number {
  const text = p.first(name);
  if (text === undefined && fallback !== undefined) {
    return fallback;
  }
  try {
    return parseTimeParam(text ?? '');
  } catch (error) {
    const cause = wrapped ? new Error(`Invalid time value for '${name}': ${(error as Error).message}`) : error;
    throw ApiError.invalidParam(name, cause);
  }
}

function durationParam(p: ApiParams, name: string): number {
  try {
    return parseDurationParam(p.first(name) ?? '');
  } catch (error) {
    throw ApiError.invalidParam(name, error);
  }
}

function parseQueryParam(query: string | undefined): Expr {
  try {
    return parseExpr(query ?? '');
  } catch (error) {
    throw ApiError.invalidParam('query', error);
  }
}

/** `start`/`end` of the metadata endpoints (default: all time) and the caller's tenant. */
function scopeParams(p: ApiParams, ctx: QueryContext): SeriesScope {
  const startMs = timeParam(p, 'start', MIN_TIME_MS, true);
  const endMs = timeParam(p, 'end', MAX_TIME_MS, true);
  return { tenant: ctx.tenant, startMs, endMs };
}

/** Every `match[]` as a matcher list; each must be a plain selector with a non-empty matcher. */
function matchSets(p: ApiParams): LabelMatcher[][] {
  return boundedMatchSelectors(p.all('match[]')).map((text) => {
    let expr: Expr;
    try {
      expr = parseExpr(text);
    } catch (error) {
      const empty = /at least one non-empty matcher/.test((error as Error).message);
      throw ApiError.invalidParam('match[]', empty ? new Error('match[] must contain at least one non-empty matcher') : error);
    }
    if (expr.type !== 'VectorSelector' || expr.offsetMs !== 0 || expr.at !== undefined) {
      throw ApiError.invalidParam('match[]', new Error(`1:1: parse error: expected a metric selector, got ${JSON.stringify(text)}`));
    }
    return (expr as VectorSelector).matchers;
  });
}

/** `limit` of series/labels/values: a positive integer; absent or 0 means no limit. */
function limitParam(p: ApiParams): number {
  const n = integerParam(p, 'limit', 'invalid parameter "limit": expected an integer');
  return n === undefined || n <= 0 ? Number.POSITIVE_INFINITY : n;
}

function integerParam(p: ApiParams, name: string, message: string): number | undefined {
  const text = p.first(name);
  if (text === undefined) {
    return undefined;
  }
  if (!/^[+-]?\d+$/.test(text)) {
    throw new ApiError('bad_data', message);
  }
  return Number(text);
}

function metadataType(type: MetricType): string {
  return type === MetricType.UNTYPED ? 'unknown' : TEXT_TYPE_NAMES[type];
}
