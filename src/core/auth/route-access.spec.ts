import { routeAccess } from 'src/core/auth/route-access';

type Want = 'public' | 'push' | 'read' | 'admin' | 'operator admin';

function describeAccess(method: string, route: string): Want {
  const a = routeAccess(method, route);
  if (a.kind === 'public') {
    return 'public';
  }
  return a.operatorOnly ? 'operator admin' : a.scope;
}

describe('routeAccess', () => {
  it.each<[string, string, Want]>([
    ['GET', '/-/healthy', 'public'],
    ['HEAD', '/-/ready', 'public'],
    ['PUT', '/-/healthy', 'operator admin'],
    ['PUT', '/-/quit', 'operator admin'],
    ['POST', '/-/quit', 'operator admin'],
    ['PUT', '/metrics/*', 'push'],
    ['POST', '/metrics/*', 'push'],
    ['DELETE', '/metrics/*', 'push'],
    ['put', '/api/v2/metrics/*', 'push'],
    ['DELETE', '/api/v2/metrics/*', 'push'],
    ['GET', '/metrics', 'read'],
    ['HEAD', '/metrics', 'read'],
    ['GET', '/', 'read'],
    ['GET', '/status', 'read'],
    ['GET', '/api/v1/metrics', 'read'],
    ['GET', '/api/v1/status', 'read'],
    ['GET', '/api/v1/groups', 'read'],
    ['DELETE', '/api/v1/groups', 'push'],
    ['POST', '/api/v1/groups', 'operator admin'],
    ['OPTIONS', '/api/v1/metrics', 'read'],
    ['GET', '/api/v1/query', 'read'],
    ['POST', '/api/v1/query', 'read'],
    ['POST', '/api/v1/query_range', 'read'],
    ['POST', '/api/v1/series', 'read'],
    ['POST', '/api/v1/labels', 'read'],
    ['POST', '/api/v1/label/:name/values', 'read'],
    ['POST', '/api/v1/metadata', 'read'],
    ['POST', '/api/v1/rules', 'read'],
    ['POST', '/api/v1/status/buildinfo', 'read'],
    ['PUT', '/api/v1/admin/wipe', 'admin'],
    ['POST', '/api/v1/admin/tokens', 'admin'],
    ['GET', '/api/v1/admin/tokens', 'admin'],
    ['DELETE', '/api/v1/admin/tokens/:id', 'admin'],
    ['POST', '/api/v1/something-new', 'operator admin'],
    ['DELETE', '/api/v1/metrics', 'operator admin'],
    ['PATCH', '/metrics/*', 'operator admin'],
  ])('%s %s needs %s', (method, route, expected) => {
    expect(describeAccess(method, route)).toBe(expected);
  });
});
