import { expiryOf, groupTtl, GroupTtlError, parseTenantTtls, TtlPolicy } from 'src/core/grouping/group-ttl';

const NONE: TtlPolicy = { tenantDefaults: {} };
const DEFAULTS: TtlPolicy = { defaultSeconds: 3600, maxSeconds: 86400, tenantDefaults: { acme: 600 } };

describe('groupTtl', () => {
  it.each<[string, TtlPolicy, string | undefined, string, number | undefined]>([
    ['nothing set: never expires (upstream)', NONE, undefined, '', undefined],
    ['header on an otherwise unset gateway', NONE, '10m', '', 600],
    ['header 0: never', NONE, '0', '', undefined],
    ['global default', DEFAULTS, undefined, '', 3600],
    ['tenant default beats the global one', DEFAULTS, undefined, 'acme', 600],
    ['header beats the defaults', DEFAULTS, '2h', 'acme', 7200],
    ['header above the maximum is capped', DEFAULTS, '2d', '', 86400],
    ['header 0 with a maximum: the maximum', DEFAULTS, '0', '', 86400],
    ['compound duration with spaces around', NONE, ' 1h30m ', '', 5400],
    ['default 0 means never', { defaultSeconds: 0, tenantDefaults: {} }, undefined, '', undefined],
  ])('%s', (_name, policy, header, tenant, expected) => {
    expect(groupTtl(policy, header, tenant)).toBe(expected);
  });

  it.each(['10', '1.5h', 'soon', '', '-5m'])('refuses header %j', (header) => {
    expect(() => groupTtl(NONE, header, '')).toThrow(GroupTtlError);
  });
});

describe('parseTenantTtls', () => {
  it('reads tenant=duration pairs', () => {
    expect(parseTenantTtls('acme=1h, beta=10m,,')).toEqual({ acme: 3600, beta: 600 });
  });
  it.each(['acme', '=1h', 'acme=soon'])('refuses %j', (text) => {
    expect(() => parseTenantTtls(text)).toThrow();
  });
});

describe('expiryOf', () => {
  it.each<[number, number | null | undefined, number | undefined]>([
    [1000, 60, 1060],
    [1000, undefined, undefined],
    [1000, null, undefined],
    [0, 60, undefined],
  ])('pushed at %d with TTL %s expires at %s', (pushTime, ttl, expected) => {
    expect(expiryOf(pushTime, ttl)).toBe(expected);
  });
});
