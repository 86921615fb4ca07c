import { ConfigError, loadConfig } from 'src/config/env.schema';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      host: '0.0.0.0',
      port: 9091,
      routePrefix: '',
      databaseUrl: undefined,
      dataDir: './data',
      migrationsRun: true,
      dbUpkeep: 'auto',
      bodyLimitBytes: 16 * 1024 * 1024,
      consistencyCheck: true,
      utf8Names: false,
      scrapeOpenMetrics: false,
      adminApiEnabled: false,
      lifecycleApiEnabled: false,
      workers: 1,
      pushBatch: { maxPushes: 32, windowUs: 0, inFlight: 2 },
    });
  });

  it('reads the throughput settings and refuses WORKERS > 1 on the embedded engine', () => {
    const db = { DATABASE_URL: 'postgres://u@h/db' };
    expect(loadConfig({ ...db, WORKERS: '4', PUSH_BATCH_MAX: '1', PUSH_BATCH_WINDOW_US: '200', PUSH_BATCH_IN_FLIGHT: '3' })).toMatchObject({
      workers: 4,
      pushBatch: { maxPushes: 1, windowUs: 200, inFlight: 3 },
    });
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS=2: needs DATABASE_URL/);
    expect(() => loadConfig({ ...db, PUSH_BATCH_MAX: '0', WORKERS: '0' })).toThrow(ConfigError);
  });

  it.each([
    ['/pfx/', '/pfx'],
    ['/a/b', '/a/b'],
    ['/', ''],
  ])('normalises ROUTE_PREFIX %s to %s', (value, expected) => {
    expect(loadConfig({ ROUTE_PREFIX: value }).routePrefix).toBe(expected);
  });

  it('reports every bad value at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', ADMIN_API_ENABLED: 'maybe', DATABASE_URL: 'mysql://x', ROUTE_PREFIX: 'nope', DB_UPKEEP: 'sometimes' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(5);
    expect((error as ConfigError).message).toMatch(/DB_UPKEEP="sometimes"/);
    expect((error as ConfigError).message).toMatch(/PORT="x"/);
  });
});
