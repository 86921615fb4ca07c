/**
 * Revoked token ids known to this process, each kept until the token would have expired anyway
 * (undefined expiry: kept for good). Times are Unix seconds passed in by the caller.
 */
export class RevocationSet {
  private readonly revoked = new Map<string, number | undefined>();

  /** Records a revocation (idempotent). */
  add(tokenId: string, expiresAt: number | undefined): void {
    this.revoked.set(tokenId, expiresAt);
  }

  /** True when the token id is revoked. */
  has(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }

  /** Forgets revocations of tokens expired before `nowSeconds`: they fail verification on their own. */
  prune(nowSeconds: number): void {
    for (const [id, exp] of this.revoked) {
      if (exp !== undefined && exp < nowSeconds) {
        this.revoked.delete(id);
      }
    }
  }

  get size(): number {
    return this.revoked.size;
  }
}
