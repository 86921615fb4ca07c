/** One push of PushLoad: which client, the value it carried, how it was answered and when. */
export interface PushRecord {
  client: string;
  target: string;
  value: number;
  /** HTTP status, 0 when the connection failed (refused, reset), -1 when no answer came in time. */
  status: number;
  startMs: number;
  endMs: number;
}

const REQUEST_TIMEOUT_MS = 20_000;

/**
 * Pushers for fault tests: each client pushes `fault_value <n>` with n = 1, 2, 3, ... to its own
 * group on one gateway, one request at a time, until stopped. Values only grow, so "no
 * acknowledged push lost" means: every client's scraped value is at least its last acknowledged one.
 */
export class PushLoad {
  readonly records: PushRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly next = new Map<string, number>();

  constructor(
    private readonly job: string,
    private readonly clients: { id: string; target: () => string }[],
    private readonly pauseMs = 10,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.clients.map((c) => this.loop(c.id, c.target));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(client: string, target: () => string): Promise<void> {
    while (this.running) {
      const value = (this.next.get(client) ?? 0) + 1;
      this.next.set(client, value);
      const url = target();
      const startMs = Date.now();
      let status: number;
      try {
        const res = await fetch(`${url}/metrics/job/${this.job}/client/${client}`, {
          method: 'PUT',
          body: `fault_value ${value}\n`,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (error) {
        status = (error as Error).name === 'TimeoutError' ? -1 : 0;
      }
      this.records.push({ client, target: url, value, status, startMs, endMs: Date.now() });
      await new Promise((r) => setTimeout(r, status === 200 ? this.pauseMs : 50));
    }
  }

  /** Highest value acknowledged (200) per client. */
  lastAcked(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.records) {
      if (r.status === 200 && r.value > (out.get(r.client) ?? 0)) {
        out.set(r.client, r.value);
      }
    }
    return out;
  }

  acknowledged(): number {
    return this.records.filter((r) => r.status === 200).length;
  }

  /** Answers of pushes that overlapped [fromMs, toMs], counted by status, and the slowest of them (ms). */
  during(fromMs: number, toMs: number): { byStatus: Record<string, number>; slowestMs: number } {
    const byStatus: Record<string, number> = {};
    let slowestMs = 0;
    for (const r of this.records) {
      if (r.endMs >= fromMs && r.startMs <= toMs) {
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        slowestMs = Math.max(slowestMs, r.endMs - r.startMs);
      }
    }
    return { byStatus, slowestMs };
  }

  /** Per target: ms from `sinceMs` to the end of the first push started after it that was answered 200. */
  recovery(sinceMs: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of [...this.records].sort((a, b) => a.endMs - b.endMs)) {
      if (r.status === 200 && r.startMs >= sinceMs && !out.has(r.target)) {
        out.set(r.target, r.endMs - sinceMs);
      }
    }
    return out;
  }
}

/** `fault_value` per client label in a text scrape of `job`. */
export async function scrapedValues(url: string, job: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (res.status !== 200) {
    throw new Error(`scrape of ${url} answered ${res.status}: ${await res.text()}`);
  }
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('fault_value{') && line.includes(`job="${job}"`)) {
      const client = /client="([^"]*)"/.exec(line)?.[1] ?? '';
      out.set(client, Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return out;
}

/** Acknowledged pushes whose value is missing from a scrape (value below the client's last acknowledged). */
export function lostPushes(load: PushLoad, scraped: Map<string, number>): { client: string; acked: number; scraped: number | undefined }[] {
  const lost: { client: string; acked: number; scraped: number | undefined }[] = [];
  for (const [client, acked] of load.lastAcked()) {
    const seen = scraped.get(client);
    if (seen === undefined || seen < acked) {
      lost.push({ client, acked, scraped: seen });
    }
  }
  return lost;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
