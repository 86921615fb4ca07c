/** The permissions a token can carry. */
export type Scope = 'push' | 'read' | 'admin';

export const SCOPES: readonly Scope[] = ['push', 'read', 'admin'];

/** Tenant claim value (or absence) that makes an operator token, spanning every tenant. */
export const ANY_TENANT = '*';

/** Longest tenant name accepted; it becomes a label value and part of lock keys. */
export const MAX_TENANT_LENGTH = 128;

/** Who a verified token speaks for. Plain data; attached to the request by the auth guard. */
export interface Principal {
  /** The token's tenant; undefined for an operator token (no `tenant` claim, or `*`). */
  readonly tenant?: string;
  /** Known scopes of the token, in SCOPES order; unknown scope names are dropped. */
  readonly scopes: readonly Scope[];
  /** The `jti` claim: the id revocation works on. */
  readonly tokenId: string;
  /** The `sub` claim, when present (logging only). */
  readonly subject?: string;
  /** The `exp` claim, Unix seconds. */
  readonly expiresAt: number;
}

/** A token's signature was fine but its claims are not usable. The message names the claim. */
export class InvalidClaimsError extends Error {}

/** True for an operator token (spans tenants). */
export function isOperator(principal: Principal): boolean {
  return principal.tenant === undefined;
}

/**
 * Builds the principal from verified JWT claims. `exp` (number) and `jti` (non-empty string) are
 * required; `tenant` is absent, `*` (operator) or a tenant name (see isValidTenant); `scope` is a
 * space-separated string or an array of strings (absent: no scopes). Unknown scope names are ignored
 * so that tokens from an identity provider may carry other scopes too.
 * Throws InvalidClaimsError on the first unusable claim.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>): Principal {
  const { exp, jti, sub, tenant } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new InvalidClaimsError('claim "exp" must be a number');
  }
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
    throw new InvalidClaimsError('claim "jti" must be a non-empty string');
  }
  if (tenant !== undefined && tenant !== ANY_TENANT && !(typeof tenant === 'string' && isValidTenant(tenant))) {
    throw new InvalidClaimsError('claim "tenant" must be "*" or a tenant name');
  }
  return {
    tenant: tenant === undefined || tenant === ANY_TENANT ? undefined : tenant,
    scopes: scopesOfClaim(claims.scope),
    tokenId: jti,
    subject: typeof sub === 'string' ? sub : undefined,
    expiresAt: exp,
  };
}

/** A tenant name: 1 to 128 characters, no control characters, not `*`. */
export function isValidTenant(tenant: string): boolean {
  return tenant !== ANY_TENANT && tenant.length > 0 && tenant.length <= MAX_TENANT_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(tenant);
}

function scopesOfClaim(claim: unknown): Scope[] {
  if (claim === undefined) {
    return [];
  }
  let names: unknown[];
  if (typeof claim === 'string') {
    names = claim.split(' ');
  } else if (Array.isArray(claim)) {
    names = claim;
  } else {
    throw new InvalidClaimsError('claim "scope" must be a string or an array of strings');
  }
  if (names.some((n) => typeof n !== 'string')) {
    throw new InvalidClaimsError('claim "scope" must be a string or an array of strings');
  }
  return SCOPES.filter((s) => names.includes(s));
}

/** Parses a scope list for issuing (`"push read"`, or an array): strict, no duplicates kept, at least one. */
export function parseScopeList(input: unknown): Scope[] {
  const names = typeof input === 'string' ? input.split(/[\s,]+/).filter((s) => s !== '') : input;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw new InvalidClaimsError('scope must be a non-empty list of push, read, admin');
  }
  const unknown = names.filter((n) => !(SCOPES as readonly unknown[]).includes(n));
  if (unknown.length > 0) {
    throw new InvalidClaimsError(`unknown scope ${JSON.stringify(unknown[0])}; expected push, read or admin`);
  }
  return SCOPES.filter((s) => names.includes(s));
}
