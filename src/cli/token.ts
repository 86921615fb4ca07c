import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from 'src/config/env.schema';
import { ANY_TENANT, InvalidClaimsError, isValidTenant, parseScopeList } from 'src/core/auth/principal';
import { InvalidTtlError, parseTtl } from 'src/core/auth/ttl';
import { issuedClaims } from 'src/core/auth/token-claims';
import { signToken } from 'src/auth/token-signer';

const USAGE = `usage: npm run token -- [--tenant T] --scope "push read admin" [--ttl 30d] [--json]
  Prints an HS256 token signed with AUTH_JWT_SECRET (with AUTH_JWT_ISSUER / first AUTH_JWT_AUDIENCE
  as iss / aud when set). Without --tenant (or with --tenant '*') the token is an operator token.
  --json prints {"token","id","expires_at"} instead of the bare token.
`;

/**
 * `npm run token`: issues a token offline from the shared secret. The token is not recorded in the
 * database (the admin API records the tokens it issues); revoke it by its id (printed with --json,
 * or the `jti` claim) through DELETE /api/v1/admin/tokens/<id>.
 */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenant: { type: 'string' },
      scope: { type: 'string' },
      ttl: { type: 'string', default: '30d' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || values.scope === undefined) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(process.env);
  const secret = config.auth.jwtSecret;
  if (secret === undefined) {
    process.stderr.write('AUTH_JWT_SECRET is not set: it signs the token and lets the gateway verify it.\n');
    return 2;
  }
  const tenant = values.tenant === undefined || values.tenant === ANY_TENANT ? undefined : values.tenant;
  if (tenant !== undefined && !isValidTenant(tenant)) {
    process.stderr.write('--tenant: expected 1 to 128 characters without control characters\n');
    return 2;
  }
  const id = randomUUID();
  const claims = issuedClaims(
    { tenant, scopes: parseScopeList(values.scope), ttlSeconds: parseTtl(values.ttl ?? '30d') },
    { nowSeconds: Date.now() / 1000, jti: id, issuer: config.auth.issuer, audience: config.auth.audience[0] },
  );
  const token = await signToken(claims, secret);
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ token, id, expires_at: new Date(claims.exp * 1000).toISOString(), tenant: claims.tenant, scope: claims.scope })}\n`
      : `${token}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    const usage = error instanceof TypeError || error instanceof InvalidClaimsError || error instanceof InvalidTtlError;
    process.exit(usage ? 2 : 1);
  },
);
