import { parseDuration } from 'src/core/promql/duration';

/** How long groups live after their last successful push (DESIGN §5b). All durations in seconds. */
export interface TtlPolicy {
  /** GROUP_TTL: the default; undefined: groups never expire (upstream). */
  defaultSeconds?: number;
  /** GROUP_TTL_MAX: no push may ask for longer (or for never); undefined: no cap. */
  maxSeconds?: number;
  /** GROUP_TTL_TENANTS: per-tenant defaults, overriding GROUP_TTL for that tenant. */
  tenantDefaults: Readonly<Record<string, number>>;
}

/** The request header a push sets its own TTL with. */
export const TTL_HEADER = 'x-pushgateway-ttl';

/** A bad `X-Pushgateway-TTL` value (HTTP 400). */
export class GroupTtlError extends Error {}

/**
 * The TTL of a push, in seconds, or undefined for "never expires": the push's own header value
 * (a Prometheus duration such as `10m`; `0` for never) when given, else its tenant's default, else
 * the global default; then capped by the maximum (which also turns "never" into the maximum).
 * Throws GroupTtlError for a header that is not a duration.
 */
export function groupTtl(policy: TtlPolicy, header: string | undefined, tenant: string): number | undefined {
  let seconds: number | undefined;
  if (header !== undefined) {
    seconds = parseTtlHeader(header.trim());
  } else {
    seconds = policy.tenantDefaults[tenant] ?? policy.defaultSeconds;
  }
  if (seconds === 0) {
    seconds = undefined;
  }
  if (policy.maxSeconds !== undefined && (seconds === undefined || seconds > policy.maxSeconds)) {
    return policy.maxSeconds;
  }
  return seconds;
}

function parseTtlHeader(text: string): number {
  try {
    return parseDuration(text) / 1000;
  } catch {
    throw new GroupTtlError(`X-Pushgateway-TTL: expected a duration such as 10m or 1h30m, or 0 for never, got ${JSON.stringify(text)}`);
  }
}

/**
 * Parses GROUP_TTL_TENANTS (`tenantA=1h,tenantB=10m`) into seconds per tenant. Throws Error naming
 * the bad entry.
 */
export function parseTenantTtls(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const eq = entry.lastIndexOf('=');
    const tenant = entry.slice(0, eq).trim();
    if (eq <= 0 || tenant === '') {
      throw new Error(`expected tenant=duration, got ${JSON.stringify(entry)}`);
    }
    out[tenant] = parseDuration(entry.slice(eq + 1).trim()) / 1000;
  }
  return out;
}

/** Unix seconds at which a group pushed at `pushTime` with `ttlSeconds` expires; undefined: never. */
export function expiryOf(pushTime: number, ttlSeconds: number | undefined | null): number | undefined {
  return ttlSeconds === undefined || ttlSeconds === null || pushTime <= 0 ? undefined : pushTime + ttlSeconds;
}
