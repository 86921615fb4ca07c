import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { machineCpuSeconds, processCpuSeconds, selfCpuSeconds, treeCpuSeconds } from './procstat';

/** A server under test, as the load generator sees it. */
export interface Target {
  /** 'ours-pg', 'upstream', 'ours-embedded', 'ours-pg-replica'. */
  name: string;
  host: string;
  port: number;
  agent: http.Agent;
  /** The server process (whose CPU and memory are reported). */
  pid(): number;
  /** Other processes doing this server's work (PostgreSQL backends); empty for upstream. */
  helperPids(): Promise<number[]>;
}

export interface Reply {
  status: number;
  ms: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

/** Every answer that is not 2xx, and every transport error, across the run: both must stay 0. */
export class ErrorLog {
  non2xx = 0;
  transport = 0;
  readonly samples: string[] = [];

  note(what: string): void {
    if (this.samples.length < 20) {
      this.samples.push(what);
    }
  }
}

export const errors = new ErrorLog();

/** One HTTP exchange on the target's keep-alive agent; latency is request start to last body byte. */
export function request(target: Target, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    const req = http.request(
      {
        agent: target.agent,
        host: target.host,
        port: target.port,
        method,
        path,
        headers: payload === undefined ? headers : { ...headers, 'content-length': String(payload.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like request, but counts non-2xx answers and transport errors in the run's error log. */
export async function checkedRequest(
  target: Target,
  method: string,
  path: string,
  body?: string | Buffer,
  headers?: Record<string, string>,
): Promise<Reply | undefined> {
  try {
    const reply = await request(target, method, path, body, headers);
    if (reply.status < 200 || reply.status >= 300) {
      errors.non2xx++;
      errors.note(`${target.name} ${method} ${path} -> ${reply.status}: ${reply.body.toString('utf8').slice(0, 200)}`);
    }
    return reply;
  } catch (error) {
    errors.transport++;
    errors.note(`${target.name} ${method} ${path} -> ${(error as Error).message}`);
    return undefined;
  }
}

export interface PushPlan {
  concurrency: number;
  /** Stop issuing after this many pushes... */
  max: number;
  /** ...or after this many seconds, whichever comes first; in-flight pushes are awaited. */
  budgetS: number;
  path(i: number): string;
  body(i: number): string;
  method?: 'PUT' | 'POST';
  /** Called with the count done so far, every `progressEvery` pushes. */
  progress?(done: number, elapsedS: number): void;
  progressEvery?: number;
}

export interface PushRun {
  count: number;
  elapsedS: number;
  latenciesMs: number[];
  failed: number;
  /** True when the time budget, not the count, ended the run. */
  budgetHit: boolean;
}

/** Runs `concurrency` closed-loop workers pushing distinct groups; throughput = count / elapsed. */
export async function runPushes(target: Target, plan: PushPlan): Promise<PushRun> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + plan.budgetS * 1000;
  const latenciesMs: number[] = [];
  let issued = 0;
  let done = 0;
  let failed = 0;
  let budgetHit = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (issued >= plan.max) {
        return;
      }
      if (Date.now() >= deadline) {
        budgetHit = true;
        return;
      }
      const i = issued++;
      const reply = await checkedRequest(target, plan.method ?? 'PUT', plan.path(i), plan.body(i));
      if (reply === undefined || reply.status >= 300) {
        failed++;
      } else {
        latenciesMs.push(reply.ms);
      }
      done++;
      if (plan.progress !== undefined && done % (plan.progressEvery ?? 1000) === 0) {
        plan.progress(done, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return { count: done - failed, elapsedS: Number(process.hrtime.bigint() - started) / 1e9, latenciesMs, failed, budgetHit };
}

export interface ScrapeResult {
  ms: number;
  /** Bytes on the wire (compressed when gzip). */
  bytes: number;
  /** Decoded text (decompressed when gzip). */
  text: Buffer;
  gzip: boolean;
}

/** GET /metrics as text, optionally asking for gzip; the timing covers the whole transfer only. */
export async function scrape(target: Target, gzip: boolean): Promise<ScrapeResult | undefined> {
  const reply = await checkedRequest(target, 'GET', '/metrics', undefined, gzip ? { 'accept-encoding': 'gzip' } : {});
  if (reply === undefined || reply.status !== 200) {
    return undefined;
  }
  const compressed = reply.headers['content-encoding'] === 'gzip';
  if (gzip && !compressed) {
    errors.note(`${target.name} answered a gzip scrape uncompressed`);
  }
  return { ms: reply.ms, bytes: reply.body.length, text: compressed ? gunzipSync(reply.body) : reply.body, gzip: compressed };
}

/** CPU seconds spent while something ran: by the load generator, the server, its database, and the whole machine. */
export interface CpuUse {
  wallS: number;
  clientS: number;
  serverS: number;
  databaseS: number;
  machineBusyS: number;
  machineTotalS: number;
}

export function emptyCpu(): CpuUse {
  return { wallS: 0, clientS: 0, serverS: 0, databaseS: 0, machineBusyS: 0, machineTotalS: 0 };
}

export function addCpu(a: CpuUse, b: CpuUse): CpuUse {
  return {
    wallS: a.wallS + b.wallS,
    clientS: a.clientS + b.clientS,
    serverS: a.serverS + b.serverS,
    databaseS: a.databaseS + b.databaseS,
    machineBusyS: a.machineBusyS + b.machineBusyS,
    machineTotalS: a.machineTotalS + b.machineTotalS,
  };
}

async function helperCpu(pids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s !== undefined) {
      out.set(pid, s);
    }
  }
  return out;
}

/**
 * Runs fn and measures the CPU it caused. Database backends are listed before and after (a backend
 * born during fn counts whole; one that exited during fn is lost, which pools here do not do).
 */
export async function metered<T>(target: Target, fn: () => Promise<T>): Promise<{ result: T; cpu: CpuUse }> {
  const before = await helperCpu(await target.helperPids());
  const server0 = treeCpuSeconds(target.pid()) ?? 0;
  const client0 = selfCpuSeconds();
  const machine0 = machineCpuSeconds();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const client1 = selfCpuSeconds();
  const server1 = treeCpuSeconds(target.pid()) ?? server0;
  const machine1 = machineCpuSeconds();
  const after = await helperCpu(await target.helperPids());
  let databaseS = 0;
  for (const [pid, s] of after) {
    databaseS += s - (before.get(pid) ?? 0);
  }
  return {
    result,
    cpu: {
      wallS,
      clientS: client1 - client0,
      serverS: server1 - server0,
      databaseS,
      machineBusyS: machine1.busy - machine0.busy,
      machineTotalS: machine1.total - machine0.total,
    },
  };
}

/** CPU seconds of a target: its process tree and its database backends. */
async function targetCpuSeconds(target: Target): Promise<number> {
  let sum = treeCpuSeconds(target.pid()) ?? 0;
  for (const s of (await helperCpu(await target.helperPids())).values()) {
    sum += s;
  }
  return sum;
}

/**
 * Waits until the machine is quiet: every target below `maxCore` of one core and the whole machine
 * below `machineMaxCore` over a `windowMs` window, at most `budgetS`. So no server's leftover work
 * (a Go collector after a burst of large gathers, PostgreSQL's autovacuum of the rows the bench
 * deleted after the last round, a checkpoint) lands in the next round of either server. Returns the
 * seconds waited, whether the budget ran out first, and the machine's busy cores in the first window.
 */
export async function waitQuiet(
  targets: Target[],
  options: { maxCore?: number; machineMaxCore?: number; windowMs?: number; budgetS?: number } = {},
): Promise<{ waitedS: number; quiet: boolean; firstBusyCores: number }> {
  const maxCore = options.maxCore ?? 0.05;
  const machineMaxCore = options.machineMaxCore ?? 0.2;
  const windowMs = options.windowMs ?? 200;
  const deadline = Date.now() + (options.budgetS ?? 10) * 1000;
  const t0 = process.hrtime.bigint();
  const waited = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  let firstBusyCores = NaN;
  for (;;) {
    const before = await Promise.all(targets.map((t) => targetCpuSeconds(t)));
    const m0 = machineCpuSeconds();
    const w0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, windowMs));
    const after = await Promise.all(targets.map((t) => targetCpuSeconds(t)));
    const m1 = machineCpuSeconds();
    const windowS = Number(process.hrtime.bigint() - w0) / 1e9;
    const busyCores = (m1.busy - m0.busy) / windowS;
    if (Number.isNaN(firstBusyCores)) {
      firstBusyCores = busyCores;
    }
    if (busyCores < machineMaxCore && after.every((a, i) => (a - before[i]) / windowS < maxCore)) {
      return { waitedS: waited(), quiet: true, firstBusyCores };
    }
    if (Date.now() >= deadline) {
      return { waitedS: waited(), quiet: false, firstBusyCores };
    }
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) {
    return NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function median(values: number[]): number {
  if (values.length === 0) {
    return NaN;
  }
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
