import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { ClientError } from 'src/http/domain-error.filter';
import { credentialsOf } from 'src/core/auth/credentials';
import { routeAccess } from 'src/core/auth/route-access';
import { authorize, Decision } from 'src/core/auth/rules';
import { Principal } from 'src/core/auth/principal';
import { TokenRejectedError, TokenVerifier } from 'src/auth/token-verifier.service';
import 'src/auth/request-principal';

/**
 * Both challenges: stock SDKs and browsers only answer Basic, API clients use Bearer. One per
 * header line: Chromium reads a single challenge per line, so with both on one line it saw only
 * Bearer and never offered its login prompt (found by the status page's browser test). Clients
 * that join the lines see `Bearer realm="pushgateway", Basic realm="pushgateway"` as before.
 */
export const WWW_AUTHENTICATE = ['Bearer realm="pushgateway"', 'Basic realm="pushgateway"'];

/**
 * The global guard (APP_GUARD): every route, including ones added later, passes through it. With
 * auth off it lets everything through. With auth on it classifies the route (core routeAccess; a
 * route nobody classified needs an operator admin token), reads the token (Bearer, or BasicAuth
 * password), verifies it, checks scope and tenant, and attaches the principal to the request.
 * 401 with both challenges for a missing or invalid token, 403 for a valid one that may not do this.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.auth.enabled || context.getType() !== 'http') {
      return true;
    }
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const access = routeAccess(req.method, this.routeOf(req));
    if (access.kind === 'public') {
      return true;
    }
    const principal = await this.authenticate(req, context.switchToHttp().getResponse<FastifyReply>());
    enforce(authorize(principal, access));
    req.principal = principal;
    if (access.push && principal.tenant !== undefined) {
      // The tenant rules on the grouping key and pushed series run in the ingest service, after its
      // single parse of the path and body.
      req.tenant = principal.tenant;
    }
    return true;
  }

  private async authenticate(req: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const credentials = credentialsOf(req.headers.authorization);
    if (credentials.kind !== 'token') {
      throw unauthorized(reply, credentials.kind === 'none' ? 'authentication required' : 'invalid credentials');
    }
    try {
      return await this.verifier.verify(credentials.token);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        this.logger.debug(`token refused (${credentials.scheme}): ${error.reason}`);
        throw unauthorized(reply, 'invalid or expired token');
      }
      throw error;
    }
  }

  /** The matched route pattern without the route prefix, e.g. `/metrics/*`. */
  private routeOf(req: FastifyRequest): string {
    const route = req.routeOptions.url ?? req.url.split('?')[0];
    const prefix = this.config.routePrefix;
    const bare = prefix !== '' && route.startsWith(prefix) ? route.slice(prefix.length) : route;
    return bare === '' ? '/' : bare;
  }
}

function unauthorized(reply: FastifyReply, message: string): ClientError {
  void reply.header('WWW-Authenticate', WWW_AUTHENTICATE);
  return new ClientError(401, message);
}

function enforce(decision: Decision): void {
  if (!decision.allowed) {
    throw new ClientError(403, decision.message);
  }
}
