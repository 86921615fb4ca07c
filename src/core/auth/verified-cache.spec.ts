import { VerifiedTokenCache } from 'src/core/auth/verified-cache';
import { RevocationSet } from 'src/core/auth/revocation-set';
import { Principal } from 'src/core/auth/principal';

const principal = (tokenId: string, expiresAt: number): Principal => ({ tenant: 't', scopes: ['push'], tokenId, expiresAt });

describe('VerifiedTokenCache', () => {
  it.each<[string, { ttlMs: number; exp: number; setAt: number; getAt: number }, boolean]>([
    ['hit within ttl and exp', { ttlMs: 60000, exp: 100, setAt: 0, getAt: 59000 }, true],
    ['miss after ttl', { ttlMs: 60000, exp: 100, setAt: 0, getAt: 60000 }, false],
    ['miss at exp although ttl is longer', { ttlMs: 600000, exp: 10, setAt: 0, getAt: 10000 }, false],
    ['hit just before exp', { ttlMs: 600000, exp: 10, setAt: 0, getAt: 9999 }, true],
    ['not stored when already expired (clock skew window)', { ttlMs: 60000, exp: 10, setAt: 11000, getAt: 11000 }, false],
    ['not stored with ttl 0', { ttlMs: 0, exp: 100, setAt: 0, getAt: 0 }, false],
  ])('%s', (_name, c, hit) => {
    const cache = new VerifiedTokenCache(c.ttlMs, 10);
    cache.set('h', principal('j', c.exp), c.setAt);
    expect(cache.get('h', c.getAt) !== undefined).toBe(hit);
  });

  it('evicts the oldest entry when full', () => {
    const cache = new VerifiedTokenCache(60000, 2);
    cache.set('a', principal('a', 100), 0);
    cache.set('b', principal('b', 100), 0);
    cache.set('c', principal('c', 100), 0);
    expect([cache.get('a', 1), cache.get('b', 1)?.tokenId, cache.get('c', 1)?.tokenId]).toEqual([undefined, 'b', 'c']);
    expect(cache.size).toBe(2);
  });

  it('forgets every entry of a revoked token id', () => {
    const cache = new VerifiedTokenCache(60000, 10);
    cache.set('h1', principal('same', 100), 0);
    cache.set('h2', principal('same', 100), 0);
    cache.set('h3', principal('other', 100), 0);
    cache.forget('same');
    expect(cache.size).toBe(1);
  });
});

describe('RevocationSet', () => {
  it('holds revocations until the token expires', () => {
    const set = new RevocationSet();
    set.add('a', 100);
    set.add('b', undefined);
    set.add('c', 300);
    set.prune(200);
    expect([set.has('a'), set.has('b'), set.has('c'), set.size]).toEqual([false, true, true, 2]);
  });
});
