import { issuedClaims } from 'src/core/auth/token-claims';
import { principalFromClaims } from 'src/core/auth/principal';

describe('issuedClaims', () => {
  it.each<[string, Parameters<typeof issuedClaims>[0], Parameters<typeof issuedClaims>[1], Record<string, unknown>]>([
    [
      'tenant token',
      { tenant: 'acme', scopes: ['push', 'read'], ttlSeconds: 60 },
      { nowSeconds: 1000.7, jti: 'j1' },
      { tenant: 'acme', scope: 'push read', jti: 'j1', iat: 1000, exp: 1060 },
    ],
    [
      'operator token with issuer and audience',
      { scopes: ['admin'], ttlSeconds: 10 },
      { nowSeconds: 5, jti: 'j2', issuer: 'gw', audience: 'pgw' },
      { tenant: '*', scope: 'admin', jti: 'j2', iat: 5, exp: 15, iss: 'gw', aud: 'pgw' },
    ],
  ])('%s', (_name, grant, opts, expected) => {
    expect(issuedClaims(grant, opts)).toEqual(expected);
  });

  it('round-trips through principalFromClaims', () => {
    const claims = issuedClaims({ tenant: 't', scopes: ['read', 'admin'], ttlSeconds: 100 }, { nowSeconds: 0, jti: 'x' });
    expect(principalFromClaims({ ...claims })).toEqual({ tenant: 't', scopes: ['read', 'admin'], tokenId: 'x', subject: undefined, expiresAt: 100 });
  });
});
