import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { ClientError } from 'src/http/domain-error.filter';
import { ANY_TENANT, InvalidClaimsError, isValidTenant, parseScopeList, Principal } from 'src/core/auth/principal';
import { canManageToken, tenantToIssue } from 'src/core/auth/rules';
import { InvalidTtlError, parseTtl } from 'src/core/auth/ttl';
import { issuedClaims, TokenGrant } from 'src/core/auth/token-claims';
import { rfc3339 } from 'src/core/scrape/json-api';
import { signToken } from 'src/auth/token-signer';
import { IssuedToken, TokenRepository } from 'src/auth/token.repository';
import { RevocationService } from 'src/auth/revocation.service';

/** Response of POST /api/v1/admin/tokens. The token is shown once and never stored. */
export interface IssuedTokenResponse {
  token: string;
  id: string;
  expires_at: string;
  tenant: string;
  scope: string;
}

/** Metadata of one issued token as GET /api/v1/admin/tokens lists it. */
export interface TokenMetadata {
  id: string;
  tenant: string;
  scope: string;
  issued_at: string;
  expires_at: string;
  issued_by: string | null;
  revoked_at: string | null;
}

/** Token management for the admin API: issue (HS256), list metadata, revoke. Tenant rules come from the core. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: TokenRepository,
    private readonly revocations: RevocationService,
  ) {}

  /** Issues a token for `{tenant?, scope, ttl?}` (JSON body) and records its metadata. */
  async issue(principal: Principal | undefined, body: unknown): Promise<IssuedTokenResponse> {
    const caller = this.callerOf(principal);
    const secret = this.config.auth.jwtSecret;
    if (secret === undefined) {
      throw new ClientError(501, 'issuing tokens needs AUTH_JWT_SECRET');
    }
    const grant = this.grantOf(caller, parseJson(body));
    const id = randomUUID();
    const now = Date.now() / 1000;
    const claims = issuedClaims(grant, { nowSeconds: now, jti: id, issuer: this.config.auth.issuer, audience: this.config.auth.audience[0] });
    const token = await signToken(claims, secret);
    await this.repository.insertIssued({
      id,
      tenant: grant.tenant,
      scope: claims.scope,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      issuedBy: caller.subject ?? caller.tokenId,
    });
    return { token, id, expires_at: rfc3339(claims.exp), tenant: claims.tenant, scope: claims.scope };
  }

  /** Metadata of the issued tokens the caller may manage, oldest first. */
  async list(principal: Principal | undefined): Promise<{ tokens: TokenMetadata[] }> {
    const caller = this.callerOf(principal);
    const tokens = await this.repository.listIssued(caller.tenant);
    return { tokens: tokens.map(metadataOf) };
  }

  /**
   * Revokes a token id on every replica. Operators may revoke any id, also of tokens issued
   * elsewhere (CLI, identity provider); tenant admins only tokens issued here for their tenant
   * (others are 404, so ids of other tenants are not confirmed).
   */
  async revoke(principal: Principal | undefined, id: string): Promise<void> {
    const caller = this.callerOf(principal);
    const issued = await this.repository.findIssued(id);
    if (issued === undefined ? caller.tenant !== undefined : !canManageToken(caller, issued.tenant)) {
      throw new ClientError(404, 'token not found');
    }
    await this.revocations.revoke(id, issued?.expiresAt);
  }

  private callerOf(principal: Principal | undefined): Principal {
    if (!this.config.auth.enabled || principal === undefined) {
      // Without auth there is nobody to issue tokens to: the endpoints do not exist.
      throw new NotFoundException();
    }
    return principal;
  }

  private grantOf(caller: Principal, body: Record<string, unknown>): TokenGrant {
    const { tenant, scope, ttl } = body;
    if (tenant !== undefined && tenant !== null && !(typeof tenant === 'string' && (tenant === ANY_TENANT || isValidTenant(tenant)))) {
      throw new ClientError(400, 'tenant must be "*" or a tenant name of 1 to 128 characters');
    }
    const target = tenantToIssue(caller, typeof tenant === 'string' ? tenant : undefined);
    if (!target.allowed) {
      throw new ClientError(403, target.message);
    }
    try {
      return {
        tenant: target.tenant,
        scopes: parseScopeList(scope),
        ttlSeconds: ttl === undefined || ttl === null ? this.config.auth.tokenDefaultTtlSeconds : parseTtl(ttl as string | number),
      };
    } catch (error) {
      if (error instanceof InvalidClaimsError || error instanceof InvalidTtlError) {
        throw new ClientError(400, error.message);
      }
      throw error;
    }
  }
}

function parseJson(body: unknown): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? ''));
  } catch {
    throw new ClientError(400, 'expected a JSON object {"tenant", "scope", "ttl"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientError(400, 'expected a JSON object {"tenant", "scope", "ttl"}');
  }
  return value as Record<string, unknown>;
}

function metadataOf(t: IssuedToken): TokenMetadata {
  return {
    id: t.id,
    tenant: t.tenant ?? ANY_TENANT,
    scope: t.scope,
    issued_at: rfc3339(t.issuedAt),
    expires_at: rfc3339(t.expiresAt),
    issued_by: t.issuedBy ?? null,
    revoked_at: t.revokedAt === undefined ? null : rfc3339(t.revokedAt),
  };
}
