import { DatabaseError } from 'pg';

/**
 * The database could not be reached or lost the connection (not a problem with the statement):
 * the request was fine and may be retried. Maps to HTTP 503. The message is one line.
 */
export class DatabaseUnavailableError extends Error {
  constructor(reason: string) {
    super(`database unavailable: ${reason}`);
  }
}

/**
 * SQLSTATEs that mean "this connection or server cannot serve us now": connection exceptions (08),
 * shutdown/crash (57P01-57P03), too many connections (53300), a read-only session (25006, after a
 * failover: the host is now a standby), and a database or login that is gone (3D000, 28xxx).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300|25006|3D000|28...)$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);
/** What `pg` and `pg-pool` throw when a connection dies or cannot be made (they set no code). */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|Query read timeout|connection timeout/i;

/**
 * The DatabaseUnavailableError an error from `pg` amounts to, or undefined when it is an SQL error
 * (or not from the database at all) and must be handled as such.
 */
export function asUnavailable(error: unknown): DatabaseUnavailableError | undefined {
  if (error instanceof DatabaseUnavailableError) {
    return error;
  }
  if (!(error instanceof Error)) {
    return undefined;
  }
  const code = (error as { code?: unknown }).code;
  if (error instanceof DatabaseError) {
    return typeof code === 'string' && UNAVAILABLE_SQLSTATE.test(code) ? new DatabaseUnavailableError(oneLine(error.message)) : undefined;
  }
  if ((typeof code === 'string' && UNAVAILABLE_ERRNO.has(code)) || UNAVAILABLE_MESSAGE.test(error.message)) {
    return new DatabaseUnavailableError(oneLine(error.message));
  }
  return undefined;
}

/** The SQLSTATE of a database error, if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  return error instanceof DatabaseError ? error.code : undefined;
}

function oneLine(message: string): string {
  return message.split('\n')[0].slice(0, 200);
}
