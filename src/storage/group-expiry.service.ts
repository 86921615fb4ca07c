import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';

/** How often a replica tries to remove expired groups (well inside the promised minute). */
const INTERVAL_MS = 15_000;
/** Groups removed per pass at most (the next pass takes the rest). */
const BATCH = 1000;

/**
 * Removes expired groups from the database (issue 11: TTL), on one replica at a time: every 15 s
 * each replica tries, and the one that wins the expiry lock deletes what has expired, writing each
 * group's staleness markers at its expiry time. Readers do not wait for this: every replica leaves
 * expired groups out from the instant they expire (GroupCache).
 */
@Injectable()
export class GroupExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Storage');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly repository: MetricGroupRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runLogged(), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass at `nowSeconds`: how many groups were removed, undefined when another replica leads. */
  run(nowSeconds = Date.now() / 1000): Promise<number | undefined> {
    const pass = this.running.then(() => this.repository.removeExpiredGroups(nowSeconds, BATCH));
    this.running = pass.catch(() => undefined);
    return pass;
  }

  private async runLogged(): Promise<void> {
    try {
      const removed = await this.run();
      if (removed !== undefined && removed > 0) {
        this.logger.debug(`removed ${removed} expired groups`);
      }
    } catch (error) {
      // The next pass retries (the database may be away).
      this.logger.warn(`removing expired groups failed: ${(error as Error).message}`);
    }
  }
}
