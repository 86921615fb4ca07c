import { InvalidClaimsError, isValidTenant, parseScopeList, principalFromClaims } from 'src/core/auth/principal';

const base = { exp: 2_000_000_000, jti: 'id-1' };

describe('principalFromClaims', () => {
  it.each<[string, Record<string, unknown>, { tenant?: string; scopes: string[] }]>([
    ['tenant token with two scopes', { ...base, tenant: 'acme', scope: 'push read' }, { tenant: 'acme', scopes: ['push', 'read'] }],
    ['absent tenant is an operator', { ...base, scope: 'admin' }, { tenant: undefined, scopes: ['admin'] }],
    ['star tenant is an operator', { ...base, tenant: '*', scope: 'read' }, { tenant: undefined, scopes: ['read'] }],
    ['scope array', { ...base, tenant: 't', scope: ['read', 'push'] }, { tenant: 't', scopes: ['push', 'read'] }],
    ['unknown scopes ignored', { ...base, scope: 'openid read profile' }, { tenant: undefined, scopes: ['read'] }],
    ['no scope claim: no scopes', { ...base, tenant: 't' }, { tenant: 't', scopes: [] }],
    ['repeated spaces', { ...base, scope: 'push  admin' }, { tenant: undefined, scopes: ['push', 'admin'] }],
    ['unicode tenant', { ...base, tenant: 'münchen-1', scope: 'read' }, { tenant: 'münchen-1', scopes: ['read'] }],
  ])('%s', (_name, claims, expected) => {
    const p = principalFromClaims(claims);
    expect({ tenant: p.tenant, scopes: p.scopes }).toEqual(expected);
    expect(p.tokenId).toBe(claims.jti);
    expect(p.expiresAt).toBe(claims.exp);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['missing exp', { jti: 'x' }, 'exp'],
    ['string exp', { jti: 'x', exp: '2000000000' }, 'exp'],
    ['missing jti', { exp: 2e9 }, 'jti'],
    ['empty jti', { exp: 2e9, jti: '' }, 'jti'],
    ['numeric tenant', { ...base, tenant: 42 }, 'tenant'],
    ['empty tenant', { ...base, tenant: '' }, 'tenant'],
    ['tenant with newline', { ...base, tenant: 'a\nb' }, 'tenant'],
    ['overlong tenant', { ...base, tenant: 'x'.repeat(129) }, 'tenant'],
    ['scope object', { ...base, scope: { push: true } }, 'scope'],
    ['scope array with number', { ...base, scope: ['push', 1] }, 'scope'],
  ])('refuses %s', (_name, claims, claim) => {
    expect(() => principalFromClaims(claims)).toThrow(InvalidClaimsError);
    expect(() => principalFromClaims(claims)).toThrow(claim);
  });
});

describe('isValidTenant', () => {
  it.each<[string, string, boolean]>([
    ['plain', 'acme', true],
    ['128 characters', 'a'.repeat(128), true],
    ['star', '*', false],
    ['empty', '', false],
    ['tab', 'a\tb', false],
    ['DEL', 'a\u007fb', false],
  ])('%s', (_name, tenant, valid) => {
    expect(isValidTenant(tenant)).toBe(valid);
  });
});

describe('parseScopeList', () => {
  it.each<[string, unknown, string[]]>([
    ['space separated', 'push read', ['push', 'read']],
    ['comma separated', 'admin,read', ['read', 'admin']],
    ['array, duplicates folded', ['read', 'read', 'push'], ['push', 'read']],
  ])('%s', (_name, input, expected) => {
    expect(parseScopeList(input)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['empty string', ''],
    ['empty array', []],
    ['unknown scope', 'push write'],
    ['number', 7],
  ])('refuses %s', (_name, input) => {
    expect(() => parseScopeList(input)).toThrow(InvalidClaimsError);
  });
});
