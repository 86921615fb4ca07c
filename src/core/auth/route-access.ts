import { Scope } from 'src/core/auth/principal';

/** What a route demands of the caller when auth is enabled. */
export type RouteAccess =
  | { kind: 'public' }
  /** A token with `scope`; `operatorOnly` routes also refuse tenant tokens (they act on the whole gateway). */
  | { kind: 'token'; scope: Scope; operatorOnly: boolean; push: boolean };

const PUBLIC: RouteAccess = { kind: 'public' };
const PUSH: RouteAccess = { kind: 'token', scope: 'push', operatorOnly: false, push: true };
const READ: RouteAccess = { kind: 'token', scope: 'read', operatorOnly: false, push: false };
/** Bulk delete: the push scope, acting on the token's own tenant (the service filters by it). */
const DELETE_GROUPS: RouteAccess = { kind: 'token', scope: 'push', operatorOnly: false, push: false };
const ADMIN: RouteAccess = { kind: 'token', scope: 'admin', operatorOnly: false, push: false };
const OPERATOR_ADMIN: RouteAccess = { kind: 'token', scope: 'admin', operatorOnly: true, push: false };

/** Read-only endpoints of the Prometheus HTTP API that clients (Grafana) may also call with POST. */
const QUERY_API_POST =
  /^\/api\/v1\/(query|query_range|query_exemplars|series|labels|label\/[^/]+\/values|metadata|rules|status\/buildinfo|format_query|parse_query)$/;

/**
 * The access a route needs, from its method and route pattern (without the route prefix, e.g.
 * `/metrics/*`). Rules, first match wins:
 * - `GET`/`HEAD` `/-/healthy`, `/-/ready`: public (liveness and readiness probes);
 * - `/-/quit`: `admin`, operator tokens only;
 * - `PUT`/`POST`/`DELETE` on `/metrics/*` and `/api/v2/metrics/*`: `push`;
 * - `DELETE /api/v1/groups` (bulk delete by selector): `push`;
 * - `/api/v1/admin/...`: `admin` (tenant tokens act on their own tenant only);
 * - `GET`/`HEAD`/`OPTIONS` on anything else, and `POST` on the read-only query API: `read`;
 * - anything else: `admin`, operator tokens only, so a route nobody classified is never public.
 */
export function routeAccess(method: string, route: string): RouteAccess {
  const m = method.toUpperCase();
  const safe = m === 'GET' || m === 'HEAD' || m === 'OPTIONS';
  if ((route === '/-/healthy' || route === '/-/ready') && (m === 'GET' || m === 'HEAD')) {
    return PUBLIC;
  }
  if (route === '/-/quit') {
    return OPERATOR_ADMIN;
  }
  if ((route.startsWith('/metrics/') || route.startsWith('/api/v2/metrics/')) && (m === 'PUT' || m === 'POST' || m === 'DELETE')) {
    return PUSH;
  }
  if (route === '/api/v1/groups' && m === 'DELETE') {
    return DELETE_GROUPS;
  }
  if (route === '/api/v1/admin' || route.startsWith('/api/v1/admin/')) {
    return ADMIN;
  }
  if (safe || (m === 'POST' && QUERY_API_POST.test(route))) {
    return READ;
  }
  return OPERATOR_ADMIN;
}
