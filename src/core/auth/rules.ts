import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';
import { TENANT_LABEL } from 'src/core/grouping/grouping-key';
import { ANY_TENANT, isOperator, Principal } from 'src/core/auth/principal';
import { RouteAccess } from 'src/core/auth/route-access';

/** Outcome of an authorization check; a refusal is always HTTP 403. */
export type Decision = { allowed: true } | { allowed: false; message: string };

const ALLOW: Decision = { allowed: true };

/** Whether a verified principal may use a route (scope, and operator-only routes). Public routes allow anyone. */
export function authorize(principal: Principal, access: RouteAccess): Decision {
  if (access.kind === 'public') {
    return ALLOW;
  }
  if (!principal.scopes.includes(access.scope)) {
    return { allowed: false, message: `token lacks the ${access.scope} scope` };
  }
  if (access.operatorOnly && !isOperator(principal)) {
    return { allowed: false, message: 'this endpoint needs an operator token' };
  }
  return ALLOW;
}

/**
 * A tenant token may only push with its own tenant in `tenant_userid`: a grouping key (URL) label
 * of that name with another value is refused. Operator tokens may use any value (an ordinary label).
 */
export function checkGroupingLabels(principal: Principal, grouping: Labels): Decision {
  const value = grouping[TENANT_LABEL];
  if (isOperator(principal) || value === undefined || value === principal.tenant) {
    return ALLOW;
  }
  return { allowed: false, message: `${TENANT_LABEL} in the grouping key is outside the token's tenant` };
}

/** Like checkGroupingLabels, for the series of a pushed body. */
export function checkPushedSeries(principal: Principal, families: readonly MetricFamily[]): Decision {
  if (isOperator(principal)) {
    return ALLOW;
  }
  for (const mf of families) {
    for (const m of mf.metric) {
      if (m.label.some((l) => l.name === TENANT_LABEL && l.value !== principal.tenant)) {
        return { allowed: false, message: `${TENANT_LABEL} of a pushed series is outside the token's tenant` };
      }
    }
  }
  return ALLOW;
}

/**
 * The tenant whose groups a reader sees: its own for a tenant token, undefined (every group) for an
 * operator token or when auth is off (no principal).
 */
export function readTenantOf(principal: Principal | undefined): string | undefined {
  return principal?.tenant;
}

/**
 * The tenant read rule, the one place it is written: whether a group (or series) of `ownerTenant`
 * ('' without auth) is visible to a reader whose read tenant (readTenantOf) is `readTenant`.
 */
export function visibleTo(readTenant: string | undefined, ownerTenant: string): boolean {
  return readTenant === undefined || ownerTenant === readTenant;
}

/** The items of `items` visible to `readTenant` (see visibleTo); the same array when it sees all. */
export function visibleItems<T extends { tenant: string }>(items: readonly T[], readTenant: string | undefined): readonly T[] {
  return readTenant === undefined ? items : items.filter((item) => item.tenant === readTenant);
}

/** A push or delete refused by a tenant rule (checkGroupingLabels, checkPushedSeries). HTTP 403. */
export class TenantRefusedError extends Error {}

/** Throws TenantRefusedError for a refusal. */
export function enforceDecision(decision: Decision): void {
  if (!decision.allowed) {
    throw new TenantRefusedError(decision.message);
  }
}

/**
 * The tenant a new token is issued for (undefined: an operator token). `requested` is a validated
 * tenant name, `*`, or undefined (none given). Operators may issue for any tenant or, with `*` or
 * none, another operator token; a tenant admin only for its own tenant, which is also the default.
 */
export function tenantToIssue(principal: Principal, requested: string | undefined): { allowed: true; tenant?: string } | { allowed: false; message: string } {
  if (isOperator(principal)) {
    return { allowed: true, tenant: requested === ANY_TENANT ? undefined : requested };
  }
  if (requested === undefined || requested === principal.tenant) {
    return { allowed: true, tenant: principal.tenant };
  }
  return { allowed: false, message: "tokens can only be issued for the token's own tenant" };
}

/** Whether a principal may see or revoke a token of `tokenTenant` (undefined: an operator token). */
export function canManageToken(principal: Principal, tokenTenant: string | undefined): boolean {
  return isOperator(principal) || tokenTenant === principal.tenant;
}
