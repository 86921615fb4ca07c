import { approximateRequestSize, upstreamHandlerOf } from 'src/telemetry/http-instrumentation';

/** pushgateway 1.11 main.go handler names; research note §5. */
describe('upstreamHandlerOf', () => {
  it.each<[string, string, string | undefined]>([
    ['/metrics/*', 'PUT', 'push'],
    ['/metrics/*', 'POST', 'push'],
    ['/metrics/*', 'DELETE', 'delete'],
    ['/api/v2/metrics/*', 'PUT', 'push'],
    ['/metrics', 'GET', undefined],
    ['/', 'GET', 'status'],
    ['/status', 'GET', 'status'],
    ['/api/v1/status', 'GET', 'api/v1/status'],
    ['/api/v1/metrics', 'GET', 'api/v1/metrics'],
    ['/api/v1/metrics', 'OPTIONS', 'api/v1/options'],
    ['/api/v1/admin/wipe', 'PUT', 'wipe'],
    ['/-/healthy', 'GET', 'healthy'],
    ['/-/ready', 'GET', 'ready'],
    ['/-/quit', 'PUT', undefined],
    ['unmatched', 'GET', undefined],
    ['/static/*', 'GET', 'static'],
    ['/api/v1/query', 'GET', 'api/v1/query'],
  ])('%s %s → %s', (route, method, expected) => {
    expect(upstreamHandlerOf(route, method)).toBe(expected);
  });
});

/** client_golang prometheus/promhttp instrument_server.go computeApproximateRequestSize. */
describe('approximateRequestSize', () => {
  it.each<[string, string[], number]>([
    // 16 (url) + 3 (PUT) + 8 (HTTP/1.1) + 9 (host value) + 14+1 (content-length: "5") + 5 (body)
    ['URL, method, protocol, Host value, Content-Length header and body', ['Host', 'localhost', 'Content-Length', '5'], 16 + 3 + 8 + 9 + 14 + 1 + 5],
    ['a repeated header name counts once, each value counts', ['Host', 'h', 'X-A', 'one', 'x-a', 'three'], 16 + 3 + 8 + 1 + 3 + 3 + 5],
    ['a chunked body counts 0', ['Host', 'h', 'Transfer-Encoding', 'chunked'], 16 + 3 + 8 + 1 + 17 + 7],
    ['UTF-8 in a header value counts bytes', ['Host', 'h', 'X-Name', '中'], 16 + 3 + 8 + 1 + 6 + 3],
  ])('%s', (_name, rawHeaders, expected) => {
    expect(approximateRequestSize({ url: '/metrics/job/abc', method: 'PUT', httpVersion: '1.1', rawHeaders })).toBe(expected);
  });
});
