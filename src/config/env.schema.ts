import { parseTtl } from 'src/core/auth/ttl';
import { parseDuration } from 'src/core/promql/duration';
import { parseConnectionUrl } from 'src/storage/connection-url';
import { parseTenantTtls, TtlPolicy } from 'src/core/grouping/group-ttl';

/**
 * The gateway's settings, read once from the environment and validated as a whole:
 * every bad value is reported in one error so the operator can fix them all at once.
 * Nothing else in the code base reads process.env.
 */
export interface AppConfig {
  readonly host: string;
  readonly port: number;
  /** Normalised route prefix: '' or '/something' without a trailing slash. */
  readonly routePrefix: string;
  /** postgres:// URL, or undefined for the embedded engine. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly dbPoolSize: number;
  readonly migrationsRun: boolean;
  /** DB_UPKEEP: VACUUM/ANALYZE of the churned tables where autovacuum does not run ('auto'), always, or never. */
  readonly dbUpkeep: 'auto' | 'always' | 'off';
  /**
   * DB_UNAVAILABLE_TIMEOUT: how long a request waits for the database (a connection, or a statement
   * on a dead connection) before it is answered 503, in ms.
   */
  readonly dbUnavailableTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly consistencyCheck: boolean;
  /**
   * PUSH_ENABLE_UTF8_NAMES (upstream's `--push.enable-utf8-names`): any non-empty UTF-8 metric and
   * label name in push bodies, and `U__`-escaped label names in the URL are decoded.
   */
  readonly utf8Names: boolean;
  /**
   * SCRAPE_OPENMETRICS: answer a scrape whose Accept prefers OpenMetrics in OpenMetrics 1.0 (upstream
   * never does; off by default, since a counter pushed without `_total` would then be scraped renamed).
   */
  readonly scrapeOpenMetrics: boolean;
  readonly adminApiEnabled: boolean;
  readonly lifecycleApiEnabled: boolean;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly auth: AuthSettings;
  readonly history: HistorySettings;
  readonly query: QuerySettings;
  readonly http: HttpSettings;
  readonly pushBatch: PushBatchSettings;
  /** WORKERS: gateway processes serving one port (node:cluster); 1 runs no cluster at all. */
  readonly workers: number;
  /** GROUP_TTL, GROUP_TTL_MAX, GROUP_TTL_TENANTS: group expiry (DESIGN §5b); all unset: never (upstream). */
  readonly groupTtl: TtlPolicy;
}

/** Bounds on the query API (DESIGN §5c), Prometheus' defaults. */
export interface QuerySettings {
  /** QUERY_TIMEOUT: the longest a query may evaluate (a `timeout` parameter can only shorten it), in ms. */
  readonly timeoutMs: number;
  /** QUERY_MAX_SAMPLES: most samples one query may hold in memory at once (Prometheus --query.max-samples). */
  readonly maxSamples: number;
  /** QUERY_MAX_CONCURRENCY: queries evaluated at once per replica; the rest wait (--query.max-concurrency). */
  readonly maxConcurrency: number;
}

/**
 * Group commit (issue 14): concurrent pushes to different groups share one statement, hence one
 * transaction and one commit. A push still answers only after its own batch committed.
 */
export interface PushBatchSettings {
  /** PUSH_BATCH_MAX: most pushes in one statement; 1 turns group commit off. */
  readonly maxPushes: number;
  /**
   * PUSH_BATCH_WINDOW_US: how long a push that could start a batch at once waits for company, in
   * microseconds; 0 waits only for the pushes already received in the same event-loop turn.
   */
  readonly windowUs: number;
  /** PUSH_BATCH_IN_FLIGHT: batch statements running at once per process; the next batch forms meanwhile. */
  readonly inFlight: number;
}

/** Limits on what one HTTP client can hold (DESIGN §5c). */
export interface HttpSettings {
  /** HTTP_MAX_HEADER_BYTES: largest request head (request line and headers). */
  readonly maxHeaderBytes: number;
  /** HTTP_HEADERS_TIMEOUT: time to receive the request head, in ms. */
  readonly headersTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT: time to receive the whole request (head and body), in ms. */
  readonly requestTimeoutMs: number;
  /** HTTP_KEEPALIVE_TIMEOUT: how long an idle keep-alive connection stays open, in ms. */
  readonly keepAliveTimeoutMs: number;
}

/** The push history behind the query API (DESIGN §7). */
export interface HistorySettings {
  /** HISTORY_ENABLED: append every pushed sample; when false only each series' current value is kept. */
  readonly enabled: boolean;
  /** HISTORY_RETENTION: samples older than this are dropped (whole daily partitions), in ms. */
  readonly retentionMs: number;
}

/** Token auth (DESIGN §6). Off unless at least one verification key is configured. */
export interface AuthSettings {
  readonly enabled: boolean;
  /** AUTH_JWT_SECRET: HS256/384/512 shared secret (also signs issued tokens). */
  readonly jwtSecret?: string;
  /** AUTH_JWT_PUBLIC_KEY_FILE: PEM public key or certificate (RS*, PS*, ES*, EdDSA). */
  readonly jwtPublicKeyFile?: string;
  /** AUTH_JWKS_FILE: JSON Web Key Set, keys chosen by `kid`. */
  readonly jwksFile?: string;
  /** AUTH_JWT_ISSUER: required `iss` when set. */
  readonly issuer?: string;
  /** AUTH_JWT_AUDIENCE (comma-separated): `aud` must contain one of them when non-empty. */
  readonly audience: readonly string[];
  readonly clockSkewSeconds: number;
  /** Verified tokens are cached this long (never beyond exp); 0 disables the cache. */
  readonly cacheTtlSeconds: number;
  readonly cacheMaxEntries: number;
  /** How often each replica polls the revocation list. */
  readonly revocationPollMs: number;
  /** Lifetime of tokens issued by the admin API when the request names none. */
  readonly tokenDefaultTtlSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses and validates the environment. Throws ConfigError listing every bad variable. */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const config: AppConfig = {
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 9091, 0, 65535),
    routePrefix: read.routePrefix('ROUTE_PREFIX'),
    databaseUrl: read.databaseUrl('DATABASE_URL'),
    dataDir: read.string('DATA_DIR', './data'),
    dbPoolSize: read.integer('DB_POOL_SIZE', 10, 1, 1000),
    migrationsRun: read.boolean('DB_MIGRATIONS_RUN', true),
    dbUpkeep: read.oneOf('DB_UPKEEP', ['auto', 'always', 'off'] as const, 'auto'),
    dbUnavailableTimeoutMs: read.duration('DB_UNAVAILABLE_TIMEOUT', '2s', 100),
    bodyLimitBytes: read.integer('PUSH_BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1, 2 ** 31 - 1),
    consistencyCheck: !read.boolean('PUSH_DISABLE_CONSISTENCY_CHECK', false),
    utf8Names: read.boolean('PUSH_ENABLE_UTF8_NAMES', false),
    scrapeOpenMetrics: read.boolean('SCRAPE_OPENMETRICS', false),
    adminApiEnabled: read.boolean('ADMIN_API_ENABLED', false),
    lifecycleApiEnabled: read.boolean('LIFECYCLE_API_ENABLED', false),
    logLevel: read.oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info'),
    auth: readAuthSettings(read, problems),
    history: Object.freeze({
      enabled: read.boolean('HISTORY_ENABLED', true),
      retentionMs: read.duration('HISTORY_RETENTION', '7d', 3600_000),
    }),
    query: Object.freeze({
      timeoutMs: read.duration('QUERY_TIMEOUT', '2m', 1),
      maxSamples: read.integer('QUERY_MAX_SAMPLES', 50_000_000, 1, 2 ** 31 - 1),
      maxConcurrency: read.integer('QUERY_MAX_CONCURRENCY', 20, 1, 10_000),
    }),
    groupTtl: readTtlPolicy(read, problems),
    pushBatch: Object.freeze({
      maxPushes: read.integer('PUSH_BATCH_MAX', 32, 1, 1000),
      windowUs: read.integer('PUSH_BATCH_WINDOW_US', 0, 0, 100_000),
      inFlight: read.integer('PUSH_BATCH_IN_FLIGHT', 2, 1, 1000),
    }),
    workers: read.integer('WORKERS', 1, 1, 256),
    http: Object.freeze({
      maxHeaderBytes: read.integer('HTTP_MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
      headersTimeoutMs: read.duration('HTTP_HEADERS_TIMEOUT', '10s', 100),
      requestTimeoutMs: read.duration('HTTP_REQUEST_TIMEOUT', '60s', 100),
      keepAliveTimeoutMs: read.duration('HTTP_KEEPALIVE_TIMEOUT', '65s', 100),
    }),
  };
  if (config.workers > 1 && config.databaseUrl === undefined) {
    problems.push(`WORKERS=${config.workers}: needs DATABASE_URL (the embedded engine serves one process)`);
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze(config);
}

function readTtlPolicy(read: EnvReader, problems: string[]): TtlPolicy {
  const seconds = (name: string): number | undefined => {
    const text = read.optional(name);
    if (text === undefined) {
      return undefined;
    }
    try {
      return parseDuration(text) / 1000;
    } catch {
      problems.push(`${name}=${JSON.stringify(text)}: expected a duration such as 1h or 7d, or 0 for never`);
      return undefined;
    }
  };
  let tenantDefaults: Record<string, number> = {};
  const tenants = read.optional('GROUP_TTL_TENANTS');
  if (tenants !== undefined) {
    try {
      tenantDefaults = parseTenantTtls(tenants);
    } catch (error) {
      problems.push(`GROUP_TTL_TENANTS: ${(error as Error).message}`);
    }
  }
  const max = seconds('GROUP_TTL_MAX');
  return Object.freeze({ defaultSeconds: seconds('GROUP_TTL'), maxSeconds: max === 0 ? undefined : max, tenantDefaults: Object.freeze(tenantDefaults) });
}

function readAuthSettings(read: EnvReader, problems: string[]): AuthSettings {
  const jwtSecret = read.optional('AUTH_JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret, 'utf8') < 32) {
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    problems.push('AUTH_JWT_SECRET: expected at least 32 bytes');
  }
  const jwtPublicKeyFile = read.optional('AUTH_JWT_PUBLIC_KEY_FILE');
  const jwksFile = read.optional('AUTH_JWKS_FILE');
  const ttl = read.optional('AUTH_TOKEN_DEFAULT_TTL') ?? '30d';
  let tokenDefaultTtlSeconds = 30 * 86400;
  try {
    tokenDefaultTtlSeconds = parseTtl(ttl);
  } catch (error) {
    problems.push(`AUTH_TOKEN_DEFAULT_TTL: ${(error as Error).message}`);
  }
  return Object.freeze({
    enabled: jwtSecret !== undefined || jwtPublicKeyFile !== undefined || jwksFile !== undefined,
    jwtSecret,
    jwtPublicKeyFile,
    jwksFile,
    issuer: read.optional('AUTH_JWT_ISSUER'),
    audience: Object.freeze(
      (read.optional('AUTH_JWT_AUDIENCE') ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
    clockSkewSeconds: read.integer('AUTH_CLOCK_SKEW_SECONDS', 30, 0, 3600),
    cacheTtlSeconds: read.integer('AUTH_CACHE_TTL_SECONDS', 60, 0, 86400),
    cacheMaxEntries: read.integer('AUTH_CACHE_MAX_ENTRIES', 10000, 0, 10_000_000),
    revocationPollMs: read.integer('AUTH_REVOCATION_POLL_MS', 1000, 50, 5000),
    tokenDefaultTtlSeconds,
  });
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) {
      return fallback;
    }
    if (['true', '1', 'yes', 'on'].includes(value)) {
      return true;
    }
    if (['false', '0', 'no', 'off'].includes(value)) {
      return false;
    }
    this.problems.push(`${name}=${JSON.stringify(value)}: expected true or false`);
    return fallback;
  }

  /** A Prometheus duration (`7d`, `36h`, `1w2d`) in ms, at least `minMs`. */
  duration(name: string, fallback: string, minMs: number): number {
    const value = this.raw(name) ?? fallback;
    let ms: number | undefined;
    try {
      ms = parseDuration(value);
    } catch {
      ms = undefined;
    }
    if (ms === undefined || ms < minMs) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected a duration such as 7d or 36h, at least ${minMs / 1000}s`);
      return parseDuration(fallback);
    }
    return ms;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  routePrefix(name: string): string {
    const value = this.raw(name);
    if (value === undefined || value === '/') {
      return '';
    }
    if (!value.startsWith('/') || /[?#\s]/.test(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected a path starting with "/"`);
      return '';
    }
    return value.replace(/\/+$/, '');
  }

  databaseUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      return undefined;
    }
    try {
      parseConnectionUrl(value);
    } catch (error) {
      // The URL itself is not echoed: it may hold a password.
      this.problems.push(`${name}: ${(error as Error).message}`);
      return undefined;
    }
    return value;
  }
}
