import type { ServerOptions } from 'node:http';
import type { HttpSettings } from 'src/config/env.schema';

/** The Fastify options that bound what one client connection may hold (DESIGN §5c). */
export interface ServerLimitOptions {
  /** Idle time of a keep-alive connection between requests (Node's server.keepAliveTimeout). */
  keepAliveTimeout: number;
  /** Time to receive a whole request, head and body (server.requestTimeout; 408 and close after). */
  requestTimeout: number;
  /** Passed to http.createServer: head size and head timeout, and how often Node checks both timeouts. */
  http: ServerOptions;
}

/** The checks run at least this often, and at most every 30 s (Node's default). */
const MIN_CHECK_INTERVAL_MS = 50;
const MAX_CHECK_INTERVAL_MS = 30_000;

/**
 * Fastify/Node server options from the HTTP_* settings. Node enforces the head and request
 * timeouts from a periodic check (every 30 s by default), so a connection could outlive its
 * timeout by that much; the check runs every quarter of the shorter timeout instead, so a slow
 * client is closed within 1.25 times its timeout. The head timeout is capped by the request
 * timeout (the head is part of the request; Node refuses a longer one). Slow headers, bodies that
 * never finish and oversized heads are then answered by Node itself (408, 431) before any handler.
 */
export function serverLimitOptions(http: HttpSettings): ServerLimitOptions {
  const headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  const checkEvery = Math.floor(Math.min(headersTimeout, http.requestTimeoutMs) / 4);
  return {
    keepAliveTimeout: http.keepAliveTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    http: {
      maxHeaderSize: http.maxHeaderBytes,
      headersTimeout,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, checkEvery)),
    },
  };
}
