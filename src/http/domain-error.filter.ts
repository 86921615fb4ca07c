import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { GroupingPathError, GroupingRouteNotFoundError } from 'src/core/grouping/errors';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { InconsistentPushError } from 'src/core/consistency/errors';
import { GroupCollisionError } from 'src/storage/metric-group.repository';
import { DatabaseUnavailableError } from 'src/storage/database-errors';
import { PushTooLargeError } from 'src/storage/storable-sizes';
import { TenantRefusedError } from 'src/core/auth/rules';
import { GroupTtlError } from 'src/core/grouping/group-ttl';
import { BodyDecodeError, BodyTooLargeError } from 'src/http/body-decoding';

/** An error rendered as a plain-text response, upstream style. */
export interface TextError {
  status: number;
  message: string;
}

/** A client mistake the shell itself detects (bad request body for the admin API, ...). */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Pure mapping from an error to status and body; undefined means "unexpected" (500). */
export function toTextError(error: unknown): TextError | undefined {
  if (
    error instanceof GroupingPathError ||
    error instanceof ExpositionParseError ||
    error instanceof InconsistentPushError ||
    error instanceof GroupCollisionError ||
    error instanceof BodyDecodeError ||
    error instanceof GroupTtlError ||
    error instanceof PushTooLargeError
  ) {
    return { status: 400, message: error.message };
  }
  if (error instanceof BodyTooLargeError) {
    return { status: 413, message: error.message };
  }
  if (error instanceof GroupingRouteNotFoundError) {
    return { status: 404, message: '404 page not found' };
  }
  if (error instanceof TenantRefusedError) {
    return { status: 403, message: error.message };
  }
  if (error instanceof ClientError) {
    return { status: error.status, message: error.message };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return { status, message: status === 404 ? '404 page not found' : error.message };
  }
  const fastifyCode = (error as { code?: string; statusCode?: number } | undefined)?.code;
  const statusCode = (error as { statusCode?: number } | undefined)?.statusCode;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_') && statusCode !== undefined && statusCode < 500) {
    return {
      status: statusCode,
      message: fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request body too large' : (error as Error).message,
    };
  }
  if (error instanceof DatabaseUnavailableError) {
    return { status: 503, message: error.message };
  }
  // The client closed the connection while its body was being read (Node's 'aborted'): its own
  // doing, and nobody is left to answer; not an error of the gateway's to log with a stack.
  if (fastifyCode === 'ECONNRESET' && (error as Error).message === 'aborted') {
    return { status: 400, message: 'request aborted by the client' };
  }
  return undefined;
}

/** Maps every error to a plain-text response; unexpected ones become a logged, generic 500. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const mapped = toTextError(error);
    if (mapped === undefined) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    const { status, message } = mapped ?? { status: 500, message: 'internal server error' };
    void reply.status(status).header('Content-Type', 'text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff').send(`${message}\n`);
  }
}
