import { DatabaseUnavailableError } from 'src/storage/database-errors';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { RevocationSet } from 'src/core/auth/revocation-set';
import { TokenRepository } from 'src/auth/token.repository';

/** Every this many polls, revocations of long-expired tokens are deleted (about hourly at 1 s). */
const PRUNE_EVERY_POLLS = 3600;

/**
 * The revocation list as this replica knows it. Loaded before the gateway listens, then polled
 * every AUTH_REVOCATION_POLL_MS (at most 5 s) through a cheap fingerprint query; the full list is
 * reloaded only when the fingerprint changed. A revocation made here is effective here at once.
 * When the database cannot be reached the last known list stays in force.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private revoked = new RevocationSet();
  /** Revocations made here, kept until a reload has seen them, so a reload racing revoke() cannot drop one. */
  private readonly local = new Map<string, number | undefined>();
  private fingerprint: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private polls = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: TokenRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.auth.enabled) {
      return;
    }
    // A database that is away at start must not stop the process: the poll loads the list later,
    // and until then isRevoked fails closed.
    await this.refresh().catch((error: unknown) => this.logger.warn(`revocation list not loaded yet: ${(error as Error).message}`));
    this.timer = setInterval(() => void this.poll(), this.config.auth.revocationPollMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * True when the token id is on the list. Throws DatabaseUnavailableError while the list has never
   * been loaded (the database was away since start): no token is trusted before the list is known.
   */
  isRevoked(tokenId: string): boolean {
    if (this.fingerprint === undefined) {
      throw new DatabaseUnavailableError('the token revocation list is not loaded yet');
    }
    return this.revoked.has(tokenId);
  }

  /** Revokes a token id for every replica; effective on this one immediately. */
  async revoke(tokenId: string, expiresAt: number | undefined): Promise<void> {
    await this.repository.revoke(tokenId, expiresAt);
    this.local.set(tokenId, expiresAt);
    this.revoked.add(tokenId, expiresAt);
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      return;
    }
    this.polling = true;
    try {
      if (++this.polls % PRUNE_EVERY_POLLS === 0) {
        await this.repository.pruneRevocations();
      }
      await this.refresh();
    } catch (error) {
      this.logger.warn(`revocation list not refreshed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private async refresh(): Promise<void> {
    const fingerprint = await this.repository.revocationFingerprint();
    if (fingerprint === this.fingerprint) {
      return;
    }
    const next = new RevocationSet();
    for (const r of await this.repository.activeRevocations()) {
      next.add(r.jti, r.expiresAt);
    }
    const now = Date.now() / 1000;
    for (const [jti, expiresAt] of this.local) {
      if (next.has(jti) || (expiresAt !== undefined && expiresAt < now)) {
        this.local.delete(jti);
      } else {
        next.add(jti, expiresAt);
      }
    }
    this.revoked = next;
    this.fingerprint = fingerprint;
  }
}
