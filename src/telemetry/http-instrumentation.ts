/**
 * How upstream Pushgateway labels and sizes the HTTP requests it instruments (pushgateway 1.11
 * `main.go` and `handler/metrics.go`, client_golang `promhttp` instrumentation; research note §5).
 * Plain functions so the tables can be tested without a server.
 */

/**
 * Upstream's `handler` label for a request, from the route it matched (route prefix removed) and
 * its method; undefined for requests upstream does not count: scrapes of `/metrics`, unmatched
 * paths and `/-/quit`. Routes upstream does not have (query API, group API, tokens) are labelled
 * with their path without the leading slash.
 */
export function upstreamHandlerOf(route: string, method: string): string | undefined {
  const m = method.toUpperCase();
  if (route === '/metrics/*' || route === '/api/v2/metrics/*') {
    return m === 'DELETE' ? 'delete' : 'push';
  }
  if (route.startsWith('/api/v1/') && m === 'OPTIONS') {
    return 'api/v1/options';
  }
  switch (route) {
    case '/metrics':
    case '/-/quit':
    case 'unmatched':
      return undefined;
    case '':
    case '/':
    case '/status':
      return 'status';
    case '/api/v1/admin/wipe':
      return 'wipe';
    case '/-/healthy':
      return 'healthy';
    case '/-/ready':
      return 'ready';
    default:
      return route.startsWith('/static/') ? 'static' : route.replace(/^\//, '');
  }
}

/** What approximateRequestSize needs of a request. */
export interface RequestHead {
  /** The request target as sent (path and query). */
  url: string;
  method: string;
  /** e.g. `1.1`. */
  httpVersion: string;
  /** Node's rawHeaders: name, value, name, value, ... */
  rawHeaders: readonly string[];
}

/**
 * client_golang's `computeApproximateRequestSize`, which upstream's
 * `pushgateway_http_push_size_bytes` observes: the lengths of the URL, the method, the protocol
 * (`HTTP/1.1`), each header name once plus each of its values, the Host, plus the Content-Length
 * (so a compressed body counts compressed, and a chunked body without Content-Length counts 0).
 * Lengths are in bytes, as Go's `len` counts them.
 */
export function approximateRequestSize(req: RequestHead): number {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  let size = bytes(req.url) + bytes(req.method) + bytes(`HTTP/${req.httpVersion}`);
  const seen = new Set<string>();
  let contentLength = 0;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name === 'host') {
      // Go moves Host out of the header map into Request.Host, counted once.
      size += bytes(value);
      continue;
    }
    if (!seen.has(name)) {
      seen.add(name);
      size += bytes(name);
    }
    size += bytes(value);
    if (name === 'content-length' && /^\d+$/.test(value.trim())) {
      contentLength = Number(value.trim());
    }
  }
  return size + contentLength;
}
