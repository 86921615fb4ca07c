import { FastifyRequest } from 'fastify';

/**
 * The still percent-encoded grouping path of a push request (the part after `/metrics/`), and
 * whether it came in on the managed-service route `/api/v2/metrics/...`. Read from the raw URL so
 * that non-UTF-8 escapes reach the core parser instead of failing in the router.
 */
export function pushPathOf(req: FastifyRequest): { path: string; managedRoute: boolean; tenant?: string } {
  const raw = req.raw.url ?? req.url;
  const pathOnly = raw.split('?')[0];
  const v2 = pathOnly.indexOf('/api/v2/metrics/');
  const plain = pathOnly.indexOf('/metrics/');
  const managedRoute = v2 >= 0 && (plain < 0 || v2 < plain || v2 + '/api/v2'.length === plain);
  const start = managedRoute ? v2 + '/api/v2/metrics/'.length : plain + '/metrics/'.length;
  const tenant = (req as FastifyRequest & { tenant?: string }).tenant;
  return { path: pathOnly.slice(start), managedRoute, tenant };
}
