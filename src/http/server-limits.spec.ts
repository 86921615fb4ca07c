import { loadConfig } from 'src/config/env.schema';
import { serverLimitOptions } from 'src/http/server-limits';

const http = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp', ...env }).http;

describe('serverLimitOptions', () => {
  it('maps the defaults (16 KiB head, 10 s head, 60 s request, 65 s keep-alive)', () => {
    expect(serverLimitOptions(http({}))).toEqual({
      keepAliveTimeout: 65_000,
      requestTimeout: 60_000,
      http: {
        maxHeaderSize: 16_384,
        headersTimeout: 10_000,
        requestTimeout: 60_000,
        keepAliveTimeout: 65_000,
        connectionsCheckingInterval: 2_500,
      },
    });
  });

  it.each([
    ['short timeouts check often', { HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' }, { headersTimeout: 1000, connectionsCheckingInterval: 250 }],
    [
      'a head timeout above the request timeout is capped',
      { HTTP_HEADERS_TIMEOUT: '5s', HTTP_REQUEST_TIMEOUT: '1s' },
      { headersTimeout: 1000, connectionsCheckingInterval: 250 },
    ],
    ['very short timeouts check at most every 50 ms', { HTTP_HEADERS_TIMEOUT: '100ms', HTTP_REQUEST_TIMEOUT: '100ms' }, { connectionsCheckingInterval: 50 }],
    ['long timeouts check at least every 30 s', { HTTP_HEADERS_TIMEOUT: '10m', HTTP_REQUEST_TIMEOUT: '1h' }, { connectionsCheckingInterval: 30_000 }],
    ['head size', { HTTP_MAX_HEADER_BYTES: '4096' }, { maxHeaderSize: 4096 }],
  ])('%s', (_name, env, expected) => {
    expect(serverLimitOptions(http(env)).http).toEqual(expect.objectContaining(expected));
  });
});
