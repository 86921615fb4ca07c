import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { jose } from 'src/auth/jose-lazy';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { InvalidClaimsError, Principal, principalFromClaims } from 'src/core/auth/principal';
import { VerifiedTokenCache } from 'src/core/auth/verified-cache';
import { loadVerificationKeys, VerificationKeys } from 'src/auth/verification-keys';
import { RevocationService } from 'src/auth/revocation.service';

/** A token was refused; `reason` is for the debug log only, never for the response. */
export class TokenRejectedError extends Error {
  constructor(readonly reason: string) {
    super('invalid token');
  }
}

/**
 * Verifies bearer tokens with jose: signature with the configured keys (`alg: none` never passes),
 * `exp`/`nbf` with the configured clock skew, `iss`/`aud` when configured, required `exp` and `jti`,
 * then the claims (core rules) and the revocation list. Verified principals are cached by SHA-256
 * of the token, never beyond `exp`; the revocation list is consulted on every call, cached or not.
 */
@Injectable()
export class TokenVerifier {
  private readonly keys: VerificationKeys | undefined;
  private readonly cache: VerifiedTokenCache;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly revocations: RevocationService,
  ) {
    const auth = config.auth;
    this.keys = auth.enabled ? loadVerificationKeys(auth) : undefined;
    this.cache = new VerifiedTokenCache(auth.cacheTtlSeconds * 1000, auth.cacheMaxEntries);
  }

  /** The principal of a valid, unrevoked token. Throws TokenRejectedError. */
  async verify(token: string): Promise<Principal> {
    const now = Date.now();
    const hash = createHash('sha256').update(token).digest('base64');
    const principal = this.cache.get(hash, now) ?? (await this.verifySignature(token, hash, now));
    if (this.revocations.isRevoked(principal.tokenId)) {
      throw new TokenRejectedError('revoked');
    }
    return principal;
  }

  private async verifySignature(token: string, hash: string, now: number): Promise<Principal> {
    if (this.keys === undefined) {
      throw new TokenRejectedError('auth is disabled');
    }
    const auth = this.config.auth;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose().jwtVerify(token, this.keys.resolve, {
        algorithms: this.keys.algorithms,
        issuer: auth.issuer,
        audience: auth.audience.length > 0 ? [...auth.audience] : undefined,
        clockTolerance: auth.clockSkewSeconds,
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw new TokenRejectedError(error instanceof jose().errors.JOSEError ? `${error.code}: ${error.message}` : String(error));
    }
    let principal: Principal;
    try {
      principal = principalFromClaims(payload);
    } catch (error) {
      throw new TokenRejectedError(error instanceof InvalidClaimsError ? error.message : String(error));
    }
    this.cache.set(hash, principal, now);
    return principal;
  }
}
