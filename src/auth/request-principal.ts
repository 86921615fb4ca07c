import { FastifyRequest } from 'fastify';
import { Principal } from 'src/core/auth/principal';
import { readTenantOf } from 'src/core/auth/rules';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified caller, set by AuthGuard before any handler runs when auth is enabled;
     * undefined when auth is off (then everyone may do everything, upstream style).
     * Read it with principalOf(req) / readTenantOf(req).
     */
    principal?: Principal;
    /** The tenant pushes and deletes act on (a tenant token's tenant); read by pushPathOf. */
    tenant?: string;
  }
}

/** The verified caller of a request; undefined when auth is off. */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return req.principal;
}

/**
 * Whose groups a read may see: a tenant token's tenant, or undefined for everything (operator
 * token, or auth off). Read endpoints filter StoredGroup.tenant with it; a query API should filter
 * series the same way (only groups with `tenant === readTenant`, when readTenant is defined).
 */
export function readTenantOfRequest(req: FastifyRequest): string | undefined {
  return readTenantOf(req.principal);
}
