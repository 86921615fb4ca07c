import { Principal } from 'src/core/auth/principal';

/**
 * Verified tokens by a hash of the token (never the token itself), so repeated requests skip the
 * signature check. An entry lives at most `ttlMs` and never beyond the token's `exp`. When full, the
 * oldest entry goes. Only successful verifications are stored: failures are not cached, so a flood
 * of bad tokens cannot evict good ones. Times are milliseconds passed in by the caller.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The cached principal for a token hash, or undefined when absent or expired (then removed). */
  get(hash: string, nowMs: number): Principal | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.until <= nowMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.principal;
  }

  /** Stores a verified principal until min(now + ttl, exp); no-op when that is not in the future or caching is off. */
  set(hash: string, principal: Principal, nowMs: number): void {
    const until = Math.min(nowMs + this.ttlMs, principal.expiresAt * 1000);
    if (until <= nowMs || this.maxEntries <= 0) {
      return;
    }
    this.entries.delete(hash);
    while (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(hash, { principal, until });
  }

  /** Drops every entry of a token id (after a revocation). */
  forget(tokenId: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.principal.tokenId === tokenId) {
        this.entries.delete(hash);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
