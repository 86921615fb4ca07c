import { ANY_TENANT, Scope } from 'src/core/auth/principal';

/** What a token is issued for. */
export interface TokenGrant {
  /** undefined issues an operator token (`tenant: "*"`). */
  tenant?: string;
  scopes: readonly Scope[];
  ttlSeconds: number;
}

/** The claims of a token the gateway issues (CLI and admin API). */
export interface IssuedClaims {
  tenant: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  iss?: string;
  aud?: string;
}

/**
 * Claims for a new token: `tenant` (`*` for an operator token), `scope` space-separated, `jti`,
 * `iat` = now and `exp` = now + ttl (Unix seconds), and `iss`/`aud` when the gateway checks them, so
 * its own tokens pass its own verification. `nowSeconds` and `jti` come from the caller.
 */
export function issuedClaims(grant: TokenGrant, opts: { nowSeconds: number; jti: string; issuer?: string; audience?: string }): IssuedClaims {
  const iat = Math.floor(opts.nowSeconds);
  return {
    tenant: grant.tenant ?? ANY_TENANT,
    scope: grant.scopes.join(' '),
    jti: opts.jti,
    iat,
    exp: iat + grant.ttlSeconds,
    ...(opts.issuer === undefined ? {} : { iss: opts.issuer }),
    ...(opts.audience === undefined ? {} : { aud: opts.audience }),
  };
}
