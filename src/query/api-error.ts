import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { PromqlEvalError, PromqlParseError } from 'src/core/promql/errors';
import { ClientError, DomainErrorFilter } from 'src/http/domain-error.filter';
import { DatabaseUnavailableError } from 'src/storage/database-errors';
import { GroupSelectorError } from 'src/core/grouping/group-selection';
import { InvalidLabelNameError } from 'src/core/promql/label-name-param';

/** Prometheus API error types (`errorType`). */
export type ApiErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable';

/** HTTP status per error type, as Prometheus' `respondError` (canceled: 503, as Grafana only parses 400/422/503). */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  unavailable: 503,
};

/** A query API failure, rendered as `{"status":"error","errorType":…,"error":…}`. */
export class ApiError extends Error {
  constructor(
    readonly errorType: ApiErrorType,
    message: string,
  ) {
    super(message);
  }

  /** Prometheus' `invalidParamError`: `invalid parameter "time": <cause>`. */
  static invalidParam(name: string, cause: unknown): ApiError {
    return new ApiError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${(cause as Error).message}`);
  }
}

/** Maps core errors to API errors; undefined for anything unexpected (an internal error). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) {
    return error;
  }
  if (error instanceof PromqlEvalError) {
    return new ApiError(error.errorType, error.message);
  }
  if (error instanceof PromqlParseError) {
    return new ApiError('bad_data', error.message);
  }
  if (error instanceof DatabaseUnavailableError) {
    return new ApiError('unavailable', error.message);
  }
  if (error instanceof GroupSelectorError || error instanceof InvalidLabelNameError) {
    return new ApiError('bad_data', error.message);
  }
  return undefined;
}

/** The JSON error envelope. */
export function errorEnvelope(error: ApiError): { status: 'error'; errorType: ApiErrorType; error: string } {
  return { status: 'error', errorType: error.errorType, error: error.message };
}

/**
 * Exception filter of the query API: query errors (and anything unexpected) become Prometheus'
 * JSON envelope with its status code; the gateway's own client errors (401/403 from the auth
 * guard, 404, body limits) keep the gateway-wide plain-text rendering.
 */
@Catch()
export class QueryErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Query');
  private readonly fallback = new DomainErrorFilter();

  catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof ClientError || error instanceof HttpException || isFastifyClientError(error)) {
      this.fallback.catch(error, host);
      return;
    }
    let apiError = toApiError(error);
    if (apiError === undefined) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      apiError = new ApiError('internal', 'internal server error');
    }
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(API_ERROR_STATUS[apiError.errorType])
      .header('Content-Type', 'application/json')
      .send(JSON.stringify(errorEnvelope(apiError)));
  }
}

function isFastifyClientError(error: unknown): boolean {
  const e = error as { code?: unknown; statusCode?: number } | undefined;
  return typeof e?.code === 'string' && e.code.startsWith('FST_') && (e.statusCode ?? 500) < 500;
}
