import { Principal, Scope } from 'src/core/auth/principal';
import { routeAccess } from 'src/core/auth/route-access';
import { authorize, canManageToken, checkGroupingLabels, checkPushedSeries, readTenantOf, tenantToIssue, visibleItems, visibleTo } from 'src/core/auth/rules';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

function principal(tenant: string | undefined, ...scopes: Scope[]): Principal {
  return { tenant, scopes, tokenId: 'jti', expiresAt: 2e9 };
}

function family(...tenants: (string | undefined)[]): MetricFamily {
  return {
    name: 'm',
    help: '',
    type: MetricType.GAUGE,
    metric: tenants.map((t) => ({ label: t === undefined ? [{ name: 'a', value: '1' }] : [{ name: 'tenant_userid', value: t }], gauge: { value: 1 } })),
  };
}

const acme = (...s: Scope[]): Principal => principal('acme', ...s);
const operator = (...s: Scope[]): Principal => principal(undefined, ...s);

describe('authorize', () => {
  it.each<[string, Principal, string, string, boolean]>([
    ['push token pushes', acme('push'), 'PUT', '/metrics/*', true],
    ['read token cannot push', acme('read'), 'POST', '/metrics/*', false],
    ['push token deletes', acme('push'), 'DELETE', '/metrics/*', true],
    ['push token cannot scrape', acme('push'), 'GET', '/metrics', false],
    ['read token scrapes', acme('read'), 'GET', '/metrics', true],
    ['read token reads JSON API', acme('read'), 'GET', '/api/v1/metrics', true],
    ['read token cannot wipe', operator('read', 'push'), 'PUT', '/api/v1/admin/wipe', false],
    ['tenant admin may wipe (own tenant)', acme('admin'), 'PUT', '/api/v1/admin/wipe', true],
    ['tenant admin may manage tokens', acme('admin'), 'POST', '/api/v1/admin/tokens', true],
    ['tenant admin may not quit the gateway', acme('admin'), 'PUT', '/-/quit', false],
    ['operator admin may quit', operator('admin'), 'PUT', '/-/quit', true],
    ['no scopes: health still open', acme(), 'GET', '/-/healthy', true],
    ['no scopes: nothing else', acme(), 'GET', '/', false],
    ['admin does not imply read', operator('admin'), 'GET', '/metrics', false],
    ['unclassified write needs operator admin', acme('admin', 'push', 'read'), 'POST', '/api/v1/new', false],
  ])('%s', (_name, p, method, route, allowed) => {
    expect(authorize(p, routeAccess(method, route)).allowed).toBe(allowed);
  });

  it('names the missing scope', () => {
    expect(authorize(acme('read'), routeAccess('PUT', '/metrics/*'))).toEqual({ allowed: false, message: 'token lacks the push scope' });
  });
});

describe('checkGroupingLabels', () => {
  it.each<[string, Principal, Record<string, string>, boolean]>([
    ['no tenant label', acme('push'), { job: 'j' }, true],
    ['own tenant label', acme('push'), { job: 'j', tenant_userid: 'acme' }, true],
    ['other tenant label', acme('push'), { job: 'j', tenant_userid: 'evil' }, false],
    ['empty tenant label', acme('push'), { job: 'j', tenant_userid: '' }, false],
    ['operator: ordinary label', operator('push'), { job: 'j', tenant_userid: 'anything' }, true],
  ])('%s', (_name, p, labels, allowed) => {
    expect(checkGroupingLabels(p, labels).allowed).toBe(allowed);
  });
});

describe('checkPushedSeries', () => {
  it.each<[string, Principal, MetricFamily[], boolean]>([
    ['no tenant label', acme('push'), [family(undefined, undefined)], true],
    ['own tenant on every series', acme('push'), [family('acme'), family(undefined, 'acme')], true],
    ['one series of another tenant', acme('push'), [family('acme'), family(undefined, 'other')], false],
    ['operator: ordinary label', operator('push'), [family('x', 'y')], true],
    ['empty push', acme('push'), [], true],
  ])('%s', (_name, p, families, allowed) => {
    expect(checkPushedSeries(p, families).allowed).toBe(allowed);
  });
});

describe('readTenantOf', () => {
  it.each<[string, Principal | undefined, string | undefined]>([
    ['auth off', undefined, undefined],
    ['operator sees all', operator('read'), undefined],
    ['tenant sees own', acme('read'), 'acme'],
  ])('%s', (_name, p, expected) => {
    expect(readTenantOf(p)).toBe(expected);
  });
});

describe('tenantToIssue', () => {
  it.each<[string, Principal, string | undefined, ReturnType<typeof tenantToIssue>]>([
    ['operator issues for a tenant', operator('admin'), 'acme', { allowed: true, tenant: 'acme' }],
    ['operator issues an operator token', operator('admin'), undefined, { allowed: true, tenant: undefined }],
    ['operator issues an operator token with *', operator('admin'), '*', { allowed: true, tenant: undefined }],
    ['tenant admin, operator token', acme('admin'), '*', { allowed: false, message: "tokens can only be issued for the token's own tenant" }],
    ['tenant admin, own tenant', acme('admin'), 'acme', { allowed: true, tenant: 'acme' }],
    ['tenant admin, no tenant given: own', acme('admin'), undefined, { allowed: true, tenant: 'acme' }],
    ['tenant admin, other tenant', acme('admin'), 'other', { allowed: false, message: "tokens can only be issued for the token's own tenant" }],
  ])('%s', (_name, p, requested, expected) => {
    expect(tenantToIssue(p, requested)).toEqual(expected);
  });
});

describe('canManageToken', () => {
  it.each<[string, Principal, string | undefined, boolean]>([
    ['operator, tenant token', operator('admin'), 'acme', true],
    ['operator, operator token', operator('admin'), undefined, true],
    ['tenant, own token', acme('admin'), 'acme', true],
    ['tenant, other tenant token', acme('admin'), 'other', false],
    ['tenant, operator token', acme('admin'), undefined, false],
  ])('%s', (_name, p, tokenTenant, allowed) => {
    expect(canManageToken(p, tokenTenant)).toBe(allowed);
  });
});

describe('the tenant read rule (visibleTo, visibleItems)', () => {
  it.each<[string, Principal | undefined, string, boolean]>([
    ['auth off: every group', undefined, '', true],
    ['auth off: a tenant group too', undefined, 'acme', true],
    ['operator token: every tenant', operator('read'), 'other', true],
    ['operator token: groups pushed without a tenant', operator('read'), '', true],
    ['tenant token: its own groups', acme('read'), 'acme', true],
    ['tenant token: not another tenant', acme('read'), 'other', false],
    ['tenant token: not groups pushed without a tenant', acme('read'), '', false],
  ])('%s', (_name, reader, owner, visible) => {
    const readTenant = readTenantOf(reader);
    expect(visibleTo(readTenant, owner)).toBe(visible);
    expect(visibleItems([{ tenant: owner }], readTenant)).toHaveLength(visible ? 1 : 0);
  });
});
